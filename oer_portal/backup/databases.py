"""The database part of a backup: take a consistent snapshot, read what it holds, put it back.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent image of the
database while writers go on (it copes with WAL); the copy is switched to a rollback journal so
that it is one self-contained file.  PostgreSQL: ``pg_dump`` in custom format, which reads
everything in one transaction (one snapshot) while the portal keeps writing.

What a snapshot holds (rows and largest id per table, the referenced blobs, the schema
revision) is always read from the snapshot itself, never from the live database, so the
manifest describes exactly the dump beside it and ``backup verify`` can read it again the same
way.  Connection parameters reach ``pg_dump``/``pg_restore`` through their environment (no
shell, and no password on a command line that ``ps`` shows).
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import sqlite3
import subprocess  # pg_dump/pg_restore: fixed argument lists, no shell  # nosec B404
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import URL, Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from oer_portal.backup.references import reference_columns
from oer_portal.core.errors import DomainError, StorageFull

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
#: The dump's file name inside a backup, by database kind.
DUMP_NAMES = {SQLITE: "database.sqlite3", POSTGRESQL: "database.pgdump"}
#: Tables that hold no portal data of their own: the migration's bookkeeping and the
#: reference data the migrations seed.  A target holding rows only there is empty.
NOT_PORTAL_DATA = frozenset({"alembic_version", "vocabulary_terms"})
#: What pg_dump and pg_restore print when the disk is full.
_NO_SPACE = re.compile(r"No space left on device|Disk quota exceeded", re.IGNORECASE)


class DatabaseUnreachable(DomainError):
    """The database could not be read or written (server down, file missing, bad login)."""


class DumpUnreadable(DomainError):
    """A backup's database dump cannot be read back."""


@dataclass
class TableFacts:
    rows: int
    #: The largest ``id`` (tables with an integer ``id`` column), ``None`` otherwise or empty.
    max_id: int | None = None


@dataclass
class DatabaseFacts:
    """What a database snapshot holds, as the manifest records it."""

    revision: str | None
    tables: dict[str, TableFacts] = field(default_factory=dict)
    referenced: set[str] = field(default_factory=set)


def kind_of(url: URL) -> str:
    """``sqlite`` or ``postgresql``; anything else cannot be backed up by this command."""
    backend = url.get_backend_name()
    if backend not in (SQLITE, POSTGRESQL):
        raise DomainError(_("Backups support SQLite and PostgreSQL, not %(name)s.", name=backend))
    return backend


def _is_full(error: BaseException) -> bool:
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return True
    return getattr(error, "sqlite_errorname", "") == "SQLITE_FULL"


# -- SQLite -------------------------------------------------------------------------------------


def sqlite_path(url: URL) -> Path:
    """The file of a SQLite URL; an in-memory database has none to back up or restore."""
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise DomainError(_("Only a SQLite database in a file can be backed up or restored."))
    return Path(url.database)


def _connect_existing(path: Path, mode: str) -> sqlite3.Connection:
    """Open ``path`` without ever creating it (``mode`` ``ro`` or ``rw``)."""
    if not path.is_file():
        raise DatabaseUnreachable(_("The database file %(path)s does not exist.", path=path))
    query = "mode=ro&immutable=1" if mode == "ro" else "mode=rw"
    try:
        return sqlite3.connect(f"{path.resolve().as_uri()}?{query}", uri=True, timeout=30)
    except sqlite3.Error as error:
        raise DatabaseUnreachable(_("The database %(path)s cannot be opened: %(error)s",
                                    path=path, error=error)) from error


def snapshot_sqlite(source: Path, target: Path) -> None:
    """Copy a consistent image of ``source`` to the new file ``target``."""
    live = _connect_existing(source, "rw")
    try:
        copy = sqlite3.connect(target)
        try:
            live.backup(copy)  # one step: a single consistent read of the whole database
            copy.execute("PRAGMA journal_mode = DELETE")  # one file, no -wal beside it
            copy.commit()
        finally:
            copy.close()
    except sqlite3.Error as error:
        if _is_full(error):
            raise StorageFull() from error
        raise DatabaseUnreachable(_("The database could not be copied: %(error)s",
                                    error=error)) from error
    finally:
        live.close()


def _identifier(name: str) -> str:
    """``name`` as a quoted SQL identifier (names come from the snapshot's own schema or
    from ``reference_columns()``, never from a user)."""
    return '"' + name.replace('"', '""') + '"'


