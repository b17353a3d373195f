"""The review queue: what each entry tells a moderator (new or revision, licence, remix
source with a licence warning, subject, level, language, kind, waiting time), the filters,
sorting and pages, bad filter values, a fixed number of statements however many requests
wait, and the moderators' count in the header."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from oer_portal.accounts.models import User
from oer_portal.core.types import utcnow
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import lifecycle, service
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import Material, MaterialKind
from oer_portal.materials.reviews import ReviewRequest
from tests.fixtures.statements import page_statements
from tests.integration.test_review import as_user, decide, head_id, text


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher", name="Anna Auteur"),
            "tom": make_user("teacher", name="Tom Teacher"),
            "mo": make_user("moderator", name="Mo Moderator"),
            "max": make_user("moderator", name="Max Moderator"),
            "admin": make_user("admin", name="Ada Admin")}


def _user(user_id: int) -> User:
    return db.session.get(User, user_id)


def new_request(app, owner, title: str, kind: MaterialKind = MaterialKind.LESSON,
                **fields) -> int:
    """A material never published, submitted for review: the request's id."""
    with app.app_context():
        if kind == MaterialKind.LINK:
            fields.setdefault("link_url", "https://example.org/les")
        material = service.create_material(_user(owner.id), kind, VersionFields(
            title=title, body=fields.pop("body", "Tekst.\n"), **fields), [])
        db.session.flush()
        request = lifecycle.submit_for_review(_user(owner.id), material)
        current_uow().commit()
        return request.id


def revision_request(app, owner, moderator, title: str, **fields) -> int:
    """A published material with a new version submitted: the request's id."""
    with app.app_context():
        user = _user(owner.id)
        material = service.create_material(user, MaterialKind.LESSON, VersionFields(
            title=title, body="Eerste.\n", **fields), [])
        db.session.flush()
        lifecycle.publish(material, material.latest_version, _user(moderator.id))
        service.save_version(user, material.id, material.latest_version_id, VersionFields(
            title=title, body="Eerste. Tweede.\n", **fields), [])
        request = lifecycle.submit_for_review(user, db.session.get(Material, material.id))
        current_uow().commit()
        return request.id


def remix_request(app, owner, source_owner, moderator, title: str, source_licence: str,
                  licence: str) -> int:
    """A remix of a published original, submitted: the request's id."""
    from oer_portal.remix import service as remix_service

    with app.app_context():
        source = service.create_material(_user(source_owner.id), MaterialKind.LESSON,
                                         VersionFields(title=f"Bron van {title}", body="Bron.\n",
                                                       licence=source_licence), [])
        db.session.flush()
        lifecycle.publish(source, source.latest_version, _user(moderator.id))
        remix = remix_service.remix(_user(owner.id), source.id, None, licence)
        db.session.flush()
        request = lifecycle.submit_for_review(_user(owner.id), remix)
        current_uow().commit()
        return request.id


def age(app, review_id: int, days: float) -> None:
    with app.app_context():
        db.session.execute(update(ReviewRequest).where(ReviewRequest.id == review_id)
                           .values(submitted_at=utcnow() - timedelta(days=days)))
        current_uow().commit()


def titles(page: str) -> list[str]:
    return re.findall(r'<h2 id="review-\d+"><a [^>]*>([^<]+)</a>', page)


# -- What an entry shows ----------------------------------------------------------------------


def test_each_entry_says_what_it_is_and_a_remix_names_its_source_and_licence(
        app, new_client, people):
    new_request(app, people["anna"], "Breuken", subjects=("mathematics",),
                levels=("havo",), language="nl", licence="CC-BY-4.0")
    revision_request(app, people["anna"], people["mo"], "Procenten")
    remix_request(app, people["anna"], people["tom"], people["mo"], "Taartbreuken",
                  "CC-BY-4.0", "CC-BY-SA-4.0")
    page = text(as_user(new_client, people["max"]).get("/moderation/"))
    assert "3 waiting." in page
    assert titles(page) == ["Breuken", "Procenten", "Bron van Taartbreuken"]
    entries = page.split('class="panel queue-entry"')[1:]
    first, revision, remix = entries
    assert "New material" in first and "Mathematics" in first and "havo" in first
    assert "Dutch" in first and "Lesson" in first and ">CC BY<" in first
    assert "Version 1 by Anna Auteur, waiting" in first
    assert "Revision of version 1" in revision and "Version 2 by Anna Auteur" in revision
    assert "Compare with the published version (1)" in revision
    assert "remix of “Bron van Taartbreuken” (CC BY 4.0)" in remix
    assert "Check the licence:" in remix
    assert "this remix carries CC BY-SA 4.0, the original CC BY 4.0" in remix
    assert "Check the licence:" not in first + revision
    assert "New material" in remix  # a remix is new material of its own


