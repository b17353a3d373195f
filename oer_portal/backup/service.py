"""Make, check and restore backups of a running portal.

``create`` takes the database snapshot FIRST and copies files after: an upload's blob is
kept before the commit that references it, so every blob the snapshot references already
exists when the copying starts; blobs written later are simply not copied.  Blobs are
immutable, so copying them while the portal serves is safe.  The manifest is written last
(``manifest.write``); on any failure what was written is removed, so no half backup is left
looking complete.

``restore`` checks the backup completely before it touches anything, refuses a target that
holds portal data (unless forced), then puts back the files (first: extra blobs harm
nothing), the database, upgrades the schema of an older backup and rebuilds the search index
from the restored rows.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from flask_babel import gettext as _
from sqlalchemy import func, inspect, select, table
from sqlalchemy.exc import SQLAlchemyError

from oer_portal.backup import databases
from oer_portal.backup import manifest as manifests
from oer_portal.backup.databases import DUMP_NAMES, NOT_PORTAL_DATA, DatabaseFacts
from oer_portal.backup.manifest import FILES_DIR, FileEntry, Manifest, checksum
from oer_portal.backup.references import referenced_blobs
from oer_portal.core.db import read_only
from oer_portal.core.errors import Conflict, DomainError, StorageFull
from oer_portal.core.storage import DERIVED_NAMES, DIR_MODE, FILE_MODE, FileStore, file_store
from oer_portal.extensions import db

_CHUNK = 1024 * 1024
_BLOB_PATH = re.compile(r"files/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})")
_DERIVED_PATH = re.compile(r"files/derived/([0-9a-f]{2})/([0-9a-f]{64})/([a-z]+\.[a-z]+)")


class Progress(Protocol):
    """Told about long work, so the command can show how far it is."""

    def start(self, label: str, total: int) -> None: ...

    def advance(self) -> None: ...

    def finish(self) -> None: ...


class Silent:
    def start(self, label: str, total: int) -> None:
        pass

    def advance(self) -> None:
        pass

    def finish(self) -> None:
        pass


class BackupDamaged(DomainError):
    """The backup disagrees with its manifest; ``differences`` says where."""

    def __init__(self, differences: list[str]) -> None:
        super().__init__(_("The backup does not match its manifest; nothing was restored."))
        self.differences = differences


def _is_full(error: BaseException) -> bool:
    return isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def blob_entry_path(sha256: str) -> str:
    return f"{FILES_DIR}/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def derived_entry_path(sha256: str, name: str) -> str:
    return f"{FILES_DIR}/derived/{sha256[:2]}/{sha256}/{name}"


def _valid_entry_path(path: str) -> bool:
    """Only names the backup itself makes: nothing in a manifest can point elsewhere."""
    blob = _BLOB_PATH.fullmatch(path)
    if blob:
        return blob[3][:2] == blob[1] and blob[3][2:4] == blob[2]
    derived = _DERIVED_PATH.fullmatch(path)
    return bool(derived and derived[2][:2] == derived[1] and derived[3] in DERIVED_NAMES)


def _copy(source: Path, target: Path) -> tuple[int, str]:
    """Copy ``source`` to the new file ``target``, returning the size and SHA-256 copied."""
    target.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as reader, target.open("xb") as writer:
        os.fchmod(writer.fileno(), FILE_MODE)
        while chunk := reader.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            writer.write(chunk)
        writer.flush()
        os.fsync(writer.fileno())
    return size, digest.hexdigest()


# -- create -------------------------------------------------------------------------------------


def _prepare(directory: Path) -> bool:
    """Make sure ``directory`` is a new or empty directory; whether it was created here."""
    if directory.exists():
        if not directory.is_dir() or any(directory.iterdir()):
            raise Conflict(_("%(path)s already exists and is not empty: a backup is never "
                             "written over another one.", path=directory))
        return False
    directory.mkdir(mode=DIR_MODE, parents=True)
    return True


def _remove_partial(directory: Path, created: bool) -> None:
    if created:
        shutil.rmtree(directory, ignore_errors=True)
        return
    for child in directory.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def _app_head() -> str | None:
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config).get_current_head()


def _copy_blobs(store: FileStore, referenced: Iterable[str], directory: Path,
                progress: Progress) -> list[FileEntry]:
    hashes = sorted(referenced)
    entries: list[FileEntry] = []
    progress.start(_("Copying files"), len(hashes))
    for sha256 in hashes:
        source = store.path(sha256)
        if not source.is_file():
            raise DomainError(_("The file %(sha256)s that the database refers to is missing "
                                "from the file store; run “backup verify” to see all such "
                                "files.", sha256=sha256))
        path = blob_entry_path(sha256)
        size, copied = _copy(source, directory / path)
        if copied != sha256:
            raise DomainError(_("The file %(sha256)s in the file store is damaged (its "
                                "content does not match its name).", sha256=sha256))
        entries.append(FileEntry(path, size, copied))
        for name in sorted(DERIVED_NAMES):
            derived = store.derived_path(sha256, name)
            if derived.is_file():
                path = derived_entry_path(sha256, name)
                size, copied = _copy(derived, directory / path)
                entries.append(FileEntry(path, size, copied))
        progress.advance()
    progress.finish()
    return entries


def create(directory: Path, progress: Progress | None = None) -> Manifest:
    """Write a backup of the running portal into the new (or empty) ``directory``."""
    progress = progress or Silent()
    url = db.engine.url
    kind = databases.kind_of(url)
    created = _prepare(directory)
    try:
        created_at = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        dump = directory / DUMP_NAMES[kind]
        databases.snapshot(url, dump)
        facts = databases.facts_of(kind, dump)
        size, sha256 = checksum(dump)
        files = _copy_blobs(file_store(), facts.referenced, directory, progress)
        manifest = Manifest(created_at=created_at, database_kind=kind,
                            database_file=dump.name, database_size=size,
                            database_sha256=sha256, schema_revision=facts.revision,
                            app_head=_app_head(), tables=facts.tables, files=files)
        manifests.write(directory, manifest)
        return manifest
    except BaseException as error:
        _remove_partial(directory, created)
        if _is_full(error):
            raise StorageFull() from error
        raise


# -- verify a backup ----------------------------------------------------------------------------


@dataclass
class BackupReport:
    manifest: Manifest
    differences: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.differences


def _check_database(directory: Path, manifest: Manifest, report: BackupReport
                    ) -> DatabaseFacts | None:
    expected = DUMP_NAMES.get(manifest.database_kind)
    if expected is None or manifest.database_file != expected:
        report.differences.append(_("The manifest names an unknown database dump: %(name)s.",
                                    name=manifest.database_file))
        return None
    dump = directory / expected
    if not dump.is_file():
        report.differences.append(_("The database dump %(name)s is missing.", name=expected))
        return None
    size, sha256 = checksum(dump)
    if (size, sha256) != (manifest.database_size, manifest.database_sha256):
        report.differences.append(_("The database dump %(name)s has changed: its checksum "
                                    "differs from the manifest's.", name=expected))
    try:
        return databases.facts_of(manifest.database_kind, dump)
    except DomainError as error:
        report.differences.append(error.message)
        return None


def _check_files(directory: Path, manifest: Manifest, report: BackupReport,
                 progress: Progress) -> None:
    listed = {entry.path for entry in manifest.files}
    progress.start(_("Checking files"), len(manifest.files))
    for entry in manifest.files:
        progress.advance()
        if not _valid_entry_path(entry.path):
            report.differences.append(_("The manifest lists a file outside the backup's "
                                        "layout: %(path)s.", path=entry.path))
            continue
        path = directory / entry.path
        if not path.is_file():
            report.differences.append(_("Missing file: %(path)s.", path=entry.path))
            continue
        if checksum(path) != (entry.size, entry.sha256):
            report.differences.append(_("Changed file (checksum differs): %(path)s.",
                                        path=entry.path))
    progress.finish()
    root = directory / FILES_DIR
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            name = path.relative_to(directory).as_posix()
            if path.is_file() and name not in listed:
                report.differences.append(_("File not in the manifest: %(path)s.", path=name))


def _compare_facts(manifest: Manifest, facts: DatabaseFacts, report: BackupReport) -> None:
    if facts.revision != manifest.schema_revision:
        report.differences.append(_("The database is at schema %(found)s, the manifest says "
                                    "%(expected)s.", found=facts.revision,
                                    expected=manifest.schema_revision))
    for name in sorted(set(manifest.tables) | set(facts.tables)):
        expected, found = manifest.tables.get(name), facts.tables.get(name)
        if found is None:
            report.differences.append(_("Table %(table)s is in the manifest but not in the "
                                        "database.", table=name))
        elif expected is None:
            report.differences.append(_("Table %(table)s is in the database but not in the "
                                        "manifest.", table=name))
        elif (expected.rows, expected.max_id) != (found.rows, found.max_id):
            report.differences.append(_(
                "Table %(table)s: the manifest says %(expected)d rows (largest id "
                "%(expected_id)s), the database has %(found)d (largest id %(found_id)s).",
                table=name, expected=expected.rows, expected_id=expected.max_id,
                found=found.rows, found_id=found.max_id))
    listed = {entry.path for entry in manifest.files}
    for sha256 in sorted(facts.referenced):
        if blob_entry_path(sha256) not in listed:
            report.differences.append(_("The database refers to file %(sha256)s, which the "
                                        "backup does not hold.", sha256=sha256))


def verify_backup(directory: Path, progress: Progress | None = None) -> BackupReport:
    """Check a backup's manifest, database dump and files against each other."""
    progress = progress or Silent()
    manifest = manifests.read(directory)
    report = BackupReport(manifest)
    facts = _check_database(directory, manifest, report)
    _check_files(directory, manifest, report, progress)
    if facts is not None:
        _compare_facts(manifest, facts, report)
    return report


