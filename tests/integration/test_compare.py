"""The version comparison service: it shows only versions the actor may see, reads metadata
as labels in the reader's language, names the files added and removed, and compares an
arrangement's introduction and outline."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest
from flask_babel import force_locale
from flask_login import AnonymousUserMixin

from oer_portal.accounts.models import User
from oer_portal.arrangements.structure import Node, NodeKind
from oer_portal.core.errors import NotFound
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import lifecycle, service
from oer_portal.materials.attachments import AttachmentRef, Upload, refs_of, store_upload
from oer_portal.materials.compare import (
    NO_VALUE,
    Comparison,
    FieldDifference,
    compare_versions,
    readable_value,
)
from oer_portal.materials.diff import Segment
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import Material
from tests.integration.test_remix import publish, remix_via_page


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher", name="Anna Aalders"),
            "bea": make_user("teacher", name="Bea Bakker"),
            "mod": make_user("moderator", name="Mo Moderator")}


@contextmanager
def reading(app, locale: str = "en") -> Iterator[None]:
    """A request's context in ``locale``, as a page has it."""
    with app.test_request_context(), force_locale(locale):
        yield


def save(app, user, material_id: int, attachments: list[AttachmentRef] | None = None,
         **changes: Any) -> int:
    """A new head version (number returned) with ``changes`` to the fields."""
    with app.app_context():
        head = db.session.get(Material, material_id).latest_version
        version = service.save_version(
            db.session.get(User, user.id), material_id, head.id,
            replace(VersionFields.of(head), **changes),
            refs_of(head.attachments) if attachments is None else attachments).version
        current_uow().commit()
        return version.number


def compare(actor_id: int | None, material_id: int, old: int, new: int) -> Comparison:
    """Call the service as ``actor_id`` (``None``: a visitor) inside a request context."""
    actor = db.session.get(User, actor_id) if actor_id else AnonymousUserMixin()
    return compare_versions(actor, service.version_by_number(material_id, old),
                            service.version_by_number(material_id, new))


def stored(name: str, content: bytes) -> AttachmentRef:
    return store_upload(Upload(io.BytesIO(content), name))


# -- who may compare ----------------------------------------------------------------------------


def test_a_draft_is_not_found_for_visitors_and_other_teachers(app, people, make_material):
    lesson = make_material(people["anna"], body="De kat zit op de mat.\n",
                           publish_by=people["mod"])
    save(app, people["anna"], lesson, body="De hond zit op de mat.\n")  # version 2, a draft
    with reading(app):
        for outsider in (None, people["bea"].id):
            with pytest.raises(NotFound):
                compare(outsider, lesson, 1, 2)
            with pytest.raises(NotFound):
                compare(outsider, lesson, 2, 1)
            assert compare(outsider, lesson, 1, 1).stats.words_added == 0
        for insider in (people["anna"].id, people["mod"].id):
            assert compare(insider, lesson, 1, 2).stats.words_added == 1


def test_published_versions_are_compared_for_anyone_until_the_material_is_withdrawn(
        app, people, make_material):
    """The upstream page's case: a remixer compares two published versions of someone
    else's material."""
    lesson = make_material(people["anna"], body="Een.\n", publish_by=people["mod"])
    save(app, people["anna"], lesson, body="Een. Twee.\n")
    publish(app, lesson, people["mod"])
    with reading(app):
        assert compare(people["bea"].id, lesson, 1, 2).stats.words_added == 1
        assert compare(None, lesson, 1, 2).stats.words_added == 1
    with app.app_context():
        lifecycle.withdraw(db.session.get(User, people["anna"].id),
                           db.session.get(Material, lesson), "Verouderd.")
        current_uow().commit()
    with reading(app):
        for outsider in (None, people["bea"].id):
            with pytest.raises(NotFound):
                compare(outsider, lesson, 1, 2)
        assert compare(people["anna"].id, lesson, 1, 2).stats.words_added == 1


def test_versions_of_two_materials_are_not_compared(app, people, make_material):
    one = make_material(people["anna"], publish_by=people["mod"])
    other = make_material(people["anna"], publish_by=people["mod"])
    with reading(app), pytest.raises(ValueError, match="one material"):
        compare_versions(db.session.get(User, people["anna"].id),
                         service.version_by_number(one, 1), service.version_by_number(other, 1))


# -- what it compares ---------------------------------------------------------------------------


def test_the_text_is_compared_word_by_word(app, people, make_material):
    lesson = make_material(people["anna"], body="# Dieren\n\nDe kat zit op de mat.\n")
    save(app, people["anna"], lesson, body="# Dieren\n\nDe hond zit op de <mat>.\n")
    with reading(app):
        comparison = compare(people["anna"].id, lesson, 1, 2)
    assert (comparison.old.number, comparison.new.number) == (1, 2)
    assert [s for s in comparison.segments if s.kind != "equal"] == [
        Segment("delete", "kat"), Segment("insert", "hond"),
        Segment("insert", "<"), Segment("insert", ">")]
    assert (comparison.stats.words_added, comparison.stats.words_removed) == (1, 1)
    assert '<del class="diff-del">kat</del><ins class="diff-ins">hond</ins>' \
        in comparison.inline()
    assert "&lt;" in comparison.inline()
    changed = [row for row in comparison.side_by_side(context=None)
               if getattr(row, "kind", "") == "change"]
    assert [(row.left_number, row.right_number) for row in changed] == [(3, 3)]
    assert not comparison.details_changed


