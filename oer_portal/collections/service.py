"""Registering, harvesting and removing other collections (administrators and the command line).

A harvest reads everything the source sends first (``harvester.fetch``; no database lock is
held meanwhile), then writes the records in the caller's unit of work, so a collection's
harvest is one transaction: it lands whole or not at all.  A failure writes only the
collection's ``last_error`` and ``last_attempt_at``: the records of the last good harvest stay
as they were, and searchable.  Each changed record notes a ``record`` change in the search
outbox; the search drops deleted ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from oer_portal.accounts.models import User
from oer_portal.accounts.policy import Actor, require
from oer_portal.collections import harvester
from oer_portal.collections.models import (
    NAME_MAX,
    OUTBOX_ENTITY,
    PREFIXES,
    URL_MAX,
    Collection,
    HarvestedRecord,
)
from oer_portal.collections.policy import can_manage_collections
from oer_portal.core import audit, jobs
from oer_portal.core.db import read_only
from oer_portal.core.errors import FieldError, NotFound
from oer_portal.core.outbox import record_change
from oer_portal.core.types import utcnow
from oer_portal.extensions import db

SET_MAX = 200


class InvalidCollection(FieldError):
    """A value of a new collection that cannot be used; ``field`` names it for the form."""


@dataclass(frozen=True)
class CollectionRow:
    """A collection as the list and the admin page show it."""

    id: int
    name: str
    base_url: str
    prefix: str
    set_spec: str | None
    records: int
    last_success_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class HarvestOutcome:
    collection_id: int
    name: str
    added: int = 0
    updated: int = 0
    deleted: int = 0
    #: Why it failed; ``None`` when it succeeded (nothing new is a success too).
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _actor_id(actor: Actor) -> int | None:
    return actor.id if isinstance(actor, User) else None


def _valid_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise InvalidCollection("name", _("Give the collection a name."))
    if len(name) > NAME_MAX:
        raise InvalidCollection("name", _("The name can be at most %(n)d characters.", n=NAME_MAX))
    return name


def _valid_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > URL_MAX:
        raise InvalidCollection("base_url", _(
            "The OAI-PMH base URL must be a web address starting with http:// or https://."))
    if parts.query or parts.fragment:
        raise InvalidCollection("base_url", _(
            "Give the OAI-PMH base URL without ?verb=… or other parameters."))
    return url


def add_collection(actor: Actor, name: str, base_url: str, prefix: str = "oai_dc",
                   set_spec: str | None = None) -> Collection:
    """Register a collection to harvest; its records come with the first harvest."""
    require(can_manage_collections(actor))
    name, base_url = _valid_name(name), _valid_url(base_url)
    if prefix not in PREFIXES:
        raise InvalidCollection("prefix", _("The metadata format must be one of: %(formats)s.",
                                formats=", ".join(PREFIXES)))
    set_spec = (set_spec or "").strip() or None
    if set_spec is not None and (len(set_spec) > SET_MAX or any(c.isspace() for c in set_spec)):
        raise InvalidCollection("set_spec", _("A set is named by its setSpec, without spaces."))
    taken = db.session.scalar(select(Collection.id).where(
        func.lower(Collection.name) == name.lower()))
    if taken is not None:
        raise InvalidCollection("name", _("There is already a collection called “%(name)s”.",
                                          name=name))
    collection = Collection(name=name, base_url=base_url, metadata_prefix=prefix,
                            set_spec=set_spec)
    db.session.add(collection)
    db.session.flush()
    audit.record("collection.added", actor_id=_actor_id(actor),
                 target=("collection", collection.id),
                 details={"name": name, "base_url": base_url, "prefix": prefix,
                          "set": set_spec})
    return collection


def list_collections(actor: Actor) -> list[CollectionRow]:
    """Every collection with its number of (not deleted) records, by name."""
    require(can_manage_collections(actor))
    counts = dict(db.session.execute(
        select(HarvestedRecord.collection_id, func.count())
        .where(HarvestedRecord.deleted.is_(False))
        .group_by(HarvestedRecord.collection_id)).all())
    return [CollectionRow(c.id, c.name, c.base_url, c.metadata_prefix, c.set_spec,
                          counts.get(c.id, 0), c.last_success_at, c.last_attempt_at,
                          c.last_error)
            for c in db.session.scalars(select(Collection).order_by(Collection.name))]


def collection_by_name(actor: Actor, name: str) -> Collection:
    require(can_manage_collections(actor))
    collection = db.session.scalar(select(Collection).where(
        func.lower(Collection.name) == " ".join((name or "").split()).lower()))
    if collection is None:
        raise NotFound(_("There is no collection called “%(name)s”.", name=name))
    return collection


def _collection(collection_id: int) -> Collection:
    collection = db.session.get(Collection, collection_id)
    if collection is None:
        raise NotFound(_("That collection does not exist (any more)."))
    return collection


def remove_collection(actor: Actor, collection_id: int) -> str:
    """Remove a collection and its records (from the search too); returns its name."""
    require(can_manage_collections(actor))
    collection = _collection(collection_id)
    name = collection.name
    for record_id in db.session.scalars(select(HarvestedRecord.id).where(
            HarvestedRecord.collection_id == collection_id)):
        record_change(OUTBOX_ENTITY, record_id)
    db.session.delete(collection)
    audit.record("collection.removed", actor_id=_actor_id(actor),
                 target=("collection", collection_id), details={"name": name})
    return name


def collection_ids(actor: Actor, due_after: timedelta | None = None) -> list[int]:
    """Every collection, for "harvest them all", by name; with ``due_after``, only those
    not attempted for that long (the schedule survives restarts of the server)."""
    require(can_manage_collections(actor))
    statement = select(Collection.id).order_by(Collection.name)
    if due_after is not None:
        statement = statement.where(or_(Collection.last_attempt_at.is_(None),
                                        Collection.last_attempt_at <= utcnow() - due_after))
    return list(db.session.scalars(statement))


#: The job that harvests one collection (``collections/worker.py``).
HARVEST_JOB = "collections.harvest"


def harvest(actor: Actor, collection_id: int,
            progress: Callable[[int], None] = lambda _n: None) -> HarvestOutcome:
    """Harvest one collection incrementally (``from`` the source's own date of the last
    harvest that succeeded).  A failure is returned, not raised: it is recorded on the
    collection (``last_error``) and nothing else changes; the caller commits either way."""
    require(can_manage_collections(actor))
    with read_only():
        collection = _collection(collection_id)
        name, base_url, prefix = collection.name, collection.base_url, collection.metadata_prefix
        set_spec, since = collection.set_spec, collection.harvested_until
        # End the reading transaction: waiting for the source holds no database lock.
        db.session.rollback()
    started = utcnow()
    try:
        fetched = harvester.fetch(
            base_url, prefix, set_spec, since,
            harvester.Limits(float(current_app.config["HARVEST_TIMEOUT_SECONDS"]),
                             int(current_app.config["HARVEST_MAX_RESPONSE_BYTES"])),
            progress)
    except harvester.HarvestError as error:
        return _failed(actor, collection_id, name, started, str(error))
    outcome = _store(collection_id, name, fetched.items)
    collection = _collection(collection_id)
    if fetched.response_date:
        collection.harvested_until = fetched.response_date[:32]
    collection.last_success_at = collection.last_attempt_at = started
    collection.last_error = None
    audit.record("collection.harvested", actor_id=_actor_id(actor),
                 target=("collection", collection_id),
                 details={"name": name, "added": outcome.added, "updated": outcome.updated,
                          "deleted": outcome.deleted})
    return outcome


def _failed(actor: Actor, collection_id: int, name: str, started: datetime,
            error: str) -> HarvestOutcome:
    record_failure(collection_id, error, started)
    audit.record("collection.harvest_failed", actor_id=_actor_id(actor),
                 target=("collection", collection_id), details={"name": name, "error": error})
    return HarvestOutcome(collection_id, name, error=error)


def request_harvest(actor: Actor, collection_id: int) -> str:
    """"Harvest now" where a task queue runs the work: the harvest of this collection is
    queued for a worker once the request commits (a harvest may take minutes, longer than a
    request may); returns the collection's name.  The admin page shows the outcome."""
    require(can_manage_collections(actor))
    name = _collection(collection_id).name
    jobs.after_commit(HARVEST_JOB, collection_id)
    return name


