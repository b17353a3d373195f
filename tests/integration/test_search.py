"""Search: only published versions are found, on every part of the result; hostile queries
are harmless; the index follows the outbox and can be checked and rebuilt."""

from __future__ import annotations

import re

import pytest

from oer_portal.extensions import db
from oer_portal.materials.models import Material, MaterialVersion


@pytest.fixture()
def lessons(app, make_user, make_material):
    """Published: a Dutch biology lesson and an English physics one; plus a private draft."""
    teacher, moderator = make_user("teacher"), make_user("moderator")
    ids = {
        "fotosynthese": make_material(
            teacher, title="Fotosynthese bij planten",
            body="Planten maken suiker uit licht. De fietsen staan buiten.\n",
            subjects=("biology",), levels=("havo",), language="nl", publish_by=moderator),
        "ohm": make_material(
            teacher, title="Ohm's law with a torch", body="Measure the current in databases.\n",
            subjects=("physics",), levels=("vocational",), language="en",
            licence="CC-BY-SA-4.0", publish_by=moderator),
        "draft": make_material(teacher, title="Geheim concept over fotosynthese",
                               body="geheimwoord fotosynthese\n"),
    }
    return ids


def _search(client, **params):
    return client.get("/api/v1/search", query_string=params).get_json()


def test_published_materials_are_found_in_either_language(client, lessons):
    assert [r["id"] for r in _search(client, q="fotosynthese")["results"]] == [
        lessons["fotosynthese"]]
    assert [r["id"] for r in _search(client, q="fiets")["results"]] == [lessons["fotosynthese"]]
    assert [r["id"] for r in _search(client, q="database")["results"]] == [lessons["ohm"]]


def test_drafts_never_appear_in_results_facets_counts_suggestions_or_highlights(client,
                                                                               lessons):
    data = _search(client, q="geheimwoord")
    assert data["total"] == 0 and data["results"] == []
    assert all(not counts for counts in data["facets"].values())
    assert data["suggestion"] in (None, "") or "geheimwoord" not in data["suggestion"]
    everything = _search(client)
    assert everything["total"] == 2
    assert sum(c["count"] for c in everything["facets"]["kind"]) == 2
    page = client.get("/search?q=geheim").get_data(as_text=True)
    assert "Geheim concept" not in page


def test_a_pending_revision_is_not_searchable_until_approved(app, client, make_user, lessons):
    from oer_portal.accounts.models import User
    from oer_portal.core.uow import current_uow
    from oer_portal.materials import lifecycle, service
    from oer_portal.materials.metadata import VersionFields

    material_id = lessons["fotosynthese"]
    with app.app_context():
        material = db.session.get(Material, material_id)
        owner = db.session.get(User, material.owner_id)
        result = service.save_version(owner, material_id, material.latest_version_id,
                                      VersionFields(title="Fotosynthese bij planten",
                                                    body="nieuwtekst chlorofyl\n"), [])
        current_uow().commit()
        assert _search(client, q="chlorofyl")["total"] == 0
        assert _search(client, q="suiker")["total"] == 1  # the published text still counts
        moderator = db.session.get(User, make_user("moderator").id)
        lifecycle.publish(db.session.get(Material, material_id),
                          db.session.get(MaterialVersion, result.version.id), moderator)
        current_uow().commit()
    assert _search(client, q="chlorofyl")["total"] == 1
    assert _search(client, q="suiker")["total"] == 0, _search(client, q="suiker")


def test_withdrawn_materials_leave_the_index(app, client, make_user, lessons):
    from oer_portal.accounts.models import User
    from oer_portal.core.uow import current_uow
    from oer_portal.materials import lifecycle

    with app.app_context():
        material = db.session.get(Material, lessons["ohm"])
        lifecycle.withdraw(db.session.get(User, material.owner_id), material, "verouderd")
        current_uow().commit()
    assert _search(client, q="torch")["total"] == 0


@pytest.mark.parametrize("query", [
    "status:draft", "*a*", "[a TO z]", "title:(", '"unterminated', "a" * 5000, "-", "OR OR",
    "geheimwoord OR fotosynthese", "\x00\u202e", "id:__position__", "licence:CC*",
])
def test_hostile_queries_return_no_error_and_no_leak(client, lessons, query):
    response = client.get("/api/v1/search", query_string={"q": query})
    assert response.status_code == 200
    data = response.get_json()
    assert lessons["draft"] not in [r["id"] for r in data["results"]]
    assert all(r["id"] != "__position__" for r in data["results"])
    assert client.get("/search", query_string={"q": query}).status_code == 200