def test_a_remix_that_keeps_its_sources_licence_has_no_warning(app, new_client, people):
    remix_request(app, people["anna"], people["tom"], people["mo"], "Kopie", "CC-BY-SA-4.0",
                  "CC-BY-SA-4.0")
    page = text(as_user(new_client, people["mo"]).get("/moderation/"))
    assert "remix of “Bron van Kopie” (CC BY-SA 4.0)" in page
    assert "Check the licence:" not in page


# -- Filters, sorting, pages ------------------------------------------------------------------


@pytest.fixture()
def varied(app, people):
    """Five requests that differ in every filtered property."""
    ids = {
        "wiskunde": new_request(app, people["anna"], "Wiskunde havo",
                                subjects=("mathematics",), levels=("havo",)),
        "biologie": new_request(app, people["anna"], "Biologie po", subjects=("biology",),
                                levels=("primary",)),
        "english": new_request(app, people["tom"], "English vwo", subjects=("english",),
                               levels=("vwo",), language="en"),
        "link": new_request(app, people["tom"], "Een link", kind=MaterialKind.LINK,
                            subjects=("computer-science",)),
        "revisie": revision_request(app, people["tom"], people["mo"], "Revisie",
                                    subjects=("mathematics",), levels=("vocational",)),
    }
    age(app, ids["wiskunde"], 10)
    age(app, ids["biologie"], 4)
    age(app, ids["english"], 2)
    return ids


@pytest.mark.parametrize("query, expected", [
    ("subject=mathematics", ["Wiskunde havo", "Revisie"]),
    ("subject=Wiskunde", ["Wiskunde havo", "Revisie"]),  # a label works as well as a code
    ("level=havo", ["Wiskunde havo"]),
    ("level=secondary", ["Wiskunde havo", "English vwo"]),  # with the levels under it
    ("language=en", ["English vwo"]),
    ("kind=link", ["Een link"]),
    ("submission=revision", ["Revisie"]),
    ("submission=new", ["Wiskunde havo", "Biologie po", "English vwo", "Een link"]),
    ("waiting=3", ["Wiskunde havo", "Biologie po"]),
    ("waiting=7", ["Wiskunde havo"]),
    ("waiting=14", []),
    ("sort=newest", ["Revisie", "Een link", "English vwo", "Biologie po", "Wiskunde havo"]),
    ("subject=mathematics&submission=new&waiting=1", ["Wiskunde havo"]),
])
def test_the_filters_and_the_sort(app, new_client, people, varied, query, expected):
    page = text(as_user(new_client, people["max"]).get(f"/moderation/?{query}"))
    assert titles(page) == expected
    assert ("5 waiting." if query == "sort=newest" else "of 5 waiting") in page
    assert 'role="alert"' not in page


def test_oldest_first_by_default_and_the_form_keeps_the_choices(app, new_client, people,
                                                                  varied):
    max_ = as_user(new_client, people["max"])
    page = text(max_.get("/moderation/"))
    assert titles(page) == ["Wiskunde havo", "Biologie po", "English vwo", "Een link",
                            "Revisie"]
    chosen = text(max_.get("/moderation/?subject=mathematics&sort=newest"))
    assert '<option value="mathematics" selected>' in chosen
    assert '<option value="newest" selected>' in chosen
    assert "Clear the filters" in chosen
    assert "Nothing waiting matches these filters." in text(
        max_.get("/moderation/?language=fr"))


