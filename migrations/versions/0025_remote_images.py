"""remote images: the portal's copies of other sites' images shown in lessons

Revision ID: 0025_remote_images
Revises: 0020_link_parts
Create Date: 2026-12-06 01:23:01.748451

One row per image address a saved lesson shows (``materials/remote_images.py``): its key
(the SHA-256 of the address, the name under ``/media/remote/``), whether the portal has
fetched it, and the blob of the file store that holds the copy.  A new table only, so the
same on SQLite and PostgreSQL; lessons stored before keep their HTML and are shown through
the copies too (their addresses are registered when they are saved or re-rendered).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025_remote_images'
down_revision = '0020_link_parts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('remote_images',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('blob_sha256', sa.String(length=64), nullable=True),
    sa.Column('media_type', sa.String(length=100), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'fetched', 'failed')", name=op.f('ck_remote_images_known_status')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_remote_images'))
    )
    with op.batch_alter_table('remote_images', schema=None) as batch_op:
        batch_op.create_index('ix_remote_images_blob_sha256', ['blob_sha256'], unique=False)
        batch_op.create_index('ix_remote_images_status', ['status'], unique=False)



def downgrade():
    with op.batch_alter_table('remote_images', schema=None) as batch_op:
        batch_op.drop_index('ix_remote_images_status')
        batch_op.drop_index('ix_remote_images_blob_sha256')

    op.drop_table('remote_images')
