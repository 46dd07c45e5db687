"""search: full-text index of the queue's text search, report points for GeoJSON (issue 13)

Revision ID: 0800
Revises: 0700
Create Date: 2026-11-30 07:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0800'
down_revision = '0700'
branch_labels = None
depends_on = None

# SQLite: an external-content FTS5 table over reports.search_text (the text
# is stored once, in reports), kept in step by triggers so that every write
# path (push, review, transfer, a migration) updates it.  detail=none and
# columnsize=0: the search needs neither positions (no phrase queries) nor
# ranking, and they would double the index.
_FTS_TABLE = (
    "CREATE VIRTUAL TABLE reports_fts USING fts5(search_text, content='reports', "
    "content_rowid='rowid', tokenize='unicode61 remove_diacritics 0', "
    "detail=none, columnsize=0)"
)
_FTS_TRIGGERS = (
    "CREATE TRIGGER reports_fts_insert AFTER INSERT ON reports BEGIN "
    "INSERT INTO reports_fts(rowid, search_text) VALUES (new.rowid, new.search_text); END",
    "CREATE TRIGGER reports_fts_delete AFTER DELETE ON reports BEGIN "
    "INSERT INTO reports_fts(reports_fts, rowid, search_text) "
    "VALUES ('delete', old.rowid, old.search_text); END",
    # Pushes rewrite every column; only a changed text touches the index.
    "CREATE TRIGGER reports_fts_update AFTER UPDATE OF search_text ON reports "
    "WHEN old.search_text IS NOT new.search_text BEGIN "
    "INSERT INTO reports_fts(reports_fts, rowid, search_text) "
    "VALUES ('delete', old.rowid, old.search_text); "
    "INSERT INTO reports_fts(rowid, search_text) VALUES (new.rowid, new.search_text); END",
)
# PostgreSQL: the words as a stored tsvector (without positions: no phrase
# queries), indexed by GIN.  Stored, not an expression index: a word in most
# reports makes the planner read the rows, and recomputing to_tsvector for
# each of them cost ~45 µs a row (4.6 s against 0.18 s at 100,000 reports).
_PG_VECTOR = (
    "ALTER TABLE reports ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    "(strip(to_tsvector('simple'::regconfig, coalesce(search_text, ''::text)))) STORED"
)
_PG_INDEX = "CREATE INDEX ix_reports_search ON reports USING gin (search_vector)"
_BATCH = 2000


def upgrade():
    op.add_column('reports', sa.Column('lon', sa.Float(), nullable=True))
    op.add_column('reports', sa.Column('lat', sa.Float(), nullable=True))
    _backfill()
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(_FTS_TABLE)
        op.execute("INSERT INTO reports_fts(reports_fts) VALUES ('rebuild')")
        for trigger in _FTS_TRIGGERS:
            op.execute(trigger)
    else:
        op.execute(_PG_VECTOR)
        op.execute(_PG_INDEX)
    # The queue's counts per status under any column filter (and the route
    # suggestions) from one index: it replaces (post_code, review_status),
    # whose leading columns it keeps.  Report rows are wide (the document
    # inline), so reading 50,000 of them cost a commander ~250 ms CPU a count.
    op.drop_index('ix_reports_post_status', table_name='reports')
    op.create_index('ix_reports_post_filters', 'reports',
                    ['post_code', 'review_status', 'kind', 'occurred_on', 'route'])
    # The queue's page order (oldest waiting first) within a post and overall.
    op.create_index('ix_reports_post_since', 'reports', ['post_code', 'status_since', 'id'])
    op.create_index('ix_reports_since', 'reports', ['status_since', 'id'])


def _backfill():
    """Search words in the new form (text_search.indexed_text) and the points, in batches."""
    import orjson

    from server.reports.document import point, search_text

    conn = op.get_bind()
    reports = sa.table(
        'reports', sa.column('id', sa.String), sa.column('doc', sa.Text),
        sa.column('search_text', sa.Text), sa.column('lon', sa.Float), sa.column('lat', sa.Float),
    )
    update = (
        reports.update().where(reports.c.id == sa.bindparam('key'))
        .values(search_text=sa.bindparam('words'), lon=sa.bindparam('x'), lat=sa.bindparam('y'))
    )
    last = ''
    while True:
        rows = conn.execute(
            sa.select(reports.c.id, reports.c.doc).where(reports.c.id > last)
            .order_by(reports.c.id).limit(_BATCH)
        ).all()
        if not rows:
            return
        params = []
        for report_id, doc in rows:
            parsed = orjson.loads(doc)
            lon, lat = point(parsed)
            params.append({'key': report_id, 'words': search_text(parsed), 'x': lon, 'y': lat})
        conn.execute(update, params)
        last = rows[-1][0]


def downgrade():
    op.drop_index('ix_reports_since', table_name='reports')
    op.drop_index('ix_reports_post_since', table_name='reports')
    op.drop_index('ix_reports_post_filters', table_name='reports')
    op.create_index('ix_reports_post_status', 'reports', ['post_code', 'review_status'])
    if op.get_bind().dialect.name == 'sqlite':
        for name in ('reports_fts_insert', 'reports_fts_delete', 'reports_fts_update'):
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE reports_fts")
    else:
        op.execute("DROP INDEX ix_reports_search")
        op.execute("ALTER TABLE reports DROP COLUMN search_vector")
    # A plain DROP COLUMN: batch mode would rebuild reports on SQLite and
    # lose the triggers of 0700 (counts).
    op.execute("ALTER TABLE reports DROP COLUMN lat")
    op.execute("ALTER TABLE reports DROP COLUMN lon")
