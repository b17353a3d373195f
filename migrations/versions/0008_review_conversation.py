"""review conversation: requests for changes, the versions a request went through, and the
conversation (comments, replies, decisions) on each request

Revision ID: 0008_review_conversation
Revises: 0007_notifications
Create Date: 2027-01-25 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_review_conversation'
down_revision = '0007_notifications'
branch_labels = None
depends_on = None

OPEN = "status IN ('pending', 'changes_requested')"
STATUSES_NOW = "status IN ('pending', 'changes_requested', 'approved', 'rejected', 'cancelled')"
STATUSES_BEFORE = "status IN ('pending', 'approved', 'rejected', 'cancelled')"


def upgrade():
    # 'changes_requested' is longer than the 16 characters the column had.
    with op.batch_alter_table('review_requests', schema=None, recreate='always') as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=16),
                              type_=sa.String(length=24), existing_nullable=False)
        batch_op.drop_constraint(op.f('ck_review_requests_known_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_review_requests_known_status'), STATUSES_NOW)
    # Before this, saving a new version cancelled a pending request; a material never had
    # two pending ones, so the index can be made on any database of the earlier schema.
    op.create_index('uq_review_requests_open_material', 'review_requests', ['material_id'],
                    unique=True, sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))

    op.create_table('review_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['review_requests.id'], name=op.f('fk_review_rounds_request_id_review_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_review_rounds_submitted_by_id_users')),
    sa.ForeignKeyConstraint(['version_id'], ['material_versions.id'], name=op.f('fk_review_rounds_version_id_material_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_rounds'))
    )
    with op.batch_alter_table('review_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_rounds_request_id'), ['request_id'], unique=False)

    op.create_table('review_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('checklist', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('comment', 'changes_requested', 'approved', 'rejected')", name=op.f('ck_review_messages_known_kind')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_review_messages_author_id_users')),
    sa.ForeignKeyConstraint(['parent_id'], ['review_messages.id'], name=op.f('fk_review_messages_parent_id_review_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['review_requests.id'], name=op.f('fk_review_messages_request_id_review_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['material_versions.id'], name=op.f('fk_review_messages_version_id_material_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_messages'))
    )
    with op.batch_alter_table('review_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_messages_request_id'), ['request_id'], unique=False)

    # Every earlier request went through one version; its decision, if a moderator made one,
    # becomes the first message of its conversation (the reason of a rejection with it).
    op.execute("INSERT INTO review_rounds (request_id, version_id, submitted_by_id, submitted_at) "
               "SELECT id, version_id, submitted_by_id, submitted_at FROM review_requests "
               "ORDER BY id")
    op.execute("INSERT INTO review_messages (request_id, author_id, version_id, kind, body, "
               "created_at) "
               "SELECT id, decided_by_id, version_id, status, COALESCE(reason, ''), decided_at "
               "FROM review_requests WHERE status IN ('approved', 'rejected') "
               "AND decided_by_id IS NOT NULL AND decided_at IS NOT NULL ORDER BY id")


def downgrade():
    with op.batch_alter_table('review_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_messages_request_id'))
    op.drop_table('review_messages')
    with op.batch_alter_table('review_rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_rounds_request_id'))
    op.drop_table('review_rounds')
    op.drop_index('uq_review_requests_open_material', table_name='review_requests')
    # The earlier schema knows no request for changes: the author was sent back with a
    # reason, which is what a rejection told them.
    op.execute("UPDATE review_requests SET status = 'rejected' "
               "WHERE status = 'changes_requested'")
    with op.batch_alter_table('review_requests', schema=None, recreate='always') as batch_op:
        batch_op.drop_constraint(op.f('ck_review_requests_known_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_review_requests_known_status'),
                                         STATUSES_BEFORE)
        batch_op.alter_column('status', existing_type=sa.String(length=24),
                              type_=sa.String(length=16), existing_nullable=False)
