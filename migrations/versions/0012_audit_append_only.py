"""audit log append-only: the database refuses UPDATE and DELETE on audit_entries, an entry
keeps its actor (no SET NULL), and an index finds an object's entries

Revision ID: 0012_audit_append_only
Revises: 0008_review_conversation
Create Date: 2027-02-01 10:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012_audit_append_only'
down_revision = '0011_reports'
branch_labels = None
depends_on = None

TABLE = 'audit_entries'
ACTOR_FK = 'fk_audit_entries_actor_id_users'


def _forbid_changes(table):
    """The log is append-only: the database itself refuses UPDATE and DELETE (as migration
    0002 does for versions)."""
    message = f'{table} rows are append-only'
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"""
            CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '{message}'; END $$""")
        op.execute(f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE OR DELETE ON {table}
                       FOR EACH ROW EXECUTE FUNCTION {table}_append_only()""")
    else:
        for action in ('UPDATE', 'DELETE'):
            op.execute(f"""CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table}
                           BEGIN SELECT RAISE(ABORT, '{message}'); END""")


def _allow_changes(table):
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'DROP TRIGGER IF EXISTS {table}_no_update ON {table}')
        op.execute(f'DROP FUNCTION IF EXISTS {table}_append_only()')
    else:
        for action in ('update', 'delete'):
            op.execute(f'DROP TRIGGER IF EXISTS {table}_no_{action}')


def upgrade():
    # ``ON DELETE SET NULL`` would UPDATE the entries of a deleted user, which the triggers
    # refuse; and an entry must keep who acted.  Without it the database refuses to delete a
    # user who has entries (accounts are never deleted; one to be forgotten is anonymised).
    # The table is changed before the triggers exist: SQLite copies it to change a key.
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_constraint(ACTOR_FK, type_='foreignkey')
        batch_op.create_foreign_key(ACTOR_FK, 'users', ['actor_id'], ['id'])
        batch_op.create_index('ix_audit_entries_target', ['target_type', 'target_id'],
                              unique=False)
    _forbid_changes(TABLE)


def downgrade():
    _allow_changes(TABLE)
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_target')
        batch_op.drop_constraint(ACTOR_FK, type_='foreignkey')
        batch_op.create_foreign_key(ACTOR_FK, 'users', ['actor_id'], ['id'], ondelete='SET NULL')
