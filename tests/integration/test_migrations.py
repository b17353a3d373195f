"""Migrations from an empty database to head yield exactly the models, on SQLite and
PostgreSQL (the PostgreSQL case fails rather than skips when CI=true)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from oer_portal.extensions import db
from tests.conftest import (
    DEFAULT_POSTGRES,
    create_postgres_database,
    drop_postgres_database,
    make_config,
    migrate_to_head,
    own_postgres_database,
    postgres_uri_from_env,
)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with own_postgres_database() as uri:
        yield uri


def _schema_diff(uri: str) -> list:
    engine = create_engine(uri)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, db.metadata)
    finally:
        engine.dispose()


def test_upgrade_from_empty_to_head_matches_the_models(empty_database, tmp_path):
    migrate_to_head(tmp_path, empty_database)
    assert _schema_diff(empty_database) == []


def test_downgrade_to_base_and_upgrade_again(empty_database, tmp_path):
    from flask_migrate import downgrade, upgrade

    from oer_portal import create_app

    migrate_to_head(tmp_path, empty_database)
    app = create_app(make_config(tmp_path, empty_database))
    with app.app_context():
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        db.engine.dispose()
    assert _schema_diff(empty_database) == []


def test_every_table_of_the_models_is_created(empty_database, tmp_path):
    migrate_to_head(tmp_path, empty_database)
    engine = create_engine(empty_database)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(db.metadata.tables) <= tables


def test_the_audit_log_is_append_only_on_both_databases(empty_database, tmp_path):
    """Whichever database this run's other tests use, the migrated schema refuses to change
    or delete an audit entry on SQLite and on PostgreSQL alike (triggers of 0012), from any
    connection (not only the portal's), and still takes new entries."""
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    migrate_to_head(tmp_path, empty_database)
    engine = create_engine(empty_database)
    try:
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO audit_entries (created_at, action, details) "
                "VALUES (CURRENT_TIMESTAMP, 'login.failed', '{}')"))
        for statement in ("UPDATE audit_entries SET action = 'login.succeeded'",
                          "UPDATE audit_entries SET details = '{\"reason\": \"x\"}'",
                          "DELETE FROM audit_entries",
                          "DELETE FROM audit_entries WHERE action = 'login.failed'"):
            with pytest.raises(DatabaseError, match="append-only"), \
                    engine.begin() as connection:
                connection.execute(text(statement))
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO audit_entries (created_at, action, details) "
                "VALUES (CURRENT_TIMESTAMP, 'logout', '{}')"))
            kept = connection.execute(text(
                "SELECT action FROM audit_entries ORDER BY id")).scalars().all()
        assert kept == ["login.failed", "logout"]
    finally:
        engine.dispose()


