"""The task queue (``oer_portal/tasks``, ``core/jobs``): in process by default, exactly as
before; with a broker, jobs are Celery tasks retried with exponential back-off, and those that
fail for good are recorded and shown to administrators at ``/admin/tasks`` to retry or
dismiss.  Celery's eager mode runs the tasks (and their retries) in the test's process; the
real worker on Redis is ``test_tasks_worker.py``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from oer_portal import create_app
from oer_portal.core import audit, jobs
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.tasks import service
from oer_portal.tasks.models import TaskFailure
from tests import conftest
from tests.conftest import PASSWORD, Client, fresh_database_uri, make_config

#: What the test jobs did, in order (they run in this process: eager mode, or in process).
CALLS: list[tuple[str, Any]] = []
#: How many more times ``tests.flaky`` fails before it succeeds.
FLAKY: dict[str, int] = {"failures_left": 0}


@jobs.job("tests.record")
def record_job(value: Any) -> None:
    CALLS.append(("tests.record", value))


@jobs.job("tests.flaky")
def flaky_job(value: int) -> int:
    CALLS.append(("tests.flaky", value))
    if FLAKY["failures_left"] > 0:
        FLAKY["failures_left"] -= 1
        raise ConnectionError("the other side is down")
    return value


@jobs.job("tests.broken")
def broken_job(material_id: int) -> None:
    CALLS.append(("tests.broken", material_id))
    raise ValueError(f"material {material_id} is broken")


@jobs.job("tests.secret", sensitive=True)
def secret_job(_letter: dict[str, str]) -> None:
    raise ConnectionError("mail server down")


@pytest.fixture(autouse=True)
def _fresh_calls() -> None:
    CALLS.clear()
    FLAKY["failures_left"] = 0


EAGER = {"TASK_BROKER_URL": "memory://", "TASK_MAX_RETRIES": 3,
         "CELERY": {"task_always_eager": True, "task_eager_propagates": False}}


@pytest.fixture()
def eager_app_with(test_database: conftest.TestDatabase, tmp_path: Path,
                   monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Make the app whose jobs go to Celery, run eagerly (in this process, retries too)."""
    made: list[Flask] = []

    def make(**extra: Any) -> Flask:
        monkeypatch.setenv("OER_INSTANCE_PATH", str(tmp_path / "instance"))
        made.append(create_app(make_config(
            tmp_path, fresh_database_uri(test_database, tmp_path), **EAGER, **extra)))
        return made[-1]

    yield make
    for application in made:
        conftest.release_app(application, test_database)


@pytest.fixture()
def eager_app(eager_app_with: Any) -> Flask:
    return eager_app_with()


@pytest.fixture()
def make_user_on() -> Any:
    """A signed-in client of a user with ``roles`` on ``app`` (not the ``app`` fixture)."""
    from oer_portal.accounts import service as accounts
    from oer_portal.accounts.models import Role

    def make(app: Flask, *roles: str) -> Client:
        with app.app_context():
            user = accounts.create_user(f"{'-'.join(roles)}@example.org", "Someone",
                                        PASSWORD, [Role(r) for r in roles])
            current_uow().commit()
            email = user.email
        client = Client(app.test_client())
        assert client.login(email).status_code == 302
        return client

    return make


def _failures(app: Flask) -> list[TaskFailure]:
    with app.app_context():
        rows = list(db.session.scalars(select(TaskFailure).order_by(TaskFailure.id)))
        db.session.expunge_all()
        return rows


# --- in process (no broker): as before ---------------------------------------------------


def test_without_a_broker_jobs_run_in_process_after_the_commit_and_never_on_rollback(app):
    assert not jobs.queued(app) and "celery" not in app.extensions
    with app.app_context():
        jobs.after_commit("tests.record", 1)
        jobs.after_commit("tests.record", 1)  # the same job twice in one commit: once
        jobs.after_commit("tests.record", [2, 3])
        assert CALLS == []  # nothing inside the transaction
        current_uow().commit()
        assert CALLS == [("tests.record", 1), ("tests.record", (2, 3))]
        jobs.after_commit("tests.record", 4)
        current_uow().rollback()
        current_uow().commit()
    assert ("tests.record", 4) not in CALLS


