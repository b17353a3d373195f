"""Benchmark: rendering the material page of a material with many versions, against a bare render.

Set-up (not timed): a fresh, migrated portal with one lesson of ``--versions`` versions (500 by
default), written through the real services as in
``tests/integration/test_materials.py::test_material_page_issues_a_bounded_number_of_queries``:
``materials.service.create_material`` and then ``materials.service.save_version`` in a loop
within one app context, committed once at the end.  Every version is published by a moderator
(``lifecycle.publish``) as it is saved, so an anonymous visitor sees all of them in the history
(the worst case for the history page).  The body is ~1,500 words of synthetic, Dutch-looking
Markdown (headings, a table, lists, emphasis, links, a quote; generated here from made-up
syllables, no corpus text), and every version carries three attachments (CSV, PNG, PDF, all
generated here).

What is measured, for an anonymous visitor through the Flask test client:

* **real page**: ``GET /materials/<id>-<slug>``, the full request: session, login manager,
  locale, queries with the visibility policy, template, unit-of-work commit, security headers;
* **bare render (baseline)**: ``GET /bench-bare``, an extra route registered on the *same* app
  that only calls ``render_template("materials/show.html", **context)`` with a context computed
  ONCE before timing (the keyword arguments ``materials.views._render_version`` passes, from the
  same material and version), so it does no database access per request.  This is the simplest
  robust baseline: the real app's context processors (``current_user``, ``csrf_token``,
  ``_``, ``format_date``, ``current_locale``, ``material_url``, ``licences``, …) and request
  hooks stay exactly as they are, so the ratio *real / bare* is the cost of our per-request
  work (queries, policy, Markdown or stored HTML, ORM loading), not of Jinja or Flask;
* both are requested alternately (real, bare, real, bare, …) after a warm-up, so noise hits
  both alike; median and p95 are printed, the median ratio is the headline;
* the history page ``/materials/<id>/history`` is timed too, in a loop of its own after that
  (no baseline of its own; its ratio to the bare render is printed), and the SQL statements
  per request (a ``before_cursor_execute`` listener on the engine) are counted for the material
  page, the history page and the bare render (which should be 0);
* as a check, the bare page's HTML is compared with the real page's (CSRF tokens and the
  language form's ``next`` field, which name the request, are blanked first);
* the same pair is timed for the material's author, signed in through the login form, against
  a bare render of the author's context (``/bench-bare-author``: status, pending review,
  the authors' panels);
* then ``--proposals`` (20 by default) open change proposals are made through
  ``proposals.service.propose``, each by a teacher of its own, and ``--reviews`` (50 by
  default) students each write a review with stars through
  ``community.reviews.write_review`` (a few sentences, every third one marked helpful by the
  next writer through ``vote_helpful``); the bare contexts are computed again (their panels
  now hold the first page of reviews, and the author's the open proposals), and both pairs
  are timed once more.  Each page's ratio to its bare render with the reviews and proposals
  is divided by the plain page's (the material page as it was before issue 13, which asks
  that this stay within 1.5).

This is a benchmark, not a test: nothing passes or fails.  Run from the repository root::

    .venv/bin/python bench/pages_bench.py
    .venv/bin/python bench/pages_bench.py --versions 50 --requests 50      # a quick run
    .venv/bin/python bench/pages_bench.py --reviews 0 --proposals 0        # plain page only
    .venv/bin/python bench/pages_bench.py \\
        --database-uri postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Everything is written in a temporary folder (database, file store, instance folder) that is
removed afterwards; with ``--database-uri`` (a PostgreSQL server) a throwaway database is
created on that server and dropped at the end.
"""

from __future__ import annotations

import io
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import (
    PASSWORD,
    StatementCounter,
    benchmark_parser,
    build_portal,
    create_teacher_and_moderator,
    database_uris,
)
from flask import Flask, render_template
from flask.testing import FlaskClient

from oer_portal.extensions import db

TITLE = "Breuken vergelijken en vereenvoudigen"
BARE_PATH = "/bench-bare"
WARM_UP = 20


# -- synthetic content ---------------------------------------------------------------------------

SYLLABLES = ("be", "ver", "ge", "ont", "la", "ken", "ing", "aal", "oor", "lijk", "heid", "te",
             "ra", "mo", "lie", "wa", "ter", "der", "zo", "mer", "kla", "pen", "stu", "reld",
             "taal", "schap", "baar", "vol", "sel", "tie", "reek", "ma", "ne", "gro", "plan",
             "wis", "kun", "de", "tel", "len", "bra", "uit", "op", "af", "stel", "rij")
