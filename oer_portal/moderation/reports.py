"""Reports: anyone signed in tells the moderators that a published material is wrong
(copyright, inappropriate, incorrect, spam, other), and a moderator dismisses the report or
takes the material offline with a public reason; a material taken offline can be put back.

Rules every path keeps:

- only what the public sees can be reported: a draft, a withdrawn or an offline material is
  not found (its existence is nobody else's business);
- one open report per person and material (a unique index holds it when two posts race);
  a second is refused politely, a new one is welcome once the first was decided;
- taking a material offline closes every open report of it as upheld, and tells each
  reporter and the authors; a dismissal tells only the reporter (the authors never learn of
  a report that changed nothing), and the authors are never told who reported;
- a moderator never decides about their own material (owner or co-author): another one
  does;
- every decision locks the material's row first, so a dismissal and an unpublishing of the
  same material, or two of either, happen one after the other and the second sees the
  first's result;
- every action is audited in the same unit of work: ``report.filed``, ``report.dismissed``,
  ``material.unpublished``, ``material.reinstated``.

The state of the material itself is the lifecycle's (``materials.lifecycle.unpublish`` and
``reinstate``): an offline material is a withdrawn one marked as the moderation's, so every
public channel that hides a withdrawal hides it too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.orm import aliased

from oer_portal.accounts.models import User
from oer_portal.accounts.policy import Actor
from oer_portal.accounts.policy import require as require_permission
from oer_portal.core import audit
from oer_portal.core.errors import Conflict, NotFound, ValidationError
from oer_portal.core.types import utcnow
from oer_portal.extensions import db
from oer_portal.materials import lifecycle
from oer_portal.materials import policy as material_policy
from oer_portal.materials.models import (
    Material,
    MaterialCoAuthor,
    MaterialStatus,
    MaterialVersion,
)
from oer_portal.materials.service import lock_head
from oer_portal.moderation.conversation import author_ids, excerpt
from oer_portal.moderation.models import Report, ReportCategory, ReportStatus
from oer_portal.notifications.models import NotificationKind, TargetType
from oer_portal.notifications.service import notify

#: The longest comment a reporter writes, and the longest note or reason of a moderator.
MAX_COMMENT = 2000

CATEGORY_LABELS = {
    ReportCategory.COPYRIGHT: _l("Copyright: it uses someone else's work without permission"),
    ReportCategory.INAPPROPRIATE: _l("Inappropriate for education"),
    ReportCategory.INCORRECT: _l("Incorrect content"),
    ReportCategory.SPAM: _l("Spam or advertising"),
    ReportCategory.OTHER: _l("Something else"),
}

#: Short names for the queue.
CATEGORY_NAMES = {
    ReportCategory.COPYRIGHT: _l("Copyright"),
    ReportCategory.INAPPROPRIATE: _l("Inappropriate"),
    ReportCategory.INCORRECT: _l("Incorrect"),
    ReportCategory.SPAM: _l("Spam"),
    ReportCategory.OTHER: _l("Other"),
}

#: A moderator can only act on these with the reporter's words: what work is copied, from
#: where; what "something else" is.
COMMENT_REQUIRED = frozenset({ReportCategory.COPYRIGHT, ReportCategory.OTHER})

QUEUE_PAGE = 50


# -- Who may report what -----------------------------------------------------------------


def is_reportable(material: Material) -> bool:
    """What the public sees now: published, not withdrawn, not taken offline."""
    return material.status == MaterialStatus.PUBLISHED \
        and material.published_version_id is not None


def reportable_material(actor: Actor, material_id: int) -> Material:
    """The material ``actor`` may report; anything else is not found."""
    material = db.session.get(Material, material_id)
    if material is None or not is_reportable(material) \
            or not material_policy.can_view_material(actor, material):
        raise NotFound()
    return material


def open_report_of(reporter_id: int, material_id: int) -> Report | None:
    return db.session.scalar(select(Report).where(
        Report.material_id == material_id, Report.reporter_id == reporter_id,
        Report.status == ReportStatus.OPEN))


def _authenticated(actor: Actor) -> User:
    if not isinstance(actor, User) or not actor.is_authenticated:
        raise NotFound()
    return actor


# -- Filing -----------------------------------------------------------------------------


def file_report(actor: Actor, material_id: int, category: str, comment: str) -> Report:
    """``actor`` reports what they see of the material now (its published version)."""
    user = _authenticated(actor)
    reportable_material(user, material_id)
    material = lock_head(material_id)
    if not is_reportable(material):  # taken down while the row was waited for
        raise NotFound()
    try:
        chosen = ReportCategory(category or "")
    except ValueError:
        raise ValidationError(_("Choose what is wrong with the material.")) from None
    comment = (comment or "").strip()
    if chosen in COMMENT_REQUIRED and not comment:
        raise ValidationError(_("Tell the moderators what is wrong: for copyright, whose "
                                "work it is and where it comes from.")
                              if chosen == ReportCategory.COPYRIGHT else
                              _("Tell the moderators what is wrong."))
    if len(comment) > MAX_COMMENT:
        raise ValidationError(_("Write at most %(n)d characters.", n=MAX_COMMENT))
    if open_report_of(user.id, material.id) is not None:
        raise Conflict(_("You have already reported this material: your report is being "
                         "dealt with."))
    report = Report(material_id=material.id, version_id=material.published_version_id,
                    reporter_id=user.id, category=chosen.value, comment=comment,
                    created_at=utcnow(), status=ReportStatus.OPEN)
    db.session.add(report)
    db.session.flush()
    audit.record("report.filed", actor_id=user.id, target=("report", report.id),
                 details={"material": material.id, "version_id": report.version_id,
                          "category": chosen.value})
    return report


# -- The queue ---------------------------------------------------------------------------


def open_report_count() -> int:
    """Open reports, for the header's and the dashboard's counts (one indexed count)."""
    return db.session.scalar(select(func.count(Report.id))
                             .where(Report.status == ReportStatus.OPEN)) or 0


@dataclass(frozen=True)
class QueueRow:
    """One report as the queue lists it."""

    report: Report
    material_id: int
    slug: str
    #: The title of the version the reporter saw.
    title: str
    version_number: int
    reporter: str
    #: Open reports of the same material (this one included, while open).
    open_of_material: int
    #: The material is offline by a moderator's decision (it may be reinstated).
    material_unpublished: bool
    material_withdrawn: bool
    decided_by: str | None
    #: The reader wrote the material: another moderator decides.
    own_work: bool

    @property
    def category_name(self) -> str:
        return str(CATEGORY_NAMES.get(ReportCategory(self.report.category), self.report.category))


@dataclass(frozen=True)
class Queue:
    rows: list[QueueRow]
    show: str
    page: int
    has_more: bool
    open_count: int


def queue(actor: Actor, show: str = "open", page: int = 1) -> Queue:
    """Open reports oldest first, or decided ones newest first; a page of them in one
    statement (the open count per material and the names come with each row)."""
    require_permission(material_policy.is_staff(actor))
    show = "closed" if show == "closed" else "open"
    page = max(page, 1)
    reporter = aliased(User)
    decider = aliased(User)
    other = aliased(Report)
    open_of_material = (select(func.count(other.id))
                        .where(other.material_id == Report.material_id,
                               other.status == ReportStatus.OPEN)
                        .scalar_subquery())
    actor_id = actor.id  # type: ignore[attr-defined]
    own_work = (Material.owner_id == actor_id) | exists().where(
        MaterialCoAuthor.material_id == Report.material_id,
        MaterialCoAuthor.user_id == actor_id)
    statement = (
        select(Report, Material.slug, MaterialVersion.title, MaterialVersion.number,
               reporter.display_name, open_of_material, Material.withdrawn_by_moderation,
               Material.status, decider.display_name, own_work)
        .join(Material, Material.id == Report.material_id)
        .join(MaterialVersion, MaterialVersion.id == Report.version_id)
        .join(reporter, reporter.id == Report.reporter_id)
        .outerjoin(decider, decider.id == Report.decided_by_id))
    if show == "open":
        statement = statement.where(Report.status == ReportStatus.OPEN) \
            .order_by(Report.created_at, Report.id)
    else:
        statement = statement.where(Report.status != ReportStatus.OPEN) \
            .order_by(Report.decided_at.desc(), Report.id.desc())
    rows = db.session.execute(
        statement.offset((page - 1) * QUEUE_PAGE).limit(QUEUE_PAGE + 1)).all()
    made = [QueueRow(report=row[0], material_id=row[0].material_id, slug=row[1], title=row[2],
                     version_number=row[3], reporter=row[4], open_of_material=row[5],
                     material_unpublished=bool(row[6]) and row[7] == MaterialStatus.WITHDRAWN,
                     material_withdrawn=row[7] == MaterialStatus.WITHDRAWN, decided_by=row[8],
                     own_work=bool(row[9]))
            for row in rows[:QUEUE_PAGE]]
    return Queue(made, show, page, len(rows) > QUEUE_PAGE, open_report_count())


# -- Decisions ---------------------------------------------------------------------------


def _report_for(actor: Actor, report_id: int) -> tuple[Report, Material]:
    require_permission(material_policy.is_staff(actor))
    report = db.session.get(Report, report_id)
    if report is None:
        raise NotFound()
    material = lock_head(report.material_id)
    require_permission(material_policy.can_moderate(actor, material))
    db.session.refresh(report)
    return report, material


def _title(material: Material) -> str:
    version = material.published_version or material.latest_version
    return version.title if version is not None else ""


def _tell(recipients: Iterable[int], actor: User, target: tuple[TargetType, int],
          material: Material, outcome: str, to: str, reason: str) -> None:
    notify(recipients, NotificationKind.REPORT_OUTCOME, target,
           {"title": _title(material), "material_id": material.id, "outcome": outcome,
            "to": to, "reason": excerpt(reason)}, actor_id=actor.id)


def _clean(text: str, required: str | None) -> str:
    text = (text or "").strip()
    if required is not None and not text:
        raise ValidationError(required)
    if len(text) > MAX_COMMENT:
        raise ValidationError(_("Write at most %(n)d characters.", n=MAX_COMMENT))
    return text


def dismiss(actor: User, report_id: int, note: str = "") -> Report:
    """Leave the material online; the reporter is told, with ``note`` if there is one, and
    the authors that it stays online (without the note, and never who reported it)."""
    report, material = _report_for(actor, report_id)
    note = _clean(note, None)
    if not report.is_open:
        raise Conflict(_("This report has already been dealt with."))
    report.status = ReportStatus.DISMISSED
    report.decided_by_id, report.decided_at = actor.id, utcnow()
    report.decision_reason = note
    audit.record("report.dismissed", actor_id=actor.id, target=("report", report.id),
                 details={"material": material.id, "version_id": report.version_id,
                          "reason": note})
    _tell([report.reporter_id], actor, (TargetType.REPORT, report.id), material,
          "dismissed", "reporter", note)
    _tell(author_ids(material) - {report.reporter_id}, actor,
          (TargetType.MATERIAL, material.id), material, "dismissed", "author", "")
    return report


def unpublish(actor: User, material_id: int, reason: str,
              report_id: int | None = None) -> list[Report]:
    """Take the material offline with a public ``reason`` (its tombstone shows it), from a
    report (``report_id``, which must still be open) or directly (the material page, a
    post-review).  Every open report of the material is closed as upheld; its reporters and
    the authors are told.  Returns the reports closed."""
    require_permission(material_policy.is_staff(actor))
    material = lock_head(material_id)
    require_permission(material_policy.can_moderate(actor, material))
    reason = _clean(reason, _("Say why the material is taken offline; the reason is shown on "
                              "its page."))
    if report_id is not None:
        report = db.session.get(Report, report_id)
        if report is None or report.material_id != material.id:
            raise NotFound()
        if not report.is_open:
            raise Conflict(_("This report has already been dealt with."))
    if not material_policy.can_unpublish(actor, material):
        raise Conflict(_("This material is not online: there is nothing to take down."))
    closing = list(db.session.scalars(select(Report).where(
        Report.material_id == material.id, Report.status == ReportStatus.OPEN)
        .order_by(Report.id)))
    lifecycle.unpublish(actor, material, reason,
                        {"report": report_id, "reports": [r.id for r in closing]})
    for report in closing:
        report.status = ReportStatus.UPHELD
        # The same instant as the material's: it tells which reports took it down.
        report.decided_by_id, report.decided_at = actor.id, material.withdrawn_at
        report.decision_reason = reason
    _tell_authors_and_reporters(actor, material, closing, "unpublished", reason)
    return closing


def _tell_authors_and_reporters(actor: User, material: Material, reports: Sequence[Report],
                                outcome: str, reason: str) -> None:
    """The authors hear ``outcome`` about their material (never who reported it); each
    reporter once, about their first report, unless they are an author too."""
    authors = author_ids(material)
    _tell(authors, actor, (TargetType.MATERIAL, material.id), material, outcome, "author",
          reason)
    first: dict[int, Report] = {}
    for report in reports:
        first.setdefault(report.reporter_id, report)
    for reporter_id, report in first.items():
        if reporter_id not in authors:
            _tell([reporter_id], actor, (TargetType.REPORT, report.id), material, outcome,
                  "reporter", reason)


def upheld_by_last_unpublishing(material: Material) -> list[Report]:
    """The reports closed when the material was last taken offline (it is still offline)."""
    if not material.is_unpublished or material.withdrawn_at is None:
        return []
    return list(db.session.scalars(select(Report).where(
        Report.material_id == material.id, Report.status == ReportStatus.UPHELD,
        Report.decided_at >= material.withdrawn_at).order_by(Report.id)))


def reinstate(actor: User, material_id: int, reason: str) -> Material:
    """Put a material a moderator took offline back online, with the version it had; the
    authors and the reporters whose reports took it down are told."""
    require_permission(material_policy.is_staff(actor))
    material = lock_head(material_id)
    require_permission(material_policy.can_moderate(actor, material))
    reason = _clean(reason, _("Say why the material is put back online."))
    if material.is_withdrawn and not material.is_unpublished:
        raise Conflict(_("Its authors withdrew this material; only a material the "
                         "moderators took offline can be put back."))
    if not material_policy.can_reinstate(actor, material):
        raise Conflict(_("This material is online already."))
    upheld = upheld_by_last_unpublishing(material)
    lifecycle.reinstate(actor, material, reason, {"reports": [r.id for r in upheld]})
    _tell_authors_and_reporters(actor, material, upheld, "reinstated", reason)
    return material

