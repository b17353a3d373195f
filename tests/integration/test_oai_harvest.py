"""A real harvester (``oaipmh-scythe``, over HTTP against the portal served by werkzeug)
harvests the portal: every record in both formats across pages of three, following the
resumption tokens; selective harvesting by date and by each kind of set; deleted records;
and nothing that was never published."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from oaipmh_scythe import Scythe
from oaipmh_scythe.config import HTTPConfig
from oaipmh_scythe.exceptions import IdDoesNotExist, NoRecordsMatch
from werkzeug.serving import make_server

from tests.integration.oai_portal import Portal, build, identifier

LOM = "{http://ltsc.ieee.org/xsd/LOM}"


@pytest.fixture()
def portal(app, make_user, monkeypatch) -> Portal:
    app.config["OAI_PAGE_SIZE"] = 3
    return build(app, make_user, monkeypatch)


@pytest.fixture()
def harvester(app) -> Iterator[Scythe]:
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    scythe = Scythe(f"http://127.0.0.1:{server.server_port}/oai")
    try:
        yield scythe
    finally:
        scythe.close()
        server.shutdown()
        server.server_close()
        thread.join()


def harvest(scythe: Scythe, **arguments: Any) -> list[Any]:
    return list(scythe.list_records(**arguments))


@pytest.mark.parametrize("prefix", ["oai_dc", "lom"])
def test_every_record_in_pages_following_resumption_tokens(portal, harvester, prefix):
    pages: list[Any] = []
    original = harvester.harvest

    def counting(query: dict[str, str]) -> Any:
        pages.append(query)
        return original(query)

    harvester.harvest = counting  # type: ignore[method-assign]
    records = harvest(harvester, metadata_prefix=prefix)
    total = len(portal.published) + len(portal.deleted)
    assert len(pages) == -(-total // 3) > 3, "more records than one page, so tokens were used"
    assert all("resumptionToken" in query for query in pages[1:])
    assert [r.header.identifier for r in records].count(records[0].header.identifier) == 1
    assert {r.header.identifier for r in records} == portal.records
    live = {r.header.identifier: r for r in records if not r.deleted}
    assert set(live) == {identifier(i) for i in portal.published}
    assert {r.header.identifier for r in records if r.deleted} == \
        {identifier(i) for i in portal.deleted}
    for material_id, (title, datestamp) in portal.published.items():
        record = live[identifier(material_id)]
        assert record.header.datestamp == datestamp
        if prefix == "oai_dc":
            assert record.metadata["title"] == [title]
        else:
            strings = record.xml.findall(f".//{LOM}general/{LOM}title/{LOM}string")
            assert [s.text for s in strings] == [title]
    # Datestamp order, oldest first: a harvester can stop and go on from the last one.
    stamps = [r.header.datestamp for r in records]
    assert stamps == sorted(stamps)


def test_identifiers_listed_alike_and_post_works_too(portal, app):
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with Scythe(f"http://127.0.0.1:{server.server_port}/oai",
                    http_config=HTTPConfig(http_method="POST")) as post:
            headers = list(post.list_identifiers(metadata_prefix="lom"))
            assert {h.identifier for h in headers} == portal.records
            assert {h.identifier for h in headers if h.deleted} == \
                {identifier(i) for i in portal.deleted}
            identify = post.identify()
            assert identify.deletedRecord == "persistent"
            assert identify.granularity == "YYYY-MM-DDThh:mm:ssZ"
            assert identify.earliestDatestamp == "2026-01-05T09:00:00Z"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def ids(records: list[Any]) -> set[str]:
    return {r.header.identifier for r in records}


def test_selective_harvesting_by_date(portal, harvester):
    i = portal.ids
    february = harvest(harvester, metadata_prefix="oai_dc", from_="2026-02-01",
                       until="2026-02-14")
    assert ids(february) == {identifier(i["ohm"]), identifier(i["cells"]),
                             identifier(i["rivers"])}
    # Seconds granularity: both ends are inclusive, to the second.
    exact = harvest(harvester, metadata_prefix="oai_dc", from_="2026-02-01T08:00:00Z",
                    until="2026-02-14T23:59:59Z")
    assert ids(exact) == ids(february)
    with pytest.raises(NoRecordsMatch):
        harvest(harvester, metadata_prefix="oai_dc", from_="2026-02-01T08:00:01Z",
                until="2026-02-14T23:59:58Z")
    # From a moment on: what changed since, withdrawals included (as deleted records).
    since = harvest(harvester, metadata_prefix="lom", from_="2026-03-03T10:00:00Z")
    assert ids(since) == {identifier(i["remix"]), identifier(i["arrangement"]),
                          identifier(i["withdrawn"]), identifier(i["offline"])}
    assert {r.header.identifier for r in since if r.deleted} == \
        {identifier(i["withdrawn"]), identifier(i["offline"])}
    until = harvest(harvester, metadata_prefix="oai_dc", until="2026-01-10T12:30:00Z")
    assert ids(until) == {identifier(i["fractions"]), identifier(i["photosynthesis"])}


def test_selective_harvesting_by_set(portal, harvester):
    i = portal.ids
    biology = harvest(harvester, metadata_prefix="oai_dc", set_="subject:biology")
    # The remix copied the lesson's subjects; the never-published biology lessons are absent.
    assert ids(biology) == {identifier(i["photosynthesis"]), identifier(i["cells"]),
                            identifier(i["remix"])}
    history = harvest(harvester, metadata_prefix="oai_dc", set_="subject:history")
    assert ids(history) == {identifier(i["withdrawn"]), identifier(i["offline"])}
    assert all(r.deleted for r in history)
    primary = harvest(harvester, metadata_prefix="lom", set_="level:primary")
    # The revised lesson's draft moved it to "wo"; the published version is what counts.
    assert ids(primary) == {identifier(i["fractions"]), identifier(i["rivers"]),
                            identifier(i["revised"])}
    english = harvest(harvester, metadata_prefix="oai_dc", set_="language:en")
    assert ids(english) == {identifier(i["cells"])}
    german = harvest(harvester, metadata_prefix="oai_dc", set_="language:de",
                     from_="2026-01-01", until="2026-12-31")
    assert ids(german) == {identifier(i["verbs"])}
    # The vocabulary itself is a set: every record with a level.
    levels = harvest(harvester, metadata_prefix="oai_dc", set_="level")
    assert ids(levels) == {identifier(i[k]) for k in
                           ("fractions", "photosynthesis", "ohm", "cells", "rivers", "verbs",
                            "revised", "remix")}
    with pytest.raises(NoRecordsMatch):
        harvest(harvester, metadata_prefix="oai_dc", set_="level:adult")
    sets = {s.setSpec for s in harvester.list_sets()}
    assert {"subject", "subject:biology", "level:havo", "language:nl"} <= sets
    for record in biology:
        assert "subject:biology" in record.header.setSpecs


def test_never_published_materials_are_never_harvested(portal, harvester):
    everything = harvest(harvester, metadata_prefix="oai_dc") + \
        harvest(harvester, metadata_prefix="lom")
    listed = ids(everything)
    for material_id in portal.hidden.values():
        assert identifier(material_id) not in listed
        with pytest.raises(IdDoesNotExist):
            harvester.get_record(identifier=identifier(material_id), metadata_prefix="oai_dc")
    text = b"".join(bytes(r) for r in everything).decode()
    for hidden in ("Geheim concept", "Wachtende les", "Afgewezen les", "Weggegooid concept",
                   portal.draft_title):
        assert hidden not in text
    revised = harvester.get_record(identifier=identifier(portal.ids["revised"]),
                                   metadata_prefix="oai_dc")
    assert revised.metadata["title"] == ["Getallenlijn"]


def test_a_withdrawn_material_is_a_deleted_record(portal, harvester):
    for key in ("withdrawn", "offline"):
        record = harvester.get_record(identifier=identifier(portal.ids[key]),
                                      metadata_prefix="lom")
        assert record.deleted
        assert record.header.datestamp == portal.deleted[portal.ids[key]]
        assert record.xml.find("{http://www.openarchives.org/OAI/2.0/}metadata") is None
        assert "Teruggetrokken" not in bytes(record).decode()
