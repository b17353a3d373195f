"""The hot pages' queries use an index on PostgreSQL, not a sequential scan of a big table.

A database of its own is created on the PostgreSQL server (``OER_SQLALCHEMY_DATABASE_URI``
when it names one, else 127.0.0.1:5432, as CI starts it), migrated with the real Alembic
migrations, and filled with a few materials written through the services (a published one
with a newer draft, a pending review, a list, a moderator) and some thousands of published
lessons written with Core.  After ``ANALYZE``, the pages a visitor, a teacher and a moderator
open most are requested through the test client, every ``SELECT`` they send is caught with
its parameters, and PostgreSQL is asked to ``EXPLAIN`` it with ``enable_seqscan = off``: a
plan that still reads one of the big tables sequentially has no index to serve it (the
planner falls back to a sequential scan only when nothing else can answer).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, event, text

from oer_portal import create_app
from oer_portal.core.types import utcnow
from oer_portal.extensions import db
from tests.conftest import (
    PASSWORD,
    Client,
    create_postgres_database,
    drop_postgres_database,
    make_config,
    migrate_to_head,
)

pytestmark = pytest.mark.postgres

#: CI's PostgreSQL (``.ci/run``).
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
#: Tables that grow with the portal's content: none of them may be read whole.
BIG_TABLES = ("materials", "material_versions", "material_publications",
              "version_attachments", "review_requests", "usage_counts", "change_proposals",
              "written_reviews", "material_list_items", "audit_entries")
#: Lessons written with Core, two thirds published (enough for the statistics to be real).
SYNTHETIC = 3000


def _server() -> str:
    uri = os.environ.get("OER_SQLALCHEMY_DATABASE_URI", "")
    return uri if uri.startswith("postgresql") else DEFAULT_SERVER


def _reachable(server: str) -> bool:
    engine = create_engine(server, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return True
    except Exception:  # any failure to connect means "not here"
        return False
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    server = _server()
    if not _reachable(server):
        if os.environ.get("OER_SQLALCHEMY_DATABASE_URI", "").startswith("postgresql"):
            pytest.fail(f"PostgreSQL at {server} is unreachable")
        pytest.skip(f"no PostgreSQL at {server} (the PostgreSQL run of CI has one)")
    tmp = tmp_path_factory.mktemp("plans")
    uri = create_postgres_database(server)
    try:
        migrate_to_head(tmp, uri)
        os.environ["OER_INSTANCE_PATH"] = str(tmp / "instance")
        app = create_app(make_config(tmp, uri))
        yield {"app": app, **_fill(app)}
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        drop_postgres_database(server, uri)


def _fill(app: Flask) -> dict[str, Any]:
    from oer_portal.accounts import service as accounts
    from oer_portal.accounts.models import Role, User
    from oer_portal.core.uow import current_uow
    from oer_portal.lists import service as lists
    from oer_portal.materials import lifecycle, service
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import Material, MaterialKind, MaterialVersion

    with app.app_context():
        teacher = accounts.create_user("teacher@example.org", "Anne de Vries", PASSWORD,
                                       [Role.TEACHER])
        moderator = accounts.create_user("moderator@example.org", "Bram Jansen", PASSWORD,
                                         [Role.MODERATOR])
        current_uow().commit()
        teacher_id, moderator_id = teacher.id, moderator.id
        material = service.create_material(
            teacher, MaterialKind.LESSON,
            VersionFields(title="Breuken vergelijken", body="Regel een\n",
                          subjects=("mathematics",), levels=("havo",)), [])
        db.session.flush()
        lifecycle.publish(material, db.session.get(MaterialVersion, material.latest_version_id),
                          db.session.get(User, moderator_id))
        current_uow().commit()
        published_id = material.id
        service.save_version(teacher, published_id, material.latest_version_id,
                             VersionFields(title="Breuken vergelijken", body="Regel twee\n"),
                             [])
        current_uow().commit()
        pending = service.create_material(
            teacher, MaterialKind.LESSON, VersionFields(title="Procenten", body="Een\n"), [])
        current_uow().commit()
        lifecycle.submit_for_review(db.session.get(User, teacher_id),
                                    db.session.get(Material, pending.id))
        current_uow().commit()
        favourites, _added = lists.add_item(db.session.get(User, teacher_id), None,
                                            published_id)
        current_uow().commit()
        list_id = favourites.id
        _insert_synthetic(teacher_id)
        with db.engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
    return {"teacher_id": teacher_id, "published_id": published_id, "list_id": list_id}


def _insert_synthetic(owner_id: int) -> None:
    """``SYNTHETIC`` lessons, each with its version; two in three published (with their
    publication row), one in three a draft."""
    tables = db.metadata.tables
    materials, versions = tables["materials"], tables["material_versions"]
    publications = tables["material_publications"]
    start = utcnow() - timedelta(days=400)
    with db.engine.begin() as connection:
        first = connection.scalar(text("SELECT coalesce(max(id), 0) + 1 FROM materials"))
        first_version = connection.scalar(
            text("SELECT coalesce(max(id), 0) + 1 FROM material_versions"))
        rows_m, rows_v, rows_p = [], [], []
        for n in range(SYNTHETIC):
            at = start + timedelta(hours=n)
            material_id, version_id = first + n, first_version + n
            draft = n % 3 == 0  # a portal holds drafts too: a third here
            rows_m.append({"id": material_id, "kind": "lesson", "slug": f"les-{n}",
                           "owner_id": owner_id, "status": "draft" if draft else "published",
                           "created_at": at, "updated_at": at,
                           "published_at": None if draft else at,
                           "oai_datestamp": None if draft else at,
                           "withdrawn_by_moderation": False})
            rows_v.append({"id": version_id, "material_id": material_id, "number": 1,
                           "title": f"Les {n}", "description": "", "body": "Tekst\n" * 50,
                           "body_html": "<p>Tekst</p>" * 50, "language": ("nl", "en")[n % 2],
                           "licence": "CC-BY-4.0", "author_id": owner_id, "created_at": at,
                           "meta": json.loads('{"subjects": ["mathematics"], '
                                              '"levels": ["havo"]}'),
                           "summary": "", "merged": False})
            if not draft:
                rows_p.append({"material_id": material_id, "version_id": version_id,
                               "published_at": at, "published_by_id": owner_id})
        connection.execute(materials.insert(), rows_m)
        connection.execute(versions.insert(), rows_v)
        connection.execute(publications.insert(), rows_p)
        connection.execute(text(
            "UPDATE materials SET latest_version_id = v.id, published_version_id = "
            "CASE WHEN materials.status = 'published' THEN v.id END "
            "FROM material_versions v WHERE v.material_id = materials.id "
            "AND materials.latest_version_id IS NULL"))
        for name in ("materials", "material_versions"):
            connection.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT max(id) FROM {name}))"))


def _selects(app: Flask, client: Client, path: str) -> list[tuple[str, Any]]:
    """The ``SELECT`` statements ``GET path`` sends, with their parameters."""
    caught: list[tuple[str, Any]] = []

    def note(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            caught.append((statement, parameters))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert client.get(path, follow_redirects=True).status_code == 200, path
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", note)
    return caught


def _sequential_scans(app: Flask, statements: list[tuple[str, Any]]) -> list[str]:
    """Each statement whose plan, with sequential scans discouraged, still reads a big
    table sequentially: the statement and the offending plan lines."""
    found = []
    with app.app_context(), db.engine.connect() as connection:
        connection.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in statements:
            plan = [row[0] for row in connection.exec_driver_sql(
                f"EXPLAIN {statement}", parameters)]
            bad = [line for line in plan
                   if any(f"Seq Scan on {table} " in line + " " for table in BIG_TABLES)]
            if bad:
                found.append(f"{statement}\n  " + "\n  ".join(bad))
        connection.rollback()
    return found


def _pages(portal: dict[str, Any]) -> dict[str, tuple[str | None, str]]:
    """Page name → (who is logged in, path)."""
    material = portal["published_id"]
    return {
        "home": (None, "/"),
        "material": (None, f"/materials/{material}-breuken-vergelijken"),
        "history": (None, f"/materials/{material}/history"),
        "author's material page": ("teacher@example.org",
                                   f"/materials/{material}-breuken-vergelijken"),
        "dashboard": ("teacher@example.org", "/my/materials"),
        "profile": (None, f"/people/{portal['teacher_id']}"),
        "list": ("teacher@example.org", f"/lists/{portal['list_id']}"),
        "feed": (None, "/feeds/materials.atom"),
        "review queue": ("moderator@example.org", "/moderation/"),
        "search": (None, "/search?q=breuken&subject=mathematics"),
    }


@pytest.mark.parametrize("page", ["home", "material", "history", "author's material page",
                                  "dashboard", "profile", "list", "feed", "review queue",
                                  "search"])
def test_the_page_reads_no_big_table_sequentially(portal: dict[str, Any], page: str) -> None:
    app = portal["app"]
    who, path = _pages(portal)[page]
    client = Client(app.test_client())
    if who:
        assert client.login(who).status_code in (302, 303)
    statements = _selects(app, client, path)

    assert _sequential_scans(app, statements) == []


def _plan(portal: dict[str, Any], statement: str, parameters: Any = None) -> str:
    """PostgreSQL's plan for ``statement`` with its own costs (sequential scans allowed)."""
    with portal["app"].app_context(), db.engine.connect() as connection:
        return "\n".join(row[0] for row in connection.exec_driver_sql(
            f"EXPLAIN {statement}", parameters))


