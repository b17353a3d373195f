"""Statistics for authors: views and downloads counted in memory without personal data,
written in a transaction of their own, surviving a restart within the stated loss, and shown
to the material's authors (and staff) only."""

from __future__ import annotations

import io
import re
import weakref
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, inspect, select

from oer_portal.accounts.models import User
from oer_portal.arrangements import service as arrangements
from oer_portal.arrangements.structure import Node, NodeKind
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.licences import registry
from oer_portal.materials import lifecycle
from oer_portal.materials.attachments import Upload, store_upload
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import Material, MaterialVersion
from oer_portal.remix import service as remix_service
from oer_portal.usage import counter as counter_module
from oer_portal.usage.counter import UsageCounter, utc_today
from oer_portal.usage.models import UsageCount
from oer_portal.usage.visitors import is_prefetch, is_robot
from tests.conftest import make_config
from tests.fixtures.statements import page_statements

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher"), "bea": make_user("teacher"),
            "mod": make_user("moderator"), "student": make_user("student")}


@pytest.fixture()
def lesson(app, people, make_material):
    with app.app_context():
        ref = store_upload(Upload(io.BytesIO(b"Een paar regels tekst.\n"), "notities.txt"))
        current_uow().commit()
    return make_material(people["anna"], title="Breuken", attachments=[ref],
                         publish_by=people["mod"])


def _counter(app) -> UsageCounter:
    return app.extensions["usage"]


def _page(app, material_id: int) -> str:
    with app.app_context():
        return f"/materials/{material_id}-{db.session.get(Material, material_id).slug}"


def _download(app, material_id: int) -> str:
    with app.app_context():
        version = db.session.get(Material, material_id).published_version
        attachment = version.attachments[0]
        return f"/materials/{material_id}/files/{attachment.id}/{attachment.filename}"


def _stored(app) -> dict[tuple[int, str], int]:
    with app.app_context():
        rows = db.session.execute(select(UsageCount.material_id, UsageCount.kind,
                                         UsageCount.count)).all()
        db.session.remove()
    return {(m, k): n for m, k, n in rows}


def _pending(app, material_id: int, kind: str) -> int:
    return _counter(app).pending().get((material_id, utc_today(), kind), 0)


def test_page_views_are_counted_in_memory_not_in_the_request(app, client, new_client,
                                                             people, lesson):
    page = _page(app, lesson)
    assert client.get(page, headers={"User-Agent": BROWSER}).status_code == 200
    assert client.get(page, headers={"User-Agent": BROWSER}).status_code == 200
    student = new_client()
    student.login(people["student"].email)
    assert student.get(page, headers={"User-Agent": BROWSER}).status_code == 200
    moderator = new_client()
    moderator.login(people["mod"].email)
    moderator.get(page, headers={"User-Agent": BROWSER})
    assert _pending(app, lesson, "view") == 4
    # Nothing was written by the requests themselves: the count waits for the flush.
    assert _stored(app) == {}
    # Not a statement that writes in the page view's transaction, signed in or not.
    for visitor in (client, student):
        ran = page_statements(app, visitor, page)
        assert not [s for s in ran if s.lstrip().upper().startswith(
            ("INSERT", "UPDATE", "DELETE", "REPLACE"))], ran
    assert _pending(app, lesson, "view") == 6 and _stored(app) == {}
    assert _counter(app).flush() == 1
    assert _stored(app) == {(lesson, "view"): 6}
    assert _counter(app).pending() == {}


def test_the_authors_own_views_do_not_count(app, client, people, lesson):
    client.login(people["anna"].email)
    assert client.get(_page(app, lesson), headers={"User-Agent": BROWSER}).status_code == 200
    assert _counter(app).pending() == {}


@pytest.mark.parametrize("agent", [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0)", "facebookexternalhit/1.1",
    "Mozilla/5.0 (compatible; Yahoo! Slurp)", "curl/8.5.0", "python-requests/2.32",
    "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0", ""])
def test_robots_are_not_counted(app, client, lesson, agent):
    assert is_robot(agent)
    assert client.get(_page(app, lesson), headers={"User-Agent": agent}).status_code == 200
    assert client.get(_download(app, lesson), headers={"User-Agent": agent}).status_code == 200
    assert _counter(app).pending() == {}


