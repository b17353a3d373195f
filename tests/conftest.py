"""Fixtures for every test: a migrated database (SQLite, or PostgreSQL when
``OER_SQLALCHEMY_DATABASE_URI`` names one), an app per test, a CSRF-aware client, users.

The database is migrated once per run with the real Alembic migrations; each test then gets
its own copy (SQLite: a copied file) or a clean slate (PostgreSQL: every table truncated).
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError
from werkzeug.test import TestResponse

from oer_portal import create_app
from oer_portal.extensions import db

#: Still argon2id, but cheap: the suite hashes hundreds of passwords.
FAST_HASHER = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
SECRET = "a-test-secret-key-that-is-long-enough-0123456789"
PASSWORD = "correct horse battery staple"

CSRF_RE = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


def postgres_uri_from_env() -> str | None:
    uri = os.environ.get("OER_SQLALCHEMY_DATABASE_URI", "")
    return uri if uri.startswith("postgresql") else None


@dataclass
class TestDatabase:
    kind: str  # "sqlite" or "postgresql"
    uri: str  # SQLite: the migrated template file; PostgreSQL: the run's own database


def make_config(tmp_path: Path, database_uri: str, **extra: Any) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SECRET_KEY": SECRET,
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "PASSWORD_HASHER": FAST_HASHER,
        "INDEX_DIR": str(tmp_path / "index"),
        "STORAGE_DIR": str(tmp_path / "files"),
        "RATELIMIT_STORAGE_URI": "memory://",
        # No scheduled harvest of other collections: tests harvest when they mean to.
        "HARVEST_INTERVAL_SECONDS": 0,
        **extra,
    }


def migrate_to_head(tmp_path: Path, database_uri: str) -> None:
    """Run the real Alembic migrations, as ``flask db upgrade`` does."""
    from flask_migrate import upgrade

    app = create_app(make_config(tmp_path, database_uri))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def create_postgres_database(server_uri: str) -> str:
    """A new, empty database on the server of ``server_uri``; returns its URI."""
    name = f"oer_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_uri, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server_uri).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(server_uri: str, database_uri: str) -> None:
    name = make_url(database_uri).database
    admin = create_engine(server_uri, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


#: The machine's PostgreSQL server, for tests that need one whichever database the run uses.
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def own_postgres_database() -> Iterator[str]:
    """A new, empty database of the caller's own on the run's PostgreSQL server (else the
    machine's), dropped afterwards; the test is skipped where no server answers, except in
    CI, where one must."""
    server = postgres_uri_from_env() or DEFAULT_POSTGRES
    try:
        uri = create_postgres_database(server)
    except OperationalError as error:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"PostgreSQL not reachable: {error.orig}")
    try:
        yield uri
    finally:
        drop_postgres_database(server, uri)


@pytest.fixture(scope="session")
def test_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    tmp = tmp_path_factory.mktemp("database")
    server = postgres_uri_from_env()
    if server:
        uri = create_postgres_database(server)
        migrate_to_head(tmp, uri)
        yield TestDatabase("postgresql", uri)
        drop_postgres_database(server, uri)
    else:
        template = tmp / "template.db"
        migrate_to_head(tmp, f"sqlite:///{template}")
        yield TestDatabase("sqlite", str(template))


def fresh_database_uri(test_database: TestDatabase, tmp_path: Path) -> str:
    if test_database.kind == "sqlite":
        target = tmp_path / "portal.db"
        shutil.copyfile(test_database.uri, target)
        return f"sqlite:///{target}"
    return test_database.uri


#: Reference data seeded by the migrations; tests read it and never change it.
#: Rows the migrations write, which every test starts from.
SEEDED_TABLES = {"vocabulary_terms", "public_generation"}


def truncate_all(app: Flask) -> None:
    with app.app_context():
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables
                           if t.name not in SEEDED_TABLES)
        db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture()
def app(test_database: TestDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
        ) -> Iterator[Flask]:
    monkeypatch.setenv("OER_INSTANCE_PATH", str(tmp_path / "instance"))
    application = create_app(make_config(tmp_path, fresh_database_uri(test_database, tmp_path)))
    from oer_portal.extensions import limiter

    limiter.reset()
    yield application
    release_app(application, test_database)


def release_app(application: Flask, test_database: TestDatabase) -> None:
    """After a test: empty the run's PostgreSQL database for the next one, or close the
    engine of the test's own SQLite copy."""
    if test_database.kind == "postgresql":
        truncate_all(application)
    else:
        with application.app_context():
            db.engine.dispose()


@pytest.fixture()
def another_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """Build further apps on the test's database (production mode, say); their engines are
    disposed afterwards so no connection is left for the garbage collector."""
    apps: list[Flask] = []

    def build(config: dict[str, Any]) -> Flask:
        monkeypatch.setenv("OER_INSTANCE_PATH", str(tmp_path / f"instance-{len(apps)}"))
        built = create_app(config)
        apps.append(built)
        return built

    yield build
    for built in apps:
        with built.app_context():
            db.engine.dispose()


class Client:
    """A test client that fills in the CSRF token, as the browser does with the form's.

    Its session starts in English so that assertions read like the message ids; the Dutch
    default is what ``tests/integration/test_i18n.py`` proves (with ``locale=None``).
    """

    def __init__(self, client: FlaskClient, locale: str | None = "en") -> None:
        self.raw = client
        if locale:
            with client.session_transaction() as session:
                session["locale"] = locale

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        # Buffered: the body is read and the app's iterator (an open file for downloads)
        # closed at once, so no test leaves a file handle for the garbage collector.
        return self.raw.get(path, buffered=True, **kwargs)

    def csrf_token(self, path: str = "/") -> str:
        match = CSRF_RE.search(self.raw.get(path).get_data(as_text=True))
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> TestResponse:
        return self.raw.post(path, data={"csrf_token": self.csrf_token(), **(data or {})},
                             buffered=True, **kwargs)

    def login(self, email: str, password: str = PASSWORD) -> TestResponse:
        return self.post("/account/login", {"email": email, "password": password})

    def logout(self) -> TestResponse:
        return self.post("/account/logout")


@pytest.fixture()
def client(app: Flask) -> Client:
    return Client(app.test_client())


@pytest.fixture()
def mailbox(app: Flask) -> Any:
    """The app's sent e-mail (the ``locmem`` backend): ``mailbox.confirmation_path(address)``."""
    from tests.fixtures.mailbox import use_locmem

    return use_locmem(app)


@pytest.fixture()
def new_client(app: Flask) -> Any:
    """Make further, independent clients (other browsers, other devices)."""
    return lambda locale="en": Client(app.test_client(), locale)


@dataclass
class UserRecord:
    id: int
    email: str
    password: str


@pytest.fixture()
def make_user(app: Flask) -> Any:
    """Create a committed user: ``make_user("teacher")`` or ``make_user("admin", "moderator")``."""
    from oer_portal.accounts import service
    from oer_portal.accounts.models import Role
    from oer_portal.core.uow import current_uow

    counter = iter(range(1, 10_000))

    def make(*roles: str, email: str | None = None, name: str | None = None,
             password: str = PASSWORD) -> UserRecord:
        n = next(counter)
        email = email or f"{'-'.join(roles) or 'user'}{n}@example.org"
        with app.app_context():
            user = service.create_user(email, name or f"User {n}", password,
                                       [Role(r) for r in roles or ("student",)])
            current_uow().commit()
            return UserRecord(user.id, user.email, password)

    return make


@pytest.fixture()
def runner(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A CLI runner in an English shell (commands follow LANG, like the pages follow the
    language switch)."""
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    return app.test_cli_runner()


@pytest.fixture()
def make_material(app: Flask) -> Any:
    """Create a lesson through the services: ``make_material(owner, publish_by=moderator)``."""
    from oer_portal.accounts.models import User
    from oer_portal.core.uow import current_uow
    from oer_portal.materials import lifecycle, service
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import Material, MaterialKind, MaterialVersion

    def make(owner: UserRecord, title: str = "Breuken", body: str = "Regel een\n",
             publish_by: UserRecord | None = None, attachments: Any = (),
             **fields: Any) -> int:
        with app.app_context():
            user = db.session.get(User, owner.id)
            material = service.create_material(
                user, MaterialKind.LESSON, VersionFields(title=title, body=body, **fields),
                attachments)
            if publish_by is not None:
                db.session.flush()
                lifecycle.publish(material,
                                  db.session.get(MaterialVersion, material.latest_version_id),
                                  db.session.get(User, publish_by.id))
            current_uow().commit()
            assert isinstance(material, Material)
            return material.id

    return make