def test_the_published_list_newest_first_walks_an_index_without_sorting_it_all(
        portal: dict[str, Any]) -> None:
    """With the planner's own costs: "the twenty newest published materials" — the feeds',
    the API's and ``newest_published``'s query — reads an index backwards and stops at the
    twentieth, rather than sorting every published row."""
    plan = _plan(portal, "SELECT id FROM materials WHERE status = 'published' "
                         "ORDER BY published_at DESC, id DESC LIMIT 20")
    assert "Index" in plan and "Seq Scan" not in plan, plan
    # An incremental sort of ties within the index's order is fine; a sort of them all is not.
    assert not re.search(r"^\s*(->\s+)?Sort\s+\(", plan, re.M), plan


def test_the_publication_state_is_read_from_the_index_alone(portal: dict[str, Any]) -> None:
    """The home page's cache check (``queries.publication_state``), on every request."""
    from oer_portal.materials import queries

    with portal["app"].app_context():
        captured: list[tuple[str, Any]] = []

        def note(_c: Any, _cur: Any, statement: str, parameters: Any, *_a: Any) -> None:
            captured.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", note)
        try:
            queries.publication_state()
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
            db.session.remove()
    (statement, parameters), = [c for c in captured if "count(" in c[0]]
    plan = _plan(portal, statement, parameters)
    # Three index reads: none reads the published materials one by one.
    assert "Seq Scan" not in plan, plan
    assert plan.count("Index") >= 3 and "rows=1334" not in plan.split("Limit")[0], plan


def test_the_fixture_wrote_what_the_plans_are_about(portal: dict[str, Any]) -> None:
    with portal["app"].app_context():
        assert db.session.scalar(text("SELECT count(*) FROM materials")) > SYNTHETIC
    assert Path(__file__).name == "test_query_plans.py"
