"""task failures: jobs a Celery worker gave up on, for the administrators' /admin/tasks

Revision ID: 0027_task_failures
Revises: 0026_account_deletion
Create Date: 2026-12-06 04:10:00.000000

One row per job that failed for good in a Celery worker (``oer_portal/tasks``): its name,
arguments (none for an e-mail: they hold a link), the last error, how many attempts, when.
A new table only, the same on SQLite and PostgreSQL.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0027_task_failures'
down_revision = '0026_account_deletion'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'task_failures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.String(length=155), nullable=True),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('args', sa.JSON(), nullable=True),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('failed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_task_failures')),
        sa.UniqueConstraint('task_id', name=op.f('uq_task_failures_task_id')),
    )
    with op.batch_alter_table('task_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_failures_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_failures_failed_at'), ['failed_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('task_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_failures_failed_at'))
        batch_op.drop_index(batch_op.f('ix_task_failures_name'))
    op.drop_table('task_failures')
