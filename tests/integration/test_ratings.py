"""Star ratings through the pages and the service: who may rate what, what is stored (and
what is not when a request is refused), what the material page says in both languages, the
search outbox, and the summaries and score that search ranks by."""

from __future__ import annotations

import re
import threading

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from oer_portal.accounts.models import User
from oer_portal.community import service
from oer_portal.community.models import Rating
from oer_portal.community.service import EMPTY, PRIOR_MEAN, RatingSummary
from oer_portal.core.errors import Forbidden, NotFound, ValidationError
from oer_portal.core.outbox import OutboxEntry
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import lifecycle
from oer_portal.materials import service as materials
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import Material

INVALID_STARS = "Choose a number of stars from 1 to 5."


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher", name="Anna Aalders"),
            "bea": make_user("teacher", name="Bea Bakker"),
            "sam": make_user("student", name="Sam Student"),
            "tom": make_user("student", name="Tom Student"),
            "uma": make_user("student", name="Uma Student"),
            "mod": make_user("moderator", name="Mo Moderator")}


@pytest.fixture()
def published(people, make_material):
    return make_material(people["anna"], title="Breuken vergelijken", publish_by=people["mod"])


def ratings(app) -> dict[tuple[int, int], int]:
    """Every stored rating: (material id, user id) → stars."""
    with app.app_context():
        return {(r.material_id, r.user_id): r.stars
                for r in db.session.scalars(select(Rating))}


def outbox_rows(app, material_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(OutboxEntry).where(
            OutboxEntry.entity_type == "material", OutboxEntry.entity_id == material_id))


