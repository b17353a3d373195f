"""community: star ratings of materials

Revision ID: 0004_community
Revises: 0003_remix
Create Date: 2026-11-29 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_community'
down_revision = '0003_remix'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ratings',
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('stars', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('stars >= 1 AND stars <= 5', name=op.f('ck_ratings_stars_range')),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_ratings_material_id_materials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_ratings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('material_id', 'user_id', name=op.f('pk_ratings'))
    )
    # The primary key (material_id, user_id) serves the per-material summaries; "my ratings"
    # and the cascade of an account deletion need user_id on its own.
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ratings_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ratings_user_id'))
    op.drop_table('ratings')
