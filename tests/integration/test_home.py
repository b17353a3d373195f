"""The home page: ways in by level and subject with counts that match the search they open,
the newest materials mixed over languages and subjects, cards with what a teacher looks for,
nothing that is not published, and a fixed, small number of SQL statements."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from sqlalchemy import event

from oer_portal.extensions import db
from oer_portal.materials.metadata import Term
from oer_portal.materials.models import Material, MaterialVersion
from oer_portal.pages.home import level_entries, subject_entries
from tests.fixtures.samples import image_bytes

# -- helpers -----------------------------------------------------------------------------------


def _entries(page: str) -> dict[str, tuple[str | None, str]]:
    """Each way in on the page: name → (its search link or ``None``, the count text)."""
    found: dict[str, tuple[str | None, str]] = {}
    for match in re.finditer(
            r'<(a|span) class="browse-[\w -]+"(?: href="([^"]+)")?>\s*'
            r'<span class="browse__name">([^<]+)</span>\s*'
            r'<span class="browse__count">([^<]+)</span>', page):
        tag, href, name, count = match.groups()
        assert (tag == "a") == (href is not None)
        found[unescape(name)] = (unescape(href) if href else None, count)
    return found


def _newest_titles(page: str) -> list[str]:
    section = page.split('id="newest-title"', 1)[1].split("</section>", 1)[0]
    return [unescape(t) for t in re.findall(
        r'class="material-card__title"[^>]*><a href="[^"]+">([^<]+)</a>', section)]


def _card(page: str, title: str) -> str:
    """The HTML of the card whose title is ``title``."""
    for card in re.findall(r'<article class="material-card.*?</article>', page, re.S):
        if f">{title}</a>" in card:
            return card
    raise AssertionError(f"no card for {title!r}")


def _total(client, **filters: str) -> int:
    return client.get("/api/v1/search", query_string=filters).get_json()["total"]


@pytest.fixture()
def people(make_user):
    return {"teacher": make_user("teacher"), "moderator": make_user("moderator")}


@pytest.fixture()
def publish(make_material, people):
    """``publish(title, **fields)``: a lesson by the teacher, published by the moderator."""
    def make(title: str, **fields):
        return make_material(people["teacher"], title=title, publish_by=people["moderator"],
                             **fields)

    return make


def _image_ref(app, name: str = "plaatje.png"):
    """A stored PNG (its thumbnail is made when the storing commits)."""
    from oer_portal.core.uow import current_uow
    from oer_portal.materials.attachments import Upload, store_upload

    with app.app_context():
        ref = store_upload(Upload(io.BytesIO(image_bytes(size=(64, 48))), name))
        current_uow().commit()
    return ref


def _text_ref(app, name: str = "notities.txt"):
    from oer_portal.core.uow import current_uow
    from oer_portal.materials.attachments import Upload, store_upload

    with app.app_context():
        ref = store_upload(Upload(io.BytesIO(b"Een paar regels tekst.\n"), name))
        current_uow().commit()
    return ref


def _new_version(app, material_id: int, title: str, attachments=(), **fields) -> None:
    """Save a new version by the owner and submit it for review (it stays pending)."""
    from oer_portal.accounts.models import User
    from oer_portal.core.uow import current_uow
    from oer_portal.materials import lifecycle, service
    from oer_portal.materials.metadata import VersionFields

    with app.app_context():
        material = db.session.get(Material, material_id)
        owner = db.session.get(User, material.owner_id)
        service.save_version(owner, material_id, material.latest_version_id,
                             VersionFields(title=title, **fields), list(attachments))
        lifecycle.submit_for_review(owner, db.session.get(Material, material_id))
        current_uow().commit()


def _withdraw(app, material_id: int, by) -> None:
    from oer_portal.accounts.models import User
    from oer_portal.core.uow import current_uow
    from oer_portal.materials import lifecycle

    with app.app_context():
        lifecycle.withdraw(db.session.get(User, by.id), db.session.get(Material, material_id),
                           "Verouderd")
        current_uow().commit()


# -- ways in: levels and subjects ------------------------------------------------------------


def test_levels_and_subjects_link_to_the_search_with_the_counts_it_finds(client, publish):
    publish("Breuken vergelijken", subjects=("mathematics",), levels=("havo",))
    publish("Procenten", subjects=("mathematics",), levels=("havo", "vwo"))
    publish("Cells", subjects=("biology",), levels=("vwo",), language="en")
    publish("Bakken en braden", subjects=("other",), levels=("vocational",))

    entries = _entries(client.get("/").get_data(as_text=True))

    assert entries["havo (senior general secondary)"] == ("/search?level=havo", "2 materials")
    assert entries["vwo (pre-university)"] == ("/search?level=vwo", "2 materials")
    # A parent level counts every material of its narrower levels once.
    assert entries["Secondary education"] == ("/search?level=secondary", "3 materials")
    assert entries["Vocational education (mbo)"] == ("/search?level=vocational", "1 material")
    assert entries["Mathematics"] == ("/search?subject=mathematics", "2 materials")
    assert entries["Biology"] == ("/search?subject=biology", "1 material")
    for name, (href, count) in entries.items():
        if href:
            facet, code = href.removeprefix("/search?").split("=")
            assert f"{_total(client, **{facet: code})} material" in count, name
            assert client.get(href).status_code == 200


def test_main_levels_without_materials_stay_unlinked_and_empty_narrow_levels_and_subjects_go(
        client, publish):
    publish("Breuken vergelijken", subjects=("mathematics",), levels=("havo",))

    page = client.get("/").get_data(as_text=True)
    entries = _entries(page)

    assert entries["Primary education"] == (None, "none yet")
    assert entries["Higher education"] == (None, "none yet")
    assert "/search?level=primary" not in page
    # Narrow levels and subjects appear only with materials.
    assert "vmbo (pre-vocational)" not in entries and "Research universities (wo)" not in entries
    assert "havo (senior general secondary)" in entries
    assert "Biology" not in entries and "Mathematics" in entries


def test_an_empty_portal_says_so_and_lists_no_newest(client):
    page = client.get("/").get_data(as_text=True)

    assert "No lesson materials have been published yet." in page
    assert 'id="newest-title"' not in page
    assert all(href is None for href, _count in _entries(page).values())
    assert "Request the teacher role" not in page and "Create an account to start" in page


def test_subjects_are_in_the_readers_alphabet_with_other_last():
    terms = {code: Term(code, None, nl, en) for code, nl, en in (
        ("mathematics", "Wiskunde", "Mathematics"), ("biology", "Biologie", "Biology"),
        ("history", "Geschiedenis", "History"), ("other", "Overig", "Other"),
        ("music", "Muziek", "Music"))}
    counts = {"mathematics": 5, "biology": 1, "history": 2, "other": 9}

    assert [e.label for e in subject_entries(terms, counts, "nl")] == [
        "Biologie", "Geschiedenis", "Wiskunde", "Overig"]
    assert [e.label for e in subject_entries(terms, counts, "en")] == [
        "Biology", "History", "Mathematics", "Other"]


def test_levels_keep_the_vocabulary_order_with_narrow_levels_under_their_parent():
    terms = {code: Term(code, parent, code.upper(), code) for code, parent in (
        ("primary", None), ("secondary", None), ("vmbo", "secondary"), ("havo", "secondary"),
        ("higher", None), ("wo", "higher"))}

    levels = level_entries(terms, {"secondary": 3, "havo": 3, "higher": 1}, "nl")

    assert [(e.code, e.count, [c.code for c in e.children]) for e in levels] == [
        ("primary", 0, []), ("secondary", 3, ["havo"]), ("higher", 1, [])]
    assert levels[1].label == "SECONDARY"


# -- newest: mixed over languages and subjects ---------------------------------------------


def test_a_large_english_import_leaves_the_dutch_lessons_on_the_newest_list(client, publish):
    dutch = [publish(f"Nederlandse les {n}", subjects=("mathematics",)) for n in range(3)]
    for n in range(15):
        publish(f"English lesson {n}", subjects=("mathematics",), language="en")

    titles = _newest_titles(client.get("/").get_data(as_text=True))

    assert len(titles) == 12
    assert {f"Nederlandse les {n}" for n in range(3)} <= set(titles)
    # Languages take turns, the newer first within a turn, until Dutch runs out.
    assert titles[:6] == ["English lesson 14", "Nederlandse les 2", "English lesson 13",
                          "Nederlandse les 1", "English lesson 12", "Nederlandse les 0"]
    assert titles[6:] == [f"English lesson {n}" for n in range(11, 5, -1)]
    assert len(dutch) == 3


def test_within_a_language_subjects_take_turns(client, publish):
    publish("Geschiedenis van de dijken", subjects=("history", "geography"))
    for n in range(14):
        publish(f"Breuken {n}", subjects=("mathematics",))

    titles = _newest_titles(client.get("/").get_data(as_text=True))

    assert titles[:3] == ["Breuken 13", "Geschiedenis van de dijken", "Breuken 12"]
    assert len(titles) == 12


def test_the_newest_rule_in_full(app, publish):
    """Rounds over subjects within a language (newest first within a round), then rounds over
    languages; a material's subject is the first it lists, and none is a group too."""
    from oer_portal.materials import queries

    ids = {title: publish(title, language=language, subjects=subjects) for title, language,
           subjects in (("A", "nl", ("mathematics",)), ("B", "nl", ("history",)),
                        ("C", "en", ("mathematics",)), ("D", "en", ("mathematics",)),
                        ("E", "en", ("physics", "mathematics")), ("F", "de", ()))}
    with app.app_context():
        order = queries.newest_mixed_ids(12)
        assert queries.newest_mixed_ids(3) == order[:3]
    by_id = {material_id: title for title, material_id in ids.items()}
    assert [by_id[i] for i in order] == ["F", "E", "B", "D", "A", "C"]