SMALL_WORDS = ("de", "het", "een", "en", "van", "in", "op", "met", "voor", "is", "dat", "te",
               "niet", "ook", "bij", "als", "er", "om", "naar", "je", "we", "zijn", "dan")


class Lorem:
    """Dutch-looking nonsense from made-up syllables and common small words."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.words = 0

    def word(self) -> str:
        self.words += 1
        if self.random.random() < 0.35:
            return self.random.choice(SMALL_WORDS)
        return "".join(self.random.choice(SYLLABLES) for _ in range(self.random.randint(1, 3)))

    def sentence(self, low: int = 6, high: int = 16) -> str:
        words = [self.word() for _ in range(self.random.randint(low, high))]
        for i in range(1, len(words) - 1):
            roll = self.random.random()
            if roll < 0.03:
                words[i] = f"**{words[i]}**"
            elif roll < 0.05:
                words[i] = f"*{words[i]}*"
            elif roll < 0.06:
                words[i] = f"`{words[i]}`"
            elif roll < 0.07:
                words[i] = f"[{words[i]}](https://example.org/{words[i].strip('*`')})"
        return " ".join(words).capitalize() + self.random.choice(".....?!")

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.random.randint(3, 6)))

    def heading(self) -> str:
        return " ".join(self.word() for _ in range(self.random.randint(2, 4))).capitalize()


def synthetic_body(target_words: int = 1500, seed: int = 7) -> str:
    """~``target_words`` words of Markdown with headings, lists, a table and a quote."""
    lorem = Lorem(seed)
    parts = [f"# {TITLE}", lorem.paragraph(), "## Leerdoelen"]
    parts.append("\n".join(f"- {lorem.sentence(4, 9)}" for _ in range(5)))
    parts.append("## Uitleg")
    parts += [lorem.paragraph(), lorem.paragraph()]
    parts.append("### Voorbeeld")
    parts.append("\n".join(f"{n}. {lorem.sentence(5, 10)}" for n in range(1, 6)))
    parts.append("## Overzicht")
    header = [lorem.heading() for _ in range(4)]
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for _ in range(8):
        rows.append("| " + " | ".join(
            f"{lorem.random.randint(1, 12)}/{lorem.random.randint(2, 16)}" if c else lorem.word()
            for c in range(len(header))) + " |")
    parts.append("\n".join(rows))
    section = 1
    while lorem.words < target_words:
        parts.append(f"## {lorem.heading()}")
        parts += [lorem.paragraph(), lorem.paragraph()]
        if section % 2:
            parts.append("\n".join(f"- {lorem.sentence(4, 10)}" for _ in range(4)))
        else:
            parts.append(f"> {lorem.sentence()}")
        section += 1
    return "\n\n".join(parts) + "\n"


def attachment_files() -> list[tuple[str, bytes]]:
    """Three small, valid files: a CSV, a PNG and a one-page PDF (made with Pillow)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (800, 600), "white")
    draw = ImageDraw.Draw(image)
    for n in range(12):
        draw.rectangle((40 + n * 60, 500 - n * 35, 80 + n * 60, 540), fill=(30, 90 + n * 12, 160))
    png, pdf = io.BytesIO(), io.BytesIO()
    image.save(png, "PNG")
    image.save(pdf, "PDF")
    lorem = Lorem(11)
    csv = "teller,noemer,omschrijving\n" + "".join(
        f"{n},{n + 3},{lorem.word()}\n" for n in range(1, 200))
    return [("breuken.csv", csv.encode()), ("staafdiagram.png", png.getvalue()),
            ("werkblad.pdf", pdf.getvalue())]


# -- set-up ----------------------------------------------------------------------------------------



