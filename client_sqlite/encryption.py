"""The device store encrypted at rest under a key derived from the officer's PIN.

The database is SQLCipher (AES-256 on every page, the WAL included, each
page authenticated), opened with a raw key: the key comes from the PIN
through scrypt (memory-hard: 64 MiB per guess), not from SQLCipher's own
PBKDF2.  The scrypt salt is the random salt SQLCipher keeps in the first
16 bytes of the file, so the file needs no companion to be opened.
Attachment files beside the store are AES-GCM encrypted with a second key
derived from the same secret.

A wrong PIN opens nothing and changes nothing.  There is no wipe after
wrong guesses: a forgotten PIN must never destroy unsynced evidence, so
the file stays until the PIN is remembered (docs/evidence.md, "Lost
phones and forgotten PINs").
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlcipher3 import dbapi2 as sqlcipher

PIN_ENV = "PATROLI_FIELD_PIN"
#: scrypt cost: N=2^16, r=8 (64 MiB of memory per guess), p=1; about a third
#: of a second on a laptop core. Changing it makes existing stores unreadable.
SCRYPT = {"n": 2**16, "r": 8, "p": 1}
SALT_BYTES = 16
MIN_PIN = 6
PLAINTEXT_HEADER = b"SQLite format 3\x00"
BLOB_MAGIC = b"PTLB1"
_NONCE = 12


class StoreLocked(Exception):
    """The store cannot be opened: no PIN, or not the right one. The message says which."""


def check_pin(pin: str) -> None:
    """Refuse a PIN too short to be one."""
    if len(pin) < MIN_PIN:
        raise StoreLocked(f"the PIN must have at least {MIN_PIN} characters")


@lru_cache(maxsize=16)
def _master(pin: str, salt: bytes) -> bytes:
    # Cached per process: reopening a store must not pay for scrypt again.
    return hashlib.scrypt(pin.encode(), salt=salt, dklen=32, maxmem=128 * 1024 * 1024, **SCRYPT)


def _subkey(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


class Keys:
    """The keys of one store: for its pages and for its attachment files."""

    def __init__(self, pin: str, salt: bytes):
        master = _master(pin, salt)
        self.salt = salt
        self.pages = _subkey(master, b"patroli store pages v1")
        self.blobs = AESGCM(_subkey(master, b"patroli store attachments v1"))

    def pragma(self) -> str:
        """The SQLCipher ``PRAGMA key`` statement: raw key and explicit salt."""
        return f"PRAGMA key = \"x'{self.pages.hex()}{self.salt.hex()}'\""

    def seal(self, name: str, data: bytes) -> bytes:
        """An attachment's bytes encrypted, bound to its name (its sha256)."""
        nonce = os.urandom(_NONCE)
        return BLOB_MAGIC + nonce + self.blobs.encrypt(nonce, data, name.encode())

    def open_blob(self, name: str, sealed: bytes) -> bytes:
        """An attachment's bytes back; ``StoreLocked`` if they were not sealed with this key."""
        body = sealed[len(BLOB_MAGIC) :]
        try:
            return self.blobs.decrypt(body[:_NONCE], body[_NONCE:], name.encode())
        except InvalidTag:
            raise StoreLocked(f"attachment {name[:8]}… cannot be decrypted with this PIN") from None


def pin_from_env(pin: str | None) -> str:
    """The PIN given, else ``PATROLI_FIELD_PIN``; ``StoreLocked`` when there is none."""
    pin = pin if pin is not None else os.environ.get(PIN_ENV)
    if not pin:
        raise StoreLocked(f"the store needs the officer's PIN (set {PIN_ENV} for scripts)")
    return pin


def is_plaintext(path: Path) -> bool:
    """True for a store written before encryption (a plain SQLite file)."""
    with path.open("rb") as f:
        return f.read(len(PLAINTEXT_HEADER)) == PLAINTEXT_HEADER


def keys_for(path: Path, pin: str) -> Keys:
    """The keys of the store at ``path`` (a new salt when the file is new or empty)."""
    salt = b""
    if path.exists():
        with path.open("rb") as f:
            salt = f.read(SALT_BYTES)
    if len(salt) < SALT_BYTES:
        check_pin(pin)  # a new store: the PIN is being chosen now
        salt = os.urandom(SALT_BYTES)
    return Keys(pin, salt)


def connect(path: Path, keys: Keys) -> Any:
    """An open SQLCipher connection to ``path``; ``StoreLocked`` for a wrong PIN."""
    conn = sqlcipher.connect(str(path), isolation_level=None, timeout=30, check_same_thread=False)
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(keys.pragma())
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher.DatabaseError:
        conn.close()
        raise StoreLocked("the PIN does not open this store") from None
    return conn


def encrypt_plaintext_store(path: Path, keys: Keys) -> None:
    """Rewrite a plain SQLite store as an encrypted one, in place, all or nothing."""
    plain = sqlcipher.connect(str(path), isolation_level=None)
    try:
        plain.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.encrypting-")
        os.close(fd)
        os.unlink(tmp)  # SQLCipher creates the file itself
        plain.execute(
            f"ATTACH DATABASE ? AS encrypted KEY \"x'{keys.pages.hex()}{keys.salt.hex()}'\"",
            (tmp,),
        )
        plain.execute("SELECT sqlcipher_export('encrypted')")
        plain.execute("DETACH DATABASE encrypted")
    finally:
        plain.close()
    os.chmod(tmp, 0o600)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def seal_plain_blobs(folder: Path, keys: Keys) -> int:
    """Encrypt every attachment file of ``folder`` still in the clear; how many."""
    if not folder.is_dir():
        return 0
    sealed = 0
    for file in folder.iterdir():
        if file.name.startswith(".") or not file.is_file():
            continue
        data = file.read_bytes()
        if data.startswith(BLOB_MAGIC):
            continue
        write_atomically(file, keys.seal(file.name, data))
        sealed += 1
    return sealed


def write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` under ``target`` through a synced temporary file and a rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