@pytest.mark.parametrize("query, message", [
    ("subject=astrologie", "There is no subject “astrologie”"),
    ("level=kleuter", "There is no level “kleuter”"),
    ("language=klingon", "There is no language “klingon”"),
    ("kind=poster", "There is no kind of material “poster”"),
    ("submission=oud", "“oud” is neither new material nor a revision"),
    ("waiting=5", "“5” is not one of the waiting times"),
    ("waiting=-1", "“-1” is not one of the waiting times"),
    ("sort=random", "“random” is not a way to sort the queue"),
    ("page=twee", "“twee” is not a page number"),
    ("page=0", "“0” is not a page number"),
    ("subject=%00%ff" + "x" * 300, "There is no subject"),
])
def test_a_bad_filter_value_is_named_and_ignored(app, new_client, people, varied, query,
                                                 message):
    response = as_user(new_client, people["max"]).get(f"/moderation/?{query}")
    assert response.status_code == 200
    page = text(response)
    assert message in page and 'role="alert"' in page
    assert len(titles(page)) == 5  # the filter is left out, not the queue


def test_pages_of_25_keep_the_filters(app, new_client, people):
    for n in range(27):
        new_request(app, people["anna"], f"Les {n:02d}", subjects=("history",))
    new_request(app, people["anna"], "Andere les", subjects=("music",))
    max_ = as_user(new_client, people["max"])
    first = text(max_.get("/moderation/?subject=history"))
    assert "27 of 28 waiting match the filters." in first and "Page 1 of 2." in first
    assert len(titles(first)) == 25
    assert 'href="/moderation/?subject=history&amp;page=2" rel="next"' in first
    second = text(max_.get("/moderation/?subject=history&page=2"))
    assert titles(second) == ["Les 25", "Les 26"]
    # A page past the end shows the last one.
    assert titles(text(max_.get("/moderation/?subject=history&page=9"))) == titles(second)
    # A decision from page 2 comes back to page 2 with the filters.
    review_id, version_id = re.search(r'/moderation/reviews/(\d+)/approve".*?'
                                      r'name="version_id" value="(\d+)"', second,
                                      re.DOTALL).groups()
    answer = max_.post(f"/moderation/reviews/{review_id}/approve",
                       {"subject": "history", "page": "2", "version_id": version_id})
    assert answer.headers["Location"].endswith("/moderation/?subject=history&page=2")


# -- A fixed number of statements -------------------------------------------------------------




def _many_requests(app, people, n: int, start: int) -> None:
    """``n`` waiting requests, a third each new, revisions and remixes (some with another
    licence than their source), some claimed, written in one transaction."""
    from oer_portal.remix import service as remix_service

    with app.app_context():
        anna, tom, mo = _user(people["anna"].id), _user(people["tom"].id), _user(people["mo"].id)
        for i in range(start, start + n):
            fields = VersionFields(title=f"Les {i}", body=f"Les {i}.\n",
                                   subjects=("mathematics",), levels=("havo",))
            if i % 3 == 0:
                material = service.create_material(anna, MaterialKind.LESSON, fields, [])
            elif i % 3 == 1:
                material = service.create_material(tom, MaterialKind.LESSON, fields, [])
                db.session.flush()
                lifecycle.publish(material, material.latest_version, mo)
                service.save_version(tom, material.id, material.latest_version_id,
                                     fields.with_body(f"Les {i}, herzien.\n"), [])
            else:
                source = service.create_material(tom, MaterialKind.LESSON, fields, [])
                db.session.flush()
                lifecycle.publish(source, source.latest_version, mo)
                material = remix_service.remix(
                    anna, source.id, None, "CC-BY-SA-4.0" if i % 2 else "CC-BY-4.0")
            db.session.flush()
            request = lifecycle.submit_for_review(material.owner, material)
            if i % 4 == 0:
                request.claimed_by_id, request.claimed_at = mo.id, utcnow()
        current_uow().commit()


def test_the_queue_reads_a_fixed_number_ofpage_statements(app, new_client, people):
    _many_requests(app, people, 20, 0)
    max_ = as_user(new_client, people["max"])
    few = page_statements(app, max_, "/moderation/")
    few_filtered = page_statements(app, max_, "/moderation/?subject=mathematics&level=secondary"
                                          "&sort=newest&page=1")
    _many_requests(app, people, 180, 20)
    many = page_statements(app, max_, "/moderation/")
    page = text(max_.get("/moderation/"))
    assert "200 waiting." in page and "Page 1 of 8." in page
    assert "Taken on by Mo Moderator" in page and "remix of “Les" in page
    many_last = page_statements(app, max_, "/moderation/?subject=mathematics&level=secondary"
                                       "&sort=newest&page=8")
    # The session's user (with the header's counts); the vocabularies; the counts; the
    # page's rows with their authors, claims, sources and own work: 4, however many wait.
    assert len(many) == len(few), (few, many)
    assert len(many_last) == len(few_filtered) == len(few)
    assert len(many) <= 4, many


