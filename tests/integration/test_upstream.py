"""Upstream awareness: the remix's owner hears when the original publishes a newer version,
sees what changed, dismisses it or pulls it (three-way merge into a new draft, conflicts
marked, nothing lost)."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select

from oer_portal.accounts.models import User
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import lifecycle, service
from oer_portal.materials.attachments import refs_of
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import Material, MaterialVersion
from tests.integration.test_remix import publish, remix_via_page

BODY = "# Breuken\n\nInleiding.\n\nOefening 1.\n\nOefening 2.\n\nAfsluiting.\n"


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher", name="Anna Aalders"),
            "bea": make_user("teacher", name="Bea Bakker"),
            "mod": make_user("moderator", name="Mo Moderator")}


def save(app, user, material_id: int, **changes: Any) -> int:
    """A new head version of the material with ``changes`` to its fields."""
    with app.app_context():
        head = db.session.get(Material, material_id).latest_version
        version = service.save_version(db.session.get(User, user.id), material_id, head.id,
                                       replace(VersionFields.of(head), **changes),
                                       refs_of(head.attachments)).version
        current_uow().commit()
        return version.id


def head(app, material_id: int) -> MaterialVersion:
    with app.app_context():
        version = db.session.get(Material, material_id).latest_version
        db.session.expunge(version)
        return version


@pytest.fixture()
def remixed(app, client, people, make_material):
    """Anna's published lesson and Bea's published remix of it (Bea is logged in)."""
    source = make_material(people["anna"], title="Breuken", body=BODY,
                           keywords=("breuken",), publish_by=people["mod"])
    client.login(people["bea"].email)
    remix = remix_via_page(client, source, "CC-BY-4.0", "Breuken")
    publish(app, remix, people["mod"])
    return source, remix


def _upstream_form(client, remix: int) -> dict[str, str]:
    page = client.get(f"/materials/{remix}/upstream").get_data(as_text=True)
    return {"source_version_id": re.search(r'name="source_version_id" value="(\d+)"', page)[1]}


def test_the_owner_sees_a_notice_when_the_original_publishes_a_newer_version(
        app, client, new_client, people, make_user, remixed):
    source, remix = remixed
    page = client.get(f"/materials/{remix}", follow_redirects=True).get_data(as_text=True)
    assert "The original has a new version" not in page

    save(app, people["anna"], source, body=BODY.replace("Afsluiting.", "Afsluiting met quiz."))
    page = client.get(f"/materials/{remix}", follow_redirects=True).get_data(as_text=True)
    assert "The original has a new version" not in page  # a draft upstream is no news
    publish(app, source, people["mod"])

    page = client.get(f"/materials/{remix}", follow_redirects=True).get_data(as_text=True)
    assert "The original has a new version" in page
    assert "“Breuken” has published version 2. Your remix is based on version 1." in page
    dashboard = client.get("/my/materials").get_data(as_text=True)
    assert "Originals with new versions" in dashboard
    assert f"/materials/{remix}/upstream" in dashboard

    visitor, teacher = new_client(), new_client()
    teacher.login(make_user("teacher").email)
    for someone in (visitor, teacher):
        assert "The original has a new version" not in someone.get(
            f"/materials/{remix}", follow_redirects=True).get_data(as_text=True)
    assert teacher.get(f"/materials/{remix}/upstream").status_code == 403
    assert teacher.post(f"/materials/{remix}/upstream/pull",
                        {"source_version_id": "1"}).status_code == 403
    assert visitor.get(f"/materials/{remix}/upstream").status_code == 302  # log in first


def test_the_upstream_page_shows_the_diff_between_remixed_and_latest(app, client, people,
                                                                     remixed):
    source, remix = remixed
    save(app, people["anna"], source, body=BODY.replace("Afsluiting.", "Afsluiting met quiz."),
         keywords=("breuken", "quiz"))
    publish(app, source, people["mod"])
    page = client.get(f"/materials/{remix}/upstream").get_data(as_text=True)
    assert "Changes in the original" in page
    assert '<ins class="diff-ins">' in page and "quiz" in page
    assert "Keywords" in page
    assert "do not overlap" in page


def test_dismiss_hides_the_notice_until_the_next_version(app, client, people, remixed):
    source, remix = remixed
    save(app, people["anna"], source, body=BODY + "\nExtra.\n")
    publish(app, source, people["mod"])
    response = client.post(f"/materials/{remix}/upstream/dismiss", _upstream_form(client, remix))
    assert response.status_code == 302
    page = client.get(f"/materials/{remix}", follow_redirects=True).get_data(as_text=True)
    assert "The original has a new version" not in page
    assert "Originals with new versions" not in client.get("/my/materials").get_data(
        as_text=True)

    save(app, people["anna"], source, body=BODY + "\nNog meer.\n")
    publish(app, source, people["mod"])
    page = client.get(f"/materials/{remix}", follow_redirects=True).get_data(as_text=True)
    assert "has published version 3" in page


def test_pulling_merges_cleanly_when_the_remixer_changed_other_lines(app, client, new_client,
                                                                     people, remixed):
    source, remix = remixed
    save(app, people["bea"], remix, body=BODY.replace("Inleiding.", "Inleiding voor groep 7."))
    save(app, people["anna"], source, body=BODY.replace("Afsluiting.", "Afsluiting met quiz."),
         keywords=("breuken", "quiz"))
    publish(app, source, people["mod"])
    form = _upstream_form(client, remix)
    response = client.post(f"/materials/{remix}/upstream/pull", form)
    assert response.status_code == 302 and not response.headers["Location"].endswith("/edit")
    merged = head(app, remix)
    assert merged.number == 3 and not merged.merged
    assert merged.body == BODY.replace("Inleiding.", "Inleiding voor groep 7.").replace(
        "Afsluiting.", "Afsluiting met quiz.")
    assert merged.meta["keywords"] == ["breuken", "quiz"]
    assert merged.summary == "Changes from “Breuken” version 2"
    # The notice is gone; the public still sees the published remix until it is reviewed.
    page = client.get(f"/materials/{remix}", follow_redirects=True).get_data(as_text=True)
    assert "The original has a new version" not in page
    public = new_client().get(f"/materials/{remix}", follow_redirects=True).get_data(
        as_text=True)
    assert "met quiz" not in public
    # Each version is credited to the version of the original it was based on.
    pulled_page = client.get(f"/materials/{remix}/v/3").get_data(as_text=True)
    assert f"Adapted from “Breuken” (http://localhost/materials/{source}/v/2) (version 2)" \
        in pulled_page
    first_page = client.get(f"/materials/{remix}/v/1").get_data(as_text=True)
    assert f"Adapted from “Breuken” (http://localhost/materials/{source}/v/1) (version 1)" \
        in first_page
    # Pulling the same version again is refused (it is no longer new), nothing is written.
    again = client.post(f"/materials/{remix}/upstream/pull", form, follow_redirects=True)
    assert "has changed since you looked" in again.get_data(as_text=True)
    assert head(app, remix).number == 3


def test_pulling_marks_conflicts_when_both_changed_the_same_lines(app, client, people,
                                                                  remixed):
    source, remix = remixed
    save(app, people["bea"], remix, title="Breuken voor groep 7",
         body=BODY.replace("Oefening 2.", "Oefening 2 met pizza's."))
    save(app, people["anna"], source, title="Breuken vergelijken",
         body=BODY.replace("Oefening 2.", "Oefening 2 met taart."))
    publish(app, source, people["mod"])
    response = client.post(f"/materials/{remix}/upstream/pull", _upstream_form(client, remix))
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/materials/{remix}/edit")
    pulled = head(app, remix)
    assert pulled.number == 3 and pulled.title == "Breuken voor groep 7"  # theirs in the flash
    assert "<<<<<<< your remix\nOefening 2 met pizza's.\n=======\nOefening 2 met taart.\n" \
           ">>>>>>> original, version 2\n" in pulled.body
    assert pulled.summary.endswith("(with conflicts to resolve)")
    editor = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "changed the same lines in 1 place." in editor
    assert "Title: you and the original both changed it" in editor
    assert "Breuken vergelijken" in editor
    assert "Oefening 2 met pizza&#39;s." in editor and "Oefening 2 met taart." in editor
    page = client.get(f"/materials/{remix}", follow_redirects=True).get_data(as_text=True)
    assert "still holds places where you and the original changed the same lines" in page
    refused = client.post(f"/materials/{remix}/submit", {}, follow_redirects=True)
    assert "still holds conflict markers" in refused.get_data(as_text=True)
    with app.app_context():
        assert lifecycle.pending_review(remix) is None

    # Resolving: the teacher saves without markers; the warning goes away.
    client.post(f"/materials/{remix}/edit", {
        "title": "Breuken voor groep 7", "language": "nl", "licence": "CC-BY-4.0",
        "body": BODY.replace("Oefening 2.", "Oefening 2 met pizza's en taart."),
        "base_version_id": pulled.id, "save": "1"})
    page = client.get(f"/materials/{remix}", follow_redirects=True).get_data(as_text=True)
    assert "still holds places" not in page


def test_a_stale_pull_never_takes_a_version_the_owner_did_not_see(app, client, people,
                                                                  remixed):
    source, remix = remixed
    save(app, people["anna"], source, body=BODY + "\nVersie 2.\n")
    publish(app, source, people["mod"])
    seen = _upstream_form(client, remix)
    save(app, people["anna"], source, body=BODY + "\nVersie 3.\n")
    publish(app, source, people["mod"])
    page = client.post(f"/materials/{remix}/upstream/pull", seen, follow_redirects=True)
    assert "has changed since you looked" in page.get_data(as_text=True)
    assert head(app, remix).number == 1


def test_pulling_a_licence_change_keeps_the_remix_compatible(app, client, people, remixed):
    source, remix = remixed
    save(app, people["anna"], source, licence="CC-BY-SA-4.0", body=BODY + "\nGelijk delen.\n")
    publish(app, source, people["mod"])
    page = client.post(f"/materials/{remix}/upstream/pull", _upstream_form(client, remix),
                       follow_redirects=True).get_data(as_text=True)
    assert "your remix now has the licence CC BY-SA 4.0" in page
    assert head(app, remix).licence == "CC-BY-SA-4.0"

    save(app, people["anna"], source, licence="CC-BY-ND-4.0", body=BODY + "\nDicht.\n")
    publish(app, source, people["mod"])
    upstream = client.get(f"/materials/{remix}/upstream").get_data(as_text=True)
    assert "does not allow adaptations" in upstream
    refused = client.post(f"/materials/{remix}/upstream/pull", {
        "source_version_id": str(head(app, source).id)}, follow_redirects=True)
    assert "cannot be pulled" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(MaterialVersion.licence).where(
            MaterialVersion.material_id == remix).order_by(MaterialVersion.number.desc())
            .limit(1)) == "CC-BY-SA-4.0"


def test_merge_upstream_takes_one_sided_field_changes_and_keeps_both_sides(app, people,
                                                                          make_material):
    from oer_portal.remix.upstream import merge_upstream

    base_id = make_material(people["anna"], title="T", body=BODY, keywords=("a",),
                            duration_minutes=30)
    ours = save(app, people["anna"], base_id, duration_minutes=45, body=BODY + "Ons.\n")
    with app.test_request_context():
        base = db.session.scalars(select(MaterialVersion).where(
            MaterialVersion.material_id == base_id).order_by(MaterialVersion.number)).all()
        theirs_fields = VersionFields.of(base[0])
        theirs = MaterialVersion(**{
            "title": "T2", "description": "", "body": BODY.replace("Inleiding.", "Intro."),
            "language": "nl", "licence": "CC-BY-4.0", "meta": {
                **theirs_fields.meta(), "keywords": ["a", "b"], "duration_minutes": 60},
            "number": 9})
        merge = merge_upstream(base[0], db.session.get(MaterialVersion, ours), theirs)
        assert merge.fields.title == "T2"  # only they changed it
        assert merge.fields.keywords == ("a", "b")
        assert merge.fields.duration_minutes == 45  # both changed: ours kept...
        assert [(c.field, c.ours, c.theirs) for c in merge.field_conflicts] == [
            ("duration_minutes", 45, 60)]  # ...and theirs reported
        assert merge.fields.body == BODY.replace("Inleiding.", "Intro.") + "Ons.\n"
        assert not merge.body_conflicts and not merge.clean
