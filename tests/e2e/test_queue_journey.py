"""A moderator filters the review queue with its form, sees a remix's licence and source
with the warning, takes it on; another moderator sees who has it and cannot decide; the
header counts what waits.  Every page is checked by axe, at the desktop's width and a
phone's."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_materials_journey import _create_user, _log_in

pytestmark = pytest.mark.e2e


def _submitted_remix(live_server, author_email: str, source_email: str, moderator_email: str,
                     title: str) -> None:
    """A CC BY original, published, and a CC BY-SA remix of it waiting for review."""
    from oer_portal.accounts import service as accounts
    from oer_portal.core.uow import current_uow
    from oer_portal.materials import lifecycle, service
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import MaterialKind
    from oer_portal.remix import service as remix_service

    with live_server.app.app_context():
        source_owner = accounts.find_by_email(source_email)
        source = service.create_material(source_owner, MaterialKind.LESSON, VersionFields(
            title=title, body="Breuken op de getallenlijn.\n", licence="CC-BY-4.0",
            subjects=("arithmetic",), levels=("primary",)))
        lifecycle.publish(source, source.latest_version,
                          accounts.find_by_email(moderator_email))
        author = accounts.find_by_email(author_email)
        remix = remix_service.remix(author, source.id, None, "CC-BY-SA-4.0")
        lifecycle.submit_for_review(author, remix)
        current_uow().commit()


def test_filter_claim_and_see_who_has_it(page: Page, browser: Browser, live_server,
                                         check_page):
    base = live_server.url
    author = _create_user(live_server, "auteur", "Anne Auteur", "teacher")
    original = _create_user(live_server, "bron", "Bas Bron", "teacher")
    mo = _create_user(live_server, "mo", "Moos Moderator", "moderator")
    max_ = _create_user(live_server, "max", "Max Moderator", "moderator")
    title = f"Breuken {uuid.uuid4().hex[:6]}"
    _submitted_remix(live_server, author, original, mo, title)

    _log_in(page, base, mo)
    account = page.get_by_role("navigation", name="Account")
    expect(account.get_by_role("link", name=re.compile("^Wacht op een moderator"))).to_be_visible()
    account.get_by_role("link", name="Beoordelen").click()
    form = page.locator("form.queue-filters")
    form.get_by_label("Vak").select_option(label="Rekenen")
    form.get_by_label("Inzending").select_option("new")
    form.get_by_role("button", name="Tonen").click()
    expect(page).to_have_url(re.compile(r"subject=arithmetic"))
    entry = page.get_by_role("article", name=title, exact=True)
    expect(entry).to_contain_text(f"remix van “{title}” (CC BY 4.0)")
    expect(entry).to_contain_text("Controleer de licentie:")
    expect(entry).to_contain_text("CC BY-SA")
    check_page(page, "queue-filtered")
    entry.get_by_role("button", name=re.compile("^Ik pak deze op")).click()
    expect(page.get_by_text("Je hebt deze beoordeling opgepakt tot")).to_be_visible()
    expect(page).to_have_url(re.compile(r"subject=arithmetic"))
    expect(page.get_by_role("article", name=title, exact=True)).to_contain_text(
        "Jij hebt deze opgepakt")
    check_page(page, "queue-claimed")

    other_context = browser.new_context()
    other = other_context.new_page()
    _log_in(other, base, max_)
    other.goto(base + "/moderation/")
    entry = other.get_by_role("article", name=title, exact=True)
    expect(entry).to_contain_text("Opgepakt door Moos Moderator (sinds")
    expect(entry.get_by_role("button", name=re.compile("^Goedkeuren"))).to_have_count(0)
    entry.get_by_role("link", name=re.compile("^Open de beoordeling")).click()
    expect(other.get_by_text("Opgepakt door Moos Moderator (sinds")).to_be_visible()
    expect(other.get_by_role("form", name=re.compile("^Jouw besluit"))).to_have_count(0)
    check_page(other, "review-screen-claimed")
    other_context.close()
