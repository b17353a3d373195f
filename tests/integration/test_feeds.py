"""Atom feeds of newly published materials: they parse with feedparser (no bozo), hold the
right entries newest first, filter by subject, level and person, never show a draft or a
withdrawn material, and are linked from the pages they belong to."""

from __future__ import annotations

import html
import re

import feedparser
import pytest

from tests.fixtures.syndication import publish_head, save_draft, withdraw


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher", name="Anna Aalders"),
            "bea": make_user("teacher", name="Bea Bakker"),
            "mod": make_user("moderator", name="Mo Moderator")}


@pytest.fixture()
def corpus(app, people, make_material):
    """Four published lessons (published in this order) and a draft."""
    made = {
        "breuken": make_material(people["anna"], title="Breuken", publish_by=people["mod"],
                                 subjects=("mathematics",), levels=("havo",),
                                 description="Breuken vergelijken", licence="CC-BY-4.0",
                                 keywords=("breuken",)),
        "cellen": make_material(people["bea"], title="Cellen", publish_by=people["mod"],
                                subjects=("biology",), levels=("vwo",), language="en"),
        "procenten": make_material(people["anna"], title="Procenten", publish_by=people["mod"],
                                   subjects=("mathematics",), levels=("vocational",)),
        "koken": make_material(people["bea"], title="Koken", publish_by=people["mod"],
                               subjects=("other",), levels=("primary",)),
        "concept": make_material(people["anna"], title="Concept", subjects=("mathematics",),
                                 levels=("havo",)),
    }
    return made


def _feed(client, path: str):
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(response.get_data())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def _titles(parsed) -> list[str]:
    return [entry.title for entry in parsed.entries]


def test_the_feed_of_all_new_materials_parses_and_is_newest_first(client, people, corpus):
    parsed = _feed(client, "/feeds/materials.atom")
    assert _titles(parsed) == ["Koken", "Procenten", "Cellen", "Breuken"]
    assert parsed.feed.title == "New materials"
    assert parsed.feed.updated
    breuken = parsed.entries[-1]
    assert breuken.link == f"http://localhost/materials/{corpus['breuken']}-breuken"
    assert breuken.id == f"http://localhost/materials/{corpus['breuken']}"
    assert breuken.author == "Anna Aalders"
    assert breuken.authors[0]["href"] == f"http://localhost/people/{people['anna'].id}" \
                                         "-anna-aalders"
    assert breuken.summary == "Breuken vergelijken"
    assert "CC BY 4.0" in breuken.rights or "Attribution 4.0" in breuken.rights
    assert "https://creativecommons.org/licenses/by/4.0/" in breuken.rights
    assert {tag.term for tag in breuken.tags} == {"mathematics", "havo", "breuken"}
    assert "example.org" not in str(parsed)  # never an e-mail address


def test_drafts_pending_versions_and_withdrawn_materials_stay_out(app, client, people, corpus):
    save_draft(app, people["anna"].id, corpus["breuken"], title="Breuken, geheime versie")
    withdraw(app, corpus["cellen"], people["bea"].id)
    body = client.get("/feeds/materials.atom").get_data(as_text=True)
    parsed = feedparser.parse(body)
    assert _titles(parsed) == ["Koken", "Procenten", "Breuken"]
    assert "geheime" not in body and "Concept" not in body and "Cellen" not in body
    # a new version, once published, moves the material up with the same entry id
    publish_head(app, corpus["breuken"], people["mod"].id)
    parsed = _feed(client, "/feeds/materials.atom")
    assert _titles(parsed)[0] == "Breuken, geheime versie"
    assert parsed.entries[0].id == f"http://localhost/materials/{corpus['breuken']}"


def test_per_subject_level_and_person(client, people, corpus):
    assert _titles(_feed(client, "/feeds/subjects/mathematics.atom")) == ["Procenten",
                                                                          "Breuken"]
    assert _titles(_feed(client, "/feeds/subjects/biology.atom")) == ["Cellen"]
    assert _titles(_feed(client, "/feeds/levels/havo.atom")) == ["Breuken"]
    # a level's feed holds its narrower levels, as the search filter does
    assert _titles(_feed(client, "/feeds/levels/secondary.atom")) == ["Cellen", "Breuken"]
    assert _titles(_feed(client, f"/feeds/people/{people['anna'].id}.atom")) == [
        "Procenten", "Breuken"]
    parsed = _feed(client, f"/feeds/people/{people['bea'].id}.atom")
    assert _titles(parsed) == ["Koken", "Cellen"]
    assert parsed.feed.title == "New materials by Bea Bakker"


def test_a_co_author_is_named_and_gets_the_material_in_their_feed(app, client, people,
                                                                  make_material):
    material_id = make_material(people["anna"], title="Samen", publish_by=people["mod"])
    client.login(people["anna"].email)
    client.post(f"/materials/{material_id}/authors", {"email": "teacher2@example.org"})
    client.logout()
    assert _titles(_feed(client, f"/feeds/people/{people['bea'].id}.atom")) == ["Samen"]
    entry = _feed(client, "/feeds/materials.atom").entries[0]
    assert [author["name"] for author in entry.authors] == ["Anna Aalders", "Bea Bakker"]


def test_unknown_subjects_levels_and_people_are_not_found(client, people, make_user, corpus):
    student = make_user("student", name="Sam Scholier")
    for path in ("/feeds/subjects/astrology.atom", "/feeds/levels/kindergarten-9.atom",
                 "/feeds/people/99999.atom", f"/feeds/people/{student.id}.atom",
                 f"/feeds/people/{people['mod'].id}.atom"):
        assert client.get(path).status_code == 404, path
    # a teacher who published nothing has an empty (valid) feed, as their profile is empty
    teacher = make_user("teacher", name="Nieuwe Docent")
    assert _titles(_feed(client, f"/feeds/people/{teacher.id}.atom")) == []


def test_feed_size_is_configurable(app, client, corpus):
    app.config["FEED_SIZE"] = 2
    assert _titles(_feed(client, "/feeds/materials.atom")) == ["Koken", "Procenten"]
    assert _titles(_feed(client, "/feeds/subjects/mathematics.atom")) == ["Procenten",
                                                                          "Breuken"]


def _alternates(page: str) -> list[tuple[str, str]]:
    return [(html.unescape(href), html.unescape(title)) for href, title in re.findall(
        r'<link rel="alternate" type="application/atom\+xml" href="([^"]+)" title="([^"]+)">',
        page)]


def test_pages_link_their_feed(client, people, corpus):
    assert _alternates(client.get("/").get_data(as_text=True)) == [
        ("/feeds/materials.atom", "New materials")]
    profile = client.get(f"/people/{people['anna'].id}-anna-aalders").get_data(as_text=True)
    assert _alternates(profile) == [(f"/feeds/people/{people['anna'].id}.atom",
                                     "New materials by Anna Aalders")]
    subject = client.get("/search?subject=mathematics").get_data(as_text=True)
    assert _alternates(subject) == [("/feeds/subjects/mathematics.atom",
                                     "New materials: Mathematics")]
    level = client.get("/search?level=havo").get_data(as_text=True)
    assert _alternates(level)[0][0] == "/feeds/levels/havo.atom"
    for path in ("/search?q=breuken", "/search?subject=mathematics&level=havo",
                 "/search?subject=mathematics&subject=biology"):
        assert _alternates(client.get(path).get_data(as_text=True)) == [], path
