"""Stored HTML follows the renderer: rows written before the sanitiser kept text (issue 16:
everything after a ``<textarea>`` was dropped) are rendered again by ``flask materials
rerender``, pages and search then show every word, and the rows stay immutable in every
other column."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Boolean, DateTime, Integer, delete, select, update
from sqlalchemy.exc import DatabaseError

from oer_portal.arrangements.models import ArrangementNode
from oer_portal.arrangements.structure import Node, NodeKind
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials.models import Material, MaterialVersion
from oer_portal.materials.remote_images import RemoteImage
from tests.integration.test_arrangement_remix import make_arrangement

LESSON = "Use the `<textarea>` element for long answers, then *klimopwoord* follows.\n"
#: What the sanitiser before issue 16 stored for ``LESSON``: the rest after the tag was lost.
OLD_HTML = "<p>Use the <code></code></p>"


def _store_old_html(app, model, row_id: int) -> None:
    with app.app_context():
        table = model.__table__
        db.session.execute(update(table).where(table.c.id == row_id).values(body_html=OLD_HTML))
        current_uow().commit()


def _version_of(app, material_id: int) -> int:
    with app.app_context():
        return db.session.get(Material, material_id).latest_version_id


def _page(client, material_id: int) -> str:
    return client.get(f"/materials/{material_id}", follow_redirects=True).get_data(as_text=True)


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher"), "mod": make_user("moderator")}


def test_rerender_restores_lost_text_on_the_page_and_in_search(app, client, runner, people,
                                                               make_material):
    material_id = make_material(people["anna"], title="Formulieren", body=LESSON,
                                publish_by=people["mod"])
    _store_old_html(app, MaterialVersion, _version_of(app, material_id))
    runner.invoke(args=["search", "reindex"])
    assert "klimopwoord" not in _page(client, material_id)
    assert f"/materials/{material_id}" not in client.get("/search?q=klimopwoord").get_data(
        as_text=True)

    result = runner.invoke(args=["materials", "rerender"])

    assert result.exit_code == 0, result.output
    assert "1 of " in result.output
    page = _page(client, material_id)
    assert "&lt;textarea&gt;" in page and "klimopwoord" in page
    runner.invoke(args=["search", "drain"])
    assert f"/materials/{material_id}" in client.get("/search?q=klimopwoord").get_data(
        as_text=True)


def test_arrangement_pages_are_rendered_again_too(app, client, runner, people):
    outline = (Node(NodeKind.PAGE, 0, "Formulieren", LESSON),)
    material_id = make_arrangement(app, people["anna"], outline, publish_by=people["mod"])
    with app.app_context():
        node_id = db.session.scalar(select(ArrangementNode.id).where(
            ArrangementNode.version_id == db.session.get(Material, material_id)
            .latest_version_id))
    _store_old_html(app, ArrangementNode, node_id)

    assert runner.invoke(args=["materials", "rerender"]).exit_code == 0

    with app.app_context():
        assert "klimopwoord" in db.session.get(ArrangementNode, node_id).body_html


def test_dry_run_changes_nothing_and_a_second_run_finds_nothing(app, runner, people,
                                                                make_material):
    material_id = make_material(people["anna"], body=LESSON)
    version_id = _version_of(app, material_id)
    _store_old_html(app, MaterialVersion, version_id)

    dry = runner.invoke(args=["materials", "rerender", "--dry-run"])
    assert dry.exit_code == 0 and "1 of " in dry.output and "would change" in dry.output
    with app.app_context():
        assert db.session.get(MaterialVersion, version_id).body_html == OLD_HTML

    assert "1 of " in runner.invoke(args=["materials", "rerender"]).output
    assert "0 of " in runner.invoke(args=["materials", "rerender"]).output


def _changed_value(column, current):
    """A value that differs from ``current`` and fits the column (so only the trigger can
    refuse it)."""
    if current is not None and column.nullable:
        return None
    if isinstance(current, bool):
        return not current
    if isinstance(current, int):
        return current + 1000
    if isinstance(current, datetime):
        return current - timedelta(days=1)
    if isinstance(current, str):
        kept = current[:-1]  # as long as before: within the column's length
        return kept + ("y" if current.endswith("x") else "x")
    if isinstance(current, dict | list):
        return {"anders": 1}
    kind = getattr(column.type, "impl_instance", column.type)  # None in a nullable column
    if isinstance(kind, Boolean):
        return True
    if isinstance(kind, Integer):
        return 1
    if isinstance(kind, DateTime):
        return datetime(2001, 2, 3, tzinfo=UTC)
    return "x"


@pytest.mark.parametrize("model", [MaterialVersion, ArrangementNode],
                         ids=["material_versions", "arrangement_nodes"])
def test_rendered_html_is_the_only_column_that_may_change(app, people, model):
    """Every column of the model but ``body_html`` is refused by the database (a migration
    adding a column must make the SQLite trigger again: this test then fails)."""
    outline = (Node(NodeKind.PAGE, 0, "Pagina", "Tekst"),)
    make_arrangement(app, people["anna"], outline)
    with app.app_context():
        table = model.__table__
        row_id = db.session.scalar(select(table.c.id).limit(1))
        for column in table.c:
            if column.name == "body_html":
                continue
            current = db.session.scalar(select(column).where(table.c.id == row_id))
            value = _changed_value(column, current)
            with pytest.raises(DatabaseError, match="immutable"):
                db.session.execute(update(table).where(table.c.id == row_id)
                                   .values({column.name: value}))
            db.session.rollback()
        with pytest.raises(DatabaseError, match="immutable"):
            db.session.execute(table.delete().where(table.c.id == row_id))
        db.session.rollback()
        db.session.execute(update(table).where(table.c.id == row_id).values(body_html="<p>x</p>"))
        db.session.commit()
        assert db.session.scalar(select(table.c.body_html).where(table.c.id == row_id)) == (
            "<p>x</p>")


def test_rendered_again_images_of_other_sites_are_registered_for_fetching(app, runner,
                                                                          people,
                                                                          make_material):
    """Old HTML showed another site's image straight from it; the new HTML shows the
    portal's copy, so the address is registered to be fetched."""
    image = "https://beelden.example/kaart-van-nederland.png"
    material_id = make_material(people["anna"], body=f"![Kaart]({image})\n")
    with app.app_context():
        db.session.execute(delete(RemoteImage))
        current_uow().commit()
    version_id = _version_of(app, material_id)
    _store_old_html(app, MaterialVersion, version_id)

    assert runner.invoke(args=["materials", "rerender"]).exit_code == 0

    with app.app_context():
        assert db.session.scalar(select(RemoteImage.url)) == image
        assert "/media/remote/" in db.session.get(MaterialVersion, version_id).body_html
