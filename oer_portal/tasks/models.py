"""Jobs that failed for good in a worker (retries exhausted), for the administrators."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oer_portal.core import public_state
from oer_portal.core.types import UTCDateTime, utcnow
from oer_portal.extensions import db


class TaskFailure(db.Model):
    __tablename__ = "task_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Celery's id of the task: a failure reported twice is recorded once.
    task_id: Mapped[str | None] = mapped_column(String(155), unique=True)
    #: The job's name (``materials.derive``).
    name: Mapped[str] = mapped_column(String(200), index=True)
    #: Its arguments (JSON); ``None`` for a job whose arguments are not kept (an e-mail).
    args: Mapped[list[Any] | None] = mapped_column(JSON, default=None)
    #: The last error, in English (``ValueError: ...``).
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=1)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

public_state.never_shown(TaskFailure)
