"""written reviews: a review per user and material, with its helpful votes

Revision ID: 0014_written_reviews
Revises: 0013_change_proposals
Create Date: 2027-02-10 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_written_reviews'
down_revision = '0013_change_proposals'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('written_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('used_in_class', sa.Boolean(), nullable=False),
    sa.Column('class_level', sa.String(length=64), nullable=True),
    sa.Column('helpful_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hidden_reason', sa.Text(), nullable=True),
    sa.Column('hidden_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('helpful_count >= 0', name=op.f('ck_written_reviews_helpful_not_negative')),
    sa.ForeignKeyConstraint(['hidden_by_id'], ['users.id'], name=op.f('fk_written_reviews_hidden_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_written_reviews_material_id_materials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_written_reviews_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_written_reviews')),
    sa.UniqueConstraint('material_id', 'user_id', name=op.f('uq_written_reviews_material_id'))
    )
    with op.batch_alter_table('written_reviews', schema=None) as batch_op:
        batch_op.create_index('ix_written_reviews_material_created', ['material_id', 'created_at'], unique=False)
        batch_op.create_index('ix_written_reviews_material_helpful', ['material_id', 'helpful_count', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_written_reviews_user_id'), ['user_id'], unique=False)

    op.create_table('review_helpful_votes',
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['written_reviews.id'], name=op.f('fk_review_helpful_votes_review_id_written_reviews'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_review_helpful_votes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('review_id', 'user_id', name=op.f('pk_review_helpful_votes'))
    )
    with op.batch_alter_table('review_helpful_votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_helpful_votes_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('review_helpful_votes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_helpful_votes_user_id'))
    op.drop_table('review_helpful_votes')
    with op.batch_alter_table('written_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_written_reviews_user_id'))
        batch_op.drop_index('ix_written_reviews_material_helpful')
        batch_op.drop_index('ix_written_reviews_material_created')
    op.drop_table('written_reviews')
