"""Following the original: notices when it publishes a newer version, and pulling the change.

A remix is *in step* with one version of its original (``derived_from`` at first, later the
version last pulled).  When the original publishes a newer version, the remix's owners see a
notice with the diff; they dismiss it, or pull: a three-way merge with the version they are
in step with as the base, the original's newest published version as *theirs* and the
remix's head as *ours*.  Additions both made at one place are both kept, the remix's first.
A merge without conflicts is saved at once as a new draft version through the materials
service (so the compare-and-swap, validation, licence and review rules are the usual ones).

When both changed the same lines, or the same field, differently, nothing is saved until the
teacher chose what to keep for every one of them on the resolution page (``pending_pull``,
``pull_resolved``).  Between requests nothing is stored: the page carries the ids of the three
versions, which never change, so the same merge is worked out again from them; when the remix
or the original moved on meanwhile, the page is stale and refused (``StalePull``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from oer_portal.accounts.policy import Actor
from oer_portal.accounts.policy import require as require_permission
from oer_portal.core import audit
from oer_portal.core.errors import Conflict, NotFound, ValidationError
from oer_portal.core.types import utcnow
from oer_portal.extensions import db
from oer_portal.licences.compatibility import allowed_licences_for_adaptation
from oer_portal.materials import merge as merging
from oer_portal.materials import queries
from oer_portal.materials import service as materials
from oer_portal.materials.attachments import AttachmentRef, refs_of
from oer_portal.materials.diff import word_diff
from oer_portal.materials.hooks import ContentWriter, hooks_for
from oer_portal.materials.merge import Choice, ConflictRegion, MergeResult, Passage, Resolution
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import (
    Material,
    MaterialCoAuthor,
    MaterialStatus,
    MaterialVersion,
)
from oer_portal.remix import policy
from oer_portal.remix.models import RemixPull, RemixUpstream
from oer_portal.remix.service import RemixRefused, current_locale

#: Fields a pull never takes from the original: the licence is decided by the licence rules,
#: and the provenance of an imported original is credited, not copied (see ``service.remix``).
NOT_PULLED = frozenset({"body", "licence", "authors", "source_url", "attribution"})


@dataclass(frozen=True)
class UpstreamStatus:
    """Where a remix stands relative to its original."""

    remix: Material
    source: Material
    #: The original's version the remix is in step with (the merge base).
    synced: MaterialVersion
    #: The original's newest published version; ``None`` once it is withdrawn.
    latest: MaterialVersion | None
    dismissed: bool

    @property
    def has_update(self) -> bool:
        return self.latest is not None and self.latest.number > self.synced.number

    @property
    def notice(self) -> bool:
        """Show the owner a notice: there is a newer version they did not dismiss."""
        return self.has_update and not self.dismissed


def status_of(remix: Material) -> UpstreamStatus | None:
    """``None`` for a material that is not a remix."""
    if remix.derived_from_version_id is None:
        return None
    row = db.session.get(RemixUpstream, remix.id)
    synced = db.session.get(MaterialVersion,
                            row.synced_version_id if row else remix.derived_from_version_id)
    if synced is None:
        return None
    source = synced.material
    latest = (db.session.get(MaterialVersion, source.published_version_id)
              if source.published_version_id and not source.is_withdrawn else None)
    dismissed = bool(row and latest and row.dismissed_version_id == latest.id)
    return UpstreamStatus(remix, source, synced, latest, dismissed)


def status_for(actor: Actor, remix_id: int) -> UpstreamStatus:
    """The status of a remix ``actor`` may edit (the upstream pages and actions)."""
    remix = queries.material_for(actor, remix_id)
    require_permission(policy.can_follow_upstream(actor, remix))
    status = status_of(remix)
    if status is None:
        raise NotFound()
    return status


def notices(actor: Actor) -> list[UpstreamStatus]:
    """The actor's remixes whose original published a version they have not seen: one query
    finds them, however many remixes the teacher has."""
    remix, synced, source, latest = (aliased(Material), aliased(MaterialVersion),
                                     aliased(Material), aliased(MaterialVersion))
    synced_id = func.coalesce(RemixUpstream.synced_version_id, remix.derived_from_version_id)
    co_authored = select(MaterialCoAuthor.material_id).where(MaterialCoAuthor.user_id == actor.id)
    ids = db.session.scalars(
        select(remix.id)
        .outerjoin(RemixUpstream, RemixUpstream.material_id == remix.id)
        .join(synced, synced.id == synced_id)
        .join(source, source.id == synced.material_id)
        .join(latest, latest.id == source.published_version_id)
        .where(or_(remix.owner_id == actor.id, remix.id.in_(co_authored)),
               remix.status != MaterialStatus.WITHDRAWN,
               source.status != MaterialStatus.WITHDRAWN,
               latest.number > synced.number,
               or_(RemixUpstream.dismissed_version_id.is_(None),
                   RemixUpstream.dismissed_version_id != latest.id))
        .order_by(remix.updated_at.desc())).all()
    statuses = [status_of(db.session.get(Material, material_id)) for material_id in ids]
    return [s for s in statuses if s is not None and s.notice]


def _row(remix: Material) -> RemixUpstream:
    row = db.session.get(RemixUpstream, remix.id)
    if row is None:
        row = RemixUpstream(material_id=remix.id, synced_version_id=remix.derived_from_version_id)
        db.session.add(row)
    row.updated_at = utcnow()
    return row


def _current(actor: Actor, remix_id: int, source_version_id: int) -> UpstreamStatus:
    """The status, provided the original's newest version is still the one the owner saw."""
    status = status_for(actor, remix_id)
    if not status.has_update or status.latest is None or status.latest.id != source_version_id:
        raise Conflict(_("The original has changed since you looked at it. Look at its "
                         "changes again."))
    return status


