"""account deletion: users.deleted_at, erasure marks, and the one narrow exception to the
immutability of versions: a never-published material being erased

Revision ID: 0026_account_deletion
Revises: 0025_remote_images
Create Date: 2026-12-06 01:30:00.000000

A user who deletes their account takes their drafts with them (``oer_portal.privacy``).
``material_versions``, ``version_attachments`` and ``arrangement_nodes`` refuse UPDATE and
DELETE (0002, 0005).  Their DELETE triggers now let a row go only when *all* of these hold
for its material:

- it carries an ``erasure_marks`` row, which only the account deletion writes, in the same
  transaction, just before it deletes the material (the mark goes with the material);
- it has no ``material_publications`` row and no ``published_version_id``: it was never
  public, so nothing anyone may cite, remix or have harvested disappears.

UPDATE stays refused, but for the rendered ``body_html`` of versions and outline rows that
0021 allows (kept here: PostgreSQL's function is replaced whole); so does DELETE for every
other row.  On SQLite the DELETE
trigger gains a ``WHEN`` clause; on PostgreSQL the trigger function returns the row for
such a DELETE and raises otherwise.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026_account_deletion'
down_revision = '0025_remote_images'
branch_labels = None
depends_on = None

#: Each immutable table, and how its row names its material (in terms of ``OLD``).
TABLES = {
    'material_versions': 'OLD.material_id',
    'version_attachments':
        '(SELECT v.material_id FROM material_versions v WHERE v.id = OLD.version_id)',
    'arrangement_nodes':
        '(SELECT v.material_id FROM material_versions v WHERE v.id = OLD.version_id)',
}


def _erasable(material: str) -> str:
    """SQL that is true when ``material`` is being erased and was never published."""
    return f"""(EXISTS (SELECT 1 FROM erasure_marks e WHERE e.material_id = {material})
            AND NOT EXISTS (SELECT 1 FROM material_publications p
                            WHERE p.material_id = {material})
            AND NOT EXISTS (SELECT 1 FROM materials m
                            WHERE m.id = {material} AND m.published_version_id IS NOT NULL))"""


#: 0021: the rendered HTML of these tables may be written again (``flask materials rerender``).
RENDERED = ('material_versions', 'arrangement_nodes')
ALLOW_RENDERED = ("IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) - 'body_html') = "
                  "(to_jsonb(OLD) - 'body_html') THEN RETURN NEW; END IF;")


def _triggers(erasing: bool) -> None:
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for table, material in TABLES.items():
        message = f'{table} rows are immutable'
        if postgresql:
            allow = (f"IF TG_OP = 'DELETE' AND {_erasable(material)} THEN RETURN OLD; END IF;"
                     if erasing else '')
            if table in RENDERED:
                allow = ALLOW_RENDERED + allow
            op.execute(f"""
                CREATE OR REPLACE FUNCTION {table}_immutable() RETURNS trigger
                LANGUAGE plpgsql AS $$
                BEGIN {allow} RAISE EXCEPTION '{message}'; END $$""")
        else:
            when = f'WHEN NOT {_erasable(material)}' if erasing else ''
            op.execute(f'DROP TRIGGER IF EXISTS {table}_no_delete')
            op.execute(f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} {when}
                           BEGIN SELECT RAISE(ABORT, '{message}'); END""")


def upgrade():
    # In place, never batch mode: SQLite would copy ``users``, which most tables reference.
    op.add_column('users', sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('erasure_marks',
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_erasure_marks_material_id_materials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('material_id', name=op.f('pk_erasure_marks'))
    )
    _triggers(erasing=True)


def downgrade():
    _triggers(erasing=False)
    op.drop_table('erasure_marks')
    op.drop_column('users', 'deleted_at')
