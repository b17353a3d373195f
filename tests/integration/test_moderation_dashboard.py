"""The moderation dashboard: what waits, the median time to a decision, decisions per week
and per day (the chart and its table), with decisions made at known times; and who may see
it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, select, update

from oer_portal.accounts import trust
from oer_portal.accounts.models import User
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import lifecycle
from oer_portal.materials.models import Material
from oer_portal.materials.reviews import ReviewRound
from oer_portal.moderation import post_review, review, stats
from oer_portal.moderation.models import ReviewMessage
from oer_portal.moderation.review import Decision
from tests.integration.test_review import as_user, save, text

NOW = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)  # a Wednesday


def at(text_: str) -> datetime:
    return datetime.fromisoformat(text_).replace(tzinfo=UTC)


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher", name="Anna"), "tina": make_user("teacher", name="Tina"),
            "mo": make_user("moderator", name="Mo"), "student": make_user("student")}


def _user(person) -> User:
    return db.session.get(User, person.id)


def _submit(person, material_id: int, submitted: str) -> int:
    """Submit the head and date the new round ``submitted``; returns the request's id."""
    material = db.session.get(Material, material_id)
    request = lifecycle.submit_for_review(_user(person), material)
    db.session.flush()
    db.session.execute(update(ReviewRound).where(
        ReviewRound.id == max(r.id for r in request.rounds)).values(submitted_at=at(submitted)))
    return request.id


def _date_last_decision(review_id: int, decided: str) -> None:
    last = db.session.scalar(select(ReviewMessage.id).where(
        ReviewMessage.request_id == review_id).order_by(ReviewMessage.id.desc()).limit(1))
    db.session.execute(update(ReviewMessage).where(ReviewMessage.id == last)
                       .values(created_at=at(decided)))


@pytest.fixture()
def history(app, people, make_material):
    """Decisions at known times (see each comment); two requests pending, one waiting for
    post-review."""
    ids = {name: make_material(people["tina" if name in "dg" else "anna"], title=name)
           for name in "abcdefg"}
    with app.app_context():
        mo = _user(people["mo"])
        trust.grant(mo, people["tina"].id)
        # a: changes requested after 24 h; the revision approved 2 h after it was submitted.
        a = _submit(people["anna"], ids["a"], "2027-03-01 10:00")
        review.decide(mo, a, Decision.REQUEST_CHANGES, None, comment="Meer voorbeelden.")
        _date_last_decision(a, "2027-03-02 10:00")
        current_uow().commit()
    save(app, people["anna"], ids["a"], "Met voorbeelden.\n", title="a")
    with app.app_context():
        mo = _user(people["mo"])
        a = _submit(people["anna"], ids["a"], "2027-03-03 09:00")
        review.decide(mo, a, Decision.APPROVE, None)
        _date_last_decision(a, "2027-03-03 11:00")
        # b: rejected after 6 h.
        b = _submit(people["anna"], ids["b"], "2027-03-09 08:00")
        review.decide(mo, b, Decision.REJECT, None, comment="Geen lesmateriaal.")
        _date_last_decision(b, "2027-03-09 14:00")
        # c: approved after 16 days, more than 30 days ago (in the 90).
        c = _submit(people["anna"], ids["c"], "2026-12-20 10:00")
        review.decide(mo, c, Decision.APPROVE, None)
        _date_last_decision(c, "2027-01-05 10:00")
        # d: Tina's, published at once, seen 2 h later: a post-review look, no decision.
        d = _submit(people["tina"], ids["d"], "2027-03-08 10:00")
        post_review.mark_reviewed(mo, d, None)
        _date_last_decision(d, "2027-03-08 12:00")
        # e, f: waiting in the queue; g: waiting for post-review.
        _submit(people["anna"], ids["e"], "2027-03-05 07:00")
        _submit(people["anna"], ids["f"], "2027-03-07 16:30")
        _submit(people["tina"], ids["g"], "2027-03-09 09:00")
        current_uow().commit()
    return ids


def _dashboard(app, people) -> stats.ModerationStats:
    with app.app_context():
        return stats.dashboard(_user(people["mo"]), now=NOW)


def test_waiting_counts_and_the_oldest_waiting(app, people, history):
    waiting = _dashboard(app, people).waiting
    assert (waiting.pending, waiting.oldest_since, waiting.post_review) == (
        2, at("2027-03-05 07:00"), 1)
    assert waiting.open_reports is None  # the reports feature fills it


def test_median_time_to_a_decision_leaves_post_review_looks_out(app, people, history):
    medians = {m.days: m for m in _dashboard(app, people).medians}
    # 30 days: 24 h, 2 h, 6 h -> 6 h.  90 days: also 16 days -> (6 h + 24 h) / 2.
    assert (medians[30].median, medians[30].decisions) == (timedelta(hours=6), 3)
    assert (medians[90].median, medians[90].decisions) == (timedelta(hours=15), 4)


def test_decisions_per_week_and_per_day(app, people, history):
    shown = _dashboard(app, people)
    weeks = {w.start: (w.approved, w.changes_requested, w.rejected, w.post_reviewed)
             for w in shown.weeks}
    assert list(weeks) == [date(2027, 3, 8) - timedelta(weeks=n) for n in range(7, -1, -1)]
    assert weeks[date(2027, 3, 1)] == (1, 1, 0, 0)
    assert weeks[date(2027, 3, 8)] == (0, 0, 1, 1)
    assert sum(sum(counts) for counts in weeks.values()) == 4  # 5 January is 9 weeks back

    days = {d.start: (d.approved, d.changes_requested, d.rejected) for d in shown.days}
    assert len(days) == 30
    assert min(days) == date(2027, 2, 9) and max(days) == date(2027, 3, 10)
    assert {day: c for day, c in days.items() if any(c)} == {
        date(2027, 3, 2): (0, 1, 0), date(2027, 3, 3): (1, 0, 0), date(2027, 3, 9): (0, 0, 1)}
    assert [d.total for d in shown.days if d.start == date(2027, 3, 8)] == [0]