def test_without_a_broker_a_failing_job_is_logged_not_recorded(app, caplog):
    with app.app_context():
        jobs.after_commit("tests.broken", 7)
        current_uow().commit()  # never raises into the request
    assert CALLS == [("tests.broken", 7)]
    assert "after-commit operation" in caplog.text
    assert _failures(app) == []


# --- with a broker: Celery tasks, retries, failures ----------------------------------------


def test_every_job_is_a_celery_task_retried_with_exponential_back_off(eager_app):
    celery = eager_app.extensions["celery"]
    for name in ("materials.derive", "search.drain", "notifications.email", "mail.send",
                 "media.fetch_remote", "collections.harvest_due", "materials.check_links",
                 "maintenance.derive_missing", "maintenance.storage_gc",
                 "maintenance.prune_sessions", "maintenance.purge_unconfirmed"):
        task = celery.tasks[name]
        assert task.autoretry_for == (Exception,)
        assert task.retry_backoff is True and task.retry_jitter is True
        assert task.max_retries == 3
    assert celery.conf.task_default_queue == "oer-portal"
    assert celery.conf.task_acks_late is True


def test_a_job_is_sent_after_the_commit_and_retried_until_it_succeeds(eager_app):
    FLAKY["failures_left"] = 2
    with eager_app.app_context():
        jobs.after_commit("tests.flaky", 5)
        assert CALLS == []
        current_uow().commit()
    assert CALLS == [("tests.flaky", 5)] * 3  # two failures, then success
    assert _failures(eager_app) == []


def test_a_job_that_fails_for_good_is_recorded_once_with_its_attempts(eager_app):
    with eager_app.app_context():
        jobs.after_commit("tests.broken", 12)
        current_uow().commit()
    assert CALLS == [("tests.broken", 12)] * 4  # the first run and three retries
    [failure] = _failures(eager_app)
    assert failure.name == "tests.broken" and failure.args == [12]
    assert failure.error == "ValueError: material 12 is broken"
    assert failure.attempts == 4 and failure.task_id


def test_the_arguments_of_a_sensitive_job_are_not_kept(eager_app):
    with eager_app.app_context():
        jobs.dispatch("tests.secret", {"body": "https://portal/reset/TOKEN"})
    [failure] = _failures(eager_app)
    assert failure.args is None and "TOKEN" not in failure.error
    with eager_app.app_context():
        assert not service.can_retry(failure)


def test_the_beat_schedule_follows_the_interval_settings(test_database, tmp_path, monkeypatch):
    from oer_portal.tasks.celery_app import beat_schedule

    monkeypatch.setenv("OER_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(make_config(tmp_path, fresh_database_uri(test_database, tmp_path),
                                 **EAGER, STORAGE_MAINTENANCE_INTERVAL_SECONDS=900,
                                 HARVEST_INTERVAL_SECONDS=7200, LINK_CHECK_INTERVAL_SECONDS=0,
                                 TASK_DRAIN_INTERVAL_SECONDS=30))
    schedule = beat_schedule(app)
    seconds = {entry["task"]: entry["schedule"].total_seconds() for entry in schedule.values()}
    assert seconds == {"maintenance.derive_missing": 900, "media.fetch_remote": 900,
                       "maintenance.storage_gc": 900, "maintenance.prune_sessions": 900,
                       "maintenance.purge_unconfirmed": 900,
                       "collections.harvest_due": 300,  # looked at every 5 minutes
                       "search.drain": 30}  # no link check: 0 is never
    assert app.extensions["celery"].conf.beat_schedule.keys() == schedule.keys()
    with app.app_context():
        db.engine.dispose()


def test_queue_stats_without_a_broker(app):
    with app.app_context():
        service.record_failure("tests.broken", [1], ValueError("x"), 6, "task-1")
        service.record_failure("tests.broken", [1], ValueError("x"), 6, "task-1")  # again
        assert service.queue_stats() == {"broker": False, "queue": "oer-portal",
                                         "queued": None, "failures": 1}


