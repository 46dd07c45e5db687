"""Golden vectors of signed ops: the canonical form and one ES256 signature.

The field app signs ops in JavaScript (``server/static/field/js/signing.js``).
``python -m tests.golden.signing_vectors`` writes ``signing_vectors.json``;
``tests/sync/test_signing.py`` checks it against the Python code and the Node
test (``tests/js/signing.test.mjs``) checks the JavaScript against it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from sync import signing

VECTORS = Path(__file__).with_name("signing_vectors.json")

#: Values whose canonical form is easy to get wrong: key order (by UTF-16
#: code unit, so "é" after "z" and an astral character before "ｚ"), numbers
#: (exponents, -0, integral floats), escapes, nesting.
VALUES: list[Any] = [
    {"b": 1, "a": [3, {"d": None, "c": True}], "z": "x", "é": 2, "😀": 0, "ｚ": 1},
    {"lat": 4.1, "lon": 117.6, "big": 1e21, "small": 1e-7, "neg": -0.0, "int": 2.0},
    {"text": 'quote " backslash \\ tab \t newline \n control \u0001 unicode ü €'},
    [1, 2.5, -3, 1e20, 0.1, 123456789012345680000.0, 5e-324, 1.7976931348623157e308],
]

OP = {
    "op_id": "0192e8a4-7c1d-7000-8000-000000000001",
    "report_id": "0192e8a4-7c1d-7000-8000-000000000002",
    "base_rev": None,
    "hlc": "0001763800000000-00003-0192e8a4-7c1d-7000-8000-000000000003",
    "fields": {
        "kind": "incident",
        "narrative": "Lima pekerja, satu perahu",
        "location": {"lat": 4.1, "lon": 117.6},
        "persons.p1": {"role": "victim", "age": 16},
    },
}


def build(signature: str | None = None) -> dict[str, Any]:
    """The vectors; a fresh signature unless ``signature`` (from the file) is kept."""
    key = ec.derive_private_key(0x5EED5EED5EED5EED, ec.SECP256R1())
    return {
        "canonical": [
            {"value": value, "canonical": signing.canonical(value).decode()} for value in VALUES
        ],
        "op": OP,
        "op_message": signing.op_message(OP).decode(),
        "public_key": signing.public_key_text(key),
        "signature": signature or signing.sign_op(key, OP),
    }


def render(signature: str | None = None) -> str:
    """The file's text."""
    return json.dumps(build(signature), indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    VECTORS.write_text(render(), encoding="utf-8")
