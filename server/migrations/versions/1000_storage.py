"""storage: revisions and op records keep each piece of content once (issue 13)

Rewrites the rows stored before it in the forms of server.reports.row_codec:
a pushed revision's changes as the difference from its op, its op without
the ids its row holds, an op record's result without its ids and defaults.
On SQLite, person_name_keys (a primary key of every column) becomes a
WITHOUT ROWID table, which keeps each row once instead of twice.
The values read back are the same (the hash chain covers those values, so
no hash changes); only their stored form is shorter.  Downgrade writes the
full forms back.

Revision ID: 1000
Revises: 0600
Create Date: 2026-11-30 07:30:00.000000

"""
import orjson
import sqlalchemy as sa
from alembic import op

from server.reports import row_codec

# revision identifiers, used by Alembic.
revision = '1000'
down_revision = '0600'
branch_labels = None
depends_on = None

_CHUNK = 2000

_revisions = sa.table(
    'report_revisions',
    sa.column('id', sa.Integer()),
    sa.column('report_id', sa.String()),
    sa.column('op_id', sa.String()),
    sa.column('changes', sa.Text()),
    sa.column('op', sa.Text()),
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
    if conn.dialect.name == 'sqlite':
        _rebuild_name_keys(conn, ' WITHOUT ROWID')


def downgrade():
    conn = op.get_bind()
    if conn.dialect.name == 'sqlite':
        _rebuild_name_keys(conn, '')
    _rewrite_revisions(conn, compact=False)
    _rewrite_results(conn, compact=False)