def test_0008_gives_every_earlier_request_its_round_and_its_decision(tmp_path):
    """Requests from before the conversation existed went through one version each; a
    moderator's decision becomes the first message of the conversation.  Downgrading turns a
    request for changes into the rejection the earlier schema told the author."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from oer_portal import create_app

    uri = f"sqlite:///{tmp_path / 'data.db'}"
    app = create_app(make_config(tmp_path, uri))
    with app.app_context():
        upgrade(revision="0007_notifications")
        now = "2026-01-05 10:00:00.000000"
        for statement in (
            "INSERT INTO users (id, email, display_name, password_hash, session_token, "
            "created_at) VALUES (1, 'a@example.org', 'Anna', 'x', 't1', :now), "
            "(2, 'm@example.org', 'Mo', 'x', 't2', :now)",
            "INSERT INTO materials (id, kind, slug, owner_id, status, created_at, updated_at) "
            "VALUES (1, 'lesson', 'breuken', 1, 'draft', :now, :now)",
            "INSERT INTO material_versions (id, material_id, number, title, description, body, "
            "body_html, language, licence, meta, author_id, created_at, summary, merged) "
            "VALUES (1, 1, 1, 'Breuken', '', '', '', 'nl', 'CC-BY-4.0', '{}', 1, :now, '', 0), "
            "(2, 1, 2, 'Breuken', '', '', '', 'nl', 'CC-BY-4.0', '{}', 1, :now, '', 0)",
            "INSERT INTO review_requests (id, material_id, version_id, submitted_by_id, "
            "submitted_at, status, decided_by_id, decided_at, reason) VALUES "
            "(1, 1, 1, 1, :now, 'rejected', 2, :now, 'Bronnen ontbreken.'), "
            "(2, 1, 2, 1, :now, 'pending', NULL, NULL, NULL)"):
            db.session.execute(text(statement), {"now": now})
        db.session.commit()
        upgrade()
        rounds = db.session.execute(text(
            "SELECT request_id, version_id, submitted_by_id FROM review_rounds ORDER BY id")).all()
        messages = db.session.execute(text(
            "SELECT request_id, author_id, version_id, kind, body FROM review_messages")).all()
        assert [tuple(r) for r in rounds] == [(1, 1, 1), (2, 2, 1)]
        assert [tuple(m) for m in messages] == [(1, 2, 1, "rejected", "Bronnen ontbreken.")]

        db.session.execute(text("UPDATE review_requests SET status = 'changes_requested', "
                                "reason = 'Meer' WHERE id = 2"))
        db.session.commit()
        downgrade(revision="0007_notifications")
        assert db.session.execute(text("SELECT status, reason FROM review_requests WHERE id = 2")
                                  ).one() == ("rejected", "Meer")
        db.session.remove()
        db.engine.dispose()


def test_0009_adds_the_claim_without_touching_rounds_or_messages(tmp_path):
    """SQLite cannot add a foreign key by copying review_requests: dropping the old table
    would cascade to every request's rounds and messages.  Up and down, they stay."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from oer_portal import create_app

    uri = f"sqlite:///{tmp_path / 'data.db'}"
    app = create_app(make_config(tmp_path, uri))
    with app.app_context():
        upgrade(revision="0008_review_conversation")
        now = "2026-01-05 10:00:00.000000"
        for statement in (
            "INSERT INTO users (id, email, display_name, password_hash, session_token, "
            "created_at) VALUES (1, 'a@example.org', 'Anna', 'x', 't1', :now)",
            "INSERT INTO materials (id, kind, slug, owner_id, status, created_at, updated_at) "
            "VALUES (1, 'lesson', 'breuken', 1, 'draft', :now, :now)",
            "INSERT INTO material_versions (id, material_id, number, title, description, body, "
            "body_html, language, licence, meta, author_id, created_at, summary, merged) "
            "VALUES (1, 1, 1, 'Breuken', '', '', '', 'nl', 'CC-BY-4.0', '{}', 1, :now, '', 0)",
            "INSERT INTO review_requests (id, material_id, version_id, submitted_by_id, "
            "submitted_at, status) VALUES (1, 1, 1, 1, :now, 'pending')",
            "INSERT INTO review_rounds (request_id, version_id, submitted_by_id, submitted_at) "
            "VALUES (1, 1, 1, :now)",
            "INSERT INTO review_messages (request_id, author_id, version_id, kind, body, "
            "created_at) VALUES (1, 1, 1, 'comment', 'Hallo', :now)"):
            db.session.execute(text(statement), {"now": now})
        db.session.commit()
        upgrade(revision="0009_review_claims")
        counts = ("SELECT (SELECT count(*) FROM review_rounds), "
                  "(SELECT count(*) FROM review_messages)")
        assert tuple(db.session.execute(text(counts)).one()) == (1, 1)
        assert tuple(db.session.execute(text(
            "SELECT claimed_by_id, claimed_at FROM review_requests")).one()) == (None, None)
        db.session.execute(text("UPDATE review_requests SET claimed_by_id = 1"))
        db.session.commit()
        downgrade(revision="0008_review_conversation")
        assert tuple(db.session.execute(text(counts)).one()) == (1, 1)
        db.session.remove()
        db.engine.dispose()


