"""The case file: its layout, and checking one offline, without any server.

A case file is a zip holding

- ``case.json``: the report, every revision (author, device, time, the op as
  the device signed it, its signature, the chain hashes), conflicts, the
  devices' public keys, attachment metadata, the checkpoints that cover the
  revisions with an inclusion proof for each, and the server's public keys;
- ``case.sig``: the server's signature over the exact bytes of ``case.json``;
- ``attachments/<sha256>``: every attachment as stored;
- ``ringkasan.html``: a printable summary in Bahasa Indonesia (not checked:
  it is a reading aid, and says so).

:func:`verify` returns the first thing that does not hold, in the order a
reader would want to know it, or None when everything holds.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from typing import IO, Any

import orjson

from sync import chain, signing

FORMAT = "patroli-case-file/1"
CASE = "case.json"
SIGNATURE = "case.sig"
SUMMARY = "ringkasan.html"
ATTACHMENTS = "attachments/"


class CaseFileError(Exception):
    """The first item of a case file that does not hold; the message names it."""


@dataclass(frozen=True, kw_only=True)
class Verified:
    """What a case file that holds contains."""

    report_id: str
    revisions: int
    attachments: int
    checkpoints: int
    server_keys: list[str]


def _short(sha: str) -> str:
    return sha[:4] + "…" if len(sha) > 4 else sha


def _read(source: str | IO[bytes]) -> tuple[bytes, dict[str, Any], dict[str, bytes]]:
    try:
        with zipfile.ZipFile(source) as archive:
            names = set(archive.namelist())
            if CASE not in names or SIGNATURE not in names:
                raise CaseFileError(f"the file holds no {CASE} or no {SIGNATURE}")
            raw = archive.read(CASE)
            files = {
                name[len(ATTACHMENTS) :]: archive.read(name)
                for name in names
                if name.startswith(ATTACHMENTS) and name != ATTACHMENTS
            }
            files[SIGNATURE] = archive.read(SIGNATURE)
    except (zipfile.BadZipFile, OSError) as exc:
        raise CaseFileError(f"the file is not a readable case file ({exc})") from None
    try:
        case = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise CaseFileError(f"{CASE} is not JSON") from None
    if not isinstance(case, dict) or case.get("format") != FORMAT:
        raise CaseFileError(f"{CASE} is not a {FORMAT} case file")
    return raw, case, files


def _server_key(case: dict[str, Any], key_id: Any) -> Any:
    for key in case.get("server_keys") or []:
        if key.get("key_id") == key_id:
            try:
                return signing.load_public_key(key.get("public_key"))
            except signing.SigningError:
                break
    raise CaseFileError(f"server key {key_id} is not in the case file")


def _check_case_signature(raw: bytes, case: dict[str, Any], sig: bytes) -> None:
    try:
        envelope = orjson.loads(sig)
        key = _server_key(case, envelope.get("key_id"))
        signing.verify(key, raw, envelope.get("signature"))
    except (orjson.JSONDecodeError, AttributeError, signing.SigningError):
        raise CaseFileError("the server's signature of case.json is invalid") from None


def _check_attachments(case: dict[str, Any], files: dict[str, bytes]) -> None:
    listed = (case.get("report") or {}).get("attachments") or {}
    for sha in sorted(listed):
        body = files.get(sha)
        if body is None:
            raise CaseFileError(f"attachment {_short(sha)} is missing")
        if hashlib.sha256(body).hexdigest() != sha:
            raise CaseFileError(f"attachment {_short(sha)} does not match its hash")


def _check_signatures(case: dict[str, Any]) -> None:
    devices = case.get("devices") or {}
    for revision in case.get("revisions") or []:
        n, signature = revision.get("rev"), revision.get("signature")
        if signature is None:
            continue  # an unsigned device (enrolled before ops were signed), or the server
        op = revision.get("op")
        text = (devices.get(revision.get("device_id")) or {}).get("public_key")
        try:
            key = signing.load_public_key(text)
            if not isinstance(op, dict) or op.get("report_id") != case.get("report_id"):
                raise signing.SigningError("not an op of this report")
            signing.verify(key, signing.canonical(op), signature)
        except signing.SigningError:
            raise CaseFileError(f"revision {n}: signature invalid") from None


def _check_chain(case: dict[str, Any]) -> None:
    revisions = case.get("revisions") or []
    broken = chain.chain_breaks(revisions)
    if broken:
        raise CaseFileError(broken)
    report = case.get("report") or {}
    if not revisions or revisions[-1]["rev"] != report.get("rev"):
        raise CaseFileError(
            f"the history ends at revision {len(revisions)} but the report is at "
            f"revision {report.get('rev')}"
        )


def _check_checkpoints(case: dict[str, Any]) -> None:
    hashes = {r["rev"]: r["hash"] for r in case["revisions"]}
    anchored = set()
    for checkpoint in case.get("checkpoints") or []:
        cid = checkpoint.get("id")
        try:
            key = _server_key(case, checkpoint.get("key_id"))
            signing.verify(key, chain.checkpoint_statement(checkpoint), checkpoint.get("signature"))
        except (CaseFileError, signing.SigningError):
            raise CaseFileError(f"checkpoint {cid}: signature invalid") from None
        for proof in checkpoint.get("inclusions") or []:
            rev = proof.get("rev")
            if not chain.proves_inclusion(
                hashes.get(rev, ""),
                proof.get("index", -1),
                checkpoint.get("count", 0),
                proof.get("proof") or [],
                checkpoint.get("root", ""),
            ):
                raise CaseFileError(f"revision {rev}: not in checkpoint {cid}")
            anchored.add(rev)
    last = case["revisions"][-1]["rev"]
    if last not in anchored:
        raise CaseFileError(f"revision {last}: no checkpoint covers it")


def verify(source: str | IO[bytes]) -> Verified:
    """Check a case file offline; :class:`CaseFileError` names the first item that fails."""
    raw, case, files = _read(source)
    signature = files.pop(SIGNATURE)
    # The specific checks come first, so that a change is named for what
    # it broke; the server's signature over the whole of case.json then
    # catches whatever they do not cover (conflicts, device names, ...).
    _check_attachments(case, files)
    _check_signatures(case)
    _check_chain(case)
    _check_checkpoints(case)
    _check_case_signature(raw, case, signature)
    return Verified(
        report_id=case.get("report_id", ""),
        revisions=len(case["revisions"]),
        attachments=len((case.get("report") or {}).get("attachments") or {}),
        checkpoints=len(case.get("checkpoints") or []),
        server_keys=sorted(
            {c["key_id"] for c in case.get("checkpoints") or []}
            | {orjson.loads(signature)["key_id"]}
        ),
    )