def test_facets_filter_and_combine(client, lessons):
    data = _search(client, language="en")
    assert [r["id"] for r in data["results"]] == [lessons["ohm"]]
    both = client.get("/api/v1/search?level=havo&level=vocational").get_json()
    assert both["total"] == 2  # values of one facet are OR-ed
    none = client.get("/api/v1/search?level=havo&language=en").get_json()
    assert none["total"] == 0  # facets are AND-ed
    secondary = _search(client, level="secondary")
    assert [r["id"] for r in secondary["results"]] == [lessons["fotosynthese"]]  # parent level
    counts = dict((c["value"], c["count"]) for c in _search(client)["facets"]["licence_family"])
    assert counts == {"CC-BY": 1, "CC-BY-SA": 1}


def test_highlights_are_marked_and_escaped(app, client, make_user, make_material):
    make_material(make_user("teacher"), title="Veilig",
                  body="Tekst met <b>vet</b> en <script>alert(1)</script> onderwerp kolibrie."
                       " Als a `<i onmouseover=x>` b.\n",
                  publish_by=make_user("moderator"))
    hit = _search(client, q="kolibrie")["results"][0]
    assert "<mark>kolibrie</mark>" in hit["highlights"]
    assert "<script" not in hit["highlights"] and "<b>" not in hit["highlights"]
    assert "<i " not in hit["highlights"] and "&lt;i onmouseover" in hit["highlights"]


def test_a_typo_gets_a_suggestion_and_similar_results(client, lessons):
    data = _search(client, q="fotosyntese")
    assert data["suggestion"] == "fotosynthese"
    assert [r["id"] for r in data["results"]] == [lessons["fotosynthese"]] and data["fuzzy"]


def test_search_page_shows_results_facets_and_chips(client, lessons):
    page = client.get("/search?q=fotosynthese&subject=biology").get_data(as_text=True)
    assert "Fotosynthese bij planten" in page
    assert re.search(r'class="chip" href="/search\?q=fotosynthese[^"]*"', page)
    assert 'name="subject" value="biology" checked' in page


def test_check_reindex_and_drain_commands(app, runner, lessons):
    clean = runner.invoke(args=["search", "check"])
    assert clean.exit_code == 0, clean.output
    import shutil
    from pathlib import Path

    shutil.rmtree(Path(app.config["INDEX_DIR"]))
    drift = runner.invoke(args=["search", "check"])
    assert drift.exit_code == 1 and "2 missing" in drift.output
    rebuilt = runner.invoke(args=["search", "reindex"])
    assert rebuilt.exit_code == 0 and "2 materials indexed" in rebuilt.output
    assert runner.invoke(args=["search", "check"]).exit_code == 0


def test_a_publish_while_another_process_holds_the_writer_lock_is_applied_later(
        app, client, make_user, make_material, runner, lessons):
    from oer_portal.search import indexer

    with app.app_context():
        ix = indexer.open_index()
        holder = ix.writer()  # as another process would: the lock file is taken
        try:
            material_id = make_material(make_user("teacher"), title="Vertraagd zebrapad",
                                        publish_by=make_user("moderator"))
            assert _search(client, q="zebrapad")["total"] == 0  # left for the holder
        finally:
            holder.cancel()
    assert runner.invoke(args=["search", "drain"]).exit_code == 0
    assert [r["id"] for r in _search(client, q="zebrapad")["results"]] == [material_id]
    assert runner.invoke(args=["search", "check"]).exit_code == 0


def test_a_body_only_match_never_borrows_a_title_score(client, runner, make_user,
                                                      make_material):
    """Regression: Whoosh's DisjunctionMax scored a document with another document's posting,
    so pages that only mentioned a word in passing shared the title match's score.  (Within
    one segment, body-only documents numbered before the title match: hence the reindex.)"""
    teacher, moderator = make_user("teacher"), make_user("moderator")
    in_body = [make_material(teacher, title=f"Les {n}", body="Terloops: okapi.\n",
                             publish_by=moderator) for n in range(4)]
    in_title = make_material(teacher, title="Okapi in het regenwoud", body="Een dier.\n",
                             publish_by=moderator)
    assert runner.invoke(args=["search", "reindex"]).exit_code == 0
    results = _search(client, q="okapi")["results"]
    assert results[0]["id"] == in_title
    assert all(r["score"] < results[0]["score"] for r in results[1:])
    assert {r["id"] for r in results[1:]} == set(in_body)


