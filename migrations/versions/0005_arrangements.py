"""arrangements: the immutable outline rows of arrangement versions

Revision ID: 0005_arrangements
Revises: 0004_community
Create Date: 2026-11-29 03:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_arrangements'
down_revision = '0004_community'
branch_labels = None
depends_on = None

TABLE = 'arrangement_nodes'
MESSAGE = f'{TABLE} rows are immutable'


def upgrade():
    op.create_table(TABLE,
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('depth', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=True),
    sa.Column('pinned_version_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('section', 'page', 'material')", name=op.f('ck_arrangement_nodes_known_node_kind')),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_arrangement_nodes_material_id_materials')),
    sa.ForeignKeyConstraint(['pinned_version_id'], ['material_versions.id'], name=op.f('fk_arrangement_nodes_pinned_version_id_material_versions')),
    sa.ForeignKeyConstraint(['version_id'], ['material_versions.id'], name=op.f('fk_arrangement_nodes_version_id_material_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_arrangement_nodes')),
    sa.UniqueConstraint('version_id', 'position', name='uq_arrangement_node_position')
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index('ix_arrangement_nodes_material_id', ['material_id'], unique=False)
    # Like the versions they belong to, outline rows are written once.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"""
            CREATE FUNCTION {TABLE}_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$""")
        op.execute(f"""CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE OR DELETE ON {TABLE}
                       FOR EACH ROW EXECUTE FUNCTION {TABLE}_immutable()""")
    else:
        for action in ('UPDATE', 'DELETE'):
            op.execute(f"""CREATE TRIGGER {TABLE}_no_{action.lower()} BEFORE {action} ON {TABLE}
                           BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'DROP TRIGGER IF EXISTS {TABLE}_no_update ON {TABLE}')
        op.execute(f'DROP FUNCTION IF EXISTS {TABLE}_immutable()')
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index('ix_arrangement_nodes_material_id')
    op.drop_table(TABLE)