@pytest.mark.parametrize("headers", [{"Sec-Purpose": "prefetch"},
                                     {"Sec-Purpose": "prefetch;prerender"},
                                     {"Purpose": "prefetch"}, {"X-Moz": "prefetch"}])
def test_prefetches_are_not_counted(app, client, lesson, headers):
    assert is_prefetch(headers)
    client.get(_page(app, lesson), headers={"User-Agent": BROWSER, **headers})
    assert _counter(app).pending() == {}


def test_a_head_request_is_not_counted(app, client, lesson):
    client.raw.head(_page(app, lesson), headers={"User-Agent": BROWSER})
    assert _counter(app).pending() == {}


def test_downloads_are_counted_and_a_later_range_is_not(app, client, lesson):
    url = _download(app, lesson)
    response = client.get(url, headers={"User-Agent": BROWSER})
    assert response.status_code == 200
    assert _pending(app, lesson, "download") == 1
    assert client.get(url, headers={"User-Agent": BROWSER, "Range": "bytes=0-3"}
                      ).status_code == 206
    assert _pending(app, lesson, "download") == 2
    assert client.get(url, headers={"User-Agent": BROWSER, "Range": "bytes=4-9"}
                      ).status_code == 206
    assert _pending(app, lesson, "download") == 2
    assert _pending(app, lesson, "view") == 0


def test_nothing_is_counted_on_404_410_or_a_redirect(app, client, people, make_material,
                                                     lesson):
    draft = make_material(people["anna"], title="Nog niet klaar")
    withdrawn = make_material(people["anna"], title="Weg", publish_by=people["mod"])
    with app.app_context():
        lifecycle.withdraw(db.session.get(User, people["anna"].id),
                           db.session.get(Material, withdrawn), "Verouderd")
        current_uow().commit()
    ua = {"User-Agent": BROWSER}
    assert client.get("/materials/999999", headers=ua).status_code == 404
    assert client.get(f"/materials/{draft}", headers=ua).status_code == 404
    assert client.get(f"/materials/{withdrawn}", headers=ua).status_code == 301
    assert client.get(_page(app, withdrawn), headers=ua).status_code == 410
    assert client.get(f"/materials/{lesson}-wrong-slug", headers=ua).status_code == 301
    assert client.get(f"/materials/{lesson}/files/999999/x.txt", headers=ua
                      ).status_code == 404
    assert _counter(app).pending() == {}


def test_the_next_request_after_the_interval_writes_the_counts(app, client, lesson):
    page = _page(app, lesson)
    client.get(page, headers={"User-Agent": BROWSER})
    assert _stored(app) == {}
    _counter(app).interval = 0
    client.get(page, headers={"User-Agent": BROWSER})
    assert _stored(app) == {(lesson, "view"): 2}
    client.get(page, headers={"User-Agent": BROWSER})
    assert _stored(app) == {(lesson, "view"): 3}  # the upsert adds to the day's row


