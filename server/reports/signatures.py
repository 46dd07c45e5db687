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


def signature_errors(key: DeviceKey, change: dict[str, Any]) -> dict[str, list[str]] | None:
    """Field errors when ``change``'s signature does not hold for its device, else None."""
    sent = change.get("signature")
    if key.key is None:
        if sent is None:
            return None  # a device enrolled before ops were signed: recorded as unsigned
        return {"signature": ["this device registered no public key at enrollment; re-enroll it"]}
    if sent is None:
        return {"signature": ["is required: this device signs its ops"]}
    try:
        signing.verify_op(key.key, change)
    except signing.SigningError as exc:
        return {"signature": [str(exc)]}
    return None