def test_the_newest_list_follows_publications_and_withdrawals(app, client, publish, people):
    first = publish("Eerste les")
    assert _newest_titles(client.get("/").get_data(as_text=True)) == ["Eerste les"]
    publish("Tweede les", subjects=("history",))
    assert _newest_titles(client.get("/").get_data(as_text=True)) == ["Tweede les",
                                                                       "Eerste les"]
    _withdraw(app, first, people["moderator"])
    assert _newest_titles(client.get("/").get_data(as_text=True)) == ["Tweede les"]


def test_a_withdrawal_lets_the_next_material_move_up_into_the_newest_list(app, client,
                                                                          publish, people):
    ids = [publish(f"Les {n}") for n in range(13)]
    assert "Les 0" not in _newest_titles(client.get("/").get_data(as_text=True))

    _withdraw(app, ids[5], people["moderator"])  # not the newest: the newest time stays
    titles = _newest_titles(client.get("/").get_data(as_text=True))

    assert titles == [f"Les {n}" for n in range(12, -1, -1) if n != 5]


# -- cards --------------------------------------------------------------------------------------


def test_a_card_shows_licence_language_levels_description_and_a_thumbnail(app, client,
                                                                          publish):
    material_id = publish("Kleuren mengen", description="Rood en geel maken oranje.",
                          licence="CC-BY-SA-4.0", levels=("havo", "vwo"),
                          attachments=[_text_ref(app), _image_ref(app, "palet.png")])

    page = client.get("/").get_data(as_text=True)
    card = _card(page, "Kleuren mengen")

    assert 'lang="nl"' in card and "Rood en geel maken oranje." in card
    assert '<span class="licence-badge">CC BY-SA' in card
    assert "Dutch" in card and "havo (senior general secondary)" in card
    assert "vwo (pre-university)" in card
    assert f'href="/materials/{material_id}-kleuren-mengen"' in card
    # The first attachment with a thumbnail: the text file has none, the image has one.
    image = re.search(r'<img class="material-card__image" src="([^"]+)"\s+alt="([^"]+)"', card)
    assert image, card
    with app.app_context():
        attachments = db.session.get(
            MaterialVersion, db.session.get(Material, material_id).published_version_id
        ).attachments
        image_id = next(a.id for a in attachments if a.filename == "palet.png")
    assert image.group(1) == f"/materials/{material_id}/files/{image_id}/thumbnail"
    assert image.group(2) == "Preview of palet.png"
    thumbnail = client.get(image.group(1))
    assert thumbnail.status_code == 200 and thumbnail.mimetype == "image/png"