def create_material(app: Flask, versions: int) -> tuple[int, str]:
    """The lesson with ``versions`` versions, each published; returns (id, slug)."""
    from oer_portal.core.uow import current_uow
    from oer_portal.materials import lifecycle, service
    from oer_portal.materials.attachments import Upload, store_upload
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import MaterialKind, MaterialVersion

    body = synthetic_body()
    with app.app_context():
        owner, moderator = create_teacher_and_moderator()
        refs = [store_upload(Upload(io.BytesIO(data), name)) for name, data in attachment_files()]
        fields = VersionFields(
            title=TITLE, description="Leerlingen vergelijken breuken, maken ze gelijknamig en "
            "vereenvoudigen ze; met werkblad en oefeningen.", body=body, language="nl",
            subjects=("mathematics", "arithmetic"), levels=("vmbo", "havo"),
            keywords=("breuken", "gelijknamig maken", "vereenvoudigen"),
            objectives=("Breuken vergelijken", "Breuken vereenvoudigen"),
            resource_type="lesson", duration_minutes=50, age_min=12, age_max=14)
        material = service.create_material(owner, MaterialKind.LESSON, fields, refs,
                                           summary="Eerste versie")
        db.session.flush()
        head = db.session.get(MaterialVersion, material.latest_version_id)
        lifecycle.publish(material, head, moderator)
        for n in range(2, versions + 1):
            edited = fields.with_body(f"{body}\n_Bijgewerkt in versie {n}._\n")
            head = service.save_version(owner, material.id, head.id, edited, refs,
                                        summary=f"Versie {n}: kleine verbeteringen").version
            lifecycle.publish(material, head, moderator)
        current_uow().commit()
        return material.id, material.slug


def create_proposals(app: Flask, material_id: int, count: int) -> None:
    """``count`` open change proposals on the material, each by a teacher of its own, made
    through ``proposals.service.propose`` (the authors' list of them is on the page; an
    anonymous visitor's page still asks for them, in one query, for the contributors)."""
    from oer_portal.accounts.models import Role
    from oer_portal.accounts.service import create_user
    from oer_portal.core.uow import current_uow
    from oer_portal.materials.models import Material
    from oer_portal.proposals import service as proposals

    with app.app_context():
        published = db.session.get(Material, material_id).published_version
        for n in range(count):
            proposer = create_user(f"bench-proposer-{n}@example.org", f"Voorsteller {n}",
                                   PASSWORD, [Role.TEACHER])
            db.session.flush()
            proposals.propose(proposer, material_id, published.title, published.description,
                              f"{published.body}\nVoorstel {n}: een extra oefening.\n",
                              f"Een extra oefening ({n})")
        current_uow().commit()


def add_reviews(app: Flask, material_id: int, count: int) -> None:
    """``count`` students each write a review with stars through the service; every third
    review is found helpful by the next writer."""
    from oer_portal.accounts.models import Role
    from oer_portal.accounts.service import create_user
    from oer_portal.community import reviews
    from oer_portal.core.uow import current_uow

    words = Lorem(11)
    with app.app_context():
        writers = [create_user(f"bench-student{n}@example.org", f"Leerling {n}", "bench-"
                               "wachtwoord-lang-genoeg", [Role.STUDENT]) for n in range(count)]
        db.session.flush()
        written = []
        for n, writer in enumerate(writers):
            body = "\n".join(words.sentence() for _ in range(3 + n % 4))
            written.append(reviews.write_review(writer, material_id, reviews.ReviewInput(
                stars=1 + n % 5, title=words.sentence(2, 5) if n % 2 else "", body=body)))
            db.session.flush()
        for n, review in enumerate(written[:-1]):
            if n % 3 == 0:
                reviews.vote_helpful(writers[n + 1], review.id)
        current_uow().commit()


def bare_context(app: Flask, material_id: int, user_id: int | None = None) -> dict[str, Any]:
    """What ``materials.views._render_version`` passes to the template for an anonymous
    visitor (or, with ``user_id``, for that signed-in user), computed once; every attribute
    the template reads is loaded now, so rendering it later (detached from any session) never
    touches the database."""
    from flask_babel import get_locale
    from flask_login import current_user, login_user

    from oer_portal.accounts.models import User
    from oer_portal.core.markdown import render_markdown
    from oer_portal.materials import lifecycle, panels, policy, queries
    from oer_portal.materials import service as material_service
    from oer_portal.materials.metadata import VersionFields, vocabularies
    from oer_portal.materials.web import PageLinks

    with app.test_request_context("/"):
        if user_id is not None:
            login_user(db.session.get(User, user_id))
        material = queries.material_for(current_user, material_id)
        version = queries.displayed_version(current_user, material)
        assert version is not None
        for attachment in version.attachments:
            _ = attachment.file.size
        _ = (material.owner.display_name, version.author.display_name, material.co_author_ids)
        show_status = policy.can_see_unpublished(current_user, material)
        pending = lifecycle.pending_review(material.id) if show_status else None
        if pending is not None:
            _ = (pending.version, pending.submitted_by)
        rejection = queries.latest_rejection(material.id) if show_status else None
        locale = str(get_locale())
        return {
            "material": material, "version": version, "permalink": False,
            "fields": VersionFields.of(version), "body": render_markdown(version.body),
            "vocab": vocabularies(), "locale": locale, "head": None,
            "pending": pending, "rejection": rejection,
            "can_edit": policy.can_edit(current_user, material),
            "can_withdraw": policy.can_withdraw(current_user, material),
            "show_status": show_status,
            "co_authors": material_service.co_authors(material),
            "can_manage_authors": policy.can_manage_authors(current_user, material),
            "panels": panels.collect(panels.MaterialPage(current_user, material, version, False,
                                                         PageLinks(), locale)),
        }