# --- /admin/tasks ------------------------------------------------------------------------


def _failure(app: Flask, name: str = "tests.record", args: Any = ("again",)) -> int:
    with app.app_context():
        failure = service.record_failure(name, list(args), ConnectionError("down"), 6)
        assert failure is not None
        return failure.id


@pytest.mark.parametrize("role", ["student", "teacher", "moderator"])
def test_only_administrators_see_and_act_on_failed_tasks(app, client, make_user, role):
    failure_id = _failure(app)
    assert client.get("/admin/tasks").status_code == 302  # anonymous: to the login
    assert client.post(f"/admin/tasks/{failure_id}/retry").status_code in (302, 401)
    client.login(make_user(role).email)
    assert client.get("/admin/tasks").status_code == 403
    assert client.post(f"/admin/tasks/{failure_id}/retry").status_code == 403
    assert client.post(f"/admin/tasks/{failure_id}/dismiss").status_code == 403
    assert len(_failures(app)) == 1 and CALLS == []


def test_an_administrator_retries_a_failed_task_in_process(app, client, make_user):
    failure_id = _failure(app)
    admin = make_user("admin")
    client.login(admin.email)
    page = client.get("/admin/tasks").get_data(as_text=True)
    assert "tests.record" in page and "ConnectionError: down" in page
    assert f"/admin/tasks/{failure_id}/retry" in page
    response = client.post(f"/admin/tasks/{failure_id}/retry")
    assert response.status_code == 302
    assert CALLS == [("tests.record", "again")]  # run again (no broker: here)
    assert _failures(app) == []
    assert "No failed tasks." in client.get("/admin/tasks").get_data(as_text=True)
    with app.app_context():
        [entry] = audit.entries("task.retried")
        assert entry.actor_id == admin.id and entry.details["name"] == "tests.record"


def test_a_retry_with_a_broker_queues_the_task_again(eager_app, make_user_on):
    failure_id = _failure(eager_app, "tests.flaky", [8])
    client = make_user_on(eager_app, "admin")
    assert client.post(f"/admin/tasks/{failure_id}/retry").status_code == 302
    assert CALLS == [("tests.flaky", 8)]
    assert _failures(eager_app) == []


def test_an_administrator_dismisses_a_failed_task(app, client, make_user):
    failure_id = _failure(app, "tests.broken", [3])
    other = _failure(app, "tests.broken", [4])
    client.login(make_user("admin").email)
    assert client.post(f"/admin/tasks/{failure_id}/dismiss").status_code == 302
    assert CALLS == []  # not run
    assert [f.id for f in _failures(app)] == [other]
    assert client.post(f"/admin/tasks/{failure_id}/dismiss").status_code == 404
    with app.app_context():
        [entry] = audit.entries("task.dismissed")
        assert entry.target_id == failure_id and entry.details["args"] == [3]


def test_retry_and_dismiss_need_the_csrf_token(app, make_user):
    failure_id = _failure(app)
    raw = app.test_client()
    client = Client(raw)
    client.login(make_user("admin").email)
    response = raw.post(f"/admin/tasks/{failure_id}/retry")
    assert response.status_code == 400
    assert len(_failures(app)) == 1 and CALLS == []


def test_a_failure_without_its_arguments_can_only_be_dismissed(app, client, make_user):
    failure_id = _failure(app, "tests.secret", [{"body": "link"}])
    client.login(make_user("admin").email)
    page = client.get("/admin/tasks").get_data(as_text=True)
    assert not re.search(rf"/admin/tasks/{failure_id}/retry", page)
    client.post(f"/admin/tasks/{failure_id}/retry")
    assert len(_failures(app)) == 1
    client.post(f"/admin/tasks/{failure_id}/dismiss")
    assert _failures(app) == []


# --- e-mail through the queue ----------------------------------------------------------


def _user_ids(app: Flask, *emails: str) -> list[int]:
    from oer_portal.accounts import service as accounts
    from oer_portal.accounts.models import Role

    with app.app_context():
        ids = [accounts.create_user(email, f"Reader {n}", PASSWORD, [Role("teacher")]).id
               for n, email in enumerate(emails)]
        current_uow().commit()
        return ids


