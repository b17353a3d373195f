"""review claims: the moderator who took a review request on, and since when

Revision ID: 0009_review_claims
Revises: 0008_review_conversation
Create Date: 2027-01-26 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_review_claims'
down_revision = '0008_review_conversation'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('review_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_review_requests_claimed_by_id_users'),
                                    'users', ['claimed_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('review_requests', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_review_requests_claimed_by_id_users'),
                                 type_='foreignkey')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('claimed_by_id')
