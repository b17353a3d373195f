"""Teacher B remixes teacher A's published lesson: only the licences A's licence allows are
offered; B edits and submits; after a moderator's approval the remix credits A. A publishes
a new version (edit, submit, approval); B sees the notice, looks at the diff and pulls the
change into a new draft that keeps B's own edit.  A then changes the very line B changed:
B's pull opens the page that asks what to keep, and B writes the passage anew there, by
keyboard alone.  Every page is checked by axe (the resolution page at 1280 and 390 px).

The journey runs in English (the language switch in the header), so it reads like the
message ids and does not depend on the Dutch catalogue being up to date."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.e2e

PASSWORD = "een lang en sterk wachtwoord"

LESSON = """\
# Breuken op een getallenlijn

We vergelijken breuken op een getallenlijn.

Oefening: zet 1/2, 1/3 en 3/4 op de lijn.

Afsluiting: wie legt het uit aan de klas?
"""


def _create_user(live_server, label: str, name: str, role_name: str) -> str:
    from oer_portal.accounts import service
    from oer_portal.accounts.models import Role
    from oer_portal.core.uow import current_uow

    email = f"{label}-{uuid.uuid4().hex[:8]}@example.org"
    with live_server.app.app_context():
        service.create_user(email, name, PASSWORD, [Role(role_name)])
        current_uow().commit()
    return email


def _published_lesson(live_server, owner_email: str, moderator_email: str, title: str) -> int:
    """Teacher A's lesson, written and approved before the journey starts."""
    from oer_portal.accounts import service as accounts
    from oer_portal.core.uow import current_uow
    from oer_portal.materials import lifecycle, service
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import MaterialKind

    with live_server.app.app_context():
        owner = accounts.find_by_email(owner_email)
        material = service.create_material(owner, MaterialKind.LESSON, VersionFields(
            title=title, description="Breuken vergelijken met een getallenlijn.", body=LESSON,
            licence="CC-BY-SA-4.0", subjects=("arithmetic",), levels=("primary",)))
        lifecycle.publish(material, material.latest_version,
                          accounts.find_by_email(moderator_email))
        current_uow().commit()
        return material.id


