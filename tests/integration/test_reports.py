"""Reports: anyone signed in reports a published material; moderators dismiss the report or
take the material offline (it vanishes from every public channel, with a tombstone that says
why) and can put it back (it is back on every channel); the reporter and the authors are
told, every action is audited, and nobody else may do any of it."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from oer_portal.accounts.models import User
from oer_portal.core.audit import AuditEntry
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import lifecycle, service
from oer_portal.materials.attachments import Upload, refs_of, store_upload
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import Material, MaterialVersion
from oer_portal.materials.reviews import ReviewRequest
from oer_portal.moderation import reports
from oer_portal.moderation.models import Report
from oer_portal.notifications import messages
from oer_portal.notifications.models import Notification
from tests.fixtures.samples import image_bytes
from tests.fixtures.statements import page_statements


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher", name="Anna Auteur"),
            "mo": make_user("moderator", name="Mo Moderator"),
            "admin": make_user("admin", name="Ada Admin"),
            "sam": make_user("student", name="Sam Student"),
            "tom": make_user("teacher", name="Tom Teacher")}


def as_user(new_client, person, locale: str | None = "en"):
    client = new_client(locale)
    client.login(person.email)
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture()
def lesson(app, people, make_material):
    """Anna's lesson about photosynthesis with a picture (a file with a thumbnail),
    versions 1 and 2 both published (so there is a public diff and an older permalink)."""
    with app.app_context():
        ref = store_upload(Upload(io.BytesIO(image_bytes(size=(64, 48))), "blad.png"))
        current_uow().commit()
    material_id = make_material(people["anna"], title="Bladgroen in de zon",
                                body="Planten maken zetmeel met zonlicht.\n",
                                publish_by=people["mo"], attachments=[ref])
    with app.app_context():
        head = db.session.get(Material, material_id).latest_version
        version = service.save_version(
            db.session.get(User, people["anna"].id), material_id, head.id,
            VersionFields.of(head).with_body("Planten maken zetmeel met zonlicht en water.\n"),
            refs_of(head.attachments)).version
        lifecycle.publish(db.session.get(Material, material_id), version,
                          db.session.get(User, people["mo"].id))
        current_uow().commit()
    return material_id


def file_report(client, material_id: int, category: str = "incorrect", comment: str = "",
                **kwargs):
    return client.post(f"/materials/{material_id}/report",
                       {"category": category, "comment": comment}, **kwargs)


def reports_of(app, material_id: int) -> list[Report]:
    with app.app_context():
        rows = db.session.scalars(select(Report).where(Report.material_id == material_id)
                                  .order_by(Report.id)).all()
        for row in rows:
            db.session.expunge(row)
        return list(rows)


def audit_rows(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                  .order_by(AuditEntry.id)).all()
        for row in rows:
            db.session.expunge(row)
        return list(rows)


def notifications_of(app, person) -> list[tuple[str, str]]:
    """(kind, sentence in English) of each of the person's notifications, oldest first."""
    with app.test_request_context(), app.app_context():
        from flask_babel import force_locale

        with force_locale("en"):
            return [(n.kind, messages.sentence(n.kind, n.params, "Mo Moderator"))
                    for n in db.session.scalars(
                        select(Notification).where(Notification.user_id == person.id)
                        .order_by(Notification.id))]


# -- Filing a report ------------------------------------------------------------------------


def test_a_signed_in_user_reports_a_published_material_and_it_is_audited(
        app, new_client, people, lesson):
    sam = as_user(new_client, people["sam"])
    page = sam.get(f"/materials/{lesson}", follow_redirects=True)
    assert f'href="/materials/{lesson}/report"' in text(page)
    form = sam.get(f"/materials/{lesson}/report")
    assert form.status_code == 200 and "Bladgroen in de zon" in text(form)
    response = file_report(sam, lesson, "incorrect", "Zetmeel is geen suiker.",
                           follow_redirects=True)
    assert response.status_code == 200
    assert "The moderators will look at your report" in text(response)
    [report] = reports_of(app, lesson)
    with app.app_context():
        published = db.session.get(Material, lesson).published_version_id
    assert (report.category, report.comment, report.status, report.reporter_id,
            report.version_id) == ("incorrect", "Zetmeel is geen suiker.", "open",
                                   people["sam"].id, published)
    [entry] = audit_rows(app, "report.filed")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (
        people["sam"].id, "report", report.id)
    assert entry.details["material"] == lesson
    # The page now says the report is being dealt with instead of offering the link again.
    page = text(sam.get(f"/materials/{lesson}", follow_redirects=True))
    assert f'href="/materials/{lesson}/report"' not in page
    assert "your report is being dealt with" in page