def dismiss(actor: Actor, remix_id: int, source_version_id: int) -> None:
    """Hide the notice for this version of the original (a newer one shows it again)."""
    status = _current(actor, remix_id, source_version_id)
    _row(status.remix).dismissed_version_id = source_version_id
    audit.record("remix.upstream_dismissed", actor_id=actor.id,
                 target=("material", status.remix.id),
                 details={"source_version": source_version_id})


# -- Pulling ------------------------------------------------------------------------------


class NeedsResolution(Conflict):
    """The pull has passages or fields both sides changed: the teacher chooses first."""

    default_message = _l("You and the original changed the same parts. Choose what to keep "
                         "before the changes are saved.")


class ContentConflict(Conflict):
    """Both the remix and the original changed what a kind keeps beside its fields (an
    arrangement's outline), which merges only as a whole: the pull cannot be made."""

    default_message = _l("You and the original both changed the parts of the arrangement, "
                         "and two outlines cannot be merged. Open the original's new "
                         "version, copy what you want into your remix in the builder, and "
                         "dismiss this notice.")


class StalePull(Conflict):
    """A resolution page worked out from versions that are no longer the current ones."""

    default_message = _l("Your remix or the original changed after this page was opened, so "
                         "your choices were not saved. Start again from the current versions.")


@dataclass(frozen=True)
class FieldConflict:
    """A field both the remix and the original changed differently."""

    field: str
    ours: Any
    theirs: Any

    @property
    def is_list(self) -> bool:
        """A list (keywords, subjects, …) can keep both sides' items."""
        return isinstance(self.ours, tuple)

    def value_for(self, choice: Choice) -> Any:
        if choice is Choice.MINE:
            return self.ours
        if choice is Choice.THEIRS:
            return self.theirs
        if choice is Choice.BOTH and self.is_list:
            return self.ours + tuple(item for item in self.theirs if item not in self.ours)
        raise ValidationError(_("Choose your value or the original's."))


@dataclass(frozen=True)
class UpstreamMerge:
    #: The merged fields; a field both changed holds the remix's value, and the body is
    #: ``body.text`` (which has conflict markers when ``body`` is not clean: such fields are
    #: never saved, ``resolved`` makes the ones that are).
    fields: VersionFields
    attachments: list[AttachmentRef]
    body: MergeResult
    field_conflicts: tuple[FieldConflict, ...]
    #: The licence the remix had to move to because the original's licence changed.
    licence_changed_to: str | None = None
    #: Writes the kind's own merged content (an arrangement's outline) to the pull's new
    #: version; ``None`` when both sides changed it (``ContentConflict``).
    content: ContentWriter | None = None

    @property
    def content_conflict(self) -> bool:
        return self.content is None

    @property
    def body_conflicts(self) -> tuple[ConflictRegion, ...]:
        return self.body.conflicts

    @property
    def clean(self) -> bool:
        return not self.body_conflicts and not self.field_conflicts

    def resolved(self, passages: Sequence[Resolution],
                 fields: Mapping[str, Choice]) -> VersionFields:
        """The merged fields with every conflict decided: one resolution per conflicting
        passage, in order, and a choice for every conflicting field."""
        if len(passages) != len(self.body_conflicts) or \
                set(fields) != {conflict.field for conflict in self.field_conflicts}:
            raise ValidationError(_("Choose what to keep in every place you and the original "
                                    "both changed."))
        chosen = {conflict.field: conflict.value_for(fields[conflict.field])
                  for conflict in self.field_conflicts}
        return replace(self.fields, body=self.body.resolved(passages), **chosen)


