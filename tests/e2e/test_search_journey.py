"""A student searches in Dutch with a typo, gets the results for the corrected word, narrows
the results by level and licence with the facets, removes one filter again and opens a
result, all with the keyboard only.  axe checks every page on the way for serious or
critical violations.

The materials are seeded through the services.  They share one made-up word with a random
ending, so other tests' materials (the live server's database is shared by the session)
never show up in these results."""

from __future__ import annotations

import itertools
import random
import re
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

pytestmark = pytest.mark.e2e

PASSWORD = "een lang en sterk wachtwoord"
LESSON = "Fotosynthese in het blad"


@dataclass(frozen=True)
class Seeded:
    #: The made-up word every matching lesson has, e.g. ``bladgroenvenom``.
    word: str
    #: ``/materials/<id>-<slug>`` of "Fotosynthese in het blad".
    lesson_path: str


def _unique_word() -> str:
    """A Dutch-looking compound nobody else indexes: ``bladgroen`` + a pronounceable ending
    (letters only: the "did you mean" corrector skips words with digits)."""
    rng = random.Random(uuid.uuid4().int)
    return "bladgroen" + "".join(rng.choice(letters) for letters in (
        "bkmprstvz", "aeiou", "kmnprt", "aeiou", "klmnrst"))


@pytest.fixture(scope="module")
def seeded(live_server) -> Seeded:
    """Four published lessons with the word (levels: havo twice, vmbo, vwo; licences: CC BY
    twice, CC BY-SA twice), an unrelated published lesson, and an unpublished draft with the
    word."""
    from oer_portal.accounts import service as accounts
    from oer_portal.accounts.models import Role
    from oer_portal.core.uow import current_uow
    from oer_portal.extensions import db
    from oer_portal.materials import lifecycle
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import MaterialKind, MaterialVersion
    from oer_portal.materials.service import create_material

    word = _unique_word()
    tag = uuid.uuid4().hex[:8]
    lessons = [
        # title, description, what the pupils do, subject, level, licence, published
        (LESSON, f"Hoe een plant met licht en {word} suiker maakt.",
         "Leg een blad een dag half in het donker en vergelijk de twee helften.",
         "biology", "havo", "CC-BY-4.0", True),
        ("Fotosynthese met een waterplant", f"Zuurstofbelletjes tellen: een proef over {word}.",
         "Zet waterpest bij een lamp en tel de belletjes per minuut.",
         "biology", "vmbo", "CC-BY-SA-4.0", True),
        ("Licht en kleur in de plantencel", f"Waarom {word} groen is en wat het met licht doet.",
         "Scheid de kleurstoffen van spinazie met papierchromatografie.",
         "biology", "havo", "CC-BY-SA-4.0", True),
        ("Zetmeel aantonen met jodium",
         f"Een practicum: waar in het blad zit zetmeel, en wat heeft {word} ermee te maken?",
         "Kook een blad uit in alcohol en druppel er jodium op.",
         "biology", "vwo", "CC-BY-4.0", True),
        ("Breuken op de getallenlijn", "Leerlingen zetten breuken op een getallenlijn.",
         "Knip een papieren strook in gelijke stukken.",
         "mathematics", "havo", "CC-BY-4.0", True),
        ("Bladgroen onder de microscoop", f"Nog niet af: {word} bekijken onder de microscoop.",
         "Maak een preparaat van een waterpestblaadje.",
         "biology", "havo", "CC-BY-4.0", False),
    ]
    with live_server.app.app_context():
        teacher = accounts.create_user(f"docent-zoeken-{tag}@example.org", "Bas Bioloog",
                                       PASSWORD, [Role.TEACHER])
        moderator = accounts.create_user(f"moderator-zoeken-{tag}@example.org",
                                         "Mo Moderator", PASSWORD, [Role.MODERATOR])
        db.session.flush()
        paths = {}
        for title, description, task, subject, level, licence, published in lessons:
            material = create_material(
                teacher, MaterialKind.LESSON,
                VersionFields(title=title, description=description,
                              body=f"{description}\n\n## Aan de slag\n\n{task}\n",
                              language="nl", licence=licence, subjects=(subject,),
                              levels=(level,)),
                [])
            db.session.flush()
            if published:
                version = db.session.get(MaterialVersion, material.latest_version_id)
                lifecycle.publish(material, version, moderator)
            paths[title] = f"/materials/{material.id}-{material.slug}"
        current_uow().commit()  # also drains the search outbox into the index
    return Seeded(word=word, lesson_path=paths[LESSON])


def _create_student(live_server) -> str:
    from oer_portal.accounts import service
    from oer_portal.accounts.models import Role
    from oer_portal.core.uow import current_uow

    email = f"leerling-zoeken-{uuid.uuid4().hex[:8]}@example.org"
    with live_server.app.app_context():
        service.create_user(email, "Sanne Student", PASSWORD, [Role.STUDENT])
        current_uow().commit()
    return email