def test_0020_adds_link_parts_and_the_outline_rows_stay_immutable(empty_database, tmp_path):
    """Changing the kind check copies ``arrangement_nodes`` on SQLite: the existing rows come
    through unchanged, and the triggers that refuse UPDATE and DELETE are there again
    afterwards (on PostgreSQL the constraint changes in place).  A link row is accepted;
    the downgrade refuses while link rows exist (they could be neither kept nor deleted)."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    from oer_portal import create_app

    app = create_app(make_config(tmp_path, empty_database))
    with app.app_context():
        upgrade(revision="0019_collections")
        now = "2026-01-05 10:00:00"
        for statement in (
            "INSERT INTO users (id, email, display_name, password_hash, session_token, "
            "created_at) VALUES (1, 'a@example.org', 'Anna', 'x', 't1', :now)",
            "INSERT INTO materials (id, kind, slug, owner_id, status, created_at, updated_at) "
            "VALUES (1, 'arrangement', 'water', 1, 'draft', :now, :now)",
            "INSERT INTO material_versions (id, material_id, number, title, description, body, "
            "body_html, language, licence, meta, author_id, created_at, summary, merged) "
            "VALUES (1, 1, 1, 'Water', '', '', '', 'nl', 'CC-BY-4.0', '{}', 1, :now, '', "
            "false)",
            "INSERT INTO arrangement_nodes (id, version_id, position, depth, kind, title, body, "
            "body_html) VALUES (1, 1, 0, 0, 'section', 'Hoog water', '', ''), "
            "(2, 1, 1, 1, 'page', 'Dijken', 'Klei.', '<p>Klei.</p>')"):
            db.session.execute(text(statement), {"now": now})
        db.session.commit()
        upgrade(revision="0020_link_parts")
        rows = db.session.execute(text(
            "SELECT id, position, depth, kind, title, body_html, url, record_id "
            "FROM arrangement_nodes ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [
            (1, 0, 0, "section", "Hoog water", "", "", None),
            (2, 1, 1, "page", "Dijken", "<p>Klei.</p>", "", None)]
        for statement in ("UPDATE arrangement_nodes SET title = 'Anders' WHERE id = 1",
                          "DELETE FROM arrangement_nodes WHERE id = 2"):
            with pytest.raises(DatabaseError, match="immutable"):
                db.session.execute(text(statement))
            db.session.rollback()
        with pytest.raises(DatabaseError):  # the check still refuses unknown kinds
            db.session.execute(text(
                "INSERT INTO arrangement_nodes (id, version_id, position, depth, kind, title, "
                "body, body_html, url) VALUES (8, 1, 5, 0, 'video', 'x', '', '', '')"))
        db.session.rollback()
        db.session.execute(text(
            "INSERT INTO arrangement_nodes (id, version_id, position, depth, kind, title, body, "
            "body_html, url, record_id) VALUES (9, 1, 2, 1, 'link', 'Filmpje', '', '', "
            "'https://example.org/film', 77)"))
        db.session.commit()
        with pytest.raises(SystemExit):  # flask_migrate logs the RuntimeError and exits
            downgrade(revision="0019_collections")
        db.session.rollback()
        assert "material_list_records" in inspect(db.engine).get_table_names()
        assert db.session.execute(text("SELECT count(*) FROM arrangement_nodes")).scalar() == 3
        db.session.remove()
        db.engine.dispose()

    # Without link rows the way down works, and the triggers are still there.
    other = tmp_path / "other"
    other.mkdir()
    if empty_database.startswith("sqlite"):
        uri = f"sqlite:///{other / 'down.db'}"
        server = None
    else:
        server = postgres_uri_from_env() or DEFAULT_POSTGRES
        uri = create_postgres_database(server)
    try:
        app = create_app(make_config(other, uri))
        with app.app_context():
            upgrade()
            downgrade(revision="0019_collections")
            columns = {c["name"] for c in inspect(db.engine).get_columns("arrangement_nodes")}
            assert "url" not in columns and "record_id" not in columns
            assert "material_list_records" not in inspect(db.engine).get_table_names()
            upgrade()
            db.session.remove()
            db.engine.dispose()
        assert _schema_diff(uri) == []
    finally:
        if server:
            drop_postgres_database(server, uri)
