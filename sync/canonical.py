"""RFC 8785 (JCS) bytes of a JSON value, at the speed of orjson where it agrees.

Every pushed op is put in canonical form twice (its signature, then its
revision's chain hash), and the ``rfc8785`` package, written in Python,
spent about 60 µs on each ~1 KB op: more than the rest of a push.  orjson
with sorted keys writes the same bytes for most values, and a walk over the
value (a few µs) tells when it might not:

* a float that orjson writes differently from ECMAScript's
  ``Number.prototype.toString`` (JCS's number form): integral floats
  (``1.0`` against ``1``), the exponent ranges (orjson from 1e16 and below
  1e-5, ECMAScript from 1e21 and below 1e-6), and NaN and the infinities,
  which orjson writes as ``null`` where JCS refuses them;
* anything that is not a dict with str keys, list, str, int, bool or None
  (orjson writes tuples, UUIDs, dates and more; JCS knows none of them);
* an int outside ±(2**53 - 1) (orjson's strict-integer check refuses it);
* keys that sort differently by UTF-16 code units (JCS) than by code points
  (orjson): possible only when the bytes hold both a character above U+FFFF
  and one in U+E000..U+FFFF, checked on the output.

Those values, rare in reports, take ``rfc8785``'s own path, so the bytes
(and every refusal) are exactly the package's; a property test compares
the two on any JSON value.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
import rfc8785

_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER
# Magnitudes orjson writes without an exponent, as JCS does (checked by the
# tests); a non-integral float is below 2**52 anyway.
_PLAIN_MIN, _PLAIN_MAX = 1e-5, 1e15
_ABOVE_BMP = re.compile(rb"[\xf0-\xf4]")
_PRIVATE_USE_AND_UP = re.compile(rb"[\xee\xef]")

#: What the fallback raises for a value JCS cannot encode.
Error = (rfc8785.CanonicalizationError, TypeError, ValueError)


_SCALARS = frozenset({str, int, bool, type(None)})


def _plain(value: Any) -> bool:
    """True when orjson writes ``value`` exactly as JCS does (keys' order aside)."""
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            # Scalars are judged here: a call per leaf was most of the walk's cost.
            if type(key) is not str or (type(item) not in _SCALARS and not _plain(item)):
                return False
        return True
    if kind is list:
        for item in value:
            if type(item) not in _SCALARS and not _plain(item):
                return False
        return True
    if kind is float:
        # Non-integral, in range: plain decimals in both, from the same
        # shortest round-trip digits (NaN and the infinities fail the range).
        return _PLAIN_MIN <= abs(value) < _PLAIN_MAX and not value.is_integer()
    return kind in _SCALARS


def dumps(value: Any) -> bytes:
    """The RFC 8785 encoding of ``value``; raises what ``rfc8785.dumps`` raises."""
    if _plain(value):
        try:
            out = orjson.dumps(value, option=_OPTIONS)
        except orjson.JSONEncodeError:
            out = None  # an integer beyond 53 bits: the fallback judges it
        # isascii first: it is nearly free, where a search costs most of a dump.
        if out is not None and (
            out.isascii() or not (_ABOVE_BMP.search(out) and _PRIVATE_USE_AND_UP.search(out))
        ):
            return out
    return rfc8785.dumps(value)
