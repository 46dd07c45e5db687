"""post periods keyed by period, post, kind, status: post groupings read in key order (issue 13)

aggregate_post_periods was keyed (period, review_status, post_code, kind),
so grouping by period and post (and kind) sorted the whole table first: at
1,000,000 reports that sort was most of a post,kind,week answer.  Keyed
(period, post_code, kind, review_status) the rows arrive grouped.  The rows
and the triggers that keep them do not change: an upsert's ON CONFLICT
names the key's columns, in any order.

Revision ID: 1100
Revises: 1000
Create Date: 2026-11-30 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1100'
down_revision = '1000'
branch_labels = None
depends_on = None

TABLE = 'aggregate_post_periods'
OLD_KEY = ('period', 'review_status', 'post_code', 'kind')
NEW_KEY = ('period', 'post_code', 'kind', 'review_status')
MEASURES = (
    'reports', 'persons', 'victims', 'victims_minor', 'victims_female', 'suspects',
    'witnesses', 'foreign_nationals', 'applicants',
)
_WIDTH = {'post_code': 16, 'kind': 32, 'review_status': 16}


def _key_column(name):
    if name == 'period':
        return sa.Column(name, sa.Date(), nullable=False)
    return sa.Column(name, sa.String(length=_WIDTH[name]), nullable=False)


def _rekey(key):
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'ALTER TABLE {TABLE} DROP CONSTRAINT pk_{TABLE}, '
                   f'ADD CONSTRAINT pk_{TABLE} PRIMARY KEY ({", ".join(key)})')
        return
    # SQLite cannot change a primary key: the rows are copied into a table
    # with the new key, which then takes the old one's name.  Not with
    # batch mode, and not on reports: rebuilding reports would drop every
    # trigger on it.  The count triggers name this table in their bodies;
    # while it is gone a checked rename refuses ("error in trigger"), so
    # the rename runs unchecked (legacy_alter_table), and the triggers find
    # the new table by its name.
    staged = f'{TABLE}_rekeyed'
    op.create_table(
        staged,
        *(_key_column(k) for k in key),
        *(sa.Column(m, sa.BigInteger(), nullable=False) for m in MEASURES),
        sa.PrimaryKeyConstraint(*key, name=f'pk_{TABLE}'),
        sqlite_with_rowid=False,
    )
    columns = ', '.join((*key, *MEASURES))
    op.execute(f'INSERT INTO {staged} ({columns}) SELECT {columns} FROM {TABLE}')
    op.drop_table(TABLE)
    op.execute('PRAGMA legacy_alter_table = ON')
    op.execute(f'ALTER TABLE {staged} RENAME TO {TABLE}')
    op.execute('PRAGMA legacy_alter_table = OFF')


def upgrade():
    _rekey(NEW_KEY)


def downgrade():
    _rekey(OLD_KEY)
