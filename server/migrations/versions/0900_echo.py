"""echo suppression: which device's clean op wrote a report's latest change (issue 13)

Revision ID: 0900
Revises: 0600
Create Date: 2026-11-30 07:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0900'
down_revision = '0600'
branch_labels = None
depends_on = None


def upgrade():
    # Existing rows stay NULL: no report is an echo, so every device still
    # pulls them (the behaviour before this revision); no backfill needed.
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('echo_device_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('echo_seq', sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_column('echo_seq')
        batch_op.drop_column('echo_device_id')
