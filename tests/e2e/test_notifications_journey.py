"""A teacher follows the header's count to the inbox, opens a notification by keyboard (it is
marked read and leads to the material), marks the rest read, and chooses which ones come by
e-mail; the inbox works without JavaScript too.  Every page is checked by axe at 1280 and
390 px and fits a phone."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.test_materials_journey import _create_user, _log_in

pytestmark = pytest.mark.e2e


def _told(live_server: Any, email: str) -> tuple[int, str]:
    """A published lesson of someone else and three notifications for the teacher: the
    lesson approved, a comment on its review, the teacher role approved."""
    from oer_portal.accounts import service as accounts
    from oer_portal.core.uow import current_uow
    from oer_portal.extensions import db
    from oer_portal.materials import lifecycle
    from oer_portal.materials import service as materials
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import MaterialKind
    from oer_portal.notifications import service
    from oer_portal.notifications.models import NotificationKind, TargetType

    title = f"Breuken vergelijken {uuid.uuid4().hex[:4]}"
    moderator_email = _create_user(live_server, "mod", "Mo Moderator", "moderator")
    with live_server.app.app_context():
        teacher = accounts.find_by_email(email)
        moderator = accounts.find_by_email(moderator_email)
        material = materials.create_material(teacher, MaterialKind.LESSON,
                                             VersionFields(title=title, body="Regel een\n"), ())
        db.session.flush()
        lifecycle.publish(material, material.latest_version, moderator)
        service.notify([teacher.id], NotificationKind.TEACHER_APPROVED,
                       (TargetType.TEACHER_REQUEST, 1), actor_id=moderator.id)
        service.notify([teacher.id], NotificationKind.REVIEW_COMMENT, (TargetType.REVIEW, 1),
                       {"title": title}, actor_id=moderator.id)
        service.notify([teacher.id], NotificationKind.REVIEW_APPROVED,
                       (TargetType.MATERIAL, material.id), {"title": title, "version": 1},
                       actor_id=moderator.id)
        current_uow().commit()
        return material.id, title


def test_the_inbox_by_keyboard_and_the_email_settings(browser: Browser, live_server: Any,
                                                      check_page: Any):
    base = live_server.url
    email = _create_user(live_server, "melding", "Noor Notitie", "teacher")
    material_id, title = _told(live_server, email)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        _log_in(page, base, email)
        banner = page.get_by_role("banner")
        badge = banner.get_by_role("link", name="Ongelezen meldingen: 3")
        expect(badge).to_be_visible()
        badge.focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text("Meldingen")
        expect(page.get_by_text("3 ongelezen meldingen")).to_be_visible()
        items = page.get_by_role("main").get_by_role("listitem")
        expect(items).to_have_count(3)
        expect(items.first).to_contain_text(
            f"Nieuw: Mo Moderator heeft versie 1 van “{title}” goedgekeurd.")
        check_page(page, "notifications-inbox")

        opened = page.get_by_role("button", name=re.compile("goedgekeurd"))
        opened.first.focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        assert f"/materials/{material_id}" in page.url
        expect(banner.get_by_role("link", name="Ongelezen meldingen: 2")).to_be_visible()

        page.go_back()
        page.reload()
        expect(page.get_by_role("link", name=f"Mo Moderator heeft versie 1 van “{title}” "
                                             "goedgekeurd.")).to_be_visible()  # read: a link
        page.get_by_role("button", name="Alles als gelezen markeren").click()
        expect(page.get_by_role("status")).to_contain_text("Alle meldingen zijn als gelezen")
        expect(banner.get_by_role("link", name=re.compile("^Ongelezen meldingen"))) \
            .to_have_count(0)
        expect(page.get_by_role("main").get_by_role("button", name=re.compile("^Nieuw"))) \
            .to_have_count(0)
        check_page(page, "notifications-inbox-read")

        page.get_by_role("link", name="Kies welke meldingen je ook per e-mail krijgt").click()
        settings = page.get_by_role("group", name="Stuur me een e-mail als")
        expect(settings.get_by_label("Een moderator mijn materiaal goedkeurt")).to_be_checked()
        upstream = settings.get_by_label("Het origineel van een van mijn remixen een nieuwe "
                                         "versie heeft")
        expect(upstream).not_to_be_checked()
        upstream.check()
        page.get_by_role("button", name="E-mailinstellingen opslaan").click()
        expect(page.get_by_role("status")).to_contain_text("Je e-mailinstellingen zijn "
                                                           "opgeslagen.")
        expect(page.get_by_role("group", name="Stuur me een e-mail als").get_by_label(
            "Het origineel van een van mijn remixen een nieuwe versie heeft")).to_be_checked()
        check_page(page, "notifications-profile-settings")
    finally:
        context.close()


def test_the_inbox_works_without_javascript(browser: Browser, live_server: Any):
    email = _create_user(live_server, "zonder-script", "Sam Zonder Script", "teacher")
    material_id, title = _told(live_server, email)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        _log_in(page, live_server.url, email)
        page.get_by_role("banner").get_by_role("link", name="Ongelezen meldingen: 3").click()
        page.get_by_role("button", name=re.compile(f"“{title}” goedgekeurd")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        assert f"/materials/{material_id}" in page.url
        page.goto(live_server.url + "/my/notifications")
        page.get_by_role("button", name=re.compile("docentrol")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Docentrol aanvragen")
        expect(page.get_by_role("banner").get_by_role(
            "link", name="Ongelezen meldingen: 1")).to_be_visible()
    finally:
        context.close()