def _is_focused(target: Locator) -> bool:
    return bool(target.evaluate("element => element === document.activeElement"))


def _tab_to(page: Page, target: Locator, limit: int = 60) -> int:
    """Press Tab until ``target`` has the focus, as a keyboard user would; return the count.

    Fails when the target is not reached within ``limit`` presses (not in the tab order)."""
    expect(target).to_have_count(1)
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if _is_focused(target):
            return presses
    raise AssertionError(f"{target} not reached with {limit} presses of Tab")


def _skip_to_main(page: Page) -> None:
    """From the top of a freshly loaded page: Tab to the skip link, Enter."""
    skip = page.get_by_role("link", name="Direct naar de inhoud")
    _tab_to(page, skip, limit=1)  # the first stop on every page
    expect(skip).to_be_in_viewport()  # it shows itself when focused
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


def _log_in_with_keyboard(page: Page, base: str, email: str) -> None:
    page.goto(base + "/account/login")
    _skip_to_main(page)
    _tab_to(page, page.get_by_label("E-mailadres"), limit=2)
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Wachtwoord")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()


def test_student_searches_with_typo_facets_and_keyboard(page: Page, live_server, seeded,
                                                        check_page):
    base = live_server.url
    word = seeded.word
    typo = word.replace("bladgroen", "blatgroen", 1)  # d/t: the classic Dutch spelling slip
    _log_in_with_keyboard(page, base, _create_student(live_server))
    page.goto(base + "/")

    # --- The header search box is the third stop: skip link, portal name, search box. ---
    header_box = page.get_by_role("searchbox", name="Lesmateriaal zoeken")
    assert _tab_to(page, header_box, limit=3) == 3
    page.keyboard.type(typo)
    page.keyboard.press("Enter")

    # --- No exact match: the results for the corrected word at once, and a link to it. ---
    expect(page).to_have_url(re.compile(rf"/search\?q={typo}$"))
    count = page.locator("#results-title")  # the <h2> above the results
    expect(count).to_have_text(f"4 resultaten voor “{word}”")
    suggestion = page.locator("p.suggestion")
    expect(suggestion).to_have_text(f"Niets gevonden voor “{typo}”. Resultaten voor: {word}")
    expect(header_box).to_have_value(typo)
    check_page(page, "search-typo")

    suggestion_link = suggestion.get_by_role("link", name=word, exact=True)
    _skip_to_main(page)
    presses_to_suggestion = _tab_to(page, suggestion_link)
    page.keyboard.press("Enter")

    # --- The exact results: four published lessons; not the draft, not the unrelated one. ---
    expect(page).to_have_url(re.compile(rf"/search\?q={word}(&sort=relevance)?$"))
    expect(count).to_have_text("4 resultaten")
    expect(page.locator("p.suggestion")).to_have_count(0)
    hits = page.locator("ol.hit-list > li")
    titles = hits.get_by_role("heading", level=3)
    expect(titles).to_have_count(4)
    expect(titles).to_contain_text([LESSON], use_inner_text=True)
    expect(page.get_by_role("link", name="Breuken op de getallenlijn")).to_have_count(0)
    expect(page.get_by_role("link", name="Bladgroen onder de microscoop")).to_have_count(0)
    expect(page.get_by_role("searchbox", name="Zoekwoorden")).to_have_value(word)
    expect(header_box).to_have_value(word)
    expect(hits.locator("mark").first).to_have_text(re.compile(word, re.IGNORECASE))
    facets = page.get_by_role("complementary", name="Verfijnen")
    levels = facets.get_by_role("group", name="Niveau")
    licences = facets.get_by_role("group", name="Licentie")
    havo = levels.get_by_role("checkbox", name="havo (2)", exact=True)
    cc_by = licences.get_by_role("checkbox", name="CC BY (2)", exact=True)
    expect(havo).not_to_be_checked()
    expect(levels.get_by_role("checkbox", name="vmbo (1)", exact=True)).to_be_visible()
    expect(levels.get_by_role("checkbox", name="vwo (1)", exact=True)).to_be_visible()
    expect(cc_by).not_to_be_checked()
    expect(licences.get_by_role("checkbox")).to_have_count(2)
    check_page(page, "search-results")

    # --- Narrow down: havo and CC BY, ticked with Space, applied with Enter. ---
    _skip_to_main(page)
    presses_to_havo = _tab_to(page, havo)
    page.keyboard.press("Space")
    expect(havo).to_be_checked()
    _tab_to(page, cc_by, limit=10)
    page.keyboard.press("Space")
    expect(cc_by).to_be_checked()
    _tab_to(page, facets.get_by_role("button", name="Filters toepassen"), limit=20)
    page.keyboard.press("Enter")

    expect(count).to_have_text("1 resultaat")
    assert parse_qs(urlsplit(page.url).query) == {
        "q": [word], "sort": ["relevance"], "level": ["havo"], "licence_family": ["CC-BY"]}
    chips = page.get_by_role("list", name="Actieve filters")
    level_chip = chips.get_by_role("link", name="Niveau: havo (filter verwijderen)")
    licence_chip = chips.get_by_role("link", name="Licentie: CC BY (filter verwijderen)")
    expect(level_chip).to_be_visible()
    expect(licence_chip).to_be_visible()
    expect(titles).to_have_text([LESSON])
    expect(levels.get_by_role("checkbox", name="havo (1)", exact=True)).to_be_checked()
    expect(licences.get_by_role("checkbox", name="CC BY (1)", exact=True)).to_be_checked()
    check_page(page, "search-filtered")

    # --- Take the licence filter off again with its chip. ---
    _skip_to_main(page)
    _tab_to(page, licence_chip, limit=10)
    page.keyboard.press("Enter")
    expect(count).to_have_text("2 resultaten")
    expect(chips.get_by_role("link")).to_have_count(1)
    expect(level_chip).to_be_visible()
    assert parse_qs(urlsplit(page.url).query) == {
        "q": [word], "sort": ["relevance"], "level": ["havo"]}
    expect(titles).to_have_count(2)
    expect(titles).to_contain_text([LESSON], use_inner_text=True)

    # --- Open the lesson from the results. ---
    _skip_to_main(page)
    _tab_to(page, hits.get_by_role("link", name=LESSON, exact=True))
    page.keyboard.press("Enter")
    expect(page).to_have_url(base + seeded.lesson_path)
    expect(page.get_by_role("heading", level=1)).to_have_text(LESSON)
    expect(page.locator(".lead")).to_have_text(
        f"Hoe een plant met licht en {word} suiker maakt.")
    check_page(page, "search-material")

    # Not asserted, reported: how far a keyboard user travels from the skip link.
    print(f"\nTab presses after the skip link: to the corrected word {presses_to_suggestion}, "
          f"to the 'havo' checkbox {presses_to_havo}")