@pytest.mark.parametrize("category, comment, message", [
    ("nonsense", "x", "Choose what is wrong with the material."),
    ("", "x", "Choose what is wrong with the material."),
    ("other", "   ", "Tell the moderators what is wrong."),
    ("copyright", "", "whose work it is"),
    ("spam", "x" * 2001, "at most 2000 characters"),
])
def test_an_invalid_report_is_refused_with_the_reason_and_nothing_is_stored(
        app, new_client, people, lesson, category, comment, message):
    sam = as_user(new_client, people["sam"])
    response = file_report(sam, lesson, category, comment)
    assert response.status_code == 400
    assert message in text(response)
    assert reports_of(app, lesson) == []
    assert audit_rows(app, "report.filed") == []


def test_a_category_without_comment_is_enough_for_spam(app, new_client, people, lesson):
    sam = as_user(new_client, people["sam"])
    assert file_report(sam, lesson, "spam").status_code == 303
    assert [r.category for r in reports_of(app, lesson)] == ["spam"]


def test_a_second_report_while_the_first_is_open_is_refused_politely(
        app, new_client, make_user, people, lesson):
    sam = as_user(new_client, people["sam"])
    file_report(sam, lesson, "spam")
    again = file_report(sam, lesson, "incorrect", "Nog iets.")
    assert again.status_code == 409
    assert "your report is being dealt with" in text(again)
    assert len(reports_of(app, lesson)) == 1
    # Dutch, as the portal speaks by default.
    dutch_person = make_user("student")
    dutch = as_user(new_client, dutch_person, locale=None)
    file_report(dutch, lesson, "spam")
    assert "je melding is in behandeling" in text(file_report(dutch, lesson, "spam"))
    # Another person's report is welcome, and so is Sam's next one once the first is decided.
    tom = as_user(new_client, people["tom"])
    assert file_report(tom, lesson, "spam").status_code == 303
    mo = as_user(new_client, people["mo"])
    first = reports_of(app, lesson)[0]
    mo.post(f"/moderation/reports/{first.id}/dismiss", {"note": ""})
    assert file_report(sam, lesson, "spam").status_code == 303
    assert len(reports_of(app, lesson)) == 4


def test_anonymous_visitors_are_sent_to_log_in(client, lesson):
    page = text(client.get(f"/materials/{lesson}", follow_redirects=True))
    assert f'href="/materials/{lesson}/report"' in page
    response = client.get(f"/materials/{lesson}/report")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    response = file_report(client, lesson, "spam")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_drafts_withdrawn_and_unknown_materials_cannot_be_reported(
        app, new_client, people, lesson, make_material):
    draft = make_material(people["anna"], title="Geheim concept")
    withdrawn = make_material(people["anna"], title="Ingetrokken", publish_by=people["mo"])
    with app.app_context():
        lifecycle.withdraw(db.session.get(User, people["anna"].id),
                           db.session.get(Material, withdrawn), "Verouderd")
        current_uow().commit()
    sam = as_user(new_client, people["sam"])
    for material_id in (draft, withdrawn, 999_999):
        assert sam.get(f"/materials/{material_id}/report").status_code == 404
        assert file_report(sam, material_id, "spam").status_code == 404
    # Not even its author reports a draft (nothing public to report).
    anna = as_user(new_client, people["anna"])
    assert anna.get(f"/materials/{draft}/report").status_code == 404
    assert reports_of(app, draft) == [] and reports_of(app, withdrawn) == []


def test_reports_need_a_csrf_token(app, new_client, people, lesson):
    sam = as_user(new_client, people["sam"])
    response = sam.raw.post(f"/materials/{lesson}/report",
                            data={"category": "spam", "comment": ""})
    assert response.status_code == 400
    assert reports_of(app, lesson) == []


def test_reporting_is_rate_limited_per_account(app, new_client, people, lesson,
                                               make_material):
    app.config["REPORT_LIMIT"] = "2 per hour"
    others = [make_material(people["anna"], title=f"Les {n}", publish_by=people["mo"])
              for n in range(2)]
    sam = as_user(new_client, people["sam"])
    assert file_report(sam, lesson, "spam").status_code == 303
    assert file_report(sam, others[0], "spam").status_code == 303
    assert file_report(sam, others[1], "spam").status_code == 429
    # Reading the form is not counted; another account has its own allowance.
    assert sam.get(f"/materials/{others[1]}/report").status_code == 200
    tom = as_user(new_client, people["tom"])
    assert file_report(tom, others[1], "spam").status_code == 303


# -- The queue ------------------------------------------------------------------------------


