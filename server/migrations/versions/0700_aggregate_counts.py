"""aggregate counts: maintained by triggers on reports, replacing the roll-up (issue 13)

Revision ID: 0700
Revises: 0600
Create Date: 2026-11-30 07:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0700'
down_revision = '0600'
branch_labels = None
depends_on = None

# The SQL of this revision is written out here (not imported from server
# code) so that a later change to the server cannot change what it did.

MEASURES = (
    'persons', 'victims', 'victims_minor', 'victims_female', 'suspects', 'witnesses',
    'foreign_nationals', 'applicants',
)
#: Every reports column a count depends on: an update touching none of
#: them (a narrative edit, a pull bookkeeping change) fires nothing.
WATCHED = (
    'post_code', 'kind', 'occurred_on', 'review_status', 'destination_country', 'modus_key',
    'retracted', *MEASURES,
)
#: A report without a day is counted under this one (keys cannot be NULL:
#: an upsert never matches a NULL key); readers map it back to "no day".
NO_DAY = '0001-01-01'

_DAY = {
    'sqlite': f"coalesce({{r}}.occurred_on, '{NO_DAY}')",
    'postgresql': f"coalesce({{r}}.occurred_on, date '{NO_DAY}')",
}
# A period is the days one ISO week shares with one month: its first day is
# the later of the week's Monday and the month's first day.  Weeks and
# months are both whole numbers of periods.
_PERIOD = {
    'sqlite': "max(date({d}, 'weekday 0', '-6 days'), date({d}, 'start of month'))",
    'postgresql': (
        "greatest(date_trunc('week', ({d})::timestamp)::date, "
        "date_trunc('month', ({d})::timestamp)::date)"
    ),
}
_KEYS = {
    'post_code': '{r}.post_code',
    'kind': "coalesce({r}.kind, '')",
    'review_status': "coalesce({r}.review_status, '')",
    'destination_country': "coalesce({r}.destination_country, '')",
    'modus_key': "coalesce({r}.modus_key, '')",
}
TABLES = {
    'aggregate_cells': ('day', 'post_code', 'kind', 'review_status', 'destination_country',
                        'modus_key'),
    'aggregate_post_periods': ('period', 'review_status', 'post_code', 'kind'),
    'aggregate_place_periods': ('period', 'review_status', 'destination_country', 'modus_key'),
}
#: Columns stored beside a table's key, set when its cell is created: the
#: day cells carry their period, so a reader can sum days into periods.
EXTRA = {'aggregate_cells': ('period',)}
_WIDTH = {'post_code': 16, 'kind': 32, 'review_status': 16, 'destination_country': 2,
          'modus_key': 200}


def _key(dialect, column, r):
    day = _DAY[dialect].format(r=r)
    if column == 'day':
        return day
    if column == 'period':
        return _PERIOD[dialect].format(d=day)
    return _KEYS[column].format(r=r)


def _counted(dialect, r):
    if dialect == 'sqlite':
        return f'coalesce({r}.retracted, 0) = 0'
    return f'NOT coalesce({r}.retracted, false)'


def _upsert_row(dialect, table, r):
    """Add one report's counts (row alias ``r``) to its cell of ``table``."""
    keys = TABLES[table]
    extra = EXTRA.get(table, ())
    columns = ', '.join((*keys, *extra, 'reports', *MEASURES))
    values = ', '.join((*(_key(dialect, k, r) for k in (*keys, *extra)), '1',
                        *(f'coalesce({r}.{m}, 0)' for m in MEASURES)))
    sets = ', '.join(f'{c} = {table}.{c} + excluded.{c}' for c in ('reports', *MEASURES))
    return (f'INSERT INTO {table} ({columns}) SELECT {values} WHERE {_counted(dialect, r)} '
            f'ON CONFLICT ({", ".join(keys)}) DO UPDATE SET {sets};')


def _subtract_row(dialect, table, r):
    """Take one report's counts out of its cell and drop the cell once empty."""
    keys = TABLES[table]
    match = ' AND '.join(f'{k} = {_key(dialect, k, r)}' for k in keys)
    sets = ', '.join(['reports = reports - 1',
                      *(f'{m} = {m} - coalesce({r}.{m}, 0)' for m in MEASURES)])
    counted = _counted(dialect, r)
    return (f'UPDATE {table} SET {sets} WHERE {match} AND {counted};\n'
            f'DELETE FROM {table} WHERE {match} AND reports = 0;')


def _grouped(dialect, table, source, r):
    """``SELECT`` of the cells of ``table`` summed from the rows of ``source``."""
    keys = TABLES[table]
    select = ', '.join((*(_key(dialect, k, r) for k in keys),
                        *(f'min({_key(dialect, k, r)})' for k in EXTRA.get(table, ())),
                        'count(*)', *(f'sum(coalesce({r}.{m}, 0))' for m in MEASURES)))
    group = ', '.join(str(i + 1) for i in range(len(keys)))
    return (f'SELECT {select} FROM {source} {r} WHERE {_counted(dialect, r)} '
            f'GROUP BY {group}')


def _add_grouped(dialect, table, source, r):
    keys = TABLES[table]
    columns = ', '.join((*keys, *EXTRA.get(table, ()), 'reports', *MEASURES))
    sets = ', '.join(f'{c} = {table}.{c} + excluded.{c}' for c in ('reports', *MEASURES))
    return (f'INSERT INTO {table} ({columns}) {_grouped(dialect, table, source, r)} '
            f'ON CONFLICT ({", ".join(keys)}) DO UPDATE SET {sets};')