def test_a_card_without_a_thumbnail_has_no_image(app, client, publish):
    publish("Zonder bijlage")
    publish("Met een tekstbestand", attachments=[_text_ref(app)])

    page = client.get("/").get_data(as_text=True)

    for title in ("Zonder bijlage", "Met een tekstbestand"):
        assert "<img" not in _card(page, title)
        assert "material-card--with-image" not in _card(page, title)


def test_the_dutch_page_labels_cards_and_counts_in_dutch(new_client, publish):
    publish("Breuken vergelijken", subjects=("mathematics",), levels=("havo",))

    page = new_client(None).get("/").get_data(as_text=True)

    assert "Zoek per onderwijsniveau" in page
    assert _entries(page)["Wiskunde"] == ("/search?subject=mathematics", "1 lesmateriaal")
    assert "Nederlands" in _card(page, "Breuken vergelijken")


# -- only what is published ---------------------------------------------------------------------


def test_drafts_pending_and_withdrawn_materials_are_never_counted_or_shown(app, client,
                                                                          make_material,
                                                                          publish, people):
    from oer_portal.accounts.models import User
    from oer_portal.core.uow import current_uow
    from oer_portal.materials import lifecycle

    publish("Zichtbare les", subjects=("mathematics",), levels=("havo",))
    make_material(people["teacher"], title="Geheim concept", subjects=("music",),
                  levels=("primary",))
    waiting = make_material(people["teacher"], title="Wacht op een moderator",
                            subjects=("music",), levels=("primary",))
    with app.app_context():
        lifecycle.submit_for_review(db.session.get(User, people["teacher"].id),
                                    db.session.get(Material, waiting))
        current_uow().commit()
    withdrawn = publish("Ingetrokken les", subjects=("music",), levels=("primary",))
    revised = publish("Gepubliceerde titel", subjects=("mathematics",), levels=("havo",))
    client.get("/")  # the newest list is worked out (and kept) while both are published
    _withdraw(app, withdrawn, people["moderator"])
    _new_version(app, revised, "Nieuwe titel in review", subjects=("music",),
                 levels=("primary",), attachments=[_image_ref(app)])

    page = client.get("/").get_data(as_text=True)

    for title in ("Geheim concept", "Wacht op een moderator", "Ingetrokken les",
                  "Nieuwe titel in review"):
        assert title not in page
    assert _newest_titles(page) == ["Gepubliceerde titel", "Zichtbare les"]
    assert "<img" not in _card(page, "Gepubliceerde titel")  # the pending version's image
    entries = _entries(page)
    assert entries["Primary education"] == (None, "none yet")
    assert "Music" not in entries
    assert entries["Mathematics"] == ("/search?subject=mathematics", "2 materials")
    assert "Browse all 2 lesson materials" in page


