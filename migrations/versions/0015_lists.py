"""lists: favourites and named lists of materials, private unless made public

Revision ID: 0015_lists
Revises: 0014_written_reviews
Create Date: 2027-02-10 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_lists'
down_revision = '0014_written_reviews'
branch_labels = None
depends_on = None

FAVOURITES = "is_favourites"


def upgrade():
    op.create_table('material_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('is_public', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('is_favourites', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_material_lists_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_material_lists'))
    )
    with op.batch_alter_table('material_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_material_lists_owner_id'), ['owner_id'], unique=False)
    # One favourites list per user, even when two first clicks race.
    op.create_index('uq_material_lists_favourites', 'material_lists', ['owner_id'], unique=True,
                    sqlite_where=sa.text(FAVOURITES), postgresql_where=sa.text(FAVOURITES))

    op.create_table('material_list_items',
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['list_id'], ['material_lists.id'], name=op.f('fk_material_list_items_list_id_material_lists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_material_list_items_material_id_materials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('list_id', 'material_id', name=op.f('pk_material_list_items'))
    )
    with op.batch_alter_table('material_list_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_material_list_items_material_id'), ['material_id'], unique=False)


def downgrade():
    with op.batch_alter_table('material_list_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_material_list_items_material_id'))
    op.drop_table('material_list_items')
    op.drop_index('uq_material_lists_favourites', table_name='material_lists')
    with op.batch_alter_table('material_lists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_material_lists_owner_id'))
    op.drop_table('material_lists')
