"""Change proposals: a teacher proposes an edit to another teacher's published lesson; the
authors read the diff, discuss, accept (a three-way merge through the save path of any
edit, then review) or decline; nobody else ever sees a proposal."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from oer_portal.accounts.models import User
from oer_portal.core.audit import AuditEntry
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import lifecycle, service
from oer_portal.materials.merge import has_conflict_markers
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import Material, MaterialCoAuthor, MaterialVersion
from oer_portal.notifications.models import Notification
from oer_portal.proposals.models import ChangeProposal, ProposalStatus

BODY = "Regel een\nRegel twee\nRegel drie\nRegel vier\nRegel vijf\n"


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher", name="Anna Auteur"),
            "cas": make_user("teacher", name="Cas Coauteur"),
            "bob": make_user("teacher", name="Bob Bijdrager"),
            "tom": make_user("teacher", name="Tom Teacher"),
            "mo": make_user("moderator", name="Mo Moderator"),
            "student": make_user("student", name="Sam Student")}


@pytest.fixture()
def lesson(app, people, make_material):
    material_id = make_material(people["anna"], title="Breuken", body=BODY,
                                publish_by=people["mo"])
    with app.app_context():
        material = db.session.get(Material, material_id)
        material.co_author_rows.append(MaterialCoAuthor(user_id=people["cas"].id))
        current_uow().commit()
    return material_id


def as_user(new_client, person):
    client = new_client()
    client.login(person.email)
    return client


def propose(client, material_id, body, summary="Fout in regel twee", title="Breuken"):
    return client.post(f"/materials/{material_id}/propose",
                       {"title": title, "description": "", "body": body, "summary": summary})


def proposal_id(app, material_id) -> int:
    with app.app_context():
        return db.session.scalars(select(ChangeProposal.id).where(
            ChangeProposal.material_id == material_id).order_by(ChangeProposal.id.desc())
        ).first()


def author_saves(app, person, material_id, body):
    with app.app_context():
        material = db.session.get(Material, material_id)
        service.save_version(db.session.get(User, person.id), material_id,
                             material.latest_version_id,
                             VersionFields(title="Breuken", body=body), [])
        current_uow().commit()


def test_the_form_names_the_licence_and_prefills_the_published_text(new_client, people,
                                                                    lesson):
    bob = as_user(new_client, people["bob"])
    page = bob.get(f"/materials/{lesson}-breuken").get_data(as_text=True)
    assert f"/materials/{lesson}/propose" in page
    form = bob.get(f"/materials/{lesson}/propose")
    text = form.get_data(as_text=True)
    assert form.status_code == 200 and "Regel twee" in text
    assert "contributed under the material" in text and "Attribution" in text


def test_the_form_is_the_editor_with_its_preview_and_a_preview_sends_nothing(
        app, new_client, people, lesson):
    bob = as_user(new_client, people["bob"])
    form = bob.get(f"/materials/{lesson}/propose").get_data(as_text=True)
    assert 'data-preview-url="/materials/preview"' in form and "js/editor.js" in form
    assert 'class="editor__preview"' in form and 'name="preview"' in form
    shown = bob.post(f"/materials/{lesson}/propose",
                     {"title": "Breuken", "description": "", "summary": "",
                      "body": "## Kopje\n\nRegel **vet**\n", "preview": "Preview"})
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200
    assert '<div class="lesson-body" id="preview-body"><h3 id="h-kopje">Kopje</h3>' in html
    assert "<strong>vet</strong>" in html and "Say briefly why" not in html
    assert proposal_id(app, lesson) is None  # a preview sends nothing
    # The live preview answers the proposer (a teacher) as it answers an author.
    assert bob.post("/materials/preview", {"body": "*schuin*"}).status_code == 200


def test_authors_and_students_get_no_propose_link(new_client, people, lesson):
    for person in ("anna", "student"):
        client = as_user(new_client, people[person])
        assert f"/materials/{lesson}/propose" not in client.get(
            f"/materials/{lesson}-breuken").get_data(as_text=True)
        assert client.get(f"/materials/{lesson}/propose").status_code == 403


def test_validation_errors_keep_the_text(app, new_client, people, lesson):
    bob = as_user(new_client, people["bob"])
    response = propose(bob, lesson, "Mijn zorgvuldige tekst\n", summary="")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Mijn zorgvuldige tekst" in page
    assert "Say briefly why" in page
    pointing = propose(bob, lesson, "![plaatje](/account/profile)\n").get_data(as_text=True)
    assert "An image in the text points at a page of this portal" in pointing
    unchanged = propose(bob, lesson, BODY).get_data(as_text=True)
    assert "changes nothing yet" in unchanged
    assert proposal_id(app, lesson) is None


def test_an_old_proposal_merges_cleanly_onto_a_newer_head_credits_and_enters_review(
        app, new_client, people, lesson):
    bob = as_user(new_client, people["bob"])
    assert propose(bob, lesson, BODY.replace("Regel twee", "Regel TWEE")).status_code == 302
    pid = proposal_id(app, lesson)
    # Meanwhile the author changes another line.
    author_saves(app, people["anna"], lesson, BODY.replace("Regel vijf", "Regel 5"))
    anna = as_user(new_client, people["anna"])
    page = anna.get(f"/materials/{lesson}/proposals/{pid}").get_data(as_text=True)
    assert "Accepting merges" in page and "TWEE" in page
    response = anna.post(f"/materials/{lesson}/proposals/{pid}/accept")
    assert response.status_code == 302
    with app.app_context():
        material = db.session.get(Material, lesson)
        head = material.latest_version
        assert head.body == "Regel een\nRegel TWEE\nRegel drie\nRegel vier\nRegel 5\n"
        assert head.author_id == people["anna"].id and head.number == 3
        proposal = db.session.get(ChangeProposal, pid)
        assert proposal.status == ProposalStatus.ACCEPTED and proposal.version_id == head.id
        request = lifecycle.pending_review(lesson)
        assert request is not None and request.version_id == head.id
        kinds = db.session.scalars(select(Notification.kind).where(
            Notification.user_id == people["bob"].id)).all()
        assert "proposal.accepted" in kinds
        actions = db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.target_id == lesson, AuditEntry.action.like("proposal.%"))).all()
        assert actions == ["proposal.created", "proposal.accepted"]
        # Publish it: the credits name the proposer.
        from oer_portal.proposals.service import contributors
        published = material.published_version
        found = contributors([(material, head), (material, published)])
        assert [u.display_name for u in found[head.id]] == ["Bob Bijdrager"]
        assert found[published.id] == []
        lifecycle.publish(material, head, db.session.get(User, people["mo"].id))
        current_uow().commit()
    own = bob.get(f"/materials/{lesson}-breuken").get_data(as_text=True)
    assert "Your proposals" in own and "Accepted" in own
    public = new_client().get(f"/materials/{lesson}-breuken").get_data(as_text=True)
    # In every format of the credits: the HTML links the proposer's profile.
    assert "With contributions from Bob Bijdrager." in public
    assert re.search(r"With contributions from <a href=\"[^\"]+\">Bob Bijdrager</a>\.", public)
    # The version before the proposal does not name them.
    assert "With contributions from" not in new_client().get(
        f"/materials/{lesson}/v/1").get_data(as_text=True)
    # The JSON API's credits name them in every format too; version 1's do not.
    for format_ in ("text", "html", "markdown"):
        api = new_client().get(f"/api/v1/materials/{lesson}/credits",
                               query_string={"format": format_}).get_json()
        assert api["version"] == 3 and "Bob Bijdrager" in api["credits"], format_
        older = new_client().get(f"/api/v1/materials/{lesson}/credits",
                                 query_string={"format": format_, "version": 1}).get_json()
        assert "Bob Bijdrager" not in older["credits"], format_


def test_a_proposal_on_an_older_published_version_merges_onto_the_newer_published_one(
        app, new_client, people, lesson):
    """The usual case: the proposal was made on version 1, the authors published version 2
    meanwhile; accepting merges both into version 3, which waits for review while the public
    keeps version 2 (with no contributor named yet)."""
    bob = as_user(new_client, people["bob"])
    propose(bob, lesson, BODY.replace("Regel twee", "Regel TWEE"))
    pid = proposal_id(app, lesson)
    author_saves(app, people["anna"], lesson, BODY.replace("Regel vijf", "Regel 5"))
    with app.app_context():
        material = db.session.get(Material, lesson)
        lifecycle.publish(material, material.latest_version,
                          db.session.get(User, people["mo"].id))
        current_uow().commit()
    # The proposer learns it against the published version 2, which they may see.
    assert "Accepting merges" in bob.get(f"/materials/{lesson}/proposals/{pid}").get_data(
        as_text=True)
    anna = as_user(new_client, people["anna"])
    assert anna.post(f"/materials/{lesson}/proposals/{pid}/accept").status_code == 302
    with app.app_context():
        material = db.session.get(Material, lesson)
        head = material.latest_version
        assert head.number == 3 and head.body == BODY.replace("Regel twee", "Regel TWEE") \
            .replace("Regel vijf", "Regel 5")
        assert material.published_version.number == 2
        assert lifecycle.pending_review(lesson).version_id == head.id
    public = new_client().get(f"/materials/{lesson}-breuken").get_data(as_text=True)
    assert "Regel TWEE" not in public and "Regel 5" in public
    assert "With contributions from" not in public


def test_a_conflicting_proposal_says_so_opens_the_resolution_page_and_never_stores_markers(
        app, new_client, people, lesson):
    bob = as_user(new_client, people["bob"])
    propose(bob, lesson, BODY.replace("Regel twee", "Regel van Bob"))
    pid = proposal_id(app, lesson)
    author_saves(app, people["anna"], lesson, BODY.replace("Regel twee", "Regel van Anna"))
    anna = as_user(new_client, people["anna"])
    page = anna.get(f"/materials/{lesson}/proposals/{pid}").get_data(as_text=True)
    assert "no longer applies cleanly" in page
    # The proposer is not told of an unpublished version, not even that there is one.
    assert "changed since" not in bob.get(f"/materials/{lesson}/proposals/{pid}").get_data(
        as_text=True)
    conflict = anna.post(f"/materials/{lesson}/proposals/{pid}/accept")
    text = conflict.get_data(as_text=True)
    assert conflict.status_code == 409
    assert "Regel van Anna" in text and "Regel van Bob" in text and "<<<<<<<" not in text
    with app.app_context():
        versions = db.session.scalars(select(MaterialVersion).where(
            MaterialVersion.material_id == lesson)).all()
        assert len(versions) == 2 and not any(has_conflict_markers(v.body) for v in versions)
        assert db.session.get(ChangeProposal, pid).status == ProposalStatus.OPEN
        head_id = db.session.get(Material, lesson).latest_version_id
    # The author settles the text and accepts it.
    settled = BODY.replace("Regel twee", "Regel van Anna en Bob")
    done = anna.post(f"/materials/{lesson}/proposals/{pid}/accept",
                     {"base_version_id": str(head_id), "title": "Breuken", "description": "",
                      "body": settled})
    assert done.status_code == 302
    with app.app_context():
        assert db.session.get(Material, lesson).latest_version.body == settled
        assert db.session.get(ChangeProposal, pid).status == ProposalStatus.ACCEPTED


@pytest.mark.parametrize(("who", "status"), [("bob", 403), ("tom", 404), ("mo", 403),
                                              ("student", 404)])
def test_only_owners_and_co_authors_accept_or_decline(app, new_client, people, lesson, who,
                                                      status):
    propose(as_user(new_client, people["bob"]), lesson, BODY.replace("een", "1"))
    pid = proposal_id(app, lesson)
    client = as_user(new_client, people[who])
    assert client.post(f"/materials/{lesson}/proposals/{pid}/accept").status_code == status
    assert client.post(f"/materials/{lesson}/proposals/{pid}/decline",
                       {"reason": "Nee"}).status_code == status
    with app.app_context():
        assert db.session.get(ChangeProposal, pid).status == ProposalStatus.OPEN
        assert db.session.get(Material, lesson).latest_version.number == 1


def test_a_co_author_accepts(app, new_client, people, lesson):
    propose(as_user(new_client, people["bob"]), lesson, BODY.replace("een", "1"))
    pid = proposal_id(app, lesson)
    cas = as_user(new_client, people["cas"])
    assert cas.post(f"/materials/{lesson}/proposals/{pid}/accept").status_code == 302
    with app.app_context():
        assert db.session.get(ChangeProposal, pid).status == ProposalStatus.ACCEPTED


def test_declining_needs_a_reason_and_notifies_the_proposer(app, new_client, people, lesson):
    bob = as_user(new_client, people["bob"])
    propose(bob, lesson, BODY.replace("een", "1"))
    pid = proposal_id(app, lesson)
    anna = as_user(new_client, people["anna"])
    assert anna.post(f"/materials/{lesson}/proposals/{pid}/decline",
                     {"reason": ""}).status_code == 400
    assert anna.post(f"/materials/{lesson}/proposals/{pid}/decline",
                     {"reason": "Regel een klopt al"}).status_code == 302
    with app.app_context():
        proposal = db.session.get(ChangeProposal, pid)
        assert proposal.status == ProposalStatus.DECLINED
        note = db.session.scalars(select(Notification).where(
            Notification.user_id == people["bob"].id,
            Notification.kind == "proposal.declined")).one()
        assert note.params["reason"] == "Regel een klopt al"
        assert db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "proposal.declined")).one().details["reason"] == \
            "Regel een klopt al"
    inbox = bob.get("/my/notifications").get_data(as_text=True)
    assert "declined your proposed change" in inbox
    with app.test_request_context():
        from oer_portal.notifications.web import notification_url
        assert notification_url("proposal.declined", "proposal", pid,
                                {"material_id": lesson}) == f"/materials/{lesson}/proposals/{pid}"
    page = bob.get(f"/materials/{lesson}/proposals/{pid}").get_data(as_text=True)
    assert "Regel een klopt al" in page and "Declined" in page


def test_authors_see_open_proposals_on_the_material_and_dashboard_and_are_notified(
        app, new_client, people, lesson):
    propose(as_user(new_client, people["bob"]), lesson, BODY.replace("een", "1"),
            summary="Cijfer in plaats van woord")
    pid = proposal_id(app, lesson)
    for person in ("anna", "cas"):
        client = as_user(new_client, people[person])
        link = f"/materials/{lesson}/proposals/{pid}"
        assert link in client.get(f"/materials/{lesson}-breuken").get_data(as_text=True)
        assert link in client.get("/my/materials").get_data(as_text=True)
        with app.app_context():
            assert db.session.scalars(select(Notification.kind).where(
                Notification.user_id == people[person].id)).all() == ["proposal.new"]


def test_the_thread_is_between_proposer_and_authors(app, new_client, people, lesson):
    bob = as_user(new_client, people["bob"])
    propose(bob, lesson, BODY.replace("een", "1"))
    pid = proposal_id(app, lesson)
    anna = as_user(new_client, people["anna"])
    assert anna.post(f"/materials/{lesson}/proposals/{pid}/comment",
                     {"body": "Waarom een cijfer?"}).status_code == 302
    assert bob.post(f"/materials/{lesson}/proposals/{pid}/comment",
                    {"body": "Leest sneller."}).status_code == 302
    assert as_user(new_client, people["mo"]).post(
        f"/materials/{lesson}/proposals/{pid}/comment", {"body": "Ik ook"}).status_code == 403
    page = anna.get(f"/materials/{lesson}/proposals/{pid}").get_data(as_text=True)
    assert page.index("Waarom een cijfer?") < page.index("Leest sneller.")
    assert "Ik ook" not in page


def test_the_public_never_sees_a_proposal(app, client, new_client, people, lesson):
    secret = BODY.replace("Regel twee", "Regel zeldzaamwoordvoorstel")
    propose(as_user(new_client, people["bob"]), lesson, secret, summary="Geheime reden")
    pid = proposal_id(app, lesson)
    page_url = f"/materials/{lesson}/proposals/{pid}"
    for visitor in (client, as_user(new_client, people["student"]),
                    as_user(new_client, people["tom"])):
        response = visitor.get(page_url)
        assert response.status_code in (302, 404)
        assert "zeldzaamwoordvoorstel" not in response.get_data(as_text=True)
        assert visitor.get(page_url + "?view=inline").status_code in (302, 404)
        material_page = visitor.get(f"/materials/{lesson}-breuken").get_data(as_text=True)
        assert "Geheime reden" not in material_page and page_url not in material_page
        data = visitor.get("/api/v1/search", query_string={"q": "zeldzaamwoordvoorstel"}
                           ).get_json()
        assert data["total"] == 0
    assert client.get(page_url).status_code == 302  # anonymous: to the login page first
    # Staff may look (they see everything unpublished), the proposer too.
    assert as_user(new_client, people["mo"]).get(page_url).status_code == 200
    assert "zeldzaamwoordvoorstel" in as_user(new_client, people["bob"]).get(
        page_url).get_data(as_text=True)


def test_a_proposal_of_another_material_is_not_found(app, new_client, people, lesson,
                                                     make_material):
    other = make_material(people["anna"], title="Ander", publish_by=people["mo"])
    propose(as_user(new_client, people["bob"]), lesson, BODY.replace("een", "1"))
    pid = proposal_id(app, lesson)
    anna = as_user(new_client, people["anna"])
    assert anna.get(f"/materials/{other}/proposals/{pid}").status_code == 404
    assert anna.post(f"/materials/{other}/proposals/{pid}/accept").status_code == 404


def test_the_proposer_withdraws(app, new_client, people, lesson):
    bob = as_user(new_client, people["bob"])
    propose(bob, lesson, BODY.replace("een", "1"))
    pid = proposal_id(app, lesson)
    assert bob.post(f"/materials/{lesson}/proposals/{pid}/withdraw").status_code == 302
    with app.app_context():
        assert db.session.get(ChangeProposal, pid).status == ProposalStatus.WITHDRAWN
    anna = as_user(new_client, people["anna"])
    assert anna.post(f"/materials/{lesson}/proposals/{pid}/accept").status_code == 403
    assert re.search(r"Withdrawn", anna.get(f"/materials/{lesson}/proposals/{pid}")
                     .get_data(as_text=True))


def test_pages_run_as_many_statements_with_one_proposal_as_with_many(app, new_client, people,
                                                                     lesson):
    from tests.fixtures.statements import page_statements

    anna = as_user(new_client, people["anna"])
    proposers = [as_user(new_client, people[p]) for p in ("bob", "tom")]
    propose(proposers[0], lesson, BODY.replace("een", "1"))
    pid = proposal_id(app, lesson)
    paths = ("/my/materials", f"/materials/{lesson}-breuken",
             f"/materials/{lesson}/proposals/{pid}")
    few = [len(page_statements(app, anna, path)) for path in paths]
    for n in range(4):
        propose(proposers[1], lesson, BODY.replace("twee", f"{n}"), summary=f"Nummer {n}")
    assert [len(page_statements(app, anna, path)) for path in paths] == few


def test_no_public_channel_carries_a_proposal(app, client, new_client, people, lesson):
    """Open and declined proposals (their text, summary, why and reason) reach none of the
    public channels: the material's pages, its history and diffs, search (page and API), the
    JSON API's material, versions, diff and credits, OAI-PMH, the feeds, the sitemap, the
    embed and the proposer's profile.  Every word is rare, so any leak would show."""
    bob = as_user(new_client, people["bob"])
    propose(bob, lesson, BODY.replace("Regel twee", "Regel zeldzaamvoorsteltekst"),
            summary="Zeldzaamvoorstelreden", title="Zeldzaamvoorsteltitel")
    propose(as_user(new_client, people["tom"]), lesson,
            BODY.replace("Regel drie", "Regel zeldzaamafgewezen"), summary="Tweede voorstel")
    declined = proposal_id(app, lesson)
    as_user(new_client, people["anna"]).post(
        f"/materials/{lesson}/proposals/{declined}/decline",
        {"reason": "Zeldzaamafwijsreden"})
    secrets = ("zeldzaamvoorsteltekst", "Zeldzaamvoorstelreden", "Zeldzaamvoorsteltitel",
               "zeldzaamafgewezen", "Zeldzaamafwijsreden")
    channels = [
        f"/materials/{lesson}-breuken", f"/materials/{lesson}/v/1",
        f"/materials/{lesson}/history", f"/materials/{lesson}/diff?from=1&to=1",
        f"/materials/{lesson}/embed", f"/materials/{lesson}/print",
        f"/api/v1/materials/{lesson}",
        f"/api/v1/materials/{lesson}/versions", f"/api/v1/materials/{lesson}/versions/1",
        f"/api/v1/materials/{lesson}/diff?from=1&to=1", f"/api/v1/materials/{lesson}/credits",
        "/oai?verb=ListRecords&metadataPrefix=oai_dc",
        "/oai?verb=ListRecords&metadataPrefix=lom", "/feeds/materials.atom",
        f"/feeds/people/{people['anna'].id}.atom", "/sitemap.xml",
        f"/people/{people['anna'].id}", f"/people/{people['bob'].id}",
    ]
    for visitor in (client, as_user(new_client, people["student"]),
                    as_user(new_client, people["tom"])):
        for path in channels:
            response = visitor.get(path, follow_redirects=True)
            text = response.get_data(as_text=True)
            assert response.status_code in (200, 404), path
            for secret in secrets:
                assert secret.lower() not in text.lower(), (path, secret)
        # Search echoes the words asked for, so it is held to finding nothing.
        for word in ("zeldzaamvoorsteltekst", "Zeldzaamvoorsteltitel", "zeldzaamafgewezen",
                     "Zeldzaamvoorstelreden"):
            assert visitor.get("/api/v1/search", query_string={"q": word}
                               ).get_json()["total"] == 0
            assert f"/materials/{lesson}" not in visitor.get(
                "/search", query_string={"q": word}).get_data(as_text=True)
    # The channels do carry the material itself (the checks above are not vacuous).
    assert f"/materials/{lesson}" in client.get("/search?q=Breuken").get_data(as_text=True)
    assert client.get("/api/v1/search?q=Breuken").get_json()["total"] == 1
    assert "Breuken" in client.get("/oai?verb=ListRecords&metadataPrefix=oai_dc"
                                   ).get_data(as_text=True)
    assert "Breuken" in client.get("/feeds/materials.atom").get_data(as_text=True)
    # There is no version of a proposal to ask for by number.
    assert client.get(f"/materials/{lesson}/v/2").status_code == 404
    assert client.get(f"/api/v1/materials/{lesson}/versions/2").status_code == 404
    assert client.get(f"/materials/{lesson}/diff?from=1&to=2").status_code == 404
