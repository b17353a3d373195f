"""Every kind of page whole on a 390 px phone with lessons that are hard to fit: long
addresses in the credits, long words, code blocks, wide tables, big images, PDF attachments.

Real lessons of the corpus are imported when it is there (``OER_CORPUS``, by default
``../shared/corpus`` beside the repository); a lesson of our own with the same hard parts is
always used, so the test proves the layout where the corpus is absent too.  ``check_page``
asserts at 390 px that nothing pushes the page sideways, and runs axe there and at the
desktop width (a box that scrolls must be reachable by keyboard)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_materials_journey import _log_in

pytestmark = pytest.mark.e2e

PASSWORD = "een lang en sterk wachtwoord"
CORPUS = Path(os.environ.get("OER_CORPUS")
              or Path(__file__).resolve().parents[2].parent / "shared" / "corpus")
#: Code (shell pipelines), tables (statistics), a long source address in the credits (every
#: imported lesson), a PDF course with attachments, tables and code in Markdown's own manual.
HARD_LESSONS = ("swc-shell-novice-04-pipefilter", "openstax-introductory-statistics-2e-m46922",
                "lxiym-nl-json", "ieni-pdf-cursus-databasedesign-versie-5", "lxiym-de-markdown")

LONG_WORD = "Kinderenvoorstellingsvoorbereidingswerkzaamhedenplanningsoverzichtslijst"
OWN_LESSON = f"""\
# Alles wat niet past

Bron: <https://example.org/een/heel/lang/pad/dat/maar/doorgaat/zonder/enige/spatie/{"x" * 120}>
en het woord {LONG_WORD}{LONG_WORD}.

```python
{"resultaat = [bereken(meting, met_correctie=True) for meting in alle_metingen " * 3}
```

| {" | ".join(f"Kolom {n} met een lange kop" for n in range(1, 11))} |
|{"---|" * 10}
| {" | ".join(f"waarde {n}" for n in range(1, 11))} |

![Een brede afbeelding](https://example.org/{"breed" * 20}.png)
"""


def _create_user(live_server, role_name: str) -> str:
    from oer_portal.accounts import service
    from oer_portal.accounts.models import Role
    from oer_portal.core.uow import current_uow

    email = f"{role_name}-{uuid.uuid4().hex[:8]}@example.org"
    with live_server.app.app_context():
        service.create_user(email, f"{role_name.title()} {LONG_WORD}", PASSWORD,
                            [Role(role_name)])
        current_uow().commit()
    return email


def _published(live_server, owner_email: str, moderator_email: str) -> list[int]:
    """Our own hard lesson (in two versions, for history and diff) and, when the corpus is
    there, the hard corpus lessons, imported as an admin's import is: published at once."""
    from oer_portal.accounts import service as accounts
    from oer_portal.core.uow import current_uow
    from oer_portal.materials import interchange, lifecycle, service
    from oer_portal.materials.attachments import refs_of
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import MaterialKind

    ids = []
    with live_server.app.app_context():
        owner = accounts.find_by_email(owner_email)
        moderator = accounts.find_by_email(moderator_email)
        material = service.create_material(owner, MaterialKind.LESSON, VersionFields(
            title=f"Alles wat niet past {LONG_WORD}", body=OWN_LESSON, language="nl",
            keywords=(LONG_WORD,), subjects=("mathematics",), levels=("havo",)))
        current_uow().commit()
        head = material.latest_version
        second = service.save_version(owner, material.id, head.id, VersionFields.of(head)
                                      .with_body(OWN_LESSON + "\nNog een regel.\n"),
                                      refs_of(head.attachments)).version
        lifecycle.publish(material, second, moderator)
        current_uow().commit()
        ids.append(material.id)
        folders = [CORPUS / "materials" / name for name in HARD_LESSONS]
        for folder in (f for f in folders if f.is_dir()):
            summary = interchange.import_path(folder, moderator, commit=current_uow().commit,
                                              rollback=current_uow().rollback,
                                              publisher=moderator)
            assert not summary.failed, summary.failed
        if CORPUS.is_dir():
            from sqlalchemy import select

            from oer_portal.extensions import db
            from oer_portal.materials.models import Material

            ids += list(db.session.scalars(select(Material.id).where(
                Material.external_id.in_(HARD_LESSONS))))
    return ids


def test_every_kind_of_page_fits_a_phone_with_hard_lessons(page: Page, live_server,
                                                            check_page):
    base = live_server.url
    teacher = _create_user(live_server, "teacher")
    admin = _create_user(live_server, "admin")
    ids = _published(live_server, teacher, admin)
    assert len(ids) == (1 + len(HARD_LESSONS) if CORPUS.is_dir() else 1)

    for index, material_id in enumerate(ids):
        page.goto(f"{base}/materials/{material_id}")
        check_page(page, f"phone-lesson-{index}")
    page.goto(f"{base}/materials/{ids[0]}/history")
    check_page(page, "phone-history")
    page.goto(f"{base}/materials/{ids[0]}/diff?from=1&to=2")
    check_page(page, "phone-diff")
    page.goto(f"{base}/materials/{ids[0]}/diff?from=1&to=2&view=inline")
    check_page(page, "phone-diff-inline")
    page.goto(f"{base}/search?q=alles+wat+niet+past")
    expect(page.locator("ol.hit-list > li").first).to_contain_text("Alles wat niet past")
    check_page(page, "phone-search")
    page.goto(f"{base}/help/licences")
    check_page(page, "phone-licences")

    _log_in(page, base, teacher)
    # The editor of the long lesson with its preview open (the server-side preview: the
    # same HTML the live preview shows), the remix form of a corpus lesson, the dashboard.
    page.goto(f"{base}/materials/{ids[0]}/edit")
    page.get_by_role("button", name="Voorbeeld").click()
    expect(page.locator("#preview-body table")).to_have_count(1)
    check_page(page, "phone-editor-preview")
    page.goto(f"{base}/materials/{ids[-1]}/remix")
    check_page(page, "phone-remix")
    page.goto(f"{base}/my/materials")
    check_page(page, "phone-dashboard")
    page.goto(f"{base}/account/profile")
    check_page(page, "phone-profile")


def test_wide_code_and_tables_scroll_in_their_own_box_reachable_by_keyboard(
        page: Page, live_server):
    base = live_server.url
    ids = _published(live_server, _create_user(live_server, "teacher"),
                     _create_user(live_server, "admin"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/materials/{ids[0]}")
    box = page.get_by_role("region", name="Tabel")
    expect(box).to_have_attribute("tabindex", "0")
    code = page.locator(".lesson-body pre")
    expect(code).to_have_attribute("tabindex", "0")
    for element in (box, code):
        scroll_width, client_width = element.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert scroll_width > client_width  # it is wider than the phone, so it scrolls
        element.focus()
        element.press("ArrowRight")
        element.press("End")
        # The keyboard scrolled it (scrolling may be smooth: wait for it to move).
        page.wait_for_function("box => box.scrollLeft > 0", arg=element.element_handle(),
                               timeout=5000)
