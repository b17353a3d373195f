"""The review queue: what waits for a moderator's decision, filtered, sorted and a page at a
time, with the one-click decisions; and the moderators' header count.

A page of the queue costs a fixed number of statements however many requests wait (the
counts, and one statement for the page's rows with their authors, claims, published
versions, remix sources and whether each is the reader's own work), so 200 waiting
requests read as fast as 20 (``tests/integration/test_review_queue.py`` counts them).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import ColumnElement, and_, case, exists, func, literal, or_, select, true
from sqlalchemy.orm import aliased

from oer_portal.accounts import service as accounts_service
from oer_portal.accounts.models import Role, User, UserRole
from oer_portal.accounts.policy import Actor
from oer_portal.accounts.policy import require as require_permission
from oer_portal.core.types import utcnow
from oer_portal.extensions import db
from oer_portal.licences.compatibility import allowed_licences_for_adaptation
from oer_portal.materials import policy as material_policy
from oer_portal.materials.metadata import Term, resolve_term, vocabularies
from oer_portal.materials.models import Material, MaterialCoAuthor, MaterialKind, MaterialVersion
from oer_portal.materials.reviews import ReviewRequest, ReviewStatus
from oer_portal.moderation import claims, review
from oer_portal.moderation.models import Report, ReportStatus
from oer_portal.moderation.review import Decision
from oer_portal.remix import service as remix_service

#: Requests on one page of the queue.
PER_PAGE = 25
#: The choices of "waiting more than … days".
WAITING_DAYS = (1, 3, 7, 14)
SORTS = ("oldest", "newest")
SUBMISSIONS = ("new", "revision")
KINDS = tuple(kind.value for kind in MaterialKind)
#: The query parameters of the filter form, in the order they are written in links.
PARAMETERS = ("subject", "level", "language", "kind", "submission", "waiting", "sort", "page")


# -- Filters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    """What the moderator asked for (every value already known to be valid)."""

    subject: str | None = None
    level: str | None = None
    language: str | None = None
    kind: str | None = None
    #: "new" (nothing of the material published yet) or "revision".
    submission: str | None = None
    #: Only requests waiting more than this many days.
    waiting: int | None = None
    sort: str = "oldest"
    page: int = 1

    def args(self, **changes: Any) -> dict[str, str]:
        """The query parameters that give these filters (with ``changes``), defaults left
        out: the pagination's links keep the filters."""
        values = asdict(replace(self, **changes))
        defaults = asdict(QueueFilters())
        return {name: str(values[name]) for name in PARAMETERS
                if values[name] is not None and values[name] != defaults[name]}

    @property
    def narrowed(self) -> bool:
        return any(getattr(self, name) is not None for name in
                   ("subject", "level", "language", "kind", "submission", "waiting"))


def parse_filters(args: Mapping[str, str]) -> tuple[QueueFilters, tuple[str, ...]]:
    """The filters the query parameters ask for, and a message for each value that is not
    one of the choices (that filter is left out; the page is never an error)."""
    problems: list[str] = []

    def raw(name: str) -> str:
        return (args.get(name) or "").strip()[:200]

    def shown(value: str) -> str:
        return value if len(value) <= 40 else value[:40] + "…"

    def term(name: str, vocabulary: str, message: str) -> str | None:
        value = raw(name)
        if not value:
            return None
        code = resolve_term(vocabulary, value)
        if code is None:
            problems.append(message % {"value": shown(value)})
        return code

    def choice(name: str, choices: tuple[str, ...], message: str) -> str | None:
        value = raw(name)
        if value and value not in choices:
            problems.append(message % {"value": shown(value)})
            return None
        return value or None

    subject = term("subject", "subject", _("There is no subject “%(value)s”; all subjects "
                                           "are shown."))
    level = term("level", "level", _("There is no level “%(value)s”; all levels are shown."))
    language = term("language", "language", _("There is no language “%(value)s”; all "
                                              "languages are shown."))
    kind = choice("kind", KINDS, _("There is no kind of material “%(value)s”; all kinds "
                                   "are shown."))
    submission = choice("submission", SUBMISSIONS, _("“%(value)s” is neither new material "
                                                     "nor a revision; both are shown."))
    waiting_raw = choice("waiting", tuple(str(days) for days in WAITING_DAYS),
                         _("“%(value)s” is not one of the waiting times; every request is "
                           "shown, however long it waits."))
    sort = choice("sort", SORTS, _("“%(value)s” is not a way to sort the queue; the oldest "
                                   "requests come first."))
    page_raw = raw("page")
    page = 1
    if page_raw:
        if page_raw.isdigit() and 0 < int(page_raw) < 1_000_000:
            page = int(page_raw)
        else:
            problems.append(_("“%(value)s” is not a page number; the first page is shown.",
                              value=shown(page_raw)))
    return QueueFilters(subject=subject, level=level, language=language, kind=kind,
                        submission=submission,
                        waiting=int(waiting_raw) if waiting_raw else None,
                        sort=sort or "oldest", page=page), tuple(problems)


