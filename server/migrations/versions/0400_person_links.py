"""person links: person index, name blocking keys, links and alerts (issue 15)

Revision ID: 0400
Revises: 0300
Create Date: 2026-11-30 05:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0400'
down_revision = '0300'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    # Reports stored before this revision are indexed by
    # `patroli admin reindex-persons` (docs/early-detection.md).
    op.create_table('person_entries',
    sa.Column('id', _ID, nullable=False),
    sa.Column('report_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('post_code', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sex', sa.String(length=1), nullable=True),
    sa.Column('age', sa.Integer(), nullable=True),
    sa.Column('name_norm', sa.String(length=200), nullable=False),
    sa.Column('doc_type', sa.String(length=32), nullable=True),
    sa.Column('doc_norm', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('report_id', 'person_id', name='uq_person_entries_person')
    )
    op.create_index('ix_person_entries_doc', 'person_entries', ['doc_norm', 'doc_type'])
    op.create_table('person_name_keys',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('birth_year', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('key', 'birth_year', 'report_id', 'person_id')
    )
    op.create_index('ix_person_name_keys_report_id', 'person_name_keys', ['report_id'])
    op.create_table('person_links',
    sa.Column('id', _ID, nullable=False),
    sa.Column('report_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('other_report_id', sa.String(length=36), nullable=False),
    sa.Column('other_person_id', sa.String(length=64), nullable=False),
    sa.Column('other_post', sa.String(length=16), nullable=False),
    sa.Column('other_kind', sa.String(length=32), nullable=False),
    sa.Column('other_role', sa.String(length=32), nullable=False),
    sa.Column('other_occurred_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('basis', sa.String(length=16), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('explanation', sa.String(length=300), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_person_links_report_id', 'person_links', ['report_id'])
    op.create_index('ix_person_links_other_report_id', 'person_links', ['other_report_id'])
    op.create_table('person_alerts',
    sa.Column('id', _ID, nullable=False),
    sa.Column('report_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('other_report_id', sa.String(length=36), nullable=False),
    sa.Column('other_post', sa.String(length=16), nullable=False),
    sa.Column('other_occurred_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_person_alerts_report_id', 'person_alerts', ['report_id'])
    op.create_index('ix_person_alerts_type_report', 'person_alerts', ['type', 'report_id'])


def downgrade():
    op.drop_table('person_alerts')
    op.drop_table('person_links')
    op.drop_table('person_name_keys')
    op.drop_table('person_entries')
