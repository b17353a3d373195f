"""Remix through the pages and the service: who may remix what, which licences are offered,
what is copied (files by reference), and the credits and family tree that follow."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from oer_portal.accounts.models import User
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import lifecycle
from oer_portal.materials.models import Material, StoredFile
from tests.fixtures.samples import image_bytes


def _material_id(response) -> int:
    return int(re.search(r"/materials/(\d+)", response.headers["Location"]).group(1))


def publish(app, material_id: int, moderator) -> None:
    """Publish the head version, as a moderator's approval does."""
    with app.app_context():
        material = db.session.get(Material, material_id)
        lifecycle.publish(material, material.latest_version, db.session.get(User, moderator.id))
        current_uow().commit()


def remix_via_page(client, material_id: int, licence: str, title: str | None = None) -> int:
    form = {"licence": licence, "version": "", **({"title": title} if title else {})}
    if title is None:
        page = client.get(f"/materials/{material_id}/remix").get_data(as_text=True)
        form["title"] = html.unescape(re.search(r'id="title"[^>]*value="([^"]*)"', page)[1])
    response = client.post(f"/materials/{material_id}/remix", form)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/edit")
    return _material_id(response)


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher", name="Anna Aalders"),
            "bea": make_user("teacher", name="Bea Bakker"),
            "cor": make_user("teacher", name="Cor Claassen"),
            "mod": make_user("moderator", name="Mo Moderator")}


def test_remix_of_an_nd_source_is_refused_with_the_reason(app, client, people, make_material):
    source = make_material(people["anna"], licence="CC-BY-ND-4.0", publish_by=people["mod"])
    client.login(people["bea"].email)
    page = client.get(f"/materials/{source}", follow_redirects=True).get_data(as_text=True)
    assert "This material cannot be remixed." in page and "NoDerivatives" in page
    assert f"/materials/{source}/remix" not in page

    form_page = client.get(f"/materials/{source}/remix")
    text = form_page.get_data(as_text=True)
    assert form_page.status_code == 200
    assert "does not allow adaptations (NoDerivatives)" in text
    assert 'name="licence"' not in text
    refused = client.post(f"/materials/{source}/remix", {"licence": "CC-BY-ND-4.0",
                                                         "title": "Toch"})
    assert refused.status_code == 403
    assert "does not allow adaptations" in refused.get_data(as_text=True)
    assert _count(app, Material) == 1


def test_the_service_refuses_an_nd_source_with_the_reason(app, people, make_material):
    from oer_portal.remix import service

    source = make_material(people["anna"], licence="CC-BY-NC-ND-4.0", publish_by=people["mod"])
    with app.test_request_context(), force_locale("en"), \
            pytest.raises(service.RemixRefused, match="NoDerivatives"):
        service.remix(db.session.get(User, people["bea"].id), source, None, "CC-BY-NC-4.0")


def test_a_by_sa_source_allows_only_by_sa(app, client, people, make_material):
    source = make_material(people["anna"], licence="CC-BY-SA-4.0", publish_by=people["mod"])
    client.login(people["bea"].email)
    page = client.get(f"/materials/{source}/remix").get_data(as_text=True)
    assert re.findall(r'name="licence"[^>]*value="([^"]+)"', page) == ["CC-BY-SA-4.0"]
    refused = client.post(f"/materials/{source}/remix", {"licence": "CC-BY-4.0",
                                                         "title": "Breuken"})
    assert refused.status_code == 200 and "Not a valid choice" in refused.get_data(as_text=True)
    assert _count(app, Material) == 1

    remix_id = remix_via_page(client, source, "CC-BY-SA-4.0", "Breuken voor groep 7")
    with app.app_context():
        remix = db.session.get(Material, remix_id)
        first = remix.latest_version
        assert (remix.owner_id, remix.status) == (people["bea"].id, "draft")
        assert remix.published_version_id is None
        assert remix.derived_from_version_id == db.session.get(
            Material, source).published_version_id
        assert (first.number, first.licence, first.title) == (1, "CC-BY-SA-4.0",
                                                               "Breuken voor groep 7")
        assert first.summary == "Remix of “Breuken” version 1"


