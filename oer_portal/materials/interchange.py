"""Import and export in the interchange format (ARCHITECTURE.md section 8).

A material folder holds ``material.md``, ``meta.json`` and the attached files under
``files/``.  Imports are idempotent by ``meta.json``'s ``id`` (kept as ``external_id``): an
unchanged source changes nothing, a changed one becomes a new version.  A ``.zip`` is read
in place; no member is ever extracted to a path taken from the archive.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Protocol

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from oer_portal.accounts.models import User
from oer_portal.core import outbox
from oer_portal.core.errors import DomainError, ValidationError
from oer_portal.core.markdown import current_own_hosts, using_renderings
from oer_portal.core.storage import file_store
from oer_portal.extensions import db
from oer_portal.materials import lifecycle, preparation, remote_images, service
from oer_portal.materials.attachments import AttachmentRef, Upload, refs_of, store_upload
from oer_portal.materials.derivation import using_derivations
from oer_portal.materials.metadata import (
    VersionFields,
    normalise_body,
    resolve_term,
    validate,
    vocabularies,
)
from oer_portal.materials.models import Material, MaterialKind, MaterialVersion, StoredFile

META_KEYS_USED = {"id", "title", "description", "subject", "subjects", "level", "levels",
                  "language", "keywords", "licence", "authors", "source_url", "attribution",
                  "objectives", "resource_type", "duration_minutes", "age_range", "attachments",
                  "version"}
#: Resource types found in imported metadata, mapped onto the portal's vocabulary.
RESOURCE_TYPES = {
    "lesson episode": "lesson", "lesson page": "lesson", "lesson": "lesson",
    "textbook section": "textbook-section", "tutorial / reference": "tutorial",
    "guide": "guide", "teacher training": "teacher-guide",
    "pdf lesson material (text extracted)": "lesson", "worksheet": "worksheet",
}


class MaterialSource(Protocol):
    """One material folder, on disk or inside a zip."""

    name: str

    def read_bytes(self, relative: str) -> bytes: ...

    def open(self, relative: str) -> BinaryIO: ...


def _safe_relative(relative: str) -> PurePosixPath:
    path = PurePosixPath(relative.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or not path.parts or ":" in path.parts[0]:
        raise ValidationError(_("Unsafe file path in the material: %(path)s", path=relative))
    return path


@dataclass
class FolderSource:
    root: Path

    @property
    def name(self) -> str:
        return self.root.name

    def _path(self, relative: str) -> Path:
        path = (self.root / _safe_relative(relative)).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValidationError(_("Unsafe file path in the material: %(path)s", path=relative))
        return path

    def read_bytes(self, relative: str) -> bytes:
        return self._path(relative).read_bytes()

    def open(self, relative: str) -> BinaryIO:
        return self._path(relative).open("rb")


@dataclass
class ZipSource:
    archive: zipfile.ZipFile
    prefix: str  # "" or "folder/" inside the archive

    @property
    def name(self) -> str:
        return self.prefix.rstrip("/") or "archive"

    def read_bytes(self, relative: str) -> bytes:
        return self.archive.read(self.prefix + str(_safe_relative(relative)))

    def open(self, relative: str) -> BinaryIO:
        return io.BytesIO(self.read_bytes(relative))


def discover(path: Path) -> Iterator[MaterialSource]:
    """Material folders in ``path``: one folder, a folder of folders, or a .zip of either."""
    if path.is_file() and zipfile.is_zipfile(path):
        archive = zipfile.ZipFile(path)
        names = archive.namelist()
        for name in names:
            _safe_relative(name)
        prefixes = sorted({n[: -len("meta.json")] for n in names
                           if n == "meta.json" or n.endswith("/meta.json")})
        for prefix in prefixes:
            if prefix.count("/") <= 2:
                yield ZipSource(archive, prefix)
        return
    if (path / "meta.json").is_file():
        yield FolderSource(path)
        return
    for child in sorted(p for p in path.iterdir() if (p / "meta.json").is_file()):
        yield FolderSource(child)


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


def _codes(meta: dict[str, Any], single: str, plural: str) -> tuple[str, ...]:
    """Codes of the terms named (by code or by label) under ``single`` or ``plural``;
    names no vocabulary knows are left out."""
    raw = meta.get(plural) or ([meta[single]] if meta.get(single) else [])
    codes = (resolve_term(single, str(value)) for value in raw)
    return tuple(dict.fromkeys(code for code in codes if code))


def fields_from_meta(meta: dict[str, Any], body: str) -> VersionFields:
    vocab = vocabularies()
    age = meta.get("age_range") or [None, None]
    resource = str(meta.get("resource_type") or "").strip().lower()
    extra = {k: v for k, v in meta.items() if k not in META_KEYS_USED}
    if resource and resource not in vocab["resource_type"] and resource not in RESOURCE_TYPES:
        extra["source_resource_type"] = meta.get("resource_type")
    return VersionFields(
        title=str(meta.get("title") or ""), description=str(meta.get("description") or ""),
        body=body, language=str(meta.get("language") or "").lower(),
        licence=str(meta.get("licence") or ""),
        subjects=_codes(meta, "subject", "subjects"),
        levels=_codes(meta, "level", "levels"),
        keywords=tuple(meta.get("keywords") or ()),
        objectives=tuple(meta.get("objectives") or ()),
        resource_type=resource if resource in vocab["resource_type"]
        else RESOURCE_TYPES.get(resource),
        duration_minutes=meta.get("duration_minutes"),
        age_min=age[0] if len(age) > 0 else None, age_max=age[1] if len(age) > 1 else None,
        authors=tuple(meta.get("authors") or ()),
        source_url=meta.get("source_url") or None, attribution=meta.get("attribution") or None,
        extra=extra,
    )


def _attachments(source: MaterialSource, meta: dict[str, Any]) -> list[AttachmentRef]:
    refs = []
    for item in meta.get("attachments") or ():
        data = source.read_bytes(item["path"])
        if item.get("sha256") and hashlib.sha256(data).hexdigest() != item["sha256"]:
            raise ValidationError(_("The checksum of %(name)s does not match meta.json.",
                                    name=item.get("filename") or item["path"]))
        ref = store_upload(Upload(io.BytesIO(data), item.get("filename") or item["path"]))
        refs.append(ref)
    return refs


def import_material(source: MaterialSource, importer: User,
                    publisher: User | None = None) -> str:
    """Import one material folder; returns ``created``, ``updated`` or ``unchanged``.

    ``importer`` owns what is created; when ``publisher`` is given the imported version is
    published directly (imports by an admin), otherwise it stays a draft for review.
    """
    meta = json.loads(source.read_bytes("meta.json").decode("utf-8"))
    external_id = str(meta.get("id") or "").strip()
    if not external_id:
        raise ValidationError(_("meta.json has no id."))
    body = source.read_bytes("material.md").decode("utf-8")
    fields = fields_from_meta(meta, body)
    refs = _attachments(source, meta)
    existing = db.session.scalar(select(Material).where(Material.external_id == external_id))
    if existing is None:
        kind = MaterialKind.LESSON if body.strip() or not refs else MaterialKind.FILE
        material = service.create_material(importer, kind, fields, refs,
                                           summary=_("Imported"), external_id=external_id)
        outcome = "created"
    else:
        material = existing
        head = db.session.get(MaterialVersion, material.latest_version_id)
        if _same(head, fields, refs):
            if publisher and material.published_version_id != head.id \
                    and not material.is_withdrawn:
                lifecycle.publish(material, head, publisher)
            return "unchanged"
        service.save_version(importer, material.id, head.id, fields, refs,
                             summary=_("Imported again (the source changed)"))
        outcome = "updated"
    if publisher:
        db.session.flush()
        lifecycle.publish(material, db.session.get(MaterialVersion, material.latest_version_id),
                          publisher)
    return outcome


def _same(head: MaterialVersion, fields: VersionFields, refs: list[AttachmentRef]) -> bool:
    try:
        normalised = validate(fields, head.material.kind)
    except DomainError:
        return False
    return VersionFields.of(head) == normalised and refs_of(head.attachments) == refs


def import_path(path: Path, importer: User, commit: Callable[[], None],
                rollback: Callable[[], None], publisher: User | None = None,
                progress: Callable[[str], None] = lambda _name: None,
                workers: int | None = None,
                prepare: Callable[[preparation.Job], preparation.Prepared] = preparation.prepare,
                ) -> ImportSummary:
    """Import every material under ``path``, committing after each one, so an interrupted
    import keeps what it finished and a re-run picks up the rest.

    ``workers`` processes (default ``IMPORT_WORKERS``; 1: none) render the lessons and
    derive their files' text a few materials ahead (``preparation.py``); the materials are
    still written here, one by one, in order.  The search is told once, at the end
    (``outbox.deferred``), and other sites' images are registered but not fetched
    (``remote_images.fetching_later``: the caller fetches them, or the maintenance job).
    """
    summary = ImportSummary()
    count = preparation.worker_count(
        current_app.config.get("IMPORT_WORKERS") if workers is None else workers)
    own_hosts = current_own_hosts()
    with outbox.deferred(), remote_images.fetching_later(), \
            preparation.Preparer[MaterialSource](count, prepare) as preparer:
        prepared_sources = preparer.run(discover(path),
                                        lambda source: _job(source, own_hosts))
        for source, prepared in prepared_sources:
            if isinstance(prepared, preparation.WorkerDied):
                summary.failed.append((source.name, _(
                    "Preparing this material stopped the process that did it (too large, "
                    "or a file that crashes the reader); it was not imported.")))
                progress(source.name)
                continue
            try:
                with _offering(prepared):
                    outcome = import_material(source, importer, publisher)
                    commit()
            except (DomainError, KeyError, ValueError, UnicodeDecodeError, OSError) as error:
                rollback()
                message = getattr(error, "message", None) or f"{type(error).__name__}: {error}"
                summary.failed.append((source.name, message))
            else:
                setattr(summary, outcome, getattr(summary, outcome) + 1)
            progress(source.name)
    return summary


@contextmanager
def _offering(prepared: preparation.Prepared | None) -> Iterator[None]:
    """Offer what a worker made ahead to the services writing the material."""
    if prepared is None:
        yield
        return
    renderings = [prepared.rendering] if prepared.rendering is not None else []
    with using_renderings(renderings), using_derivations(prepared.derived):
        yield


def _job(source: MaterialSource, own_hosts: frozenset[str]) -> preparation.Job | None:
    """The work a worker can do ahead for ``source``: its body, and those of its files whose
    text is not derived yet; nothing for a material imported before (a re-import mostly
    finds it unchanged, and a changed one is rendered here).  Never raises: whatever is
    wrong with the source is found and reported when the material itself is read."""
    try:
        meta = json.loads(source.read_bytes("meta.json").decode("utf-8"))
        external_id = str(meta.get("id") or "").strip()
        if not external_id or db.session.scalar(
                select(Material.id).where(Material.external_id == external_id)) is not None:
            return None
        body = normalise_body(source.read_bytes("material.md").decode("utf-8"))
        files: dict[str, preparation.FileJob] = {}
        for item in meta.get("attachments") or ():
            name = item.get("filename") or item["path"]
            if isinstance(source, FolderSource):
                file_path = source._path(item["path"])
                digest = hashlib.sha256(file_path.read_bytes()).hexdigest()
                file = preparation.FileJob(name, path=str(file_path))
            else:
                data = source.read_bytes(item["path"])
                digest = hashlib.sha256(data).hexdigest()
                file = preparation.FileJob(name, data=data)
            files.setdefault(digest, file)
        derived = set(db.session.scalars(select(StoredFile.sha256).where(
            StoredFile.sha256.in_(list(files)), StoredFile.derived_at.is_not(None)))
        ) if files else set()
    except Exception:
        return None
    return preparation.Job(source.name, body if body.strip() else None, own_hosts,
                           tuple(file for digest, file in files.items()
                                 if digest not in derived))


def export_material(material: Material, version: MaterialVersion, target: Path) -> Path:
    """Write ``version`` as a material folder under ``target``; returns the folder."""
    fields = VersionFields.of(version)
    external_id = material.external_id or f"oer-portal-{material.id}"
    folder = target / external_id
    (folder / "files").mkdir(parents=True, exist_ok=True)
    store = file_store()
    attachments = []
    used: set[str] = set()
    for attachment in version.attachments:
        name = attachment.filename
        if name in used:
            name = f"{attachment.position}-{name}"
        used.add(name)
        data = store.path(attachment.sha256).read_bytes()
        (folder / "files" / name).write_bytes(data)
        attachments.append({"filename": attachment.filename, "path": f"files/{name}",
                            "bytes": len(data), "sha256": attachment.sha256})
    authors = list(fields.authors) or [material.owner.display_name]
    meta: dict[str, Any] = {
        **dict(fields.extra),
        "id": external_id, "title": fields.title, "description": fields.description,
        "subject": fields.subjects[0] if fields.subjects else None,
        "subjects": list(fields.subjects),
        "level": fields.levels[0] if fields.levels else None, "levels": list(fields.levels),
        "language": fields.language, "keywords": list(fields.keywords),
        "licence": fields.licence, "authors": authors, "source_url": fields.source_url,
        "attribution": fields.attribution, "objectives": list(fields.objectives),
        "resource_type": fields.resource_type, "duration_minutes": fields.duration_minutes,
        "age_range": [fields.age_min, fields.age_max]
        if fields.age_min is not None or fields.age_max is not None else None,
        "attachments": attachments, "version": version.number,
    }
    (folder / "material.md").write_text(version.body, encoding="utf-8")
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n",
                                      encoding="utf-8")
    return folder
