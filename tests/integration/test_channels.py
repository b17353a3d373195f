"""What is not public stays out of every channel at once: the pages, search, the JSON API (as
a visitor and with another teacher's token), OAI-PMH in both formats, the sitemap, the feeds,
the embed view and oEmbed.  One portal holds a published lesson with a draft revision, a
draft, a pending submission, a rejected one and a withdrawn lesson, each with a word of its
own; every channel is read and no such word may appear.  (Each channel's own tests prove
what it does show; this one proves that a new channel cannot forget the rule.)"""

from __future__ import annotations

import re

import pytest

from oer_portal.accounts import tokens
from oer_portal.accounts.models import User
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import lifecycle
from oer_portal.materials.models import Material
from oer_portal.moderation import review
from tests.fixtures.syndication import save_draft, withdraw

#: A word each non-public state carries in its title and text; none may leak anywhere.
SECRETS = {
    "revision": "Zwaluwstaart",
    "draft": "Kwikstaart",
    "pending": "Roodborstje",
    "rejected": "Goudvink",
    "withdrawn": "Nachtegaal",
}
SECRET_RE = re.compile("|".join(SECRETS.values()), re.IGNORECASE)


@pytest.fixture()
def portal(app, make_user, make_material):
    anna = make_user("teacher", name="Anna Aalders")
    mo = make_user("moderator")
    bea = make_user("teacher")
    ids = {"public": make_material(anna, title="Breuken vergelijken", body="Openbare tekst\n",
                                   publish_by=mo)}
    save_draft(app, anna.id, ids["public"], title=f"Breuken {SECRETS['revision']}",
               body=f"{SECRETS['revision']} in de revisie\n")
    for state in ("draft", "pending", "rejected"):
        ids[state] = make_material(anna, title=f"Les {SECRETS[state]}",
                                   body=f"Tekst over de {SECRETS[state]}\n")
    ids["withdrawn"] = make_material(anna, title="Vogels tellen",
                                     body=f"Tekst over de {SECRETS['withdrawn']}\n",
                                     publish_by=mo)
    with app.app_context():
        author = db.session.get(User, anna.id)
        for state in ("pending", "rejected"):
            request = lifecycle.submit_for_review(author, db.session.get(Material, ids[state]))
            if state == "rejected":
                db.session.flush()
                review.decide(db.session.get(User, mo.id), request.id, review.Decision.REJECT,
                              request.version_id, comment="Niet geschikt")
        _token, plaintext = tokens.issue(db.session.get(User, bea.id), name="Script",
                                        scope=tokens.Scope.READ, expires_in_days=7)
        current_uow().commit()
    withdraw(app, ids["withdrawn"], anna.id)
    return {"ids": ids, "anna": anna.id, "token": plaintext}


def _paths(portal: dict, oai_prefix: str) -> list[str]:
    ids, anna = portal["ids"], portal["anna"]
    words = "tekst les breuken revisie"  # in every text; the secrets would echo in the query
    paths = ["/", f"/search?q={words}", f"/api/v1/search?q={words}", "/api/v1/materials",
             "/sitemap.xml", "/feeds/materials.atom", f"/feeds/people/{anna}.atom",
             f"/people/{anna}"]
    for prefix in ("oai_dc", "lom"):
        paths += [f"/oai?verb=ListRecords&metadataPrefix={prefix}",
                  f"/oai?verb=ListIdentifiers&metadataPrefix={prefix}"]
    for material_id in ids.values():
        paths += [f"/materials/{material_id}", f"/materials/{material_id}/embed",
                  f"/oembed?url=http://localhost/materials/{material_id}",
                  f"/api/v1/materials/{material_id}", f"/api/v1/materials/{material_id}/versions",
                  f"/api/v1/materials/{material_id}/versions/2",
                  f"/api/v1/materials/{material_id}/diff?from=1&to=2",
                  f"/api/v1/materials/{material_id}/credits",
                  f"/materials/{material_id}/history", f"/materials/{material_id}/diff"]
        for prefix in ("oai_dc", "lom"):
            paths.append(f"/oai?verb=GetRecord&metadataPrefix={prefix}"
                         f"&identifier={oai_prefix}{material_id}")
    return paths


def _oai_prefix(client) -> str:
    """``oai:<repository>:material/``, as the provider issues its identifiers."""
    listing = client.get("/oai?verb=ListIdentifiers&metadataPrefix=oai_dc").get_data(
        as_text=True)
    return re.search(r"<identifier>(oai:[^<]+:material/)\d+</identifier>", listing).group(1)


def _read(client, path: str, headers: dict[str, str]) -> str:
    response = client.get(path, headers=headers, follow_redirects=True)
    assert response.status_code < 500, path
    body = response.get_data(as_text=True)
    if path == "/sitemap.xml":  # the index names its pages; read those too
        for page in re.findall(r"<loc>https?://[^/]+(/sitemaps/[^<]+)</loc>", body):
            body += _read(client, page, headers)
    return body


@pytest.mark.parametrize("who", ["visitor", "other teacher's token"])
def test_no_channel_shows_what_is_not_public(app, client, portal, who):
    headers = {"Authorization": f"Bearer {portal['token']}"} if who != "visitor" else {}
    paths = _paths(portal, _oai_prefix(client.raw))
    leaks = {}
    for path in paths:
        found = SECRET_RE.findall(_read(client.raw, path, headers))
        if found:
            leaks[path] = sorted(set(found))
    assert leaks == {}


def test_the_same_channels_do_show_the_public_lesson(app, client, portal):
    """The other half: the test above reads channels that work (the public lesson is there)."""
    public = portal["ids"]["public"]
    identifier = _oai_prefix(client.raw) + str(public)
    for path in ("/sitemap.xml", "/feeds/materials.atom", "/api/v1/materials",
                 "/oai?verb=ListRecords&metadataPrefix=oai_dc",
                 f"/oai?verb=GetRecord&metadataPrefix=lom&identifier={identifier}",
                 f"/materials/{public}/embed", f"/api/v1/materials/{public}",
                 "/search?q=tekst", "/api/v1/search?q=tekst"):
        body = _read(client.raw, path, {})
        assert "Breuken vergelijken" in body or f"/materials/{public}" in body, path
