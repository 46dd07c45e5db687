"""evidence: device keys, signed revisions, hash chain, checkpoints

Revision ID: 0500
Revises: 0300
Create Date: 2026-11-30 05:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0500'
down_revision = '0300'
branch_labels = None
depends_on = None


def upgrade():
    # Revisions written before this one have no hash; the first revision
    # written to such a report chains its whole history (server.evidence).
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_key', sa.Text(), nullable=True))
    with op.batch_alter_table('report_revisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('op', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('signature', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f('ix_report_revisions_seq'), ['seq'], unique=False)
    op.create_table('evidence_keys',
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('public_key', sa.Text(), nullable=False),
    sa.Column('private_key', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('evidence_checkpoints',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq_from', sa.BigInteger(), nullable=False),
    sa.Column('seq_to', sa.BigInteger(), nullable=False),
    sa.Column('period_start', sa.String(length=32), nullable=True),
    sa.Column('period_end', sa.String(length=32), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('root', sa.String(length=64), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('signature', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['key_id'], ['evidence_keys.id'], ),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade():
    op.drop_table('evidence_checkpoints')
    op.drop_table('evidence_keys')
    with op.batch_alter_table('report_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_revisions_seq'))
        batch_op.drop_column('seq')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('signature')
        batch_op.drop_column('op')
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_column('public_key')
