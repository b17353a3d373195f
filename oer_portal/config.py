"""Configuration: embedded defaults, then ``instance/config.py``, then ``OER_*`` variables.

The defaults need nothing installed: SQLite, the Whoosh index and the file store all live in
the instance folder.  Everything that names a path is derived from the instance path *after*
the overrides are read, so setting ``OER_INSTANCE_PATH`` alone moves all runtime data.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

#: Secret keys that are known, short or copied from examples are not secret.
_PLACEHOLDER_KEYS = {"", "dev", "change-me", "changeme", "secret", "test"}
MIN_SECRET_KEY_LENGTH = 32

ENVIRONMENTS = ("production", "development", "testing")

#: Hosts every development server and test client uses (the test client asks for
#: ``localhost``, the browser tests' live server listens on ``127.0.0.1``).
LOCAL_HOSTS = ("localhost", "127.0.0.1")
#: One trusted host: a name or address, optionally with a leading dot (its subdomains).
_HOST_NAME = re.compile(r"\.?[a-z0-9]([a-z0-9_-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9_-]*[a-z0-9])?)*\.?",
                        re.IGNORECASE)


class Defaults:
    """Built-in settings; safe for production except for the secret key, which has none."""

    ENV = "production"
    SECRET_KEY: str | None = None

    SQLALCHEMY_DATABASE_URI: str | None = None  # derived: instance/portal.db
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {}
    SQLITE_BUSY_TIMEOUT_SECONDS = 10.0
    INDEX_DIR: str | None = None  # derived: instance/index
    STORAGE_DIR: str | None = None  # derived: instance/files
    SHARED_DIR: str | None = None  # derived: ../shared beside the checkout, when present

    LANGUAGES = ("nl", "en")
    BABEL_DEFAULT_LOCALE = "nl"
    BABEL_DEFAULT_TIMEZONE = "Europe/Amsterdam"

    #: One attached file; a request may carry several (MAX_CONTENT_LENGTH caps the request).
    MAX_UPLOAD_BYTES = 50 * 1024 * 1024
    MAX_CONTENT_LENGTH = 210 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 2 * 1024 * 1024
    #: Common Cartridge import (``arrangements/cartridge_import.py``): what one ``.imscc``
    #: may hold and expand to before it is refused (``OER_CARTRIDGE_MAX_ENTRIES`` …).
    CARTRIDGE_MAX_ENTRIES = 2_000
    CARTRIDGE_MAX_EXPANDED_BYTES = 500 * 1024 * 1024
    CARTRIDGE_MAX_FILE_BYTES = 50 * 1024 * 1024
    #: Uncompressed ÷ compressed size above which the archive (or a member) is a ZIP bomb.
    CARTRIDGE_MAX_RATIO = 100.0

    SESSION_COOKIE_NAME = "oer_session"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(days=14)
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=30)

    WTF_CSRF_TIME_LIMIT = 8 * 3600

    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    #: Failed logins for an account from browsers that never logged in to it before it has
    #: to wait; each further failure doubles the wait, from ``LOGIN_DELAY_SECONDS`` up to
    #: ``LOGIN_DELAY_MAX_SECONDS`` (``accounts/login_throttle.py``).  The count is forgotten
    #: ``LOGIN_FAILURE_MEMORY_SECONDS`` after the first failure, or at a successful login.
    LOGIN_FREE_FAILURES = 5
    LOGIN_DELAY_SECONDS = 30
    LOGIN_DELAY_MAX_SECONDS = 15 * 60
    LOGIN_FAILURE_MEMORY_SECONDS = 24 * 3600
    #: A browser that logged in to the account before (it has a device cookie) gets its own
    #: counter: this many failures per ``LOGIN_DEVICE_WINDOW_SECONDS`` (``accounts/devices.py``).
    LOGIN_DEVICE_FAILURES = 20
    LOGIN_DEVICE_WINDOW_SECONDS = 15 * 60
    DEVICE_COOKIE_NAME = "oer_device"
    DEVICE_COOKIE_DURATION = timedelta(days=365)
    #: Sessions (``accounts/sessions.py``): one without "stay logged in" ends after this long
    #: without a request, a remembered one after ``REMEMBER_COOKIE_DURATION``; "last seen" is
    #: written at most once per ``SESSION_TOUCH_INTERVAL``, not on every page.
    SESSION_IDLE_TIMEOUT = timedelta(days=1)
    SESSION_TOUCH_INTERVAL = timedelta(minutes=5)
    #: Password reset (``accounts/reset.py``): how long a link works (seconds), requests per
    #: client address (429 beyond), and mails per typed address (silently none beyond).
    PASSWORD_RESET_MAX_AGE = 3600
    RESET_LIMIT_PER_ADDRESS = "10 per hour"
    RESET_LIMIT_PER_ACCOUNT = "3 per hour"
    #: All login attempts allowed per client address.
    LOGIN_LIMIT_PER_ADDRESS = "60 per 15 minutes"
    REGISTER_LIMIT_PER_ADDRESS = "20 per hour"
    #: Registrations per e-mail address typed (each one mails that address).
    REGISTER_LIMIT_PER_EMAIL = "5 per hour"
    #: "Send the confirmation link again": per client address, and per e-mail address typed
    #: (counted alike for every address, so the limit tells nothing about accounts).
    CONFIRMATION_RESEND_LIMIT_PER_ADDRESS = "10 per hour"
    CONFIRMATION_RESEND_LIMIT_PER_EMAIL = "3 per hour"
    #: How long a mailed address-confirmation link works (hours).
    EMAIL_CONFIRMATION_HOURS = 48
    #: Self-registered accounts whose address is still unconfirmed after this many days are
    #: removed by ``flask users purge-unconfirmed``.
    UNCONFIRMED_ACCOUNT_DAYS = 7
    #: Live previews while typing (one every 400 ms at most from the editor).
    PREVIEW_LIMIT = "120 per minute"
    #: Reports a user may send (per account): enough for a real problem, not for a flood.
    REPORT_LIMIT = "10 per hour"
    #: JSON API v1: requests per token (per client address without one), and writes.
    API_RATE_LIMIT = "600 per minute"
    API_WRITE_RATE_LIMIT = "60 per minute"

    #: JSON API v1: the OpenAPI document flask-smorest generates (``/api/v1/openapi.json``).
    API_TITLE = "OER portal API"
    API_VERSION = "1"
    OPENAPI_VERSION = "3.1.0"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    #: argon2-cffi ``PasswordHasher`` parameters; empty means the library's argon2id defaults.
    PASSWORD_HASHER: dict[str, int] = {}
    MIN_PASSWORD_LENGTH = 10

    HSTS_SECONDS = 365 * 24 * 3600

    #: How long a request's after-commit drain waits for the index writer lock (seconds).
    SEARCH_LOCK_TIMEOUT = 0.05
    #: A background thread drains the outbox (the embedded, single-process server only;
    #: several processes run ``flask search worker`` instead).
    SEARCH_BACKGROUND_DRAIN = False
    SEARCH_DRAIN_INTERVAL = 1.0
    #: How long a drain waits for an outbox id that is missing while later ones are there
    #: (its transaction may still commit; ``search/indexer.safe_position``) before taking
    #: it for a rollback.  Longer than any transaction that changes a material.
    SEARCH_OUTBOX_GAP_SECONDS = 120.0
    #: Index replicas (``flask search follow``, ``search/followers.py``): a follower whose
    #: last heartbeat is older than this is dropped and no longer holds back the pruning of
    #: the outbox; when it returns after rows it needed were pruned, it rebuilds its index.
    #: Longer than a full ``search reindex`` takes (a follower sends no heartbeat meanwhile).
    SEARCH_FOLLOWER_TIMEOUT_SECONDS = 600
    #: Seconds between scheduled harvests of the other collections (``collections``) by a
    #: background thread of the embedded server (started with the background drain); 0: never.
    #: Where several processes serve, cron runs ``flask collections harvest`` instead.
    HARVEST_INTERVAL_SECONDS = 6 * 3600
    #: ``flask storage gc`` keeps unreferenced stored files (and their rows) younger than
    #: this: longer than any upload takes to commit, and than ``HELD_UPLOAD_MAX_AGE`` (6 h),
    #: the time a form that came back may still attach the files it held.
    STORAGE_GC_GRACE_SECONDS = 24 * 3600
    #: Seconds between runs of the file store's upkeep (``files derive-missing``, then
    #: ``storage gc``) by a background thread of the embedded server (started with the
    #: background drain); 0: never.  Where several processes serve, cron runs both commands.
    STORAGE_MAINTENANCE_INTERVAL_SECONDS = 3600
    #: The task queue (``oer_portal/tasks``): a Celery broker (``redis://127.0.0.1:6379/0``,
    #: as ``OER_TASK_BROKER_URL``).  None (the default): every job runs in this process,
    #: after its commit and in the embedded server's threads; with a broker, Celery workers
    #: run them and Celery beat the scheduled ones, on the intervals above.
    TASK_BROKER_URL: str | None = None
    #: The broker's queue the portal's jobs go to (and its workers read).
    TASK_QUEUE = "oer-portal"
    #: A failing job is retried this often, waiting 1, 2, 4 ... seconds (with jitter, at
    #: most ``TASK_RETRY_BACKOFF_MAX``), and then recorded for ``/admin/tasks``.
    TASK_MAX_RETRIES = 5
    TASK_RETRY_BACKOFF_MAX = 600
    #: With a task queue only: seconds between Celery beat's link checks (``flask materials
    #: check-links``; 0: never, cron runs the command) and catch-up drains of the search
    #: outbox (a drain follows every commit anyway; the embedded server's thread drains
    #: every ``SEARCH_DRAIN_INTERVAL``, far too often for a queue).
    LINK_CHECK_INTERVAL_SECONDS = 24 * 3600
    TASK_DRAIN_INTERVAL_SECONDS = 60
    #: Further Celery settings (``{"worker_concurrency": 4}``), applied last.
    CELERY: dict[str, Any] = {}
    #: How long a harvest waits for each answer of a collection's OAI-PMH server.
    HARVEST_TIMEOUT_SECONDS = 60.0
    #: The largest answer (after decompression) a harvest reads from a collection's server;
    #: a longer one fails the harvest instead of filling the memory.
    HARVEST_MAX_RESPONSE_BYTES = 50 * 1024 * 1024

    #: The portal's public address (``https://oer.example.nl``, with a path if it is served
    #: under one).  Links in e-mails are built on it, never on the Host header of the request
    #: that caused them (anyone can send any Host), and commands without a request need it.
    #: Required in production when mail is sent over SMTP.
    PORTAL_URL: str | None = None

    #: The host names the portal answers on (Flask's ``TRUSTED_HOSTS``): a request whose
    #: Host header names any other gets 400, so no page, feed or e-mail can be made to link
    #: to a host an attacker chose.  ``OER_TRUSTED_HOSTS=oer.example.nl,www.oer.example.nl``
    #: (or a JSON list); a leading dot (``.example.nl``) allows every subdomain.  The host of
    #: ``PORTAL_URL`` is always added; development and tests add ``localhost`` and
    #: ``127.0.0.1``.  Production refuses to start when the list would be empty.
    TRUSTED_HOSTS: list[str] | str | None = None

    #: Other sites' images in lessons are fetched once by the portal and served from its
    #: copy (``materials/remote_images.py``): how long one fetch may wait for the other
    #: site (seconds per read; three times that in all), the largest image kept, and whether
    #: a save fetches its new images right after its commit (else only
    #: ``flask media fetch-remote`` does, from cron or the worker).
    REMOTE_IMAGE_TIMEOUT = 10.0
    REMOTE_IMAGE_MAX_BYTES = 5 * 1024 * 1024
    REMOTE_IMAGE_FETCH_ON_SAVE = True
    #: For tests only, empty by default and refused in production: hosts whose images may
    #: be fetched over plain http and on a private or loopback address.
    REMOTE_IMAGE_ALLOW_LOCAL_HOSTS: tuple[str, ...] | list[str] | str = ()

    #: Processes that render the lessons' Markdown and extract the text of their files while
    #: ``flask materials import`` writes the materials (``materials/preparation.py``): ``None``
    #: is one per CPU, 1 does everything in the importing process itself
    #: (``OER_IMPORT_WORKERS=1``).
    IMPORT_WORKERS: int | None = None

    #: E-mail (Flask-Mailman).  Without ``MAIL_SERVER`` messages are written to the log
    #: instead of sent (``oer_portal.notifications.mail``).
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "OER-portaal <noreply@localhost>"
    #: Seconds to wait for the SMTP server: sending happens after the commit but within the
    #: request that caused it, so a server that hangs must not hold the response for long.
    MAIL_TIMEOUT = 10

    #: How long a moderator's claim on a review request ("ik pak deze op") holds before
    #: another moderator may take it over (minutes; 0: a claim never blocks anyone).
    MODERATION_CLAIM_MINUTES = 60

    #: Seconds between writes of the in-memory view and download counts (``usage``): a crash
    #: loses at most this long of one process's counts (a timer writes them this long after
    #: the first unwritten one, also when no further request comes).
    USAGE_FLUSH_SECONDS = 10.0
    #: Pages kept per process for visitors who are not signed in (a material, a version, an
    #: arrangement's part), each until the next commit that changes what the public sees
    #: (``core.page_cache``); 0 turns the cache off.
    PUBLIC_PAGE_CACHE_SIZE = 256
    #: Origins that may show a material's embed view (``/materials/<id>/embed``) in a frame:
    #: ``("*",)`` any site, or a list such as ``["https://lms.example.nl"]`` (as
    #: ``OER_EMBED_FRAME_ANCESTORS``: JSON, or origins separated by spaces).  Every other page
    #: stays unframable.
    EMBED_FRAME_ANCESTORS: tuple[str, ...] | list[str] | str = ("*",)
    #: URLs per page of ``/sitemap.xml`` (the sitemaps protocol allows at most 50,000).
    SITEMAP_PAGE_SIZE = 50_000
    #: Entries in each Atom feed of newly published materials.
    FEED_SIZE = 50

    #: Write the counts not yet written when the process exits, and by a timer thread (a
    #: benchmark whose database is gone by then turns both off; tests never start them).
    USAGE_WRITE_AT_EXIT = True

    #: OAI-PMH 2.0 at ``/oai`` (``oer_portal.oai``): records (or headers) per page of a
    #: list; the rest follows with a resumption token.  A page streams in batches
    #: (``oai.service.BATCH``), so its size costs no memory; each page costs a request, a
    #: token and statements, so fewer, larger pages harvest faster (``bench/oai_bench.py``:
    #: pages of 100 served light ``oai_dc`` records at 0.34 to 0.49 of the bare loop's rate
    #: over HTTP, pages of 250 at 0.6).
    OAI_PAGE_SIZE = 250
    #: ``repositoryName`` in ``Identify``.
    OAI_REPOSITORY_NAME = "OER-portaal"
    #: The middle part of every record's identifier (``oai:<this>:material/<id>``): a domain
    #: name that stays the same for the portal's lifetime.  Empty: the host of
    #: ``PORTAL_URL``, else ``SERVER_NAME``, else ``oer-portal.local``.
    OAI_REPOSITORY_IDENTIFIER: str | None = None
    #: ``adminEmail`` in ``Identify``; empty: ``admin@<repository identifier>``.
    OAI_ADMIN_EMAIL: str | None = None
    #: Seconds a resumption token stays valid (its ``expirationDate``).
    OAI_TOKEN_LIFETIME = 24 * 3600

    #: ``/healthz`` (``oer_portal.ops``) fails when this machine's search index is more
    #: than this many outbox entries behind the database.
    HEALTH_MAX_INDEX_LAG = 1_000
    #: ``/metrics`` answers a request that carries ``Authorization: Bearer <this token>``,
    #: or one from these networks (``OER_METRICS_ALLOWED_NETWORKS=10.0.0.0/8,::1``; behind
    #: a proxy the client's address comes from ``PROXY_FIX_X_FOR``); anyone else gets 403.
    METRICS_TOKEN: str | None = None
    METRICS_ALLOWED_NETWORKS: tuple[str, ...] | list[str] | str = ("127.0.0.1/32", "::1/128")


def load_config(app: Flask, overrides: dict[str, Any] | None) -> None:
    """Fill ``app.config`` in order: defaults, instance file, ``OER_*`` env, ``overrides``."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("OER")
    if overrides:
        app.config.from_mapping(overrides)
    if app.config.get("TESTING"):
        app.config["ENV"] = "testing"
    _derive_paths(app)
    _check(app)


