"""The licence rule on every save: a remix carries only a licence its sources allow, through
the editor, a tampered form, the service, revert, upstream pull and import; and
``flask materials check-licences`` finds what slipped through before the rule."""

from __future__ import annotations

import html
import re
from dataclasses import replace

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from oer_portal.accounts.models import User
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import licensing, service
from oer_portal.materials.attachments import refs_of
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import Material, MaterialVersion
from tests.integration.test_remix import publish, remix_via_page
from tests.integration.test_upstream import _upstream_form, save


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher", name="Anna Aalders"),
            "bea": make_user("teacher", name="Bea Bakker"),
            "mod": make_user("moderator", name="Mo Moderator")}


@pytest.fixture()
def share_alike_remix(app, client, people, make_material):
    """Bea's draft remix of Anna's CC BY-SA 3.0 lesson (Bea is logged in)."""
    source = make_material(people["anna"], title="Breuken", licence="CC-BY-SA-3.0",
                           publish_by=people["mod"])
    client.login(people["bea"].email)
    return source, remix_via_page(client, source, "CC-BY-SA-4.0", "Breuken anders")


def _versions(app, material_id: int) -> list[tuple[int, str]]:
    with app.app_context():
        return [(v.number, v.licence) for v in db.session.scalars(
            select(MaterialVersion).where(MaterialVersion.material_id == material_id)
            .order_by(MaterialVersion.number))]


def _edit_form(client, material_id: int, **changes: str) -> dict[str, object]:
    page = client.get(f"/materials/{material_id}/edit").get_data(as_text=True)
    form: dict[str, object] = {
        "base_version_id": re.search(r'name="base_version_id" type="hidden" value="(\d+)"',
                                     page)[1],
        "title": "Breuken anders", "body": "Regel een\n", "language": "nl",
        "licence": "CC-BY-SA-4.0", "save": "1"}
    form.update(changes)
    return form


def test_the_remix_editor_offers_only_the_licences_the_sources_allow_and_says_why(
        client, share_alike_remix):
    _source, remix = share_alike_remix
    page = client.get(f"/materials/{remix}/edit").get_data(as_text=True)
    offered = re.findall(r'name="licence"[^>]*value="([^"]+)"', page)
    assert offered == ["CC-BY-SA-4.0"]
    assert "This is a remix of “Breuken” (CC BY-SA). Because of the ShareAlike condition of "\
           "CC BY-SA, a remix is shared under the " \
           "same licence: CC BY-SA." in page


def test_a_teachers_own_material_still_offers_every_licence(client, people, make_material):
    own = make_material(people["bea"])
    client.login(people["bea"].email)
    page = client.get(f"/materials/{own}/edit").get_data(as_text=True)
    assert len(re.findall(r'name="licence"[^>]*value="', page)) == 8
    assert "ShareAlike condition" not in page


