"""The printable summary of a case file, in Bahasa Indonesia.

It is a document for the court file, so its language does not follow the
reader's web setting.  It is a reading aid: the verifiable content is
``case.json`` (the summary says so), so it is rendered by a standalone,
autoescaping Jinja environment rather than as a web page.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

_ENV = Environment(
    loader=PackageLoader("server.evidence", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)

ACTIONS = {
    "create": "dibuat",
    "push": "diubah dari perangkat",
    "review": "keputusan peninjauan",
    "resolve": "penyelesaian konflik",
    "transfer": "pemindahan pos",
}


def render_summary(case: dict[str, Any]) -> str:
    """The summary of ``case`` (the content of case.json) as an HTML page."""
    return _ENV.get_template("ringkasan.html").render(case=case, actions=ACTIONS)
