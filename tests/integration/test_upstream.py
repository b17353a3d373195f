"""Upstream awareness: the remix's owner hears when the original publishes a newer version,
sees what changed, dismisses it or pulls it (three-way merge into a new draft, conflicts
marked, nothing lost)."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func, select

from oer_portal.accounts.models import User
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import lifecycle, service
from oer_portal.materials.attachments import refs_of
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import Material, MaterialVersion
from oer_portal.remix.models import RemixPull
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


def conflicting(app, people, remixed) -> tuple[int, int]:
    """Bea's remix and Anna's original changed the same line and the title differently, and
    Anna's is published; both also added a line at the end (no conflict)."""
    source, remix = remixed
    save(app, people["bea"], remix, title="Breuken voor groep 7",
         body=BODY.replace("Oefening 2.", "Oefening 2 met pizza's.") + "Van Bea.\n")
    save(app, people["anna"], source, title="Breuken vergelijken",
         body=BODY.replace("Oefening 2.", "Oefening 2 met taart.") + "Van Anna.\n")
    publish(app, source, people["mod"])
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


def test_sections_both_added_at_the_end_are_pulled_without_a_conflict(app, client, people,
                                                                      remixed):
    source, remix = remixed
    save(app, people["bea"], remix, body=BODY + "\n## Voor groep 7\n\nMet pizza's.\n")
    save(app, people["anna"], source, body=BODY + "\n## Exit-ticket\n\nDrie breuken.\n")
    publish(app, source, people["mod"])
    assert "do not overlap" in client.get(f"/materials/{remix}/upstream").get_data(as_text=True)
    response = client.post(f"/materials/{remix}/upstream/pull", _upstream_form(client, remix))
    assert response.status_code == 302 and "/v/3" in response.headers["Location"]
    # Both sections, whole: the remix's own first, then the original's.
    assert head(app, remix).body == BODY + ("\n## Voor groep 7\n\nMet pizza's.\n"
                                           "\n## Exit-ticket\n\nDrie breuken.\n")


def test_a_conflicting_pull_saves_nothing_and_asks_what_to_keep(app, client, people,
                                                                 remixed):
    source, remix = conflicting(app, people, remixed)
    upstream_page = client.get(f"/materials/{remix}/upstream").get_data(as_text=True)
    assert "changed the same parts in 2 places" in upstream_page
    assert f'href="/materials/{remix}/upstream/resolve"' in upstream_page
    assert f"/materials/{remix}/upstream/pull" not in upstream_page

    # A pull posted anyway (an upstream page opened before the remix changed) saves nothing.
    response = client.post(f"/materials/{remix}/upstream/pull", {
        "source_version_id": str(head(app, source).id)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/materials/{remix}/upstream/resolve")
    assert head(app, remix).number == 2
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RemixPull)) == 0

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Choose what to keep" in page and "Passage 1 of 1" in page
    # Side by side, with the unchanged text around it and the words that differ marked.
    assert "Oefening 2 met <mark>pizza&#39;s</mark>." in page
    assert "Oefening 2 met <mark>taart</mark>." in page
    assert "Text before it:" in page and "Oefening 1." in page
    assert "Afsluiting." in page
    # The field both changed, with both values.
    assert "Breuken voor groep 7" in page and "Breuken vergelijken" in page
    for choice in ("Keep yours", "Keep the original", "Keep both: yours first",
                   "Use the text in the box below", "Take the original"):
        assert choice in page
    # The box starts as both texts, yours first.
    assert "Oefening 2 met pizza&#39;s.\nOefening 2 met taart.</textarea>" in page
    assert "<<<<<<<" not in page and "=======" not in page


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


# -- Resolving a conflicting pull ---------------------------------------------------------


def _resolution_form(client, remix: int) -> dict[str, str]:
    """The hidden fields of the resolution page as it is now."""
    page = client.get(f"/materials/{remix}/upstream/resolve").get_data(as_text=True)
    return {name: re.search(rf'name="{name}" type="hidden" value="(\d+)"', page)[1]
            for name in ("base_version_id", "ours_version_id", "theirs_version_id")}


