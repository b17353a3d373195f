"""The production topology end to end: a real Celery worker process
(``celery -A oer_portal.tasks.worker worker``) on the real Redis at 127.0.0.1:6379, sharing
the test's database (the SQLite file, or PostgreSQL when ``OER_SQLALCHEMY_DATABASE_URI``
names one), file store and index.  A PDF is uploaded and published while no worker runs:
nothing is derived or indexed in the web process, the jobs wait in the queue.  Then the
worker starts, extracts the PDF's text and indexes it, and the search finds a word that is
only in the PDF.  Celery beat, started the same way, queues the scheduled jobs.  Each run has
a queue of its own, so parallel runs do not collide."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from oer_portal import create_app
from oer_portal.accounts.models import User
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import lifecycle
from oer_portal.materials.models import Material, MaterialVersion, StoredFile
from oer_portal.tasks import service
from tests import conftest
from tests.conftest import PASSWORD, Client, fresh_database_uri, make_config
from tests.fixtures.samples import pdf_bytes

ROOT = Path(__file__).resolve().parents[2]
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
WORD = "sublimatiewarmte"
PDF = pdf_bytes(f"De {WORD} van ijs\nOpdracht 2: weeg het blok")
#: The longest the worker may take to start and do the work (a safety net, not a measure).
DEADLINE_SECONDS = 180


def _redis_or_skip() -> None:
    import redis

    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis is not reachable at {REDIS_HOST}:{REDIS_PORT} ({error}); "
                    ".ci/run starts it")
    finally:
        client.close()


@pytest.fixture()
def queue_name() -> Iterator[str]:
    _redis_or_skip()
    import redis

    name = f"oer-test-{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT)
    client.delete(name)
    client.close()


@pytest.fixture()
def broker_app(test_database: conftest.TestDatabase, tmp_path: Path, queue_name: str,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.setenv("OER_INSTANCE_PATH", str(tmp_path / "instance"))
    config = make_config(tmp_path, fresh_database_uri(test_database, tmp_path),
                         TASK_BROKER_URL=f"redis://{REDIS_HOST}:{REDIS_PORT}/0",
                         TASK_QUEUE=queue_name)
    application = create_app(config)
    yield application
    conftest.release_app(application, test_database)


def _worker_env(app: Flask, tmp_path: Path) -> dict[str, str]:
    """The worker is configured as a deployment's would be: ``OER_*`` variables only."""
    config = app.config
    env = {key: value for key, value in os.environ.items() if not key.startswith("OER_")}
    env.update({
        "OER_INSTANCE_PATH": str(tmp_path / "worker-instance"),
        "OER_TESTING": "true",
        "OER_SECRET_KEY": config["SECRET_KEY"],
        "OER_SQLALCHEMY_DATABASE_URI": config["SQLALCHEMY_DATABASE_URI"],
        "OER_INDEX_DIR": config["INDEX_DIR"],
        "OER_STORAGE_DIR": config["STORAGE_DIR"],
        "OER_TASK_BROKER_URL": config["TASK_BROKER_URL"],
        "OER_TASK_QUEUE": config["TASK_QUEUE"],
        "OER_HARVEST_INTERVAL_SECONDS": "0",
        "PYTHONPATH": str(ROOT),
    })
    return env


def _start_worker(app: Flask, tmp_path: Path, log: Path) -> subprocess.Popen[bytes]:
    celery = Path(sys.executable).with_name("celery")
    command = [str(celery) if celery.exists() else sys.executable, *(
        [] if celery.exists() else ["-m", "celery"]),
        "-A", "oer_portal.tasks.worker", "worker", "--pool=solo", "--loglevel=INFO",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
        "-n", f"{app.config['TASK_QUEUE']}@%h"]
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=_worker_env(app, tmp_path),
                                stdout=out, stderr=subprocess.STDOUT)


def _stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=30)


def _user(app: Flask, role: str) -> int | str:
    from oer_portal.accounts import service as accounts
    from oer_portal.accounts.models import Role

    with app.app_context():
        user = accounts.create_user(f"{role}@example.org", role.title(), PASSWORD, [Role(role)])
        current_uow().commit()
        return user.id if role == "moderator" else user.email


def _search_total(client: Client, q: str) -> int:
    return client.raw.get("/api/v1/search", query_string={"q": q}).get_json()["total"]


def _stored_text(app: Flask) -> str | None:
    with app.app_context():
        text = db.session.scalars(select(StoredFile.text)).one()
        db.session.rollback()
        return text


def test_a_real_worker_extracts_and_indexes_the_text_of_a_published_pdf(
        broker_app, queue_name, tmp_path):
    app = broker_app
    teacher, moderator = _user(app, "teacher"), _user(app, "moderator")
    client = Client(app.test_client())
    assert client.login(teacher).status_code == 302
    response = client.post("/materials/new/file", {
        "title": "Werkblad ijs", "body": "", "language": "nl", "licence": "CC-BY-4.0",
        "save": "1", "files": [(io.BytesIO(PDF), "ijsblok.pdf")]},
        content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        material = db.session.scalars(select(Material)).one()
        lifecycle.publish(material, db.session.get(MaterialVersion, material.latest_version_id),
                          db.session.get(User, moderator))
        current_uow().commit()

    # No worker yet: the web process neither derived nor indexed; the jobs wait in Redis.
    assert _stored_text(app) is None
    assert _search_total(client, "ijs") == 0
    with app.app_context():
        stats = service.queue_stats()
    assert stats["broker"] is True and stats["queue"] == queue_name
    assert stats["queued"] >= 2  # the derivation and the drain after the publication

    log = tmp_path / "worker.log"
    worker = _start_worker(app, tmp_path, log)
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while _search_total(client, WORD) == 0:
            assert worker.poll() is None, f"the worker exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"nothing indexed:\n{log.read_text()}"
            time.sleep(0.5)
    finally:
        _stop(worker)
    assert WORD in (_stored_text(app) or "")  # the worker extracted the PDF's text
    assert _search_total(client, "Werkblad") == 1
    output = log.read_text()
    assert "materials.derive" in output and "search.drain" in output
    with app.app_context():
        assert service.queue_stats()["failures"] == 0


def test_celery_beat_queues_the_scheduled_jobs(broker_app, queue_name, tmp_path):
    """``celery -A oer_portal.tasks.worker beat`` sends the catch-up drain on its interval
    into the portal's queue (no worker runs: it stays there to be counted)."""
    import redis

    env = _worker_env(broker_app, tmp_path)
    env["OER_TASK_DRAIN_INTERVAL_SECONDS"] = "1"
    log = tmp_path / "beat.log"
    with log.open("wb") as out:
        beat = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "oer_portal.tasks.worker", "beat",
             "--loglevel=INFO", "--schedule", str(tmp_path / "beat-schedule")],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT)
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while client.llen(queue_name) == 0:
            assert beat.poll() is None, f"beat exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"nothing queued:\n{log.read_text()}"
            time.sleep(0.5)
    finally:
        _stop(beat)
        client.close()
    assert "Sending due task search.drain" in log.read_text()
    with broker_app.app_context():
        assert service.queue_stats()["queued"] >= 1
