"""Checking the signature of each op a device pushes, before it is applied."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from sync import signing


@dataclass(frozen=True)
class DeviceKey:
    """The key a device registered at enrollment; ``key`` None for an unsigned (older) device."""

    key: ec.EllipticCurvePublicKey | None


@lru_cache(maxsize=1024)
def _load(text: str) -> ec.EllipticCurvePublicKey:
    # Keys were checked at enrollment; parsing one costs more than a
    # verification, and a busy device pushes many batches.
    return signing.load_public_key(text)


def device_key(device: Any) -> DeviceKey:
    """The public key of ``device`` (a ``Device`` row), parsed once per process."""
    text = getattr(device, "public_key", None)
    return DeviceKey(_load(text) if text else None)


def check_signature(
    key: DeviceKey, change: dict[str, Any]
) -> tuple[dict[str, list[str]] | None, bytes | None]:
    """Field errors when ``change``'s signature does not hold for its device (else None),
    and the canonical bytes of the op once a signature was checked over them.

    The bytes are kept for the op's revision: its chain hash covers the same
    op, so the push puts each op in canonical form once.
    """
    sent = change.get("signature")
    if key.key is None:
        if sent is None:
            return None, None  # a device enrolled before ops were signed: recorded as unsigned
        errors = {"signature": ["this device registered no public key at enrollment; re-enroll it"]}
        return errors, None
    if sent is None:
        return {"signature": ["is required: this device signs its ops"]}, None
    try:
        message = signing.op_message(change)
        signing.verify(key.key, message, sent)
    except signing.SigningError as exc:
        return {"signature": [str(exc)]}, None
    return None, message
