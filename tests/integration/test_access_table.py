"""The access table (``oer_portal/moderation/access_table.py``) generates these tests: every
role x channel x state cell makes its channel's requests and gets what the table says.

One portal per module (its own app, database, index and file store): a lesson per state, each
with a secret word of its own in its description, text, edit summary and attached PDF, and an
image with a thumbnail; users for every role, an API token for each.  A cell that shows gets
its secret word (or its address, file, thumbnail, export, or the action done); any other
outcome has the table's status and the secret word nowhere in the answer, and a refused action
changes no row.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from oer_portal import create_app
from oer_portal.accounts import service as accounts
from oer_portal.accounts import tokens
from oer_portal.accounts.models import Role as AccountRole
from oer_portal.accounts.models import User
from oer_portal.arrangements.models import ArrangementNode
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db, limiter
from oer_portal.materials import lifecycle
from oer_portal.materials import service as materials
from oer_portal.materials.attachments import Upload, store_upload
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import Material, MaterialKind, StoredFile, VersionAttachment
from oer_portal.moderation import reports, review
from oer_portal.moderation.access_table import (
    ACTING,
    Channel,
    Outcome,
    Role,
    State,
    cells,
)
from oer_portal.moderation.models import Report
from oer_portal.proposals.models import ChangeProposal
from tests.conftest import PASSWORD, Client, fresh_database_uri, make_config
from tests.fixtures.samples import image_bytes, pdf_bytes

#: A word of each state's version, nowhere else in the portal.
SECRETS = {
    State.DRAFT: "Kwikstaart",
    State.SUBMITTED: "Roodborstje",
    State.CHANGES_REQUESTED: "Boomklever",
    State.REJECTED: "Goudvink",
    State.PUBLISHED: "Zilverreiger",
    State.SUPERSEDED: "Pimpelmees",
    State.WITHDRAWN: "Nachtegaal",
    State.UNPUBLISHED: "Wielewaal",
}
#: A subject of each state's version only (the facet the search counts).
SUBJECTS = {
    State.DRAFT: "german", State.SUBMITTED: "french", State.CHANGES_REQUESTED: "spanish",
    State.REJECTED: "chemistry", State.PUBLISHED: "music", State.SUPERSEDED: "philosophy",
    State.WITHDRAWN: "economics", State.UNPUBLISHED: "citizenship",
}
#: Words every lesson shares: the search query, and what "more like this" matches on.
SHARED = ("waterkringloop verdamping condensatie neerslag grondwater rivieren zeespiegel "
          "wolkenvorming oppervlaktewater kwelwater polderpeil gemaal dijkversterking")


def typo(secret: str) -> str:
    """One letter left out: the search offers the word when (and only when) it is indexed."""
    return secret[:3] + secret[4:]


def stem(secret: str) -> str:
    """What any form of the word starts with (the index holds stems)."""
    return secret[:8].lower()


@dataclass
class Target:
    state: State
    material_id: int
    slug: str
    number: int  # the version in that state
    version_id: int
    pdf_id: int
    image_id: int

    @property
    def secret(self) -> str:
        return SECRETS[self.state]


@dataclass
class Portal:
    app: Flask
    targets: dict[State, Target]
    clients: dict[Role, Client]
    tokens: dict[Role, str]
    probe: int
    probe_slug: str
    oai_prefix: str
    owner_id: int


def _fields(state: State, title: str, secret: str, subject: str) -> VersionFields:
    return VersionFields(
        title=title, description=f"Over de {secret} en de waterkringloop",
        body=f"# {title}\n\nDe {secret} leert over {SHARED}.\n\n{SHARED}\n", language="nl",
        licence="CC-BY-4.0", subjects=(subject,), levels=("secondary",))


def _attachments(state: State) -> list[Any]:
    index = list(State).index(state)
    return [store_upload(Upload(io.BytesIO(pdf_bytes(f"Werkblad {SECRETS[state]}")),
                                "werkblad.pdf")),
            store_upload(Upload(io.BytesIO(image_bytes(size=(40 + index, 30))), "plaat.png"))]


def _base(title: str) -> VersionFields:
    """A version without a secret (the one before the target, or after it)."""
    return VersionFields(title=title, description="Over de waterkringloop",
                         body=f"# {title}\n\nDeze les gaat over {SHARED}.\n\n{SHARED}\n",
                         language="nl", licence="CC-BY-4.0", subjects=("other",),
                         levels=("secondary",))


#: The states whose version in question follows a first, public version (the others follow
#: a first draft): each material has two versions, so its history lists versions and its
#: comparison compares two.  The draft and the submitted version are new versions of a
#: published material (the public keeps seeing version 1); "changes requested" and
#: "rejected" are of a material that was never published (``access_table.REVISIONS``).
AFTER_PUBLIC = frozenset({State.DRAFT, State.SUBMITTED, State.PUBLISHED, State.WITHDRAWN,
                          State.UNPUBLISHED})


def _build(app: Flask) -> tuple[dict[State, Target], dict[Role, int], int, str]:
    """Users, a lesson per state, a probe lesson for "more like this"; committed.

    Each lesson has two versions.  The version in question is version 2 (version 1 for
    "superseded", whose version 2 is the newer published one); version 1 of the others is a
    draft, or for published, withdrawn and unpublished a published first version."""
    users: dict[Role, int] = {}
    with app.app_context():
        for role, account_roles in ((Role.STUDENT, ["student"]),
                                    (Role.OTHER_TEACHER, ["teacher"]),
                                    (Role.OWNER, ["teacher"]), (Role.CO_AUTHOR, ["teacher"]),
                                    (Role.MODERATOR, ["moderator"]), (Role.ADMIN, ["admin"])):
            user = accounts.create_user(f"{role}@example.org", f"{role} person", PASSWORD,
                                        [AccountRole(r) for r in account_roles])
            users[role] = user.id
        current_uow().commit()
    material_ids: dict[State, int] = {}

    def actor(role: Role) -> User:
        return db.session.get(User, users[role])

    def material(state: State) -> Material:
        return db.session.get(Material, material_ids[state])

    def title(state: State) -> str:
        return f"Les over vogels {list(State).index(state)}"

    def secret_fields(state: State) -> VersionFields:
        return _fields(state, title(state), SECRETS[state], SUBJECTS[state])

    with app.app_context():
        for state in State:
            first = state == State.SUPERSEDED
            created = materials.create_material(
                actor(Role.OWNER), MaterialKind.LESSON,
                secret_fields(state) if first else _base(title(state)),
                _attachments(state) if first else [],
                summary=f"Eerste versie met {SECRETS[state]}" if first else "Eerste versie")
            db.session.flush()
            materials.add_co_author(actor(Role.OWNER), created.id,
                                    f"{Role.CO_AUTHOR}@example.org")
            material_ids[state] = created.id
        probe = materials.create_material(
            actor(Role.OTHER_TEACHER), MaterialKind.LESSON, _base("Water in Nederland"), [])
        db.session.flush()
        lifecycle.publish(probe, probe.latest_version, actor(Role.MODERATOR))
        probe_id, probe_slug = probe.id, probe.slug
        for state in AFTER_PUBLIC | {State.SUPERSEDED}:
            lifecycle.publish(material(state), material(state).latest_version,
                              actor(Role.MODERATOR))
        current_uow().commit()
    with app.app_context():
        for state in State:
            head = material(state).latest_version_id
            superseded = state == State.SUPERSEDED
            materials.save_version(
                actor(Role.OWNER), material_ids[state], head,
                _base(title(state)) if superseded else secret_fields(state),
                [] if superseded else _attachments(state),
                summary="Tweede versie" if superseded else f"Versie met {SECRETS[state]}")
        current_uow().commit()
    with app.app_context():
        moderator = actor(Role.MODERATOR)
        for state in {State.PUBLISHED, State.WITHDRAWN, State.UNPUBLISHED, State.SUPERSEDED}:
            lifecycle.publish(material(state), material(state).latest_version, moderator)
        for state in (State.SUBMITTED, State.CHANGES_REQUESTED, State.REJECTED):
            request = lifecycle.submit_for_review(actor(Role.OWNER), material(state))
            db.session.flush()
            decision = {State.CHANGES_REQUESTED: review.Decision.REQUEST_CHANGES,
                        State.REJECTED: review.Decision.REJECT}.get(state)
            if decision is not None:
                review.decide(moderator, request.id, decision, request.version_id,
                              comment="Zo niet")
        lifecycle.withdraw(actor(Role.OWNER), material(State.WITHDRAWN), "Verouderd")
        current_uow().commit()
    with app.app_context():
        reports.file_report(actor(Role.STUDENT), material_ids[State.UNPUBLISHED], "incorrect",
                            "Klopt niet")
        current_uow().commit()
    with app.app_context():
        reports.unpublish(actor(Role.MODERATOR), material_ids[State.UNPUBLISHED],
                          "Fouten in de tekst")
        current_uow().commit()
    targets: dict[State, Target] = {}
    with app.app_context():
        for state, material_id in material_ids.items():
            number = 1 if state == State.SUPERSEDED else 2
            version = materials.version_by_number(material_id, number)
            files = {a.filename: a.id for a in version.attachments}
            targets[state] = Target(state, material_id, material(state).slug, number,
                                    version.id, files["werkblad.pdf"], files["plaat.png"])
            assert db.session.get(StoredFile, db.session.get(
                VersionAttachment, files["plaat.png"]).sha256).has_thumbnail
    return targets, users, probe_id, probe_slug


@pytest.fixture(scope="module")
def portal(test_database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """The module's own portal, built once (see ``tests/conftest.py``'s ``app``)."""
    from tests.conftest import truncate_all

    tmp: Path = tmp_path_factory.mktemp("access")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OER_INSTANCE_PATH", str(tmp / "instance"))
        app = create_app(make_config(tmp, fresh_database_uri(test_database, tmp),
                                     EXPORT_LIMIT="10000 per minute",
                                     REPORT_LIMIT="10000 per hour",
                                     API_RATE_LIMIT="100000 per minute"))
        limiter.reset()
        targets, users, probe, probe_slug = _build(app)
        api_tokens: dict[Role, str] = {}
        with app.app_context():
            for role, user_id in users.items():
                _token, api_tokens[role] = tokens.issue(db.session.get(User, user_id),
                                                        name="Script", scope=tokens.Scope.READ,
                                                        expires_in_days=7)
            current_uow().commit()
        from oer_portal.search.indexer import drain

        with app.app_context():
            drain(lock_timeout=10)
        clients = {Role.VISITOR: Client(app.test_client())}
        for role in users:
            clients[role] = Client(app.test_client())
            assert clients[role].login(f"{role}@example.org").status_code == 302
        listing = clients[Role.VISITOR].get(
            "/oai?verb=ListIdentifiers&metadataPrefix=oai_dc").get_data(as_text=True)
        oai_prefix = re.search(r"<identifier>(oai:[^<]+:material/)\d+</identifier>",
                               listing).group(1)
        yield Portal(app, targets, clients, api_tokens, probe, probe_slug, oai_prefix,
                     users[Role.OWNER])
        if test_database.kind == "postgresql":
            truncate_all(app)
        else:
            with app.app_context():
                db.engine.dispose()


# -- Each channel's requests --------------------------------------------------------------------


@dataclass
class Answer:
    """What a channel answered: its status and everything it said, as text."""

    status: int
    text: str
    location: str = ""


def _answer(response: TestResponse, text: str | None = None) -> Answer:
    return Answer(response.status_code,
                  response.get_data(as_text=True) if text is None else text,
                  response.headers.get("Location", ""))


def _unzipped(response: TestResponse) -> str:
    if response.status_code != 200:
        return response.get_data(as_text=True)
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
        return "\n".join(archive.read(name).decode("utf-8", "replace")
                         for name in archive.namelist())


def _read(portal: Portal, role: Role, channel: Channel, target: Target) -> Answer:
    """The one (or few) requests of a reading or public channel."""
    client = portal.clients[role]
    m, n = target.material_id, target.number
    if channel == Channel.PAGE:
        return _answer(client.get(f"/materials/{m}-{target.slug}"))
    if channel == Channel.HISTORY:
        return _answer(client.get(f"/materials/{m}/history"))
    if channel == Channel.PERMALINK:
        return _answer(client.get(f"/materials/{m}/v/{n}"))
    if channel == Channel.DIFF:
        return _answer(client.get(f"/materials/{m}/diff?from=1&to=2"))
    if channel == Channel.FILE:
        response = client.get(f"/materials/{m}/files/{target.pdf_id}/werkblad.pdf")
        return _answer(response, response.get_data().decode("latin-1"))
    if channel == Channel.THUMBNAIL:
        response = client.get(f"/materials/{m}/files/{target.image_id}/thumbnail")
        shown = response.status_code == 200 and response.mimetype == "image/png"
        return _answer(response, target.secret if shown else response.get_data(as_text=True)
                       if response.mimetype.startswith("text") else "")
    if channel == Channel.API:
        headers = {"Authorization": f"Bearer {portal.tokens[role]}"} if role in portal.tokens \
            else {}
        return _answer(client.get(f"/api/v1/materials/{m}/versions/{n}", headers=headers))
    if channel == Channel.EXPORT:
        response = client.get(f"/materials/{m}/export.zip?v={n}")
        return _answer(response, _unzipped(response))
    if channel == Channel.SEARCH:
        # The query names the secret, so the answer is judged by the addresses it lists.
        page = client.get(f"/search?q={target.secret}")
        api = client.get(f"/api/v1/search?q={target.secret}")
        return Answer(max(page.status_code, api.status_code),
                      page.get_data(as_text=True) + api.get_data(as_text=True))
    if channel == Channel.FACETS:
        page = client.get(f"/search?q={typo(target.secret)}")
        api = client.get("/api/v1/search?q=waterkringloop&per_page=1")
        facets = json.dumps(api.get_json()["facets"])
        shown = f'"{SUBJECTS[target.state]}"' in facets
        text = page.get_data(as_text=True)
        # The suggestion and the facet must agree: both there, or neither.
        assert (stem(target.secret) in text.lower()) == shown, (text, facets)
        return Answer(max(page.status_code, api.status_code), text)
    if channel == Channel.RELATED:
        page = client.get(f"/materials/{portal.probe}-{portal.probe_slug}")
        return _answer(page)
    if channel == Channel.OAI:
        answers = [client.get(f"/oai?verb=GetRecord&metadataPrefix={prefix}"
                              f"&identifier={portal.oai_prefix}{m}")
                   for prefix in ("oai_dc", "lom")]
        return Answer(max(a.status_code for a in answers),
                      "".join(a.get_data(as_text=True) for a in answers))
    if channel == Channel.FEEDS:
        answers = [client.get("/feeds/materials.atom"),
                   client.get(f"/feeds/people/{portal.owner_id}.atom")]
        return Answer(max(a.status_code for a in answers),
                      "".join(a.get_data(as_text=True) for a in answers))
    if channel == Channel.SITEMAP:
        index = client.get("/sitemap.xml")
        text = index.get_data(as_text=True)
        for page in re.findall(r"<loc>https?://[^/]+(/sitemaps/[^<]+)</loc>", text):
            text += client.get(page).get_data(as_text=True)
        return Answer(index.status_code, text)
    if channel == Channel.EMBED:
        return _answer(client.get(f"/materials/{m}/embed"))
    raise AssertionError(channel)


def _counts(portal: Portal) -> tuple[int, ...]:
    with portal.app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model))
                     for model in (Material, ArrangementNode, ChangeProposal, Report))


def _act(portal: Portal, role: Role, channel: Channel, target: Target) -> Answer:
    """The POST of an acting channel, as its form sends it."""
    client = portal.clients[role]
    m, n = target.material_id, target.number
    if channel == Channel.REMIX:
        response = client.post(f"/materials/{m}/remix", {
            "version": str(n), "licence": "CC-BY-4.0", "title": f"Remix {role}"})
    elif channel == Channel.ARRANGE:
        pin = str(target.version_id)  # the version in question, pinned
        response = client.post("/materials/new/arrangement", {
            "title": f"Reeks van {role}", "description": "Een reeks", "body": "Welkom.",
            "language": "nl", "licence": "CC-BY-4.0", "nodes": "1",
            "node-0-kind": "material", "node-0-depth": "0", "node-0-material": str(m),
            "node-0-pin": pin, "save": "Save draft"})
    elif channel == Channel.PROPOSE:
        response = client.post(f"/materials/{m}/propose", {
            "title": "Les over vogels", "description": "Korter", "body": "Een voorstel.\n",
            "summary": f"Voorstel van {role}"})
    elif channel == Channel.REPORT:
        response = client.post(f"/materials/{m}/report", {"category": "incorrect",
                                                          "comment": "Klopt niet"})
    else:
        raise AssertionError(channel)
    return _answer(response)


# -- The generated tests ----------------------------------------------------------------------


def _evidence(portal: Portal, channel: Channel, target: Target, text: str) -> bool:
    """Whether the answer holds the target's content (its address, for lists of addresses)."""
    if channel in (Channel.SITEMAP, Channel.RELATED, Channel.SEARCH):
        return f"/materials/{target.material_id}-{target.slug}" in text
    if channel == Channel.FACETS:
        return stem(target.secret) in text.lower()
    return target.secret.lower() in text.lower()


