"""change proposals: a teacher's proposed edit to another teacher's material, and its thread

Revision ID: 0013_change_proposals
Revises: 0012_audit_append_only
Create Date: 2027-02-10 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_change_proposals'
down_revision = '0012_audit_append_only'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('change_proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('base_version_id', sa.Integer(), nullable=False),
    sa.Column('proposer_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('version_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'accepted', 'declined', 'withdrawn')", name=op.f('ck_change_proposals_known_status')),
    sa.ForeignKeyConstraint(['base_version_id'], ['material_versions.id'], name=op.f('fk_change_proposals_base_version_id_material_versions')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_change_proposals_decided_by_id_users')),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_change_proposals_material_id_materials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposer_id'], ['users.id'], name=op.f('fk_change_proposals_proposer_id_users')),
    sa.ForeignKeyConstraint(['version_id'], ['material_versions.id'], name=op.f('fk_change_proposals_version_id_material_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_proposals'))
    )
    with op.batch_alter_table('change_proposals', schema=None) as batch_op:
        batch_op.create_index('ix_change_proposals_material_status', ['material_id', 'status'], unique=False)
        batch_op.create_index('ix_change_proposals_proposer_id', ['proposer_id'], unique=False)

    op.create_table('proposal_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_proposal_comments_author_id_users')),
    sa.ForeignKeyConstraint(['proposal_id'], ['change_proposals.id'], name=op.f('fk_proposal_comments_proposal_id_change_proposals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_comments'))
    )
    with op.batch_alter_table('proposal_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_comments_proposal_id'), ['proposal_id'], unique=False)


def downgrade():
    with op.batch_alter_table('proposal_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_comments_proposal_id'))
    op.drop_table('proposal_comments')
    with op.batch_alter_table('change_proposals', schema=None) as batch_op:
        batch_op.drop_index('ix_change_proposals_proposer_id')
        batch_op.drop_index('ix_change_proposals_material_status')
    op.drop_table('change_proposals')
