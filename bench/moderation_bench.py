"""Benchmark: the moderators' pages on a small and a large portal, against a page with no data.

Two portals are built in the same run, each a fresh database migrated with the real Alembic
migrations (``_common.build_portal``) and filled through the real services, in one process:

* **SMALL**: ``--small-requests`` waiting review requests (20), ``--small-audit`` audit
  entries (200), ``--small-reports`` open reports (5);
* **LARGE**: ``--requests-waiting`` (1,000), ``--audit`` (20,000), ``--reports`` (300).

The waiting requests are, in turns, a new lesson (``materials.service.create_material``), a
revision of a published lesson (``lifecycle.publish`` then ``service.save_version``) and a
remix of a published lesson (``remix.service.remix``, carrying CC BY-SA 4.0 or CC BY 4.0 while
its source is CC BY 4.0), each submitted with ``lifecycle.submit_for_review`` by one of five
teachers; every fourth is claimed by a moderator (``moderation.claims.claim``), as in
``tests/integration/test_review_queue.py::_many_requests``.  Titles, bodies, subjects, levels,
languages and licences are synthetic lessons from ``_generator.py`` (seeded: both portals start
with the same lessons).  Open reports are filed with ``moderation.reports.file_report`` by
distinct students, two on each reported published lesson.  The audit log holds what these
services recorded, topped up with ``core.audit.record`` to the asked total (a mix of logins,
role grants, comments and claims; ``-`` when the services alone wrote more).

What is measured, for a logged-in moderator (who wrote and claimed none of it) through the
Flask test client, the full request (session, login manager, locale, queries, template,
unit of work, security headers):

* ``/moderation/`` (the queue's first page), ``/moderation/?sort=newest&page=<last>``,
  ``/moderation/?subject=<s>&level=<l>`` (the pair most frequent among the small portal's
  requests), ``/moderation/reviews/<id>`` (the review screen of the last remix),
  ``/moderation/audit``, ``/moderation/audit?action=review.claimed``, ``/moderation/reports``
  and ``/moderation/dashboard``;
* **baseline**: ``/help/licences`` on the same app for the same moderator, a page whose
  queries do not depend on the data (the session's user and the header);
* per page, after a warm-up, ``--requests`` rounds of *small page, small baseline, large page,
  large baseline*, so noise hits all four alike.  Printed: median and p95 (nearest rank) in
  ms for small and large, the **ratio large / small** of the medians (the headline: a page
  whose work is bounded by its page size stays near 1), each page's median against its
  portal's baseline median, and the SQL statements per request on each portal (a
  ``before_cursor_execute`` listener; a bounded page runs as many on both).

With the default SMALL sizes the small portal does not fill every page (20 of the queue's
25 rows, 5 of the reports' 50, a handful of ``review.claimed`` entries), so on those pages the
large one shows more rows (the KB columns say how much more); for a comparison of pages with
the same rows, give SMALL full pages: ``--small-requests 50 --small-reports 60
--small-audit 800`` (the generator is seeded, so the first requests are the same lessons on
both portals).

This is a benchmark, not a test: nothing passes or fails.  Run from the repository root::

    .venv/bin/python bench/moderation_bench.py
    .venv/bin/python bench/moderation_bench.py --quick        # LARGE 200/2,000/30, 20 rounds
    .venv/bin/python bench/moderation_bench.py --requests-waiting 3000 --audit 100000
    .venv/bin/python bench/moderation_bench.py --small-requests 50 --small-reports 60 \\
        --small-audit 800                                    # full pages on SMALL too
    .venv/bin/python bench/moderation_bench.py \\
        --database-uri postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Everything is written in a temporary folder (databases, file stores, instance folders) that
is removed afterwards; with ``--database-uri`` (a PostgreSQL server) two throwaway databases
are created on that server and dropped at the end.
"""

from __future__ import annotations

import gc
import math
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from _common import (
    PASSWORD,
    StatementCounter,
    benchmark_parser,
    build_portal,
    database_uris,
    percentile,
    progress,
    ratio,
)
from _generator import NAMES, make_generator
from flask import Flask
from flask.testing import FlaskClient

from oer_portal.extensions import db
from oer_portal.moderation.service import PER_PAGE