def page(client, material_id: int) -> str:
    response = client.get(f"/materials/{material_id}", follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def rate_as(app, user, material_id: int, stars: int) -> None:
    with app.app_context():
        service.rate(db.session.get(User, user.id), material_id, stars)
        current_uow().commit()


def checked_stars(html: str) -> list[str]:
    """The values of the checked star radio buttons."""
    inputs = re.findall(r'<input[^>]*name="stars"[^>]*>', html)
    return [re.search(r'value="(\d)"', tag)[1] for tag in inputs if " checked" in tag]


# -- Rating through the page --------------------------------------------------------------


def test_rate_change_and_remove_through_the_page(app, client, people, published):
    sam = people["sam"]
    client.login(sam.email)
    before = page(client, published)
    assert "No ratings yet." in before
    assert "<legend>Rate this material</legend>" in before
    assert before.count('type="radio"') == 5 and before.count("required") >= 5
    assert "1 star</label>" in before
    assert "5 stars</label>" in before
    assert "Remove my rating" not in before

    response = client.post(f"/materials/{published}/rating", {"stars": "4"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/materials/{published}-breuken-vergelijken")
    assert ratings(app) == {(published, sam.id): 4}
    after = page(client, published)
    assert "Thank you! You gave this material 4 stars." in after
    assert "4.0 out of 5 stars, 1 rating" in after
    assert checked_stars(after) == ["4"]
    assert "<legend>Your rating</legend>" in after and "Remove my rating" in after

    client.post(f"/materials/{published}/rating", {"stars": "1"})
    assert ratings(app) == {(published, sam.id): 1}
    changed = page(client, published)
    assert "Thank you! You gave this material 1 star." in changed
    assert "1.0 out of 5 stars, 1 rating" in changed

    removed = client.post(f"/materials/{published}/rating", {"remove": "1"})
    assert removed.status_code == 303
    assert ratings(app) == {}
    gone = page(client, published)
    assert "Your rating is removed." in gone and "No ratings yet." in gone
    assert "Remove my rating" not in gone

    again = client.post(f"/materials/{published}/rating", {"remove": "1"})  # idempotent
    assert again.status_code == 303
    assert "You had not rated this material." in page(client, published)


def test_the_average_and_count_in_english_and_dutch(app, people, published, new_client):
    for name, stars in (("sam", 5), ("tom", 4), ("uma", 4)):
        rate_as(app, people[name], published, stars)
    english = page(new_client("en"), published)
    assert "4.3 out of 5 stars, 3 ratings" in english
    assert '<span class="rating-panel__stars" aria-hidden="true">★★★★☆</span>' in english
    assert "Log in to rate" in english
    assert f'/account/login?next=/materials/{published}-breuken-vergelijken' in english
    assert 'name="stars"' not in english  # anonymous visitors get no form

    dutch = page(new_client("nl"), published)
    assert "4,3 van 5 sterren, 3 beoordelingen" in dutch
    assert "Log in om te beoordelen" in dutch

    visitor = new_client("nl")
    visitor.login(people["mod"].email)  # staff may rate what they did not write
    form = page(visitor, published)
    assert "1 ster</label>" in form and "5 sterren</label>" in form


def test_a_moderator_may_rate_but_the_owner_sees_only_the_average(app, client, new_client,
                                                                  people, published):
    rate_as(app, people["mod"], published, 5)
    client.login(people["anna"].email)
    own = page(client, published)
    assert "5.0 out of 5 stars, 1 rating" in own
    assert 'name="stars"' not in own and "Log in to rate" not in own


# -- Refusals: nothing is stored ----------------------------------------------------------


def test_the_owner_may_not_rate_their_own_material(app, client, people, published):
    client.login(people["anna"].email)
    refused = client.post(f"/materials/{published}/rating", {"stars": "5"})
    assert refused.status_code == 403
    assert "You cannot rate a material you are an author of." in refused.get_data(as_text=True)
    assert ratings(app) == {}
    assert outbox_rows(app, published) == 1  # the publication's own row only


def test_a_co_author_may_not_rate_either(app, client, people, published):
    with app.app_context():
        materials.add_co_author(db.session.get(User, people["anna"].id), published,
                                people["bea"].email)
        current_uow().commit()
    client.login(people["bea"].email)
    assert 'name="stars"' not in page(client, published)
    refused = client.post(f"/materials/{published}/rating", {"stars": "5"})
    assert refused.status_code == 403
    assert "You cannot rate a material you are an author of." in refused.get_data(as_text=True)
    assert ratings(app) == {}


def test_a_draft_is_not_found_and_nothing_is_stored(app, client, people, make_material):
    draft = make_material(people["anna"], title="Nog niet af")
    client.login(people["sam"].email)
    assert client.post(f"/materials/{draft}/rating", {"stars": "3"}).status_code == 404
    assert client.post(f"/materials/{draft}/rating", {"remove": "1"}).status_code == 404
    assert client.post("/materials/999999/rating", {"stars": "3"}).status_code == 404
    assert ratings(app) == {}


def test_a_moderator_who_can_see_a_draft_may_not_rate_it(app, client, people, make_material):
    draft = make_material(people["anna"], title="Nog niet af")
    client.login(people["mod"].email)
    assert "rating-panel" not in page(client, draft)
    refused = client.post(f"/materials/{draft}/rating", {"stars": "3"})
    assert refused.status_code == 403
    assert "Only published materials can be rated." in refused.get_data(as_text=True)
    assert ratings(app) == {}


def test_a_withdrawn_material_is_refused_but_a_rating_can_still_be_taken_back(
        app, client, new_client, people, published):
    rate_as(app, people["sam"], published, 4)
    with app.app_context():
        lifecycle.withdraw(db.session.get(User, people["anna"].id),
                           db.session.get(Material, published), "Verouderd")
        current_uow().commit()
    client.login(people["tom"].email)
    refused = client.post(f"/materials/{published}/rating", {"stars": "5"})
    assert refused.status_code == 403
    assert "A withdrawn material cannot be rated." in refused.get_data(as_text=True)
    assert ratings(app) == {(published, people["sam"].id): 4}

    owner = new_client()  # the withdrawn page, seen by its author, has no rating panel
    owner.login(people["anna"].email)
    assert "rating-panel" not in page(owner, published)

    rater = new_client()
    rater.login(people["sam"].email)
    assert rater.post(f"/materials/{published}/rating", {"remove": "1"}).status_code == 303
    assert ratings(app) == {}


def test_anonymous_visitors_are_sent_to_the_login_page(app, client, published):
    response = client.post(f"/materials/{published}/rating", {"stars": "5"})
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]
    assert ratings(app) == {}
    # After logging in, the form's address leads back to the material page.
    back = client.get(f"/materials/{published}/rating")
    assert back.status_code == 303 and back.headers["Location"].endswith(f"/materials/{published}")


@pytest.mark.parametrize("data", [{"stars": "0"}, {"stars": "6"}, {"stars": "abc"},
                                  {"stars": "4.5"}, {"stars": "³"}, {"stars": ""}, {}])
def test_invalid_stars_are_refused_with_the_reason(app, client, people, published, data):
    client.login(people["sam"].email)
    response = client.post(f"/materials/{published}/rating", data)
    assert response.status_code == 400
    assert INVALID_STARS in response.get_data(as_text=True)
    assert ratings(app) == {}


@pytest.mark.parametrize("stars", [0, 6, -1, "abc", "", "³", "٣", None, 4.0, True])
def test_the_service_validates_stars_too(app, people, published, stars):
    with app.app_context(), force_locale("en"):
        with pytest.raises(ValidationError) as raised:
            service.rate(db.session.get(User, people["sam"].id), published, stars)
        assert raised.value.message == INVALID_STARS
        db.session.rollback()
    assert ratings(app) == {}


def test_the_service_refuses_with_domain_errors(app, people, published, make_material):
    draft = make_material(people["anna"], title="Nog niet af")
    with app.app_context():
        sam = db.session.get(User, people["sam"].id)
        with pytest.raises(NotFound):
            service.rate(sam, draft, 3)
        with pytest.raises(Forbidden):
            service.rate(db.session.get(User, people["anna"].id), published, 3)
        db.session.rollback()
    assert ratings(app) == {}


def test_rating_is_rate_limited_per_user(app, client, people, published):
    app.config["RATING_LIMIT"] = "2 per minute"
    client.login(people["sam"].email)
    for stars in ("3", "4"):
        assert client.post(f"/materials/{published}/rating", {"stars": stars}).status_code == 303
    assert client.post(f"/materials/{published}/rating", {"stars": "5"}).status_code == 429
    assert ratings(app) == {(published, people["sam"].id): 4}


# -- Races, search, summaries -------------------------------------------------------------


def test_two_concurrent_first_ratings_by_one_user_leave_one_row(app, people, published):
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def rate(stars: int) -> None:
        try:
            with app.app_context():
                # Both start together; on SQLite the second then waits for the write lock
                # (BEGIN IMMEDIATE), on PostgreSQL both upserts really race.
                barrier.wait(timeout=10)
                service.rate(db.session.get(User, people["sam"].id), published, stars)
                current_uow().commit()
                db.session.remove()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=rate, args=(stars,)) for stars in (2, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    stored = ratings(app)
    assert list(stored) == [(published, people["sam"].id)] and stored[published,
                                                                      people["sam"].id] in {2, 5}


def test_every_change_records_the_material_in_the_search_outbox(app, client, people,
                                                                published):
    start = outbox_rows(app, published)
    client.login(people["sam"].email)
    client.post(f"/materials/{published}/rating", {"stars": "4"})
    assert outbox_rows(app, published) == start + 1
    client.post(f"/materials/{published}/rating", {"stars": "4"})  # the same: no change
    assert outbox_rows(app, published) == start + 1
    client.post(f"/materials/{published}/rating", {"stars": "2"})
    assert outbox_rows(app, published) == start + 2
    client.post(f"/materials/{published}/rating", {"remove": "1"})
    assert outbox_rows(app, published) == start + 3
    client.post(f"/materials/{published}/rating", {"remove": "1"})  # nothing to remove
    assert outbox_rows(app, published) == start + 3


def test_summaries_match_summary_for_several_materials(app, people, make_material):
    mod = people["mod"]
    first = make_material(people["anna"], title="Een", publish_by=mod)
    second = make_material(people["anna"], title="Twee", publish_by=mod)
    unrated = make_material(people["bea"], title="Drie", publish_by=mod)
    for name, stars in (("sam", 5), ("tom", 3), ("uma", 3), ("bea", 1)):
        rate_as(app, people[name], first, stars)
    for name, stars in (("sam", 2), ("mod", 4)):
        rate_as(app, people[name], second, stars)
    with app.app_context():
        together = service.summaries([first, second, unrated, first])
        assert together == {m: service.summary(m) for m in (first, second, unrated)}
    assert together[first] == RatingSummary(3.0, 4, (1, 0, 2, 0, 1))
    assert together[second] == RatingSummary(3.0, 2, (0, 1, 0, 1, 0))
    assert together[unrated] == EMPTY and EMPTY.average is None and EMPTY.count == 0
    assert together[first].score == pytest.approx((2 * 3.0 + 12) / 6)
    with app.app_context():
        assert service.summaries([]) == {}
        sam, anna = (db.session.get(User, people[n].id) for n in ("sam", "anna"))
        assert service.user_rating(sam, first) == 5
        assert service.user_rating(anna, first) is None
        assert service.summary_and_own(first, sam) == (together[first], 5)
        assert service.summary_and_own(second, sam) == (together[second], 2)
        assert service.summary_and_own(first, anna) == (together[first], None)
        assert service.summary_and_own(unrated, sam) == (EMPTY, None)


def test_summaries_of_many_materials_take_one_query(app, people, published):
    from sqlalchemy import event

    rate_as(app, people["sam"], published, 3)
    statements: list[str] = []

    def record(*args) -> None:
        statements.append(args[2])

    with app.app_context():
        db.session.execute(select(1))  # the transaction's BEGIN is not the summaries' work
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            result = service.summaries([published, *range(10_000, 10_200)])
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    assert len(result) == 201 and result[published].distribution == (0, 0, 1, 0, 0)
    assert len(statements) == 1 and "GROUP BY" in statements[0]


def test_the_score_needs_more_than_one_rating_to_rise():
    one_five = RatingSummary.of((0, 0, 0, 0, 1))
    fifty_around_4_8 = RatingSummary.of((0, 0, 0, 10, 40))
    assert fifty_around_4_8.average == pytest.approx(4.8)
    assert one_five.average == 5.0
    assert one_five.score < fifty_around_4_8.score
    assert EMPTY.score == PRIOR_MEAN == 3.0
    one_one = RatingSummary.of((1, 0, 0, 0, 0))
    assert 1.0 < one_one.score < EMPTY.score < one_five.score < 5.0


def test_no_panel_on_permalinks_of_versions_the_public_does_not_see(app, client, people,
                                                                      published):
    rate_as(app, people["sam"], published, 4)
    with app.app_context():
        material = db.session.get(Material, published)
        materials.save_version(db.session.get(User, people["anna"].id), published,
                               material.latest_version_id,
                               VersionFields(title="Breuken vergelijken", body="Nieuw\n"), ())
        current_uow().commit()
    client.login(people["mod"].email)
    assert "4.0 out of 5 stars" in page(client, published)  # the published version
    assert "4.0 out of 5 stars" in client.get(f"/materials/{published}/v/1").get_data(
        as_text=True)
    draft = client.get(f"/materials/{published}/v/2").get_data(as_text=True)
    assert "rating-panel" not in draft
