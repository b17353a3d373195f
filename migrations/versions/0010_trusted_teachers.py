"""trusted teachers and post-review: whom moderators trust, and the requests (and rounds)
published at once that wait for a moderator's look

Revision ID: 0010_trusted_teachers
Revises: 0008_review_conversation
Create Date: 2027-02-01 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_trusted_teachers'
down_revision = '0009_review_claims'
branch_labels = None
depends_on = None

POST_REVIEW = "post_review"


def upgrade():
    op.create_table('trusted_teachers',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['granted_by_id'], ['users.id'], name=op.f('fk_trusted_teachers_granted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_trusted_teachers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_trusted_teachers'))
    )
    # Plain ADD COLUMN on both databases: rebuilding review_requests on SQLite would drop
    # the table its rounds and messages reference with ON DELETE CASCADE.
    op.add_column('review_requests', sa.Column('post_review', sa.Boolean(), nullable=False,
                                               server_default=sa.false()))
    op.add_column('review_rounds', sa.Column('published_directly', sa.Boolean(),
                                             nullable=False, server_default=sa.false()))
    op.create_index('uq_review_requests_post_review_material', 'review_requests',
                    ['material_id'], unique=True, sqlite_where=sa.text(POST_REVIEW),
                    postgresql_where=sa.text(POST_REVIEW))


def downgrade():
    op.drop_index('uq_review_requests_post_review_material', table_name='review_requests')
    # SQLite (3.35+) drops a column without a rebuild when nothing indexes or constrains it.
    op.drop_column('review_rounds', 'published_directly')
    op.drop_column('review_requests', 'post_review')
    op.drop_table('trusted_teachers')
