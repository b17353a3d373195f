"""The public page cache: a page kept for visitors who are not signed in is never older than
the last commit that changed what the public sees, in any process.

The oracle is a second app on the same database and index with the cache off: after each
change, made through the services of a third app (another process, as far as the caches
know), the kept page must equal the page worked out afresh.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event, select, update

from oer_portal.accounts import service as accounts
from oer_portal.accounts.models import User
from oer_portal.community import service as community
from oer_portal.core import public_state
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import lifecycle
from oer_portal.materials import service as materials
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import Material, MaterialVersion, VocabularyTerm
from oer_portal.privacy.erasure import Credit, delete_account
from tests.conftest import PASSWORD, Client, make_config

#: What differs between two renderings of one page: the form token and the script nonce.
_PER_REQUEST = re.compile(r'(name="csrf_token"[^>]*value=|nonce=)"[^"]*"')


def _page(client: Client, path: str) -> tuple[int, str]:
    response = client.get(path)
    return response.status_code, _PER_REQUEST.sub(r'\1""', response.get_data(as_text=True))


@pytest.fixture()
def portal(app, tmp_path, another_app, make_user, make_material):
    """The app under test (cache on), a fresh app (cache off) and a writer app, one
    database; a published lesson by a teacher, with a remix by another teacher."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    fresh = another_app(make_config(tmp_path, uri, PUBLIC_PAGE_CACHE_SIZE=0))
    writer = another_app(make_config(tmp_path, uri))
    teacher = make_user("teacher", name="Anna Docent")
    other = make_user("teacher", name="Bram Collega")
    moderator = make_user("moderator")
    student = make_user("student", name="Sam Leerling")
    lesson = make_material(teacher, title="Breuken vergelijken", body="Eerst de noemers.\n",
                           publish_by=moderator, subjects=("mathematics",))
    label = _label(app)

    class Portal:
        def __init__(self) -> None:
            self.app, self.fresh, self.writer = app, fresh, writer
            self.teacher, self.other, self.moderator = teacher, other, moderator
            self.student, self.lesson = student, lesson
            self.path = f"/materials/{lesson}-breuken-vergelijken"

        def change(self, work: Callable[[], Any]) -> None:
            """Run ``work`` in the writer app and commit, as a request there would."""
            with writer.app_context():
                work()
                current_uow().commit()

        def pages(self) -> tuple[tuple[int, str], tuple[int, str]]:
            """The page as the cached app serves it, and worked out afresh."""
            return (_page(Client(app.test_client()), self.path),
                    _page(Client(fresh.test_client()), self.path))

    yield Portal()
    # The vocabularies are seeded, not emptied between tests: put the label back.
    with app.app_context():
        term = _mathematics()
        term.label_nl, term.label_en = label
        current_uow().commit()


def _user(record: Any) -> User:
    return db.session.get(User, record.id)


def _rename(p: Any) -> None:
    accounts.update_profile(_user(p.teacher), "Anna van Dijk", None)


def _rate(p: Any) -> None:
    community.rate(_user(p.student), p.lesson, 4)


def _co_author(p: Any) -> None:
    materials.add_co_author(_user(p.teacher), p.lesson, "teacher2@example.org")


def _new_version(p: Any) -> None:
    material = db.session.get(Material, p.lesson)
    result = materials.save_version(
        _user(p.teacher), p.lesson, material.latest_version_id,
        VersionFields(title="Breuken vergelijken", body="Eerst gelijknamig maken.\n",
                      subjects=("mathematics",)), [])
    lifecycle.publish(material, result.version, _user(p.moderator))


def _withdraw(p: Any) -> None:
    lifecycle.withdraw(_user(p.teacher), db.session.get(Material, p.lesson), "Verouderd")


def _mathematics() -> VocabularyTerm:
    return db.session.scalars(select(VocabularyTerm).where(
        VocabularyTerm.vocabulary == "subject", VocabularyTerm.code == "mathematics")).one()