def test_cards_are_made_only_for_published_materials_in_the_order_asked(app, make_material,
                                                                        publish, people):
    from oer_portal.materials import queries

    first, second = publish("Eerste"), publish("Tweede")
    draft = make_material(people["teacher"], title="Concept")
    withdrawn = publish("Ingetrokken")
    _withdraw(app, withdrawn, people["moderator"])

    with app.app_context():
        cards = queries.published_cards([withdrawn, second, draft, first, 9999])

    assert [(c.material_id, c.title) for c in cards] == [(second, "Tweede"), (first, "Eerste")]


# -- cost -----------------------------------------------------------------------------------------


def _statements(app, client, path: str = "/") -> list[str]:
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return [s for s in statements if s.strip().upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]


def test_the_home_page_reads_a_fixed_few_statements_and_no_lesson_text(app, client, publish):
    for n in range(3):
        publish(f"Les {n}", subjects=("mathematics",), levels=("havo",))
    few = _statements(app, client)
    for n in range(3, 25):
        publish(f"Les {n}", subjects=("history", "mathematics")[n % 2:], levels=("vwo",),
                language=("nl", "en")[n % 2],
                attachments=[_image_ref(app, f"plaatje-{n}.png")] if n % 3 == 0 else ())
    first = _statements(app, client)  # the newest list is worked out again
    again = _statements(app, client)  # and kept while nothing is published or withdrawn

    # The vocabularies, the publication state, the mix (only when it changed), the cards.
    assert len(few) == len(first) == 4, first
    assert len(again) == 3, again
    for statement in first:
        assert "material_versions.body" not in statement, statement
    assert len(_newest_titles(client.get("/").get_data(as_text=True))) == 12