def merge_upstream(base: MaterialVersion, ours: MaterialVersion,
                   theirs: MaterialVersion) -> UpstreamMerge:
    """Three-way merge of the original's change (base → theirs) into the remix (ours).

    Raises :class:`RemixRefused` when the original's new licence forbids adaptation.
    """
    adaptation = allowed_licences_for_adaptation([theirs.licence])
    if not adaptation.ok:
        raise RemixRefused(_("The original's newest version cannot be pulled: %(reason)s",
                             reason=adaptation.reason(current_locale())))
    base_f, ours_f, theirs_f = VersionFields.of(base), VersionFields.of(ours), \
        VersionFields.of(theirs)
    # The remix's own additions keep their place; the original's follow them.
    body = merging.merge3(base_f.body, ours_f.body, theirs_f.body, mine_first=True)
    merged = ours_f.with_body(body.text)
    base_values, theirs_values = base_f.comparable(), theirs_f.comparable()
    conflicts: list[FieldConflict] = []
    for name, mine in ours_f.comparable().items():
        if name in NOT_PULLED:
            continue
        original, new = base_values[name], theirs_values[name]
        if mine == original:
            merged = replace(merged, **{name: new})
        elif new not in (original, mine):
            conflicts.append(FieldConflict(name, mine, new))
    licence_changed_to = None
    allowed = {licence.spdx for licence in adaptation.allowed}
    if merged.licence not in allowed and adaptation.suggested is not None:
        licence_changed_to = adaptation.suggested.spdx
        merged = replace(merged, licence=licence_changed_to)
    return UpstreamMerge(merged, _merge_attachments(base, ours, theirs), body,
                         tuple(conflicts), licence_changed_to,
                         hooks_for(ours.material.kind).merge_content(base, ours, theirs))


def _merge_attachments(base: MaterialVersion, ours: MaterialVersion,
                       theirs: MaterialVersion) -> list[AttachmentRef]:
    """Ours, minus what the original removed, plus what it added (by reference)."""
    base_refs, our_refs, their_refs = (refs_of(v.attachments) for v in (base, ours, theirs))
    removed = {ref for ref in base_refs if ref not in their_refs}
    added = [ref for ref in their_refs if ref not in base_refs]
    result = [ref for ref in our_refs if ref not in removed]
    return result + [ref for ref in added if ref not in result]


@dataclass(frozen=True)
class PullResult:
    version: MaterialVersion
    merge: UpstreamMerge


def preview(status: UpstreamStatus) -> UpstreamMerge | None:
    """What a pull would do now (the upstream page says whether it will conflict)."""
    if not status.has_update or status.latest is None:
        return None
    try:
        return merge_upstream(status.synced, status.remix.latest_version, status.latest)
    except RemixRefused:
        return None


def pull(actor: Actor, remix_id: int, source_version_id: int) -> PullResult:
    """Merge the original's newest published version into a new draft version of the remix;
    raises :class:`NeedsResolution` (and writes nothing) when both changed the same parts."""
    status = _current(actor, remix_id, source_version_id)
    assert status.latest is not None  # narrows the type  # nosec B101
    head = status.remix.latest_version
    merge = merge_upstream(status.synced, head, status.latest)
    if merge.content_conflict:
        raise ContentConflict()
    if not merge.clean:
        raise NeedsResolution()
    return _save_pull(actor, status, head, merge.fields, merge, choices={})


@dataclass(frozen=True)
class PullVersions:
    """The three versions a pull merges, by id: the version of the original the remix is in
    step with (base), the remix's head (ours) and the original's newest (theirs)."""

    base_id: int
    ours_id: int
    theirs_id: int


