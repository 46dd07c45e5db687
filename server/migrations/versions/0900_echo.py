"""echo suppression: which device's clean op wrote a report's latest change (issue 13)

Revision ID: 0900
Revises: 0800
Create Date: 2026-11-30 07:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0900'
down_revision = '0800'
branch_labels = None
depends_on = None


def upgrade():
    # Existing rows stay NULL: no report is an echo, so every device still
    # pulls them (the behaviour before this revision); no backfill needed.
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('echo_device_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('echo_seq', sa.BigInteger(), nullable=True))


def downgrade():
    # A plain DROP COLUMN (SQLite 3.35+ and PostgreSQL): batch mode would
    # rebuild the reports table on SQLite and lose its triggers (0700's counts).
    op.execute('ALTER TABLE reports DROP COLUMN echo_seq')
    op.execute('ALTER TABLE reports DROP COLUMN echo_device_id')
