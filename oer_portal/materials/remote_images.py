"""Other sites' images in lessons, fetched once by the portal and served from its file store.

A lesson may show an image of another site (``![kaart](https://atlas.example/nl.png)``).
Loaded from there, every reader's browser would tell that site who reads what, when (issue
16, privacy: no request to any third-party origin from any page).  So the renderer
(``core/markdown.py``) writes ``/media/remote/<key>`` instead, the key being the SHA-256 of
the address, with a link to the original; this module keeps the copies:

- **Registering** happens in the save's transaction, for every row written with rendered
  HTML (``before_flush``: a material version, an arrangement page, a re-rendered version),
  so no path that stores a lesson can forget it.  Only addresses a save registered are
  ever fetched: a reader's request never makes the portal fetch anything (no SSRF through
  visitors, and a preview costs nothing).
- **Fetching** runs after the commit (``on_commit``) and again from
  ``flask --app oer_portal media fetch-remote``: https only; the host must resolve to public
  addresses only, also after a redirect (the link check's rule, ``linkcheck.check_host``);
  at most ``REMOTE_IMAGE_MAX_BYTES``; and the bytes must pass the upload checks for images
  (Pillow, decompression bombs, polyglots: ``uploads.inspect_upload``).
- **Serving** (``media_views.py``) answers with the stored blob, or 404 while there is
  none (not fetched yet, or refused): the browser then shows the alt text, in the link.

The blobs live in the content-addressed store beside the uploads; ``blob_sha256`` is
registered with ``core.blob_references``, so the store's collector and backups keep them.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from flask import current_app, g, has_app_context
from sqlalchemy import CheckConstraint, Index, String, Text, event, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from oer_portal.core import blob_references, jobs, public_state
from oer_portal.core.errors import DomainError, InvalidUpload, StorageFull
from oer_portal.core.markdown import REMOTE_IMAGE_PATH, remote_image_key, remote_image_sources
from oer_portal.core.storage import file_store
from oer_portal.core.types import UTCDateTime, utcnow
from oer_portal.extensions import db
from oer_portal.materials import linkcheck
from oer_portal.materials.uploads import inspect_upload

log = logging.getLogger(__name__)

USER_AGENT = "OER-portal-images/1.0 (+https://example.org/oer-portal)"
#: The longest address registered; a longer one is never fetched (its image stays a link).
MAX_URL_LENGTH = 2000
PENDING, FETCHED, FAILED = "pending", "fetched", "failed"
#: New images a save fetches right after its commit (each may take a while); the rest stay
#: pending for ``flask media fetch-remote``.
FETCH_PER_SAVE = 10


class RemoteImage(db.Model):
    """One address of another site's image that a saved lesson shows, and its copy."""

    __tablename__ = "remote_images"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'fetched', 'failed')", name="known_status"),
        Index("ix_remote_images_status", "status"),
        Index("ix_remote_images_blob_sha256", "blob_sha256"),
    )

    #: SHA-256 of ``url`` (``core.markdown.remote_image_key``): the name in ``/media/remote/``.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    blob_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    media_type: Mapped[str | None] = mapped_column(String(100), default=None)
    size: Mapped[int | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    #: Why the last attempt failed (in English, for administrators and the command's output).
    error: Mapped[str | None] = mapped_column(String(500), default=None)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


# --- Registering -------------------------------------------------------------------------------


def register(urls: Iterable[str], session: Session | None = None) -> list[str]:
    """Register the addresses (new ones as pending; known ones stay as they are) and have
    the new ones fetched after the commit; returns their keys.  Safe when two saves
    register the same address at once (``ON CONFLICT DO NOTHING``).  Runs on the
    session's connection, without the ORM, so it may run while the session flushes."""
    wanted = {remote_image_key(url): url for url in urls if len(url) <= MAX_URL_LENGTH}
    if not wanted:
        return []
    connection = (session or db.session).connection()
    table = RemoteImage.__table__
    known = set(connection.scalars(select(table.c.key).where(table.c.key.in_(list(wanted)))))
    new = [key for key in wanted if key not in known]
    if not new:
        return []
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    connection.execute(insert(table).values([
        {"key": key, "url": wanted[key], "status": PENDING, "attempts": 0, "registered_at": now}
        for key in new]).on_conflict_do_nothing(index_elements=["key"]))
    if current_app.config.get("REMOTE_IMAGE_FETCH_ON_SAVE", True) \
            and not g.get("remote_fetch_later"):
        jobs.after_commit("media.fetch_remote", new[:FETCH_PER_SAVE])
    return new


@contextmanager
def fetching_later() -> Iterator[None]:
    """Within the block, saves register their new images as pending without fetching them
    after each commit (a bulk import: ``flask materials import`` fetches them once at the
    end; ``flask media fetch-remote`` and the maintenance job fetch whatever is pending)."""
    previous = g.get("remote_fetch_later", False)
    g.remote_fetch_later = True
    try:
        yield
    finally:
        g.remote_fetch_later = previous


@event.listens_for(Session, "before_flush")
def _register_rendered_images(session: Session, _context: Any, _instances: Any) -> None:
    """Every row about to be written with rendered HTML (``body`` and ``body_html``)
    registers the other sites' images of its ``body``: versions, arrangement pages, and
    versions re-rendered by a command all pass here, so no way of saving can forget it."""
    if not has_app_context():
        return
    urls: list[str] = []
    for row in (*session.new, *session.dirty):
        body, body_html = getattr(row, "body", None), getattr(row, "body_html", None)
        if (isinstance(body, str) and isinstance(body_html, str)
                and REMOTE_IMAGE_PATH in body_html):
            urls.extend(remote_image_sources(body))
    if urls:
        register(urls, session)


# --- Fetching ----------------------------------------------------------------------------------


class Refused(Exception):
    """The image is not fetched, or not kept; the message says why (in English)."""


@dataclass(frozen=True)
class Copy:
    sha256: str
    size: int
    media_type: str


@dataclass(frozen=True)
class FetchRules:
    """What a fetch may do; from the configuration (see ``config.py``)."""

    timeout: float = 10.0
    max_bytes: int = 5 * 1024 * 1024
    #: Hosts that may be fetched over plain http and on a private address: for tests only.
    local_hosts: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls) -> FetchRules:
        config = current_app.config
        hosts = config.get("REMOTE_IMAGE_ALLOW_LOCAL_HOSTS") or ()
        if isinstance(hosts, str):
            hosts = hosts.replace(",", " ").split()
        return cls(timeout=float(config.get("REMOTE_IMAGE_TIMEOUT", 10.0)),
                   max_bytes=int(config.get("REMOTE_IMAGE_MAX_BYTES", 5 * 1024 * 1024)),
                   local_hosts=frozenset(str(host).lower() for host in hosts))


