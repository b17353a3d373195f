"""The search's memo (``searchers.Memo``): what a search worked out from the index and its
words is kept for the next search of the same commit, and never outlives that commit: a
publication is found, and a withdrawal gone, at the very next search of the same words."""

from __future__ import annotations

import pytest

from oer_portal.extensions import db
from oer_portal.materials.models import Material
from oer_portal.search import docsets, searchers


@pytest.fixture()
def lessons(app, make_user, make_material):
    teacher, moderator = make_user("teacher"), make_user("moderator")
    return {
        "fotosynthese": make_material(
            teacher, title="Fotosynthese bij planten",
            body="Planten maken suiker uit licht. Bladgroen vangt het zonlicht.\n",
            subjects=("biology",), levels=("havo",), language="nl", publish_by=moderator),
        "ohm": make_material(
            teacher, title="Ohm's law with a torch", body="Measure the current in a torch.\n",
            subjects=("physics",), levels=("vocational",), language="en",
            publish_by=moderator),
    }


def _search(client, **params):
    return client.get("/api/v1/search", query_string=params).get_json()


def _withdraw(app, material_id):
    from oer_portal.accounts.models import User
    from oer_portal.core.uow import current_uow
    from oer_portal.materials import lifecycle

    with app.app_context():
        material = db.session.get(Material, material_id)
        lifecycle.withdraw(db.session.get(User, material.owner_id), material, "verouderd")
        current_uow().commit()


def test_the_same_search_twice_is_answered_alike_from_the_memo(app, client, lessons):
    first = _search(client, q="planten zonlicht", level="havo")
    with app.app_context():
        kept = len(searchers.memo(searchers.current()))
    assert kept > 0  # the first search left its words' work behind
    again = _search(client, q="planten zonlicht", level="havo")
    assert again == first and [r["id"] for r in again["results"]] == [lessons["fotosynthese"]]
    assert "<mark>" in again["results"][0]["highlights"]
    # A kept hit carries each search's own score: none when sorted by date.
    newest = _search(client, q="planten zonlicht", level="havo", sort="newest")
    assert newest["results"][0]["score"] == 0 and first["results"][0]["score"] > 0
    assert newest["results"][0]["highlights"] == first["results"][0]["highlights"]


def test_a_withdrawal_is_gone_at_the_next_search_of_the_same_words(app, client, lessons):
    for _ in range(2):  # the second answer comes from the memo
        assert [r["id"] for r in _search(client, q="torch")["results"]] == [lessons["ohm"]]
        assert _search(client, q="torhc")["suggestion"] == "torch"  # a kept correction
        assert _search(client, level="vocational")["total"] == 1
    _withdraw(app, lessons["ohm"])
    assert _search(client, q="torch")["total"] == 0
    typo = _search(client, q="torhc")
    assert typo["total"] == 0 and not typo["suggestion"]  # no longer a known word
    browsing = _search(client, level="vocational")
    assert browsing["total"] == 0
    assert all(c["value"] != "physics" for c in _search(client)["facets"]["subject"])


def test_a_publication_is_found_at_the_next_search_of_the_same_words(
        app, client, make_user, make_material, lessons):
    def levels(**params: str) -> dict[str, int]:
        return {c["value"]: c["count"] for c in _search(client, **params)["facets"]["level"]}

    for _ in range(2):
        assert _search(client, q="bladgroen")["total"] == 1
        assert _search(client, q="chlorofyl")["total"] == 0
        assert levels(q="bladgroen", subject="biology") == {"havo": 1, "secondary": 1}  # kept
    teacher, moderator = make_user("teacher"), make_user("moderator")
    new = make_material(teacher, title="Chlorofyl en bladgroen", body="Chlorofyl is groen.\n",
                        subjects=("biology",), levels=("havo",), language="nl",
                        publish_by=moderator)
    assert [r["id"] for r in _search(client, q="chlorofyl")["results"]] == [new]
    assert {r["id"] for r in _search(client, q="bladgroen")["results"]} == {
        new, lessons["fotosynthese"]}
    assert levels(q="bladgroen", subject="biology") == {"havo": 2, "secondary": 2}
    page = client.get("/search", query_string={"q": "chlorofyl"}).get_data(as_text=True)
    assert "Chlorofyl en bladgroen" in page


def test_a_memo_belongs_to_one_searcher_of_one_commit(app, client, lessons):
    with app.app_context():
        before = searchers.current()
        assert searchers.memo(before) is searchers.memo(before)
    _withdraw(app, lessons["ohm"])
    with app.app_context():
        after = searchers.current()
        assert after is not before and searchers.memo(after) is not searchers.memo(before)


def test_a_cold_search_starts_with_an_empty_memo(app, client, lessons):
    """The benchmark's cold pass (``search_bench.drop_posting_caches``) must not be answered
    from the memo."""
    assert _search(client, q="planten")["total"] == 1
    with app.app_context():
        searcher = searchers.current()
        assert len(searchers.memo(searcher)) > 0
        searchers.drop_memos()
        assert len(searchers.memo(searcher)) == 0
    assert _search(client, q="planten")["total"] == 1


def test_a_memo_drops_the_least_recently_used_and_weighs_document_sets(app, lessons):
    memo = searchers.Memo(entries=3)
    for key in "abc":
        memo.get(key, lambda key=key: key.upper())
    assert memo.get("a", lambda: "new") == "A"  # kept, and now the most recent
    memo.get("d", lambda: "D")
    assert memo.get("b", lambda: "gone") == "gone"  # the least recently used went first
    with app.app_context():
        leaves = docsets.leaves(searchers.current())
    everything = docsets.every(leaves)
    assert len(everything) >= 2
    weighed = searchers.Memo(capacity=len(everything) + 1, entries=2)
    weighed.get("small", lambda: "x")
    weighed.get("all", lambda: everything)  # weighs one more than its documents
    weighed.get("again", lambda: docsets.every(leaves))  # pushes out the older set ...
    assert len(weighed) == 2
    assert weighed.get("small", lambda: "y") == "x"  # ... but never a small value
    assert weighed.get("all", lambda: None) is None
