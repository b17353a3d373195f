"""public generation: one counter that moves with every commit changing what the public sees

Revision ID: 0030_public_generation
Revises: 0029_hot_indexes
Create Date: 2026-12-06 08:00:00.000000

``core.public_state`` adds one to ``public_generation.value`` in every transaction that
changes a row a public page shows; the anonymous visitors' page cache (``core.page_cache``)
keys what it keeps by it, so no process serves a page older than the last such commit.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0030_public_generation'
down_revision = '0029_hot_indexes'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        'public_generation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_public_generation')),
    )
    op.bulk_insert(table, [{'id': 1, 'value': 0}])


def downgrade():
    op.drop_table('public_generation')