def _derive_paths(app: Flask) -> None:
    instance = Path(app.instance_path)
    config = app.config
    if not config["SQLALCHEMY_DATABASE_URI"]:
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'portal.db'}"
    config["INDEX_DIR"] = config["INDEX_DIR"] or str(instance / "index")
    config["STORAGE_DIR"] = config["STORAGE_DIR"] or str(instance / "files")
    if not config["SHARED_DIR"]:
        beside = Path(app.root_path).parent.parent / "shared"
        config["SHARED_DIR"] = str(beside) if beside.is_dir() else None


def _check(app: Flask) -> None:
    config = app.config
    env = config["ENV"]
    if env not in ENVIRONMENTS:
        raise RuntimeError(f"OER_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}.")
    _check_portal_url(config)
    _derive_trusted_hosts(config)
    if env != "production":
        # Plain http on 127.0.0.1 must keep working for `make run` and the browser tests.
        config["SESSION_COOKIE_SECURE"] = config["REMEMBER_COOKIE_SECURE"] = False
        if not config["SECRET_KEY"]:
            config["SECRET_KEY"] = os.urandom(32).hex()
        return
    key = config["SECRET_KEY"] or ""
    if key.strip().lower() in _PLACEHOLDER_KEYS or len(key) < MIN_SECRET_KEY_LENGTH:
        raise RuntimeError(
            "No real secret key is configured, so the portal refuses to start in production.\n"
            "Set one with at least 32 random characters, for example:\n"
            "  export OER_SECRET_KEY=\"$(python3 -c "
            "'import secrets; print(secrets.token_hex(32))')\"\n"
            f"or put SECRET_KEY = \"...\" in {Path(app.instance_path) / 'config.py'}.\n"
            "For local development set OER_ENV=development instead (`make run` does)."
        )
    if config.get("REMOTE_IMAGE_ALLOW_LOCAL_HOSTS"):
        raise RuntimeError("OER_REMOTE_IMAGE_ALLOW_LOCAL_HOSTS is for tests only: in "
                           "production the portal fetches images over https from public "
                           "addresses only.")
    if not config["TRUSTED_HOSTS"]:
        raise RuntimeError(
            "The portal does not know its own host name, so it refuses to start in "
            "production: without it, any Host header a client sends would end up in links.\n"
            "Set its public address (its host is then the one trusted), for example:\n"
            "  export OER_PORTAL_URL=https://oer.example.nl\n"
            "or name the hosts it answers on: export OER_TRUSTED_HOSTS=oer.example.nl")