def _changed(dialect, old='old', new='new'):
    differs = 'IS NOT' if dialect == 'sqlite' else 'IS DISTINCT FROM'
    return ' OR '.join(f'{old}.{c} {differs} {new}.{c}' for c in WATCHED)


def _sqlite_triggers():
    d = 'sqlite'
    yield ('CREATE TRIGGER aggregate_counts_insert AFTER INSERT ON reports BEGIN\n'
           + '\n'.join(_upsert_row(d, t, 'new') for t in TABLES) + '\nEND')
    yield ('CREATE TRIGGER aggregate_counts_delete AFTER DELETE ON reports BEGIN\n'
           + '\n'.join(_subtract_row(d, t, 'old') for t in TABLES) + '\nEND')
    yield (f'CREATE TRIGGER aggregate_counts_update AFTER UPDATE ON reports '
           f'WHEN {_changed(d)} BEGIN\n'
           + '\n'.join(_subtract_row(d, t, 'old') for t in TABLES) + '\n'
           + '\n'.join(_upsert_row(d, t, 'new') for t in TABLES) + '\nEND')


def _pg_function(name, body):
    return (f'CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n'
            f'{body}\nRETURN NULL;\nEND\n$$')


def _postgres_triggers():
    d = 'postgresql'
    # A push inserts its new reports in one COPY: one statement-level
    # trigger sums the whole batch per cell.  Updates and deletes are rare
    # and per row; the WHEN clause skips updates that move no count without
    # entering PL/pgSQL at all.
    yield _pg_function('aggregate_counts_insert',
                       '\n'.join(_add_grouped(d, t, 'new_rows', 'n') for t in TABLES))
    yield ('CREATE TRIGGER aggregate_counts_insert AFTER INSERT ON reports '
           'REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT '
           'EXECUTE FUNCTION aggregate_counts_insert()')
    yield _pg_function('aggregate_counts_delete',
                       '\n'.join(_subtract_row(d, t, 'OLD') for t in TABLES))
    yield ('CREATE TRIGGER aggregate_counts_delete AFTER DELETE ON reports FOR EACH ROW '
           'EXECUTE FUNCTION aggregate_counts_delete()')
    yield _pg_function('aggregate_counts_update',
                       '\n'.join(_subtract_row(d, t, 'OLD') for t in TABLES) + '\n'
                       + '\n'.join(_upsert_row(d, t, 'NEW') for t in TABLES))
    yield (f'CREATE TRIGGER aggregate_counts_update AFTER UPDATE ON reports FOR EACH ROW '
           f'WHEN ({_changed(d, "OLD", "NEW")}) EXECUTE FUNCTION aggregate_counts_update()')


def _key_column(name):
    if name in ('day', 'period'):
        return sa.Column(name, sa.Date(), nullable=False)
    return sa.Column(name, sa.String(length=_WIDTH[name]), nullable=False)


def upgrade():
    dialect = op.get_bind().dialect.name
    for table, keys in TABLES.items():
        op.create_table(
            table,
            *(_key_column(k) for k in (*keys, *EXTRA.get(table, ()))),
            sa.Column('reports', sa.BigInteger(), nullable=False),
            *(sa.Column(m, sa.BigInteger(), nullable=False) for m in MEASURES),
            sa.PrimaryKeyConstraint(*keys, name=f'pk_{table}'),
            sqlite_with_rowid=False,
        )
    # Backfill before the triggers exist: on PostgreSQL the whole upgrade
    # is one transaction, on SQLite the server's migration lock keeps
    # writers out, so no report changes in between.
    for table in TABLES:
        columns = ', '.join((*TABLES[table], *EXTRA.get(table, ()), 'reports', *MEASURES))
        op.execute(f'INSERT INTO {table} ({columns}) {_grouped(dialect, table, "reports", "r")}')
    triggers = _sqlite_triggers() if dialect == 'sqlite' else _postgres_triggers()
    for statement in triggers:
        op.execute(statement)
    op.drop_table('aggregate_rollup_members')
    with op.batch_alter_table('aggregate_rollup', schema=None) as batch_op:
        batch_op.drop_index('ix_aggregate_rollup_day')
    op.drop_table('aggregate_rollup')
    op.execute("DELETE FROM counters WHERE name IN ('rollup_seq', 'rollup_cutoff')")


def downgrade():
    # The roll-up of 0100 comes back empty: its readers count live until
    # the next aggregate-rollup run fills it.
    op.bulk_insert(
        sa.table('counters', sa.column('name', sa.String), sa.column('value', sa.BigInteger)),
        [{'name': 'rollup_seq', 'value': 0}, {'name': 'rollup_cutoff', 'value': 0}],
    )
    op.create_table('aggregate_rollup',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('post_code', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('review_status', sa.String(length=16), nullable=False),
    sa.Column('destination_country', sa.String(length=2), nullable=False),
    sa.Column('modus_key', sa.String(length=200), nullable=False),
    *(sa.Column(m, sa.Integer(), nullable=False) for m in ('reports', *MEASURES)),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('aggregate_rollup', schema=None) as batch_op:
        batch_op.create_index('ix_aggregate_rollup_day', ['day'], unique=False)
    op.create_table('aggregate_rollup_members',
    sa.Column('report_id', sa.String(length=36), nullable=False),
    sa.Column('day', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('report_id')
    )
    for name in ('insert', 'update', 'delete'):
        op.execute(f'DROP TRIGGER aggregate_counts_{name}'
                   + ('' if op.get_bind().dialect.name == 'sqlite' else ' ON reports'))
        if op.get_bind().dialect.name != 'sqlite':
            op.execute(f'DROP FUNCTION aggregate_counts_{name}()')
    for table in TABLES:
        op.drop_table(table)
