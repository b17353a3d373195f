"""Every page is called the same in the browser's tab (``<title>``) as in its heading
(``<h1>``): a screen reader user hears the title first, and two names for one page
confuse."""

from __future__ import annotations

import html
import re

import pytest

from oer_portal.accounts.models import User
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import service
from oer_portal.materials.attachments import refs_of
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import Material

_TITLE = re.compile(r"<title>(.*?)</title>", re.S)
_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


@pytest.fixture()
def lesson(app, make_user, make_material):
    teacher, moderator = make_user("teacher"), make_user("moderator")
    material_id = make_material(teacher, title="Breuken & decimalen", publish_by=moderator)
    with app.app_context():
        head = db.session.get(Material, material_id).latest_version
        service.save_version(db.session.get(User, teacher.id), material_id, head.id,
                             VersionFields.of(head).with_body("Nieuwe tekst\n"),
                             refs_of(head.attachments))
        current_uow().commit()
    return teacher, moderator, material_id


def test_every_page_is_called_in_its_title_what_its_heading_says(client, make_user, lesson):
    teacher, moderator, material = lesson
    pages = [(None, ["/", "/search", "/search?q=breuken", "/help/licences", "/account/login",
                    "/account/register", f"/materials/{material}",
                    f"/materials/{material}/history",
                    f"/materials/{material}/diff?from=1&to=2"]),
             (teacher, ["/materials/new", "/materials/new/lesson", "/materials/new/file",
                       "/materials/new/link", f"/materials/{material}/edit",
                       f"/materials/{material}/withdraw", "/my/materials", "/account/profile",
                       "/account/password", "/my/lists", f"/people/{teacher.id}"]),
             (moderator, ["/moderation/", "/moderation/trusted", "/moderation/trusted?find=user",
                          "/moderation/post-review", "/moderation/dashboard",
                          "/moderation/audit", "/moderation/reports"])]
    checked = 0
    for user, paths in pages:
        if user is not None:
            client.login(user.email)
        for path in paths:
            page = client.get(path, follow_redirects=True).get_data(as_text=True)
            title, heading = _text(_TITLE.search(page)[1]), _text(_H1.search(page)[1])
            assert title.startswith(heading), f"{path}: <title> {title!r}, <h1> {heading!r}"
            checked += 1
        client.logout()
    assert checked == 27
