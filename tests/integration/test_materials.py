"""Materials through the pages: write, submit, review, publish, edit, history, diff, revert,
withdraw — and nothing unpublished leaks through any channel."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from oer_portal.extensions import db
from oer_portal.materials.models import Material, MaterialVersion


def _lesson_form(**overrides):
    form = {"title": "Fotosynthese", "description": "Hoe planten licht gebruiken.",
            "body": "## Inleiding\n\nPlanten maken suiker.\n", "language": "nl",
            "licence": "CC-BY-4.0", "subjects": ["biology"], "levels": ["havo"],
            "keywords": "planten, licht", "objectives": "Je kunt de reactie noemen.",
            "save": "1"}
    form.update(overrides)
    return form


def _material_id(response) -> int:
    return int(re.search(r"/materials/(\d+)", response.headers["Location"]).group(1))


def _queued(queue: str, decision: str) -> tuple[str, str]:
    """The review id and version id of the first request in the queue's HTML, as its
    one-click ``decision`` form posts them."""
    return re.search(rf'/moderation/reviews/(\d+)/{decision}".*?name="version_id" '
                     r'value="(\d+)"', queue, re.DOTALL).groups()


def _head(app, material_id):
    with app.app_context():
        material = db.session.get(Material, material_id)
        return db.session.get(MaterialVersion, material.latest_version_id)


def test_teacher_writes_a_draft_only_authors_and_staff_can_see(app, client, new_client,
                                                               make_user):
    teacher = make_user("teacher")
    client.login(teacher.email)
    response = client.post("/materials/new/lesson", _lesson_form())
    assert response.status_code == 302
    material_id = _material_id(response)
    page = client.get(f"/materials/{material_id}", follow_redirects=True)
    assert "Planten maken suiker." in page.get_data(as_text=True)
    assert "Draft" in page.get_data(as_text=True)

    for role in (None, "student", "teacher"):
        other = new_client()
        if role:
            other.login(make_user(role).email)
        assert other.get(f"/materials/{material_id}").status_code == 404
    moderator = new_client()
    moderator.login(make_user("moderator").email)
    assert moderator.get(f"/materials/{material_id}", follow_redirects=True).status_code == 200


def test_students_cannot_create_materials(client, make_user):
    client.login(make_user("student").email)
    assert client.get("/materials/new/lesson").status_code == 403
    assert client.post("/materials/new/lesson", _lesson_form()).status_code == 403


def test_form_errors_name_the_field_and_keep_the_text(client, make_user):
    client.login(make_user("teacher").email)
    response = client.post("/materials/new/lesson", _lesson_form(
        title="", licence="MIT", subjects=["astrology"], body="Mijn lange tekst"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count('aria-invalid="true"') >= 1
    assert "Fill in a title." in page
    assert "Choose one of the licences offered." in page
    assert "Mijn lange tekst" in page
    link = client.post("/materials/new/link", _lesson_form(link_url="javascript:alert(1)"))
    assert "starts with http:// or https://" in link.get_data(as_text=True)


def test_submit_approve_publish_then_edit_keeps_the_public_on_the_old_version(
        app, client, new_client, make_user):
    teacher, moderator = make_user("teacher"), make_user("moderator")
    client.login(teacher.email)
    material_id = _material_id(client.post("/materials/new/lesson",
                                           _lesson_form(save_and_submit="1", save=None)))
    mod = new_client()
    mod.login(moderator.email)
    queue = mod.get("/moderation/").get_data(as_text=True)
    review_id, version_id = _queued(queue, "approve")
    assert mod.post(f"/moderation/reviews/{review_id}/approve",
                    {"version_id": version_id}).status_code == 302

    visitor = new_client()
    assert "Planten maken suiker." in visitor.get(
        f"/materials/{material_id}", follow_redirects=True).get_data(as_text=True)

    head = _head(app, material_id)
    client.post(f"/materials/{material_id}/edit", _lesson_form(
        body="## Inleiding\n\nPlanten maken suiker en zuurstof.\n", base_version_id=head.id,
        summary="Zuurstof genoemd", save_and_submit="1", save=None))
    public = visitor.get(f"/materials/{material_id}", follow_redirects=True)
    assert "zuurstof" not in public.get_data(as_text=True)
    assert visitor.get(f"/materials/{material_id}/v/2").status_code == 404

    queue = mod.get("/moderation/").get_data(as_text=True)
    review_id, version_id = _queued(queue, "approve")
    mod.post(f"/moderation/reviews/{review_id}/approve", {"version_id": version_id})
    assert "zuurstof" in visitor.get(f"/materials/{material_id}",
                                     follow_redirects=True).get_data(as_text=True)
    history = visitor.get(f"/materials/{material_id}/history").get_data(as_text=True)
    assert "Zuurstof genoemd" in history
    diff = visitor.get(f"/materials/{material_id}/diff?from=1&to=2&view=inline")
    assert '<ins class="diff-ins">' in diff.get_data(as_text=True)
    assert "zuurstof" in diff.get_data(as_text=True)


def test_a_moderator_cannot_approve_their_own_work(app, client, make_user):
    both = make_user("teacher", "moderator")
    client.login(both.email)
    client.post("/materials/new/lesson", _lesson_form(save_and_submit="1", save=None))
    from oer_portal.materials.reviews import ReviewRequest

    with app.app_context():
        review_id = db.session.scalar(select(ReviewRequest.id))
    assert "your own work" in client.get("/moderation/").get_data(as_text=True)
    assert client.post(f"/moderation/reviews/{review_id}/approve").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(Material.published_version_id)) is None


def test_rejection_needs_a_reason_and_tells_the_author(app, client, new_client, make_user):
    client.login(make_user("teacher").email)
    material_id = _material_id(client.post("/materials/new/lesson",
                                           _lesson_form(save_and_submit="1", save=None)))
    mod = new_client()
    mod.login(make_user("moderator").email)
    review_id, version_id = _queued(mod.get("/moderation/").get_data(as_text=True), "reject")
    empty = mod.post(f"/moderation/reviews/{review_id}/reject",
                     {"reason": " ", "version_id": version_id}, follow_redirects=True)
    assert "Tell the author why" in empty.get_data(as_text=True)
    mod.post(f"/moderation/reviews/{review_id}/reject",
             {"reason": "Bronnen ontbreken.", "version_id": version_id})
    page = client.get(f"/materials/{material_id}", follow_redirects=True)
    assert "Bronnen ontbreken." in page.get_data(as_text=True)


def test_versions_are_immutable_in_the_database(app, make_user, make_material):
    material_id = make_material(make_user("teacher"))
    with app.app_context():
        for statement in ("UPDATE material_versions SET title = 'x'",
                          "DELETE FROM material_versions"):
            with pytest.raises(DatabaseError, match="immutable"):
                db.session.execute(text(statement))
            db.session.rollback()
        assert db.session.scalar(select(MaterialVersion.title).where(
            MaterialVersion.material_id == material_id)) == "Breuken"


def test_two_saves_from_one_base_merge_when_they_touch_different_lines(
        app, client, new_client, make_user, make_material):
    owner = make_user("teacher")
    co_editor = make_user("admin")
    material_id = make_material(owner, body="regel 1\nregel 2\nregel 3\nregel 4\nregel 5\n")
    base = _head(app, material_id).id
    client.login(owner.email)
    other = new_client()
    other.login(co_editor.email)
    first = client.post(f"/materials/{material_id}/edit", _lesson_form(
        title="Breuken", body="regel 1 (A)\nregel 2\nregel 3\nregel 4\nregel 5\n",
        base_version_id=base))
    assert first.status_code == 302
    second = other.post(f"/materials/{material_id}/edit", _lesson_form(
        title="Breuken", body="regel 1\nregel 2\nregel 3\nregel 4\nregel 5 (B)\n",
        base_version_id=base))
    assert second.status_code == 302
    head = _head(app, material_id)
    assert head.body == "regel 1 (A)\nregel 2\nregel 3\nregel 4\nregel 5 (B)\n"
    assert head.merged and head.number == 3


def test_two_saves_of_the_same_line_give_a_conflict_and_lose_nothing(
        app, client, new_client, make_user, make_material):
    owner, admin = make_user("teacher"), make_user("admin")
    material_id = make_material(owner, body="regel 1\nregel 2\n")
    base = _head(app, material_id).id
    client.login(owner.email)
    other = new_client()
    other.login(admin.email)
    client.post(f"/materials/{material_id}/edit", _lesson_form(
        title="Breuken", body="regel 1 door A\nregel 2\n", base_version_id=base))
    response = other.post(f"/materials/{material_id}/edit", _lesson_form(
        title="Breuken", body="regel 1 door B\nregel 2\n", base_version_id=base))
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "regel 1 door A" in page and "regel 1 door B" in page  # both texts survive
    head = _head(app, material_id)
    assert head.body == "regel 1 door A\nregel 2\n" and head.number == 2
    assert f'value="{head.id}"' in page  # the editor now starts from the current head


def test_revert_makes_a_new_version_that_says_so(app, client, make_user, make_material):
    owner = make_user("teacher")
    material_id = make_material(owner, body="eerste\n")
    client.login(owner.email)
    client.post(f"/materials/{material_id}/edit", _lesson_form(
        title="Breuken", body="tweede\n", base_version_id=_head(app, material_id).id))
    response = client.post(f"/materials/{material_id}/revert/1",
                           {"base_version_id": _head(app, material_id).id})
    assert response.status_code == 302
    head = _head(app, material_id)
    assert (head.number, head.body, head.summary) == (3, "eerste\n", "Reverted to version 1")
    stale = client.post(f"/materials/{material_id}/revert/2", {"base_version_id": 1},
                        follow_redirects=True)
    assert "newer version meanwhile" in stale.get_data(as_text=True)
    assert _head(app, material_id).number == 3


def test_withdraw_leaves_a_tombstone_with_the_reason(app, client, new_client, make_user,
                                                     make_material):
    owner = make_user("teacher")
    material_id = make_material(owner, publish_by=make_user("moderator"))
    client.login(owner.email)
    client.post(f"/materials/{material_id}/withdraw", {"reason": "Verouderd leerplan."})
    visitor = new_client()
    response = visitor.get(f"/materials/{material_id}", follow_redirects=True)
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "Verouderd leerplan." in page and "Regel een" not in page
    assert visitor.get(f"/materials/{material_id}/v/1").status_code == 404
    assert visitor.get(f"/materials/{material_id}/diff?from=1&to=1").status_code == 404


def test_material_page_issues_a_bounded_number_of_queries(app, client, make_user,
                                                          make_material):
    from sqlalchemy import event

    from oer_portal.materials import service
    from oer_portal.materials.metadata import VersionFields

    owner = make_user("teacher")
    material_id = make_material(owner, publish_by=make_user("moderator"))
    with app.app_context():
        from oer_portal.accounts.models import User
        from oer_portal.core.uow import current_uow

        user = db.session.get(User, owner.id)
        head_id = db.session.get(Material, material_id).latest_version_id
        for n in range(2, 501):
            head_id = service.save_version(user, material_id, head_id, VersionFields(
                title="Breuken", body=f"versie {n}\n"), []).version.id
        current_uow().commit()
    statements: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda *args: statements.append(args[2]))
    client.login(owner.email)
    for path in (f"/materials/{material_id}-breuken", f"/materials/{material_id}/history",
                 f"/materials/{material_id}/v/250", f"/materials/{material_id}/diff?from=1&to=500"):
        statements.clear()
        assert client.get(path).status_code == 200
        # 16: the page also shows the rating and the arrangements that include the material,
        # and the session loader reads the user, the roles and whether a decision on a
        # teacher request waits to be told in one query (it found the owner among the
        # versions' authors before, but a reader who is not an author paid two); an
        # author's (and a moderator's) page asks for the material's review, one more; the
        # credits ask who contributed through accepted change proposals, one more; a
        # signed-in reader's page lists the proposals they may see, one more; one page of
        # written reviews (with their count and the visitor's own) is one more; and a
        # signed-in visitor's lists panel reads their lists (and which hold it), one more.
        assert len(statements) <= 19, (path, statements)
    history = client.get(f"/materials/{material_id}/history").get_data(as_text=True)
    assert history.count('name="from"') == 100 and "page=2" in history
    last = client.get(f"/materials/{material_id}/history?page=5").get_data(as_text=True)
    assert last.count('name="from"') == 100 and "page=6" not in last
    assert f"/materials/{material_id}/v/1\"" in last


def test_the_dashboard_reads_the_same_statements_for_few_or_many_and_no_lesson_text(
        app, client, make_user, make_material):
    """My materials lists each material's head by title, number, date and licence: the
    statements do not grow with the list, and none of them reads a version's body or HTML."""
    from tests.fixtures.statements import page_statements

    owner, moderator = make_user("teacher"), make_user("moderator")
    for n in range(2):
        make_material(owner, title=f"Les {n}", publish_by=moderator if n % 2 else None)
    client.login(owner.email)
    few = page_statements(app, client, "/my/materials")
    for n in range(2, 40):
        make_material(owner, title=f"Les {n}", publish_by=moderator if n % 2 else None)
    many = page_statements(app, client, "/my/materials")

    assert len(many) == len(few), many
    assert client.get("/my/materials").get_data(as_text=True).count("Les ") >= 40
    for statement in many:
        assert "material_versions.body" not in statement, statement