def test_the_service_checks_the_licence_too(app, people, make_material):
    from oer_portal.materials.metadata import InvalidFields
    from oer_portal.remix import service

    source = make_material(people["anna"], licence="CC-BY-NC-4.0", publish_by=people["mod"])
    with app.test_request_context():
        bea = db.session.get(User, people["bea"].id)
        allowed = service.remix_options(bea, source).allowed
        assert [lic.spdx for lic in allowed] == ["CC-BY-NC-4.0", "CC-BY-NC-SA-4.0"]
        with pytest.raises(InvalidFields):
            service.remix(bea, source, None, "CC-BY-4.0")  # would drop NonCommercial


def test_remix_copies_content_metadata_and_shares_the_files(app, client, people,
                                                            make_material):
    from oer_portal.materials.attachments import Upload, store_upload

    with app.test_request_context():
        ref = store_upload(Upload(io.BytesIO(image_bytes()), "strook.png"))
        current_uow().commit()
    source = make_material(
        people["anna"], body="## Breuken\n\nRegel een\n", attachments=[ref],
        subjects=("arithmetic",), levels=("havo",), keywords=("breuken", "pizza"),
        objectives=("Je vergelijkt breuken.",), duration_minutes=45,
        publish_by=people["mod"])
    client.login(people["bea"].email)
    remix_id = remix_via_page(client, source, "CC-BY-4.0")
    with app.app_context():
        original = db.session.get(Material, source).published_version
        copy = db.session.get(Material, remix_id).latest_version
        assert (copy.body, copy.description, copy.language) == (
            original.body, original.description, original.language)
        assert copy.meta == original.meta
        assert [(a.sha256, a.filename) for a in copy.attachments] == [
            (a.sha256, a.filename) for a in original.attachments]
        assert copy.attachments[0].id != original.attachments[0].id
    assert _count(app, StoredFile) == 1
    stored = [p for p in Path(app.config["STORAGE_DIR"]).rglob("*")
              if p.is_file() and p.name == ref.sha256]
    assert len(stored) == 1
    # The remixer's draft serves the shared file from its own page.
    edit = client.get(f"/materials/{remix_id}/edit").get_data(as_text=True)
    assert "strook.png" in edit


def test_remixing_a_draft_or_someones_pending_version_is_refused(app, client, new_client,
                                                                 people, make_user,
                                                                 make_material):
    from oer_portal.materials import service
    from oer_portal.materials.metadata import VersionFields

    draft = make_material(people["anna"], title="Concept")
    client.login(people["bea"].email)
    assert client.get(f"/materials/{draft}/remix").status_code == 404
    assert client.post(f"/materials/{draft}/remix", {"licence": "CC-BY-4.0",
                                                     "title": "x"}).status_code == 404
    anna = new_client()
    anna.login(people["anna"].email)
    own = anna.get(f"/materials/{draft}/remix")
    assert own.status_code == 403
    assert "Only published versions can be remixed" in own.get_data(as_text=True)

    published = make_material(people["anna"], title="Gepubliceerd", publish_by=people["mod"])
    with app.app_context():
        material = db.session.get(Material, published)
        service.save_version(db.session.get(User, people["anna"].id), published,
                             material.latest_version_id,
                             VersionFields(title="Gepubliceerd", body="Nieuw\n"), [])
        lifecycle.submit_for_review(db.session.get(User, people["anna"].id), material)
        current_uow().commit()
    staff = new_client()
    staff.login(make_user("teacher", "moderator").email)
    assert staff.get(f"/materials/{published}/v/2").status_code == 200  # they may see it...
    assert staff.get(f"/materials/{published}/remix?version=2").status_code == 403  # ...not remix
    assert client.get(f"/materials/{published}/remix?version=2").status_code == 404
    assert client.post(f"/materials/{published}/remix", {
        "licence": "CC-BY-4.0", "title": "x", "version": "2"}).status_code == 404
    assert _count(app, Material) == 2
    # The published version 1 can be remixed.
    remix_via_page(client, published, "CC-BY-4.0", "Mijn versie")


