"""materials, versions, attachments, reviews, outbox, vocabularies

Revision ID: 0002_materials
Revises: 0001_accounts
Create Date: 2026-11-28 20:51:36.391027

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_materials'
down_revision = '0001_accounts'
branch_labels = None
depends_on = None


VERSION_POINTERS = (
    ('latest_version_id', 'fk_materials_latest_version'),
    ('published_version_id', 'fk_materials_published_version'),
    ('derived_from_version_id', 'fk_materials_derived_from'),
)


def _forbid_changes(table):
    """Versions are immutable: the database itself refuses UPDATE and DELETE."""
    message = f'{table} rows are immutable'
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"""
            CREATE FUNCTION {table}_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '{message}'; END $$""")
        op.execute(f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE OR DELETE ON {table}
                       FOR EACH ROW EXECUTE FUNCTION {table}_immutable()""")
    else:
        for action in ('UPDATE', 'DELETE'):
            op.execute(f"""CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table}
                           BEGIN SELECT RAISE(ABORT, '{message}'); END""")


def _allow_changes(table):
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f'DROP TRIGGER IF EXISTS {table}_no_update ON {table}')
        op.execute(f'DROP FUNCTION IF EXISTS {table}_immutable()')
    else:
        for action in ('update', 'delete'):
            op.execute(f'DROP TRIGGER IF EXISTS {table}_no_{action}')


# Controlled vocabularies as data: (code, parent, Dutch label, English label).
VOCABULARIES = {
    'subject': [
        ('dutch', None, 'Nederlands', 'Dutch'),
        ('english', None, 'Engels', 'English'),
        ('german', None, 'Duits', 'German'),
        ('french', None, 'Frans', 'French'),
        ('spanish', None, 'Spaans', 'Spanish'),
        ('languages', None, 'Talen (algemeen)', 'Languages (general)'),
        ('arithmetic', None, 'Rekenen', 'Arithmetic'),
        ('mathematics', None, 'Wiskunde', 'Mathematics'),
        ('biology', None, 'Biologie', 'Biology'),
        ('physics', None, 'Natuurkunde', 'Physics'),
        ('chemistry', None, 'Scheikunde', 'Chemistry'),
        ('geography', None, 'Aardrijkskunde', 'Geography'),
        ('history', None, 'Geschiedenis', 'History'),
        ('economics', None, 'Economie', 'Economics'),
        ('social-studies', None, 'Maatschappijleer', 'Social studies'),
        ('citizenship', None, 'Burgerschap', 'Citizenship'),
        ('philosophy', None, 'Filosofie en levensbeschouwing', 'Philosophy and religion'),
        ('computer-science', None, 'Informatica', 'Computer science'),
        ('data-science', None, 'Datawetenschap', 'Data science'),
        ('technology', None, 'Techniek', 'Technology'),
        ('arts', None, 'Kunst en cultuur', 'Arts'),
        ('music', None, 'Muziek', 'Music'),
        ('physical-education', None, 'Lichamelijke opvoeding', 'Physical education'),
        ('other', None, 'Overig', 'Other'),
    ],
    'level': [
        ('primary', None, 'Primair onderwijs (po)', 'Primary education'),
        ('secondary', None, 'Voortgezet onderwijs (vo)', 'Secondary education'),
        ('vmbo', 'secondary', 'vmbo', 'vmbo (pre-vocational)'),
        ('havo', 'secondary', 'havo', 'havo (senior general secondary)'),
        ('vwo', 'secondary', 'vwo', 'vwo (pre-university)'),
        ('vocational', None, 'Middelbaar beroepsonderwijs (mbo)', 'Vocational education (mbo)'),
        ('higher', None, 'Hoger onderwijs', 'Higher education'),
        ('hbo', 'higher', 'hbo', 'Universities of applied sciences (hbo)'),
        ('wo', 'higher', 'wo', 'Research universities (wo)'),
        ('adult', None, 'Volwassenenonderwijs', 'Adult education'),
    ],
    'resource_type': [
        ('lesson', None, 'Les', 'Lesson'),
        ('lesson-series', None, 'Lessenreeks', 'Series of lessons'),
        ('exercise', None, 'Oefening', 'Exercise'),
        ('worksheet', None, 'Werkblad', 'Worksheet'),
        ('assessment', None, 'Toets', 'Assessment'),
        ('presentation', None, 'Presentatie', 'Presentation'),
        ('video', None, 'Video', 'Video'),
        ('textbook-section', None, 'Hoofdstuk of paragraaf', 'Textbook section'),
        ('tutorial', None, 'Uitleg of handleiding', 'Tutorial or reference'),
        ('guide', None, 'Gids', 'Guide'),
        ('teacher-guide', None, 'Docentenhandleiding', 'Teacher guide'),
        ('simulation', None, 'Simulatie', 'Simulation'),
        ('dataset', None, 'Dataset', 'Dataset'),
        ('other', None, 'Overig', 'Other'),
    ],
    'language': [
        ('nl', None, 'Nederlands', 'Dutch'),
        ('en', None, 'Engels', 'English'),
        ('fy', None, 'Fries', 'Frisian'),
        ('de', None, 'Duits', 'German'),
        ('fr', None, 'Frans', 'French'),
        ('es', None, 'Spaans', 'Spanish'),
        ('tr', None, 'Turks', 'Turkish'),
        ('ar', None, 'Arabisch', 'Arabic'),
        ('pl', None, 'Pools', 'Polish'),
        ('uk', None, 'Oekraïens', 'Ukrainian'),
    ],
}