# -- verify the live portal ---------------------------------------------------------------------


@dataclass
class LiveReport:
    referenced: int
    missing: list[str] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)
    #: Blobs no row references (failed uploads, uploads not committed yet): information for
    #: the garbage collector, not a fault.
    unreferenced: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.damaged)


def verify_live(progress: Progress | None = None) -> LiveReport:
    """Check that every blob the live database references exists and is intact."""
    progress = progress or Silent()
    with read_only():
        referenced = referenced_blobs(db.session.connection())
        db.session.rollback()
    store = file_store()
    report = LiveReport(len(referenced))
    progress.start(_("Checking files"), len(referenced))
    for sha256 in sorted(referenced):
        progress.advance()
        path = store.path(sha256)
        if not path.is_file():
            report.missing.append(sha256)
        elif checksum(path)[1] != sha256:
            report.damaged.append(sha256)
    progress.finish()
    report.unreferenced = list(store.unreferenced(referenced))
    return report


# -- restore ------------------------------------------------------------------------------------


def target_has_data() -> bool:
    """Whether the configured database holds any portal data (seeded reference data and
    the migration's bookkeeping do not count)."""
    url = db.engine.url
    if databases.kind_of(url) == databases.SQLITE and not databases.sqlite_path(url).exists():
        return False  # restoring creates it
    try:
        names = inspect(db.engine).get_table_names()
        with read_only():
            found = any(db.session.scalar(select(func.count()).select_from(table(name)))
                        for name in names if name not in NOT_PORTAL_DATA)
            db.session.rollback()
            return found
    except SQLAlchemyError as error:
        raise databases.DatabaseUnreachable(_("The database cannot be reached: %(error)s",
                                              error=str(error).splitlines()[0])) from error


