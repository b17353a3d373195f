"""Two portals: A (the test app) harvests B (served over HTTP) with the real OAI-PMH client,
finds B's published materials in its own search and API, follows B's publications and
withdrawals, keeps its earlier records when B fails half-way, and never passes B's records
on through its own OAI-PMH, sitemap, feeds or materials API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import select

from oer_portal.collections.models import Collection, HarvestedRecord
from oer_portal.extensions import db
from oer_portal.search import indexer
from tests.integration.collections_portal import (
    PortalB,
    dc_record,
    oai_response,
    serve_canned,
    serve_portal_b,
    titles,
)

NAME = "Portaal B"
B_LESSONS = {
    "Vulkanen en aardbevingen": {"subjects": ("geography",), "levels": ("havo",)},
    "Breuken op de getallenlijn": {"subjects": ("mathematics",), "levels": ("primary",)},
    "Cells and tissues": {"subjects": ("biology",), "levels": ("wo",), "language": "en",
                          "licence": "CC-BY-SA-4.0"},
}


@pytest.fixture()
def portal_b(app, test_database, tmp_path, monkeypatch) -> Iterator[PortalB]:
    with serve_portal_b(tmp_path, test_database, monkeypatch) as portal:
        for title, fields in B_LESSONS.items():
            portal.publish(title, **fields)
        portal.draft("Geheim concept van B")
        yield portal


@pytest.fixture()
def own_lesson(make_user, make_material) -> str:
    """A's own published material, found beside B's records."""
    teacher, moderator = make_user("teacher"), make_user("moderator")
    make_material(teacher, title="Vulkanen van Nederland", body="Eifel en vulkanen.\n",
                  publish_by=moderator, subjects=("geography",))
    return "Vulkanen van Nederland"


def search_api(client, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/search", query_string={"per_page": 50, **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def harvest(runner, *names: str) -> Any:
    return runner.invoke(args=["collections", "harvest", *names])


def add_b(runner, portal_b: PortalB, *extra: str) -> None:
    result = runner.invoke(args=["collections", "add", NAME, portal_b.url, *extra])
    assert result.exit_code == 0, result.output


def test_a_finds_bs_published_materials_with_their_collection(app, client, runner, portal_b,
                                                              own_lesson):
    add_b(runner, portal_b)
    result = harvest(runner)
    assert result.exit_code == 0, result.output
    assert f"{NAME}: 3 new, 0 updated, 0 deleted." in result.output

    body = search_api(client)
    found = {hit["title"]: hit for hit in body["results"]}
    assert set(found) == {*B_LESSONS, own_lesson}, "B's draft is never harvested"
    cells = found["Cells and tissues"]
    assert cells["collection"] == NAME and cells["id"] is None and cells["record_id"]
    assert cells["url"] == f"{portal_b.url.removesuffix('/oai')}/materials/" \
        f"{portal_b.ids['Cells and tissues']}-cells-and-tissues"
    assert cells["external_id"] == \
        f"oai:portal-b.example:material/{portal_b.ids['Cells and tissues']}"
    assert cells["licence"] == "CC-BY-SA-4.0" and cells["language"] == "en"
    assert found[own_lesson]["collection"] is None and found[own_lesson]["id"]
    assert {"value": NAME, "count": 3} in body["facets"]["collection"]
    # Mapped onto A's vocabularies: the facet counts and filters work on B's records.
    assert {"value": "geography", "count": 2} in body["facets"]["subject"]

    words = search_api(client, q="vulkanen")
    assert titles(words["results"]) == {"Vulkanen en aardbevingen", own_lesson}
    only_b = search_api(client, q="vulkanen", collection=NAME.lower())
    assert titles(only_b["results"]) == {"Vulkanen en aardbevingen"}
    assert titles(search_api(client, subject="biology")["results"]) == {"Cells and tissues"}

    page = client.get("/search", query_string={"q": "vulkanen"}).get_data(as_text=True)
    assert "At Portaal B" in page and 'rel="external noopener"' in page
    assert found["Vulkanen en aardbevingen"]["url"] in page
    filtered = client.get("/search", query_string={"collection": NAME}).get_data(as_text=True)
    assert "Vulkanen en aardbevingen" in filtered and own_lesson not in filtered

    with app.app_context():
        drift = indexer.check()
        assert drift.clean, drift


def test_unknown_collection_filter_is_refused(client, runner, portal_b):
    add_b(runner, portal_b)
    response = client.get("/api/v1/search", query_string={"collection": "Nergens"})
    assert response.status_code == 400
    problem = response.get_json()
    assert problem["invalid"][0]["parameter"] == "collection"
    assert problem["invalid"][0]["valid"] == [NAME]
    page = client.get("/search", query_string={"collection": "Nergens"}).get_data(as_text=True)
    assert "These filters are unknown" in page


def test_a_follows_bs_publications_and_withdrawals(app, client, runner, portal_b):
    add_b(runner, portal_b)
    assert harvest(runner, NAME).exit_code == 0
    portal_b.publish("Ohm en de zaklamp", subjects=("physics",))
    portal_b.withdraw("Breuken op de getallenlijn")

    result = harvest(runner, NAME)
    assert result.exit_code == 0, result.output
    assert "1 new, 0 updated, 1 deleted" in result.output, "only what changed since"
    current = {"Vulkanen en aardbevingen", "Cells and tissues", "Ohm en de zaklamp"}
    assert titles(search_api(client)["results"]) == current
    assert titles(search_api(client, q="breuken")["results"]) == set()
    with app.app_context():
        gone = db.session.scalar(select(HarvestedRecord).where(
            HarvestedRecord.title == "Breuken op de getallenlijn"))
        assert gone.deleted, "kept as deleted, so the next harvest knows it"
        assert indexer.check().clean

    nothing_new = harvest(runner)
    assert nothing_new.exit_code == 0, nothing_new.output
    assert "0 new, 0 updated, 0 deleted" in nothing_new.output
    assert titles(search_api(client)["results"]) == current


@pytest.mark.parametrize("mode", ["error", "oai_error", "malformed", "huge", "down", "hang"])
def test_b_failing_mid_harvest_leaves_the_earlier_records(app, client, runner, portal_b,
                                                          make_user, mode):
    app.config["HARVEST_MAX_RESPONSE_BYTES"] = 1_000_000
    add_b(runner, portal_b)
    assert harvest(runner).exit_code == 0
    before = titles(search_api(client)["results"])
    for title in ("Nieuw een", "Nieuw twee", "Nieuw drie"):  # more than one page (of two)
        portal_b.publish(title)
    portal_b.withdraw("Vulkanen en aardbevingen")
    portal_b.switch.mode = mode
    # short enough for the hang to fail fast, long enough for a busy machine's honest answers
    app.config["HARVEST_TIMEOUT_SECONDS"] = 2 if mode == "hang" else 30

    result = harvest(runner)
    assert result.exit_code == 1
    expected = {"error": "HTTP 500", "oai_error": "OAI-PMH error BadResumptionToken",
                "malformed": "malformed",
                "huge": "an answer longer than 1000000 bytes",
                "down": "could not reach the source",
                "hang": "no answer within 2 seconds"}[mode]
    assert expected in result.output
    assert titles(search_api(client)["results"]) == before, "nothing of the failed harvest"
    with app.app_context():
        collection = db.session.scalar(select(Collection))
        assert expected in collection.last_error and collection.last_attempt_at
        assert db.session.scalar(select(HarvestedRecord).where(
            HarvestedRecord.title == "Nieuw een")) is None
        assert indexer.check().clean

    admin = make_user("admin")
    client.login(admin.email)
    page = client.get("/admin/collections").get_data(as_text=True)
    assert "Last harvest failed" in page and expected in page

    portal_b.switch.mode = "ok"
    portal_b.switch.release.set()
    app.config["HARVEST_TIMEOUT_SECONDS"] = 30
    again = harvest(runner)
    assert again.exit_code == 0, again.output
    assert titles(search_api(client)["results"]) == \
        before - {"Vulkanen en aardbevingen"} | {"Nieuw een", "Nieuw twee", "Nieuw drie"}
    assert "Last harvest failed" not in client.get("/admin/collections").get_data(as_text=True)


def test_lom_harvest_maps_levels_and_subjects(client, runner, portal_b):
    add_b(runner, portal_b, "--prefix", "lom")
    assert harvest(runner).exit_code == 0
    body = search_api(client, level="primary")
    assert titles(body["results"]) == {"Breuken op de getallenlijn"}
    assert titles(search_api(client, level="secondary")["results"]) == \
        {"Vulkanen en aardbevingen"}, "havo is found under its parent, as for materials"
    assert {"value": "mathematics", "count": 1} in body["facets"]["subject"]
    assert body["results"][0]["licence"] == "CC-BY-4.0"


OAI_NS = {"oai": "http://www.openarchives.org/OAI/2.0/"}


def test_records_never_leave_a_through_its_own_channels(app, client, runner, portal_b,
                                                        own_lesson):
    add_b(runner, portal_b)
    assert harvest(runner).exit_code == 0
    with app.app_context():
        record = db.session.scalar(select(HarvestedRecord))
        record_id, identifier = record.id, record.identifier
    for prefix in ("oai_dc", "lom"):
        for verb in ("ListRecords", "ListIdentifiers"):
            response = client.get("/oai", query_string={"verb": verb, "metadataPrefix": prefix})
            xml = response.get_data(as_text=True)
            assert own_lesson in xml or verb == "ListIdentifiers"
            root = etree.fromstring(response.data)
            listed = [e.text for e in root.iterfind(".//oai:header/oai:identifier", OAI_NS)]
            assert len(listed) == 1, "only A's own material"
            for title in B_LESSONS:
                assert title not in xml
    for asked in (identifier, identifier.replace("portal-b.example", "localhost"),
                  f"oai:localhost:material/r{record_id}"):
        response = client.get("/oai", query_string={"verb": "GetRecord", "identifier": asked,
                                                    "metadataPrefix": "oai_dc"})
        assert 'code="idDoesNotExist"' in response.get_data(as_text=True)
    for path in ("/sitemap.xml", "/feeds/materials.atom", "/api/v1/materials"):
        text = client.get(path).get_data(as_text=True)
        for title in B_LESSONS:
            assert title not in text, path
    for path in ("/sitemap.xml",):
        root = etree.fromstring(client.get(path).data)
        for loc in root.iter("{*}loc"):
            sub = client.get(loc.text.replace("http://localhost", "")).get_data(as_text=True)
            assert not any(title in sub for title in B_LESSONS)


def test_removing_a_collection_removes_its_records_from_the_search(app, client, runner,
                                                                   portal_b, own_lesson):
    add_b(runner, portal_b)
    assert harvest(runner).exit_code == 0
    result = runner.invoke(args=["collections", "remove", NAME])
    assert result.exit_code == 0, result.output
    assert titles(search_api(client)["results"]) == {own_lesson}
    with app.app_context():
        assert db.session.scalar(select(HarvestedRecord)) is None
        assert indexer.check().clean


def test_reindex_includes_live_records_only(app, client, runner, portal_b):
    add_b(runner, portal_b)
    assert harvest(runner).exit_code == 0
    portal_b.withdraw("Cells and tissues")
    assert harvest(runner).exit_code == 0
    rebuilt = runner.invoke(args=["search", "reindex"])
    assert rebuilt.exit_code == 0 and "2 materials indexed" in rebuilt.output
    assert titles(search_api(client)["results"]) == \
        {"Vulkanen en aardbevingen", "Breuken op de getallenlijn"}
    checked = runner.invoke(args=["search", "check"])
    assert checked.exit_code == 0, checked.output


def test_no_records_match_is_a_success_with_nothing_new(app, runner, client):
    def answer(query: dict[str, str]) -> bytes:
        if "from" in query:
            return oai_response("ListRecords", '<error code="noRecordsMatch">none</error>')
        return oai_response("ListRecords", "<ListRecords>" + dc_record(
            "oai:src:1", "Getijdenstroom", "Eb en vloed.") + "</ListRecords>",
            date="2026-12-01T10:00:00Z")

    with serve_canned(answer) as (url, seen):
        runner.invoke(args=["collections", "add", "Bron", url])
        assert harvest(runner).exit_code == 0
        again = harvest(runner)
    assert again.exit_code == 0 and "0 new, 0 updated, 0 deleted" in again.output
    assert seen[1]["from"] == "2026-12-01T10:00:00Z", "from the source's own responseDate"
    with app.app_context():
        collection = db.session.scalar(select(Collection))
        assert collection.harvested_until == "2026-12-01T10:00:00Z"
        assert collection.last_error is None
    assert titles(search_api(client, q="getijdenstroom")["results"]) == {"Getijdenstroom"}


def test_a_day_granularity_source_is_asked_by_day(app, runner):
    def answer(query: dict[str, str]) -> bytes:
        if "T" in query.get("from", ""):
            return oai_response("ListRecords", '<error code="badArgument">day only</error>')
        if "from" in query:
            return oai_response("ListRecords", '<error code="noRecordsMatch">none</error>')
        return oai_response("ListRecords", "<ListRecords/>", date="2026-12-01T10:00:00Z")

    with serve_canned(answer) as (url, seen):
        runner.invoke(args=["collections", "add", "Dagbron", url])
        assert harvest(runner).exit_code == 0
        result = harvest(runner)
    assert result.exit_code == 0, result.output
    assert [q.get("from") for q in seen] == [None, "2026-12-01T10:00:00Z", "2026-12-01"]


def test_harvested_text_is_escaped_in_results_and_highlights(runner, client):
    evil = "&lt;script&gt;alert(1)&lt;/script&gt; zeewier &lt;b&gt;vet&lt;/b&gt;"
    body = oai_response("ListRecords", "<ListRecords>" + dc_record(
        "oai:src:9", "Zeewier &lt;img src=x onerror=alert(1)&gt;", evil,
        extra="<dc:subject>Zeewierkunde</dc:subject>") + "</ListRecords>")
    with serve_canned(lambda _q: body) as (url, _seen):
        runner.invoke(args=["collections", "add", "Bron", url])
        assert harvest(runner).exit_code == 0
    page = client.get("/search", query_string={"q": "zeewier"}).get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page and "<mark>zeewier</mark>" in page.lower()
    found = search_api(client, q="zeewier")["results"][0]
    assert "<script>" not in found["highlights"] and "&lt;script&gt;" in found["highlights"]
    # A subject nothing maps is a facet value as written, and filtering on it works.
    subjects = search_api(client)["facets"]["subject"]
    assert {"value": "Zeewierkunde", "count": 1} in subjects
    assert search_api(client, subject="Zeewierkunde")["total"] == 1
    assert client.get("/api/v1/search", query_string={"subject": "Onbekend"}).status_code == 400


def test_a_deleted_record_that_comes_back_is_found_again(app, runner, client):
    state = {"deleted": False}

    def answer(_query: dict[str, str]) -> bytes:
        return oai_response("ListRecords", "<ListRecords>" + dc_record(
            "oai:src:5", "Duinvorming", "Wind en zand.", deleted=state["deleted"])
            + "</ListRecords>")

    with serve_canned(answer) as (url, _seen):
        runner.invoke(args=["collections", "add", "Bron", url])
        assert harvest(runner).exit_code == 0
        state["deleted"] = True
        assert "0 new, 0 updated, 1 deleted" in harvest(runner).output
        assert search_api(client, q="duinvorming")["total"] == 0
        state["deleted"] = False
        assert "0 new, 1 updated, 0 deleted" in harvest(runner).output
    assert search_api(client, q="duinvorming")["total"] == 1
    with app.app_context():
        assert indexer.check().clean


def test_harvest_now_with_a_task_queue_runs_in_a_worker(app, another_app, runner, portal_b,
                                                        make_user):
    """With a broker, "Harvest now" answers at once and a worker harvests (Celery's eager
    mode stands for the worker here; tests/integration/test_tasks_worker.py runs a real one)."""
    from tests.conftest import Client

    add_b(runner, portal_b)
    queued = another_app({**app.config, "TASK_BROKER_URL": "memory://",
                          "CELERY": {"task_always_eager": True,
                                     "task_eager_propagates": False}})
    admin = make_user("admin")
    client = Client(queued.test_client())
    client.login(admin.email)
    with queued.app_context():
        collection_id = db.session.scalar(select(Collection.id))
    answer = client.post(f"/admin/collections/{collection_id}/harvest", follow_redirects=True)
    page = answer.get_data(as_text=True)
    assert "is being harvested in the background" in page
    assert titles(search_api(client)["results"]) == set(B_LESSONS)
    assert "Last harvest failed" not in client.get("/admin/collections").get_data(as_text=True)