def test_counts_survive_a_restart_and_a_crash_loses_only_the_unwritten(
        app, client, another_app, tmp_path, lesson):
    page = _page(app, lesson)
    for _ in range(2):
        client.get(page, headers={"User-Agent": BROWSER})
    _counter(app).flush()
    for _ in range(3):
        client.get(page, headers={"User-Agent": BROWSER})
    assert _pending(app, lesson, "view") == 3
    # The process dies: its counter is gone without a flush.  A new process on the same
    # database finds what was written, and loses exactly the three unwritten views.
    app.extensions["usage"] = UsageCounter(_counter(app).engine)
    restarted = another_app(make_config(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"]))
    assert _stored(restarted) == {(lesson, "view"): 2}
    restarted.test_client().get(page, headers={"User-Agent": BROWSER})
    _counter(restarted).flush()
    assert _stored(restarted) == {(lesson, "view"): 3}


def test_the_exit_handler_writes_what_is_left(app, client, lesson):
    client.get(_page(app, lesson), headers={"User-Agent": BROWSER})
    counter_module._flush_at_exit(weakref.ref(_counter(app)))
    assert _stored(app) == {(lesson, "view"): 1}


def test_a_failed_write_keeps_the_counts_for_the_next(app, lesson):
    broken = UsageCounter(create_engine("sqlite://"))
    broken.add(lesson, "view", n=5)
    with pytest.raises(Exception):  # noqa: B017 (whatever the driver raises)
        broken.flush()
    assert broken.pending() == {(lesson, utc_today(), "view"): 5}
    broken.engine.dispose()
    broken.engine = _counter(app).engine
    assert broken.flush() == 1
    assert _stored(app) == {(lesson, "view"): 5}


def test_the_counts_hold_no_personal_data(app, client, people, lesson):
    address, agent = "203.0.113.77", BROWSER + " Uniek/42"
    client.login(people["student"].email)
    client.raw.get(_page(app, lesson), headers={"User-Agent": agent},
                   environ_base={"REMOTE_ADDR": address})
    client.raw.get(_download(app, lesson), headers={"User-Agent": agent},
                   environ_base={"REMOTE_ADDR": address}).close()
    _counter(app).flush()
    with app.app_context():
        columns = {c["name"] for c in inspect(db.engine).get_columns("usage_counts")}
        assert columns == {"material_id", "day", "kind", "count"}
        rows = db.session.execute(select(UsageCount.__table__)).all()
        db.session.remove()
    assert {(row.kind, row.count) for row in rows} == {("view", 1), ("download", 1)}
    for row in rows:
        for value in row:
            assert str(value) not in {address, agent, people["student"].email}
            assert address not in str(value) and "Uniek" not in str(value)
    # Nor did counting leave the address or the browser anywhere else: every table of the
    # database, read whole, holds neither.
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)).all():
                text = " ".join(str(value) for value in row)
                assert address not in text and "Uniek/42" not in text, table.name
        db.session.remove()


def _statistics(client, material_id):
    return client.get(f"/materials/{material_id}/statistics")


def test_only_authors_and_staff_see_the_statistics(app, client, new_client, people, make_user,
                                                   lesson):
    with app.app_context():
        from oer_portal.materials import service
        service.add_co_author(db.session.get(User, people["anna"].id), lesson,
                              people["bea"].email)
        current_uow().commit()
    assert _statistics(client, lesson).status_code == 404  # anonymous
    for person, status in (("student", 404), ("anna", 200), ("bea", 200), ("mod", 200)):
        other = new_client()
        other.login(people[person].email)
        assert _statistics(other, lesson).status_code == status, person
    stranger = new_client()
    stranger.login(make_user("teacher").email)
    assert _statistics(stranger, lesson).status_code == 404
    page = stranger.get(_page(app, lesson)).get_data(as_text=True)
    assert "/statistics" not in page


