"""search followers: the indexes that follow the outbox, and how far it was pruned

Revision ID: 0028_search_followers
Revises: 0027_task_failures
Create Date: 2026-12-06 04:30:00.000000

Index replicas (``oer_portal/search/followers.py``): every machine that keeps its own index
runs ``flask search follow``, which registers in ``search_followers`` with the outbox
position its index applied and a heartbeat.  Outbox rows every live follower applied are
deleted; ``search_outbox_horizon`` (one row, written by the first prune) keeps the highest
id that may be gone, so a follower that comes back below it rebuilds its index.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0028_search_followers'
down_revision = '0027_task_failures'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'search_followers',
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
        sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_search_followers')),
    )
    op.create_table(
        'search_outbox_horizon',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('pruned_through', sa.Integer(), nullable=False),
        sa.Column('pruned_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_outbox_horizon')),
    )


def downgrade():
    op.drop_table('search_outbox_horizon')
    op.drop_table('search_followers')
