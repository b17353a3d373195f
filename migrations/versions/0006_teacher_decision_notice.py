"""accounts: remember when an applicant was told the decision on their teacher request

Revision ID: 0006_teacher_decision_notice
Revises: 0005_arrangements
Create Date: 2027-01-18 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_teacher_decision_notice'
down_revision = '0005_arrangements'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('teacher_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True))
    # Requests decided before the notice existed were seen on the request page: no applicant
    # should be greeted with a decision months old.
    op.execute("UPDATE teacher_requests SET notified_at = decided_at "
               "WHERE status != 'pending'")


def downgrade():
    with op.batch_alter_table('teacher_requests', schema=None) as batch_op:
        batch_op.drop_column('notified_at')