def _versions_with_markers(app) -> list[str]:
    with app.app_context():
        return [body for body in db.session.scalars(select(MaterialVersion.body))
                if "<<<<<<<" in body or ">>>>>>>" in body]


REMIX_BODY = BODY.replace("Oefening 2.", "Oefening 2 met pizza's.")


@pytest.mark.parametrize(("choice", "text", "expected"), [
    ("mine", "", "Oefening 2 met pizza's.\n"),
    ("theirs", "", "Oefening 2 met taart.\n"),
    ("both", "", "Oefening 2 met pizza's.\nOefening 2 met taart.\n"),
    ("own", "Oefening 2 met pizza's\r\nen taart.\r\n", "Oefening 2 met pizza's\nen taart.\n"),
])
def test_each_choice_makes_a_draft_with_the_chosen_text(app, client, new_client, people,
                                                        remixed, choice, text, expected):
    source, remix = conflicting(app, people, remixed)
    form = {**_resolution_form(client, remix), "passage_1": choice, "field_title": "mine"}
    if text:
        form["passage_1_text"] = text
    response = client.post(f"/materials/{remix}/upstream/resolve", form)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith(f"/materials/{remix}/v/3")
    pulled = head(app, remix)
    assert pulled.number == 3 and pulled.title == "Breuken voor groep 7"
    # The original's other change is in, and both lines added at the end (Bea's first).
    assert pulled.body == BODY.replace("Oefening 2.\n", expected) + "Van Bea.\nVan Anna.\n"
    assert pulled.summary == ("Changes from “Breuken vergelijken” version 2, with your "
                              "choices where you both changed the same parts")
    assert not _versions_with_markers(app)
    source_head = head(app, source).id
    with app.app_context():
        pull_row = db.session.scalar(select(RemixPull))
        assert (pull_row.version_id, pull_row.source_version_id) == (pulled.id, source_head)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "merged into version 3, a draft" in page
    assert "The original has a new version" not in page
    assert "still holds places" not in page
    assert f"Adapted from “Breuken vergelijken” (http://localhost/materials/{source}/v/2)" \
        in page
    # The public still sees the published remix; the draft goes to review as usual.
    assert "taart" not in new_client().get(f"/materials/{remix}", follow_redirects=True
                                           ).get_data(as_text=True)
    client.post(f"/materials/{remix}/submit", {})
    with app.app_context():
        assert lifecycle.pending_review(remix).version_id == pulled.id


def test_fields_both_changed_are_chosen_on_the_same_page(app, client, people, remixed):
    source, remix = remixed
    save(app, people["bea"], remix, title="Breuken voor groep 7", keywords=("pizza",),
         duration_minutes=45)
    save(app, people["anna"], source, title="Breuken vergelijken", keywords=("taart",),
         duration_minutes=60)
    publish(app, source, people["mod"])
    page = client.get(f"/materials/{remix}/upstream/resolve").get_data(as_text=True)
    assert "Passage" not in page  # no text conflicts: only the fields
    assert "Duration in minutes" in page and "<strong>45</strong>" in page
    assert "<strong>60</strong>" in page
    # "Both" is offered for a list, not for a title.
    assert 'name="field_keywords" required type="radio" value="both"' in page
    assert 'name="field_title" required type="radio" value="both"' not in page
    response = client.post(f"/materials/{remix}/upstream/resolve", {
        **_resolution_form(client, remix), "field_title": "theirs",
        "field_keywords": "both", "field_duration_minutes": "mine"})
    assert response.status_code == 302, response.get_data(as_text=True)
    pulled = head(app, remix)
    assert pulled.title == "Breuken vergelijken"
    assert pulled.meta["keywords"] == ["pizza", "taart"]
    assert pulled.meta["duration_minutes"] == 45