def test_only_teachers_remix(client, new_client, people, make_user, make_material):
    source = make_material(people["anna"], publish_by=people["mod"])
    client.login(make_user("student").email)
    assert client.get(f"/materials/{source}/remix").status_code == 403
    page = client.get(f"/materials/{source}", follow_redirects=True).get_data(as_text=True)
    assert "Remix this material" not in page
    anonymous = new_client().get(f"/materials/{source}/remix")
    assert anonymous.status_code == 302 and "/account/login" in anonymous.headers["Location"]


def test_a_remix_goes_through_review_like_any_material(app, client, new_client, people,
                                                      make_material):
    source = make_material(people["anna"], publish_by=people["mod"])
    client.login(people["bea"].email)
    remix_id = remix_via_page(client, source, "CC-BY-4.0", "Breuken anders")
    visitor = new_client()
    assert visitor.get(f"/materials/{remix_id}").status_code == 404
    client.post(f"/materials/{remix_id}/submit")
    mod = new_client()
    mod.login(people["mod"].email)
    review, version = re.search(r'/moderation/reviews/(\d+)/approve".*?name="version_id" '
                                r'value="(\d+)"', mod.get("/moderation/").get_data(
                                    as_text=True), re.DOTALL).groups()
    assert mod.post(f"/moderation/reviews/{review}/approve",
                    {"version_id": version}).status_code == 302
    page = visitor.get(f"/materials/{remix_id}", follow_redirects=True).get_data(as_text=True)
    assert "Adapted from" in page and "Anna Aalders" in page


def _chain(app, client, new_client, people, make_material):
    """Anna's original ← Bea's remix ← Cor's remix of that, all published."""
    original = make_material(people["anna"], title="Breuken <origineel>",
                             publish_by=people["mod"])
    client.login(people["bea"].email)
    middle = remix_via_page(client, original, "CC-BY-4.0", "Breuken *remix*")
    publish(app, middle, people["mod"])
    cor = new_client()
    cor.login(people["cor"].email)
    last = remix_via_page(cor, middle, "CC-BY-SA-4.0", "Breuken [derde]")
    publish(app, last, people["mod"])
    return original, middle, last, cor


def _textarea(page: str, name: str) -> str:
    return html.unescape(re.search(rf'id="credits-{name}"[^>]*>(.*?)</textarea>', page,
                                   re.S)[1])


def test_a_remix_of_a_remix_credits_both_ancestors(app, client, new_client, people,
                                                   make_material):
    original, middle, last, _cor = _chain(app, client, new_client, people, make_material)
    page = new_client().get(f"/materials/{last}", follow_redirects=True).get_data(as_text=True)
    text = _textarea(page, "text").splitlines()
    assert text[0].startswith("“Breuken [derde]” (http://localhost/materials/")
    assert "by Cor Claassen is licensed under CC BY-SA 4.0" in text[0]
    assert text[1] == (f"Adapted from “Breuken *remix*” (http://localhost/materials/{middle}/v/1)"
                       " (version 1) by Bea Bakker, licensed under CC BY 4.0 "
                       "(https://creativecommons.org/licenses/by/4.0/).")
    assert text[2].startswith("That work was adapted from “Breuken <origineel>” "
                              f"(http://localhost/materials/{original}/v/1)")
    assert "by Anna Aalders" in text[2]
    markdown = _textarea(page, "markdown")
    assert f"[Breuken \\*remix\\*](http://localhost/materials/{middle}/v/1)" in markdown
    assert "[Breuken \\[derde\\]]" in markdown and "Breuken \\<origineel\\>" in markdown
    # The HTML shown on the page (and offered for copying) escapes the titles.
    assert "Breuken &lt;origineel&gt;" in page and "<origineel>" not in page
    assert _textarea(page, "html").count("<p>") == 3


