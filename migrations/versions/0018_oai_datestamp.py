"""oai datestamp: when what the public sees of a material last changed, indexed for harvesting

Revision ID: 0018_oai_datestamp
Revises: 0017_api_tokens
Create Date: 2027-03-01 10:00:00.000000

``materials.oai_datestamp`` is set by ``materials.lifecycle`` on every public change
(publication, withdrawal, unpublishing, reinstatement) and never by saving a draft, so the
OAI-PMH datestamp reveals no draft.  Existing materials that were ever published get the best
time known: their withdrawal for a withdrawn one, else their last publication (whole seconds,
the protocol's granularity).
"""
from datetime import datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018_oai_datestamp'
down_revision = '0017_api_tokens'
branch_labels = None
depends_on = None


def upgrade():
    # In place, never batch mode: SQLite would copy ``materials``, which every other table
    # points at, and refuse to drop the original while rows refer to it.
    op.add_column('materials', sa.Column('oai_datestamp', sa.DateTime(timezone=True),
                                         nullable=True))
    op.create_index('ix_materials_oai_datestamp', 'materials', ['oai_datestamp', 'id'],
                    unique=False)

    materials = sa.table('materials', sa.column('id', sa.Integer()),
                         sa.column('status', sa.String()),
                         sa.column('published_version_id', sa.Integer()),
                         sa.column('published_at', sa.DateTime(timezone=True)),
                         sa.column('withdrawn_at', sa.DateTime(timezone=True)),
                         sa.column('oai_datestamp', sa.DateTime(timezone=True)))
    bind = op.get_bind()
    rows = bind.execute(sa.select(materials.c.id, materials.c.status, materials.c.published_at,
                                  materials.c.withdrawn_at)
                        .where(materials.c.published_version_id.is_not(None))).all()
    for id_, status, published_at, withdrawn_at in rows:
        at = withdrawn_at if status == 'withdrawn' and withdrawn_at is not None \
            else published_at
        if at is None:
            continue
        if isinstance(at, str):
            at = datetime.fromisoformat(at)
        at = at.replace(microsecond=0)
        bind.execute(sa.update(materials).where(materials.c.id == id_)
                     .values(oai_datestamp=at))


def downgrade():
    op.drop_index('ix_materials_oai_datestamp', table_name='materials')
    # SQLite (3.35+) drops a column in place, as 0011 relies on too.
    op.drop_column('materials', 'oai_datestamp')