def logged_in_client(app: Flask, email: str) -> FlaskClient:
    """A test client signed in through the real login form."""
    client = app.test_client()
    page = client.get("/account/login").get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page)
    if match is None:
        sys.exit("No CSRF token on /account/login.")
    response = client.post("/account/login", data={
        "csrf_token": match[1], "email": email, "password": PASSWORD})
    if response.status_code not in (302, 303):
        sys.exit(f"Logging in as {email} answered {response.status_code}.")
    return client


# -- measuring -----------------------------------------------------------------------------------


def fetch(client: FlaskClient, path: str) -> bytes:
    response = client.get(path)
    if response.status_code != 200:
        sys.exit(f"GET {path} answered {response.status_code}, not 200.")
    return response.get_data()


def statements_per_request(app: Flask, client: FlaskClient, path: str) -> int:
    with app.app_context():
        engine = db.engine
    with StatementCounter(engine) as counter:
        fetch(client, path)
    return counter.count


def timed(client: FlaskClient, path: str) -> Callable[[], float]:
    def run() -> float:
        start = time.perf_counter()
        fetch(client, path)
        return (time.perf_counter() - start) * 1000

    return run


def interleaved(client: FlaskClient, paths: tuple[str, ...], requests: int
                ) -> dict[str, list[float]]:
    """Each path ``requests`` times, in turns (a, b, a, b, …), so noise hits them alike."""
    runs = [(path, timed(client, path)) for path in paths]
    times: dict[str, list[float]] = {path: [] for path in paths}
    for _ in range(requests):
        for path, run in runs:
            times[path].append(run())
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[94] if len(values) > 1 else values[0]


def comparable_html(html: bytes) -> str:
    """The page without what depends on the request: CSRF tokens and the ``next`` field."""
    page = html.decode()
    page = re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', page)
    return re.sub(r'name="next" value="[^"]*"', 'name="next" value=""', page)


AUTHOR_BARE_PATH = "/bench-bare-author"
AUTHOR_EMAIL = "bench-teacher@example.org"


def measure(app: Flask, client: FlaskClient, page: str, bare: str, requests: int
            ) -> dict[str, Any]:
    """Warm up, check the bare render is the page, count statements, then time both in
    turns."""
    for _ in range(WARM_UP):
        fetch(client, page)
        fetch(client, bare)
    same = comparable_html(fetch(client, page)) == comparable_html(fetch(client, bare))
    return {"same_html": same, "bytes": len(fetch(client, page)),
            "statements": statements_per_request(app, client, page),
            "bare_statements": statements_per_request(app, client, bare),
            "times": interleaved(client, (page, bare), requests)}


def ratio(run: dict[str, Any], page: str, bare: str) -> float:
    return statistics.median(run["times"][page]) / statistics.median(run["times"][bare])


def print_run(label: str, run: dict[str, Any], page: str, bare: str) -> None:
    print(f"  {label}:")
    for name, path, count in (("real page", page, run["statements"]),
                              (f"bare render {bare}", bare, run["bare_statements"])):
        times = run["times"][path]
        print(f"    {name:<32}{statistics.median(times):>10.2f}{p95(times):>9.2f}{count:>13}")
    print(f"    RATIO real page / bare render (median): {ratio(run, page, bare):.2f}x; "
          f"page {run['bytes']:,} bytes; bare render identical to real page: "
          f"{'yes' if run['same_html'] else 'NO'}")


