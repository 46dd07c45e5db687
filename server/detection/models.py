"""The tables of early detection: each report's persons as matching reads them, links, alerts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.infra.db import UTCDateTime, db


class PersonEntry(db.Model):
    """One person of one live (not retracted) report, as matching reads it (server.detection)."""

    __tablename__ = "person_entries"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    person_id: Mapped[str] = mapped_column(String(64))
    post_code: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sex: Mapped[str | None] = mapped_column(String(1))
    age: Mapped[int | None] = mapped_column(Integer)
    name_norm: Mapped[str] = mapped_column(String(200), default="")
    doc_type: Mapped[str | None] = mapped_column(String(32))
    doc_norm: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("report_id", "person_id", name="uq_person_entries_person"),
        Index("ix_person_entries_doc", "doc_norm", "doc_type"),
    )


class PersonNameKey(db.Model):
    """A blocking key of a person's name: name matching compares only persons sharing one."""

    __tablename__ = "person_name_keys"
    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    # Occurrence year minus age: the key's rows are read in a band of birth
    # years, so a common name's block is cut to the persons of a fitting age.
    birth_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)
    person_id: Mapped[str] = mapped_column(String(64), primary_key=True)

    # Every column is in the key: without a rowid SQLite stores a row once.
    __table_args__ = {"sqlite_with_rowid": False}


class PersonLink(db.Model):
    """A person of a report taken for a person of another report; stored both ways."""

    __tablename__ = "person_links"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    report_id: Mapped[str] = mapped_column(String(36), index=True)
    person_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    other_report_id: Mapped[str] = mapped_column(String(36), index=True)
    other_person_id: Mapped[str] = mapped_column(String(64))
    other_post: Mapped[str] = mapped_column(String(16))
    other_kind: Mapped[str] = mapped_column(String(32))
    other_role: Mapped[str] = mapped_column(String(32))
    other_occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    basis: Mapped[str] = mapped_column(String(16))
    score: Mapped[int] = mapped_column(Integer)
    explanation: Mapped[str] = mapped_column(String(300))


class PersonAlert(db.Model):
    """An early-detection alert on a person of a report, about the report that raised it."""

    __tablename__ = "person_alerts"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    report_id: Mapped[str] = mapped_column(String(36), index=True)
    person_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(32))
    other_report_id: Mapped[str] = mapped_column(String(36))
    other_post: Mapped[str] = mapped_column(String(16))
    other_occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_person_alerts_type_report", "type", "report_id"),)


class VehicleEntry(db.Model):
    """One boat or vehicle of one live report, as vehicle matching reads it."""

    __tablename__ = "vehicle_entries"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    report_id: Mapped[str] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    vehicle_id: Mapped[str] = mapped_column(String(64))
    post_code: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    family: Mapped[str] = mapped_column(String(16))
    registration: Mapped[str | None] = mapped_column(String(64))
    reg_norm: Mapped[str | None] = mapped_column(String(64))
    name_norm: Mapped[str] = mapped_column(String(200), default="")
    name_key: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        UniqueConstraint("report_id", "vehicle_id", name="uq_vehicle_entries_vehicle"),
        Index("ix_vehicle_entries_reg", "reg_norm", "family"),
        Index("ix_vehicle_entries_name", "name_key", "family"),
    )


class VehicleLink(db.Model):
    """A vehicle of a report taken for a vehicle of another report; stored both ways.

    A link to a report that occurred earlier is a ``vehicle_seen_before``
    alert: alerts are read from the links, so they clear with them.
    """

    __tablename__ = "vehicle_links"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    report_id: Mapped[str] = mapped_column(String(36), index=True)
    vehicle_id: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    other_report_id: Mapped[str] = mapped_column(String(36), index=True)
    other_vehicle_id: Mapped[str] = mapped_column(String(64))
    other_post: Mapped[str] = mapped_column(String(16))
    other_kind: Mapped[str] = mapped_column(String(32))
    other_occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    basis: Mapped[str] = mapped_column(String(16))
    score: Mapped[int] = mapped_column(Integer)
    explanation: Mapped[str] = mapped_column(String(300))
