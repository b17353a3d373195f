"""The unit of work: one commit, rollback on error, after-commit work only after a commit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from oer_portal.accounts import service
from oer_portal.accounts.models import Role, User
from oer_portal.core.uow import UnitOfWork, current_uow, transactional
from oer_portal.extensions import db
from tests.conftest import PASSWORD


def _count_users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def _add_user(email: str = "uow@example.org") -> None:
    service.create_user(email, "Uow", PASSWORD, [Role.STUDENT])


def test_after_commit_operations_run_after_a_successful_commit(app):
    seen: list[int] = []
    with app.app_context():
        uow = current_uow()
        _add_user()
        uow.on_commit(lambda: seen.append(_count_users()))
        assert seen == []
        uow.commit()
        assert seen == [1]


def test_rollback_forgets_changes_and_operations(app):
    ran: list[str] = []
    with app.app_context():
        uow = current_uow()
        _add_user()
        uow.on_commit(lambda: ran.append("indexed"))
        uow.rollback()
        uow.commit()
        assert ran == []
        assert _count_users() == 0


def test_a_failed_commit_runs_no_operation_and_rolls_back(app):
    ran: list[str] = []
    with app.app_context():
        _add_user("same@example.org")
        current_uow().commit()
        uow = current_uow()
        # Bypass the service's check to provoke the database's unique constraint at commit.
        db.session.add(User(email="same@example.org", display_name="Dup", password_hash="x"))
        uow.on_commit(lambda: ran.append("indexed"))
        with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
            uow.commit()
        assert ran == []
        assert _count_users() == 1


def test_a_failing_operation_does_not_undo_the_commit_or_stop_the_others(app, caplog):
    ran: list[str] = []
    with app.app_context():
        uow = current_uow()
        _add_user()
        uow.on_commit(lambda: 1 / 0)
        uow.on_commit(lambda: ran.append("second"))
        uow.commit()
        assert ran == ["second"]
        assert _count_users() == 1
    assert "after-commit operation" in caplog.text


def test_transactional_command_commits_once_or_not_at_all(app):
    @transactional
    def good() -> None:
        _add_user("good@example.org")

    @transactional
    def bad() -> None:
        _add_user("bad@example.org")
        raise RuntimeError("half-way")

    with app.app_context():
        good()
        with pytest.raises(RuntimeError):
            bad()
        emails = set(db.session.scalars(select(User.email)))
    assert emails == {"good@example.org"}


def test_a_request_that_fails_rolls_back_everything(app):
    """A view that changes data and then fails leaves the database as it was."""

    @app.route("/test-half-done", methods=["POST"])
    def half_done() -> str:
        _add_user("half@example.org")
        raise service.ValidationError("no")

    app.config["WTF_CSRF_ENABLED"] = False
    response = app.test_client().post("/test-half-done")
    assert response.status_code == 422
    with app.app_context():
        assert _count_users() == 0


def test_a_request_commits_once_at_the_end(app):
    commits: list[int] = []

    @app.route("/test-two-changes", methods=["POST"])
    def two_changes() -> str:
        from sqlalchemy import event

        event.listen(db.session(), "after_commit", lambda _s: commits.append(1))
        _add_user("one@example.org")
        _add_user("two@example.org")
        return "ok"

    app.config["WTF_CSRF_ENABLED"] = False
    assert app.test_client().post("/test-two-changes").status_code == 200
    assert commits == [1]
    with app.app_context():
        assert _count_users() == 2


def test_unit_of_work_is_per_app_context(app):
    with app.app_context():
        first = current_uow()
        assert current_uow() is first
    with app.app_context():
        assert current_uow() is not first
        assert isinstance(current_uow(), UnitOfWork)
