"""``GET /api/v1/vocabularies``: the codes of the report document with their words.

Clients that validate offline (the field app) take the rules from what the
server publishes: the JSON Schema of a report in ``/api/v1/openapi.json``,
and here the controlled vocabularies, each code with its Bahasa Indonesia and
English label, plus the fields each kind needs on creation, and each post's
time zone (a report's time defaults to now in its post's offset).  No
authentication: none of this is secret, and a phone fetches it before it is
enrolled.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable, Iterable
from typing import Any

import pycountry
from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from flask_babel import force_locale

from server.http import labels
from server.http.i18n import LANGUAGES
from server.infra.db import db
from server.infra.models import Post
from sync import vocab

bp = Blueprint("vocabularies", __name__)
_CACHE_KEY = "patroli.vocabularies"
REPORT_SCHEMA = "/api/v1/openapi.json#/components/schemas/ReportDocument"


def _labelled(codes: Iterable[str], label: Callable[[str], str]) -> list[dict[str, Any]]:
    entries = []
    for code in codes:
        words = {}
        for lang in LANGUAGES:
            with force_locale(lang):
                words[lang] = str(label(code))
        entries.append({"code": code, "label": words})
    return entries


def _countries() -> list[dict[str, Any]]:
    # pycountry ships the iso-codes translations; English is the message id.
    indonesian = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["id"])
    return [
        {"code": c.alpha_2, "label": {"id": indonesian.gettext(c.name), "en": c.name}}
        for c in sorted(pycountry.countries, key=lambda c: c.alpha_2)
    ]


def build() -> dict[str, Any]:
    """The whole document (built once per process: it only changes with the code)."""
    return {
        "languages": list(LANGUAGES),
        "report_schema": REPORT_SCHEMA,
        "kinds": _labelled(vocab.KINDS, labels.kind),
        "modus": _labelled(vocab.MODUS, labels.modus),
        "agencies": _labelled(vocab.AGENCIES, str),
        "person_roles": _labelled(vocab.PERSON_ROLES, labels.role),
        "sexes": _labelled(vocab.SEXES, labels.sex_name),
        "document_types": _labelled(vocab.DOCUMENT_TYPES, labels.document_type),
        "action_types": _labelled(vocab.ACTION_TYPES, labels.action_type),
        "review_statuses": _labelled(vocab.REVIEW_STATUSES, labels.status),
        "countries": _countries(),
        "required": {
            "always": list(vocab.REQUIRED_ALWAYS),
            "by_kind": {k: list(v) for k, v in vocab.REQUIRED_BY_KIND.items()},
            "when_true": {k: list(v) for k, v in vocab.REQUIRED_WHEN_TRUE.items()},
        },
        "attachments": {
            "mime_prefixes": list(vocab.ATTACHMENT_MIME_PREFIXES),
            "mimes": list(vocab.ATTACHMENT_MIMES),
        },
    }


def post_time_zones() -> dict[str, str]:
    """Each post's IANA time zone by post code (read per request: posts change)."""
    return dict(db.session.execute(db.select(Post.code, Post.tz).order_by(Post.code)).all())


@bp.get("/vocabularies")
def vocabularies() -> ResponseReturnValue:
    """Every vocabulary with Indonesian and English labels, per-kind required fields
    and the posts' time zones."""
    document = current_app.extensions.get(_CACHE_KEY)
    if document is None:
        document = current_app.extensions[_CACHE_KEY] = build()
    return jsonify({**document, "post_time_zones": post_time_zones()})
