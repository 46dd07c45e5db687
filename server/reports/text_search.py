"""The queue's free-text search: what a word is, what a query matches, and the SQL for it.

Semantics (docs/dashboard.md, "Text search"): a *word* is a maximal run of
letters and digits (Unicode categories L and N), compared lower-cased.  A
query is split into words the same way; a report matches when every query
word is the beginning of some word of its searchable text (title, route,
place, narrative; never person names).  A query without any word filters
nothing.

``reports.search_text`` keeps the report's words, lower-cased and joined by
single spaces, so that SQLite's FTS5 ``unicode61`` tokenizer and
PostgreSQL's ``simple`` text-search configuration both split it into
exactly these words; the indexes (migration 0800) are kept in step by
triggers on SQLite and are a generated tsvector column with a GIN index on
PostgreSQL.
"""

from __future__ import annotations

import re

from sqlalchemy import bindparam, func, literal_column, select, text
from sqlalchemy.sql.elements import ColumnElement

from server.infra.db import db
from server.infra.models import Report

reports = Report.__table__

# A letter or digit (``str.isalnum``: categories L* and N*), never "_".
_WORD = re.compile(r"[^\W_]+")

#: On PostgreSQL, ``reports.search_vector`` (migration 0800, not in the model:
#: a column PostgreSQL generates) holds the words as a tsvector of the
#: ``simple`` configuration, which only lower-cases (texts mix Indonesian and
#: English, so no language's stemming fits).
PG_VECTOR = "reports.search_vector"


def words(value: str) -> list[str]:
    """The words of ``value``, lower-cased, in order."""
    return _WORD.findall(value.lower())


def indexed_text(parts: list[str]) -> str:
    """What ``reports.search_text`` stores for these texts: their words, space-separated."""
    return " ".join(w for part in parts for w in words(part))


def _fts5_query(terms: list[str]) -> str:
    """An FTS5 query: every term as a quoted prefix, ANDed."""
    return " AND ".join(f'"{term}"*' for term in terms)


def _tsquery(terms: list[str]) -> str:
    """A PostgreSQL tsquery: every term as a quoted prefix, ANDed."""
    return " & ".join(f"'{term}':*" for term in terms)


def match_clause(query: str, narrowed: bool = False) -> ColumnElement[bool] | None:
    """The condition "the report matches ``query``" (None when the query has no word).

    ``narrowed``: other conditions already select a post's reports.  SQLite
    then tests each of those index entries against the words' matches
    instead of reading the row of every match (a word in most of a million
    reports: ~0.3 s instead of ~2 s of CPU at a 50,000-report post).
    """
    terms = sorted(set(words(query)))
    if not terms:
        return None
    if db.session.get_bind().dialect.name == "postgresql":
        wanted = func.to_tsquery(
            literal_column("'simple'::regconfig"),
            bindparam("fts_query", _tsquery(terms), unique=True),
        )
        return literal_column(PG_VECTOR).op("@@")(wanted)
    matched = (
        select(literal_column("rowid"))
        .select_from(text("reports_fts"))
        .where(text("reports_fts MATCH :fts_query").bindparams(fts_query=_fts5_query(terms)))
    )
    # A unary "+" keeps SQLite from driving the query by rowid from the matches.
    return literal_column("+reports.rowid" if narrowed else "reports.rowid").in_(matched)