def _english_login(page: Page, base: str, email: str) -> None:
    page.goto(base + "/account/login")
    page.get_by_role("group", name=re.compile("Taal|Language")).get_by_role(
        "button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def _approve(moderator: Page, base: str, title: str) -> None:
    moderator.goto(base + "/moderation/")
    request = moderator.get_by_role("article", name=title, exact=True)
    request.get_by_role("button", name="Approve and publish").click()
    expect(moderator.get_by_role("article", name=title, exact=True)).to_have_count(0)


def _publish_edit(author: Page, moderator: Page, base: str, material_id: int, title: str,
                  body: str, summary: str) -> None:
    """The author edits the lesson and submits it; the moderator approves."""
    author.goto(f"{base}/materials/{material_id}/edit")
    author.get_by_label("Lesson text").fill(body)
    author.get_by_label("What did you change?").fill(summary)
    author.get_by_role("button", name="Save and submit for review").click()
    expect(author.get_by_text("Saved and submitted for review.")).to_be_visible()
    _approve(moderator, base, title)


def test_remix_credit_upstream_change_and_pull(page: Page, browser: Browser, live_server,
                                               check_page):
    base = live_server.url
    anna = _create_user(live_server, "anna", "Anna Aalders", "teacher")
    bea = _create_user(live_server, "bea", "Bea Bakker", "teacher")
    moderator_email = _create_user(live_server, "mo", "Mo Moderator", "moderator")
    title = f"Breuken op de lijn {uuid.uuid4().hex[:6]}"
    remix_title = f"{title} voor groep 7"
    source_id = _published_lesson(live_server, anna, moderator_email, title)

    moderator_context = browser.new_context()
    moderator = moderator_context.new_page()
    _english_login(moderator, base, moderator_email)

    # --- B finds A's lesson and remixes it: only CC BY-SA is offered. ---
    _english_login(page, base, bea)
    page.goto(f"{base}/materials/{source_id}")
    credits = page.get_by_role("region", name="Credits")
    expect(credits).to_contain_text(f"“{title}” by Anna Aalders is licensed under CC BY-SA 4.0")
    page.get_by_role("link", name="Remix this material").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Remix “{title}”")
    licences = page.get_by_role("group", name="Licence of your remix").get_by_role("radio")
    expect(licences).to_have_count(1)
    expect(licences.first).to_have_accessible_name(re.compile(r"^CC BY-SA — "))
    expect(licences.first).to_be_checked()
    check_page(page, "remix-form")
    page.get_by_label("Title of your remix").fill(remix_title)
    page.get_by_role("button", name="Remix and start editing").click()

    # --- B edits the draft in the normal editor and submits it. ---
    expect(page).to_have_url(re.compile(r"/materials/\d+/edit$"))
    expect(page.get_by_text("Your remix is a draft that only you can see.")).to_be_visible()
    body = page.get_by_label("Lesson text")
    expect(body).to_have_value(re.compile("op een getallenlijn"))
    body.fill(LESSON.replace("We vergelijken breuken op een getallenlijn.",
                             "We vergelijken breuken met pizzapunten."))
    page.get_by_label("What did you change?").fill("Pizzapunten voor groep 7")
    check_page(page, "remix-edit")
    page.get_by_role("button", name="Save and submit for review").click()
    expect(page.get_by_text("Saved and submitted for review.")).to_be_visible()
    remix_url = page.url
    check_page(page, "remix-pending")

    # --- After approval the public page of the remix credits A. ---
    _approve(moderator, base, remix_title)
    visitor_context = browser.new_context()
    visitor = visitor_context.new_page()
    visitor.goto(base + "/")
    visitor.get_by_role("button", name="English").click()
    expect(visitor.locator("html")).to_have_attribute("lang", "en")
    visitor.goto(remix_url)
    expect(visitor.get_by_role("heading", level=1)).to_have_text(remix_title)
    credits = visitor.get_by_role("region", name="Credits")
    expect(credits).to_contain_text(f"“{remix_title}” by Bea Bakker")
    expect(credits).to_contain_text(f"Adapted from “{title}” (version 1) by Anna Aalders, "
                                    "licensed under CC BY-SA 4.0.")
    expect(credits.get_by_role("link", name=title, exact=True)).to_have_attribute(
        "href", re.compile(rf"/materials/{source_id}/v/1$"))
    visitor.get_by_text("Copy the credits to use this material elsewhere").click()
    expect(visitor.get_by_label("Plain text")).to_have_value(re.compile("Adapted from"))
    expect(visitor.get_by_label("Markdown")).to_have_value(re.compile(r"\[Anna Aalders\]"))
    expect(visitor.get_by_role("button", name="Copy Plain text")).to_be_visible()  # copy.js
    check_page(visitor, "remix-published-visitor")

    # The original lists its remix and draws the family tree.
    visitor.goto(f"{base}/materials/{source_id}")
    expect(visitor.get_by_role("link", name="Remixed 1 time")).to_be_visible()
    family = visitor.get_by_role("region", name="Family tree")
    expect(family.get_by_role("link", name=remix_title)).to_be_visible()
    expect(family.get_by_role("img", name=f"Family tree of “{title}”")).to_be_visible()
    check_page(visitor, "original-with-family-tree")

    # --- A publishes a new version: edit, submit, a moderator approves. ---
    anna_context = browser.new_context()
    anna_page = anna_context.new_page()
    _english_login(anna_page, base, anna)
    exit_ticket = LESSON.replace("Afsluiting: wie legt het uit aan de klas?",
                                 "Afsluiting: maak de exit-ticket met drie breuken.")
    _publish_edit(anna_page, moderator, base, source_id, title, exit_ticket, "Exit-ticket")

    # --- B sees the notice on the dashboard and on the remix, views the diff, pulls. ---
    page.get_by_role("navigation", name="Account").get_by_role(
        "link", name="My materials").click()
    notices = page.get_by_role("region", name="Originals with new versions")
    expect(notices).to_contain_text(f"“{title}”, version 2")
    check_page(page, "dashboard-upstream-notice")
    page.goto(remix_url)
    notice = page.get_by_role("region", name="The original has a new version")
    expect(notice).to_contain_text("has published version 2. Your remix is based on version 1.")
    check_page(page, "remix-upstream-notice")
    notice.get_by_role("link", name="See what changed").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Changes in the original")
    diff = page.locator("table.diff--side")
    expect(diff.locator(".diff-ins")).to_contain_text(["exit-ticket"])
    expect(page.get_by_text("do not overlap")).to_be_visible()
    check_page(page, "upstream-diff")
    page.get_by_role("button", name="Take the changes into a new draft").click()

    expect(page.get_by_text("The original's changes are merged into version 3")).to_be_visible()
    expect(page.get_by_role("region", name="The original has a new version")).to_have_count(0)
    expect(page.get_by_text("You are looking at version 3")).to_be_visible()
    lesson = page.locator(".lesson-body")
    expect(lesson).to_contain_text("pizzapunten")  # B's own edit survives
    expect(lesson).to_contain_text("exit-ticket")  # A's change is in
    check_page(page, "remix-after-pull")

    # --- A changes the line B changed; B chooses what to keep, by keyboard. ---
    _publish_edit(anna_page, moderator, base, source_id, title, exit_ticket.replace(
        "We vergelijken breuken op een getallenlijn.",
        "We vergelijken breuken met een liniaal."), "Liniaal")

    page.goto(remix_url)
    page.get_by_role("region", name="The original has a new version").get_by_role(
        "link", name="See what changed").click()
    expect(page.get_by_text("changed the same part in 1 place")).to_be_visible()
    page.get_by_role("link", name="Choose what to keep").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose what to keep")
    passage = page.get_by_role("region", name="Passage 1 of 1")
    sides = passage.locator(".resolve-side")
    expect(sides.nth(0)).to_contain_text("We vergelijken breuken met pizzapunten.")
    expect(sides.nth(1)).to_contain_text("We vergelijken breuken met een liniaal.")
    expect(sides.nth(0).locator("mark")).to_have_text(["pizzapunten"])
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        check_page(page, f"resolve-conflict-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})

    choice = passage.get_by_role("group", name="What do you keep of passage 1?")
    choice.get_by_role("radio", name="Keep yours").focus()
    page.keyboard.press("Space")
    expect(choice.get_by_role("radio", name="Keep yours")).to_be_checked()
    for _step in range(3):  # down to the last option, as arrow keys do in a radio group
        page.keyboard.press("ArrowDown")
    expect(choice.get_by_role("radio", name="Use the text in the box below")).to_be_checked()
    page.keyboard.press("Tab")
    box = passage.get_by_label("Your text for passage 1")
    expect(box).to_be_focused()
    expect(box).to_have_value("We vergelijken breuken met pizzapunten.\n"
                              "We vergelijken breuken met een liniaal.")
    page.keyboard.press("Control+A")
    page.keyboard.type("We meten breuken met pizzapunten en een liniaal.")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Save as a new draft")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_text("The original's changes are merged into version 4")).to_be_visible()
    lesson = page.locator(".lesson-body")
    expect(lesson).to_contain_text("We meten breuken met pizzapunten en een liniaal.")
    expect(lesson).to_contain_text("exit-ticket")
    expect(lesson).not_to_contain_text("=======")
    check_page(page, "remix-after-resolve")

    for context in (moderator_context, visitor_context, anna_context):
        context.close()