def test_the_chart_and_table_give_the_exact_numbers(app, client, people, make_material,
                                                    lesson):
    today = utc_today()
    counter = _counter(app)
    counter.add(lesson, "view", today, 7)
    counter.add(lesson, "download", today, 2)
    counter.add(lesson, "view", today - timedelta(days=3), 4)
    counter.add(lesson, "view", today - timedelta(days=29), 1)
    counter.add(lesson, "view", today - timedelta(days=30), 50)  # outside the 30 days
    counter.flush()
    counter.add(lesson, "view", today, 1)  # not written yet: the author sees it already
    with app.app_context():  # one published remix, one draft remix (not counted)
        bea = db.session.get(User, people["bea"].id)
        remix = remix_service.remix(bea, lesson, None, registry.DEFAULT)
        db.session.flush()
        lifecycle.publish(remix, db.session.get(MaterialVersion, remix.latest_version_id),
                          db.session.get(User, people["mod"].id))
        remix_service.remix(bea, lesson, None, registry.DEFAULT)
        # Two published arrangements include it, one of them twice; a draft one does not count.
        for title, nodes in (("Reeks", 1), ("Herhaling", 2), ("Concept", 1)):
            arrangement = arrangements.create_arrangement(
                bea, VersionFields(title=title, body="Inleiding."),
                [Node(NodeKind.MATERIAL, material_id=lesson)] * nodes)
            db.session.flush()
            if title != "Concept":
                lifecycle.publish(arrangement, arrangement.latest_version,
                                  db.session.get(User, people["mod"].id))
        current_uow().commit()
    client.login(people["anna"].email)
    html = _statistics(client, lesson).get_data(as_text=True)
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    h1 = re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)
    assert title.startswith(h1)
    assert "Statistics: Breuken" in h1
    cells = re.findall(r'<tr><th scope="row">([^<]+)</th><td>(\d+)</td><td>(\d+)</td></tr>',
                       html)
    assert len(cells) == 31  # thirty days and the total
    body = [(int(v), int(d)) for _day, v, d in cells[:-1]]
    assert body[0] == (8, 2)  # today first
    assert body[3] == (4, 0)
    assert body[29] == (1, 0)
    assert sum(v for v, _d in body) == 13 and sum(d for _v, d in body) == 2
    assert cells[-1][1:] == ("13", "2")
    bars = re.findall(r'stats-chart__bar--(view|download)" x="[\d.]+" y="[\d.]+" '
                      r'width="[\d.]+" height="([\d.]+)" data-day="([\d-]+)" '
                      r'data-count="(\d+)"', html)
    assert {(kind, day, int(n)) for kind, _h, day, n in bars} == {
        ("view", today.isoformat(), 8), ("download", today.isoformat(), 2),
        ("view", (today - timedelta(days=3)).isoformat(), 4),
        ("view", (today - timedelta(days=29)).isoformat(), 1)}
    heights = {(kind, day): float(h) for kind, h, day, _n in bars}
    assert heights[("view", today.isoformat())] == 160.0  # the highest day fills the plot
    assert heights[("view", (today - timedelta(days=3)).isoformat())] == 80.0
    assert 'role="img"' in html and "style=" not in html.split("<main", 1)[1]
    assert "<dd>1 time</dd>" in html and "<dd>in 2 arrangements</dd>" in html


def test_the_material_page_and_dashboard_show_the_authors_their_numbers(
        app, client, new_client, people, lesson):
    visitor = new_client()
    for _ in range(3):
        visitor.get(_page(app, lesson), headers={"User-Agent": BROWSER})
    visitor.get(_download(app, lesson), headers={"User-Agent": BROWSER})
    client.login(people["anna"].email)
    page = client.get(_page(app, lesson)).get_data(as_text=True)
    assert f'<a href="/materials/{lesson}/statistics">Views and downloads per day</a>' in page
    dashboard = client.get("/my/materials").get_data(as_text=True)
    assert (f'<a href="/materials/{lesson}/statistics">Breuken<span class="visually-hidden">'
            " — statistics</span></a></th><td>3</td><td>1</td>") in dashboard
    assert "/statistics" not in visitor.get(_page(app, lesson)).get_data(as_text=True)


def test_a_production_app_writes_its_counts_at_exit(app, monkeypatch):
    registered = []
    monkeypatch.setattr(counter_module.atexit, "register",
                        lambda fn, *args: registered.append((fn, args)))
    extensions: dict[str, object] = {}
    made = counter_module.install(extensions, _counter(app).engine, 10.0)
    assert extensions["usage"] is made
    assert registered == [(counter_module._flush_at_exit, (registered[0][1][0],))]
    assert registered[0][1][0]() is made
    counter_module.install({}, _counter(app).engine, 10.0, at_exit=False)
    assert len(registered) == 1
    assert app.config["USAGE_FLUSH_SECONDS"] == 10.0 == _counter(app).interval


