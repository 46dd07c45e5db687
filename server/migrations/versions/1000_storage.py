"""storage: revisions and op records keep each piece of content once (issue 13)

Rewrites the rows stored before it in the forms of server.reports.row_codec:
a pushed revision's changes as the difference from its op, its op without
the ids its row holds, an op record's result without its ids and defaults.
Merge metadata is rewritten too: a stamp whose device is its HLC's node
keeps the device once, inside the HLC (server.reports.store.encode_meta).
On SQLite, person_name_keys (a primary key of every column) becomes a
WITHOUT ROWID table, which keeps each row once instead of twice.
The values read back are the same (the hash chain covers those values, so
no hash changes); only their stored form is shorter.  Downgrade writes the
full forms back.

Revision ID: 1000
Revises: 0900
Create Date: 2026-11-30 07:30:00.000000

"""
import orjson
import sqlalchemy as sa
from alembic import op

from server.reports import row_codec, store

# revision identifiers, used by Alembic.
revision = '1000'
down_revision = '0900'
branch_labels = None
depends_on = None

_CHUNK = 2000
#: Where the node starts in an HLC string (sync.hlc: 16 digits, '-', 5 digits, '-').
_NODE_AT = 23

_revisions = sa.table(
    'report_revisions',
    sa.column('id', sa.Integer()),
    sa.column('report_id', sa.String()),
    sa.column('op_id', sa.String()),
    sa.column('changes', sa.Text()),
    sa.column('op', sa.Text()),
)
_reports = sa.table(
    'reports',
    sa.column('id', sa.String()),
    sa.column('meta', sa.Text()),
)
_ops = sa.table(
    'ops',
    sa.column('op_id', sa.String()),
    sa.column('report_id', sa.String()),
    sa.column('result', sa.Text()),
)


def _dumps(value):
    return orjson.dumps(value).decode()


def _rewrite_revisions(conn, compact):
    last = None
    while True:
        query = sa.select(_revisions).where(_revisions.c.op.is_not(None))
        if last is not None:
            query = query.where(_revisions.c.id > last)
        rows = conn.execute(query.order_by(_revisions.c.id).limit(_CHUNK)).mappings().all()
        if not rows:
            return
        updates = []
        for row in rows:
            changes, signed = row_codec.decoded_revision(row)
            if compact:
                stored = row_codec.stored_revision(dict(row, changes=changes, op=signed))
                new = {'changes': stored['changes'], 'op': stored['op']}
            else:
                new = {'changes': _dumps(changes), 'op': _dumps(signed)}
            if (new['changes'], new['op']) != (row['changes'], row['op']):
                updates.append({'b_id': row['id'], **new})
        if updates:
            conn.execute(
                _revisions.update()
                .where(_revisions.c.id == sa.bindparam('b_id'))
                .values(changes=sa.bindparam('changes'), op=sa.bindparam('op')),
                updates,
            )
        last = rows[-1]['id']


def _full_stamps(meta):
    """Metadata with every shared stamp's device written out (the form before 1000)."""
    data = orjson.loads(meta)
    if isinstance(data, dict):
        return meta
    stamps, units = data
    full = [[k[0], k[1], k[1][_NODE_AT:], k[2]] if len(k) == 3 else k for k in stamps]
    return _dumps([full, units])


def _rewrite_meta(conn, compact):
    last = None
    while True:
        query = sa.select(_reports)
        if last is not None:
            query = query.where(_reports.c.id > last)
        rows = conn.execute(query.order_by(_reports.c.id).limit(_CHUNK)).all()
        if not rows:
            return
        updates = []
        for report_id, meta in rows:
            if compact:
                text = store.encode_meta(store.decode_meta(meta))
            else:
                text = _full_stamps(meta)
            if text != meta:
                updates.append({'b_id': report_id, 'meta': text})
        if updates:
            conn.execute(
                _reports.update()
                .where(_reports.c.id == sa.bindparam('b_id'))
                .values(meta=sa.bindparam('meta')),
                updates,
            )
        last = rows[-1][0]


def _rewrite_results(conn, compact):
    last = None
    while True:
        query = sa.select(_ops)
        if last is not None:
            query = query.where(_ops.c.op_id > last)
        rows = conn.execute(query.order_by(_ops.c.op_id).limit(_CHUNK)).mappings().all()
        if not rows:
            return
        updates = []
        for row in rows:
            result = row_codec.decode_result(row['result'], row['op_id'], row['report_id'])
            if compact:
                text = row_codec.encode_result(result, row['op_id'], row['report_id'])
            else:
                text = _dumps(result)
            if text != row['result']:
                updates.append({'b_op_id': row['op_id'], 'result': text})
        if updates:
            conn.execute(
                _ops.update()
                .where(_ops.c.op_id == sa.bindparam('b_op_id'))
                .values(result=sa.bindparam('result')),
                updates,
            )
        last = rows[-1]['op_id']


_NAME_KEYS_COLUMNS = (
    '"key" VARCHAR(120) NOT NULL, birth_year INTEGER NOT NULL, '
    'report_id VARCHAR(36) NOT NULL, person_id VARCHAR(64) NOT NULL, '
    'PRIMARY KEY ("key", birth_year, report_id, person_id)'
)


def _rebuild_name_keys(conn, suffix):
    """SQLite: person_name_keys as a table with or without rowid (``suffix``).

    Its primary key is all its columns: with a rowid, SQLite keeps every
    row twice (the table and the key's index); without, once.
    """
    conn.exec_driver_sql(f'CREATE TABLE person_name_keys_new ({_NAME_KEYS_COLUMNS}){suffix}')
    conn.exec_driver_sql(
        'INSERT INTO person_name_keys_new ("key", birth_year, report_id, person_id) '
        'SELECT "key", birth_year, report_id, person_id FROM person_name_keys'
    )
    conn.exec_driver_sql('DROP TABLE person_name_keys')
    conn.exec_driver_sql('ALTER TABLE person_name_keys_new RENAME TO person_name_keys')
    conn.exec_driver_sql(
        'CREATE INDEX ix_person_name_keys_report_id ON person_name_keys (report_id)'
    )


def upgrade():
    conn = op.get_bind()
    _rewrite_revisions(conn, compact=True)
    _rewrite_results(conn, compact=True)
    _rewrite_meta(conn, compact=True)
    if conn.dialect.name == 'sqlite':
        _rebuild_name_keys(conn, ' WITHOUT ROWID')


def downgrade():
    conn = op.get_bind()
    if conn.dialect.name == 'sqlite':
        _rebuild_name_keys(conn, '')
    _rewrite_revisions(conn, compact=False)
    _rewrite_results(conn, compact=False)
    _rewrite_meta(conn, compact=False)
