"""The moderation dashboard's numbers: what waits, how long authors wait for a decision,
and how many decisions moderators made per week and per day.

What counts as a decision: a decision message of a review's conversation
(``review_messages`` of kind approved, changes requested or rejected; one per decision,
written in the decision's unit of work, so its ``created_at`` is the decision's time).  A
request's ``decided_at`` is not used: it keeps only the latest decision, and a request that
went through three rounds had three.  The time to a decision runs from the submission of the
round it decided (the latest ``review_rounds`` row of that request and version submitted
before it) to the decision.  Decisions on versions published at once (a trusted teacher's,
``review_rounds.published_directly``) are post-review looks, not decisions anyone waited
for: they are counted apart (``post_reviewed``) and left out of the median and the chart.

Days and weeks are UTC calendar days and ISO weeks (Monday first).  Statements are bounded:
four, whatever the numbers (``test_moderation_dashboard.py``).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from oer_portal.accounts.policy import Actor
from oer_portal.accounts.policy import require as require_permission
from oer_portal.core.types import utcnow
from oer_portal.extensions import db
from oer_portal.materials import policy as material_policy
from oer_portal.materials.reviews import ReviewRequest, ReviewRound, ReviewStatus
from oer_portal.moderation.models import DECISIONS, MessageKind, ReviewMessage

#: The periods the median is given for, in days.
MEDIAN_PERIODS = (30, 90)
#: How many weeks (the current one included) the table of decisions shows.
WEEKS = 8
#: How many days (today included) the chart shows.
DAYS = 30

#: The kinds of decisions, in the order of tables and the chart's stacks.
KINDS = (MessageKind.APPROVED, MessageKind.CHANGES_REQUESTED, MessageKind.REJECTED)


@dataclass(frozen=True)
class Waiting:
    """What waits for moderators now."""

    #: Requests waiting for a decision (the queue).
    pending: int
    #: When the longest-waiting of them was submitted (its latest round); ``None``: none.
    oldest_since: datetime | None
    #: Versions published at once that wait for a moderator's look.
    post_review: int
    #: HOOK for the reports (another part of issue 12): the open reports' count.  ``None``
    #: until the reports feature fills it (``dashboard(..., open_reports=...)``); the
    #: template shows the number only when it is not ``None``.
    open_reports: int | None = None


@dataclass(frozen=True)
class Counts:
    """Decisions of each kind in one period (a day or a week)."""

    start: date
    approved: int = 0
    changes_requested: int = 0
    rejected: int = 0
    #: Looks at versions published at once (not part of ``total``).
    post_reviewed: int = 0

    @property
    def total(self) -> int:
        return self.approved + self.changes_requested + self.rejected

    def of(self, kind: str) -> int:
        return int(getattr(self, kind))


@dataclass(frozen=True)
class Median:
    """The median time from submission to decision over the last ``days`` days."""

    days: int
    #: ``None`` when no decision was made in the period.
    median: timedelta | None
    decisions: int


@dataclass(frozen=True)
class Segment:
    kind: str
    count: int
    y: float
    height: float


@dataclass(frozen=True)
class Bar:
    """One day's stacked bar, in the chart's coordinates (SVG presentation attributes)."""

    day: date
    x: float
    width: float
    total: int
    segments: tuple[Segment, ...]
    #: Show the day under the bar (today and every seventh day before it).
    labelled: bool


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    #: Where the bars stand (the x axis) and the top of the highest one.
    baseline: float
    top: float
    #: The highest day's total (the scale; at least 1).
    scale: int
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class ModerationStats:
    waiting: Waiting
    medians: tuple[Median, ...]
    #: The last ``WEEKS`` ISO weeks, oldest first (the current one, partial, last).
    weeks: tuple[Counts, ...]
    #: The last ``DAYS`` days, oldest first (today last).
    days: tuple[Counts, ...]
    chart: Chart
    now: datetime = field(default_factory=utcnow)


def dashboard(actor: Actor, now: datetime | None = None,
              open_reports: int | None = None) -> ModerationStats:
    """Every number of the dashboard, for moderators and admins (``now``: for tests)."""
    require_permission(material_policy.is_staff(actor))
    now = now or utcnow()
    today = now.date()
    decisions = _decisions_since(now - timedelta(days=max(*MEDIAN_PERIODS, WEEKS * 7, DAYS)))
    medians = tuple(_median(decisions, now, days) for days in MEDIAN_PERIODS)
    first_monday = today - timedelta(days=today.weekday() + 7 * (WEEKS - 1))
    weeks = _count(decisions, [first_monday + timedelta(weeks=n) for n in range(WEEKS)], 7)
    days = _count(decisions, [today - timedelta(days=n) for n in range(DAYS - 1, -1, -1)], 1)
    return ModerationStats(waiting=_waiting(open_reports), medians=medians, weeks=weeks,
                           days=days, chart=chart(days), now=now)


@dataclass(frozen=True)
class _Decision:
    kind: str
    at: datetime
    #: Time since the decided round was submitted (``None``: no round found).
    waited: timedelta | None
    post_review: bool


def _decisions_since(since: datetime) -> list[_Decision]:
    """The decisions made since ``since`` with the rounds they decided (two statements)."""
    messages = db.session.execute(
        select(ReviewMessage.request_id, ReviewMessage.version_id, ReviewMessage.kind,
               ReviewMessage.created_at)
        .where(ReviewMessage.kind.in_(DECISIONS), ReviewMessage.created_at >= since)
        .order_by(ReviewMessage.created_at)).all()
    rounds: dict[tuple[int, int], list[tuple[datetime, bool]]] = {}
    if messages:
        for request_id, version_id, at, directly in db.session.execute(
                select(ReviewRound.request_id, ReviewRound.version_id, ReviewRound.submitted_at,
                       ReviewRound.published_directly)
                .where(ReviewRound.request_id.in_({m[0] for m in messages}))
                .order_by(ReviewRound.submitted_at, ReviewRound.id)):
            rounds.setdefault((request_id, version_id), []).append((at, directly))
    found = []
    for request_id, version_id, kind, at in messages:
        decided = [r for r in rounds.get((request_id, version_id), []) if r[0] <= at]
        submitted, directly = decided[-1] if decided else (None, False)
        found.append(_Decision(kind, at, at - submitted if submitted else None, directly))
    return found


def _median(decisions: Sequence[_Decision], now: datetime, days: int) -> Median:
    since = now - timedelta(days=days)
    waits = [d.waited.total_seconds() for d in decisions
             if d.at >= since and not d.post_review and d.waited is not None]
    return Median(days, timedelta(seconds=statistics.median(waits)) if waits else None,
                  len(waits))


def _count(decisions: Sequence[_Decision], starts: list[date], length: int
           ) -> tuple[Counts, ...]:
    tallies = {start: dict.fromkeys((*KINDS, "post_reviewed"), 0) for start in starts}
    for decision in decisions:
        day = decision.at.date()
        for start in starts:
            if start <= day < start + timedelta(days=length):
                key = "post_reviewed" if decision.post_review else decision.kind
                tallies[start][key] += 1
    return tuple(Counts(start, **{str(k): v for k, v in tally.items()})
                 for start, tally in tallies.items())


def _waiting(open_reports: int | None) -> Waiting:
    """The queue's size and its oldest round, and the post-review list's size."""
    latest = (select(func.max(ReviewRound.submitted_at).label("since"))
              .join(ReviewRequest, ReviewRequest.id == ReviewRound.request_id)
              .where(ReviewRequest.status == ReviewStatus.PENDING)
              .group_by(ReviewRound.request_id).subquery())
    pending, oldest = db.session.execute(
        select(func.count(), func.min(latest.c.since)).select_from(latest)).one()
    post_review = db.session.scalar(select(func.count()).select_from(ReviewRequest).where(
        ReviewRequest.post_review.is_(True))) or 0
    return Waiting(pending=pending or 0, oldest_since=_aware(oldest), post_review=post_review,
                   open_reports=open_reports)


def _aware(value: datetime | str | None) -> datetime | None:
    """``min`` over a subquery loses the column's type on SQLite (a string may come back,
    or a naive time): always an aware UTC time."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# -- The chart --------------------------------------------------------------------------------

