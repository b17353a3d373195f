"""email confirmation: an account is confirmed once its owner opened the mailed link

Revision ID: 0024_email_confirmation
Revises: 0023_user_sessions
Create Date: 2026-12-06 01:30:00.000000

``users.email_confirmed_at`` is ``NULL`` while a self-registered account waits for its owner
to open the confirmation link; such an account cannot log in.  Every account that exists
already was usable, so it counts as confirmed since it was created.  A nullable column is
added (and dropped) in place on both SQLite and PostgreSQL (no table copy).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024_email_confirmation'
down_revision = '0023_user_sessions'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('email_confirmed_at', sa.DateTime(timezone=True),
                                     nullable=True))
    op.execute('UPDATE users SET email_confirmed_at = created_at')


def downgrade():
    # ALTER TABLE … DROP COLUMN in place (SQLite 3.35+): a batch copy of users would have
    # to drop the table every other table refers to.
    op.drop_column('users', 'email_confirmed_at')