def test_credits_cannot_be_edited_away(app, client, new_client, people, make_material):
    _original, middle, _last, _cor = _chain(app, client, new_client, people, make_material)
    with app.app_context():
        head = db.session.get(Material, middle).latest_version_id
    # Bea edits everything the form offers (and tries a field it does not offer).
    response = client.post(f"/materials/{middle}/edit", {
        "title": "Helemaal van mij", "body": "Alles nieuw.\n", "language": "nl",
        "licence": "CC-BY-4.0", "base_version_id": head, "save": "1",
        "derived_from_version_id": "", "attribution": "Door Bea, niemand anders"})
    assert response.status_code == 302
    page = client.get(f"/materials/{middle}/v/2").get_data(as_text=True)
    assert "Adapted from" in page and "Anna Aalders" in page
    assert "niemand anders" not in page
    with app.app_context():
        assert db.session.get(Material, middle).derived_from_version_id is not None


def test_credits_keep_a_withdrawn_ancestor_with_its_tombstone(app, client, new_client, people,
                                                             make_material):
    original, _middle, last, _cor = _chain(app, client, new_client, people, make_material)
    anna = new_client()
    anna.login(people["anna"].email)
    anna.post(f"/materials/{original}/withdraw", {"reason": "Fouten in de sommen."})
    visitor = new_client()
    assert visitor.get(f"/materials/{original}", follow_redirects=True).status_code == 410
    page = visitor.get(f"/materials/{last}", follow_redirects=True).get_data(as_text=True)
    text = _textarea(page, "text")
    assert "Breuken <origineel>" in text and "Anna Aalders" in text
    assert f"http://localhost/materials/{original}-breuken-origineel)" in text  # tombstone
    assert "It has since been withdrawn." in text


def test_imported_attribution_is_credited_down_the_chain(app, client, people, make_material):
    source = make_material(
        people["anna"], title="Breuken", authors=("Marieke Jansen",),
        source_url="https://example.org/breuken",
        attribution="“Breuken”, door Marieke Jansen, CC BY 4.0.", publish_by=people["mod"])
    client.login(people["bea"].email)
    remix_id = remix_via_page(client, source, "CC-BY-4.0", "Breuken bewerkt")
    with app.app_context():
        fields = db.session.get(Material, remix_id).latest_version.meta
        assert not {"authors", "source_url", "attribution"} & set(fields)
    page = client.get(f"/materials/{remix_id}", follow_redirects=True).get_data(as_text=True)
    text = _textarea(page, "text").splitlines()
    assert "by Bea Bakker" in text[0]
    assert "by Marieke Jansen" in text[1]
    assert "Original source: https://example.org/breuken" in text[1]
    assert "Original attribution: “Breuken”, door Marieke Jansen, CC BY 4.0." in text[1]


def test_the_page_lists_remixes_and_draws_the_family_tree(app, client, new_client, people,
                                                          make_material):
    original, middle, last, cor = _chain(app, client, new_client, people, make_material)
    remix_via_page(cor, original, "CC-BY-4.0", "Nog een concept")  # a draft: not public
    visitor = new_client()
    page = visitor.get(f"/materials/{original}", follow_redirects=True).get_data(as_text=True)
    assert "Remixed 1 time" in page
    assert "Nog een concept" not in page
    family = page[page.index('id="family-title"'):]
    assert f'href="/materials/{middle}-breuken-remix"' in family
    assert f'href="/materials/{last}-breuken-derde"' in family
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="family-tree__svg" role="img" ' \
           'aria-labelledby="family-svg-title family-svg-desc"' in family
    assert '<title id="family-svg-title">Family tree of “Breuken &lt;origineel&gt;”</title>' \
        in family
    # The middle one shows its source above and its remix below.
    middle_page = visitor.get(f"/materials/{middle}", follow_redirects=True).get_data(
        as_text=True)
    assert "Adapted from 1 earlier material." in middle_page
    assert "Remixed 1 time" in middle_page
    # The author of the draft remix sees it in the tree.
    own = cor.get(f"/materials/{original}", follow_redirects=True).get_data(as_text=True)
    assert "Nog een concept" in own and "Remixed 2 times" in own
