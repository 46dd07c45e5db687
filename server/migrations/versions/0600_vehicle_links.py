"""vehicle links: boats and vehicles of reports, and their links (issue 15)

Revision ID: 0600
Revises: 0500
Create Date: 2026-11-30 06:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0600'
down_revision = '0500'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    # Reports stored before this revision carry no vehicles (the map is new).
    op.create_table('vehicle_entries',
    sa.Column('id', _ID, nullable=False),
    sa.Column('report_id', sa.String(length=36), nullable=False),
    sa.Column('vehicle_id', sa.String(length=64), nullable=False),
    sa.Column('post_code', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('family', sa.String(length=16), nullable=False),
    sa.Column('registration', sa.String(length=64), nullable=True),
    sa.Column('reg_norm', sa.String(length=64), nullable=True),
    sa.Column('name_norm', sa.String(length=200), nullable=False),
    sa.Column('name_key', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('report_id', 'vehicle_id', name='uq_vehicle_entries_vehicle')
    )
    op.create_index('ix_vehicle_entries_reg', 'vehicle_entries', ['reg_norm', 'family'])
    op.create_index('ix_vehicle_entries_name', 'vehicle_entries', ['name_key', 'family'])
    op.create_table('vehicle_links',
    sa.Column('id', _ID, nullable=False),
    sa.Column('report_id', sa.String(length=36), nullable=False),
    sa.Column('vehicle_id', sa.String(length=64), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('other_report_id', sa.String(length=36), nullable=False),
    sa.Column('other_vehicle_id', sa.String(length=64), nullable=False),
    sa.Column('other_post', sa.String(length=16), nullable=False),
    sa.Column('other_kind', sa.String(length=32), nullable=False),
    sa.Column('other_occurred_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('basis', sa.String(length=16), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('explanation', sa.String(length=300), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_vehicle_links_report_id', 'vehicle_links', ['report_id'])
    op.create_index('ix_vehicle_links_other_report_id', 'vehicle_links', ['other_report_id'])


def downgrade():
    op.drop_table('vehicle_links')
    op.drop_table('vehicle_entries')