def filter_choices(locale: str) -> dict[str, list[tuple[str, str]]]:
    """The values the filter form offers, with their labels in ``locale`` (levels under
    their parent, marked as narrower)."""
    vocab = vocabularies()

    def depth(term: Term, terms: Mapping[str, Term]) -> int:
        n = 0
        while term.parent_code in terms and n < 5:
            term, n = terms[term.parent_code], n + 1  # type: ignore[index]
        return n

    levels = vocab["level"]
    return {
        "subject": [(code, term.label(locale)) for code, term in vocab["subject"].items()],
        "level": [(code, "— " * depth(term, levels) + term.label(locale))
                  for code, term in levels.items()],
        "language": [(code, term.label(locale)) for code, term in vocab["language"].items()],
        "waiting": [(str(days), ngettext("More than %(num)d day", "More than %(num)d days",
                                         days)) for days in WAITING_DAYS],
    }


def _with_narrower(code: str, terms: Mapping[str, Term]) -> set[str]:
    """``code`` and every level under it (havo is also secondary education), as search's
    level filter counts them."""
    found = {code}
    while True:
        more = {c for c, t in terms.items() if t.parent_code in found} - found
        if not more:
            return found
        found |= more


def _contains_code(json_list: ColumnElement[Any], codes: set[str]) -> ColumnElement[bool]:
    """The JSON list (as its text: SQLite and PostgreSQL alike) holds one of ``codes``: a
    code in quotes matches one whole element (codes hold no quotes)."""
    text = json_list.as_string()  # type: ignore[attr-defined]
    return or_(*(text.contains(f'"{code}"', autoescape=True) for code in sorted(codes)))


# -- The page ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueSource:
    """The original a remix in the queue adapts: the version it is based on."""

    material_id: int
    version_number: int
    title: str
    licence: str
    #: The remix carries another licence than the original: look twice.
    licence_differs: bool
    #: The licence rules allow the remix's licence for this original.
    licence_allowed: bool


@dataclass(frozen=True)
class QueueEntry:
    review_id: int
    material_id: int
    kind: str
    version_id: int
    version_number: int
    title: str
    description: str
    #: Who wrote the version under review.
    author: str
    submitted_at: datetime
    waited: timedelta
    subjects: tuple[str, ...]
    levels: tuple[str, ...]
    language: str
    licence: str
    #: The published version's number (``None``: new material, nothing published yet).
    published_number: int | None
    source: QueueSource | None
    claim: claims.Claim | None
    #: The reader wrote it (author, co-author or a version since the published one).
    own_work: bool
    #: The reader's id, to tell their own claim from another's.
    reader_id: int

    @property
    def is_new(self) -> bool:
        return self.published_number is None

    @property
    def claimed_by_other(self) -> bool:
        return self.claim is not None and not self.claim.held_by(self.reader_id)

    @property
    def claimed_by_reader(self) -> bool:
        return self.claim is not None and self.claim.held_by(self.reader_id)

    @property
    def may_decide(self) -> bool:
        return not self.own_work and not self.claimed_by_other

    @property
    def may_claim(self) -> bool:
        """Take it on, or (when the reader holds it) release it: whoever may decide."""
        return self.may_decide


@dataclass(frozen=True)
class QueuePage:
    filters: QueueFilters
    #: Messages about filter values that were left out.
    problems: tuple[str, ...]
    entries: tuple[QueueEntry, ...]
    #: Every request waiting for a decision, and those the filters let through.
    waiting: int
    matching: int
    pages: int
    #: The reader is an admin, who may take over another moderator's claim.
    may_take_over: bool = False

    @property
    def page(self) -> int:
        return self.filters.page