def test_fields_read_as_labels_in_english(app, people, make_material):
    lesson = make_material(people["anna"], subjects=("biology",), language="nl",
                           keywords=("breuken",))
    save(app, people["anna"], lesson, subjects=("biology", "physics"), language="en",
         keywords=(), duration_minutes=45)
    with reading(app, "en"):
        fields = {f.field: f for f in compare(people["anna"].id, lesson, 1, 2).fields}
    assert fields["subjects"] == FieldDifference(
        "subjects", "Subjects", "Biology", "Biology, Physics", added=("Physics",))
    assert fields["language"] == FieldDifference("language", "Language", "Dutch", "English")
    assert fields["keywords"] == FieldDifference(
        "keywords", "Keywords", "breuken", NO_VALUE, removed=("breuken",))
    assert fields["duration_minutes"] == FieldDifference(
        "duration_minutes", "Duration in minutes", NO_VALUE, "45")
    assert set(fields) == {"subjects", "language", "keywords", "duration_minutes"}


def test_fields_read_as_labels_in_dutch(app, people, make_material):
    lesson = make_material(people["anna"], subjects=("biology",), language="nl")
    save(app, people["anna"], lesson, subjects=("physics", "biology"), language="en")
    with reading(app, "nl"):
        fields = {f.field: f for f in compare(people["anna"].id, lesson, 1, 2).fields}
    assert fields["subjects"] == FieldDifference(
        "subjects", "Vakken", "Biologie", "Natuurkunde, Biologie", added=("Natuurkunde",))
    assert fields["language"] == FieldDifference("language", "Taal", "Nederlands", "Engels")


def test_a_reordered_list_is_a_change_without_items(app, people, make_material):
    lesson = make_material(people["anna"], authors=("An", "Bo"))
    save(app, people["anna"], lesson, authors=("Bo", "An"))
    with reading(app):
        (authors,) = compare(people["anna"].id, lesson, 1, 2).fields
    assert authors == FieldDifference("authors", "Authors", "An, Bo", "Bo, An")


def test_files_added_and_removed_are_told_by_content_and_name(app, people, make_material):
    with app.app_context():
        kept, dropped = stored("kept.txt", b"blijft\n"), stored("weg.txt", b"weg\n")
        changed_before = stored("lijst.txt", b"een\n")
        changed_after, added = stored("lijst.txt", b"twee\n"), stored("nieuw.txt", b"nieuw\n")
        current_uow().commit()
    lesson = make_material(people["anna"], attachments=[kept, dropped, changed_before])
    save(app, people["anna"], lesson, attachments=[kept, changed_after, added])
    with reading(app):
        comparison = compare(people["anna"].id, lesson, 1, 2)
    assert comparison.files_added == ("lijst.txt", "nieuw.txt")
    assert comparison.files_removed == ("lijst.txt", "weg.txt")
    assert comparison.details_changed and not comparison.fields


def test_an_arrangement_compares_its_introduction_and_outline(app, people):
    from oer_portal.arrangements import service as arrangements

    with app.app_context():
        anna = db.session.get(User, people["anna"].id)
        material = arrangements.create_arrangement(
            anna, VersionFields(title="Water", body="Inleiding."),
            [Node(NodeKind.SECTION, title="Oorspronkelijk"),
             Node(NodeKind.PAGE, depth=1, title="Dijken", body="Dijken houden water tegen.")])
        current_uow().commit()
        arrangement = material.id
        head = db.session.get(Material, arrangement).latest_version
        arrangements.save_arrangement(
            anna, arrangement, head.id, VersionFields.of(head),
            [Node(NodeKind.SECTION, title="Gewijzigd"),
             Node(NodeKind.PAGE, depth=1, title="Dijken", body="Dijken houden zee tegen.")])
        current_uow().commit()
    with reading(app):
        comparison = compare(people["anna"].id, arrangement, 1, 2)
    assert comparison.old_text.startswith("Inleiding.\n")
    changes = [(s.kind, s.text) for s in comparison.segments if s.kind != "equal"]
    assert changes == [("delete", "Oorspronkelijk"), ("insert", "Gewijzigd"),
                       ("delete", "water"), ("insert", "zee")]


# -- readable values ----------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value", "english", "dutch"), [
    ("subjects", ("biology", "physics"), "Biology, Physics", "Biologie, Natuurkunde"),
    ("levels", ["havo"], "havo (senior general secondary)", "havo"),
    ("language", "en", "English", "Engels"),
    ("subjects", ("unknown-code",), "unknown-code", "unknown-code"),
    ("keywords", ("en",), "en", "en"),  # not a vocabulary field: a keyword stays as written
    ("duration_minutes", 45, "45", "45"),
    ("description", "", NO_VALUE, NO_VALUE),
    ("resource_type", None, NO_VALUE, NO_VALUE),
    ("keywords", (), NO_VALUE, NO_VALUE),
])
def test_values_read_as_people_read_them(app, field, value, english, dutch):
    with reading(app, "en"):
        assert readable_value(field, value) == english
    with reading(app, "nl"):
        assert readable_value(field, value) == dutch


def test_a_pull_names_the_original_s_value_by_its_label(app, client, people, make_material):
    """The page that asks which value of a field both sides changed to keep reads the values
    as a comparison does (the labels, not the codes)."""
    source = make_material(people["anna"], body="Tekst.\n", subjects=("biology",),
                           publish_by=people["mod"])
    client.login(people["bea"].email)
    remix = remix_via_page(client, source, "CC-BY-4.0", "Breuken")
    save(app, people["bea"], remix, subjects=("chemistry",))
    save(app, people["anna"], source, subjects=("physics", "biology"))
    publish(app, source, people["mod"])
    with app.app_context():
        latest_id = db.session.get(Material, source).published_version_id
    page = client.post(f"/materials/{remix}/upstream/pull",
                       {"source_version_id": str(latest_id)}, follow_redirects=True)
    assert "<strong>Physics, Biology</strong>" in page.get_data(as_text=True)
    assert "<strong>Chemistry</strong>" in page.get_data(as_text=True)