def test_the_queue_lists_open_reports_oldest_first_for_moderators_only(
        app, new_client, people, lesson, make_material):
    other = make_material(people["tom"], title="Rekenen met breuken", publish_by=people["mo"])
    sam, tom = as_user(new_client, people["sam"]), as_user(new_client, people["tom"])
    file_report(sam, lesson, "incorrect", "Eerste melding")
    file_report(sam, other, "other", "Tweede melding")
    file_report(tom, lesson, "spam", "Derde melding")
    for outsider in (sam, tom, as_user(new_client, people["anna"])):
        assert outsider.get("/moderation/reports").status_code == 403
    assert new_client().get("/moderation/reports").status_code == 302  # to log in
    for staff in ("mo", "admin"):
        page = text(as_user(new_client, people[staff]).get("/moderation/reports"))
        assert page.index("Eerste melding") < page.index("Tweede melding") \
            < page.index("Derde melding")
        assert "Sam Student" in page and "Incorrect" in page and "Spam" in page
        assert f'href="/materials/{lesson}"' in page and "Bladgroen in de zon" in page
        assert "Open reports of this material" in page  # two for the lesson
        assert 'aria-current="page"' in page and "Open (3)" in page
    with app.app_context():
        assert reports.open_report_count() == 3


def test_decided_reports_are_listed_apart(app, new_client, people, lesson):
    sam = as_user(new_client, people["sam"])
    file_report(sam, lesson, "incorrect", "Klopt niet")
    mo = as_user(new_client, people["mo"])
    report = reports_of(app, lesson)[0]
    mo.post(f"/moderation/reports/{report.id}/dismiss", {"note": "Het klopt wel."})
    assert "Klopt niet" not in text(mo.get("/moderation/reports"))
    closed = text(mo.get("/moderation/reports?show=closed"))
    assert "Klopt niet" in closed and "Het klopt wel." in closed and "Dismissed" in closed
    assert "Mo Moderator" in closed
    with app.app_context():
        assert reports.open_report_count() == 0


# -- Dismissing -----------------------------------------------------------------------------


def test_dismissing_tells_the_reporter_with_the_note_and_the_authors_without_it(
        app, new_client, people, lesson):
    sam = as_user(new_client, people["sam"])
    file_report(sam, lesson, "incorrect", "Klopt niet")
    report = reports_of(app, lesson)[0]
    mo = as_user(new_client, people["mo"])
    response = mo.post(f"/moderation/reports/{report.id}/dismiss",
                       {"note": "Zetmeel klopt hier."})
    assert response.status_code == 303
    [report] = reports_of(app, lesson)
    assert (report.status, report.decided_by_id, report.decision_reason) == (
        "dismissed", people["mo"].id, "Zetmeel klopt hier.")
    assert notifications_of(app, people["sam"]) == [(
        "report.outcome", "Mo Moderator looked at your report about “Bladgroen in de zon”: "
        "the material stays online. Zetmeel klopt hier.")]
    assert notifications_of(app, people["anna"]) == [(
        "report.outcome", "Mo Moderator looked at a report about your material “Bladgroen in "
        "de zon”: it stays online and nothing needs to change.")]
    [entry] = audit_rows(app, "report.dismissed")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (
        people["mo"].id, "report", report.id)
    assert entry.details["material"] == lesson and entry.details["reason"] == \
        "Zetmeel klopt hier."
    # The material is untouched; a second dismissal of the same report changes nothing.
    assert new_client().get(f"/materials/{lesson}", follow_redirects=True).status_code == 200
    again = mo.post(f"/moderation/reports/{report.id}/dismiss", {"note": ""},
                    follow_redirects=True)
    assert "already been dealt with" in text(again)
    assert len(audit_rows(app, "report.dismissed")) == 1


def test_only_moderators_decide_on_reports(app, new_client, people, lesson):
    sam = as_user(new_client, people["sam"])
    file_report(sam, lesson, "spam")
    report = reports_of(app, lesson)[0]
    for person in ("sam", "anna", "tom"):
        client = as_user(new_client, people[person])
        assert client.post(f"/moderation/reports/{report.id}/dismiss",
                           {"note": ""}).status_code == 403
        assert client.post(f"/moderation/materials/{lesson}/unpublish",
                           {"reason": "Weg", "report_id": str(report.id)}).status_code == 403
    assert reports_of(app, lesson)[0].status == "open"
    # Without a CSRF token a moderator's post is refused too.
    mo = as_user(new_client, people["mo"])
    assert mo.raw.post(f"/moderation/reports/{report.id}/dismiss",
                       data={"note": ""}).status_code == 400
    assert mo.raw.post(f"/moderation/materials/{lesson}/unpublish",
                       data={"reason": "Weg"}).status_code == 400
    assert reports_of(app, lesson)[0].status == "open"


# -- Taking offline and putting back ----------------------------------------------------------


def _search_ids(client, q: str) -> list[int]:
    return [r["id"] for r in client.get("/api/v1/search",
                                        query_string={"q": q}).get_json()["results"]]


def _file_link(app, material_id: int) -> tuple[str, str]:
    with app.app_context():
        attachment = db.session.get(Material, material_id).published_version.attachments[0]
        base = f"/materials/{material_id}/files/{attachment.id}"
        return f"{base}/{attachment.filename}", f"{base}/thumbnail"