def record_failure(collection_id: int, error: str, when: datetime | None = None) -> None:
    """Note on the collection why its harvest failed (the caller commits it on its own, after
    rolling back whatever the harvest had written)."""
    collection = _collection(collection_id)
    collection.last_attempt_at = when or utcnow()
    collection.last_error = error[:2000]


def _store(collection_id: int, name: str, items: list[harvester.Item]) -> HarvestOutcome:
    existing = {record.identifier: record for record in db.session.scalars(
        select(HarvestedRecord).where(HarvestedRecord.collection_id == collection_id))}
    latest = {item.identifier: item for item in items}  # a record sent twice: the last wins
    added = updated = deleted = 0
    changed: list[HarvestedRecord] = []
    now = utcnow()
    for identifier, item in latest.items():
        record = existing.get(identifier[:URL_MAX])
        if item.deleted or item.fields is None:
            if record is not None and not record.deleted:
                record.deleted, record.datestamp, record.harvested_at = True, item.datestamp, now
                changed.append(record)
                deleted += 1
            continue
        fields = item.fields
        values = {"title": fields.title, "description": fields.description, "url": fields.url,
                  "licence": fields.licence, "language": fields.language, "kind": fields.kind,
                  "subjects": list(fields.subjects), "levels": list(fields.levels),
                  "keywords": list(fields.keywords), "authors": list(fields.authors)}
        if record is None:
            record = HarvestedRecord(collection_id=collection_id, identifier=identifier[:URL_MAX])
            db.session.add(record)
            added += 1
        elif not record.deleted and all(getattr(record, column) == value
                                        for column, value in values.items()):
            continue  # sent again (the harvest asked from the second it last ended at)
        else:
            updated += 1
        for column, value in values.items():
            setattr(record, column, value)
        record.deleted, record.datestamp, record.harvested_at = False, item.datestamp, now
        changed.append(record)
    db.session.flush()
    for record in changed:
        record_change(OUTBOX_ENTITY, record.id)
    return HarvestOutcome(collection_id, name, added, updated, deleted)