def sqlite_facts(dump: Path) -> DatabaseFacts:
    """Read a SQLite snapshot (read-only, never changing the file)."""
    try:
        connection = _connect_existing(dump, "ro")
    except DatabaseUnreachable as error:
        raise DumpUnreadable(error.message) from error
    try:
        names = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name")]
        facts = DatabaseFacts(revision=None)
        for name in names:
            quoted = _identifier(name)
            columns = {row[1] for row in connection.execute(f"PRAGMA table_info({quoted})")}
            count = f"SELECT count(*) FROM {quoted}"  # noqa: S608 (quoted)  # nosec B608
            largest = f"SELECT max(id) FROM {quoted}"  # noqa: S608 (quoted)  # nosec B608
            rows = connection.execute(count).fetchone()[0]
            max_id = connection.execute(largest).fetchone()[0] if "id" in columns else None
            facts.tables[name] = TableFacts(rows, max_id if isinstance(max_id, int) else None)
            for table, column in reference_columns():
                if table == name and column in columns:
                    hashes = (f"SELECT DISTINCT {_identifier(column)} FROM {quoted} "  # noqa: S608 (quoted)  # nosec B608
                              f"WHERE {_identifier(column)} IS NOT NULL")
                    facts.referenced.update(row[0] for row in connection.execute(hashes))
        if "alembic_version" in names:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            facts.revision = row[0] if row else None
        return facts
    except sqlite3.Error as error:
        raise DumpUnreadable(_("The database dump cannot be read: %(error)s",
                               error=error)) from error
    finally:
        connection.close()


def restore_sqlite(dump: Path, target: Path) -> None:
    """Write the snapshot into the database file ``target`` (created if missing).

    The backup API writes through SQLite itself, so a ``-wal`` file left beside the target
    cannot be replayed over the restored pages, as it could after copying the file in place.
    """
    source = _connect_existing(dump, "ro")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        destination = sqlite3.connect(target, timeout=30)
        try:
            source.backup(destination)
        finally:
            destination.close()
    except sqlite3.Error as error:
        if _is_full(error):
            raise StorageFull() from error
        raise DatabaseUnreachable(_("The database could not be written: %(error)s",
                                    error=error)) from error
    finally:
        source.close()


# -- PostgreSQL ---------------------------------------------------------------------------------


def _pg_environment(url: URL) -> dict[str, str]:
    """libpq's variables for ``url``: the password never appears in an argument list."""
    environment = dict(os.environ)  # PGSSLCERT and the like apply as they do for the app
    for variable, value in (("PGHOST", url.host), ("PGPORT", url.port),
                            ("PGUSER", url.username), ("PGPASSWORD", url.password),
                            ("PGDATABASE", url.database)):
        if value is not None and value != "":
            environment[variable] = str(value)
    for option, variable in (("host", "PGHOST"), ("sslmode", "PGSSLMODE"),
                             ("sslrootcert", "PGSSLROOTCERT"),
                             ("connect_timeout", "PGCONNECT_TIMEOUT")):
        value = url.query.get(option)
        if isinstance(value, str):
            environment[variable] = value
    return environment


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise DomainError(_("%(tool)s is not installed (it comes with PostgreSQL's client "
                            "programs).", tool=name))
    return found


def _failed(tool: str, stderr: str) -> DomainError:
    if _NO_SPACE.search(stderr):
        return StorageFull()
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return DatabaseUnreachable(_("%(tool)s failed: %(error)s", tool=tool,
                                 error=lines[-1] if lines else "?"))


