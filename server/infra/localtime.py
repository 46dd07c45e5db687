"""Times on the pages, in each post's local time (WIB, WITA, WIT)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time, format_timedelta
from flask import g
from flask_babel import get_locale

from server.infra.db import db
from server.infra.models import Post

#: Indonesia's three zones by their IANA names.
ABBREVIATIONS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}
DEFAULT_TZ = "Asia/Jakarta"
#: Day, abbreviated month, year in every language: the locales' numeric short
#: dates read 9/11/26 (id) and 11/9/26 (en) for the same day.
DATE_PATTERN = "d MMM y"


def post_zones() -> dict[str, str]:
    """Each post's IANA time zone (read once per request)."""
    if "post_zones" not in g:
        g.post_zones = dict(db.session.execute(db.select(Post.code, Post.tz)).all())
    return g.post_zones


def zone_of(post: str | None) -> str:
    """The time zone name of ``post`` (Jakarta time when unknown)."""
    return post_zones().get(post or "", DEFAULT_TZ) or DEFAULT_TZ


def to_datetime(value: datetime | str | int | None) -> datetime | None:
    """A stored datetime, RFC 3339 text or epoch milliseconds as an aware datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return datetime.fromtimestamp(value / 1000, UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        # Text without an offset is a stored UTC time written out.
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


def local(value: datetime | str | int | None, post: str | None, fmt: str = "medium") -> str:
    """``value`` in the post's local time with its zone, e.g. ``20 Nov 2026 11.15 WITA``.

    ``fmt`` ("medium" or "short") is still accepted from templates, but both
    give the same unambiguous date.
    """
    moment = to_datetime(value)
    if moment is None:
        return "—"
    name = zone_of(post)
    try:
        zone = ZoneInfo(name)
    except ZoneInfoNotFoundError:
        name, zone = "UTC", ZoneInfo("UTC")
    locale = str(get_locale() or "id")
    there = moment.astimezone(zone)
    # Minutes are enough for field reports.
    day = format_date(there.date(), format=DATE_PATTERN, locale=locale)
    clock = format_time(there.time(), format="short", locale=locale)
    return f"{day} {clock} {ABBREVIATIONS.get(name, name)}"


def ago(value: datetime | str | int | None) -> str:
    """How long ago ``value`` was, in words of the page language (e.g. "2 hari")."""
    moment = to_datetime(value)
    if moment is None:
        return "—"
    return format_timedelta(
        datetime.now(UTC) - moment, granularity="minute", locale=str(get_locale() or "id")
    )