@dataclass(frozen=True)
class TextPiece:
    """A run of a conflicting passage's text; ``differs`` when the other side lacks it."""

    text: str
    differs: bool


@dataclass(frozen=True)
class PendingPull:
    """A pull that needs the teacher's choices, as the resolution page shows it."""

    status: UpstreamStatus
    ours: MaterialVersion
    theirs: MaterialVersion
    versions: PullVersions
    merge: UpstreamMerge

    def passages(self) -> tuple[Passage, ...]:
        return self.merge.body.passages()


def sides(region: ConflictRegion) -> tuple[tuple[TextPiece, ...], tuple[TextPiece, ...]]:
    """The remix's and the original's text of a conflict, the words only one has marked, so
    a long paragraph with one changed word shows where to look."""
    segments = word_diff(region.theirs, region.mine)
    return (tuple(TextPiece(s.text, s.kind == "insert") for s in segments if s.kind != "delete"),
            tuple(TextPiece(s.text, s.kind == "delete") for s in segments if s.kind != "insert"))


def pending_pull(actor: Actor, remix_id: int,
                 expected: PullVersions | None = None) -> PendingPull | None:
    """What pulling the original's newest version means now (``None``: there is nothing new
    to pull).  With ``expected``, the versions a page was worked out from: when they are no
    longer the current ones, raises :class:`StalePull`.  Raises :class:`RemixRefused` when
    the original's licence no longer allows adaptations."""
    status = status_for(actor, remix_id)
    head = status.remix.latest_version
    latest = status.latest if status.has_update else None
    versions = PullVersions(status.synced.id, head.id, latest.id) if latest else None
    if expected is not None and versions != expected:
        if status.synced.id == expected.theirs_id:
            raise StalePull(_("These changes of the original are already in your remix."))
        raise StalePull()
    if latest is None or versions is None:
        return None
    merge = merge_upstream(status.synced, head, latest)
    if merge.content_conflict:
        raise ContentConflict()
    return PendingPull(status, head, latest, versions, merge)


def pull_resolved(actor: Actor, remix_id: int, versions: PullVersions,
                  passages: Sequence[Resolution], fields: Mapping[str, Choice]) -> PullResult:
    """Save the pull of ``versions`` with the teacher's choice for every conflicting passage
    (in order) and field, as a new draft version of the remix."""
    pending = pending_pull(actor, remix_id, expected=versions)
    assert pending is not None  # narrows the type  # nosec B101
    resolved = pending.merge.resolved(passages, fields)
    return _save_pull(actor, pending.status, pending.ours, resolved, pending.merge,
                      choices={"passages": [resolution.choice.value for resolution in passages],
                               "fields": {name: choice.value for name, choice in fields.items()}})


def _save_pull(actor: Actor, status: UpstreamStatus, head: MaterialVersion,
               fields: VersionFields, merge: UpstreamMerge,
               choices: Mapping[str, Any]) -> PullResult:
    """Write the pulled fields as a draft on top of ``head`` and record the pull."""
    latest = status.latest
    assert latest is not None  # narrows the type  # nosec B101
    summary = _("Changes from “%(title)s” version %(number)d", title=latest.title,
                number=latest.number)
    if not merge.clean:
        summary = _("%(summary)s, with your choices where you both changed the same parts",
                    summary=summary)
    # In step with the new version first: the licence rule checks the save against it.
    row = _row(status.remix)
    row.synced_version_id, row.dismissed_version_id = latest.id, None
    db.session.flush()
    result = materials.save_version(actor, status.remix.id, head.id, fields, merge.attachments,
                                    summary)
    if merge.content is None:  # (``pull`` and ``pending_pull`` refused it already)
        raise ContentConflict()
    merge.content(result.version)
    db.session.add(RemixPull(version_id=result.version.id, material_id=status.remix.id,
                             source_version_id=latest.id, pulled_at=utcnow()))
    audit.record("remix.upstream_pulled", actor_id=actor.id,
                 target=("material", status.remix.id),
                 details={"source_version": latest.id, "version": result.version.number,
                          "conflicts": len(merge.body_conflicts) + len(merge.field_conflicts),
                          **choices})
    return PullResult(result.version, merge)


def has_conflict_markers(version: MaterialVersion) -> bool:
    """Whether a version still holds conflict markers, as drafts that pulls saved before
    conflicts had a page of their own may."""
    return merging.has_conflict_markers(version.body)
