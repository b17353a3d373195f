"""Migrations from an empty database to head yield exactly the models, on SQLite and
PostgreSQL (the PostgreSQL case fails rather than skips when CI=true)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlalchemy.exc import OperationalError

from oer_portal.extensions import db
from tests.conftest import (
    create_postgres_database,
    drop_postgres_database,
    make_config,
    migrate_to_head,
    postgres_uri_from_env,
)

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server = postgres_uri_from_env() or DEFAULT_POSTGRES
    try:
        uri = create_postgres_database(server)
    except OperationalError as error:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"PostgreSQL not reachable: {error.orig}")
    yield uri
    drop_postgres_database(server, uri)


def _schema_diff(uri: str) -> list:
    engine = create_engine(uri)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return compare_metadata(context, db.metadata)
    finally:
        engine.dispose()


def test_upgrade_from_empty_to_head_matches_the_models(empty_database, tmp_path):
    migrate_to_head(tmp_path, empty_database)
    assert _schema_diff(empty_database) == []


def test_downgrade_to_base_and_upgrade_again(empty_database, tmp_path):
    from flask_migrate import downgrade, upgrade

    from oer_portal import create_app

    migrate_to_head(tmp_path, empty_database)
    app = create_app(make_config(tmp_path, empty_database))
    with app.app_context():
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        db.engine.dispose()
    assert _schema_diff(empty_database) == []


def test_every_table_of_the_models_is_created(empty_database, tmp_path):
    migrate_to_head(tmp_path, empty_database)
    engine = create_engine(empty_database)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(db.metadata.tables) <= tables
