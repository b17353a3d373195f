"""hot indexes: the queries every public page and every dashboard runs, served by an index

Revision ID: 0029_hot_indexes
Revises: 0028_search_followers
Create Date: 2026-12-06 04:10:00.000000

- ``ix_materials_status_published`` (status, published_at, id): "the published materials,
  newest first" — the home page's cache check (``queries.publication_state``: the newest
  publication and the withdrawn rows), the feeds, the API's list, a profile's works — is a
  walk down one index that stops at its ``LIMIT``, in the list's exact order, even where
  drafts (no ``published_at``) are many.  On the test's 3,000 rows PostgreSQL's planner
  still finds ``ix_materials_published_at`` and ``ix_materials_status`` as cheap; this
  one is for portals where drafts and withdrawals pile up.

Every other hot query already had its index (the test below checks them all with sequential
scans discouraged: home, material page and history, an author's view, the dashboard, a
profile, a list, the feed, the review queue, the search page).

``tests/integration/test_query_plans.py`` asks PostgreSQL's planner (EXPLAIN) that these
queries, and the material page's, use an index rather than a sequential scan.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0029_hot_indexes'
down_revision = '0028_search_followers'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_materials_status_published', 'materials',
                    ['status', 'published_at', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_materials_status_published', table_name='materials')