def public_channels(app, client, material_id: int) -> dict[str, bool]:
    """Whether the material shows on each public channel, for a visitor."""
    download, thumbnail = _file_link(app, material_id)
    history = text(client.get(f"/materials/{material_id}/history"))
    return {
        "page": client.get(f"/materials/{material_id}", follow_redirects=True).status_code
        == 200,
        "version 1": client.get(f"/materials/{material_id}/v/1").status_code == 200,
        "version 2": client.get(f"/materials/{material_id}/v/2").status_code == 200,
        "history": f"/materials/{material_id}/v/1" in history,
        "diff": client.get(f"/materials/{material_id}/diff?from=1&to=2").status_code == 200,
        "file": client.get(download).status_code == 200,
        "thumbnail": client.get(thumbnail).status_code == 200,
        "api search": material_id in _search_ids(client, "zetmeel"),
        "search page": "Bladgroen in de zon" in text(client.get("/search?q=zetmeel")),
        "home": "Bladgroen in de zon" in text(client.get("/")),
        **_syndication_channels(app, client, material_id),
    }


def _oai_record(client, material_id: int) -> str:
    """The material's OAI-PMH record (its identifier as the provider issues it)."""
    listing = text(client.get("/oai?verb=ListIdentifiers&metadataPrefix=oai_dc"))
    prefix = re.search(r"<identifier>(oai:[^<]+:material/)\d+</identifier>", listing).group(1)
    return text(client.get(f"/oai?verb=GetRecord&metadataPrefix=oai_dc"
                           f"&identifier={prefix}{material_id}"))


def _sitemap(client) -> str:
    """The sitemap index and every page it names."""
    index = text(client.get("/sitemap.xml"))
    return index + "".join(text(client.get(page)) for page in
                           re.findall(r"<loc>https?://[^/]+(/sitemaps/[^<]+)</loc>", index))


def _syndication_channels(app, client, material_id: int) -> dict[str, bool]:
    """The channels other sites and machines read: the JSON API, OAI-PMH, the Atom feeds,
    the sitemap, the embed view and oEmbed."""
    with app.app_context():
        owner_id = db.session.get(Material, material_id).owner_id
    record = _oai_record(client, material_id)
    listed = [m["id"] for m in client.get("/api/v1/materials").get_json()["items"]]
    page = f"/materials/{material_id}"
    return {
        "api material": client.get(f"/api/v1/materials/{material_id}").status_code == 200,
        "api list": material_id in listed,
        "api version": client.get(f"/api/v1/materials/{material_id}/versions/2"
                                  ).status_code == 200,
        # A record taken offline stays a record with a deleted header (the OAI tombstone).
        "oai record": 'status="deleted"' not in record and "Bladgroen in de zon" in record,
        "oai list": "Bladgroen in de zon" in text(client.get(
            "/oai?verb=ListRecords&metadataPrefix=oai_dc")),
        "feed": "Bladgroen in de zon" in text(client.get("/feeds/materials.atom")),
        "author feed": "Bladgroen in de zon" in text(client.get(
            f"/feeds/people/{owner_id}.atom")),
        "sitemap": f"{page}-" in _sitemap(client) or f"{page}<" in _sitemap(client),
        "embed": "Bladgroen in de zon" in text(client.get(f"{page}/embed")),
        "oembed": client.get(f"/oembed?url=http://localhost{page}").status_code == 200,
    }


