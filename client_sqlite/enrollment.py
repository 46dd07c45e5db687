"""Enrolling a device store: a fresh signing key, registered with the enrollment."""

from __future__ import annotations

from typing import Any

from client_sqlite.store import Store
from sync import signing
from sync.transport import Transport


def enroll(store: Store, transport: Transport, code: str, name: str) -> dict[str, Any]:
    """Enroll ``store`` through ``transport`` with ``code``; the server's answer.

    A new key is made for every enrollment, so a re-enrolled phone signs
    with a key the server has never seen before; it is kept only once the
    server has accepted it.
    """
    key = signing.new_private_key()
    answer = transport.enroll(code, name, public_key=signing.public_key_text(key))
    store.save_enrollment(transport.base_url, answer, signing_key=signing.private_key_pem(key))
    return answer