#: The chart's size in its own units (it scales to the page's width).
CHART_WIDTH, CHART_HEIGHT = 600, 200
_LEFT, _RIGHT, _TOP, _BOTTOM = 36, 8, 12, 28


def chart(days: Sequence[Counts]) -> Chart:
    """Stacked bars of the decisions per day, computed here so the template only writes
    ``<rect>`` elements with presentation attributes (the CSP forbids inline styles)."""
    scale = max([day.total for day in days] + [1])
    plot_height = CHART_HEIGHT - _TOP - _BOTTOM
    baseline = float(CHART_HEIGHT - _BOTTOM)
    slot = (CHART_WIDTH - _LEFT - _RIGHT) / max(len(days), 1)
    width = round(slot * 0.7, 2)
    bars = []
    for index, day in enumerate(days):
        y = baseline
        segments = []
        for kind in KINDS:
            count = day.of(kind)
            if count:
                height = round(plot_height * count / scale, 2)
                y = round(y - height, 2)
                segments.append(Segment(str(kind), count, y, height))
        bars.append(Bar(day.start, round(_LEFT + index * slot + (slot - width) / 2, 2), width,
                        day.total, tuple(segments),
                        labelled=(len(days) - 1 - index) % 7 == 0))
    return Chart(CHART_WIDTH, CHART_HEIGHT, baseline, float(_TOP), scale, tuple(bars))
