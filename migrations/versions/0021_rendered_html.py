"""rendered html: a version's and an outline row's ``body_html`` may be rendered again

Revision ID: 0021_rendered_html
Revises: 0020_link_parts
Create Date: 2026-12-06 01:40:00.000000

``material_versions`` and ``arrangement_nodes`` are immutable (0002, 0005): triggers refuse
every UPDATE and DELETE.  ``body_html`` is not content, though, but the Markdown in ``body``
rendered and sanitised when the row was written; when the renderer improves (issue 16: the
sanitiser dropped the text after a ``<textarea>``) the stored HTML must follow, or old
versions keep losing text.  So the triggers now let exactly that column change and refuse
every other change as before (``flask materials rerender`` is the one writer).

PostgreSQL: the trigger functions compare the whole row but ``body_html`` (``to_jsonb``), so
a column added later is protected without touching them.  SQLite: ``BEFORE UPDATE OF`` the
columns that exist now; a migration that adds a column to these tables must make the trigger
again (``test_rendered_html_is_the_only_column_that_may_change`` lists the model's columns
and fails otherwise).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0021_rendered_html'
down_revision = '0020_link_parts'
branch_labels = None
depends_on = None

TABLES = ('material_versions', 'arrangement_nodes')
DERIVED = 'body_html'


def _postgres_function(table: str, allow_derived: bool) -> None:
    message = f'{table} rows are immutable'
    allow = (f"""IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) - '{DERIVED}') = (to_jsonb(OLD) - '{DERIVED}')
            THEN RETURN NEW; END IF;""" if allow_derived else '')
    op.execute(f"""
        CREATE OR REPLACE FUNCTION {table}_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {allow} RAISE EXCEPTION '{message}'; END $$""")


def _sqlite_update_trigger(table: str, allow_derived: bool) -> None:
    message = f'{table} rows are immutable'
    op.execute(f'DROP TRIGGER IF EXISTS {table}_no_update')
    if allow_derived:
        columns = [row[1] for row in op.get_bind().exec_driver_sql(
            f'PRAGMA table_info({table})') if row[1] != DERIVED]
        event = f'UPDATE OF {", ".join(columns)}'
    else:
        event = 'UPDATE'
    op.execute(f"""CREATE TRIGGER {table}_no_update BEFORE {event} ON {table}
                   BEGIN SELECT RAISE(ABORT, '{message}'); END""")


def _triggers(allow_derived: bool) -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    for table in TABLES:
        if postgres:
            _postgres_function(table, allow_derived)
        else:
            _sqlite_update_trigger(table, allow_derived)


def upgrade():
    _triggers(allow_derived=True)


def downgrade():
    _triggers(allow_derived=False)