def test_counting_from_many_threads_loses_nothing(app, lesson):
    import threading

    counter = UsageCounter(_counter(app).engine, interval=0)

    def visit() -> None:
        for _ in range(500):
            counter.add(lesson, "view")
            counter.flush_if_due()

    threads = [threading.Thread(target=visit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counter.flush()
    assert _stored(app) == {(lesson, "view"): 4000}


@pytest.mark.parametrize("write_at_exit", [True, False])
def test_an_app_that_is_not_testing_registers_its_exit_write_unless_told_not_to(
        app, another_app, tmp_path, monkeypatch, write_at_exit):
    """Production writes what is left at exit; a benchmark, whose database is gone by then,
    turns it off with ``USAGE_WRITE_AT_EXIT``."""
    from tests.conftest import make_config

    registered = []
    monkeypatch.setattr(counter_module.atexit, "register",
                        lambda fn, *args: registered.append(fn))
    made = another_app(make_config(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"],
                                   TESTING=False, USAGE_WRITE_AT_EXIT=write_at_exit,
                                   PORTAL_URL="https://oer.example.nl"))
    assert registered == ([counter_module._flush_at_exit] if write_at_exit else [])
    # The timer that writes a quiet site's counts goes with it; tests never start one.
    assert _counter(made)._schedule is (counter_module.timer_thread if write_at_exit
                                        else None)
    assert _counter(app)._schedule is None


class FakeTimer:
    """The counter's ``schedule``: notes each timer started; the test lets the time pass by
    running the noted action."""

    def __init__(self) -> None:
        self.started: list[tuple[float, object]] = []

    def __call__(self, delay, action) -> None:
        self.started.append((delay, action))

    def fire(self) -> None:
        _delay, action = self.started.pop(0)
        action()


def test_a_quiet_site_writes_its_last_views_an_interval_later_without_another_request(
        app, client, another_app, tmp_path, lesson):
    """The stated bound on a site where no request follows: the first unwritten view starts
    a timer of ``USAGE_FLUSH_SECONDS``; when it has run, a crash loses nothing."""
    timer = FakeTimer()
    app.extensions["usage"] = UsageCounter(_counter(app).engine, interval=10.0,
                                           schedule=timer)
    page = _page(app, lesson)
    client.get(page, headers={"User-Agent": BROWSER})
    client.get(page, headers={"User-Agent": BROWSER})
    assert [delay for delay, _action in timer.started] == [10.0]  # one timer, not one a view
    assert _stored(app) == {}
    timer.fire()  # ten quiet seconds later
    assert _stored(app) == {(lesson, "view"): 2} and _counter(app).pending() == {}
    assert timer.started == []  # nothing left: no timer until the next view
    # The process dies now, with no request after the views: nothing is lost.
    app.extensions["usage"] = UsageCounter(_counter(app).engine)
    restarted = another_app(make_config(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"]))
    assert _stored(restarted) == {(lesson, "view"): 2}


def test_the_next_view_after_a_timed_write_starts_the_timer_again(app, lesson):
    timer = FakeTimer()
    counter = UsageCounter(_counter(app).engine, interval=5.0, schedule=timer)
    counter.add(lesson, "view")
    timer.fire()
    counter.add(lesson, "download")
    counter.add(lesson, "view")
    assert [delay for delay, _action in timer.started] == [5.0]
    timer.fire()
    assert _stored(app) == {(lesson, "view"): 2, (lesson, "download"): 1}


def test_a_failed_timed_write_keeps_the_counts_and_tries_again(app, lesson):
    timer = FakeTimer()
    broken = UsageCounter(create_engine("sqlite://"), interval=10.0, schedule=timer)
    broken.add(lesson, "view", n=3)
    timer.fire()  # the database cannot be written: logged, kept, tried again later
    assert broken.pending() == {(lesson, utc_today(), "view"): 3}
    assert [delay for delay, _action in timer.started] == [10.0]
    broken.engine.dispose()
    broken.engine = _counter(app).engine
    timer.fire()
    assert _stored(app) == {(lesson, "view"): 3} and timer.started == []


def test_the_timer_thread_writes_the_counts(app, lesson):
    """The real timer: a daemon thread runs the write on its own (the test waits for the
    write to have happened, not for a length of time)."""
    import threading

    done = threading.Event()

    def schedule(delay, action) -> None:
        def then() -> None:
            try:
                action()
            finally:
                done.set()
        counter_module.timer_thread(delay, then)

    counter = UsageCounter(_counter(app).engine, interval=0.01, schedule=schedule)
    counter.add(lesson, "view", n=7)
    assert done.wait(60)
    assert _stored(app) == {(lesson, "view"): 7} and counter.pending() == {}
    started = [t for t in threading.enumerate() if t.name == "usage-counts-write"]
    assert all(t.daemon for t in started)