def main(argv: list[str] | None = None) -> None:
    parser = benchmark_parser(__doc__, requests=200)
    parser.add_argument("--versions", type=int, default=500,
                        help="versions of the material (default 500)")
    parser.add_argument("--proposals", type=int, default=20,
                        help="open change proposals for the second measurement (default 20)")
    parser.add_argument("--reviews", type=int, default=50,
                        help="written reviews for the second measurement (default 50)")
    args = parser.parse_args(argv)
    if args.versions < 1 or args.requests < 2:
        sys.exit("--versions must be at least 1 and --requests at least 2.")

    with tempfile.TemporaryDirectory(prefix="oer-pages-bench-") as tmp_name, \
            database_uris(args.database_uri, Path(tmp_name), ["pages"]) as (uri,):
        app = build_portal(Path(tmp_name), uri)
        contexts: dict[str, dict[str, Any]] = {"anonymous": {}, "author": {}}

        @app.route(BARE_PATH)
        def bench_bare() -> str:
            return render_template("materials/show.html", **contexts["anonymous"])

        @app.route(AUTHOR_BARE_PATH)
        def bench_bare_author() -> str:
            return render_template("materials/show.html", **contexts["author"])

        start = time.perf_counter()
        material_id, slug = create_material(app, args.versions)
        print(f"Set-up: {args.versions} versions in {time.perf_counter() - start:.1f} s",
              file=sys.stderr)
        with app.app_context():
            from oer_portal.materials.models import Material
            owner_id = db.session.get(Material, material_id).owner_id

        def fill_contexts() -> None:
            for key, user_id in (("anonymous", None), ("author", owner_id)):
                contexts[key].clear()
                contexts[key].update(bare_context(app, material_id, user_id))

        fill_contexts()
        page, history = f"/materials/{material_id}-{slug}", f"/materials/{material_id}/history"
        client = app.test_client()
        author = logged_in_client(app, AUTHOR_EMAIL)

        # 1. The plain material page: no written reviews, no proposals (what the page was
        #    before issue 13).
        plain = measure(app, client, page, BARE_PATH, args.requests)
        plain_author = measure(app, author, page, AUTHOR_BARE_PATH, args.requests)
        # The history page is timed in a loop of its own: its 500 ORM rows per request leave
        # enough garbage that, interleaved, full garbage collections land in the next request
        # and blow up the material page's p95 (measured: 73 ms instead of 5 ms).
        for _ in range(WARM_UP):
            fetch(client, history)
        history_bytes = len(fetch(client, history))
        history_statements = statements_per_request(app, client, history)
        history_times = interleaved(client, (history,), args.requests)[history]

        # 2. The same page with the reviews and the open proposals.
        busy: dict[str, Any] = {}
        if args.reviews > 0 or args.proposals > 0:
            create_proposals(app, material_id, args.proposals)
            add_reviews(app, material_id, args.reviews)
            fill_contexts()
            busy["anonymous"] = measure(app, client, page, BARE_PATH, args.requests)
            busy["author"] = measure(app, author, page, AUTHOR_BARE_PATH, args.requests)
        with app.app_context():
            dialect = db.engine.dialect.name
            db.engine.dispose()

    print()
    print(f"Material page benchmark: {args.versions} versions (all published), body "
          f"~1,500 words, 3 attachments, {args.requests} requests each ({dialect})")
    print(f"  real page {page}; history page {history}")
    print(f"    {'':32}{'median ms':>10}{'p95 ms':>9}{'SQL/request':>13}")
    print_run("Plain (no reviews, no proposals), anonymous visitor", plain, page, BARE_PATH)
    print(f"    history page (1 of {args.versions} versions): median "
          f"{statistics.median(history_times):.2f} ms, p95 {p95(history_times):.2f} ms, "
          f"{history_statements} statements, {history_bytes:,} bytes; / bare render "
          f"{statistics.median(history_times) / statistics.median(plain['times'][BARE_PATH]):.2f}x")
    print_run("Plain, the author signed in", plain_author, page, AUTHOR_BARE_PATH)
    if busy:
        print()
        what = f"{args.reviews} written reviews (first 10 shown), {args.proposals} open proposals"
        print_run(f"With {what}, anonymous visitor", busy["anonymous"], page, BARE_PATH)
        print_run(f"With {what}, the author signed in (sees the proposals)", busy["author"],
                  page, AUTHOR_BARE_PATH)
        print()
        for label, before, after, bare in (
                ("anonymous", plain, busy["anonymous"], BARE_PATH),
                ("author", plain_author, busy["author"], AUTHOR_BARE_PATH)):
            print(f"  {label}: with / plain (ratio of ratios): "
                  f"{ratio(after, page, bare) / ratio(before, page, bare):.2f} "
                  f"(issue 13: at most 1.5)")


if __name__ == "__main__":
    main()
