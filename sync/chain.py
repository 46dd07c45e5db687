"""The hash chain of a report's revisions and the Merkle tree of a checkpoint.

Each revision's hash covers what it records and the hash of the revision
before it, so a revision edited, removed, reordered or inserted breaks
every hash after it.  A checkpoint is a Merkle tree (RFC 6962 hashing:
``0x00`` before a leaf, ``0x01`` before two children, so a leaf can never
pass for a node) over the revision hashes of a period, and the server
signs its root: an inclusion proof then shows that a revision existed, as
it is, when the checkpoint was signed.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sync.signing import canonical

#: What a revision's hash covers, besides the previous hash (``prev``).
REVISION_KEYS = (
    "report_id",
    "rev",
    "at",
    "by",
    "device_id",
    "op_id",
    "action",
    "changes",
    "op",
    "signature",
)


def revision_hash(revision: dict[str, Any], prev: str | None) -> str:
    """The chain hash of a revision (its fields as JSON values) after ``prev``."""
    body = {key: revision.get(key) for key in REVISION_KEYS}
    body["prev"] = prev
    return hashlib.sha256(canonical(body)).hexdigest()


def chain_breaks(revisions: list[dict[str, Any]]) -> str | None:
    """The first fault of a report's chain (revisions in order), or None if it holds.

    Each revision carries ``rev``, ``prev_hash`` and ``hash`` besides the
    fields :func:`revision_hash` covers.
    """
    prev = None
    for i, revision in enumerate(revisions, start=1):
        if revision.get("rev") != i:
            return f"revision {i}: missing or out of order (found revision {revision.get('rev')})"
        if revision.get("prev_hash") != prev:
            return f"revision {i}: does not follow revision {i - 1}"
        if revision_hash(revision, prev) != revision.get("hash"):
            return f"revision {i}: its content does not match its hash"
        prev = revision["hash"]
    return None


def _leaf(value: str) -> bytes:
    return hashlib.sha256(b"\x00" + bytes.fromhex(value)).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two below ``n`` (RFC 6962's split point)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _root(leaves: list[bytes]) -> bytes:
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return _node(_root(leaves[:k]), _root(leaves[k:]))


def merkle_root(hashes: list[str]) -> str:
    """The root over revision hashes (hex), in checkpoint order."""
    if not hashes:
        return hashlib.sha256(b"").hexdigest()
    return _root([_leaf(h) for h in hashes]).hex()


def _path(leaves: list[bytes], index: int) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return [*_path(leaves[:k], index), _root(leaves[k:])]
    return [*_path(leaves[k:], index - k), _root(leaves[:k])]


def inclusion_proof(hashes: list[str], index: int) -> list[str]:
    """The audit path of ``hashes[index]`` (hex, leaf to root)."""
    return [h.hex() for h in _path([_leaf(h) for h in hashes], index)]


def proves_inclusion(value: str, index: int, size: int, proof: list[str], root: str) -> bool:
    """True when ``proof`` shows ``value`` is leaf ``index`` of a tree of ``size`` with ``root``."""
    if not 0 <= index < size:
        return False
    try:
        return _recompute(_leaf(value), index, size, [bytes.fromhex(p) for p in proof]) == (
            bytes.fromhex(root)
        )
    except ValueError:
        return False


def _recompute(leaf: bytes, index: int, size: int, proof: list[bytes]) -> bytes:
    if size == 1:
        if proof:
            raise ValueError("proof too long")
        return leaf
    if not proof:
        raise ValueError("proof too short")
    k = _split(size)
    *inner, sibling = proof
    if index < k:
        return _node(_recompute(leaf, index, k, inner), sibling)
    return _node(sibling, _recompute(leaf, index - k, size - k, inner))


def checkpoint_statement(checkpoint: dict[str, Any]) -> bytes:
    """The bytes the server signs for a checkpoint."""
    keys = ("id", "seq_from", "seq_to", "period_start", "period_end", "count", "root", "key_id")
    return canonical({"checkpoint": {key: checkpoint.get(key) for key in keys}})