def _check_address(url: str, rules: FetchRules) -> None:
    parts = urlsplit(url)
    local = (parts.hostname or "").lower() in rules.local_hosts
    if parts.scheme != "https" and not (local and parts.scheme == "http"):
        raise Refused("not an https address")
    try:
        linkcheck.check_host(url, allow_private=local)
    except linkcheck.AddressRefused as error:
        raise Refused(str(error)) from error


class _Redirects(linkcheck.CheckedRedirects):
    """Each redirect target passes the same rules as the first address."""

    def __init__(self, rules: FetchRules) -> None:
        super().__init__(allow_private=False)
        self.rules = rules

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        _check_address(newurl, self.rules)
        return urllib.request.HTTPRedirectHandler.redirect_request(
            self, req, fp, code, msg, headers, newurl)


class _Deadline:
    """A response body that stops being read after ``seconds`` in all: a server sending a
    byte now and then cannot hold the fetch forever (the socket timeout is per read)."""

    def __init__(self, body: BinaryIO, seconds: float) -> None:
        self.body, self.end = body, time.monotonic() + seconds

    def read(self, size: int = -1) -> bytes:
        if time.monotonic() > self.end:
            raise Refused("the server took too long")
        return self.body.read(size)


def fetch_image(url: str, rules: FetchRules) -> Copy:
    """Fetch ``url`` into the file store and prove it is an image; raises :class:`Refused`."""
    _check_address(url, rules)
    opener = urllib.request.build_opener(_Redirects(rules))
    request = urllib.request.Request(url, headers={  # noqa: S310 (scheme checked above)
        "User-Agent": USER_AGENT, "Accept": "image/png,image/jpeg,image/gif,image/webp"})
    store = file_store()
    try:
        with opener.open(request, timeout=rules.timeout) as response:
            if response.status != 200:
                raise Refused(f"HTTP {response.status}")
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > rules.max_bytes:
                raise Refused(f"larger than {rules.max_bytes} bytes")
            try:
                received = store.receive(_Deadline(response, rules.timeout * 3),  # type: ignore[arg-type]
                                         rules.max_bytes)
            except InvalidUpload as error:
                raise Refused(f"larger than {rules.max_bytes} bytes") from error
            except StorageFull as error:
                raise Refused("the portal's file store is full") from error
    except urllib.error.HTTPError as error:
        raise Refused(f"HTTP {error.code}") from error
    except linkcheck.AddressRefused as error:
        raise Refused(str(error)) from error
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise Refused(f"cannot connect ({reason})"[:200]) from error
    try:
        inspected = inspect_upload(received.path, "image")
        if inspected.category != "image":
            raise Refused(f"not an image ({inspected.media_type})")
    except DomainError as error:
        store.discard(received)
        raise Refused(f"not an image the portal shows ({error.message})"[:300]) from error
    except BaseException:
        store.discard(received)
        raise
    blob = store.keep(received)
    return Copy(blob.sha256, blob.size, inspected.media_type)


