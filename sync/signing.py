"""Signed ops: the canonical form a device signs, and ES256 signing and checking.

The algorithm is ECDSA on P-256 with SHA-256 ("ES256"): Python's
``cryptography`` and every browser's WebCrypto have it, whereas Ed25519
reached WebCrypto only recently and is missing from the older Android
browsers the field app still has to serve.  On the wire a public key is
the base64 of its SubjectPublicKeyInfo (what WebCrypto's ``exportKey("spki")``
gives) and a signature is the base64 of the 64-byte ``r || s`` form (what
WebCrypto's ``sign`` gives; ``cryptography`` speaks DER, converted here).

What is signed is the RFC 8785 (JCS) encoding of the op's
``op_id``, ``report_id``, ``base_rev``, ``hlc`` and ``fields``: the same
bytes on any platform that parses the same JSON.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from sync import canonical as jcs

ALG = "ES256"
SIGNED_KEYS = ("op_id", "report_id", "base_rev", "hlc", "fields")
_COORD = 32  # bytes of r and of s on P-256


class SigningError(ValueError):
    """A key, a signature or a signed value that cannot be used; the message says why."""


def canonical(value: Any) -> bytes:
    """The RFC 8785 encoding of a JSON value."""
    try:
        return jcs.dumps(value)
    except jcs.Error as exc:
        raise SigningError(f"cannot be put in canonical form ({exc})") from None


def signed_part(change: dict[str, Any]) -> dict[str, Any]:
    """The part of an op its signature covers."""
    return {key: change.get(key) for key in SIGNED_KEYS}


def op_message(change: dict[str, Any]) -> bytes:
    """The bytes an op's signature is over."""
    return canonical(signed_part(change))


def new_private_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-256 signing key."""
    return ec.generate_private_key(ec.SECP256R1())


def private_key_pem(key: ec.EllipticCurvePrivateKey) -> str:
    """A private key as unencrypted PKCS#8 PEM (the store holding it protects it)."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def load_private_key(pem: str) -> ec.EllipticCurvePrivateKey:
    """A private key back from :func:`private_key_pem`."""
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise SigningError("is not an ECDSA key")
    return key


def public_key_text(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> str:
    """The wire form of a public key: base64 of its SubjectPublicKeyInfo."""
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def _b64(text: object, what: str) -> bytes:
    if not isinstance(text, str) or not text:
        raise SigningError(f"must be a base64 {what}")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SigningError(f"must be a base64 {what}") from None


def load_public_key(text: object) -> ec.EllipticCurvePublicKey:
    """A public key from its wire form; :class:`SigningError` unless it is a P-256 key."""
    der = _b64(text, "SubjectPublicKeyInfo of a P-256 key")
    try:
        key = serialization.load_der_public_key(der)
    except (ValueError, TypeError):
        raise SigningError("is not a public key (base64 SubjectPublicKeyInfo)") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise SigningError("must be an ECDSA P-256 key (ES256)")
    return key


def sign(key: ec.EllipticCurvePrivateKey, message: bytes) -> str:
    """The wire form of an ES256 signature of ``message``."""
    r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
    return base64.b64encode(r.to_bytes(_COORD, "big") + s.to_bytes(_COORD, "big")).decode()


def verify(key: ec.EllipticCurvePublicKey, message: bytes, signature: object) -> None:
    """Return if ``signature`` is ``key``'s over ``message``; raise :class:`SigningError` if not."""
    raw = _b64(signature, "ES256 signature (r || s)")
    if len(raw) != 2 * _COORD:
        raise SigningError("must be 64 bytes (r || s)")
    der = encode_dss_signature(
        int.from_bytes(raw[:_COORD], "big"), int.from_bytes(raw[_COORD:], "big")
    )
    try:
        key.verify(der, message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise SigningError("does not match the op and the device's key") from None


def sign_op(key: ec.EllipticCurvePrivateKey, change: dict[str, Any]) -> str:
    """A device's signature of one op."""
    return sign(key, op_message(change))


def verify_op(key: ec.EllipticCurvePublicKey, change: dict[str, Any]) -> None:
    """Check an op's ``signature`` against its device's key (:class:`SigningError` if bad)."""
    verify(key, op_message(change), change.get("signature"))


def key_id(public_text: str) -> str:
    """A short, stable name of a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(_b64(public_text, "public key")).hexdigest()[:16]