def test_missing_and_tampered_choices_save_nothing(app, client, people, remixed):
    _source, remix = conflicting(app, people, remixed)
    ids = _resolution_form(client, remix)
    url = f"/materials/{remix}/upstream/resolve"

    missing = client.post(url, {**ids, "field_title": "mine"})
    assert missing.status_code == 422
    page = missing.get_data(as_text=True)
    assert 'href="#passage_1-0">Passage 1: Choose what to keep.' in page
    assert 'aria-describedby="passage_1-error"' in page
    assert 'checked id="field_title-0"' in page  # the title choice stays

    for tampered in ({"passage_1": "evil", "field_title": "mine"},
                     {"passage_1": "mine", "field_title": "both"},  # not a list
                     {"passage_1": "mine", "field_title": "own"},
                     {"passage_1": "mine"}):  # the field left out
        response = client.post(url, {**ids, **tampered})
        assert response.status_code == 422, tampered
        assert "Please correct the following" in response.get_data(as_text=True)

    # Text typed in the box but another choice made: refused, the text kept in the form.
    typed = client.post(url, {**ids, "passage_1": "mine", "field_title": "mine",
                              "passage_1_text": "Mijn eigen oefening."})
    assert typed.status_code == 422
    page = html.unescape(typed.get_data(as_text=True))
    assert "You changed the text in the box but chose “Keep yours”." in page
    assert "Mijn eigen oefening.</textarea>" in page
    # An emptied box with another choice is fine; extra fields are ignored.
    assert client.post(url, {**ids, "passage_1": "mine", "field_title": "mine",
                             "passage_1_text": "", "passage_2": "theirs",
                             "licence": "CC0-1.0", "field_licence": "theirs"}
                       ).status_code == 302
    assert head(app, remix).licence == "CC-BY-4.0"
    assert head(app, remix).number == 3

    # Ids that are not ids at all.
    assert client.post(url, {**ids, "ours_version_id": "drie", "passage_1": "mine",
                             "field_title": "mine"}).status_code == 400


def test_a_stale_page_is_refused_with_a_link_to_start_again(app, client, people, remixed):
    source, remix = conflicting(app, people, remixed)
    url = f"/materials/{remix}/upstream/resolve"
    ids = _resolution_form(client, remix)
    choices = {"passage_1": "own", "passage_1_text": "Wat ik schreef.", "field_title": "mine"}

    # Someone saved the remix meanwhile (a co-author, another tab).
    save(app, people["bea"], remix, description="Intussen bewerkt.")
    stale = client.post(url, {**ids, **choices})
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "changed after this page was opened" in page
    assert f'href="{url}">Start again' in page
    assert "Wat ik schreef.</textarea>" in page  # nothing typed is lost
    assert head(app, remix).number == 3

    # Started again: the page works from the new head.
    fresh = _resolution_form(client, remix)
    assert fresh["ours_version_id"] != ids["ours_version_id"]

    # The original published yet another version meanwhile.
    save(app, people["anna"], source, body=BODY.replace("Oefening 2.", "Oefening 2 met taart.")
         + "Van Anna.\nNog meer.\n")
    publish(app, source, people["mod"])
    assert client.post(url, {**fresh, **choices}).status_code == 409
    assert head(app, remix).number == 3

    # Tampered ids are stale ids: the page they name is not the current one.
    current = _resolution_form(client, remix)
    for name in current:
        forged = {**current, name: str(int(current[name]) + 1)}
        assert client.post(url, {**forged, **choices}).status_code == 409, name
    assert head(app, remix).number == 3

    # Saved once; the same form again (a second click, the back button) saves nothing more.
    assert client.post(url, {**current, **choices}).status_code == 302
    again = client.post(url, {**current, **choices})
    assert again.status_code == 409
    assert "already in your remix" in again.get_data(as_text=True)
    assert head(app, remix).number == 4


def test_only_the_remix_authors_may_resolve(app, client, new_client, people, make_user,
                                            remixed):
    _source, remix = conflicting(app, people, remixed)
    url = f"/materials/{remix}/upstream/resolve"
    form = {**_resolution_form(client, remix), "passage_1": "theirs", "field_title": "theirs"}
    stranger, anna, visitor = new_client(), new_client(), new_client()
    stranger.login(make_user("teacher").email)
    anna.login(people["anna"].email)  # the original's author is not the remix's
    for someone in (stranger, anna):
        assert someone.get(url).status_code == 403
        assert someone.post(url, form).status_code == 403
    assert visitor.get(url).status_code == 302
    assert visitor.post(url, form).status_code == 302
    assert head(app, remix).number == 2