def _label(app: Any) -> tuple[str, str]:
    with app.app_context():
        term = _mathematics()
        return term.label_nl, term.label_en


def _relabel(p: Any) -> None:
    term = _mathematics()
    term.label_nl = term.label_en = "Rekenen en wiskunde"


def _rerender(p: Any) -> None:
    # A statement on the table, as ``materials.rerender`` writes, not an object's change.
    version_id = db.session.get(Material, p.lesson).published_version_id
    db.session.execute(update(MaterialVersion.__table__)
                       .where(MaterialVersion.__table__.c.id == version_id)
                       .values(body_html="<p>Opnieuw weergegeven.</p>"))


def _erase_account(p: Any) -> None:
    delete_account(_user(p.teacher), PASSWORD, Credit.ANONYMOUS)


@pytest.mark.parametrize("change", [_rename, _rate, _co_author, _new_version, _withdraw,
                                    _relabel, _rerender, _erase_account],
                         ids=lambda f: f.__name__.strip("_"))
def test_a_kept_page_follows_every_public_change_made_in_another_process(portal, change):
    kept, fresh = portal.pages()
    assert kept == fresh and kept[0] == 200
    portal.change(lambda: change(portal))
    after, expected = portal.pages()
    assert after == expected
    assert after != kept, "the change did not show on the page at all"


def test_a_second_anonymous_view_reads_nothing_but_the_generation(portal):
    client = Client(portal.app.test_client())
    first = _page(client, portal.path)
    statements: list[str] = []
    with portal.app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda *args: statements.append(args[2]))
    assert _page(client, portal.path) == first
    reads = [s for s in statements if s.split()[0].upper() not in ("BEGIN", "COMMIT",
                                                                    "ROLLBACK")]
    assert len(reads) == 1 and "public_generation" in reads[0], reads


def _save_draft(p: Any) -> None:
    material = db.session.get(Material, p.lesson)
    materials.save_version(_user(p.teacher), p.lesson, material.latest_version_id,
                           VersionFields(title="Breuken vergelijken", body="Concept.\n"), [])


def _log_in(p: Any) -> None:
    user = _user(p.student)
    accounts.authenticate(user.email, PASSWORD)


@pytest.mark.parametrize("change", [_save_draft, _log_in], ids=["draft", "login"])
def test_what_the_public_never_sees_keeps_the_generation(portal, change):
    with portal.app.app_context():
        before = public_state.generation()
    portal.change(lambda: change(portal))
    with portal.app.app_context():
        assert public_state.generation() == before
    kept, fresh = portal.pages()
    assert kept == fresh


def test_a_rolled_back_change_keeps_the_generation(portal):
    with portal.writer.app_context():
        before = public_state.generation()
        _rename(portal)
        db.session.flush()
        db.session.rollback()
        db.session.commit()
        assert public_state.generation() == before
        _rename(portal)
        current_uow().commit()
        assert public_state.generation() == before + 1


def test_a_signed_in_visitor_never_gets_the_kept_page(portal, new_client):
    anonymous = _page(Client(portal.app.test_client()), portal.path)[1]
    assert f"/materials/{portal.lesson}/edit" not in anonymous
    owner = new_client()
    owner.login(portal.teacher.email)
    assert f"/materials/{portal.lesson}/edit" in owner.get(portal.path).get_data(as_text=True)
    # ... and the kept page stays the anonymous one.
    assert _page(Client(portal.app.test_client()), portal.path)[1] == anonymous


def test_a_kept_page_still_counts_its_views(portal):
    from oer_portal.usage.counter import utc_today

    client = Client(portal.app.test_client())
    for _ in range(3):
        assert client.get(portal.path).status_code == 200
    pending = portal.app.extensions["usage"].pending()
    assert pending.get((portal.lesson, utc_today(), "view")) == 3
