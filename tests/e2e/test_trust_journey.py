"""A moderator trusts a teacher on the trust page; the teacher's submission is public at once
and the teacher is told so; the moderator finds it on the post-review list, marks it seen,
and reads the dashboard with its chart.  Every page is checked by axe (desktop and phone)."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_materials_journey import _create_user, _log_in

pytestmark = pytest.mark.e2e


def _lesson(live_server, email: str, title: str) -> int:
    from oer_portal.accounts import service as accounts
    from oer_portal.core.uow import current_uow
    from oer_portal.materials import service
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import MaterialKind

    with live_server.app.app_context():
        owner = accounts.find_by_email(email)
        material = service.create_material(owner, MaterialKind.LESSON, VersionFields(
            title=title, body="De maan draait in ongeveer een maand om de aarde.\n",
            language="nl", subjects=("physics",), levels=("havo",)))
        current_uow().commit()
        return material.id


def test_trusted_teacher_publishes_at_once_and_the_moderator_looks_afterwards(
        page: Page, browser: Browser, live_server, check_page):
    base = live_server.url
    teacher_email = _create_user(live_server, "vertrouwd", "Vera Vertrouwd", "teacher")
    moderator_email = _create_user(live_server, "mod", "Mees Moderator", "moderator")
    title = f"De maan {uuid.uuid4().hex[:6]}"
    material_id = _lesson(live_server, teacher_email, title)

    moderator_context = browser.new_context()
    moderator = moderator_context.new_page()
    _log_in(moderator, base, moderator_email)
    moderator.goto(base + "/moderation/trusted")
    expect(moderator.get_by_role("heading", level=1)).to_have_text("Vertrouwde docenten")
    grant = moderator.get_by_role("region", name="Een docent vertrouwen")
    grant.get_by_label("Zoek op naam of e-mailadres").fill(teacher_email)
    grant.get_by_role("button", name="Zoeken").click()
    check_page(moderator, "trust-search")
    moderator.get_by_label("Notitie (niet verplicht)").fill("Levert zorgvuldig werk.")
    moderator.get_by_role("button", name="Vertrouwen Vera Vertrouwd").click()
    expect(moderator.get_by_text("Vera Vertrouwd wordt nu vertrouwd")).to_be_visible()
    expect(moderator.get_by_role("cell", name="Levert zorgvuldig werk.")).to_be_visible()
    check_page(moderator, "trusted-teachers")

    # The teacher submits: published at once, and told so.
    _log_in(page, base, teacher_email)
    page.goto(f"{base}/materials/{material_id}")
    page.get_by_role("button", name="Ter beoordeling aanbieden").click()
    expect(page.get_by_text("Direct gepubliceerd: je bent een vertrouwde docent.")
           ).to_be_visible()
    expect(page.get_by_text("Je bent een vertrouwde docent, dus deze versie is direct "
                            "gepubliceerd.")).to_be_visible()
    anonymous = browser.new_context().new_page()
    anonymous.goto(f"{base}/materials/{material_id}")
    expect(anonymous.get_by_role("heading", level=1)).to_have_text(title)
    anonymous.context.close()

    # The moderator looks afterwards.
    moderator.get_by_role("navigation", name="Moderatie").get_by_role(
        "link", name="Controle achteraf").click()
    item = moderator.get_by_role("article", name=title)
    expect(item.get_by_text("Eerste publicatie van dit lesmateriaal.")).to_be_visible()
    check_page(moderator, "post-review")
    item.get_by_role("button", name="Gezien, in orde").click()
    expect(moderator.get_by_text("Gemarkeerd als gezien")).to_be_visible()
    expect(moderator.get_by_text("Er wacht niets op controle achteraf.")).to_be_visible()

    moderator.get_by_role("navigation", name="Moderatie").get_by_role(
        "link", name="Overzicht").click()
    expect(moderator.get_by_role("heading", level=1)).to_have_text("Moderatie-overzicht")
    expect(moderator.get_by_role("img", name="Besluiten per dag, de laatste 30 dagen")
           ).to_be_visible()
    moderator.get_by_text("De getallen per dag").click()
    check_page(moderator, "moderation-dashboard")
    moderator_context.close()