def test_unpublishing_from_a_report_takes_the_material_off_every_public_channel(
        app, new_client, people, lesson):
    visitor = new_client()
    assert all(public_channels(app, visitor, lesson).values()), \
        public_channels(app, visitor, lesson)
    sam, tom = as_user(new_client, people["sam"]), as_user(new_client, people["tom"])
    file_report(sam, lesson, "copyright", "Overgenomen uit het boek Biologie voor jou.")
    file_report(tom, lesson, "incorrect", "Zetmeel?")
    first, second = reports_of(app, lesson)
    mo = as_user(new_client, people["mo"])
    response = mo.post(f"/moderation/materials/{lesson}/unpublish",
                       {"reason": "Inbreuk op auteursrecht.", "report_id": str(first.id)})
    assert response.status_code == 303

    channels = public_channels(app, visitor, lesson)
    assert not any(channels.values()), channels
    tombstone = visitor.get(f"/materials/{lesson}", follow_redirects=True)
    assert tombstone.status_code == 410
    page = text(tombstone)
    assert "This material has been taken offline" in page
    assert "Inbreuk op auteursrecht." in page and "Bladgroen" not in page
    # Machines read the tombstone too: OAI-PMH keeps a deleted record, the embed view and
    # the API say the material is gone.
    assert 'status="deleted"' in _oai_record(visitor, lesson)
    assert visitor.get(f"/materials/{lesson}/embed").status_code == 410
    assert visitor.get(f"/api/v1/materials/{lesson}").status_code in (404, 410)
    # Signed-in people who are neither authors nor moderators see no more than a visitor.
    assert not any(public_channels(app, sam, lesson).values())

    # Every open report of the material is closed as upheld.
    assert [(r.status, r.decided_by_id, r.decision_reason) for r in reports_of(app, lesson)] \
        == [("upheld", people["mo"].id, "Inbreuk op auteursrecht.")] * 2
    [entry] = audit_rows(app, "material.unpublished")
    with app.app_context():
        published = db.session.get(Material, lesson).published_version
        assert entry.details == {"reason": "Inbreuk op auteursrecht.",
                                 "version_id": published.id, "version": 2,
                                 "report": first.id, "reports": [first.id, second.id]}
    assert (entry.actor_id, entry.target_type, entry.target_id) == (
        people["mo"].id, "material", lesson)

    # The authors and both reporters are told; the authors never learn who reported.
    assert notifications_of(app, people["anna"]) == [(
        "report.outcome", "Mo Moderator took your material “Bladgroen in de zon” offline: "
        "Inbreuk op auteursrecht.")]
    for reporter in ("sam", "tom"):
        assert notifications_of(app, people[reporter]) == [(
            "report.outcome", "Mo Moderator took “Bladgroen in de zon”, which you reported, "
            "offline: Inbreuk op auteursrecht.")]
    anna = as_user(new_client, people["anna"])
    inbox = text(anna.get("/my/notifications"))
    assert "Sam Student" not in inbox and "Tom Teacher" not in inbox

    # The author still sees their material, with the moderators' reason, but cannot change
    # it, withdraw it or submit it while it is offline (nothing may break reinstatement).
    own = text(anna.get(f"/materials/{lesson}", follow_redirects=True))
    assert "The moderators took this material offline" in own and "Inbreuk" in own
    assert anna.get(f"/materials/{lesson}/edit").status_code == 403
    assert anna.get(f"/materials/{lesson}/withdraw").status_code == 403
    assert anna.post(f"/materials/{lesson}/submit").status_code == 403
    # The queue shows the report as dealt with, and offers to put the material back.
    closed = text(mo.get("/moderation/reports?show=closed"))
    assert "Taken offline" in closed and f"/moderation/materials/{lesson}/reinstate" in closed


def test_putting_back_brings_the_material_back_on_every_channel(app, new_client, people,
                                                                 lesson):
    visitor = new_client()
    sam = as_user(new_client, people["sam"])
    file_report(sam, lesson, "spam")
    mo = as_user(new_client, people["mo"])
    mo.post(f"/moderation/materials/{lesson}/unpublish", {"reason": "Reclame."})
    assert not any(public_channels(app, visitor, lesson).values())
    with app.app_context():
        before = db.session.get(Material, lesson).published_version_id

    # The moderator sees the material, with the form to put it back.
    page = text(mo.get(f"/materials/{lesson}", follow_redirects=True))
    assert f"/moderation/materials/{lesson}/reinstate" in page
    assert mo.post(f"/moderation/materials/{lesson}/reinstate",
                   {"reason": "Toch geen reclame.", "back": "material"}).status_code == 303

    channels = public_channels(app, visitor, lesson)
    assert all(channels.values()), channels
    with app.app_context():
        material = db.session.get(Material, lesson)
        assert (material.status, material.published_version_id, material.withdrawn_at,
                material.withdrawn_by_moderation) == ("published", before, None, False)
    [entry] = audit_rows(app, "material.reinstated")
    [report] = reports_of(app, lesson)
    assert (entry.actor_id, entry.target_id) == (people["mo"].id, lesson)
    assert entry.details["reason"] == "Toch geen reclame."
    assert entry.details["version_id"] == before and entry.details["version"] == 2
    assert entry.details["reports"] == [report.id]
    assert entry.details["unpublished_reason"] == "Reclame."
    assert notifications_of(app, people["anna"])[-1] == (
        "report.outcome", "Mo Moderator put your material “Bladgroen in de zon” back online.")
    assert notifications_of(app, people["sam"])[-1] == (
        "report.outcome", "Mo Moderator put “Bladgroen in de zon”, which you reported, back "
        "online.")
    # Reinstated, the author may edit again, and the report stays what was decided.
    anna = as_user(new_client, people["anna"])
    assert anna.get(f"/materials/{lesson}/edit").status_code == 200
    assert report.status == "upheld"