def _check_revision(manifest: Manifest) -> None:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    try:
        known = (manifest.schema_revision is not None
                 and ScriptDirectory.from_config(config).get_revision(manifest.schema_revision))
    except CommandError:
        known = False
    if not known:
        raise DomainError(_("This backup's database is at schema %(revision)s, which this "
                            "version of the portal does not know (a backup of a newer "
                            "version?).", revision=manifest.schema_revision))


def _restore_files(directory: Path, manifest: Manifest, store: FileStore,
                   progress: Progress) -> None:
    progress.start(_("Restoring files"), len(manifest.files))
    for entry in manifest.files:
        target = store.root / entry.path.removeprefix(f"{FILES_DIR}/")
        if not (target.is_file() and checksum(target) == (entry.size, entry.sha256)):
            temp = target.with_name(f".{target.name}.restoring")
            temp.unlink(missing_ok=True)
            _copy(directory / entry.path, temp)
            os.replace(temp, target)
        progress.advance()
    progress.finish()


def restore(directory: Path, force: bool = False, progress: Progress | None = None) -> Manifest:
    """Rebuild the configured portal (database, files, search index) from a backup."""
    from flask_migrate import upgrade

    from oer_portal.search import indexer

    progress = progress or Silent()
    report = verify_backup(directory, progress)
    if not report.clean:
        raise BackupDamaged(report.differences)
    manifest = report.manifest
    _check_revision(manifest)
    if not force and target_has_data():
        raise Conflict(_("The configured database already holds portal data; restore into "
                         "an empty database, or add --force to replace its data."))
    url = db.engine.url
    db.session.remove()
    db.engine.dispose()
    try:
        # Files first: extra blobs in a content-addressed store harm nothing, so a failure
        # here (a full disk) leaves the target's database as it was.
        _restore_files(directory, manifest, file_store(), progress)
        databases.restore(url, manifest.database_kind, directory / manifest.database_file)
        db.engine.dispose()
        upgrade()  # a backup of an older version: its schema is brought up to date
        db.session.remove()
        db.engine.dispose()
        indexer.reindex()
    except OSError as error:
        if _is_full(error):
            raise StorageFull() from error
        raise
    return manifest
