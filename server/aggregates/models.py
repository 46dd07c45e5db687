"""The count tables behind the aggregates, kept by database triggers on ``reports``.

Migration 0700 creates them with the triggers: every insert, update or
delete of a ``reports`` row adjusts the cells of the old and the new state
in the same transaction, on SQLite and PostgreSQL alike, whatever code
path wrote the row (push, review, conflict resolution, a transfer, a
purge).  Nothing in the server writes these tables; an empty cell is
deleted by the trigger that empties it.

* ``aggregate_cells``: one row per day and full key, for exact day ranges
  and for groupings that mix posts or kinds with places or modus;
* ``aggregate_post_periods`` and ``aggregate_place_periods``: the same
  counts per *period* (the days one ISO week shares with one month, so
  weeks and months are both whole numbers of periods), keyed only by what
  their groupings need: a few thousand rows where the cells are hundreds
  of thousands.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from server.infra.db import db

#: The day a report without ``occurred_on`` is counted under (a key cannot
#: be NULL); readers turn it back into "no day".
NO_DAY = date(1, 1, 1)


class _Measures:
    """The summed counts of a cell: reports and the per-report count columns."""

    reports: Mapped[int] = mapped_column(BigInteger)
    persons: Mapped[int] = mapped_column(BigInteger)
    victims: Mapped[int] = mapped_column(BigInteger)
    victims_minor: Mapped[int] = mapped_column(BigInteger)
    victims_female: Mapped[int] = mapped_column(BigInteger)
    suspects: Mapped[int] = mapped_column(BigInteger)
    witnesses: Mapped[int] = mapped_column(BigInteger)
    foreign_nationals: Mapped[int] = mapped_column(BigInteger)
    applicants: Mapped[int] = mapped_column(BigInteger)


class AggregateCell(_Measures, db.Model):
    """Counts of the committed, non-retracted reports of one day and full key."""

    __tablename__ = "aggregate_cells"
    __table_args__ = {"sqlite_with_rowid": False}
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    post_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    review_status: Mapped[str] = mapped_column(String(16), primary_key=True)
    destination_country: Mapped[str] = mapped_column(String(2), primary_key=True)
    modus_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    # The day's period (not part of the key): readers sum days per period
    # in SQL, several times fewer rows than days.
    period: Mapped[date] = mapped_column(Date)


class AggregatePostPeriod(_Measures, db.Model):
    """Counts per period, post, kind and review status.

    Keyed in that order (migration 1100): grouped by period and post, or
    period, post and kind, the rows are read in key order, without a sort.
    """

    __tablename__ = "aggregate_post_periods"
    __table_args__ = {"sqlite_with_rowid": False}
    period: Mapped[date] = mapped_column(Date, primary_key=True)
    post_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    review_status: Mapped[str] = mapped_column(String(16), primary_key=True)


class AggregatePlacePeriod(_Measures, db.Model):
    """Counts per period, review status, destination and modus set."""

    __tablename__ = "aggregate_place_periods"
    __table_args__ = {"sqlite_with_rowid": False}
    period: Mapped[date] = mapped_column(Date, primary_key=True)
    review_status: Mapped[str] = mapped_column(String(16), primary_key=True)
    destination_country: Mapped[str] = mapped_column(String(2), primary_key=True)
    modus_key: Mapped[str] = mapped_column(String(200), primary_key=True)
