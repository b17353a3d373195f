"""reports: anyone signed in reports a published material; a moderator dismisses the report
or takes the material offline (a withdrawal marked as the moderation's, which can be undone)

Revision ID: 0011_reports
Revises: 0008_review_conversation
Create Date: 2027-02-01 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_reports'
down_revision = '0010_trusted_teachers'
branch_labels = None
depends_on = None

OPEN = "status = 'open'"


def upgrade():
    # Every earlier withdrawal was its authors' own (moderators had no other way to take a
    # material down than the authors' withdraw page), so none of them can be reinstated.
    op.add_column('materials', sa.Column('withdrawn_by_moderation', sa.Boolean(),
                                         server_default=sa.false(), nullable=False))

    op.create_table('reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("category IN ('copyright', 'inappropriate', 'incorrect', 'spam', 'other')", name=op.f('ck_reports_known_category')),
    sa.CheckConstraint("status IN ('open', 'dismissed', 'upheld')", name=op.f('ck_reports_known_status')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_reports_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_reports_material_id_materials')),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_reports_reporter_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['material_versions.id'], name=op.f('fk_reports_version_id_material_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports'))
    )
    op.create_index('ix_reports_status_created', 'reports', ['status', 'created_at'])
    op.create_index('ix_reports_material_status', 'reports', ['material_id', 'status'])
    op.create_index('uq_reports_open_reporter', 'reports', ['material_id', 'reporter_id'],
                    unique=True, sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))


def downgrade():
    op.drop_index('uq_reports_open_reporter', table_name='reports')
    op.drop_index('ix_reports_material_status', table_name='reports')
    op.drop_index('ix_reports_status_created', table_name='reports')
    op.drop_table('reports')
    # A material a moderator took offline stays withdrawn: the earlier schema knows only
    # its authors' withdrawals.  (SQLite drops a column in place since 3.35: no copy of the
    # table that every other one points at.)
    op.drop_column('materials', 'withdrawn_by_moderation')