def test_a_moderator_takes_a_material_offline_from_its_page(app, new_client, people, lesson):
    mo = as_user(new_client, people["mo"])
    page = text(mo.get(f"/materials/{lesson}", follow_redirects=True))
    assert f'action="/moderation/materials/{lesson}/unpublish"' in page
    assert 'id="offline-material"' in page and 'for="offline-material"' in page
    # Visitors and authors get no such form.
    for client in (new_client(), as_user(new_client, people["anna"])):
        assert "/unpublish" not in text(client.get(f"/materials/{lesson}",
                                                   follow_redirects=True))
    # A reason is required; nothing happens without one.
    empty = mo.post(f"/moderation/materials/{lesson}/unpublish",
                    {"reason": "  ", "back": "material"}, follow_redirects=True)
    assert "Say why the material is taken offline" in text(empty)
    too_long = mo.post(f"/moderation/materials/{lesson}/unpublish",
                       {"reason": "x" * 2001, "back": "material"}, follow_redirects=True)
    assert "at most 2000 characters" in text(too_long)
    assert audit_rows(app, "material.unpublished") == []
    response = mo.post(f"/moderation/materials/{lesson}/unpublish",
                       {"reason": "Persoonsgegevens van leerlingen.", "back": "material"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/materials/{lesson}")
    [entry] = audit_rows(app, "material.unpublished")
    assert entry.details["report"] is None and entry.details["reports"] == []
    assert new_client().get(f"/materials/{lesson}", follow_redirects=True).status_code == 410
    # Taking it offline twice is refused.
    again = mo.post(f"/moderation/materials/{lesson}/unpublish", {"reason": "Nog eens"},
                    follow_redirects=True)
    assert "not online" in text(again)
    assert len(audit_rows(app, "material.unpublished")) == 1


def test_unpublish_cancels_the_open_review_so_nothing_publishes_behind_the_moderators_back(
        app, new_client, people, lesson):
    with app.app_context():
        anna = db.session.get(User, people["anna"].id)
        material = db.session.get(Material, lesson)
        service.save_version(anna, lesson, material.latest_version_id,
                             VersionFields.of(material.latest_version).with_body("Nieuw\n"),
                             refs_of(material.latest_version.attachments))
        request = lifecycle.submit_for_review(anna, db.session.get(Material, lesson))
        current_uow().commit()
        request_id = request.id
        reports.unpublish(db.session.get(User, people["mo"].id), lesson, "Onjuist.")
        current_uow().commit()
        assert db.session.get(ReviewRequest, request_id).status == "cancelled"


def test_the_function_others_call_checks_the_report_and_the_actor(app, people, lesson,
                                                                  make_material):
    from oer_portal.core.errors import Conflict, Forbidden, NotFound

    other = make_material(people["anna"], title="Andere les", publish_by=people["mo"])
    with app.app_context():
        sam = db.session.get(User, people["sam"].id)
        report = reports.file_report(sam, lesson, "spam", "")
        current_uow().commit()
        report_id = report.id
        mo = db.session.get(User, people["mo"].id)
        with pytest.raises(Forbidden):
            reports.unpublish(db.session.get(User, people["tom"].id), lesson, "x")
        with pytest.raises(NotFound):  # a report of another material
            reports.unpublish(mo, other, "x", report_id=report_id)
        db.session.rollback()
        closed = reports.unpublish(mo, lesson, "Spam.", report_id=report_id)
        current_uow().commit()
        assert [r.id for r in closed] == [report_id]
        with pytest.raises(Conflict):  # the report was decided
            reports.dismiss(mo, report_id)
        db.session.rollback()


def test_an_authors_own_withdrawal_cannot_be_reinstated(app, new_client, people, lesson):
    with app.app_context():
        lifecycle.withdraw(db.session.get(User, people["anna"].id),
                           db.session.get(Material, lesson), "Niet meer actueel.")
        current_uow().commit()
    mo = as_user(new_client, people["mo"])
    page = text(mo.get(f"/materials/{lesson}", follow_redirects=True))
    assert "/reinstate" not in page and "/unpublish" not in page
    refused = mo.post(f"/moderation/materials/{lesson}/reinstate", {"reason": "Terug"},
                      follow_redirects=True)
    assert "Its authors withdrew this material" in text(refused)
    assert audit_rows(app, "material.reinstated") == []
    tombstone = new_client().get(f"/materials/{lesson}", follow_redirects=True)
    assert tombstone.status_code == 410
    assert "This material has been withdrawn" in text(tombstone)


def test_teachers_and_authors_cannot_put_a_material_back(app, new_client, people, lesson):
    mo = as_user(new_client, people["mo"])
    mo.post(f"/moderation/materials/{lesson}/unpublish", {"reason": "Onjuist."})
    for person in ("anna", "tom", "sam"):
        client = as_user(new_client, people[person])
        assert "/reinstate" not in text(client.get(f"/materials/{lesson}",
                                                   follow_redirects=True))
        assert client.post(f"/moderation/materials/{lesson}/reinstate",
                           {"reason": "Terug"}).status_code == 403
    assert new_client().get(f"/materials/{lesson}", follow_redirects=True).status_code == 410
    # A moderator must say why it goes back.
    empty = mo.post(f"/moderation/materials/{lesson}/reinstate", {"reason": ""},
                    follow_redirects=True)
    assert "Say why the material is put back online" in text(empty)
    assert audit_rows(app, "material.reinstated") == []
    # Putting back what is online already is refused.
    mo.post(f"/moderation/materials/{lesson}/reinstate", {"reason": "Terug"})
    again = mo.post(f"/moderation/materials/{lesson}/reinstate", {"reason": "Terug"},
                    follow_redirects=True)
    assert "online already" in text(again)
    assert len(audit_rows(app, "material.reinstated")) == 1


def test_the_reports_pages_are_called_in_their_title_what_their_heading_says(
        app, new_client, people, lesson):
    def title_and_heading(page: str) -> tuple[str, str]:
        def clean(fragment: str) -> str:
            return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())
        return (clean(re.search(r"<title>(.*?)</title>", page, re.S)[1]),
                clean(re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)[1]))

    sam = as_user(new_client, people["sam"])
    mo = as_user(new_client, people["mo"])
    pages = [text(sam.get(f"/materials/{lesson}/report")), text(mo.get("/moderation/reports")),
             text(mo.get("/moderation/reports?show=closed"))]
    mo.post(f"/moderation/materials/{lesson}/unpublish", {"reason": "Weg."})
    pages.append(text(new_client().get(f"/materials/{lesson}", follow_redirects=True)))
    for page in pages:
        title, heading = title_and_heading(page)
        assert title.startswith(heading), (title, heading)


