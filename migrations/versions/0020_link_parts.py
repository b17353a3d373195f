"""link parts: arrangement outline rows that point at a web address, and lists that hold
harvested records

Revision ID: 0020_link_parts
Revises: 0019_collections
Create Date: 2026-12-05 22:20:00.000000

``arrangement_nodes`` gains ``url`` and ``record_id`` and its kind check allows 'link'.  Its
rows are immutable (triggers refuse UPDATE and DELETE, 0005), so ``record_id`` is a plain
indexed integer, not a foreign key: an ``ON DELETE SET NULL`` would be an UPDATE the trigger
refuses, and a plain reference would stop ``collections remove`` from deleting records.  A
link row keeps its own title and address, so it survives its record.

On SQLite a CHECK constraint only changes by copying the table: the triggers are dropped
first (the copy's DROP TABLE takes them anyway) and made again on the new table.  On
PostgreSQL the constraint is dropped and made again in place; the trigger stays.

``material_list_items`` for records is a table of its own (``material_list_records``):
lists are personal data, so their record items follow the list and the record (cascade).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_link_parts'
down_revision = '0019_collections'
branch_labels = None
depends_on = None

TABLE = 'arrangement_nodes'
MESSAGE = f'{TABLE} rows are immutable'
CHECK = 'ck_arrangement_nodes_known_node_kind'
KINDS_NOW = "kind IN ('section', 'page', 'material', 'link')"
KINDS_BEFORE = "kind IN ('section', 'page', 'material')"


def _sqlite_triggers(create: bool) -> None:
    for action in ('UPDATE', 'DELETE'):
        name = f'{TABLE}_no_{action.lower()}'
        if create:
            op.execute(f"""CREATE TRIGGER {name} BEFORE {action} ON {TABLE}
                           BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""")
        else:
            op.execute(f'DROP TRIGGER IF EXISTS {name}')


def _change_kinds(kinds: str, columns: bool) -> None:
    """Swap the kind check (and add or drop the link columns) on either database."""
    sqlite = op.get_bind().dialect.name != 'postgresql'
    if sqlite:
        _sqlite_triggers(create=False)
    with op.batch_alter_table(TABLE, schema=None, recreate='always' if sqlite else 'auto') \
            as batch_op:
        batch_op.drop_constraint(op.f(CHECK), type_='check')
        if columns:
            batch_op.add_column(sa.Column('url', sa.String(length=1000), nullable=False,
                                          server_default=''))
            batch_op.add_column(sa.Column('record_id', sa.Integer(), nullable=True))
            batch_op.create_index('ix_arrangement_nodes_record_id', ['record_id'],
                                  unique=False)
        else:
            batch_op.drop_index('ix_arrangement_nodes_record_id')
            batch_op.drop_column('record_id')
            batch_op.drop_column('url')
        batch_op.create_check_constraint(op.f(CHECK), kinds)
    if sqlite:
        _sqlite_triggers(create=True)


def upgrade():
    _change_kinds(KINDS_NOW, columns=True)
    op.create_table('material_list_records',
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['list_id'], ['material_lists.id'], name=op.f('fk_material_list_records_list_id_material_lists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['record_id'], ['harvested_records.id'], name=op.f('fk_material_list_records_record_id_harvested_records'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('list_id', 'record_id', name=op.f('pk_material_list_records'))
    )
    with op.batch_alter_table('material_list_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_material_list_records_record_id'), ['record_id'], unique=False)


def downgrade():
    # Link rows cannot stay under a check that does not know them, and rows cannot be
    # deleted (the trigger): the downgrade refuses, before it changes anything, rather
    # than losing outlines.
    links = op.get_bind().execute(sa.text(
        f"SELECT count(*) FROM {TABLE} WHERE kind = 'link'")).scalar()
    if links:
        raise RuntimeError(f'{links} link parts in {TABLE}: they would be lost by a '
                           'downgrade below 0020_link_parts')
    with op.batch_alter_table('material_list_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_material_list_records_record_id'))
    op.drop_table('material_list_records')
    _change_kinds(KINDS_BEFORE, columns=False)
