"""collections: other portals harvested over OAI-PMH and their records

Revision ID: 0019_collections
Revises: 0018_oai_datestamp
Create Date: 2026-12-05 22:05:52.643395

Records are kept per collection by their OAI identifier; a deleted one stays as a row
with ``deleted`` set, so the next incremental harvest can tell deleted from unseen.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_collections'
down_revision = '0018_oai_datestamp'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('collections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('base_url', sa.String(length=1000), nullable=False),
    sa.Column('metadata_prefix', sa.String(length=16), nullable=False),
    sa.Column('set_spec', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('harvested_until', sa.String(length=32), nullable=True),
    sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.CheckConstraint("metadata_prefix IN ('oai_dc', 'lom')", name=op.f('ck_collections_known_prefix')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collections')),
    sa.UniqueConstraint('name', name=op.f('uq_collections_name'))
    )
    op.create_table('harvested_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('collection_id', sa.Integer(), nullable=False),
    sa.Column('identifier', sa.String(length=1000), nullable=False),
    sa.Column('datestamp', sa.String(length=32), nullable=False),
    sa.Column('deleted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('title', sa.String(length=1000), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('licence', sa.String(length=1000), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('subjects', sa.JSON(), nullable=False),
    sa.Column('levels', sa.JSON(), nullable=False),
    sa.Column('keywords', sa.JSON(), nullable=False),
    sa.Column('authors', sa.JSON(), nullable=False),
    sa.Column('kind', sa.String(length=80), nullable=False),
    sa.Column('harvested_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['collections.id'], name=op.f('fk_harvested_records_collection_id_collections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_harvested_records')),
    sa.UniqueConstraint('collection_id', 'identifier', name='uq_harvested_record_identifier')
    )
    with op.batch_alter_table('harvested_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_harvested_records_collection_id'), ['collection_id'], unique=False)



def downgrade():
    with op.batch_alter_table('harvested_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_harvested_records_collection_id'))

    op.drop_table('harvested_records')
    op.drop_table('collections')