def test_the_report_page_and_queue_speak_dutch(app, new_client, people, lesson):
    sam = as_user(new_client, people["sam"], locale=None)
    page = text(sam.get(f"/materials/{lesson}", follow_redirects=True))
    assert "Meld dit lesmateriaal" in page
    form = text(sam.get(f"/materials/{lesson}/report"))
    for word in ("Auteursrecht", "Ongepast", "Onjuist", "Spam", "Anders"):
        assert word in form, word
    file_report(sam, lesson, "inappropriate", "")
    mo = as_user(new_client, people["mo"], locale=None)
    queue = text(mo.get("/moderation/reports"))
    assert "Meldingen over lesmateriaal" in queue and "Ongepast" in queue


def test_the_version_seen_is_kept_when_a_newer_one_is_published(app, new_client, people,
                                                                lesson):
    sam = as_user(new_client, people["sam"])
    file_report(sam, lesson, "incorrect", "Versie 2 klopt niet")
    with app.app_context():
        material = db.session.get(Material, lesson)
        seen = material.published_version_id
        head = material.latest_version
        version = service.save_version(db.session.get(User, people["anna"].id), lesson,
                                       head.id, VersionFields.of(head).with_body("Beter\n"),
                                       refs_of(head.attachments)).version
        lifecycle.publish(db.session.get(Material, lesson),
                          db.session.get(MaterialVersion, version.id),
                          db.session.get(User, people["mo"].id))
        current_uow().commit()
    assert reports_of(app, lesson)[0].version_id == seen
    assert "Version seen" in text(as_user(new_client, people["mo"]).get("/moderation/reports"))


def test_arrangements_and_more_like_this_drop_an_offline_material_and_take_it_back(
        app, new_client, people, lesson, make_material):
    from oer_portal.arrangements import service as arrangements
    from oer_portal.arrangements.structure import Node, NodeKind

    sibling = make_material(people["tom"], title="Zetmeel en zonlicht",
                            body="Planten maken zetmeel met zonlicht en bladgroen.\n",
                            publish_by=people["mo"])
    with app.app_context():
        arrangement = arrangements.create_arrangement(
            db.session.get(User, people["tom"].id),
            VersionFields(title="Reeks planten", body="Inleiding."),
            [Node(NodeKind.MATERIAL, material_id=lesson)])
        current_uow().commit()
        arrangement_id = arrangement.id
        lifecycle.publish(db.session.get(Material, arrangement_id),
                          db.session.get(Material, arrangement_id).latest_version,
                          db.session.get(User, people["mo"].id))
        current_uow().commit()
    visitor = new_client()

    def shown() -> tuple[bool, bool]:
        part = text(visitor.get(f"/materials/{arrangement_id}-reeks-planten/parts/1"))
        page = text(visitor.get(f"/materials/{sibling}", follow_redirects=True))
        related = page[page.index('id="related-title"'):] if 'id="related-title"' in page \
            else ""
        return "zetmeel met zonlicht" in part, f"/materials/{lesson}-" in related

    assert shown() == (True, True)
    mo = as_user(new_client, people["mo"])
    mo.post(f"/moderation/materials/{lesson}/unpublish", {"reason": "Onjuist."})
    part = text(visitor.get(f"/materials/{arrangement_id}-reeks-planten/parts/1"))
    assert "not available" in part
    assert shown() == (False, False)
    mo.post(f"/moderation/materials/{lesson}/reinstate", {"reason": "Toch juist."})
    assert shown() == (True, True)


def test_putting_back_needs_a_csrf_token(app, new_client, people, lesson):
    mo = as_user(new_client, people["mo"])
    mo.post(f"/moderation/materials/{lesson}/unpublish", {"reason": "Onjuist."})
    assert mo.raw.post(f"/moderation/materials/{lesson}/reinstate",
                       data={"reason": "Terug"}).status_code == 400
    assert new_client().get(f"/materials/{lesson}", follow_redirects=True).status_code == 410