def test_a_swapped_pair_of_letters_still_finds_the_lesson(client, lessons):
    data = _search(client, q="fotsoynthese")
    assert [r["id"] for r in data["results"]] == [lessons["fotosynthese"]]


def test_few_documents_with_every_word_are_topped_up_with_partial_matches(client, lessons):
    """"fotosynthese torch": no material has both words; each has one of them."""
    data = _search(client, q="fotosynthese planten torch")
    ids = [r["id"] for r in data["results"]]
    assert ids == [lessons["fotosynthese"], lessons["ohm"]]  # two of three words first
    both = _search(client, q="fotosynthese planten")
    assert [r["id"] for r in both["results"]] == [lessons["fotosynthese"]]


def test_more_like_this_lists_published_relatives_only(app, client, make_user, make_material,
                                                       lessons):
    teacher, moderator = make_user("teacher"), make_user("moderator")
    sibling = make_material(teacher, title="Bladgroen en zonlicht",
                            body="Planten maken suiker uit licht met bladgroen.\n",
                            publish_by=moderator)
    make_material(teacher, title="Concept over suiker",
                  body="Planten maken suiker uit licht, geheim concept.\n")
    page = client.get(f"/materials/{lessons['fotosynthese']}", follow_redirects=True)
    html = page.get_data(as_text=True)
    related = html[html.index('id="related-title"'):]
    assert f"/materials/{sibling}-" in related
    assert "Concept over suiker" not in related and "Geheim concept" not in related
    # The list is cached per index generation: a withdrawal takes the sibling out at once.
    from oer_portal.accounts.models import User
    from oer_portal.core.uow import current_uow
    from oer_portal.materials import lifecycle

    with app.app_context():
        lifecycle.withdraw(db.session.get(User, moderator.id),
                           db.session.get(Material, sibling), "Verouderd")
        current_uow().commit()
    html = client.get(f"/materials/{lessons['fotosynthese']}", follow_redirects=True
                      ).get_data(as_text=True)
    assert f"/materials/{sibling}-" not in html


def test_a_facet_in_use_still_offers_its_other_values(client, lessons):
    data = _search(client, level="havo")
    assert data["total"] == 1
    levels = {c["value"]: c["count"] for c in data["facets"]["level"]}
    assert levels["havo"] == 1 and levels["vocational"] == 1  # can still be added
    languages = {c["value"] for c in data["facets"]["language"]}
    assert languages == {"nl"}  # other facets follow the filter


def test_an_index_written_with_other_analyzers_is_reported_and_rebuilt(app, client, runner,
                                                                      lessons):
    """Same fields, another ``SCHEMA_VERSION`` (say, accents were not folded yet): the field
    names alone do not show it, the position document does."""
    from oer_portal.search import indexer, worker
    from oer_portal.search.schema import POSITION_ID, SCHEMA_VERSION

    with app.app_context():
        ix = indexer.open_index()
        with ix.writer() as writer:
            writer.update_document(id=POSITION_ID, position=str(indexer.applied_position(ix)),
                                   schema_version=SCHEMA_VERSION - 1)
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1 and "older schema" in result.output
    assert [r["id"] for r in _search(client, q="fotosynthese")["results"]] == [
        lessons["fotosynthese"]]  # it keeps answering meanwhile
    import threading

    stop = threading.Event()
    stop.set()
    worker.drain_forever(app, 0.01, stop=stop)
    assert runner.invoke(args=["search", "check"]).exit_code == 0


def test_more_like_this_prefers_the_same_language_and_then_the_same_level(
        app, make_user, make_material):
    from oer_portal.search.related import more_like_this

    teacher, moderator = make_user("teacher"), make_user("moderator")
    text = "Breuken vergelijken met een getallenlijn, gelijknamig maken en vereenvoudigen.\n"

    def lesson(title: str, level: str, language: str = "nl", extra: str = "") -> int:
        return make_material(teacher, title=title, body=text + extra, language=language,
                             levels=(level,), publish_by=moderator)

    source = lesson("Breuken voor havo", "havo")
    primary = lesson("Breuken voor groep 7", "primary", extra="Breuken breuken getallenlijn.\n")
    vwo = lesson("Breuken voor vwo", "vwo")
    havo = lesson("Breuken oefenen havo", "havo", extra="Nog een oefening.\n")
    english = lesson("Fractions", "havo", language="en")
    with app.test_request_context():
        related = [r.material_id for r in more_like_this(source)]
    assert related == [havo, vwo, primary]
    assert english not in related
