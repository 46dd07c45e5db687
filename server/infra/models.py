"""Database models.

A report's full current document (device fields plus the server-owned ones)
is kept as JSON text in ``reports.doc`` so that a pull can splice it into
its answer without decoding it (``documents.stored_text``: full, ending in a
newline; a row without the newline, stored by an older version, is made full
when read); ``reports.meta`` holds the per-unit merge
metadata of ``sync.merge``.  Columns next to them exist to be filtered,
indexed or counted.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.infra.db import UTCDateTime, db

ROLES = ("officer", "commander", "hq", "admin")


class Post(db.Model):
    """A border post (e.g. NNK Nunukan)."""

    __tablename__ = "posts"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    tz: Mapped[str] = mapped_column(String(40), default="Asia/Jakarta")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class User(db.Model):
    """A person: officer, commander, HQ analyst or admin."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    post_code: Mapped[str | None] = mapped_column(ForeignKey("posts.code"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Device(db.Model):
    """An enrolled field device of one officer; its token is stored only as a hash."""

    __tablename__ = "devices"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_push_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_pull_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Smallest op HLC of the device's latest push: the outbox is sent in HLC
    # order, so every op of this device below it has been acknowledged and
    # its op record may be pruned without letting a replay apply twice.
    acked_hlc: Mapped[str | None] = mapped_column(String(96))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    revoke_reason: Mapped[str | None] = mapped_column(String(500))
    # Set by the silent-devices job when it first finds the device silent,
    # cleared when the device syncs again.
    silent_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The device's ES256 public key (sync.signing wire form), registered at
    # enrollment; None for devices enrolled before ops were signed.
    public_key: Mapped[str | None] = mapped_column(Text)


class EnrollmentCode(db.Model):
    """A one-time, expiring code that enrolls one device for one officer."""

    __tablename__ = "enrollment_codes"
    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    device_id: Mapped[str | None] = mapped_column(String(36))


class ApiToken(db.Model):
    """A bearer token for a script acting as a person (not a device)."""

    __tablename__ = "api_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebSession(db.Model):
    """A signed-in page session; the cookie holds its random id, the row only the id's hash.

    Deleting the row ends the session at once, whatever copies of the
    cookie exist (sign-out, a disabled account, a new password, an admin's
    sign-out-everywhere).
    """

    __tablename__ = "web_sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Report(db.Model):
    """A report's current state, merge metadata and change sequence."""

    __tablename__ = "reports"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    post_code: Mapped[str] = mapped_column(ForeignKey("posts.code"))
    kind: Mapped[str] = mapped_column(String(32))
    rev: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    doc: Mapped[str] = mapped_column(Text)
    meta: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review_status: Mapped[str] = mapped_column(String(16), default="submitted")
    review_note: Mapped[str | None] = mapped_column(Text)
    review_by: Mapped[str | None] = mapped_column(String(64))
    review_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    retracted: Mapped[bool] = mapped_column(Boolean, default=False)
    open_conflicts: Mapped[int] = mapped_column(Integer, default=0)
    # When the report entered its current review status: the queue shows
    # the longest waiting first and the review-SLA job measures from here.
    status_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Derived from the document (server.reports.document.derived_columns) for the
    # queue's filters and the aggregates; occurred_on is the local date of
    # occurred_at in the offset the officer recorded.
    occurred_on: Mapped[date | None] = mapped_column(Date)
    title: Mapped[str | None] = mapped_column(String(200))
    route: Mapped[str | None] = mapped_column(String(200))
    # The words of the text search (server.reports.text_search), indexed by
    # FTS5 on SQLite and a GIN expression index on PostgreSQL (migration 0800).
    search_text: Mapped[str | None] = mapped_column(Text)
    # The document's location, for the GeoJSON export's bbox and its counts.
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    destination_country: Mapped[str | None] = mapped_column(String(2))
    modus_key: Mapped[str | None] = mapped_column(String(200))
    persons: Mapped[int] = mapped_column(Integer, default=0)
    victims: Mapped[int] = mapped_column(Integer, default=0)
    victims_minor: Mapped[int] = mapped_column(Integer, default=0)
    victims_female: Mapped[int] = mapped_column(Integer, default=0)
    suspects: Mapped[int] = mapped_column(Integer, default=0)
    witnesses: Mapped[int] = mapped_column(Integer, default=0)
    foreign_nationals: Mapped[int] = mapped_column(Integer, default=0)
    applicants: Mapped[int] = mapped_column(Integer, default=0)
    # Echo suppression (server.reports.pull): the device whose own op, applied
    # cleanly, made the change at seq ``echo_seq``. It only counts while
    # echo_seq equals seq, so any later write (review, transfer, another
    # device, a resolution) ends it without having to know about it.
    echo_device_id: Mapped[str | None] = mapped_column(String(36))
    echo_seq: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_reports_post_seq", "post_code", "seq"),
        # The queue's counts per status under any of its column filters, and
        # the route suggestions, from this index alone (rows are wide).
        Index(
            "ix_reports_post_filters", "post_code", "review_status", "kind", "occurred_on", "route"
        ),
        Index("ix_reports_status_since", "review_status", "status_since"),
        Index("ix_reports_occurred_on", "occurred_on"),
        # The queue's order (oldest waiting first), within a post and overall.
        Index("ix_reports_post_since", "post_code", "status_since", "id"),
        Index("ix_reports_since", "status_since", "id"),
    )