def test_the_outcome_reads_in_dutch_in_the_inbox_and_the_email_subject(app, new_client,
                                                                      people, lesson):
    from flask_babel import force_locale

    sam = as_user(new_client, people["sam"])
    file_report(sam, lesson, "spam")
    mo = as_user(new_client, people["mo"])
    mo.post(f"/moderation/materials/{lesson}/unpublish", {"reason": "Reclame."})
    with app.test_request_context(), force_locale("nl"):
        notification = db.session.scalar(select(Notification).where(
            Notification.user_id == people["anna"].id))
        assert messages.subject(notification.kind, notification.params) == \
            "Je lesmateriaal “Bladgroen in de zon” is offline gehaald"
        assert messages.sentence(notification.kind, notification.params, "Mo") == \
            "Mo heeft je lesmateriaal “Bladgroen in de zon” offline gehaald: Reclame."
    # The reporter's notification leads to the material (now its tombstone).
    inbox = text(sam.get("/my/notifications"))
    assert "Mo Moderator took “Bladgroen in de zon”, which you reported, offline" in inbox


def test_a_moderator_never_decides_about_their_own_material(app, new_client, people,
                                                            make_user, make_material):
    writer = make_user("teacher", "moderator", name="Mo Schrijver")
    own = make_material(writer, title="Les van Mo", publish_by=people["admin"])
    sam = as_user(new_client, people["sam"])
    file_report(sam, own, "spam")
    [report] = reports_of(app, own)
    mo = as_user(new_client, writer)
    queue = text(mo.get("/moderation/reports"))
    assert "This is your own work; another moderator decides." in queue
    assert "Sam Student" not in queue  # an author never learns who reported
    assert f"/moderation/reports/{report.id}/dismiss" not in queue
    page = text(mo.get(f"/materials/{own}", follow_redirects=True))
    assert "/unpublish" not in page and "open report" not in page
    assert mo.post(f"/moderation/reports/{report.id}/dismiss", {"note": ""}).status_code == 403
    assert mo.post(f"/moderation/materials/{own}/unpublish",
                   {"reason": "x", "report_id": str(report.id)}).status_code == 403
    admin = as_user(new_client, people["admin"])
    admin.post(f"/moderation/materials/{own}/unpublish", {"reason": "Spam."})
    assert mo.post(f"/moderation/materials/{own}/reinstate", {"reason": "x"}).status_code == 403
    assert new_client().get(f"/materials/{own}", follow_redirects=True).status_code == 410
    assert admin.post(f"/moderation/materials/{own}/reinstate",
                      {"reason": "Toch goed."}).status_code == 303




def test_the_reports_queue_reads_a_fixed_number_ofpage_statements(app, new_client, make_user,
                                                              people, lesson, make_material):
    mo = as_user(new_client, people["mo"])

    def add_reports(count: int) -> None:
        with app.app_context():
            for n in range(count):
                material_id = lesson if n % 2 else make_material(
                    people["anna"], title=f"Les {n}", publish_by=people["mo"])
                reporter = make_user("student")
                reports.file_report(db.session.get(User, reporter.id), material_id, "spam",
                                    f"Melding {n}")
                current_uow().commit()

    add_reports(2)
    few = page_statements(app, mo, "/moderation/reports")
    add_reports(60)
    many = page_statements(app, mo, "/moderation/reports")
    assert len(many) == len(few), "\n\n".join(many)
    page = text(mo.get("/moderation/reports"))
    assert page.count('class="panel report"') == reports.QUEUE_PAGE
    assert "Next page" in page
    assert text(mo.get("/moderation/reports?page=2")).count('class="panel report"') == 12


def test_an_outcome_without_its_params_reads_as_the_kinds_own_wording(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("en"):
        assert messages.sentence("report.outcome", {"title": "X"}, "Mo") == \
            "Mo dealt with your report about “X”."
        assert messages.sentence("report.outcome", {"title": "X", "outcome": "unknown",
                                                    "to": "author"}, "Mo") == \
            "Mo dealt with your report about “X”."
        assert messages.subject("report.outcome", {"title": "X", "outcome": "dismissed",
                                                   "to": "reporter"}) == \
            "Your report about “X”: the material stays online"


def _open_reports(client) -> str | None:
    found = re.search(r'<dt>Open reports</dt><dd><a href="/moderation/reports">(\d+)</a>',
                      text(client.get("/moderation/dashboard")))
    return found[1] if found else None


def test_the_dashboard_counts_the_open_reports(app, new_client, people, lesson):
    mo = as_user(new_client, people["mo"])
    assert _open_reports(mo) == "0"
    assert file_report(as_user(new_client, people["sam"]), lesson, "incorrect").status_code \
        == 303
    assert _open_reports(mo) == "1"
    [report] = reports_of(app, lesson)
    mo.post(f"/moderation/reports/{report.id}/dismiss", {"note": ""})
    assert _open_reports(mo) == "0"
