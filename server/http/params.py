"""Query-string parameters read the same way everywhere: lists, choices, dates, bounded numbers.

Each reader adds a field error to ``errors`` instead of raising, so one 400
problem can list every bad parameter at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any


def values(args: Mapping[str, Any], name: str) -> list[str]:
    """A repeatable or comma-separated query parameter as a list."""
    getlist = getattr(args, "getlist", None)
    raw = getlist(name) if getlist else [args.get(name) or ""]
    return [v.strip() for item in raw for v in str(item).split(",") if v.strip()]


def choices(args: Mapping[str, Any], name: str, allowed: tuple[str, ...], errors: dict) -> list:
    """A list parameter whose values must come from ``allowed``."""
    picked = values(args, name)
    if any(v not in allowed for v in picked):
        errors[name] = ["must be one of: " + ", ".join(allowed)]
    return picked


def parse_date(raw: str | None, name: str, errors: dict[str, list[str]]) -> date | None:
    """A ``YYYY-MM-DD`` query value, or a field error."""
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = ["must be a date such as 2026-11-20"]
        return None


def bounded_int(raw: Any, name: str, lo: int, hi: int, default: int, errors: dict) -> int:
    """A bounded whole-number parameter, or a field error."""
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = lo - 1
    if not lo <= value <= hi:
        errors[name] = [f"must be a whole number from {lo} to {hi}"]
        return default
    return value