def _seed_vocabularies():
    table = sa.table('vocabulary_terms', sa.column('vocabulary'), sa.column('code'),
                     sa.column('parent_code'), sa.column('position'), sa.column('label_nl'),
                     sa.column('label_en'))
    op.bulk_insert(table, [
        {'vocabulary': vocabulary, 'code': code, 'parent_code': parent, 'position': position,
         'label_nl': nl, 'label_en': en}
        for vocabulary, terms in VOCABULARIES.items()
        for position, (code, parent, nl, en) in enumerate(terms)
    ])


def upgrade():
    op.create_table('search_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity_type', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_outbox'))
    )
    op.create_table('stored_files',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('media_type', sa.String(length=120), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('has_thumbnail', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_stored_files'))
    )
    op.create_table('vocabulary_terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vocabulary', sa.String(length=32), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('parent_code', sa.String(length=64), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label_nl', sa.String(length=120), nullable=False),
    sa.Column('label_en', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vocabulary_terms')),
    sa.UniqueConstraint('vocabulary', 'code', name='uq_vocabulary_code')
    )
    op.create_table('materials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('latest_version_id', sa.Integer(), nullable=True),
    sa.Column('published_version_id', sa.Integer(), nullable=True),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('derived_from_version_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn_reason', sa.Text(), nullable=True),
    sa.Column('link_checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('link_ok', sa.Boolean(), nullable=True),
    sa.Column('link_problem', sa.String(length=200), nullable=True),
    sa.CheckConstraint("kind IN ('lesson', 'file', 'link', 'arrangement')", name=op.f('ck_materials_known_kind')),
    sa.CheckConstraint("status IN ('draft', 'published', 'withdrawn')", name=op.f('ck_materials_known_status')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_materials_owner_id_users')),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['users.id'], name=op.f('fk_materials_withdrawn_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_materials')),
    sa.UniqueConstraint('external_id', name=op.f('uq_materials_external_id'))
    )
    with op.batch_alter_table('materials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_materials_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_materials_published_at'), ['published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_materials_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_materials_updated_at'), ['updated_at'], unique=False)

    op.create_table('material_co_authors',
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_material_co_authors_material_id_materials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_material_co_authors_user_id_users')),
    sa.PrimaryKeyConstraint('material_id', 'user_id', name=op.f('pk_material_co_authors'))
    )
    op.create_table('material_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('licence', sa.String(length=32), nullable=False),
    sa.Column('link_url', sa.String(length=2000), nullable=True),
    sa.Column('meta', sa.JSON(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('base_version_id', sa.Integer(), nullable=True),
    sa.Column('reverted_from_id', sa.Integer(), nullable=True),
    sa.Column('merged', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_material_versions_author_id_users')),
    sa.ForeignKeyConstraint(['base_version_id'], ['material_versions.id'], name=op.f('fk_material_versions_base_version_id_material_versions')),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_material_versions_material_id_materials')),
    sa.ForeignKeyConstraint(['reverted_from_id'], ['material_versions.id'], name=op.f('fk_material_versions_reverted_from_id_material_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_material_versions')),
    sa.UniqueConstraint('material_id', 'number', name='uq_version_number')
    )
    with op.batch_alter_table('material_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_material_versions_material_id'), ['material_id'], unique=False)

    op.create_table('material_publications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_material_publications_material_id_materials')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_material_publications_published_by_id_users')),
    sa.ForeignKeyConstraint(['version_id'], ['material_versions.id'], name=op.f('fk_material_publications_version_id_material_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_material_publications'))
    )
    with op.batch_alter_table('material_publications', schema=None) as batch_op:
        batch_op.create_index('ix_publication_material_version', ['material_id', 'version_id'], unique=False)

    op.create_table('review_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected', 'cancelled')", name=op.f('ck_review_requests_known_status')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_review_requests_decided_by_id_users')),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_review_requests_material_id_materials')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_review_requests_submitted_by_id_users')),
    sa.ForeignKeyConstraint(['version_id'], ['material_versions.id'], name=op.f('fk_review_requests_version_id_material_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_requests'))
    )
    with op.batch_alter_table('review_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_requests_material_id'), ['material_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_requests_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_requests_version_id'), ['version_id'], unique=False)

    op.create_table('version_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['sha256'], ['stored_files.sha256'], name=op.f('fk_version_attachments_sha256_stored_files')),
    sa.ForeignKeyConstraint(['version_id'], ['material_versions.id'], name=op.f('fk_version_attachments_version_id_material_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_version_attachments')),
    sa.UniqueConstraint('version_id', 'position', name='uq_attachment_position')
    )
    with op.batch_alter_table('version_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_version_attachments_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_version_attachments_version_id'), ['version_id'], unique=False)

    # materials and material_versions point at each other: these wait for both tables.
    with op.batch_alter_table('materials', schema=None) as batch_op:
        for column, name in VERSION_POINTERS:
            batch_op.create_foreign_key(name, 'material_versions', [column], ['id'])

    _forbid_changes('material_versions')
    _forbid_changes('version_attachments')
    _seed_vocabularies()


def downgrade():
    for table in ('version_attachments', 'material_versions'):
        _allow_changes(table)
    with op.batch_alter_table('materials', schema=None) as batch_op:
        for _column, name in VERSION_POINTERS:
            batch_op.drop_constraint(name, type_='foreignkey')
    with op.batch_alter_table('version_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_version_attachments_version_id'))
        batch_op.drop_index(batch_op.f('ix_version_attachments_sha256'))

    op.drop_table('version_attachments')
    with op.batch_alter_table('review_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_requests_version_id'))
        batch_op.drop_index(batch_op.f('ix_review_requests_status'))
        batch_op.drop_index(batch_op.f('ix_review_requests_material_id'))

    op.drop_table('review_requests')
    with op.batch_alter_table('material_publications', schema=None) as batch_op:
        batch_op.drop_index('ix_publication_material_version')

    op.drop_table('material_publications')
    with op.batch_alter_table('material_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_material_versions_material_id'))

    op.drop_table('material_versions')
    op.drop_table('material_co_authors')
    with op.batch_alter_table('materials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_materials_updated_at'))
        batch_op.drop_index(batch_op.f('ix_materials_status'))
        batch_op.drop_index(batch_op.f('ix_materials_published_at'))
        batch_op.drop_index(batch_op.f('ix_materials_owner_id'))

    op.drop_table('materials')
    op.drop_table('vocabulary_terms')
    op.drop_table('stored_files')
    op.drop_table('search_outbox')
    # ### end Alembic commands ###
