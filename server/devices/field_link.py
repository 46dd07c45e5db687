"""The field app's enrollment link and its QR code (segno), for pages and the CLI.

A commander shows the code on a screen or paper; the officer's phone camera
reads the QR code and opens ``<server>/field/#enroll=<CODE>``.  The code sits
in the fragment, which browsers never send to a server or write to its logs.
"""

from __future__ import annotations

import io

import segno

from server.devices.enrollment import normalize_code


def field_url(server_url: str) -> str:
    """The field app's address on ``server_url`` (scheme, host and any prefix)."""
    return server_url.rstrip("/") + "/field/"


def enroll_link(server_url: str, code: str) -> str:
    """The link that opens the field app with ``code`` pre-filled."""
    return f"{field_url(server_url)}#enroll={normalize_code(code)}"


def qr_svg(link: str) -> str:
    """An inline ``<svg>`` QR code of ``link``, sized by CSS (no XML declaration)."""
    # Error level M: still readable from a creased printout or a dim screen.
    qr = segno.make(link, error="m", micro=False)
    return qr.svg_inline(scale=6, border=2, svgclass="qr", title="QR", omitsize=False)


def qr_text(link: str) -> str:
    """The QR code of ``link`` as text blocks for a terminal (dark on light)."""
    qr = segno.make(link, error="m", micro=False)
    out = io.StringIO()
    qr.terminal(out=out, compact=True, border=2)
    return out.getvalue()
