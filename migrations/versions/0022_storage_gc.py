"""storage gc: when a stored file was last stored, and when its derivation was done

Revision ID: 0022_storage_gc
Revises: 0021_rendered_html
Create Date: 2026-12-06 01:30:00.000000

``stored_files.kept_at`` is the garbage collection's clock for a row (``flask storage gc``
collects an unreferenced row only when it is older than the grace period); an upload of the
same bytes sets it again.  Existing rows take their ``created_at``.

``stored_files.derived_at`` says that text and thumbnail were derived, whatever that yielded
(``flask files derive-missing`` derives the rows where it is NULL).  Existing rows that have
text or a thumbnail count as derived; the others (no text, no thumbnail: a ZIP, or a crash)
are derived once more by the next ``derive-missing``, which costs little and finds the ones
a crash left.

In place, never batch mode: SQLite would copy ``stored_files``, which
``version_attachments`` points at.  SQLite adds a NOT NULL column only with a constant
default, so ``kept_at`` gets one for the ALTER and every row its real value at once.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022_storage_gc'
down_revision = '0021_rendered_html'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('stored_files', sa.Column('kept_at', sa.DateTime(timezone=True),
                                            nullable=False,
                                            server_default='1970-01-01 00:00:00'))
    op.add_column('stored_files', sa.Column('derived_at', sa.DateTime(timezone=True),
                                            nullable=True))
    files = sa.table('stored_files', sa.column('created_at', sa.DateTime(timezone=True)),
                     sa.column('kept_at', sa.DateTime(timezone=True)),
                     sa.column('derived_at', sa.DateTime(timezone=True)),
                     sa.column('text', sa.Text()),
                     sa.column('has_thumbnail', sa.Boolean()))
    bind = op.get_bind()
    bind.execute(sa.update(files).values(kept_at=files.c.created_at))
    bind.execute(sa.update(files)
                 .where(sa.or_(files.c.text.is_not(None), files.c.has_thumbnail))
                 .values(derived_at=files.c.created_at))


def downgrade():
    # SQLite (3.35+) drops a column in place, as 0018 relies on too.
    op.drop_column('stored_files', 'derived_at')
    op.drop_column('stored_files', 'kept_at')