def test_a_resolved_pull_still_follows_the_licence_rule(app, client, runner, people, remixed):
    source, remix = remixed
    save(app, people["bea"], remix, body=REMIX_BODY)
    save(app, people["anna"], source, licence="CC-BY-SA-4.0",
         body=BODY.replace("Oefening 2.", "Oefening 2 met taart."))
    publish(app, source, people["mod"])
    page = client.get(f"/materials/{remix}/upstream").get_data(as_text=True)
    assert "your remix will get the licence" in page
    response = client.post(f"/materials/{remix}/upstream/resolve", {
        **_resolution_form(client, remix), "passage_1": "mine", "licence": "CC-BY-4.0"},
        follow_redirects=True)
    assert "your remix now has the licence CC BY-SA 4.0" in response.get_data(as_text=True)
    assert head(app, remix).licence == "CC-BY-SA-4.0"
    assert runner.invoke(args=["materials", "check-licences"]).exit_code == 0

    # An original that no longer allows adaptations has nothing to resolve.
    save(app, people["anna"], source, licence="CC-BY-ND-4.0",
         body=BODY.replace("Oefening 2.", "Oefening 2 met appeltaart."))
    publish(app, source, people["mod"])
    refused = client.get(f"/materials/{remix}/upstream/resolve", follow_redirects=True)
    assert "cannot be pulled" in refused.get_data(as_text=True)
    assert head(app, remix).number == 3


def test_choices_that_make_invalid_fields_are_shown_not_saved(app, client, people, remixed):
    source, remix = remixed
    save(app, people["bea"], remix, age_min=6, age_max=8)
    save(app, people["anna"], source, age_min=11, age_max=12)
    publish(app, source, people["mod"])
    response = client.post(f"/materials/{remix}/upstream/resolve", {
        **_resolution_form(client, remix), "field_age_min": "theirs", "field_age_max": "mine"})
    assert response.status_code == 422
    assert "Oldest age: The highest age cannot be below the lowest." in html.unescape(
        response.get_data(as_text=True))
    assert head(app, remix).number == 2
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RemixPull)) == 0


def test_the_resolution_page_has_nothing_to_do_without_conflicts(app, client, people,
                                                                remixed):
    source, remix = remixed
    url = f"/materials/{remix}/upstream/resolve"
    up_to_date = client.get(url)
    assert up_to_date.status_code == 302
    assert "up to date" in client.get(up_to_date.headers["Location"]).get_data(as_text=True)
    save(app, people["anna"], source, body=BODY + "Extra.\n")
    publish(app, source, people["mod"])
    clean = client.get(url, follow_redirects=True).get_data(as_text=True)
    assert "There is nothing to choose" in clean and "Take the changes into a new draft" in clean


def test_a_draft_with_markers_from_before_still_warns_and_cannot_be_submitted(app, client,
                                                                            people, remixed):
    """Pulls used to save conflicts between markers; such drafts keep their warning and
    cannot be submitted until the teacher edits the markers away."""
    _source, remix = remixed
    old = save(app, people["bea"], remix, body=BODY.replace(
        "Oefening 2.\n", "<<<<<<< your remix\nOefening 2 met pizza's.\n=======\n"
        "Oefening 2 met taart.\n>>>>>>> original, version 2\n"))
    page = client.get(f"/materials/{remix}", follow_redirects=True).get_data(as_text=True)
    assert "still holds places where you and the original changed the same lines" in page
    refused = client.post(f"/materials/{remix}/submit", {}, follow_redirects=True)
    assert "still holds conflict markers" in refused.get_data(as_text=True)
    with app.app_context():
        assert lifecycle.pending_review(remix) is None
    client.post(f"/materials/{remix}/edit", {
        "title": "Breuken", "language": "nl", "licence": "CC-BY-4.0",
        "body": BODY.replace("Oefening 2.", "Oefening 2 met pizza's en taart."),
        "base_version_id": old, "save": "1"})
    page = client.get(f"/materials/{remix}", follow_redirects=True).get_data(as_text=True)
    assert "still holds places" not in page
