"""Writing materials: create, save a new version (compare-and-swap, three-way merge), revert.

Every save writes a new immutable version.  The edit carries the version it started from;
the save succeeds only when that is still the head.  When someone else saved meanwhile, the
body is merged three-way and the metadata field by field; a clean merge is saved as a new
version on top of theirs, anything else raises :class:`EditConflict` and nothing is written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

from flask_babel import gettext as _
from sqlalchemy import select, update

from oer_portal.accounts.models import User
from oer_portal.accounts.policy import Actor
from oer_portal.accounts.policy import require as require_permission
from oer_portal.core import audit
from oer_portal.core.errors import EditConflict, NotFound, ValidationError
from oer_portal.core.markdown import render_markdown
from oer_portal.core.types import utcnow
from oer_portal.extensions import db
from oer_portal.materials import licensing, policy
from oer_portal.materials.attachments import AttachmentRef, attach, refs_of
from oer_portal.materials.hooks import hooks_for
from oer_portal.materials.merge import merge3
from oer_portal.materials.metadata import InvalidFields, VersionFields, validate
from oer_portal.materials.models import (
    Material,
    MaterialCoAuthor,
    MaterialKind,
    MaterialStatus,
    MaterialVersion,
)


@dataclass(frozen=True)
class SaveResult:
    version: MaterialVersion
    #: True when the save was merged with someone else's newer version.
    merged: bool = False


@dataclass(frozen=True)
class ConflictDetails:
    """What the conflict page needs: the current head and the user's own, unsaved edit."""

    head: MaterialVersion
    mine: VersionFields
    merged_body: str
    conflicting_fields: tuple[str, ...]


class VersionConflict(EditConflict):
    def __init__(self, details: ConflictDetails) -> None:
        self.details = details
        super().__init__()


def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:80].rstrip("-") or "materiaal"


def get_material(material_id: int) -> Material:
    material = db.session.get(Material, material_id)
    if material is None:
        raise NotFound()
    return material


def lock_head(material_id: int) -> Material:
    """The material row, locked until commit (PostgreSQL; SQLite's write lock is already held
    since the transaction began with BEGIN IMMEDIATE)."""
    material = db.session.scalar(
        select(Material).where(Material.id == material_id)
        .with_for_update().execution_options(populate_existing=True))
    if material is None:
        raise NotFound()
    return material


def create_material(actor: Actor, kind: MaterialKind, fields: VersionFields,
                    attachments: Sequence[AttachmentRef] = (), summary: str = "",
                    external_id: str | None = None,
                    derived_from: MaterialVersion | None = None) -> Material:
    """A new draft material with its first version, owned by ``actor``; ``derived_from``
    makes it an adaptation of that version (the remix service's business: it decides who
    may adapt what), whose licence rule the first version already meets."""
    require_permission(policy.can_create(actor))
    fields = validate(fields, kind)
    if kind == MaterialKind.FILE and not attachments:
        raise InvalidFields({"files": _("Choose the file to share.")})
    now = utcnow()
    material = Material(kind=kind.value, slug=slugify(fields.title), owner_id=actor.id,
                        status=MaterialStatus.DRAFT, external_id=external_id,
                        derived_from_version_id=derived_from.id if derived_from else None,
                        created_at=now, updated_at=now)
    db.session.add(material)
    db.session.flush()
    version = _write_version(material, None, fields, attachments, actor, summary)
    material.latest_version_id = version.id
    audit.record("material.created", actor_id=actor.id, target=("material", material.id))
    return material


def _write_version(material: Material, head: MaterialVersion | None, fields: VersionFields,
                   attachments: Sequence[AttachmentRef], actor: Actor, summary: str,
                   reverted_from_id: int | None = None, merged: bool = False
                   ) -> MaterialVersion:
    """Every version is written here, so the licence rule holds on every path."""
    licensing.check_licence(material, fields.licence)
    version = MaterialVersion(
        material_id=material.id, number=(head.number + 1) if head else 1,
        title=fields.title, description=fields.description, body=fields.body,
        body_html=str(render_markdown(fields.body)),
        language=fields.language, licence=fields.licence, link_url=fields.link_url,
        meta=fields.meta(), author_id=actor.id, summary=summary.strip()[:500],
        base_version_id=head.id if head else None, reverted_from_id=reverted_from_id,
        merged=merged, created_at=utcnow(),
    )
    db.session.add(version)
    db.session.flush()
    attach(version.id, attachments)
    return version


def save_version(actor: Actor, material_id: int, base_version_id: int, fields: VersionFields,
                 attachments: Sequence[AttachmentRef], summary: str = "") -> SaveResult:
    """Save an edit that started from ``base_version_id`` as a new version of the material.

    ``attachments`` is the full list the user wants (kept ones and new ones, in order).
    """
    material = lock_head(material_id)
    require_permission(policy.can_edit(actor, material))
    fields = validate(fields, material.kind)
    head = db.session.get(MaterialVersion, material.latest_version_id)
    base = db.session.get(MaterialVersion, base_version_id)
    if base is None or base.material_id != material.id:
        raise NotFound()
    merged = False
    if head.id != base.id:
        fields, attachments = _merge_with_head(base, head, fields, attachments)
        merged = True
    version = _write_version(material, head, fields, attachments, actor, summary, merged=merged)
    _move_head(material, head, version)
    return SaveResult(version, merged)


