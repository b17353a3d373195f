"""Registering, listing, harvesting and removing collections: the command line and the admin
page, their refusals, and who may use them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from oer_portal.collections import worker
from oer_portal.collections.models import Collection
from oer_portal.core.audit import AuditEntry
from oer_portal.extensions import db
from tests.integration.collections_portal import serve_portal_b

URL = "https://collectie.example.org/oai"


def test_cli_adds_and_lists_a_collection(runner):
    added = runner.invoke(args=["collections", "add", "Wikiwijs", URL, "--prefix", "lom",
                                "--set", "vo"])
    assert added.exit_code == 0, added.output
    assert "Added collection “Wikiwijs”" in added.output
    listed = runner.invoke(args=["collections", "list"])
    assert listed.exit_code == 0
    header, row = listed.output.splitlines()
    assert header.split("\t")[0] == "Name" and header.split("\t")[-1] == "Last error"
    assert row.split("\t") == ["Wikiwijs", URL, "lom", "vo", "0", "-", "-"]


@pytest.mark.parametrize(("args", "message"), [
    (["Ftp", "ftp://example.org/oai"], "must be a web address starting with http"),
    (["Script", "javascript:alert(1)"], "must be a web address starting with http"),
    (["Query", "https://example.org/oai?verb=Identify"], "without ?verb="),
    (["Spaced", URL, "--set", "a b"], "without spaces"),
    (["   ", URL], "Give the collection a name"),
])
def test_cli_refuses_bad_input(runner, args, message):
    result = runner.invoke(args=["collections", "add", *args])
    assert result.exit_code != 0 and message in result.output


def test_cli_refuses_a_duplicate_name_and_an_unknown_prefix(runner):
    assert runner.invoke(args=["collections", "add", "Wikiwijs", URL]).exit_code == 0
    again = runner.invoke(args=["collections", "add", "wikiwijs", URL])
    assert again.exit_code == 1 and "already a collection called" in again.output
    prefix = runner.invoke(args=["collections", "add", "Other", URL, "--prefix", "marc"])
    assert prefix.exit_code == 2


def test_cli_names_an_unknown_collection(runner):
    for command in (["harvest", "Nergens"], ["remove", "Nergens"]):
        result = runner.invoke(args=["collections", *command])
        assert result.exit_code == 1 and "no collection called “Nergens”" in result.output


def test_cli_harvest_of_an_unreachable_collection_fails_naming_why(app, runner):
    app.config["HARVEST_TIMEOUT_SECONDS"] = 2
    runner.invoke(args=["collections", "add", "Weg", "http://127.0.0.1:9/oai"])
    result = runner.invoke(args=["collections", "harvest"])
    assert result.exit_code == 1
    assert "Weg: harvest failed: could not reach the source" in result.output
    listed = runner.invoke(args=["collections", "list"]).output
    assert "could not reach the source" in listed


def test_cli_list_and_harvest_without_collections(runner):
    assert "No collections yet" in runner.invoke(args=["collections", "list"]).output
    harvested = runner.invoke(args=["collections", "harvest"])
    assert harvested.exit_code == 0 and "No collections yet" in harvested.output


@pytest.mark.parametrize("role", ["student", "teacher", "moderator"])
def test_only_admins_see_the_admin_page(client, make_user, role):
    user = make_user(role)
    client.login(user.email)
    assert client.get("/admin/collections").status_code == 403
    response = client.post("/admin/collections", {"name": "X", "base_url": URL,
                                                  "prefix": "oai_dc"})
    assert response.status_code == 403
    assert client.post("/admin/collections/1/harvest").status_code in (403, 404)
    assert client.post("/admin/collections/1/remove").status_code in (403, 404)


def test_anonymous_visitors_are_sent_to_the_login(client):
    response = client.raw.get("/admin/collections")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_a_non_admin_cannot_harvest_or_remove_an_existing_collection(app, client, make_user,
                                                                     runner):
    runner.invoke(args=["collections", "add", "Wikiwijs", URL])
    with app.app_context():
        collection_id = db.session.scalar(select(Collection.id))
    client.login(make_user("teacher").email)
    assert client.post(f"/admin/collections/{collection_id}/harvest").status_code == 403
    assert client.post(f"/admin/collections/{collection_id}/remove").status_code == 403
    assert client.get(f"/admin/collections/{collection_id}/remove").status_code == 403
    with app.app_context():
        assert db.session.get(Collection, collection_id) is not None


def test_admin_adds_harvests_and_removes_a_collection(app, client, make_user, test_database,
                                                      tmp_path, monkeypatch):
    admin = make_user("admin")
    client.login(admin.email)
    page = client.get("/admin/collections").get_data(as_text=True)
    assert "No collections yet." in page and "Add a collection" in page
    assert 'href="/admin/collections" aria-current="page"' in page

    bad = client.post("/admin/collections", {"name": "B", "base_url": "ftp://x.org/oai",
                                             "prefix": "oai_dc"})
    assert bad.status_code == 422
    assert "must be a web address starting with http" in bad.get_data(as_text=True)
    assert 'aria-invalid="true"' in bad.get_data(as_text=True)

    with serve_portal_b(tmp_path, test_database, monkeypatch) as portal_b:
        portal_b.publish("Getijden en de maan")
        added = client.post("/admin/collections", {"name": "Portaal B",
                                                   "base_url": portal_b.url,
                                                   "prefix": "oai_dc"})
        assert added.status_code == 302
        duplicate = client.post("/admin/collections", {"name": "portaal b",
                                                       "base_url": portal_b.url,
                                                       "prefix": "oai_dc"})
        assert duplicate.status_code == 422
        assert "already a collection called" in duplicate.get_data(as_text=True)
        with app.app_context():
            collection_id = db.session.scalar(select(Collection.id))
        harvested = client.post(f"/admin/collections/{collection_id}/harvest")
        assert harvested.status_code == 302
        page = client.get("/admin/collections").get_data(as_text=True)
        assert "Portaal B harvested: 1 new, 0 updated, 0 deleted." in page
        assert "Last harvest failed" not in page
        found = client.get("/api/v1/search", query_string={"q": "getijden"}).get_json()
        assert [hit["collection"] for hit in found["results"]] == ["Portaal B"]

    # Removing asks first, saying what goes; asking changes nothing.
    page = client.get("/admin/collections").get_data(as_text=True)
    assert f'href="/admin/collections/{collection_id}/remove"' in page
    confirm = client.get(f"/admin/collections/{collection_id}/remove").get_data(as_text=True)
    assert "Remove “Portaal B”?" in confirm and "Its 1 record leaves the search" in confirm
    assert client.get("/api/v1/search", query_string={"q": "getijden"}).get_json()["total"] == 1
    assert client.get("/admin/collections/999999/remove").status_code == 404
    removed = client.post(f"/admin/collections/{collection_id}/remove")
    assert removed.status_code == 302
    assert client.get("/api/v1/search", query_string={"q": "getijden"}).get_json()["total"] == 0
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.actor_id == admin.id)))
        assert {"collection.added", "collection.harvested", "collection.removed"} <= actions


def test_the_scheduled_harvest_harvests_every_collection(app, runner, test_database, tmp_path,
                                                         monkeypatch):
    assert worker.start_scheduled_harvest(app) is None, "off in tests (interval 0)"
    app.config["HARVEST_TIMEOUT_SECONDS"] = 2
    with serve_portal_b(tmp_path, test_database, monkeypatch) as portal_b:
        portal_b.publish("Getijden en de maan")
        runner.invoke(args=["collections", "add", "Portaal B", portal_b.url])
        runner.invoke(args=["collections", "add", "Weg", "http://127.0.0.1:9/oai"])
        outcomes = {o.name: o for o in worker.harvest_all(app)}
    assert outcomes["Portaal B"].ok and outcomes["Portaal B"].added == 1
    assert not outcomes["Weg"].ok


def test_the_schedule_harvests_only_collections_that_are_due(app, runner, test_database,
                                                              tmp_path, monkeypatch):
    from datetime import timedelta

    with serve_portal_b(tmp_path, test_database, monkeypatch) as portal_b:
        portal_b.publish("Getijden en de maan")
        runner.invoke(args=["collections", "add", "Portaal B", portal_b.url])
        first = worker.harvest_all(app, due_after=timedelta(hours=6))
        assert [o.name for o in first] == ["Portaal B"], "never attempted: due"
        assert worker.harvest_all(app, due_after=timedelta(hours=6)) == [], "just harvested"
        assert [o.name for o in worker.harvest_all(app, due_after=timedelta(0))] == \
            ["Portaal B"]