BASELINE = "/help/licences"
WARM_UP = 5
#: Services' work committed every this many requests (or reports) during the set-up.
COMMIT_EVERY = 50
AUDIT_BATCH = 2000
TEACHERS = 5
REVIEWER_EMAIL = "bench-reviewer@example.org"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


@dataclass(frozen=True)
class Sizes:
    requests: int
    audit: int
    reports: int


@dataclass
class Portal:
    """A filled portal and what its measured addresses need."""

    label: str
    app: Flask
    sizes: Sizes
    remix_review_id: int = 0
    claimed: int = 0
    audit_entries: int = 0
    audit_by_services: int = 0
    open_reports: int = 0
    #: (subject, level) of every waiting request, for the filter's choice and match count.
    pairs: list[tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)
    client: FlaskClient | None = None

    def matching(self, subject: str, level: str) -> int:
        return sum(1 for subjects, levels in self.pairs
                   if subject in subjects and level in levels)


# -- set-up --------------------------------------------------------------------------------------


def fill(portal: Portal) -> None:
    """The portal's users, waiting requests, claims, reports and audit entries, through the
    services (committed in batches)."""
    from sqlalchemy import func, select

    from oer_portal.accounts.models import Role
    from oer_portal.accounts.service import create_user
    from oer_portal.core import audit
    from oer_portal.core.audit import AuditEntry
    from oer_portal.core.uow import current_uow
    from oer_portal.materials import lifecycle, service
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import MaterialKind
    from oer_portal.moderation import claims, reports
    from oer_portal.moderation.models import ReportCategory
    from oer_portal.remix import service as remix_service

    app, sizes, label = portal.app, portal.sizes, portal.label
    generator = make_generator(app)
    start = time.perf_counter()
    with app.app_context():
        uow = current_uow()
        teachers = [create_user(f"bench-teacher-{k}@example.org", NAMES[k], PASSWORD,
                                [Role.TEACHER]) for k in range(TEACHERS)]
        moderator = create_user("bench-moderator@example.org", "Bram Jansen", PASSWORD,
                                [Role.MODERATOR])
        create_user(REVIEWER_EMAIL, "Rosa Reviewer", PASSWORD, [Role.MODERATOR])
        uow.commit()

        published: list[int] = []

        def lesson_fields(licence: str | None = None) -> VersionFields:
            lesson = generator.lesson()
            return VersionFields(
                title=lesson.title, description=lesson.description, body=lesson.body,
                language=lesson.language, licence=licence or lesson.licence,
                subjects=lesson.subjects, levels=lesson.levels, keywords=lesson.keywords,
                objectives=lesson.objectives, resource_type=lesson.resource_type)

        for i in range(sizes.requests):
            owner = teachers[i % TEACHERS]
            if i % 3 == 0:
                fields = lesson_fields()
                material = service.create_material(owner, MaterialKind.LESSON, fields, [])
            elif i % 3 == 1:
                fields = lesson_fields()
                material = service.create_material(owner, MaterialKind.LESSON, fields, [])
                db.session.flush()
                lifecycle.publish(material, material.latest_version, moderator)
                service.save_version(owner, material.id, material.latest_version_id,
                                     fields.with_body(f"{fields.body}\nHerzien.\n"), [])
                published.append(material.id)
            else:
                fields = lesson_fields("CC-BY-4.0")
                source = service.create_material(teachers[(i + 1) % TEACHERS],
                                                 MaterialKind.LESSON, fields, [])
                db.session.flush()
                lifecycle.publish(source, source.latest_version, moderator)
                published.append(source.id)
                material = remix_service.remix(owner, source.id, None,
                                               "CC-BY-SA-4.0" if i % 2 else "CC-BY-4.0")
            db.session.flush()
            request = lifecycle.submit_for_review(owner, material)
            db.session.flush()
            if i % 3 == 2:
                portal.remix_review_id = request.id
            if i % 4 == 0:
                claims.claim(moderator, request.id)
                portal.claimed += 1
            portal.pairs.append((fields.subjects, fields.levels))
            if (i + 1) % COMMIT_EVERY == 0 or i + 1 == sizes.requests:
                uow.commit()
            if (i + 1) % 200 == 0 or i + 1 == sizes.requests:
                progress(f"{label}: {i + 1}/{sizes.requests} waiting requests "
                         f"({time.perf_counter() - start:.1f} s)")

        # Two reports on each reported lesson, by distinct students; more published lessons
        # when the requests did not leave enough.
        needed = math.ceil(sizes.reports / 2)
        while len(published) < needed:
            material = service.create_material(teachers[len(published) % TEACHERS],
                                               MaterialKind.LESSON, lesson_fields(), [])
            db.session.flush()
            lifecycle.publish(material, material.latest_version, moderator)
            published.append(material.id)
        uow.commit()
        categories = [c.value for c in ReportCategory]
        for i in range(sizes.reports):
            student = create_user(f"bench-student-{i}@example.org", f"Leerling {i}", PASSWORD,
                                  [Role.STUDENT])
            category = categories[i % len(categories)]
            reports.file_report(student, published[i // 2], category,
                                f"Melding {i}: dit klopt niet." if i % 2 == 0 or
                                category in ("copyright", "other") else "")
            if (i + 1) % COMMIT_EVERY == 0 or i + 1 == sizes.reports:
                uow.commit()
        portal.open_reports = reports.open_report_count()

        # The audit log topped up to the asked size.
        written = db.session.scalar(select(func.count()).select_from(AuditEntry)) or 0
        portal.audit_by_services = written
        user_ids = [t.id for t in teachers]
        kinds = ("login.succeeded", "login.failed", "role.granted", "review.comment",
                 "review.claimed", "login.succeeded", "review.comment", "login.succeeded")
        for n in range(max(0, sizes.audit - written)):
            action = kinds[n % len(kinds)]
            teacher = user_ids[n % TEACHERS]
            if action == "login.succeeded":
                audit.record(action, actor_id=teacher, target=("user", teacher))
            elif action == "login.failed":
                audit.record(action, details={"reason": "unknown account"})
            elif action == "role.granted":
                audit.record(action, actor_id=moderator.id, target=("user", teacher),
                             details={"role": "teacher"})
            else:
                material_id = published[n % len(published)] if published else None
                target = ("material", material_id) if material_id else None
                audit.record(action, actor_id=moderator.id, target=target,
                             details={"version": 1, "review": n % max(1, sizes.requests) + 1})
            if (n + 1) % AUDIT_BATCH == 0:
                uow.commit()
        uow.commit()
        portal.audit_entries = db.session.scalar(
            select(func.count()).select_from(AuditEntry)) or 0
    progress(f"{label}: filled in {time.perf_counter() - start:.1f} s "
             f"({portal.audit_entries} audit entries)")


def log_in(app: Flask) -> FlaskClient:
    """A test client logged in as the reviewer, through the real login form."""
    client = app.test_client()
    page = client.get("/account/login").get_data(as_text=True)
    match = CSRF_RE.search(page)
    if match is None:
        sys.exit("No CSRF token on /account/login.")
    response = client.post("/account/login", data={
        "csrf_token": match[1], "email": REVIEWER_EMAIL, "password": PASSWORD})
    if response.status_code not in (302, 303):
        sys.exit(f"Logging in answered {response.status_code}, not a redirect.")
    return client


# -- measuring -----------------------------------------------------------------------------------


def fetch(client: FlaskClient, path: str) -> bytes:
    response = client.get(path, buffered=True)
    if response.status_code != 200:
        sys.exit(f"GET {path} answered {response.status_code}, not 200.")
    return response.get_data()


def timed_ms(client: FlaskClient, path: str) -> float:
    start = time.perf_counter()
    fetch(client, path)
    return (time.perf_counter() - start) * 1000


def statements(app: Flask, client: FlaskClient, path: str) -> int:
    with app.app_context():
        engine = db.engine
    with StatementCounter(engine) as counter:
        fetch(client, path)
    return counter.count


@dataclass
class Measured:
    label: str
    paths: tuple[str, str]
    times: tuple[list[float], list[float]]
    baselines: tuple[list[float], list[float]]
    sql: tuple[int, int]
    size: tuple[int, int]


def measure(label: str, portals: tuple[Portal, Portal], paths: tuple[str, str],
            requests: int) -> Measured:
    """Rounds of small page, small baseline, large page, large baseline."""
    pairs = [(portal.client, path) for portal, path in zip(portals, paths, strict=True)]
    for _ in range(WARM_UP):
        for client, path in pairs:
            fetch(client, path)
            fetch(client, BASELINE)
    sql = tuple(statements(portal.app, client, path)
                for portal, (client, path) in zip(portals, pairs, strict=True))
    size = tuple(len(fetch(client, path)) for client, path in pairs)
    gc.collect()
    times: tuple[list[float], list[float]] = ([], [])
    baselines: tuple[list[float], list[float]] = ([], [])
    for _ in range(requests):
        for k, (client, path) in enumerate(pairs):
            times[k].append(timed_ms(client, path))
            baselines[k].append(timed_ms(client, BASELINE))
    return Measured(label, paths, times, baselines, sql, size)  # type: ignore[arg-type]


def choose_filter(small: Portal, large: Portal) -> tuple[str, str]:
    """The (subject, level) pair most frequent among the small portal's requests (the
    large one's when the small one has none)."""
    for portal in (small, large):
        counts = Counter((s, lv) for subjects, levels in portal.pairs
                         for s in subjects for lv in levels)
        if counts:
            return counts.most_common(1)[0][0]
    return "mathematics", "havo"


# -- printing ------------------------------------------------------------------------------------


def print_results(runs: list[Measured], baseline: Measured, small: Portal, large: Portal,
                  dialect: str, requests: int, notes: list[str]) -> None:
    def sizes_line(portal: Portal) -> str:
        return (f"{portal.sizes.requests:,} waiting requests ({portal.claimed:,} claimed), "
                f"{portal.audit_entries:,} audit entries ({portal.audit_by_services:,} by the "
                f"services), {portal.open_reports:,} open reports")

    print()
    print(f"Moderation pages benchmark ({dialect}), logged-in moderator, {requests} rounds of "
          f"small page / small baseline / large page / large baseline per page")
    print(f"  SMALL: {sizes_line(small)}")
    print(f"  LARGE: {sizes_line(large)}")
    for note in notes:
        print(f"  {note}")
    print(f"  baseline: {BASELINE} (same app, same moderator)")
    print()
    head = (f"  {'page':<30}{'small med':>10}{'p95':>7}{'large med':>10}{'p95':>7}"
            f"{'LARGE/SMALL':>12}{'/base S':>9}{'/base L':>9}{'SQL S':>7}{'SQL L':>7}"
            f"{'KB S':>7}{'KB L':>7}")
    print(head)
    print("  " + "-" * (len(head) - 2))
    for run in [*runs, baseline]:
        med = [statistics.median(t) for t in run.times]
        p95 = [percentile(t, 95) for t in run.times]
        base = [statistics.median(b) for b in run.baselines]
        print(f"  {run.label:<30}{med[0]:>10.2f}{p95[0]:>7.1f}{med[1]:>10.2f}{p95[1]:>7.1f}"
              f"{ratio(med[1], med[0]):>12}{ratio(med[0], base[0]):>9}"
              f"{ratio(med[1], base[1]):>9}{run.sql[0]:>7}{run.sql[1]:>7}"
              f"{run.size[0] / 1024:>7.1f}{run.size[1] / 1024:>7.1f}")
    print()
    print("  med/p95 in ms; LARGE/SMALL = large median / small median (bounded pages stay "
          "near 1);")
    print("  /base S, /base L = page median / that portal's baseline median, measured in the "
          "same rounds;")
    print("  SQL = statements per request (before_cursor_execute); KB = response size.")
    unbounded = [run for run in runs if
                 statistics.median(run.times[1]) / statistics.median(run.times[0]) > 1.5
                 or run.sql[1] > run.sql[0]]
    print()
    if unbounded:
        for run in unbounded:
            small_med, large_med = (statistics.median(t) for t in run.times)
            bigger = run.size[1] / run.size[0]
            why = (f"; but the large page is {bigger:.2f}x the bytes (more rows on it: the "
                   "small portal does not fill a page)" if bigger > 1.3 else "")
            print(f"  NOT BOUNDED? {run.label}: large/small {large_med / small_med:.2f}x, "
                  f"SQL {run.sql[0]} -> {run.sql[1]}{why}")
    else:
        print("  Every page stays within 1.5x of its small-portal time with the same number "
              "of statements.")


def main(argv: list[str] | None = None) -> None:
    parser = benchmark_parser(__doc__, requests=100)
    parser.add_argument("--quick", action="store_true",
                        help="a fast run: LARGE of 200 requests, 2,000 audit entries, 30 "
                             "reports, and 20 rounds (explicit options still win)")
    parser.add_argument("--requests-waiting", type=int, default=None, metavar="N",
                        help="LARGE: waiting review requests (default 1000)")
    parser.add_argument("--audit", type=int, default=None, metavar="N",
                        help="LARGE: audit entries (default 20000)")
    parser.add_argument("--reports", type=int, default=None, metavar="N",
                        help="LARGE: open reports (default 300)")
    parser.add_argument("--small-requests", type=int, default=20, metavar="N",
                        help="SMALL: waiting review requests (default 20)")
    parser.add_argument("--small-audit", type=int, default=200, metavar="N",
                        help="SMALL: audit entries (default 200)")
    parser.add_argument("--small-reports", type=int, default=5, metavar="N",
                        help="SMALL: open reports (default 5)")
    args = parser.parse_args(argv)
    quick = args.quick
    large_sizes = Sizes(
        args.requests_waiting if args.requests_waiting is not None else (200 if quick else 1000),
        args.audit if args.audit is not None else (2000 if quick else 20_000),
        args.reports if args.reports is not None else (30 if quick else 300))
    small_sizes = Sizes(args.small_requests, args.small_audit, args.small_reports)
    requests = 20 if quick and "--requests" not in (argv or sys.argv) else args.requests
    if min(small_sizes.requests, large_sizes.requests) < 3 or requests < 2:
        sys.exit("Each portal needs at least 3 waiting requests (one remix), and --requests "
                 "must be at least 2.")

    with tempfile.TemporaryDirectory(prefix="oer-moderation-bench-") as tmp_name, \
            database_uris(args.database_uri, Path(tmp_name), ["small", "large"]) as uris:
        tmp = Path(tmp_name)
        small = Portal("small", build_portal(tmp, uris[0], "small"), small_sizes)
        large = Portal("large", build_portal(tmp, uris[1], "large"), large_sizes)
        portals = (small, large)
        for portal in portals:
            fill(portal)
            portal.client = log_in(portal.app)
        subject, level = choose_filter(small, large)
        last = tuple(max(1, math.ceil(p.sizes.requests / PER_PAGE)) for p in portals)
        pages = [
            ("queue page 1", ("/moderation/",) * 2),
            ("queue newest, last page", tuple(f"/moderation/?sort=newest&page={n}" for n in last)),
            ("queue subject+level", (f"/moderation/?subject={subject}&level={level}",) * 2),
            ("review screen (remix)", tuple(f"/moderation/reviews/{p.remix_review_id}"
                                            for p in portals)),
            ("audit log", ("/moderation/audit",) * 2),
            ("audit ?action=review.claimed", ("/moderation/audit?action=review.claimed",) * 2),
            ("reports", ("/moderation/reports",) * 2),
            ("dashboard", ("/moderation/dashboard",) * 2),
        ]
        notes = [f"queue last page: {last[0]} (small), {last[1]} (large), {PER_PAGE} a page; "
                 f"filter subject={subject} level={level} matches {small.matching(subject, level)}"
                 f" (small), {large.matching(subject, level)} (large)"]
        runs = []
        for label, paths in pages:
            progress(f"measuring {label}")
            runs.append(measure(label, portals, paths, requests))  # type: ignore[arg-type]
        progress("measuring the baseline against itself")
        baseline = measure(f"baseline {BASELINE}", portals, (BASELINE, BASELINE), requests)
        with small.app.app_context():
            dialect = db.engine.dialect.name
        for portal in portals:
            with portal.app.app_context():
                db.engine.dispose()

    print_results(runs, baseline, small, large, dialect, requests, notes)


if __name__ == "__main__":
    main()