# -- the cache ---------------------------------------------------------------------------------


def _cached_home(locale: str = "en"):
    from oer_portal.pages import home

    return home._pages.get(locale)


def test_a_new_publication_shows_on_the_cached_home_page_at_once(app, client, publish):
    """The cache is checked against the database at every request (not emptied by the
    process that published), so any worker process sees a publication at its next
    request: counts, the newest list and its cards."""
    publish("Eerste les", subjects=("mathematics",), levels=("havo",))
    client.get("/")
    cached = _cached_home()
    client.get("/")
    assert _cached_home() is cached  # kept while nothing changed

    publish("Tweede les", subjects=("history",), levels=("havo",))
    page = client.get("/").get_data(as_text=True)

    assert _newest_titles(page) == ["Tweede les", "Eerste les"]
    assert _entries(page)["History"][1] == "1 material"
    assert _cached_home() is not cached


def test_saving_a_draft_keeps_the_cached_home_page(app, client, publish, make_material,
                                                   people):
    from oer_portal.accounts.models import User
    from oer_portal.core.uow import current_uow
    from oer_portal.materials import service
    from oer_portal.materials.metadata import VersionFields

    published = publish("Gepubliceerde les", subjects=("mathematics",))
    client.get("/")
    cached = _cached_home()

    make_material(people["teacher"], title="Een concept")  # a new draft
    with app.app_context():  # a newer draft of the published lesson
        material = db.session.get(Material, published)
        service.save_version(db.session.get(User, people["teacher"].id), published,
                             material.latest_version_id,
                             VersionFields(title="Gepubliceerde les, herzien", body="Nieuw\n"),
                             [])
        current_uow().commit()
    page = client.get("/").get_data(as_text=True)

    assert _cached_home() is cached
    assert _newest_titles(page) == ["Gepubliceerde les"]


def test_a_withdrawal_and_a_reinstatement_each_refresh_the_cached_home_page(app, client,
                                                                           publish, people):
    from oer_portal.accounts.models import User
    from oer_portal.core.uow import current_uow
    from oer_portal.materials import lifecycle

    kept = publish("Blijft staan", subjects=("mathematics",))
    taken = publish("Gaat offline", subjects=("history",))
    client.get("/")
    with app.app_context():
        lifecycle.unpublish(db.session.get(User, people["moderator"].id),
                            db.session.get(Material, taken), "Klacht")
        current_uow().commit()
    assert _newest_titles(client.get("/").get_data(as_text=True)) == ["Blijft staan"]
    with app.app_context():
        lifecycle.reinstate(db.session.get(User, people["moderator"].id),
                            db.session.get(Material, taken), "Klacht ongegrond")
        current_uow().commit()
    page = client.get("/").get_data(as_text=True)
    assert _newest_titles(page) == ["Gaat offline", "Blijft staan"]
    assert _entries(page)["History"][1] == "1 material" and kept
