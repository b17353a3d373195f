"""review claims: the moderator who took a review request on, and since when; the queue's
order as an index

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


FK = 'fk_review_requests_claimed_by_id_users'


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        # Not a batch (copy, drop, rename): dropping review_requests would cascade to the
        # rounds and messages of every request.  SQLite adds a column with its reference.
        op.execute('ALTER TABLE review_requests ADD COLUMN claimed_by_id INTEGER '
                   f'CONSTRAINT {FK} REFERENCES users (id)')
    else:
        op.add_column('review_requests', sa.Column('claimed_by_id', sa.Integer(), nullable=True))
        op.create_foreign_key(FK, 'review_requests', 'users', ['claimed_by_id'], ['id'])
    op.add_column('review_requests',
                  sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
    # The queue's order: a page is read from the index instead of sorting every request.
    op.create_index('ix_review_requests_status_submitted', 'review_requests',
                    ['status', 'submitted_at', 'id'])


def downgrade():
    # Plain drops on both databases (SQLite 3.35+ drops a column in place), for the same
    # reason as above.
    op.drop_index('ix_review_requests_status_submitted', table_name='review_requests')
    op.drop_column('review_requests', 'claimed_at')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(FK, 'review_requests', type_='foreignkey')
    op.drop_column('review_requests', 'claimed_by_id')