def test_the_chart_draws_each_days_decisions_to_scale(app, people, history):
    chart = _dashboard(app, people).chart
    assert chart.scale == 1 and len(chart.bars) == 30
    drawn = {bar.day: [(s.kind, s.count, s.y + s.height) for s in bar.segments]
             for bar in chart.bars if bar.segments}
    full = chart.baseline - chart.top
    assert drawn == {date(2027, 3, 2): [("changes_requested", 1, chart.baseline)],
                     date(2027, 3, 3): [("approved", 1, chart.baseline)],
                     date(2027, 3, 9): [("rejected", 1, chart.baseline)]}
    assert all(s.height == full for bar in chart.bars for s in bar.segments)
    xs = [bar.x for bar in chart.bars]
    assert xs == sorted(xs) and xs[-1] + chart.bars[-1].width <= chart.width


def test_stacked_segments_on_a_busier_day():
    days = [stats.Counts(date(2027, 3, 1), approved=2, changes_requested=1, rejected=1),
            stats.Counts(date(2027, 3, 2), approved=1)]
    chart = stats.chart(days)
    assert chart.scale == 4
    first = chart.bars[0].segments
    assert [s.kind for s in first] == ["approved", "changes_requested", "rejected"]
    plot = chart.baseline - chart.top
    assert [s.height for s in first] == [plot / 2, plot / 4, plot / 4]
    assert first[0].y + first[0].height == chart.baseline
    assert first[-1].y == pytest.approx(chart.top)
    assert chart.bars[1].segments[0].height == plot / 4


def test_an_empty_portal_has_no_median_and_a_flat_chart(app, people):
    with app.app_context():
        shown = stats.dashboard(_user(people["mo"]), now=NOW)
    assert [m.median for m in shown.medians] == [None, None]
    assert shown.waiting == stats.Waiting(0, None, 0)
    assert shown.chart.scale == 1 and all(not bar.segments for bar in shown.chart.bars)


def test_the_numbers_take_four_statements(app, people, history):
    statements: list[str] = []
    with app.app_context():
        user = _user(people["mo"])
        user.roles  # loaded before counting  # noqa: B018

        def note(_conn, _cursor, statement, *_args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", note)
        try:
            stats.dashboard(user, now=NOW)
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 4


def test_the_page_shows_the_numbers_the_chart_and_its_table(app, new_client, people, history):
    page = text(as_user(new_client, people["mo"]).get("/moderation/dashboard"))
    assert "<title>Moderation dashboard" in page and "<h1>Moderation dashboard</h1>" in page
    assert 'role="img" aria-labelledby="chart-title chart-desc"' in page
    assert page.count('class="stats-chart__bar stats-chart__bar--') >= 3
    assert "<details" in page and "The numbers per day" in page
    assert "Reviews waiting" in page and "Published, waiting for post-review" in page
    assert '<dt>Open reports</dt><dd><a href="/moderation/reports">0</a></dd>' in page
    assert " style=" not in page  # the CSP forbids inline styles
    assert 'aria-current="page">Dashboard' in page


def test_only_moderators_and_admins_see_the_dashboard(app, new_client, people, make_user):
    assert as_user(new_client, make_user("admin")).get("/moderation/dashboard"
                                                       ).status_code == 200
    for who in ("anna", "student"):
        assert as_user(new_client, people[who]).get("/moderation/dashboard").status_code == 403
    assert new_client().get("/moderation/dashboard").status_code == 302


def test_the_page_draws_todays_decisions_and_its_table_gives_the_same_numbers(
        app, new_client, people, make_material):
    """Decisions made now (the page counts back from the real clock): the SVG draws one
    stacked bar for today, and the table behind the chart gives the same numbers."""
    import re

    ids = [make_material(people["anna"], title=f"Les {n}") for n in range(3)]
    with app.app_context():
        mo = _user(people["mo"])
        for material_id, decision in zip(ids, (Decision.APPROVE, Decision.REQUEST_CHANGES,
                                                Decision.REJECT), strict=True):
            request = lifecycle.submit_for_review(_user(people["anna"]),
                                                  db.session.get(Material, material_id))
            db.session.flush()
            review.decide(mo, request.id, decision, None, comment="Zie de opmerkingen.")
        current_uow().commit()
    page = text(as_user(new_client, people["mo"]).get("/moderation/dashboard"))
    chart = page[page.index("<svg viewBox"):page.index("</svg>")]
    assert 'role="img" aria-labelledby="chart-title chart-desc"' in chart
    assert "The highest day had 3." in chart
    # Only today's bar has segments (the legend's keys carry no position).
    assert re.findall(r'<rect class="stats-chart__bar stats-chart__bar--(\w+)" x=', chart) == [
        "approved", "changes_requested", "rejected"]
    table = page[page.index('<details class="stats-details">'):page.index("</details>")]
    days = re.findall(r'<tr><th scope="row">[^<]+</th><td>(\d+)</td><td>(\d+)</td>'
                      r'<td>(\d+)</td><td>(\d+)</td></tr>', table)
    assert len(days) == 30
    assert days[-1] == ("1", "1", "1", "3") and set(days[:-1]) == {("0", "0", "0", "0")}
    assert "<dt>Reviews waiting</dt><dd><a href=\"/moderation/\">0</a></dd>" in page