def _derive_trusted_hosts(config: Any) -> None:
    """``TRUSTED_HOSTS`` as a list: the configured names (a comma- or space-separated string
    from ``OER_TRUSTED_HOSTS``, or a list), the hosts of ``PORTAL_URL`` and ``SERVER_NAME``,
    and outside production the local hosts.  Empty in production means the check refuses."""
    configured = config.get("TRUSTED_HOSTS") or []
    if isinstance(configured, str):
        configured = configured.replace(",", " ").split()
    hosts: list[str] = []
    for host in configured:
        host = str(host).strip().lower()
        if not _HOST_NAME.fullmatch(host):
            raise RuntimeError(f"OER_TRUSTED_HOSTS holds host names such as oer.example.nl "
                               f"(without scheme, port or path), not {host!r}.")
        hosts.append(host)
    if config.get("PORTAL_URL"):
        hosts.append((urlsplit(config["PORTAL_URL"]).hostname or "").lower())
    if config.get("SERVER_NAME"):
        hosts.append((urlsplit(f"//{config['SERVER_NAME']}").hostname or "").lower())
    if config["ENV"] != "production":
        hosts.extend(LOCAL_HOSTS)
    config["TRUSTED_HOSTS"] = list(dict.fromkeys(host for host in hosts if host))


def _check_portal_url(config: Any) -> None:
    """E-mails sent in production link to ``PORTAL_URL``: without it their links would come
    from the Host header of whoever caused the e-mail, which they choose."""
    url = config.get("PORTAL_URL")
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise RuntimeError(f"OER_PORTAL_URL must be an address like "
                               f"https://oer.example.nl, not {url!r}.")
        config["PORTAL_URL"] = url.rstrip("/")
    elif config["ENV"] == "production" and config.get("MAIL_SERVER"):
        raise RuntimeError(
            "E-mail is configured (OER_MAIL_SERVER) but the portal's public address is not, "
            "so e-mails could not link to it safely.\n"
            "Set it, for example: export OER_PORTAL_URL=https://oer.example.nl")
