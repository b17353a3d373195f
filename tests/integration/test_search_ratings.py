"""Ratings in search: a rating re-indexes the material, "best rated" sorts by the Bayesian
average (newest first among equals), results carry the average and count, and an index
built before the rating field existed keeps working until it is rebuilt."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.fields import Schema

from oer_portal.accounts.models import User
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db


@pytest.fixture()
def rated(app, make_user, make_material):
    """Three published lessons: one rated 5 once, one rated 5, 5, 4, 5, 5 and 5, one unrated
    (the newest)."""
    from oer_portal.community import service

    teacher, moderator = make_user("teacher"), make_user("moderator")
    students = [make_user("student") for _ in range(6)]
    ids = {name: make_material(teacher, title=f"Breuken {name}", body="breuken\n",
                               publish_by=moderator)
           for name in ("once", "many", "unrated")}
    with app.app_context():
        service.rate(db.session.get(User, students[0].id), ids["once"], 5)
        for student, stars in zip(students, (5, 5, 4, 5, 5, 5), strict=True):
            service.rate(db.session.get(User, student.id), ids["many"], stars)
        current_uow().commit()
    return ids


def _search(client, **params):
    return client.get("/api/v1/search", query_string=params).get_json()


def test_best_rated_sorts_by_the_bayesian_average(client, rated):
    order = [r["id"] for r in _search(client, q="breuken", sort="rating")["results"]]
    # many: (2*3 + 29) / 8 = 4.375; once: (2*3 + 5) / 3 = 3.67; unrated: 3.0.
    assert order == [rated["many"], rated["once"], rated["unrated"]]
    browse = [r["id"] for r in _search(client, sort="rating")["results"]]
    assert browse == order


def test_results_carry_the_average_and_the_count(client, new_client, rated):
    results = {r["id"]: r["rating"] for r in _search(client, q="breuken")["results"]}
    assert results[rated["many"]] == {"average": 4.83, "count": 6}
    assert results[rated["unrated"]] == {"average": None, "count": 0}
    page = new_client("nl").get("/search", query_string={"q": "breuken", "sort": "rating"})
    assert "4,8" in page.get_data(as_text=True)


def test_a_new_rating_is_searchable_at_once(app, client, rated, make_user):
    from oer_portal.community import service

    voters = [make_user("student") for _ in range(8)]
    with app.app_context():
        for voter in voters:
            service.rate(db.session.get(User, voter.id), rated["unrated"], 5)
        current_uow().commit()
    assert _search(client, q="breuken", sort="rating")["results"][0]["id"] == rated["unrated"]
    with app.app_context():
        for voter in voters:
            service.remove_rating(db.session.get(User, voter.id), rated["unrated"])
        current_uow().commit()
    assert _search(client, q="breuken", sort="rating")["results"][-1]["id"] == rated["unrated"]


def test_an_index_with_an_older_schema_keeps_working_and_is_rebuilt(app, client, runner,
                                                                    rated):
    from oer_portal.search import indexer, worker
    from oer_portal.search.schema import build_schema

    # Build the index as the previous release did: without the rating fields.
    root = Path(app.config["INDEX_DIR"])
    shutil.rmtree(root)
    current = build_schema()
    old = Schema(**{name: current[name] for name in current.names()
                    if not name.startswith("rating")})
    with app.app_context():
        generation = root / f"{indexer.GENERATION_PREFIX}1"
        generation.mkdir(parents=True)
        whoosh_index.create_in(str(generation), old)
        indexer._swap_in(root, generation)
        assert indexer.drain().applied > 0  # writes the fields the old index knows
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1 and "older schema" in result.output
    # Sorting by rating falls back to the newest first instead of failing.
    assert _search(client, q="breuken", sort="rating")["total"] == 3
    worker.drain_forever(app, 0.01, stop=_stopped())
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    assert _search(client, q="breuken", sort="rating")["results"][0]["id"] == rated["many"]


def _stopped():
    import threading

    event = threading.Event()
    event.set()
    return event