# -- The one-click decisions name the version the queue showed ------------------------------


def _one_click(page: str, decision: str) -> tuple[str, str]:
    return re.search(rf'/moderation/reviews/(\d+)/{decision}".*?name="version_id" '
                     r'value="(\d+)"', page, re.DOTALL).groups()


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_a_one_click_decision_is_about_the_version_the_queue_showed(
        app, new_client, people, decision):
    """The author submits version 2 while the moderator reads version 1 in the queue: the
    click from the page they read decides nothing (version 2 is unseen); from the page
    read again it decides on version 2.  A post that names no version decides nothing."""
    from tests.integration.test_review import published_id, save, submit

    review_id = new_request(app, people["anna"], "Breuken")
    with app.app_context():
        material_id = db.session.get(ReviewRequest, review_id).material_id
    max_ = as_user(new_client, people["max"])
    seen_review, seen_version = _one_click(text(max_.get("/moderation/")), decision)
    assert (int(seen_review), int(seen_version)) == (review_id, head_id(app, material_id))
    save(app, people["anna"], material_id, "Breuken, herschreven.\n")
    assert submit(app, people["anna"], material_id) == review_id
    second = head_id(app, material_id)

    form = {"version_id": seen_version, "reason": "Niet passend."}
    stale = max_.post(f"/moderation/reviews/{review_id}/{decision}", form,
                      follow_redirects=True)
    assert "The author submitted version 2 meanwhile" in text(stale)
    unnamed = max_.post(f"/moderation/reviews/{review_id}/{decision}",
                        {"reason": "Niet passend."}, follow_redirects=True)
    assert "did not say which version you decided on" in text(unnamed)
    with app.app_context():
        request = db.session.get(ReviewRequest, review_id)
        assert (request.status, request.version_id) == ("pending", second)
    assert published_id(app, material_id) is None

    again = text(stale)  # the queue, read again, shows version 2
    assert _one_click(again, decision) == (str(review_id), str(second))
    done = max_.post(f"/moderation/reviews/{review_id}/{decision}",
                     {**form, "version_id": str(second)})
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(ReviewRequest, review_id).status == (
            "approved" if decision == "approve" else "rejected")
    assert published_id(app, material_id) == (second if decision == "approve" else None)


# -- The header's count -----------------------------------------------------------------------


def _badge(page: str) -> str | None:
    found = re.search(r'<span class="visually-hidden">Waiting for a moderator: </span>(\S+?)</a>',
                      page)
    return found[1] if found else None


def test_moderators_see_how_many_wait_in_the_header_and_teachers_do_not(
        app, new_client, people, make_user):
    first = new_request(app, people["anna"], "Een")
    new_request(app, people["anna"], "Twee")
    max_, admin = as_user(new_client, people["max"]), as_user(new_client, people["admin"])
    assert _badge(text(max_.get("/"))) == "2"
    assert _badge(text(admin.get("/"))) == "2"
    assert _badge(text(as_user(new_client, people["tom"]).get("/"))) is None
    assert "Waiting for a moderator" not in text(new_client().get("/"))
    with app.app_context():
        version_id = db.session.get(ReviewRequest, first).version_id
    assert head_id(app, db_material(app, first)) == version_id
    decide(max_, first, "approve", version_id)
    assert _badge(text(max_.get("/"))) == "1"
    # An open report waits for a moderator too; the badge leads to the dashboard, which
    # shows each kind of waiting.
    reporter = as_user(new_client, make_user("student"))
    assert reporter.post(f"/materials/{db_material(app, first)}/report",
                         {"category": "incorrect", "comment": ""}).status_code == 303
    page = text(max_.get("/"))
    assert _badge(page) == "2"
    assert '<a class="count-badge" href="/moderation/dashboard">' in page


def db_material(app, review_id: int) -> int:
    with app.app_context():
        return db.session.get(ReviewRequest, review_id).material_id


def test_the_header_count_costs_a_moderator_no_statement(app, new_client, people):
    new_request(app, people["anna"], "Een")
    teacher = page_statements(app, as_user(new_client, people["tom"]), "/my/notifications")
    moderator = page_statements(app, as_user(new_client, people["max"]), "/my/notifications")
    assert len(moderator) == len(teacher), (teacher, moderator)