def fetch_one(row: RemoteImage, rules: FetchRules) -> bool:
    """Fetch ``row``'s copy and write the outcome to it (not committed); whether it is kept."""
    row.attempts += 1
    try:
        copy = fetch_image(row.url, rules)
    except Refused as error:
        row.status, row.error = FAILED, str(error)[:500]
        log.info("image %s not fetched: %s", row.url, error)
        return False
    row.status, row.error, row.fetched_at = FETCHED, None, utcnow()
    row.blob_sha256, row.size, row.media_type = copy.sha256, copy.size, copy.media_type
    return True


@jobs.job("media.fetch_remote")
def fetch_pending(keys: Sequence[str] | None = None, retry_failed: bool = False,
                  progress: Callable[[RemoteImage, bool], None] = lambda _row, _ok: None
                  ) -> tuple[int, int]:
    """Fetch the pending copies (only ``keys``, when given; failed ones too with
    ``retry_failed``), committing each outcome on its own; returns (kept, failed).
    Runs after a save's commit and from the command, never in a reader's request."""
    statuses = [PENDING, FAILED] if retry_failed else [PENDING]
    query = select(RemoteImage.key).where(RemoteImage.status.in_(statuses))
    if keys is not None:
        query = query.where(RemoteImage.key.in_(list(keys)))
    rules = FetchRules.from_config()
    kept = failed = 0
    for key in db.session.scalars(query.order_by(RemoteImage.registered_at,
                                                 RemoteImage.key)).all():
        row = db.session.get(RemoteImage, key)
        if row is None or row.status not in statuses:
            continue
        ok = fetch_one(row, rules)
        db.session.commit()
        kept, failed = kept + ok, failed + (not ok)
        progress(row, ok)
    return kept, failed


# --- Serving and collecting --------------------------------------------------------------------


def copy_of(key: str) -> RemoteImage | None:
    """The fetched copy registered under ``key``, or ``None`` (unknown, pending, failed)."""
    row = db.session.get(RemoteImage, key)
    if row is None or row.status != FETCHED or not row.blob_sha256:
        return None
    return row


# The file store's collector and backups keep the blobs this table names.
blob_references.register("remote_images", RemoteImage.blob_sha256)

public_state.never_shown(RemoteImage)  # a version's HTML names the copy, fetched or not
