"""Written reviews through the pages and the service: one per user and material, only its
author edits or deletes it, helpful votes (once, never one's own), both orders and pages,
"used in my class" with a level, the average with the reviews' stars, what a withdrawn or
offline material shows, hiding by a moderator (audited, seen by the author with the
reason), reporting through the moderation reports, and the material page's fixed number of
statements however many reviews there are."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from oer_portal.accounts.models import User
from oer_portal.community import reviews
from oer_portal.community.models import HelpfulVote, Rating, WrittenReview
from oer_portal.core.audit import AuditEntry
from oer_portal.core.errors import Conflict, Forbidden
from oer_portal.core.types import utcnow
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import lifecycle
from oer_portal.materials.models import Material
from oer_portal.moderation import reports as moderation_reports
from oer_portal.moderation.models import Report
from tests.fixtures.statements import page_statements


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


def page(client, path: str) -> str:
    response = client.get(path, follow_redirects=True)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def write_as(app, user, material_id: int, stars: int = 4, body: str = "Goed materiaal.",
             **fields) -> int:
    with app.app_context():
        review = reviews.write_review(db.session.get(User, user.id), material_id,
                                      reviews.ReviewInput(stars=stars, body=body, **fields))
        current_uow().commit()
        return review.id


def stored(app) -> list[WrittenReview]:
    with app.app_context():
        found = list(db.session.scalars(select(WrittenReview).order_by(WrittenReview.id)))
        db.session.expunge_all()
        return found


def review_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<article class="review-item[^"]*" id="review-(\d+)"',
                                       html)]


# -- Writing, one per user ----------------------------------------------------------------


def test_a_review_is_written_with_its_rating_and_shown_as_plain_text(app, client, people,
                                                                     published):
    client.login(people["sam"].email)
    material = page(client, f"/materials/{published}")
    assert f'href="/materials/{published}/reviews/new"' in material
    form = page(client, f"/materials/{published}/reviews/new")
    assert "<h1>Write a review</h1>" in form and "<title>Write a review" in form
    assert "I used this material in my class" not in form  # students do not get it

    response = client.post(f"/materials/{published}/reviews/new", {
        "stars": "4", "title": "Heldere  uitleg",
        "body": "Regel een\r\n<b>vet</b> & regel twee", "used_in_class": "y",
        "class_level": "havo"})
    assert response.status_code == 303
    [review] = stored(app)
    assert (review.title, review.body) == ("Heldere uitleg", "Regel een\n<b>vet</b> & regel twee")
    assert review.used_in_class is False and review.class_level is None  # not a teacher
    with app.app_context():
        assert db.session.scalar(select(Rating.stars).where(
            Rating.user_id == people["sam"].id)) == 4

    html = page(client, f"/materials/{published}")
    assert "Thank you for your review." in html
    assert "Heldere uitleg" in html and "&lt;b&gt;vet&lt;/b&gt; &amp; regel twee" in html
    assert "<b>vet</b>" not in html
    assert "Average 4.0 out of 5 stars from 1 rating." in html
    assert "1 written review." in html
    assert f'href="/materials/{published}/reviews/{review.id}/edit"' in html
    assert "edited" not in html


def test_one_review_per_user_a_second_is_sent_to_edit_or_refused(app, client, people,
                                                                  published):
    first = write_as(app, people["sam"], published)
    client.login(people["sam"].email)
    again = client.get(f"/materials/{published}/reviews/new")
    assert again.status_code == 303
    assert again.headers["Location"].endswith(f"/materials/{published}/reviews/{first}/edit")
    posted = client.post(f"/materials/{published}/reviews/new",
                         {"stars": "2", "body": "Nog een keer"})
    assert posted.status_code == 303 and posted.headers["Location"].endswith("/edit")
    with pytest.raises(Conflict):
        write_as(app, people["sam"], published, body="Tweede")
    assert [r.body for r in stored(app)] == ["Goed materiaal."]
    with app.app_context(), pytest.raises(IntegrityError):  # the database holds it too
        now = utcnow()
        db.session.execute(insert(WrittenReview).values(
            material_id=published, user_id=people["sam"].id, title="", body="x",
            used_in_class=False, helpful_count=0, created_at=now, updated_at=now))
    with app.app_context():
        db.session.rollback()


def test_authors_cannot_review_their_own_material_and_anonymous_visitors_log_in(
        app, client, new_client, people, published):
    anonymous = new_client()
    html = page(anonymous, f"/materials/{published}")
    assert "Log in to write a review" in html
    assert anonymous.get(f"/materials/{published}/reviews/new").status_code == 302
    client.login(people["anna"].email)
    assert "Write a review" not in page(client, f"/materials/{published}")
    refused = client.post(f"/materials/{published}/reviews/new", {"stars": "5", "body": "Top"})
    assert refused.status_code == 403
    assert stored(app) == []


def test_bad_input_is_shown_at_its_field(app, client, people, published):
    client.login(people["bea"].email)
    response = client.post(f"/materials/{published}/reviews/new", {
        "stars": "9", "body": "x" * 4001, "used_in_class": "y", "class_level": "nope"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Choose a number of stars from 1 to 5." in html
    assert "Write at most 4000 characters." in html
    assert "Choose the level of the class you used it in." in html
    empty = client.post(f"/materials/{published}/reviews/new", {"stars": "3", "body": "  "})
    assert "Write your review." in empty.get_data(as_text=True)
    assert stored(app) == []


# -- Only the author edits ----------------------------------------------------------------


def test_only_its_author_edits_or_deletes_a_review(app, client, new_client, people,
                                                   published):
    review_id = write_as(app, people["sam"], published, body="Origineel")
    other = new_client()
    other.login(people["tom"].email)
    base = f"/materials/{published}/reviews/{review_id}"
    assert other.get(f"{base}/edit").status_code == 403
    tampered = other.post(f"{base}/edit", {"stars": "1", "body": "Overgenomen"})
    assert tampered.status_code == 403
    assert other.post(f"{base}/delete").status_code == 403
    assert [r.body for r in stored(app)] == ["Origineel"]
    # An address that puts the review under another material finds nothing.
    assert other.post(f"/materials/{published + 999}/reviews/{review_id}/edit",
                      {"stars": "1", "body": "x"}).status_code == 404
    with app.app_context(), pytest.raises(Forbidden):
        reviews.edit_review(db.session.get(User, people["tom"].id), review_id,
                            reviews.ReviewInput(stars=1, body="x"))

    client.login(people["sam"].email)
    form = page(client, f"{base}/edit")
    assert "Origineel</textarea>" in form
    checked = [tag for tag in re.findall(r'<input[^>]*name="stars"[^>]*>', form)
               if " checked" in tag]
    assert len(checked) == 1 and 'value="4"' in checked[0]
    with app.app_context():  # the author's edit shows as "edited"
        db.session.get(WrittenReview, review_id).created_at = utcnow() - timedelta(days=2)
        current_uow().commit()
    assert client.post(f"{base}/edit", {"stars": "2", "body": "Bijgewerkt"}).status_code == 303
    html = page(client, f"/materials/{published}")
    assert "Bijgewerkt" in html and "edited" in html
    with app.app_context():
        assert db.session.scalar(select(Rating.stars)) == 2
    assert client.post(f"{base}/delete").status_code == 303
    assert stored(app) == []


# -- Helpful votes, order and pages -------------------------------------------------------


def test_helpful_votes_count_once_and_never_ones_own(app, client, new_client, people,
                                                    published):
    review_id = write_as(app, people["sam"], published)
    base = f"/materials/{published}/reviews/{review_id}"
    client.login(people["tom"].email)
    assert client.post(f"{base}/helpful").status_code == 303
    assert "You found this helpful." in page(client, f"/materials/{published}")
    assert client.post(f"{base}/helpful").status_code == 303
    assert stored(app)[0].helpful_count == 1
    own = new_client()
    own.login(people["sam"].email)
    assert own.post(f"{base}/helpful").status_code == 403
    assert new_client().post(f"{base}/helpful").status_code in (302, 400)  # not signed in
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(HelpfulVote)) == 1
    assert "1 person found this helpful" in page(own, f"/materials/{published}")


def test_newest_and_most_helpful_first_with_pages(app, client, make_user, people, published):
    writers = [make_user("student", name=f"Schrijver {n}") for n in range(12)]
    ids = [write_as(app, w, published, body=f"Recensie {n}") for n, w in enumerate(writers)]
    with app.app_context():  # oldest first in time, and the third one the most helpful
        for n, review_id in enumerate(ids):
            review = db.session.get(WrittenReview, review_id)
            review.created_at = utcnow() - timedelta(hours=100 - n)
        db.session.get(WrittenReview, ids[2]).helpful_count = 5
        db.session.get(WrittenReview, ids[4]).helpful_count = 3
        current_uow().commit()

    material = page(client, f"/materials/{published}")
    assert review_ids(material) == ids[::-1][:10]
    assert f'href="/materials/{published}/reviews?sort=helpful"' in material
    assert f'href="/materials/{published}/reviews?page=2"' in material
    newest = page(client, f"/materials/{published}/reviews")
    assert "<title>Reviews of “Breuken vergelijken”" in newest
    assert review_ids(newest) == ids[::-1][:10] and "Page 1 of 2" in newest
    second = page(client, f"/materials/{published}/reviews?page=2")
    assert review_ids(second) == ids[1::-1]
    helpful = page(client, f"/materials/{published}/reviews?sort=helpful")
    assert review_ids(helpful)[:3] == [ids[2], ids[4], ids[11]]
    assert f'href="/materials/{published}/reviews?sort=helpful&amp;page=2"' in helpful
    assert '<span aria-current="page">Most helpful first</span>' in helpful
    assert review_ids(page(client, f"/materials/{published}/reviews?sort=bogus&page=-3")) \
        == ids[::-1][:10]


# -- Used in class, the average -----------------------------------------------------------


def test_teachers_mark_used_in_class_with_a_level(app, client, people, published):
    client.login(people["bea"].email)
    form = page(client, f"/materials/{published}/reviews/new")
    assert "I used this material in my class" in form and 'value="havo"' in form
    assert client.post(f"/materials/{published}/reviews/new", {
        "stars": "5", "body": "Werkte goed", "used_in_class": "y",
        "class_level": "havo"}).status_code == 303
    [review] = stored(app)
    assert (review.used_in_class, review.class_level) == (True, "havo")
    assert "Used in class at level: havo" in page(client, f"/materials/{published}")
    # Unticking forgets the level.
    client.post(f"/materials/{published}/reviews/{review.id}/edit",
                {"stars": "5", "body": "Werkte goed", "class_level": "havo"})
    assert (stored(app)[0].used_in_class, stored(app)[0].class_level) == (False, None)


def test_the_average_and_count_include_the_reviews_stars(app, client, people, published):
    from oer_portal.community import service
    with app.app_context():
        service.rate(db.session.get(User, people["uma"].id), published, 2)
        current_uow().commit()
    write_as(app, people["sam"], published, stars=5)
    write_as(app, people["tom"], published, stars=5)
    html = page(client, f"/materials/{published}")
    assert "4.0 out of 5 stars, 3 ratings" in html
    assert "Average 4.0 out of 5 stars from 3 ratings." in html
    assert "2 written reviews." in html


# -- Withdrawn, offline, hidden -----------------------------------------------------------


def test_withdrawn_or_offline_materials_show_no_reviews(app, client, new_client, people,
                                                        published, make_material):
    review_id = write_as(app, people["sam"], published, body="Zichtbaar?")
    with app.app_context():
        lifecycle.withdraw(db.session.get(User, people["anna"].id),
                           db.session.get(Material, published), "Verouderd")
        current_uow().commit()
    owner = new_client()
    owner.login(people["anna"].email)
    assert "Zichtbaar?" not in page(owner, f"/materials/{published}")
    assert owner.get(f"/materials/{published}/reviews").status_code == 404
    client.login(people["tom"].email)
    base = f"/materials/{published}/reviews/{review_id}"
    assert client.get(base).status_code == 404
    assert client.post(f"{base}/helpful").status_code == 404

    other = make_material(people["anna"], title="Tweede", publish_by=people["mod"])
    second = write_as(app, people["sam"], other, body="Ook weg")
    with app.app_context():
        moderation_reports.unpublish(db.session.get(User, people["mod"].id), other,
                                     "Auteursrecht")
        current_uow().commit()
    assert client.get(f"/materials/{other}/reviews").status_code == 404
    assert client.get(f"/materials/{other}/reviews/{second}").status_code == 404


def test_a_hidden_review_is_gone_for_the_public_but_its_author_sees_why(
        app, client, new_client, people, published):
    review_id = write_as(app, people["sam"], published, body="Scheldwoorden")
    base = f"/materials/{published}/reviews/{review_id}"
    student = new_client()
    student.login(people["tom"].email)
    assert student.post(f"{base}/hide", {"reason": "Nee"}).status_code == 403

    client.login(people["mod"].email)
    single = page(client, base)
    assert "<h1>Review of “Breuken vergelijken”</h1>" in single and "Hide this review" in single
    assert client.post(f"{base}/hide", {"reason": " "}).status_code == 400
    assert client.post(f"{base}/hide", {"reason": "Beledigend"}).status_code == 303
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(
            AuditEntry.action == "review_text.hidden"))
        assert (entry.actor_id, entry.target_type, entry.target_id) == (
            people["mod"].id, "review_text", review_id)
        assert entry.details["reason"] == "Beledigend"
    assert client.post(f"{base}/hide", {"reason": "Nog eens"}).status_code == 400

    anonymous = new_client()
    assert "Scheldwoorden" not in page(anonymous, f"/materials/{published}")
    assert "0 written reviews." in page(anonymous, f"/materials/{published}/reviews")
    assert anonymous.get(base).status_code == 404
    assert student.post(f"{base}/helpful").status_code == 404
    author = new_client()
    author.login(people["sam"].email)
    mine = page(author, f"/materials/{published}")
    assert "Scheldwoorden" in mine
    assert "A moderator hid this review. Reason: Beledigend" in mine


# -- Reporting ----------------------------------------------------------------------------


def test_a_review_is_reported_through_the_moderation_reports(app, client, new_client, people,
                                                             published):
    review_id = write_as(app, people["sam"], published, body="Reclame voor mijn site")
    base = f"/materials/{published}/reviews/{review_id}"
    client.login(people["tom"].email)
    assert f'href="{base}/report"' in page(client, f"/materials/{published}")
    form = page(client, f"{base}/report")
    assert "<h1>Report this review</h1>" in form and "Sam Student" in form
    missing = client.post(f"{base}/report", {"category": "other", "comment": ""})
    assert missing.status_code == 400
    assert client.post(f"{base}/report", {"category": "spam", "comment": "Reclame"}) \
        .status_code == 303
    with app.app_context():
        [report] = db.session.scalars(select(Report)).all()
        assert (report.material_id, report.reporter_id, report.category) == (
            published, people["tom"].id, "spam")
        assert report.comment.startswith(f"About review #{review_id} by Sam Student (")
        assert f"{base})" in report.comment and report.comment.endswith("Reclame")
    again = client.post(f"{base}/report", {"category": "spam", "comment": "Nog eens"})
    assert again.status_code == 409
    own = new_client()
    own.login(people["sam"].email)
    assert "You cannot report your own review." in page(own, f"{base}/report")
    assert own.post(f"{base}/report", {"category": "spam", "comment": "x"}).status_code == 409
    moderator = new_client()
    moderator.login(people["mod"].email)
    queue = page(moderator, "/moderation/reports")
    assert f"About review #{review_id} by Sam Student" in queue


# -- A fixed number of statements ---------------------------------------------------------


def _many_reviews(app, material_id: int, n: int) -> None:
    """``n`` reviews with ratings and votes, inserted directly (fast)."""
    from oer_portal.accounts.models import Role
    from oer_portal.accounts.service import create_user
    with app.app_context():
        users = [create_user(f"r{n}-{i}@example.org", f"Lezer {i}", "wachtwoord-lang-genoeg",
                             [Role("student")]) for i in range(n)]
        db.session.flush()
        now = utcnow()
        for i, user in enumerate(users):
            db.session.add(Rating(material_id=material_id, user_id=user.id, stars=1 + i % 5,
                                  created_at=now, updated_at=now))
            db.session.add(WrittenReview(material_id=material_id, user_id=user.id, title="",
                                         body=f"Tekst {i}", used_in_class=False,
                                         helpful_count=i % 3, created_at=now,
                                         updated_at=now))
        current_uow().commit()


def test_the_material_page_reads_a_fixed_number_of_statements(app, client, people,
                                                              published, make_material):
    few = make_material(people["anna"], title="Weinig", publish_by=people["mod"])
    _many_reviews(app, few, 2)
    _many_reviews(app, published, 50)
    app.extensions["page_cache"].size = 0  # the page's own work, not the kept page
    for path in (f"/materials/{few}", f"/materials/{published}"):
        client.get(path, follow_redirects=True)  # warm caches alike
    slug_few = client.get(f"/materials/{few}").headers["Location"]
    slug_many = client.get(f"/materials/{published}").headers["Location"]
    many = page_statements(app, client, slug_many)
    assert len(many) == len(page_statements(app, client, slug_few))
    [read] = [s for s in many if "FROM written_reviews" in s]  # one page, never them all
    assert "LIMIT" in read
    client.login(people["tom"].email)
    signed_in = len(page_statements(app, client, slug_many))
    assert signed_in == len(page_statements(app, client, slug_few))
    html = page(client, slug_many)
    assert len(review_ids(html)) == reviews.PER_PAGE and "50 written reviews." in html
    third = f"/materials/{published}/reviews?sort=helpful&page=3"
    assert len(page_statements(app, client, third)) \
        == len(page_statements(app, client, f"/materials/{few}/reviews?sort=helpful"))
    past_the_end = page(client, f"/materials/{published}/reviews?page=9")
    assert review_ids(past_the_end) == [] and "50 written reviews." in past_the_end


# -- Page titles --------------------------------------------------------------------------


def test_every_review_page_is_called_in_its_title_what_its_heading_says(
        app, client, people, make_material):
    from tests.integration.test_page_titles import _H1, _TITLE, _text
    material = make_material(people["anna"], title="Breuken & decimalen",
                             publish_by=people["mod"])
    review_id = write_as(app, people["sam"], material)
    base = f"/materials/{material}/reviews"
    checked = 0
    for user, paths in ((people["sam"], [base, f"{base}/{review_id}/edit"]),
                        (people["tom"], [f"{base}/new", f"{base}/{review_id}",
                                         f"{base}/{review_id}/report"]),
                        (people["mod"], [f"{base}/{review_id}"])):
        client.login(user.email)
        for path in paths:
            html = page(client, path)
            title, heading = _text(_TITLE.search(html)[1]), _text(_H1.search(html)[1])
            assert title.startswith(heading), f"{path}: <title> {title!r}, <h1> {heading!r}"
            checked += 1
        client.logout()
    assert checked == 6
