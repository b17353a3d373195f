"""A small portal for the OAI-PMH tests: published lessons at known moments, a remix, an
arrangement, a withdrawn and an unpublished material, and everything that must never be
harvested (a draft, a pending and a rejected first submission, a deleted draft, the draft
revision of a published lesson).

Publication times are set by the lifecycle's own clock (``lifecycle.utcnow`` patched), so the
datestamps the provider gives are the ones the lifecycle wrote.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from oer_portal.accounts.models import User
from oer_portal.arrangements import service as arrangements
from oer_portal.arrangements.structure import Node, NodeKind
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import lifecycle
from oer_portal.materials import service as materials
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import Material, MaterialKind, MaterialVersion
from oer_portal.moderation import service as moderation
from oer_portal.remix import service as remixing

REPOSITORY = "oer-portal.local"


def identifier(material_id: int) -> str:
    return f"oai:{REPOSITORY}:material/{material_id}"


def at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@dataclass
class Portal:
    #: material id → (title the public sees, its datestamp as the protocol writes it)
    published: dict[int, tuple[str, str]] = field(default_factory=dict)
    #: withdrawn or unpublished: id → datestamp
    deleted: dict[int, str] = field(default_factory=dict)
    #: never published: must never appear
    hidden: dict[str, int] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    draft_title: str = "Geheime nieuwe titel"

    @property
    def records(self) -> set[str]:
        return {identifier(i) for i in (*self.published, *self.deleted)}


#: The lessons: (key, title, subjects, levels, language, published at)
LESSONS = [
    ("fractions", "Breuken vergelijken", ("mathematics",), ("primary",), "nl",
     "2026-01-05T09:00:00Z"),
    ("photosynthesis", "Fotosynthese", ("biology",), ("havo", "vwo"), "nl",
     "2026-01-10T12:30:00Z"),
    ("ohm", "Ohm en de zaklamp", ("physics",), ("vmbo",), "nl", "2026-02-01T08:00:00Z"),
    ("cells", "Cells and tissues", ("biology",), ("wo",), "en", "2026-02-01T08:00:00Z"),
    ("rivers", "Rivieren in Nederland", ("geography",), ("primary", "secondary"), "nl",
     "2026-02-14T23:59:59Z"),
    ("verbs", "Unregelmäßige Verben", ("german",), ("havo",), "de", "2026-03-01T00:00:00Z"),
    ("revised", "Getallenlijn", ("mathematics",), ("primary",), "nl", "2026-03-02T10:00:00Z"),
]


@contextmanager
def clock(monkeypatch: pytest.MonkeyPatch, text: str) -> Iterator[None]:
    moment = at(text).replace(microsecond=123456)
    with monkeypatch.context() as patch:
        patch.setattr(lifecycle, "utcnow", lambda: moment)
        yield


def build(app: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch) -> Portal:
    anna = make_user("teacher", name="Anna Aalders")
    mod = make_user("moderator", name="Mo Moderator")
    portal = Portal()
    with app.app_context():
        teacher = db.session.get(User, anna.id)
        moderator = db.session.get(User, mod.id)
        uow = current_uow()

        def lesson(title: str, **fields: Any) -> Material:
            material = materials.create_material(
                teacher, MaterialKind.LESSON,
                VersionFields(title=title, body="Tekst.\n", description=f"Over {title}.",
                              keywords=("oefenen",), **fields))
            db.session.flush()
            return material

        def publish(material: Material, when: str) -> None:
            with clock(monkeypatch, when):
                lifecycle.publish(material,
                                  db.session.get(MaterialVersion, material.latest_version_id),
                                  moderator)
            uow.commit()

        for key, title, subjects, levels, language, when in LESSONS:
            material = lesson(title, subjects=subjects, levels=levels, language=language,
                              licence="CC-BY-SA-4.0")
            publish(material, when)
            portal.ids[key] = material.id
            portal.published[material.id] = (title, when)

        # A published lesson whose newer version is only a draft: the public title stays.
        revised = db.session.get(Material, portal.ids["revised"])
        materials.save_version(teacher, revised.id, revised.latest_version_id,
                               VersionFields(title=portal.draft_title, body="Nieuw.\n",
                                             levels=("wo",)), [])
        uow.commit()

        # A remix of the photosynthesis lesson, and an arrangement of two lessons.
        remix = remixing.remix(teacher, portal.ids["photosynthesis"], None, "CC-BY-SA-4.0",
                               title="Fotosynthese geremixt")
        db.session.flush()
        publish(remix, "2026-03-03T10:00:00Z")
        portal.ids["remix"] = remix.id
        portal.published[remix.id] = ("Fotosynthese geremixt", "2026-03-03T10:00:00Z")
        arrangement = arrangements.create_arrangement(
            teacher, VersionFields(title="Lessenreeks natuur", body="Inleiding.\n"),
            [Node(NodeKind.MATERIAL, material_id=portal.ids["photosynthesis"]),
             Node(NodeKind.MATERIAL, material_id=portal.ids["ohm"])])
        db.session.flush()
        publish(arrangement, "2026-03-04T10:00:00Z")
        portal.ids["arrangement"] = arrangement.id
        portal.published[arrangement.id] = ("Lessenreeks natuur", "2026-03-04T10:00:00Z")

        # Withdrawn by its author, and taken offline by a moderator.
        withdrawn = lesson("Teruggetrokken les", subjects=("history",))
        publish(withdrawn, "2026-01-20T10:00:00Z")
        with clock(monkeypatch, "2026-04-01T10:00:00Z"):
            lifecycle.withdraw(teacher, withdrawn, "Verouderd.")
        uow.commit()
        portal.ids["withdrawn"] = withdrawn.id
        portal.deleted[withdrawn.id] = "2026-04-01T10:00:00Z"
        offline = lesson("Offline gehaalde les", subjects=("history",))
        publish(offline, "2026-01-21T10:00:00Z")
        with clock(monkeypatch, "2026-04-02T10:00:00Z"):
            lifecycle.unpublish(moderator, offline, "Klacht.")
        uow.commit()
        portal.ids["offline"] = offline.id
        portal.deleted[offline.id] = "2026-04-02T10:00:00Z"

        # Never published: a draft, a pending and a rejected first submission, a deleted draft.
        portal.hidden["draft"] = lesson("Geheim concept", subjects=("biology",)).id
        uow.commit()
        pending = lesson("Wachtende les", subjects=("biology",))
        lifecycle.submit_for_review(teacher, pending)
        uow.commit()
        portal.hidden["pending"] = pending.id
        rejected = lesson("Afgewezen les", subjects=("biology",))
        request = lifecycle.submit_for_review(teacher, rejected)
        uow.commit()
        moderation.reject(moderator, request.id, request.version_id, "Nog niet goed genoeg.")
        uow.commit()
        portal.hidden["rejected"] = rejected.id
        deleted_draft = lesson("Weggegooid concept")
        lifecycle.withdraw(teacher, deleted_draft, "")
        uow.commit()
        portal.hidden["deleted_draft"] = deleted_draft.id
    return portal