def _notify(app: Flask, recipients: list[int]) -> None:
    from oer_portal.notifications import service as notifications
    from oer_portal.notifications.models import NotificationKind, TargetType

    with app.app_context():
        notifications.notify(recipients, NotificationKind.REVIEW_APPROVED,
                             (TargetType.MATERIAL, 7), {"title": "Breuken", "version": 2})
        current_uow().commit()


def test_with_a_broker_each_notification_is_mailed_by_a_job_of_its_own(eager_app):
    from tests.fixtures.mailbox import use_locmem

    mailbox = use_locmem(eager_app)
    recipients = _user_ids(eager_app, "a@example.org", "b@example.org")
    sent_tasks: list[str] = []
    celery = eager_app.extensions["celery"]
    from celery.signals import task_prerun

    def seen(sender: Any = None, **_kwargs: Any) -> None:
        sent_tasks.append(sender.name)

    task_prerun.connect(seen, weak=False)
    try:
        _notify(eager_app, recipients)
    finally:
        task_prerun.disconnect(seen)
    assert sent_tasks == ["notifications.email", "notifications.email"]
    assert sorted(m.to[0].split("<")[-1].rstrip(">") for m in mailbox.messages) == [
        "a@example.org", "b@example.org"]
    assert celery.conf.task_default_queue == "oer-portal"


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_e_mail_that_cannot_be_sent_is_retried_then_recorded_without_its_contents(
        eager_app_with):
    from oer_portal.core import mail as core_mail

    eager_app = eager_app_with(MAIL_SERVER="127.0.0.1", MAIL_PORT=_closed_port(),
                               MAIL_TIMEOUT=2)
    assert eager_app.config["MAIL_BACKEND"] == "smtp"
    letter = core_mail.Letter(address="c@example.org", name="C", subject="Reset",
                              body="https://portal.example/reset/SECRET-TOKEN")
    with eager_app.app_context():
        core_mail.send_or_queue([letter])
    [failure] = _failures(eager_app)
    assert failure.name == "mail.send" and failure.attempts == 4
    assert failure.args is None and "SECRET" not in failure.error
    assert failure.error.startswith("MailNotSent")


def test_only_the_tasks_package_imports_celery():
    """Features say what to run through ``core.jobs``; Celery is the tasks package's alone."""
    from tests.unit.test_layers import PACKAGE, _modules, imported_modules

    importers = {path.relative_to(PACKAGE).as_posix() for path in _modules()
                 if any(name == "celery" or name.startswith("celery.")
                        for name in imported_modules(path))}
    assert importers == {"tasks/celery_app.py"}


def test_with_a_broker_the_embedded_threads_leave_the_schedule_to_beat(eager_app_with):
    import threading

    before = {thread.name for thread in threading.enumerate()}
    app = eager_app_with(SEARCH_BACKGROUND_DRAIN=True, HARVEST_INTERVAL_SECONDS=3600,
                         STORAGE_MAINTENANCE_INTERVAL_SECONDS=3600)
    from oer_portal.collections.worker import start_scheduled_harvest
    from oer_portal.materials import maintenance

    assert start_scheduled_harvest(app) is None and maintenance.init_app(app) is None
    started = {thread.name for thread in threading.enumerate()} - before
    assert not started & {"search-drain", "storage-maintenance", "collections-harvest"}
    assert {"collections.harvest_due", "maintenance.storage_gc", "search.drain"} <= {
        entry["task"] for entry in app.extensions["celery"].conf.beat_schedule.values()}


def test_every_job_says_what_it_does_on_the_admin_page(app, client, make_user):
    from oer_portal.tasks.admin_views import JOB_LABELS

    portal_jobs = {name for name in jobs.registered() if not name.startswith("tests.")}
    assert portal_jobs == set(JOB_LABELS), "a new job needs a label for the administrators"
    _failure(app, "materials.derive", ["ab" * 32])
    client.login(make_user("admin").email)
    page = client.get("/admin/tasks").get_data(as_text=True)
    assert "Text and thumbnail of a file <code>materials.derive</code>" in page