XSS = [
    "<script>alert(1)</script>",
    "[klik](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    "[x](&#106;avascript:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
]


@pytest.mark.parametrize("payload", XSS)
def test_markdown_xss_never_reaches_the_page_or_the_preview(client, make_user, make_material,
                                                            payload):
    owner = make_user("teacher")
    material_id = make_material(owner, body=f"## Kop\n\n{payload}\n",
                                publish_by=make_user("moderator"))
    page = client.get(f"/materials/{material_id}", follow_redirects=True).get_data(as_text=True)
    client.login(owner.email)
    preview = client.post("/materials/preview", {"body": payload}).get_data(as_text=True)
    for html in (page, preview):
        lowered = html.lower()
        assert "<script>alert" not in lowered and "onerror=" not in lowered
        assert "javascript:" not in lowered and "data:text/html" not in lowered


def test_preview_renders_markdown_for_teachers_only(client, make_user):
    assert client.post("/materials/preview", {"body": "# Hoi"}).status_code == 302  # login
    client.login(make_user("student").email)
    assert client.post("/materials/preview", {"body": "# Hoi"}).status_code == 403
    client.logout()
    client.login(make_user("teacher").email)
    response = client.post("/materials/preview", {"body": "| a | b |\n|---|---|\n| 1 | 2 |"})
    assert "<table>" in response.get_data(as_text=True)


def test_preview_button_works_without_javascript(client, make_user):
    client.login(make_user("teacher").email)
    response = client.post("/materials/new/lesson", {
        "title": "Concept", "body": "## Tussenkop\n\nTekst.", "language": "nl",
        "licence": "CC-BY-4.0", "preview": "1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Tussenkop</h3>" in page and "## Tussenkop" in page  # rendered, and still editable


def test_only_authors_edit_and_only_authors_or_staff_withdraw(app, client, new_client,
                                                              make_user, make_material):
    owner = make_user("teacher")
    material_id = make_material(owner, publish_by=make_user("moderator"))
    stranger = new_client()
    stranger.login(make_user("teacher").email)
    assert stranger.get(f"/materials/{material_id}/edit").status_code == 403
    assert stranger.post(f"/materials/{material_id}/withdraw",
                         {"reason": "weg ermee"}).status_code == 403
    assert stranger.post(f"/materials/{material_id}/submit").status_code == 403
    assert stranger.post(f"/materials/{material_id}/revert/1",
                         {"base_version_id": 1}).status_code == 403
    moderator = new_client()
    moderator.login(make_user("moderator").email)
    assert moderator.post(f"/materials/{material_id}/withdraw",
                          {"reason": "Auteursrecht geschonden."}).status_code == 302
    with app.app_context():
        assert db.session.get(Material, material_id).is_withdrawn


def test_a_file_material_needs_its_file(client, make_user):
    client.login(make_user("teacher").email)
    response = client.post("/materials/new/file", _lesson_form(body="Een werkblad."))
    assert "Choose the file to share." in response.get_data(as_text=True)


@pytest.fixture()
def pending_second_version(app, client, make_user, make_material):
    """Version 1 published; version 2 (with a new attachment) waiting for review."""
    import io

    owner = make_user("teacher")
    material_id = make_material(owner, body="openbaar\n", publish_by=make_user("moderator"))
    client.login(owner.email)
    response = client.post(f"/materials/{material_id}/edit", {
        **_lesson_form(title="Breuken", body="geheim concept\n",
                       base_version_id=_head(app, material_id).id, save_and_submit="1",
                       save=None),
        "files": [(io.BytesIO(b"geheime bijlage\n"), "geheim.txt")]},
        content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        from oer_portal.materials.models import VersionAttachment

        attachment = db.session.scalar(select(VersionAttachment))
    return material_id, attachment


@pytest.mark.parametrize("role", [None, "student", "teacher"])
def test_a_pending_version_is_invisible_on_every_channel(app, new_client, make_user,
                                                         pending_second_version, role):
    material_id, attachment = pending_second_version
    visitor = new_client()
    if role:
        visitor.login(make_user(role).email)
    page = visitor.get(f"/materials/{material_id}", follow_redirects=True)
    assert "openbaar" in page.get_data(as_text=True)
    assert "geheim" not in page.get_data(as_text=True)
    history = visitor.get(f"/materials/{material_id}/history").get_data(as_text=True)
    assert f"/materials/{material_id}/v/2" not in history
    for url in (f"/materials/{material_id}/v/2", f"/materials/{material_id}/diff?from=1&to=2",
                f"/materials/{material_id}/diff?from=2&to=1",
                f"/materials/{material_id}/files/{attachment.id}/{attachment.filename}",
                f"/materials/{material_id}/files/{attachment.id}/thumbnail"):
        assert visitor.get(url).status_code == 404, url


def test_the_author_and_moderators_see_the_pending_version(new_client, make_user,
                                                           pending_second_version, client):
    material_id, attachment = pending_second_version
    moderator = new_client()
    moderator.login(make_user("moderator").email)
    for viewer in (client, moderator):
        assert "geheim concept" in viewer.get(f"/materials/{material_id}/v/2").get_data(
            as_text=True)
        assert viewer.get(f"/materials/{material_id}/diff?from=1&to=2").status_code == 200
        download = viewer.get(f"/materials/{material_id}/files/{attachment.id}/x")
        assert download.data == b"geheime bijlage\n"


def test_diff_shows_words_fields_and_files(app, client, make_user, make_material):
    import io

    owner = make_user("teacher")
    material_id = make_material(owner, body="De kat zit op de mat.\n", subjects=("biology",),
                                licence="CC-BY-4.0")
    client.login(owner.email)
    client.post(f"/materials/{material_id}/edit", {
        **_lesson_form(title="Breuken", body="De hond zit op de mat.\n",
                       subjects=["biology", "physics"], licence="CC-BY-SA-4.0",
                       base_version_id=_head(app, material_id).id),
        "files": [(io.BytesIO(b"nieuw\n"), "nieuw.txt")]}, content_type="multipart/form-data")
    page = client.get(f"/materials/{material_id}/diff?from=1&to=2").get_data(as_text=True)
    assert re.search(r'<del class="diff-del">kat</del>.*<ins class="diff-ins">hond</ins>', page,
                     re.S)
    assert "Licence" in page and "CC-BY-SA-4.0" in page
    assert '<ins class="diff-ins">Physics</ins>' in page
    assert '<ins class="diff-ins">nieuw.txt</ins>' in page


def test_the_owner_adds_a_co_author_who_may_then_edit(app, client, new_client, make_user,
                                                      make_material):
    owner, colleague, student = make_user("teacher"), make_user("teacher"), make_user("student")
    material_id = make_material(owner, publish_by=make_user("moderator"))
    other = new_client()
    other.login(colleague.email)
    assert other.get(f"/materials/{material_id}/edit").status_code == 403

    client.login(owner.email)
    refused = client.post(f"/materials/{material_id}/authors", {"email": student.email},
                          follow_redirects=True)
    assert "no teacher with this e-mail" in refused.get_data(as_text=True)
    client.post(f"/materials/{material_id}/authors", {"email": colleague.email.upper()})
    assert other.get(f"/materials/{material_id}/edit").status_code == 200
    assert other.post(f"/materials/{material_id}/authors",
                      {"email": student.email}).status_code == 403  # only the owner decides
    page = new_client().get(f"/materials/{material_id}", follow_redirects=True)
    assert f"/people/{colleague.id}-" in page.get_data(as_text=True)  # credited

    client.post(f"/materials/{material_id}/authors", {"remove": colleague.id})
    assert other.get(f"/materials/{material_id}/edit").status_code == 403


def test_a_draft_never_published_is_deleted_not_withdrawn(app, client, new_client, make_user,
                                                          make_material):
    """No tombstone for what nobody saw: no reason asked, no public page (the slug would show
    its title), gone from the dashboard; the author can still open it."""
    teacher = make_user("teacher")
    draft = make_material(teacher, title="Geheim plan")
    client.login(teacher.email)
    page = client.get(f"/materials/{draft}", follow_redirects=True).get_data(as_text=True)
    assert f'href="/materials/{draft}/withdraw">Delete</a>' in page
    form = client.get(f"/materials/{draft}/withdraw").get_data(as_text=True)
    assert "Delete draft" in form and 'name="reason"' not in form
    response = client.post(f"/materials/{draft}/withdraw", {"submit": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/my/materials")
    assert "Geheim plan" not in client.get("/my/materials").get_data(as_text=True)
    assert client.get(f"/materials/{draft}", follow_redirects=True).status_code == 200
    visitor = new_client()
    assert visitor.get(f"/materials/{draft}").status_code == 404
    assert visitor.get(f"/materials/{draft}-geheim-plan").status_code == 404


def test_a_published_material_is_withdrawn_with_a_reason_and_leaves_a_tombstone(
        client, new_client, make_user, make_material):
    teacher = make_user("teacher")
    published = make_material(teacher, title="Oude les", publish_by=make_user("moderator"))
    client.login(teacher.email)
    page = client.get(f"/materials/{published}", follow_redirects=True).get_data(as_text=True)
    assert f'href="/materials/{published}/withdraw">Withdraw</a>' in page
    refused = client.post(f"/materials/{published}/withdraw", {"reason": ""})
    assert refused.status_code == 200 and "Say why you withdraw it." in refused.get_data(
        as_text=True)
    client.post(f"/materials/{published}/withdraw", {"reason": "Verouderd."})
    tombstone = new_client().get(f"/materials/{published}", follow_redirects=True)
    assert tombstone.status_code == 410 and "Verouderd." in tombstone.get_data(as_text=True)