CASES = [pytest.param(cell.role, cell.channel, cell.state, cell.outcome,
                      id=f"{cell.channel}-{cell.state}-{cell.role}") for cell in cells()]


@pytest.mark.parametrize(("role", "channel", "state", "outcome"), CASES)
def test_access_cell(portal: Portal, role: Role, channel: Channel, state: State,
                     outcome: Outcome) -> None:
    target = portal.targets[state]
    if channel in ACTING:
        before = _counts(portal)
        answer = _act(portal, role, channel, target)
        after = _counts(portal)
        if outcome == Outcome.SHOWN:
            assert answer.status in (302, 303), answer.text[:2000]
            assert "/account/login" not in answer.location
            assert after != before, "the action stored nothing"
            return
        assert after == before, "a refused action changed something"
    else:
        answer = _read(portal, role, channel, target)
    if outcome == Outcome.LOGIN:
        assert answer.status == 302 and "/account/login" in answer.location
        return
    assert answer.status == outcome.status, (answer.status, answer.text[:2000])
    shown = _evidence(portal, channel, target, answer.text)
    assert shown == (outcome == Outcome.SHOWN), answer.text[:3000]


# -- The documentation page, generated from the same table ------------------------------------

CELL_RE = re.compile(r'data-cell="([^/"]+)/([^/"]+)/([^/"]+)" data-outcome="([^"]+)">([^<]+)<')


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_the_moderators_page_renders_every_cell_of_the_table(portal: Portal, locale: str
                                                              ) -> None:
    from oer_portal.moderation.access_table import OUTCOME_LABELS

    moderator = Client(portal.app.test_client(), locale)
    assert moderator.login(f"{Role.MODERATOR}@example.org").status_code == 302
    moderator.post("/language", {"locale": locale})  # the signed-in user's own language
    page = moderator.get("/moderation/access")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert ("Wie ziet wat" if locale == "nl" else "Who sees what") in html
    rendered = {(Channel(c), State(s), Role(r)): (Outcome(o), label.strip())
                for c, s, r, o, label in CELL_RE.findall(html)}
    with portal.app.test_request_context(), _locale(locale):
        expected = {(cell.channel, cell.state, cell.role): (cell.outcome,
                                                            str(OUTCOME_LABELS[cell.outcome]))
                    for cell in cells()}
    assert len(expected) == 7 * 19 * 8
    assert rendered == expected
    assert html.count("<caption") == len(Channel)
    assert html.count('scope="row"') == len(Channel) * len(State)
    dashboard = moderator.get("/moderation/dashboard").get_data(as_text=True)
    assert 'href="/moderation/access"' in dashboard


def _locale(locale: str) -> Any:
    from flask_babel import force_locale

    return force_locale(locale)


@pytest.mark.parametrize("role", [Role.STUDENT, Role.OTHER_TEACHER, Role.OWNER])
def test_the_moderators_page_refuses_everyone_else(portal: Portal, role: Role) -> None:
    page = portal.clients[role].get("/moderation/access")
    assert page.status_code == 403
    assert "rule 1" not in page.get_data(as_text=True)


def test_the_moderators_page_asks_visitors_to_sign_in(portal: Portal) -> None:
    page = portal.clients[Role.VISITOR].get("/moderation/access")
    assert page.status_code == 302 and "/account/login" in page.headers["Location"]


def test_the_admins_read_it_too(portal: Portal) -> None:
    assert portal.clients[Role.ADMIN].get("/moderation/access").status_code == 200