class ReportBlob(db.Model):
    """A blob (photo, scan) that a report's current document references in ``attachments``.

    Kept by ``server.reports.store`` from every write; it answers who may
    fetch a blob and which attachments have not been uploaded yet.
    """

    __tablename__ = "report_blobs"
    report_id: Mapped[str] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True
    )
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    post_code: Mapped[str] = mapped_column(String(16))
    mime: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_report_blobs_sha256", "sha256"),)


class ReportRevision(db.Model):
    """One committed revision of a report: who changed which units, and to what."""

    __tablename__ = "report_revisions"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    rev: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    by: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str | None] = mapped_column(String(36))
    op_id: Mapped[str | None] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(16))
    changes: Mapped[str] = mapped_column(Text)
    # Evidence (server.evidence): the op as the device signed it, its
    # signature, the hash chain, and the change sequence value the revision
    # was committed under (checkpoints cover sequence ranges).
    op: Mapped[str | None] = mapped_column(Text)
    signature: Mapped[str | None] = mapped_column(String(200))
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))
    seq: Mapped[int | None] = mapped_column(BigInteger, index=True)

    __table_args__ = (UniqueConstraint("report_id", "rev", name="uq_report_revisions_rev"),)


class Conflict(db.Model):
    """A concurrent edit that lost, kept with both sides until a commander resolves it."""

    __tablename__ = "conflicts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    post_code: Mapped[str] = mapped_column(String(16), index=True)
    field: Mapped[str] = mapped_column(String(200))
    kept: Mapped[object | None] = mapped_column(JSON)
    lost: Mapped[object | None] = mapped_column(JSON)
    kept_by: Mapped[str | None] = mapped_column(String(64))
    lost_by: Mapped[str | None] = mapped_column(String(64))
    kept_hlc: Mapped[str | None] = mapped_column(String(96))
    lost_hlc: Mapped[str | None] = mapped_column(String(96))
    kept_device: Mapped[str | None] = mapped_column(String(36))
    lost_device: Mapped[str | None] = mapped_column(String(36))
    rev: Mapped[int] = mapped_column(Integer)
    op_id: Mapped[str | None] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolved_rev: Mapped[int | None] = mapped_column(Integer)


class OpRecord(db.Model):
    """The result of an op a device pushed, kept so a replay returns it unchanged."""

    __tablename__ = "ops"
    op_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(36))
    report_id: Mapped[str | None] = mapped_column(String(36))
    sent_hlc: Mapped[str | None] = mapped_column(String(96))
    result: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_ops_device_hlc", "device_id", "sent_hlc"),)


class Removal(db.Model):
    """A report that left a post's scope (transfer or purge), as a pull entry."""

    __tablename__ = "removals"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    report_id: Mapped[str] = mapped_column(String(36))
    post_code: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_removals_post_seq", "post_code", "seq"),)


class Counter(db.Model):
    """Named counters; ``seq`` orders changes for pull, updated inside each write."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class JobRun(db.Model):
    """The once-only lease and last outcome of a scheduled job."""

    __tablename__ = "job_runs"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_status: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(String(500))


class EvidenceKey(db.Model):
    """A key the server signs checkpoints with; a retired key keeps only its public half."""

    __tablename__ = "evidence_keys"
    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    public_key: Mapped[str] = mapped_column(Text)
    private_key: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class EvidenceCheckpoint(db.Model):
    """A signed Merkle root over the revisions committed in a range of the change sequence."""

    __tablename__ = "evidence_checkpoints"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq_from: Mapped[int] = mapped_column(BigInteger)
    seq_to: Mapped[int] = mapped_column(BigInteger)
    period_start: Mapped[str | None] = mapped_column(String(32))
    period_end: Mapped[str] = mapped_column(String(32))
    count: Mapped[int] = mapped_column(Integer)
    root: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(ForeignKey("evidence_keys.id"))
    signature: Mapped[str] = mapped_column(String(200))