def queue(actor: Actor, filters: QueueFilters = QueueFilters(),
          problems: tuple[str, ...] = ()) -> QueuePage:
    """One page of the requests waiting for a decision (oldest first unless asked
    otherwise), for moderators and admins."""
    require_permission(material_policy.is_staff(actor))
    assert isinstance(actor, User)  # narrows the type  # nosec B101
    vocab = vocabularies()
    under_review = aliased(MaterialVersion)
    conditions = _conditions(filters, under_review, vocab)
    matches = and_(*conditions) if conditions else true()
    pending = ReviewRequest.status == ReviewStatus.PENDING
    if conditions:
        waiting, matching = db.session.execute(
            select(func.count(), func.coalesce(func.sum(case((matches, 1), else_=0)), 0))
            .select_from(ReviewRequest)
            .join(Material, Material.id == ReviewRequest.material_id)
            .join(under_review, under_review.id == ReviewRequest.version_id)
            .where(pending)).one()
    else:  # from the index alone: no version row (and its text) is read to count
        waiting = matching = db.session.scalar(
            select(func.count()).select_from(ReviewRequest).where(pending))
    waiting, matching = int(waiting), int(matching)
    pages = max(1, math.ceil(matching / PER_PAGE))
    if filters.page > pages:
        filters = replace(filters, page=pages)
    entries = _entries(actor, filters, under_review, conditions) if matching else ()
    return QueuePage(filters=filters, problems=problems, entries=entries, waiting=waiting,
                     matching=matching, pages=pages,
                     may_take_over=actor.has_role(Role.ADMIN))


def _conditions(filters: QueueFilters, version: Any, vocab: Mapping[str, Mapping[str, Term]]
                ) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.subject:
        conditions.append(_contains_code(version.meta["subjects"], {filters.subject}))
    if filters.level:
        conditions.append(_contains_code(version.meta["levels"],
                                         _with_narrower(filters.level, vocab["level"])))
    if filters.language:
        conditions.append(version.language == filters.language)
    if filters.kind:
        conditions.append(Material.kind == filters.kind)
    if filters.submission == "new":
        conditions.append(Material.published_version_id.is_(None))
    elif filters.submission == "revision":
        conditions.append(Material.published_version_id.is_not(None))
    if filters.waiting:
        conditions.append(ReviewRequest.submitted_at < utcnow() - timedelta(days=filters.waiting))
    return conditions


def _own_work(user_id: int, version: Any, published: Any) -> ColumnElement[bool]:
    """``review.is_own_work`` (and the version's own author) as a column: the queue asks
    it of every request of the page in its one statement."""
    written = aliased(MaterialVersion)
    return or_(
        Material.owner_id == user_id,
        version.author_id == user_id,
        exists().where(MaterialCoAuthor.material_id == Material.id,
                       MaterialCoAuthor.user_id == user_id),
        exists().where(written.material_id == Material.id, written.author_id == user_id,
                       written.number > func.coalesce(published.number, 0),
                       written.number <= version.number))