def test_a_tampered_form_is_refused_with_the_engines_reason_and_keeps_the_text(
        app, client, share_alike_remix):
    _source, remix = share_alike_remix
    response = client.post(f"/materials/{remix}/edit", _edit_form(
        client, remix, licence="CC-BY-4.0", body="Mijn nieuwe uitleg\n"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The licence CC BY is not allowed for this remix. Because of the ShareAlike " \
           "condition of CC BY-SA" in page
    assert "Mijn nieuwe uitleg" in page
    assert _versions(app, remix) == [(1, "CC-BY-SA-4.0")]


def test_the_refusal_is_in_dutch_for_a_dutch_teacher(app, client, share_alike_remix):
    _source, remix = share_alike_remix
    client.post("/language", {"locale": "nl"})
    page = client.post(f"/materials/{remix}/edit", _edit_form(
        client, remix, licence="CC-BY-NC-4.0")).get_data(as_text=True)
    assert "De licentie CC BY-NC is voor deze remix niet toegestaan. Door de voorwaarde " \
           "GelijkDelen van CC BY-SA" in page
    assert _versions(app, remix) == [(1, "CC-BY-SA-4.0")]


def test_an_allowed_licence_saves(app, client, share_alike_remix):
    _source, remix = share_alike_remix
    response = client.post(f"/materials/{remix}/edit", _edit_form(client, remix))
    assert response.status_code == 302
    assert _versions(app, remix) == [(1, "CC-BY-SA-4.0"), (2, "CC-BY-SA-4.0")]


def test_the_service_refuses_a_forbidden_licence_on_every_write(app, people, share_alike_remix):
    _source, remix = share_alike_remix
    with app.app_context():
        bea = db.session.get(User, people["bea"].id)
        head = db.session.get(Material, remix).latest_version
        with pytest.raises(licensing.LicenceNotAllowed) as refused:
            service.save_version(bea, remix, head.id,
                                 replace(VersionFields.of(head), licence="CC0-1.0"),
                                 refs_of(head.attachments))
        assert "CC0" in refused.value.errors["licence"]
        db.session.rollback()
    assert _versions(app, remix) == [(1, "CC-BY-SA-4.0")]


def test_a_remix_cannot_be_created_under_a_forbidden_licence(app, people, make_material):
    from oer_portal.remix import service as remixing

    source = make_material(people["anna"], licence="CC-BY-NC-4.0", publish_by=people["mod"])
    with app.app_context():
        bea = db.session.get(User, people["bea"].id)
        with pytest.raises(licensing.LicenceNotAllowed) as refused, force_locale("en"):
            remixing.remix(bea, source, None, "CC-BY-4.0")
        assert "NonCommercial" in refused.value.errors["licence"]
        db.session.rollback()
        assert db.session.scalar(select(Material).where(
            Material.derived_from_version_id.is_not(None))) is None


def test_revert_to_a_licence_the_sources_no_longer_allow_keeps_the_current_licence(
        app, client, people, make_material):
    """The original moves from CC BY to CC BY-SA; the remix pulls that (and with it CC BY-SA);
    reverting the remix to its first version restores the text, not the old licence."""
    source = make_material(people["anna"], body="Een\n", licence="CC-BY-4.0",
                           publish_by=people["mod"])
    client.login(people["bea"].email)
    remix = remix_via_page(client, source, "CC-BY-4.0", "Breuken")
    publish(app, remix, people["mod"])
    save(app, people["anna"], source, body="Een\nTwee\n", licence="CC-BY-SA-4.0")
    publish(app, source, people["mod"])
    pulled = client.post(f"/materials/{remix}/upstream/pull", _upstream_form(client, remix),
                         follow_redirects=True).get_data(as_text=True)
    assert "your remix now has the licence" in pulled
    assert _versions(app, remix) == [(1, "CC-BY-4.0"), (2, "CC-BY-SA-4.0")]

    with app.app_context():
        base = db.session.get(Material, remix).latest_version_id
    page = html.unescape(client.post(f"/materials/{remix}/revert/1", {"base_version_id": base},
                                     follow_redirects=True).get_data(as_text=True))
    assert "Version 3 restores version 1" in page
    assert "Its licence CC BY is no longer allowed by the original's licence, so the " \
           "remix keeps CC BY-SA." in page
    assert _versions(app, remix) == [(1, "CC-BY-4.0"), (2, "CC-BY-SA-4.0"),
                                     (3, "CC-BY-SA-4.0")]
    with app.app_context():
        third = service.version_by_number(remix, 3)
        assert third.body == "Een\n"


def test_a_revert_within_the_rule_restores_the_licence_too(app, client, people, make_material):
    source = make_material(people["anna"], licence="CC-BY-4.0", publish_by=people["mod"])
    client.login(people["bea"].email)
    remix = remix_via_page(client, source, "CC-BY-4.0", "Breuken")
    client.post(f"/materials/{remix}/edit", _edit_form(client, remix, licence="CC-BY-SA-4.0"))
    with app.app_context():
        base = db.session.get(Material, remix).latest_version_id
    page = client.post(f"/materials/{remix}/revert/1", {"base_version_id": base},
                       follow_redirects=True).get_data(as_text=True)
    assert "no longer allowed" not in page
    assert _versions(app, remix)[-1] == (3, "CC-BY-4.0")


def _write_breach(app, remix: int, licence: str) -> None:
    """A version written past the services, as data from before the rule could be."""
    with app.app_context():
        material = db.session.get(Material, remix)
        head = material.latest_version
        version = MaterialVersion(
            material_id=remix, number=head.number + 1, title=head.title,
            description=head.description, body=head.body, body_html=head.body_html,
            language=head.language, licence=licence, link_url=None, meta=head.meta,
            author_id=head.author_id, summary="", base_version_id=head.id,
            created_at=head.created_at)
        db.session.add(version)
        db.session.flush()
        material.latest_version_id = version.id
        current_uow().commit()


def test_check_licences_lists_every_breach_and_exits_1(app, runner, share_alike_remix):
    source, remix = share_alike_remix
    clean = runner.invoke(args=["materials", "check-licences"])
    assert clean.exit_code == 0, clean.output
    assert "0 versions break the licence rule." in clean.output

    _write_breach(app, remix, "CC-BY-4.0")
    found = runner.invoke(args=["materials", "check-licences"])
    assert found.exit_code == 1
    assert f"Material {remix} version 2 has CC-BY-4.0; its source material {source} " \
           "version 1 (CC-BY-SA-3.0) allows only: CC-BY-SA-4.0" in found.output
    assert f"Material {remix} version 1" not in found.output
    assert "1 version breaks the licence rule." in found.output


def test_the_next_save_of_a_breaching_remix_must_choose_an_allowed_licence(
        app, client, share_alike_remix):
    _source, remix = share_alike_remix
    _write_breach(app, remix, "CC-BY-4.0")
    page = client.get(f"/materials/{remix}/edit").get_data(as_text=True)
    assert re.findall(r'name="licence"[^>]*value="([^"]+)"', page) == ["CC-BY-SA-4.0"]
    assert 'value="CC-BY-SA-4.0" checked' not in page  # the breach is not preselected
    assert client.post(f"/materials/{remix}/edit",
                       _edit_form(client, remix, licence="CC-BY-4.0")).status_code == 200
    assert client.post(f"/materials/{remix}/edit", _edit_form(client, remix)).status_code == 302
