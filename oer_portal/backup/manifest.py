"""The manifest of a backup: what it holds and the checksum of every part.

A backup is a directory (not a tar file): each part can be checked, copied with ``rsync`` and
read back without unpacking, and a backup in progress is recognisable because its manifest,
written last and atomically (temp file, ``fsync``, rename), is missing.  No manifest, no
backup: ``verify`` and ``restore`` refuse a directory without one.

Layout::

    manifest.json
    database.sqlite3 | database.pgdump
    files/<aa>/<bb>/<sha256>                 blobs the database references
    files/derived/<aa>/<sha256>/thumb.png    derived files of those blobs, where made
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from flask_babel import gettext as _

from oer_portal.backup.databases import DatabaseFacts, TableFacts
from oer_portal.core.errors import DomainError
from oer_portal.core.storage import fsync_dir

FORMAT = "oer-portal-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
FILES_DIR = "files"
_CHUNK = 1024 * 1024


class ManifestInvalid(DomainError):
    """A manifest is missing, unreadable or of an unknown format."""


@dataclass(frozen=True)
class FileEntry:
    #: Relative to the backup directory, with ``/``.
    path: str
    size: int
    sha256: str


@dataclass
class Manifest:
    created_at: str
    database_kind: str
    database_file: str
    database_size: int
    database_sha256: str
    #: The Alembic revision the snapshot's database is at, and the code's head when made.
    schema_revision: str | None
    app_head: str | None
    tables: dict[str, TableFacts] = field(default_factory=dict)
    files: list[FileEntry] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "created_at": self.created_at,
            "app": {"schema_revision": self.schema_revision, "head": self.app_head},
            "database": {"kind": self.database_kind, "file": self.database_file,
                         "size": self.database_size, "sha256": self.database_sha256},
            "tables": {name: asdict(facts) for name, facts in sorted(self.tables.items())},
            "files": [asdict(entry) for entry in self.files],
        }

    @classmethod
    def from_json(cls, data: Any) -> Manifest:
        try:
            if data["format"] != FORMAT:
                raise ManifestInvalid(_("This is not a backup of the portal."))
            if data["format_version"] != FORMAT_VERSION:
                raise ManifestInvalid(_("This backup has format version %(version)s; this "
                                        "portal reads version %(known)s.",
                                        version=data["format_version"], known=FORMAT_VERSION))
            database = data["database"]
            return cls(
                created_at=str(data["created_at"]),
                database_kind=str(database["kind"]), database_file=str(database["file"]),
                database_size=int(database["size"]), database_sha256=str(database["sha256"]),
                schema_revision=data["app"]["schema_revision"], app_head=data["app"]["head"],
                tables={str(name): TableFacts(int(facts["rows"]), facts["max_id"])
                        for name, facts in data["tables"].items()},
                files=[FileEntry(str(entry["path"]), int(entry["size"]), str(entry["sha256"]))
                       for entry in data["files"]])
        except ManifestInvalid:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ManifestInvalid(_("The manifest is damaged (%(error)s).",
                                    error=repr(error))) from error

    def facts(self) -> DatabaseFacts:
        """What the manifest says the database holds (references: the files it lists)."""
        return DatabaseFacts(self.schema_revision, dict(self.tables))


def checksum(path: Path) -> tuple[int, str]:
    """Size and SHA-256 of the file at ``path``."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def write(directory: Path, manifest: Manifest) -> None:
    """Write the manifest last and atomically: until the rename there is no backup."""
    temp = directory / f".{MANIFEST_NAME}.tmp"
    data = json.dumps(manifest.to_json(), indent=1, sort_keys=False).encode()
    with temp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, directory / MANIFEST_NAME)
    fsync_dir(directory)


def read(directory: Path) -> Manifest:
    path = directory / MANIFEST_NAME
    if not directory.is_dir():
        raise ManifestInvalid(_("%(path)s is not a directory.", path=directory))
    if not path.is_file():
        raise ManifestInvalid(_("%(path)s has no manifest: it is not a backup, or an "
                                "unfinished one.", path=directory))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ManifestInvalid(_("The manifest cannot be read (%(error)s).",
                                error=error)) from error
    return Manifest.from_json(data)
