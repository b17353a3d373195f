"""usage counts: views and downloads per material, UTC day and kind, without personal data

Revision ID: 0016_usage_counts
Revises: 0015_lists
Create Date: 2027-02-20 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_usage_counts'
down_revision = '0015_lists'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('usage_counts',
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('view', 'download')", name=op.f('ck_usage_counts_known_kind')),
    sa.CheckConstraint('count > 0', name=op.f('ck_usage_counts_positive_count')),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_usage_counts_material_id_materials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('material_id', 'day', 'kind', name=op.f('pk_usage_counts'))
    )


def downgrade():
    op.drop_table('usage_counts')
