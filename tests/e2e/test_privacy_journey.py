"""A teacher opens "Privacy" from her profile, downloads her data, deletes her account
choosing to be credited as "anonieme auteur", and finds her published lesson credited so;
her draft is gone and she cannot log in again.  axe checks the privacy page (with and
without errors) and the privacy statement linked from the footer."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_materials_journey import _log_in
from tests.e2e.test_remix_journey import _create_user, _published_lesson

pytestmark = pytest.mark.e2e

PASSWORD = "een lang en sterk wachtwoord"


def _draft(live_server, owner_email: str, title: str) -> int:
    from oer_portal.accounts import service as accounts
    from oer_portal.core.uow import current_uow
    from oer_portal.materials import service
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import MaterialKind

    with live_server.app.app_context():
        material = service.create_material(
            accounts.find_by_email(owner_email), MaterialKind.LESSON,
            VersionFields(title=title, body="Mijn geheime concepttekst.\n"))
        current_uow().commit()
        return material.id


def test_download_data_and_delete_the_account_as_anonymous_author(
        page: Page, live_server, check_page, tmp_path):
    base = live_server.url
    tag = uuid.uuid4().hex[:6]
    name = f"Pien Privacy {tag}"
    email = _create_user(live_server, "pien", name, "teacher")
    moderator = _create_user(live_server, "mo", "Mo Moderator", "moderator")
    title = f"Breuken met Pien {tag}"
    lesson = _published_lesson(live_server, email, moderator, title)
    draft = _draft(live_server, email, f"Piens concept {tag}")

    _log_in(page, base, email)
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Je profiel")
    page.get_by_role("link", name="Je gegevens downloaden of je account verwijderen").click()
    expect(page).to_have_url(re.compile(r"/account/privacy$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy en je gegevens")
    check_page(page, "privacy-account")

    with page.expect_download() as download:
        page.get_by_role("button", name="Mijn gegevens downloaden").click()
    assert re.fullmatch(r"oer-portal-data-\d{4}-\d{2}-\d{2}\.json",
                        download.value.suggested_filename)
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert data["account"]["email"] == email
    assert {m["id"] for m in data["materials"]} == {lesson, draft}

    # Sent without a choice and a password: the page says what to fix, nothing happens.
    page.get_by_role("button", name="Mijn account definitief verwijderen").click()
    expect(page.get_by_role("alert")).to_be_visible()
    check_page(page, "privacy-account-errors")

    page.get_by_label('Als "anonieme auteur"').check()
    page.get_by_label("Je wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Mijn account definitief verwijderen").click()
    expect(page.get_by_role("status")).to_contain_text("Je account is verwijderd")
    expect(page.get_by_role("link", name="Inloggen")).to_be_visible()

    page.goto(f"{base}/materials/{lesson}")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_text("anonieme auteur").first).to_be_visible()
    assert name not in page.content()
    assert page.goto(f"{base}/materials/{draft}").status == 404

    page.goto(base + "/")
    page.get_by_role("contentinfo").get_by_role("link", name="Privacy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy op dit portaal")
    check_page(page, "privacy-statement")

    page.goto(base + "/account/login")  # the deleted account cannot log in any more
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("alert")).to_be_visible()