def dump_postgres(url: URL, target: Path) -> None:
    """``pg_dump`` the database of ``url`` into ``target`` (custom format, one snapshot)."""
    result = subprocess.run(  # noqa: S603 (fixed arguments, no shell)  # nosec B603
        [_tool("pg_dump"), "--format=custom", "--no-password", "--file", str(target)],
        env=_pg_environment(url), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise _failed("pg_dump", result.stderr)


_COPY = re.compile(r"^COPY (?:(?P<schema>\"[^\"]+\"|[^.\s]+)\.)?(?P<table>\"[^\"]+\"|\S+) "
                   r"\((?P<columns>[^)]*)\) FROM stdin;$")


def _unquote(name: str) -> str:
    name = name.strip()
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


def _copy_blocks(dump: Path) -> Iterator[tuple[str, list[str], Iterator[list[str]]]]:
    """``(table, columns, rows)`` of each table's data in a custom-format dump."""
    with tempfile.TemporaryFile() as errors:  # a file: a chatty stderr never blocks the pipe
        process = subprocess.Popen(  # noqa: S603 (fixed arguments, no shell)  # nosec B603
            [_tool("pg_restore"), "--data-only", "--file=-", str(dump)],
            stdout=subprocess.PIPE, stderr=errors, text=True, encoding="utf-8",
            errors="surrogateescape")
        if process.stdout is None:  # cannot happen with stdout=PIPE; for the type checker
            raise DumpUnreadable(_("The database dump cannot be read: %(error)s", error="-"))
        with process.stdout:
            lines = iter(process.stdout)

            def rows() -> Iterator[list[str]]:
                for line in lines:
                    line = line.rstrip("\n")
                    if line == "\\.":
                        return
                    yield line.split("\t")

            for line in lines:
                match = _COPY.match(line.rstrip("\n"))
                if match:
                    block = rows()
                    yield (_unquote(match["table"]),
                           [_unquote(c) for c in match["columns"].split(",")], block)
                    for _row in block:  # whatever the caller did not read
                        pass
        if process.wait() != 0:
            errors.seek(0)
            message = errors.read().decode("utf-8", "replace").strip()
            raise DumpUnreadable(_("The database dump cannot be read: %(error)s",
                                   error=message or process.returncode))


def postgres_facts(dump: Path) -> DatabaseFacts:
    """Read a custom-format dump through ``pg_restore`` (no database needed)."""
    if not dump.is_file():
        raise DumpUnreadable(_("The database dump %(path)s does not exist.", path=dump))
    facts = DatabaseFacts(revision=None)
    for table, columns, rows in _copy_blocks(dump):
        id_at = columns.index("id") if "id" in columns else None
        references = [columns.index(column) for name, column in reference_columns()
                      if name == table and column in columns]
        count, max_id = 0, None
        for row in rows:
            count += 1
            if id_at is not None and row[id_at].isdigit():
                max_id = max(max_id or 0, int(row[id_at]))
            for at in references:
                if row[at] != "\\N":
                    facts.referenced.add(row[at])
            if table == "alembic_version":
                facts.revision = row[columns.index("version_num")]
        facts.tables[table] = TableFacts(count, max_id)
    return facts


def _admin_engine(url: URL) -> Engine:
    return create_engine(url, poolclass=NullPool)


def postgres_tables(url: URL) -> list[str]:
    """Base tables of the target's schema."""
    engine = _admin_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.scalars(text(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' "
                "ORDER BY table_name")))
    except SQLAlchemyError as error:
        raise DatabaseUnreachable(_("The database cannot be reached: %(error)s",
                                    error=str(error).splitlines()[0])) from error
    finally:
        engine.dispose()


def restore_postgres(url: URL, dump: Path) -> None:
    """Replace everything in the target's schema by the dump, in one transaction each.

    The target's tables are dropped first (a target migrated further than the backup would
    otherwise keep tables that the later schema upgrade creates again); ``--clean
    --if-exists`` then drops the dump's other objects (the trigger functions) before making
    them anew.  Triggers and foreign keys come after the data in a dump, so the immutable
    tables can be loaded.
    """
    tables = postgres_tables(url)
    if tables:
        engine = _admin_engine(url)
        try:
            with engine.begin() as connection:
                names = ", ".join('"' + name.replace('"', '""') + '"' for name in tables)
                connection.execute(text(f"DROP TABLE IF EXISTS {names} CASCADE"))
        finally:
            engine.dispose()
    database = (url.database or "").replace("\\", "\\\\").replace("'", "\\'")
    result = subprocess.run(  # noqa: S603 (fixed arguments, no shell)  # nosec B603
        [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
         "--single-transaction", "--exit-on-error", "--no-password",
         "--dbname", f"dbname='{database}'", str(dump)],
        env=_pg_environment(url), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise _failed("pg_restore", result.stderr)


# -- both ---------------------------------------------------------------------------------------


def snapshot(url: URL, target: Path) -> None:
    """Write the snapshot of the database at ``url`` to ``target``."""
    try:
        if kind_of(url) == SQLITE:
            snapshot_sqlite(sqlite_path(url), target)
        else:
            dump_postgres(url, target)
    except OSError as error:
        if _is_full(error):
            raise StorageFull() from error
        raise


def facts_of(kind: str, dump: Path) -> DatabaseFacts:
    return sqlite_facts(dump) if kind == SQLITE else postgres_facts(dump)


def restore(url: URL, kind: str, dump: Path) -> None:
    if kind_of(url) != kind:
        raise DomainError(_("This backup holds a %(backup)s database; the portal is "
                            "configured for %(target)s.", backup=kind, target=kind_of(url)))
    if kind == SQLITE:
        restore_sqlite(dump, sqlite_path(url))
    else:
        restore_postgres(url, dump)