def _entries(actor: User, filters: QueueFilters, version: Any,
             conditions: list[ColumnElement[bool]]) -> tuple[QueueEntry, ...]:
    """The page's requests in one statement: only the columns the queue shows (never a
    version's text), with the author, the claimant, the published version and, for a
    remix, the original's version it is based on."""
    published, source = aliased(MaterialVersion), aliased(MaterialVersion)
    author, claimant = aliased(User), aliased(User)
    source_id = remix_service.based_on_column(Material.id, Material.derived_from_version_id,
                                              version.number)
    order = (ReviewRequest.submitted_at.asc(), ReviewRequest.id.asc()) \
        if filters.sort == "oldest" else \
        (ReviewRequest.submitted_at.desc(), ReviewRequest.id.desc())
    rows = db.session.execute(
        select(ReviewRequest.id, ReviewRequest.material_id, Material.kind,
               ReviewRequest.version_id, version.number, version.title, version.description,
               author.display_name.label("author"), ReviewRequest.submitted_at,
               version.meta["subjects"].label("subjects"),
               version.meta["levels"].label("levels"), version.language, version.licence,
               published.number.label("published_number"), ReviewRequest.status,
               ReviewRequest.claimed_by_id, ReviewRequest.claimed_at,
               claimant.display_name.label("claimant"),
               source.material_id.label("source_material_id"),
               source.number.label("source_number"), source.title.label("source_title"),
               source.licence.label("source_licence"),
               _own_work(actor.id, version, published).label("own_work"))
        .join(Material, Material.id == ReviewRequest.material_id)
        .join(version, version.id == ReviewRequest.version_id)
        .join(author, author.id == version.author_id)
        .outerjoin(published, published.id == Material.published_version_id)
        .outerjoin(claimant, claimant.id == ReviewRequest.claimed_by_id)
        .outerjoin(source, and_(Material.derived_from_version_id.is_not(None),
                                source.id == source_id))
        .where(ReviewRequest.status == ReviewStatus.PENDING, *conditions)
        .order_by(*order).limit(PER_PAGE).offset((filters.page - 1) * PER_PAGE))
    now = utcnow()
    return tuple(QueueEntry(
        review_id=row.id, material_id=row.material_id, kind=row.kind,
        version_id=row.version_id, version_number=row.number, title=row.title,
        description=row.description or "", author=row.author,
        submitted_at=row.submitted_at, waited=now - row.submitted_at,
        subjects=tuple(row.subjects or ()), levels=tuple(row.levels or ()),
        language=row.language, licence=row.licence, published_number=row.published_number,
        source=_source(row), claim=claims.of_row(row.status, row.claimed_by_id,
                                                 row.claimed_at, row.claimant, now),
        own_work=bool(row.own_work), reader_id=actor.id) for row in rows)


def _source(row: Any) -> QueueSource | None:
    if row.source_material_id is None:
        return None
    return QueueSource(
        material_id=row.source_material_id, version_number=row.source_number,
        title=row.source_title, licence=row.source_licence,
        licence_differs=row.source_licence != row.licence,
        licence_allowed=allowed_licences_for_adaptation([row.source_licence])
        .allows(row.licence))


# -- The one-click decisions ------------------------------------------------------------------


def approve(actor: Actor, review_id: int, version_id: int | None) -> ReviewRequest:
    """The queue's one-click approval: publish exactly the version the queue showed
    (``version_id``); when the author submitted another one meanwhile, nothing happens and
    the moderator is told (the rules of every decision are ``review.decide``'s)."""
    return review.decide(actor, review_id, Decision.APPROVE,  # type: ignore[arg-type]
                         version_id, version_required=True)


def reject(actor: Actor, review_id: int, version_id: int | None, reason: str
           ) -> ReviewRequest:
    """Send the version the queue showed back to its author with a reason; the public sees
    no change."""
    return review.decide(actor, review_id, Decision.REJECT, version_id,  # type: ignore[arg-type]
                         comment=reason, version_required=True)


# -- The header's count -----------------------------------------------------------------------


def waiting_parts() -> list[ColumnElement[int]]:
    """What waits for the moderators, one scalar count each: the header adds them up
    (its badge leads to the dashboard, which shows each).  Reviews waiting and open
    reports; a trusted teacher's publication waiting for post-review is public already
    and does not call for a moderator now, so the dashboard shows it but the header
    does not count it."""
    return [select(func.count()).select_from(ReviewRequest)
            .where(ReviewRequest.status == ReviewStatus.PENDING).scalar_subquery(),
            select(func.count()).select_from(Report)
            .where(Report.status == ReportStatus.OPEN).scalar_subquery()]


def waiting_count_of(user_id: ColumnElement[int]) -> ColumnElement[int | None]:
    """How much waits for moderators, for the user whose id is ``user_id`` when they are a
    moderator or admin (``None`` for anyone else): an expression of the session loader's
    statement (``accounts.service.register_staff_waiting``), so the header's count costs
    no query of its own."""
    is_staff = exists().where(UserRole.user_id == user_id,
                              UserRole.role.in_((Role.MODERATOR.value, Role.ADMIN.value)))
    total: ColumnElement[int] = literal(0)
    for part in waiting_parts():
        total = total + part
    return case((is_staff, total), else_=None)


accounts_service.register_staff_waiting(waiting_count_of)
