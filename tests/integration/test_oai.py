"""The OAI-PMH provider at ``/oai`` through the test client: the protocol's rules (every
error code, the request element, exclusive and repeated arguments, granularity), signed
resumption tokens (tampered, garbage, expired, from another verb), the records' metadata in
both formats, datestamps that follow public changes only, and a bounded number of statements
per page."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from itsdangerous import URLSafeTimedSerializer
from lxml import etree

from oer_portal.accounts.models import User
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import lifecycle
from oer_portal.materials.models import Material
from oer_portal.oai.protocol import TOKEN_SALT
from tests.conftest import SECRET
from tests.fixtures.statements import page_statements
from tests.integration.oai_portal import Portal, build, clock, identifier

OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
LOM = "{http://ltsc.ieee.org/xsd/LOM}"


@pytest.fixture()
def portal(app, make_user, monkeypatch) -> Portal:
    app.config["OAI_PAGE_SIZE"] = 3
    return build(app, make_user, monkeypatch)


def oai(client, method: str = "get", **arguments: str) -> etree._Element:
    if method == "post":
        response = client.raw.post("/oai", data=arguments, buffered=True)
    else:
        response = client.get("/oai", query_string=arguments)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    root = etree.fromstring(response.data)
    assert root.tag == f"{OAI}OAI-PMH"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", root.findtext(f"{OAI}responseDate"))
    return root


def error_of(root: etree._Element) -> str | None:
    error = root.find(f"{OAI}error")
    return error.get("code") if error is not None else None


def request_of(root: etree._Element) -> dict[str, str]:
    element = root.find(f"{OAI}request")
    assert element.text == "http://localhost/oai"
    return dict(element.attrib)


ERRORS = [
    ({}, "badVerb"),
    ({"verb": "Harvest"}, "badVerb"),
    ({"verb": "Identify", "set": "x"}, "badArgument"),
    ({"verb": "ListRecords"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2026-13-01"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2026-01-01T10:00Z"},
     "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2026-01-01",
      "until": "2026-02-01T00:00:00Z"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2026-02-02",
      "until": "2026-02-01"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "resumptionToken": "x"},
     "badArgument"),
    ({"verb": "GetRecord", "identifier": "oai:oer-portal.local:material/1"}, "badArgument"),
    ({"verb": "ListMetadataFormats", "metadataPrefix": "oai_dc"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
    ({"verb": "ListIdentifiers", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
    ({"verb": "GetRecord", "identifier": "oai:oer-portal.local:material/1",
      "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
    ({"verb": "GetRecord", "identifier": "oai:oer-portal.local:material/99999",
      "metadataPrefix": "oai_dc"}, "idDoesNotExist"),
    ({"verb": "GetRecord", "identifier": "oai:elsewhere.org:material/1",
      "metadataPrefix": "oai_dc"}, "idDoesNotExist"),
    ({"verb": "GetRecord", "identifier": "material/1", "metadataPrefix": "oai_dc"},
     "idDoesNotExist"),
    ({"verb": "GetRecord", "identifier": "oai:oer-portal.local:material/01",
      "metadataPrefix": "oai_dc"}, "idDoesNotExist"),
    ({"verb": "ListMetadataFormats", "identifier": "oai:oer-portal.local:material/99999"},
     "idDoesNotExist"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2030-01-01"},
     "noRecordsMatch"),
    ({"verb": "ListIdentifiers", "metadataPrefix": "lom", "set": "subject:astrology"},
     "noRecordsMatch"),
    ({"verb": "ListIdentifiers", "metadataPrefix": "lom", "set": "colour:red"},
     "noRecordsMatch"),
    ({"verb": "ListRecords", "resumptionToken": "garbage"}, "badResumptionToken"),
    ({"verb": "ListSets", "resumptionToken": "garbage"}, "badResumptionToken"),
]


@pytest.mark.parametrize(("arguments", "code"), ERRORS,
                         ids=[f"{code}-{i}" for i, (_a, code) in enumerate(ERRORS)])
@pytest.mark.parametrize("method", ["get", "post"])
def test_every_protocol_error_is_200_with_its_code(client, arguments, code, method):
    root = oai(client, method, **arguments)
    assert error_of(root) == code
    assert root.find(f"{OAI}{arguments.get('verb', 'x')}") is None
    echoed = request_of(root)
    if code in ("badVerb", "badArgument"):
        assert echoed == {}, "arguments are echoed only when they were all valid"
    else:
        assert echoed == arguments


def test_repeated_arguments_and_verbs(client):
    response = client.get("/oai?verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=lom")
    assert error_of(etree.fromstring(response.data)) == "badArgument"
    response = client.get("/oai?verb=Identify&verb=Identify")
    assert error_of(etree.fromstring(response.data)) == "badVerb"


def test_post_needs_no_csrf_token(portal, app):
    app.config["WTF_CSRF_ENABLED"] = True
    response = app.test_client().post("/oai", data={"verb": "Identify"})
    assert response.status_code == 200
    assert error_of(etree.fromstring(response.data)) is None


def test_identify(portal, client):
    root = oai(client, verb="Identify")
    assert request_of(root) == {"verb": "Identify"}
    identify = root.find(f"{OAI}Identify")
    assert identify.findtext(f"{OAI}repositoryName") == "OER-portaal"
    assert identify.findtext(f"{OAI}baseURL") == "http://localhost/oai"
    assert identify.findtext(f"{OAI}protocolVersion") == "2.0"
    assert identify.findtext(f"{OAI}adminEmail") == "admin@oer-portal.local"
    assert identify.findtext(f"{OAI}earliestDatestamp") == "2026-01-05T09:00:00Z"
    assert identify.findtext(f"{OAI}deletedRecord") == "persistent"
    assert identify.findtext(f"{OAI}granularity") == "YYYY-MM-DDThh:mm:ssZ"
    assert "oai:oer-portal.local:material/1" in etree.tostring(identify).decode()


def test_configured_identity_and_addresses(portal, app, client):
    app.config.update(OAI_REPOSITORY_IDENTIFIER="oer.example.nl",
                      OAI_ADMIN_EMAIL="beheer@example.nl", OAI_REPOSITORY_NAME="Mijn OER",
                      PORTAL_URL="https://oer.example.nl")
    root = oai(client, verb="Identify")
    assert root.findtext(f".//{OAI}adminEmail") == "beheer@example.nl"
    assert root.findtext(f".//{OAI}baseURL") == "https://oer.example.nl/oai"
    material_id = portal.ids["fractions"]
    record = oai(client, verb="GetRecord", identifier=f"oai:oer.example.nl:material/{material_id}",
                 metadataPrefix="oai_dc")
    assert record.findtext(f".//{DC}identifier") == \
        f"https://oer.example.nl/materials/{material_id}-breuken-vergelijken"


def test_list_metadata_formats_and_sets(portal, client):
    root = oai(client, verb="ListMetadataFormats",
               identifier=identifier(portal.ids["withdrawn"]))
    prefixes = [f.findtext(f"{OAI}metadataPrefix") for f in root.iter(f"{OAI}metadataFormat")]
    assert prefixes == ["oai_dc", "lom"]
    assert root.findtext(f".//{OAI}metadataNamespace") == \
        "http://www.openarchives.org/OAI/2.0/oai_dc/"
    sets = oai(client, verb="ListSets")
    specs = {s.findtext(f"{OAI}setSpec"): s.findtext(f"{OAI}setName")
             for s in sets.iter(f"{OAI}set")}
    assert specs["subject:biology"] == "Vak: Biologie"
    assert specs["level:havo"] == "Niveau: havo"
    assert specs["language:nl"] == "Taal: Nederlands"
    assert specs["subject"] == "Vak"
    assert sets.find(f".//{OAI}resumptionToken") is None


def test_never_published_is_idDoesNotExist_for_every_verb(portal, client):
    for material_id in portal.hidden.values():
        for verb, extra in (("GetRecord", {"metadataPrefix": "lom"}),
                            ("ListMetadataFormats", {})):
            root = oai(client, verb=verb, identifier=identifier(material_id), **extra)
            assert error_of(root) == "idDoesNotExist"
    # An identifier is one exact string: a published material under another spelling is none.
    fractions = portal.ids["fractions"]
    for spelling in (f"oai:oer-portal.local:material/0{fractions}",
                     f"oai:OER-PORTAL.LOCAL:material/{fractions}",
                     f"oai:oer-portal.local:material/{fractions} "):
        root = oai(client, verb="GetRecord", identifier=spelling, metadataPrefix="lom")
        assert error_of(root) == "idDoesNotExist", spelling


def _page(client, **arguments: str) -> tuple[list[etree._Element], etree._Element | None]:
    root = oai(client, **arguments)
    assert error_of(root) is None, etree.tostring(root)
    container = root.find(f"{OAI}{arguments['verb']}")
    token = container.find(f"{OAI}resumptionToken")
    return list(container.iter(f"{OAI}header")), token


def test_resumption_tokens_carry_size_and_cursor_and_end_empty(portal, client):
    total = len(portal.records)
    headers, token = _page(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    seen = [h.findtext(f"{OAI}identifier") for h in headers]
    cursors = [token.get("cursor")]
    assert token.get("completeListSize") == str(total)
    assert token.get("expirationDate")
    while token.text:
        headers, token = _page(client, verb="ListIdentifiers", resumptionToken=token.text)
        seen += [h.findtext(f"{OAI}identifier") for h in headers]
        cursors.append(token.get("cursor"))
        assert token.get("completeListSize") == str(total)
    assert len(seen) == len(set(seen)) == total
    assert cursors == [str(n) for n in range(0, total, 3)]
    assert token.get("expirationDate") is None
    # A list that fits in one page has no token at all.
    headers, token = _page(client, verb="ListIdentifiers", metadataPrefix="oai_dc",
                           set="language:en")
    assert len(headers) == 1 and token is None


def test_tampered_garbage_expired_and_foreign_tokens_are_refused(portal, client, monkeypatch):
    _headers, token = _page(client, verb="ListRecords", metadataPrefix="oai_dc")
    good = token.text
    payload, _, signature = good.rpartition(".")
    # The signature's first character: every one of its bits counts (in the last one of an
    # unpadded base64 HMAC some do not, so changing it may leave the same bytes).
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    tampered = [payload + "." + flipped, "x" + good, good[:-3],
                good.replace(good[5], "Z" if good[5] != "Z" else "Y", 1)]
    for bad in [*tampered, "", "garbage", "a.b.c"]:
        root = oai(client, verb="ListRecords", resumptionToken=bad)
        assert error_of(root) == "badResumptionToken", bad
    # A token of ListRecords is no token for ListIdentifiers.
    root = oai(client, verb="ListIdentifiers", resumptionToken=good)
    assert error_of(root) == "badResumptionToken"
    # Signed with another key, or another salt: refused.
    for key, salt in ((SECRET[::-1], TOKEN_SALT), (SECRET, "something else")):
        forged = URLSafeTimedSerializer(key, salt=salt).dumps(
            ["ListRecords", "oai_dc", None, None, None, "2000-01-01T00:00:00Z", 0, 0, 100])
        assert error_of(oai(client, verb="ListRecords", resumptionToken=forged)) == \
            "badResumptionToken"
    # Expired: issued longer ago than OAI_TOKEN_LIFETIME.
    import itsdangerous.timed

    issued = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    with monkeypatch.context() as patch:
        patch.setattr(itsdangerous.timed.time, "time", lambda: issued)
        _headers, old = _page(client, verb="ListRecords", metadataPrefix="oai_dc")
    assert error_of(oai(client, verb="ListRecords", resumptionToken=old.text)) == \
        "badResumptionToken"
    assert error_of(oai(client, verb="ListRecords", resumptionToken=good)) is None


def _record(client, material_id: int, prefix: str) -> etree._Element:
    root = oai(client, verb="GetRecord", identifier=identifier(material_id),
               metadataPrefix=prefix)
    assert error_of(root) is None
    return root.find(f"{OAI}GetRecord/{OAI}record")


def test_dublin_core_record(portal, client):
    record = _record(client, portal.ids["photosynthesis"], "oai_dc")
    dc = record.find(f"{OAI}metadata/{{http://www.openarchives.org/OAI/2.0/oai_dc/}}dc")
    assert dc is not None
    values = {}
    for element in dc:
        values.setdefault(element.tag.removeprefix(DC), []).append(element.text)
    assert values["title"] == ["Fotosynthese"]
    assert values["creator"] == ["Anna Aalders"]
    assert values["subject"] == ["Biologie", "oefenen"]
    assert values["description"] == ["Over Fotosynthese."]
    assert values["date"] == ["2026-01-10"]
    assert values["language"] == ["nl"]
    assert values["rights"] == ["https://creativecommons.org/licenses/by-sa/4.0/"]
    assert values["identifier"] == [
        f"http://localhost/materials/{portal.ids['photosynthesis']}-fotosynthese"]
    header = record.find(f"{OAI}header")
    assert [s.text for s in header.iter(f"{OAI}setSpec")] == \
        ["subject:biology", "level:havo", "level:vwo", "language:nl"]
    remix = record = _record(client, portal.ids["remix"], "oai_dc")
    assert remix.findtext(f".//{DC}relation") == values["identifier"][0]
    arrangement = _record(client, portal.ids["arrangement"], "oai_dc")
    assert [r.text for r in arrangement.iter(f"{DC}relation")] == [
        values["identifier"][0],
        f"http://localhost/materials/{portal.ids['ohm']}-ohm-en-de-zaklamp"]
    assert arrangement.findtext(f".//{DC}type") == "Collection"


def test_lom_record_with_nl_lom_vocabularies(portal, client):
    record = _record(client, portal.ids["photosynthesis"], "lom")
    lom = record.find(f"{OAI}metadata/{LOM}lom")
    assert lom is not None
    url = f"http://localhost/materials/{portal.ids['photosynthesis']}-fotosynthese"
    general = lom.find(f"{LOM}general")
    title = general.find(f"{LOM}title/{LOM}string")
    assert (title.text, title.get("language")) == ("Fotosynthese", "nl")
    assert general.findtext(f"{LOM}language") == "nl"
    assert [k.text for k in general.iter(f"{LOM}keyword")] == [None] and \
        general.findtext(f"{LOM}keyword/{LOM}string") == "oefenen"
    entries = {i.findtext(f"{LOM}catalog"): i.findtext(f"{LOM}entry")
               for i in general.iter(f"{LOM}identifier")}
    assert entries == {"URI": url, "oai": identifier(portal.ids["photosynthesis"])}
    contribute = lom.find(f"{LOM}lifeCycle/{LOM}contribute")
    assert contribute.findtext(f"{LOM}role/{LOM}value") == "author"
    assert "FN:Anna Aalders" in contribute.findtext(f"{LOM}entity")
    assert lom.findtext(f"{LOM}lifeCycle/{LOM}version/{LOM}string") == "1"
    assert lom.findtext(f"{LOM}technical/{LOM}location") == url
    contexts = lom.findall(f"{LOM}educational/{LOM}context")
    assert [(c.findtext(f"{LOM}source"), c.findtext(f"{LOM}value")) for c in contexts] == \
        [("http://purl.edustandaard.nl/vdex_context_czp_20060628", "VO")]
    rights = lom.find(f"{LOM}rights")
    assert rights.findtext(f"{LOM}copyrightAndOtherRestrictions/{LOM}value") == "yes"
    assert rights.findtext(f"{LOM}description/{LOM}string") == \
        "https://creativecommons.org/licenses/by-sa/4.0/"
    purposes = {c.findtext(f"{LOM}purpose/{LOM}value"): c
                for c in lom.iter(f"{LOM}classification")}
    discipline = purposes["discipline"]
    assert discipline.findtext(f".//{LOM}taxon/{LOM}id") == "biology"
    levels = [c for c in lom.iter(f"{LOM}classification")
              if c.findtext(f".//{LOM}taxonPath/{LOM}source/{LOM}string")
              == "http://purl.edustandaard.nl/begrippenkader"]
    assert [t.text for t in levels[0].iter(f"{LOM}id")] == \
        ["2a1401e9-c223-493b-9b86-78f6993b1a8d"]

    remix = _record(client, portal.ids["remix"], "lom")
    relation = remix.find(f".//{LOM}relation")
    assert relation.findtext(f"{LOM}kind/{LOM}value") == "isbasedon"
    assert relation.findtext(f".//{LOM}identifier/{LOM}entry") == url
    arrangement = _record(client, portal.ids["arrangement"], "lom")
    parts = [(r.findtext(f"{LOM}kind/{LOM}value"),
              r.findall(f".//{LOM}identifier/{LOM}entry")[1].text)
             for r in arrangement.iter(f"{LOM}relation")]
    assert parts == [("haspart", identifier(portal.ids["photosynthesis"])),
                     ("haspart", identifier(portal.ids["ohm"]))]
    assert arrangement.findtext(f".//{LOM}aggregationLevel/{LOM}value") == "3"


def test_xml_control_characters_are_dropped_not_fatal(app, client, make_user, make_material):
    teacher, moderator = make_user("teacher"), make_user("moderator")
    material_id = make_material(teacher, title="Breuken\x07 vergelijken", publish_by=moderator,
                                description="Regel\x0bopen", keywords=("a\x01b",))
    for prefix in ("oai_dc", "lom"):
        record = etree.tostring(_record(client, material_id, prefix)).decode()
        assert "Breuken vergelijken" in record and "Regelopen" in record
        assert ">ab<" in record


def datestamp_of(client, material_id: int) -> str:
    root = oai(client, verb="GetRecord", identifier=identifier(material_id),
               metadataPrefix="oai_dc")
    return root.findtext(f".//{OAI}header/{OAI}datestamp")


def test_datestamps_follow_public_changes_and_never_drafts(portal, app, client, make_user,
                                                            monkeypatch):
    from oer_portal.materials import service as materials
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import MaterialVersion

    fractions, offline = portal.ids["fractions"], portal.ids["offline"]
    admin = make_user("admin")
    with app.app_context():
        anna = db.session.get(User, db.session.get(Material, fractions).owner_id)
        # Saving a draft moves nothing a harvester sees.
        with clock(monkeypatch, "2026-05-01T10:00:00Z"):
            material = db.session.get(Material, fractions)
            materials.save_version(anna, fractions, material.latest_version_id,
                                   VersionFields(title="Concept"), [])
            current_uow().commit()
    assert datestamp_of(client, fractions) == "2026-01-05T09:00:00Z"
    with app.app_context():
        material = db.session.get(Material, fractions)
        with clock(monkeypatch, "2026-05-02T10:00:00Z"):
            lifecycle.publish(material,
                              db.session.get(MaterialVersion, material.latest_version_id),
                              db.session.get(User, admin.id))
        current_uow().commit()
        with clock(monkeypatch, "2026-05-03T10:00:00Z"):
            lifecycle.reinstate(db.session.get(User, admin.id),
                                db.session.get(Material, offline), "Toch in orde.")
        current_uow().commit()
    assert datestamp_of(client, fractions) == "2026-05-02T10:00:00Z"
    assert datestamp_of(client, offline) == "2026-05-03T10:00:00Z"
    record = _record(client, offline, "oai_dc")
    assert record.find(f"{OAI}header").get("status") is None
    assert record.findtext(f".//{DC}title") == "Offline gehaalde les"
    changed = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": "2026-05-01"})
    assert {h.findtext(f"{OAI}identifier") for h in changed.iter(f"{OAI}header")} == \
        {identifier(fractions), identifier(offline)}


def test_a_page_takes_the_same_statements_whatever_its_size(portal, app, client, make_user,
                                                              make_material):
    teacher, moderator = make_user("teacher"), make_user("moderator")
    for n in range(35):
        make_material(teacher, title=f"Les {n}", publish_by=moderator, subjects=("music",),
                      levels=("vwo",), keywords=("een", "twee"))
    # From the remix on: both pages hold the arrangement (its parts are one statement) and
    # both are followed by more (the list's size is one statement).
    path = "/oai?verb=ListRecords&metadataPrefix={}&from=2026-03-03T10:00:00Z"
    counts = {}
    for size in (3, 30):
        app.config["OAI_PAGE_SIZE"] = size
        for prefix in ("oai_dc", "lom"):
            records, token = _page(client, verb="ListRecords", metadataPrefix=prefix,
                                   **{"from": "2026-03-03T10:00:00Z"})
            assert len(records) == size and token.text
            counts[size, prefix] = page_statements(app, client, path.format(prefix))
    sizes = {key: len(statements) for key, statements in counts.items()}
    assert len(set(sizes.values())) == 1, sizes
    # The list's size, the materials with their versions, authors and remix sources, and
    # the parts of the arrangements on the page (the vocabularies were read by the first
    # request of the process).
    assert sizes[3, "lom"] == 3, counts[3, "lom"]


def test_migration_gives_published_materials_their_datestamp(tmp_path):
    """0018 fills ``oai_datestamp`` for materials that were ever published: a withdrawn one
    its withdrawal, the others their publication (whole seconds); a draft stays without."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from oer_portal import create_app
    from tests.conftest import make_config

    uri = f"sqlite:///{tmp_path / 'data.db'}"
    app = create_app(make_config(tmp_path, uri))
    with app.app_context():
        upgrade(revision="0017_api_tokens")
        for statement in (
            "INSERT INTO users (id, email, display_name, password_hash, session_token, "
            "created_at) VALUES (1, 'a@example.org', 'Anna', 'x', 't1', '2026-01-01 10:00:00')",
            "INSERT INTO materials (id, kind, slug, owner_id, status, created_at, updated_at, "
            "published_at, withdrawn_at) VALUES "
            "(1, 'lesson', 'a', 1, 'published', '2026-01-01', '2026-06-01 10:00:00', "
            "'2026-02-01 10:00:00.250000', NULL), "
            "(2, 'lesson', 'b', 1, 'withdrawn', '2026-01-01', '2026-01-01', "
            "'2026-02-01 10:00:00', '2026-03-01 11:00:00.900000'), "
            "(3, 'lesson', 'c', 1, 'draft', '2026-01-01', '2026-01-01', NULL, NULL)",
            "INSERT INTO material_versions (id, material_id, number, title, description, body, "
            "body_html, language, licence, meta, author_id, created_at, summary, merged) VALUES "
            "(1, 1, 1, 'A', '', '', '', 'nl', 'CC-BY-4.0', '{}', 1, '2026-01-01', '', 0), "
            "(2, 2, 1, 'B', '', '', '', 'nl', 'CC-BY-4.0', '{}', 1, '2026-01-01', '', 0), "
            "(3, 3, 1, 'C', '', '', '', 'nl', 'CC-BY-4.0', '{}', 1, '2026-01-01', '', 0)",
            "UPDATE materials SET latest_version_id = id, "
            "published_version_id = CASE WHEN id < 3 THEN id END"):
            db.session.execute(text(statement))
        db.session.commit()
        upgrade()
        stamps = {row.id: row.oai_datestamp for row in db.session.execute(
            db.select(Material.id, Material.oai_datestamp))}
        assert stamps == {1: datetime(2026, 2, 1, 10, 0, tzinfo=UTC),
                          2: datetime(2026, 3, 1, 11, 0, tzinfo=UTC), 3: None}
        db.session.remove()
        db.engine.dispose()


def test_selective_harvesting_reads_the_datestamp_index(portal, app):
    """The page query walks ``ix_materials_oai_datestamp`` (SQLite's plan; PostgreSQL's
    planner rightly scans a table this small)."""
    from sqlalchemy import event

    from oer_portal.oai import records
    from oer_portal.oai.protocol import Range

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the plan is asserted on SQLite")
        captured = []

        def note(_conn, _cursor, statement, parameters, *_args):
            captured.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", note)
        try:
            records.batch(Range(datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)),
                          None, (datetime(2026, 2, 1, tzinfo=UTC), 0), 10)
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        statement, parameters = next(c for c in captured if c[0].startswith("SELECT"))
        plan = " ".join(str(row[-1]) for row in db.session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, parameters))
        assert "USING INDEX ix_materials_oai_datestamp" in plan, plan