def _move_head(material: Material, head: MaterialVersion, version: MaterialVersion) -> None:
    """The compare-and-swap: the head moves only if it is still ``head``."""
    moved = db.session.execute(
        update(Material).where(Material.id == material.id,
                               Material.latest_version_id == head.id)
        .values(latest_version_id=version.id, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        raise EditConflict()
    db.session.refresh(material)


def _merge_with_head(base: MaterialVersion, head: MaterialVersion, mine: VersionFields,
                     my_attachments: Sequence[AttachmentRef]
                     ) -> tuple[VersionFields, list[AttachmentRef]]:
    """Three-way merge of ``mine`` onto ``head``; raises VersionConflict when it cannot."""
    base_fields, head_fields = VersionFields.of(base), VersionFields.of(head)
    body = merge3(base_fields.body, mine.body, head_fields.body)
    merged = mine.with_body(body.text)
    conflicting: list[str] = []
    mine_values, base_values, head_values = (
        mine.comparable(), base_fields.comparable(), head_fields.comparable())
    for name, my_value in mine_values.items():
        if name == "body":
            continue
        theirs, original = head_values[name], base_values[name]
        if my_value == original:
            merged = replace(merged, **{name: theirs})
        elif theirs not in (original, my_value):
            conflicting.append(name)
    if not body.clean or conflicting:
        raise VersionConflict(ConflictDetails(head, mine, body.text, tuple(conflicting)))
    return merged, _merge_attachments(refs_of(base.attachments), my_attachments,
                                      refs_of(head.attachments))


def merges_cleanly(base: MaterialVersion, head: MaterialVersion, mine: VersionFields) -> bool:
    """Whether an edit that started from ``base`` would merge onto ``head`` without a
    conflict; nothing is written (a change proposal's page says when it no longer applies)."""
    if base.id == head.id:
        return True
    try:
        _merge_with_head(base, head, mine, refs_of(base.attachments))
    except VersionConflict:
        return False
    return True


def _merge_attachments(base: Sequence[AttachmentRef], mine: Sequence[AttachmentRef],
                       theirs: Sequence[AttachmentRef]) -> list[AttachmentRef]:
    """Their list, minus what I removed, plus what I added."""
    removed = {ref for ref in base if ref not in mine}
    added = [ref for ref in mine if ref not in base]
    result = [ref for ref in theirs if ref not in removed]
    return result + [ref for ref in added if ref not in result]


@dataclass(frozen=True)
class RevertResult:
    version: MaterialVersion
    #: The old version's licence when the sources no longer allow it and the current licence
    #: was kept instead (see ``_licence_for_revert``).
    licence_not_restored: str | None = None


def revert(actor: Actor, material_id: int, number: int, base_version_id: int,
           summary: str = "") -> RevertResult:
    """A new version with the content of version ``number`` (history is never rewritten)."""
    material = lock_head(material_id)
    require_permission(policy.can_edit(actor, material))
    head = db.session.get(MaterialVersion, material.latest_version_id)
    if head.id != base_version_id:
        raise EditConflict()
    target = version_by_number(material.id, number)
    fields = VersionFields.of(target)
    version = _write_version(material, head, replace(fields, licence=_licence_for_revert(
        material, fields.licence, head.licence)), refs_of(target.attachments), actor, summary,
        reverted_from_id=target.id)
    hooks_for(material.kind).copy_content(target, version)
    _move_head(material, head, version)
    audit.record("material.reverted", actor_id=actor.id, target=("material", material.id),
                 details={"to": number, "version": version.number})
    return RevertResult(version, fields.licence if version.licence != fields.licence else None)


def _licence_for_revert(material: Material, wanted: str, current: str) -> str:
    """The old version's licence, unless the sources no longer allow it (the original moved
    to another licence and the remix pulled that change): then the current licence stays,
    or failing that the most open one allowed.  A revert restores content, not a breach."""
    adaptation = licensing.adaptation_for(material)
    if adaptation is None or adaptation.allows(wanted):
        return wanted
    if adaptation.allows(current) or adaptation.suggested is None:
        return current
    return adaptation.suggested.spdx


def version_by_number(material_id: int, number: int) -> MaterialVersion:
    version = db.session.scalar(select(MaterialVersion).where(
        MaterialVersion.material_id == material_id, MaterialVersion.number == number))
    if version is None:
        raise NotFound()
    return version


def add_co_author(actor: Actor, material_id: int, email: str) -> User:
    """Let another teacher edit the material with the owner (named in the credits too)."""
    from oer_portal.accounts import service as accounts

    material = get_material(material_id)
    require_permission(policy.can_manage_authors(actor, material))
    user = accounts.find_by_email(email)
    # One answer for every address that is not a teacher's who can log in (issue 16): an
    # unknown address, a student, an account whose address is not confirmed.
    if user is None or not policy.can_create(user) or user.email_confirmed_at is None:
        raise ValidationError(_("There is no teacher with this e-mail address."))
    if user.id == material.owner_id or user.id in material.co_author_ids:
        raise ValidationError(_("%(name)s is already an author.", name=user.display_name))
    material.co_author_rows.append(MaterialCoAuthor(user_id=user.id))
    audit.record("material.co_author_added", actor_id=actor.id,
                 target=("material", material.id), details={"user": user.id})
    return user


def remove_co_author(actor: Actor, material_id: int, user_id: int) -> None:
    material = get_material(material_id)
    require_permission(policy.can_manage_authors(actor, material))
    material.co_author_rows = [row for row in material.co_author_rows if row.user_id != user_id]
    audit.record("material.co_author_removed", actor_id=actor.id,
                 target=("material", material.id), details={"user": user_id})


def co_authors(material: Material) -> list[User]:
    if not material.co_author_ids:
        return []
    return list(db.session.scalars(select(User).where(User.id.in_(material.co_author_ids))
                                   .order_by(User.display_name)))