_FOCUS_STOP = """() => {
    const el = document.activeElement;
    if (!el || el === document.body || el.dataset.seenStop) return null;
    el.dataset.seenStop = "1";
    const box = el.getBoundingClientRect();
    const label = el.labels && el.labels.length ? el.labels[0].innerText
        : (el.getAttribute("aria-label") || el.innerText || el.value || el.id);
    return {name: `${el.tagName.toLowerCase()} "${label.trim().replace(/\\s+/g, " ")}"`,
            top: box.top + window.scrollY, bottom: box.bottom + window.scrollY};
}"""


def test_phone_focus_order_follows_the_layout(page: Page, live_server, seeded):
    """On a one-column phone layout each Tab stop should be at or below the one before."""
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"{live_server.url}/search?q={seeded.word}")
    stops = []
    for _ in range(60):
        page.keyboard.press("Tab")
        stop = page.evaluate(_FOCUS_STOP)
        if stop is None:
            break
        stops.append(stop)
    # The skip link sits over the page on purpose; compare the stops after it.
    jumps_up = [f"{a['name']} → {b['name']} ({a['top']:.0f}px → {b['top']:.0f}px)"
                for a, b in itertools.pairwise(stops[1:])
                if b["bottom"] <= a["top"]]
    assert not jumps_up, "Tab moves focus back up the page:\n" + "\n".join(jumps_up)




def test_result_count_is_a_heading(page: Page, live_server, seeded):
    page.goto(f"{live_server.url}/search?q={seeded.word}")
    expect(page.locator("#results-title")).to_have_text("4 resultaten")
    assert page.get_by_role("heading", level=2, name="4 resultaten").count() == 1


def test_a_student_finds_the_lesson_with_a_dutch_typo_in_three_page_loads(
        page: Page, live_server, seeded, check_page):
    """Home → results → lesson: the typo (``blatgroen…`` for ``bladgroen…``) is corrected on
    the results page itself, and the right lesson is the first result."""
    loads: list[str] = []
    page.on("framenavigated", lambda frame: loads.append(frame.url)
            if frame == page.main_frame else None)
    page.goto(live_server.url + "/")
    check_page(page, "student-home")
    typo = seeded.word.replace("bladgroen", "blatgroen", 1)
    page.get_by_role("searchbox", name="Lesmateriaal zoeken").fill(
        f"fotosynthese blad {typo}")
    page.keyboard.press("Enter")
    expect(page.locator("#results-title")).to_contain_text(
        f"fotosynthese blad {seeded.word}")
    check_page(page, "student-results")
    page.locator("ol.hit-list > li").first.get_by_role("heading", level=3).get_by_role(
        "link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(LESSON)
    expect(page).to_have_url(re.compile(re.escape(seeded.lesson_path) + "$"))
    check_page(page, "student-lesson")
    assert len(loads) <= 3, loads
