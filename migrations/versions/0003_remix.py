"""remix: upstream position and pulls of remixes, index on materials.derived_from_version_id

Revision ID: 0003_remix
Revises: 0002_materials
Create Date: 2026-11-29 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_remix'
down_revision = '0002_materials'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('remix_upstreams',
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('synced_version_id', sa.Integer(), nullable=False),
    sa.Column('dismissed_version_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dismissed_version_id'], ['material_versions.id'], name=op.f('fk_remix_upstreams_dismissed_version_id_material_versions')),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_remix_upstreams_material_id_materials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['synced_version_id'], ['material_versions.id'], name=op.f('fk_remix_upstreams_synced_version_id_material_versions')),
    sa.PrimaryKeyConstraint('material_id', name=op.f('pk_remix_upstreams'))
    )
    op.create_table('remix_pulls',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('source_version_id', sa.Integer(), nullable=False),
    sa.Column('pulled_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_remix_pulls_material_id_materials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_version_id'], ['material_versions.id'], name=op.f('fk_remix_pulls_source_version_id_material_versions')),
    sa.ForeignKeyConstraint(['version_id'], ['material_versions.id'], name=op.f('fk_remix_pulls_version_id_material_versions')),
    sa.PrimaryKeyConstraint('version_id', name=op.f('pk_remix_pulls'))
    )
    with op.batch_alter_table('remix_pulls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remix_pulls_material_id'), ['material_id'], unique=False)

    # "Remixed N times" and the family tree find remixes by the version they came from.
    with op.batch_alter_table('materials', schema=None) as batch_op:
        batch_op.create_index('ix_materials_derived_from_version_id', ['derived_from_version_id'], unique=False)


def downgrade():
    with op.batch_alter_table('materials', schema=None) as batch_op:
        batch_op.drop_index('ix_materials_derived_from_version_id')
    with op.batch_alter_table('remix_pulls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_remix_pulls_material_id'))
    op.drop_table('remix_pulls')
    op.drop_table('remix_upstreams')
