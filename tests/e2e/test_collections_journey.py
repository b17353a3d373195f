"""A student finds a record harvested from another collection beside the portal's own
lesson, sees which collection it comes from, keeps it on her favourites and narrows the
results to that collection;
an administrator sees the collection and its harvest on the admin page."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_materials_journey import _create_user, _log_in, _published_lesson
from tests.integration.collections_portal import serve_canned

pytestmark = pytest.mark.e2e

LIST_RECORDS = """<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
  <responseDate>2026-12-01T10:00:00Z</responseDate>
  <request verb="ListRecords" metadataPrefix="oai_dc">{base}</request>
  <ListRecords>
    <record>
      <header><identifier>oai:bron.example:{word}-1</identifier>
        <datestamp>2026-11-30T09:00:00Z</datestamp></header>
      <metadata>
        <oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
                   xmlns:dc="http://purl.org/dc/elements/1.1/">
          <dc:title>Kwallen in de Waddenzee {word}</dc:title>
          <dc:creator>Wadden Educatie</dc:creator>
          <dc:subject>Biologie</dc:subject>
          <dc:description>Welke kwallen spoelen aan, en waarom? {word}</dc:description>
          <dc:identifier>https://bron.example.org/lessen/kwallen</dc:identifier>
          <dc:language>nl</dc:language>
          <dc:rights>https://creativecommons.org/licenses/by/4.0/</dc:rights>
        </oai_dc:dc>
      </metadata>
    </record>
  </ListRecords>
</OAI-PMH>
"""


@pytest.fixture()
def source() -> Iterator[tuple[str, str]]:
    """Another collection's OAI-PMH server with one record; yields (base URL, its word)."""
    word = f"kwal{uuid.uuid4().hex[:8]}"
    with serve_canned(lambda _query: LIST_RECORDS.format(word=word, base="").encode()
                      ) as (url, _seen):
        yield url, word


def _harvested(live_server, name: str, url: str, fails: bool = False) -> None:
    from oer_portal.collections import service
    from oer_portal.collections.policy import OPERATOR
    from oer_portal.core.uow import current_uow
    from oer_portal.search import indexer

    with live_server.app.app_context():
        collection = service.add_collection(OPERATOR, name, url)
        current_uow().commit()
        outcome = service.harvest(OPERATOR, collection.id)
        current_uow().commit()
        assert (not outcome.ok) if fails else (outcome.ok and outcome.added == 1), outcome
        indexer.drain(lock_timeout=10)


def test_a_student_finds_a_harvested_record_beside_the_portals_own(
        live_server, page: Page, source, check_page):
    base = live_server.url
    url, word = source
    name = f"Waddenbron {word[-4:]}"
    teacher = _create_user(live_server, "teacher", "Tess Leraar", "teacher")
    moderator = _create_user(live_server, "moderator", "Mo Moderator", "moderator")
    _published_lesson(live_server, teacher, moderator,
                      title=f"Kwallen en hun tentakels {word}", body="Over kwallen.\n",
                      description=f"Een les over kwallen. {word}", language="nl",
                      licence="CC-BY-4.0", subjects=("biology",))
    _harvested(live_server, name, url)
    student = _create_user(live_server, "student", "Sam Student", "student")
    _log_in(page, base, student)

    page.goto(f"{base}/search?q={word}")
    results = page.locator("#results-list")
    own = results.get_by_role("link", name=f"Kwallen en hun tentakels {word}")
    expect(own).to_be_visible()
    record = results.get_by_role("link", name=f"Kwallen in de Waddenzee {word}")
    expect(record).to_be_visible()
    expect(record).to_have_attribute("href", "https://bron.example.org/lessen/kwallen")
    expect(results.get_by_text(f"Bij {name}", exact=True)).to_be_visible()
    check_page(page, "collections-mixed-results")

    # She keeps the record on her favourites, beside lessons of the portal itself.
    card = results.get_by_role("listitem").filter(
        has=page.get_by_role("link", name=f"Kwallen in de Waddenzee {word}"))
    card.get_by_label("Kies een lijst").select_option(label="Favorieten")
    card.get_by_role("button", name="Toevoegen aan lijst").click()
    expect(page.get_by_text("Toegevoegd aan “Favorieten”.")).to_be_visible()
    page.goto(f"{base}/my/lists")
    page.get_by_role("link", name="Favorieten").first.click()
    expect(page.get_by_role("link", name=f"Kwallen in de Waddenzee {word}")).to_have_attribute(
        "href", "https://bron.example.org/lessen/kwallen")
    page.goto(f"{base}/search?q={word}")

    page.locator(".refine__toggle").click() if page.locator(".refine__toggle").is_visible() \
        else None
    page.get_by_role("group", name="Collectie").get_by_label(name).check()
    page.get_by_role("button", name="Filters toepassen").click()
    expect(results.get_by_role("link", name=f"Kwallen in de Waddenzee {word}")).to_be_visible()
    expect(results.get_by_role("link", name=f"Kwallen en hun tentakels {word}")).to_have_count(0)
    expect(page.get_by_role("list", name="Actieve filters")).to_contain_text(name)


def test_an_admin_sees_the_collection_and_its_harvest(live_server, page: Page, source,
                                                      check_page):
    base = live_server.url
    url, word = source
    name = f"Waddenbron {word[-4:]}"
    _harvested(live_server, name, url)
    broken = f"Kapotte bron {word[-4:]}"
    _harvested(live_server, broken, "http://127.0.0.1:9/oai", fails=True)
    admin = _create_user(live_server, "admin", "Ada Admin", "admin")
    _log_in(page, base, admin)
    page.goto(f"{base}/admin/users")
    page.get_by_role("navigation", name="Beheer").get_by_role(
        "link", name="Andere collecties").click()
    expect(page.get_by_role("heading", level=1, name="Andere collecties")).to_be_visible()
    card = page.get_by_role("article", name=name)
    expect(card).to_contain_text("Records in de zoekfunctie")
    failed = page.get_by_role("article", name=broken)
    expect(failed).to_contain_text("Laatste oogst mislukt")
    expect(failed).to_contain_text("de bron is niet bereikbaar")
    expect(failed).to_contain_text("De records van de laatste geslaagde oogst blijven vindbaar.")
    card.get_by_role("button", name="Nu oogsten").click()
    expect(page.get_by_text(f"{name} geoogst: 0 nieuw, 0 bijgewerkt, 0 verwijderd.")
           ).to_be_visible()
    page.get_by_label("Naam").fill(name)
    page.get_by_label("OAI-PMH-basisadres").fill("ftp://bron.example.org/oai")
    page.get_by_role("button", name="Collectie toevoegen").click()
    expect(page.get_by_text("Het OAI-PMH-basisadres moet een webadres zijn")).to_be_visible()
    expect(page.get_by_text(f"Er is al een collectie met de naam “{name}”.")).to_have_count(0)
    check_page(page, "collections-admin")
