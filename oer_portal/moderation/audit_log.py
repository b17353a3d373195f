"""Reading the audit log: the moderators' and admins' page of who did what, when, to what.

``core/audit.py`` writes the log (every feature does); this module only reads it.  One page
costs two statements however long the log is: the choices for the filters (the actions and
kinds of object present, found by a loose index scan, a few index probes per value) and the
page of entries with the names of their actors and objects (outer joins, at most
:data:`PAGE_SIZE` + 1 rows).  Pages are keyset-paginated on the entry id (ids only grow, as
the time does), so the 1,000th page costs what the first does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select, text
from sqlalchemy.orm import aliased

from oer_portal.accounts.models import TeacherRequest, User
from oer_portal.accounts.policy import Actor
from oer_portal.accounts.policy import require as require_permission
from oer_portal.core.audit import AuditEntry
from oer_portal.core.numbers import parse_id
from oer_portal.extensions import db
from oer_portal.materials import policy as material_policy
from oer_portal.materials.models import Material, MaterialVersion
from oer_portal.moderation import checklist

PAGE_SIZE = 50
#: A value in the details column is cut to this many characters (the full text is in the
#: conversation, on the tombstone, …; the log is for finding it).
MAX_DETAIL_LENGTH = 160

#: Readable names of the actions the portal writes.  A feature that adds an action adds its
#: label here; an unknown action is shown as its code, so nothing is ever hidden.
ACTION_LABELS: dict[str, Any] = {
    "access.denied": _l("Access refused"),
    "account.created": _l("Account created"),
    "account.email_confirmed": _l("E-mail address confirmed"),
    "account.purged": _l("Unconfirmed account removed"),
    "registration.address_taken": _l("Registration with an address that has an account"),
    "account.deleted": _l("Account deleted"),
    "login.succeeded": _l("Signed in"),
    "login.failed": _l("Sign-in failed"),
    "logout": _l("Signed out"),
    "logout.everywhere": _l("Signed out everywhere"),
    "session.ended": _l("Session ended"),
    "sessions.ended_others": _l("Signed out everywhere else"),
    "password_reset.requested": _l("Password reset requested"),
    "password.reset": _l("Password reset"),
    "password.changed": _l("Password changed"),
    "token.created": _l("API token created"),
    "token.revoked": _l("API token revoked"),
    "role.granted": _l("Role granted"),
    "role.revoked": _l("Role taken away"),
    "teacher_request.created": _l("Teacher role requested"),
    "teacher_request.approved": _l("Teacher request approved"),
    "teacher_request.rejected": _l("Teacher request rejected"),
    "material.created": _l("Material created"),
    "material.reverted": _l("Material reverted"),
    "material.co_author_added": _l("Co-author added"),
    "material.co_author_removed": _l("Co-author removed"),
    "material.published": _l("Version published"),
    "material.withdrawn": _l("Material withdrawn"),
    "material.remixed": _l("Remix made"),
    "remix.upstream_pulled": _l("Changes of the original taken over"),
    "remix.upstream_dismissed": _l("Changes of the original dismissed"),
    "review.submitted": _l("Submitted for review"),
    "review.resubmitted": _l("Submitted again for review"),
    "review.comment": _l("Review comment"),
    "review.approved": _l("Review: approved"),
    "review.changes_requested": _l("Review: changes requested"),
    "review.rejected": _l("Review: rejected"),
    "review.claimed": _l("Review taken on"),
    "review.released": _l("Review released"),
    "review.claim_taken_over": _l("Review taken over from another moderator"),
    "review.post_reviewed": _l("Post-review: seen, fine"),
    "trust.granted": _l("Trust granted"),
    "trust.revoked": _l("Trust revoked"),
    "report.filed": _l("Material reported"),
    "report.dismissed": _l("Report dismissed"),
    "material.unpublished": _l("Taken offline by a moderator"),
    "material.reinstated": _l("Put back online by a moderator"),
    "proposal.created": _l("Change proposed"),
    "proposal.accepted": _l("Proposed change accepted"),
    "proposal.declined": _l("Proposed change declined"),
    "proposal.withdrawn": _l("Proposed change withdrawn"),
    "review_text.hidden": _l("Written review hidden by a moderator"),
    "collection.added": _l("Collection registered"),
    "collection.harvested": _l("Collection harvested"),
    "collection.harvest_failed": _l("Harvest failed"),
    "collection.removed": _l("Collection removed"),
    "task.retried": _l("Failed task run again"),
    "task.dismissed": _l("Failed task dismissed"),
}

#: Readable names of the kinds of object an entry is about.
TARGET_LABELS: dict[str, Any] = {
    "material": _l("Material"),
    "user": _l("User"),
    "teacher_request": _l("Teacher request"),
    "review": _l("Review"),
    "report": _l("Report"),
    "review_text": _l("Written review"),
    "collection": _l("Collection"),
    "task_failure": _l("Failed task"),
}

#: Readable names of the details' keys; others are shown by their key.
DETAIL_LABELS: dict[str, Any] = {
    "reason": _l("Reason"),
    "comment": _l("Comment"),
    "note": _l("Note"),
    "role": _l("Role"),
    "roles": _l("Roles"),
    "path": _l("Address"),
    "method": _l("Method"),
    "checklist": _l("Checked"),
    "user": _l("User"),
    "source": _l("Original"),
    "category": _l("Category"),
    "material": _l("Material"),
    "report": _l("Report"),
    "reports": _l("Reports closed"),
    "renewed": _l("Renewed"),
    "previous": _l("Taken over from"),
    "lapsed_claim_of": _l("Claim that had run out"),
    "post_review": _l("Published at once (trusted)"),
    "unpublished_at": _l("Offline since"),
    "unpublished_reason": _l("Reason it went offline"),
    "name": _l("Name"),
    "base_url": _l("OAI-PMH base URL"),
    "prefix": _l("Metadata format"),
    "set": _l("Set"),
    "added": _l("New"),
    "updated": _l("Updated"),
    "deleted": _l("Deleted"),
    "error": _l("Error"),
    "args": _l("Arguments"),
}

#: Values some writers use, in the reader's language.
VALUE_LABELS: dict[str, Any] = {
    "wrong password": _l("wrong password"),
    "unknown account": _l("unknown account"),
    # Report categories (``moderation.models.ReportCategory``).
    "copyright": _l("copyright"),
    "inappropriate": _l("inappropriate"),
    "incorrect": _l("incorrect"),
    "spam": _l("spam"),
    "other": _l("other"),
}

#: Details shown in a column of their own (or not worth showing: ids of rows the other
#: columns link).
_OWN_COLUMNS = frozenset({"version", "version_id", "review", "message"})
#: Never shown, whatever a writer put there (they never store one: this is the last guard).
_SECRET_WORDS = ("password", "token", "secret", "hash")


@dataclass(frozen=True)
class AuditQuery:
    """What the reader asked for (every part optional); ``before``/``after`` are the
    keyset: entries older than id ``before`` (the next page), or newer than ``after``."""

    actor: str = ""
    action: str = ""
    target_type: str = ""
    target_id: int | None = None
    since: date | None = None
    until: date | None = None
    before: int | None = None
    after: int | None = None

    def filters(self) -> dict[str, str]:
        """The filters as query-string values (no paging): the links keep them."""
        values = {"actor": self.actor, "action": self.action, "type": self.target_type,
                  "object": str(self.target_id) if self.target_id is not None else "",
                  "from": self.since.isoformat() if self.since else "",
                  "to": self.until.isoformat() if self.until else ""}
        return {key: value for key, value in values.items() if value}


@dataclass(frozen=True)
class AuditRow:
    id: int
    created_at: datetime
    action: str
    #: The readable name, or the code for an action no label is known for.
    action_label: str
    actor_id: int | None
    actor_name: str | None
    target_type: str | None
    target_id: int | None
    target_label: str | None
    #: The material's title, the user's name, the applicant's name (when the object exists).
    target_name: str | None
    #: The version number the entry is about, when it names one.
    version: int | None
    review_id: int | None
    #: (label, short value) pairs, never a secret.
    details: tuple[tuple[str, str], ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class AuditPage:
    rows: tuple[AuditRow, ...]
    #: (code, label) of the actions present in the log, for the filter's select.
    actions: tuple[tuple[str, str], ...]
    #: (code, label) of the kinds of object present.
    target_types: tuple[tuple[str, str], ...]
    #: Keyset links: ``after`` for newer entries, ``before`` for older (``None``: none).
    newer_after: int | None
    older_before: int | None


def parse_query(args: Mapping[str, str]) -> AuditQuery:
    """The query from the page's query string; what cannot be read is ignored (a filter
    that makes no sense filters nothing, it does not fail the page)."""
    return AuditQuery(
        actor=" ".join((args.get("actor") or "").split())[:80],
        action=(args.get("action") or "").strip()[:64],
        target_type=(args.get("type") or "").strip()[:32],
        target_id=_positive(args.get("object")),
        since=_date(args.get("from")),
        until=_date(args.get("to")),
        before=_positive(args.get("before")),
        after=_positive(args.get("after")),
    )


def _positive(value: str | None) -> int | None:
    number = parse_id((value or "").strip().lstrip("#"))
    return number or None


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def audit_page(actor: Actor, query: AuditQuery, zone: tzinfo) -> AuditPage:
    """One page of the log for a moderator or admin, newest first; ``zone`` is the reader's
    time zone, in which the dates of ``since``/``until`` are days."""
    require_permission(material_policy.is_staff(actor))
    actions, types = _choices()
    return _entries(query, zone, actions, types)


def _label(labels: Mapping[str, Any], code: str) -> str:
    label = labels.get(code)
    return str(label) if label is not None else code


def _choices() -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """The distinct actions and kinds of object in the log, in one statement.

    A loose index scan (each next value is the smallest one above the last, one index probe
    each): a log of millions of rows with thirty actions costs thirty probes, where
    ``SELECT DISTINCT`` would read the whole index.  The same SQL runs on SQLite and
    PostgreSQL.
    """
    found = db.session.execute(text("""
        WITH RECURSIVE actions(value) AS (
            SELECT MIN(action) FROM audit_entries
            UNION ALL
            SELECT (SELECT MIN(action) FROM audit_entries WHERE action > actions.value)
            FROM actions WHERE actions.value IS NOT NULL
        ), kinds(value) AS (
            SELECT MIN(target_type) FROM audit_entries
            UNION ALL
            SELECT (SELECT MIN(target_type) FROM audit_entries WHERE target_type > kinds.value)
            FROM kinds WHERE kinds.value IS NOT NULL
        )
        SELECT 'action', value FROM actions WHERE value IS NOT NULL
        UNION ALL
        SELECT 'kind', value FROM kinds WHERE value IS NOT NULL""")).all()
    actions = sorted(((code, _label(ACTION_LABELS, code)) for kind, code in found
                      if kind == "action"), key=lambda pair: pair[1].lower())
    types = sorted(((code, _label(TARGET_LABELS, code)) for kind, code in found
                    if kind == "kind"), key=lambda pair: pair[1].lower())
    return tuple(actions), tuple(types)


def _start_of(day: date, zone: tzinfo) -> datetime:
    """Midnight at the start of ``day`` in ``zone``, in UTC.  A pytz zone (what Babel may
    hand out) must ``localize``: ``replace(tzinfo=…)`` would use its first offset in history
    (Amsterdam's local mean time, +00:18)."""
    naive = datetime.combine(day, time.min)
    localize = getattr(zone, "localize", None)
    local = localize(naive) if localize is not None else naive.replace(tzinfo=zone)
    return local.astimezone(UTC)


def _entries(query: AuditQuery, zone: tzinfo, actions: tuple[tuple[str, str], ...],
             types: tuple[tuple[str, str], ...]) -> AuditPage:
    actor = aliased(User, name="actor")
    target_user = aliased(User, name="target_user")
    applicant = aliased(User, name="applicant")
    title_version = aliased(MaterialVersion, name="title_version")
    statement = (
        select(AuditEntry, actor.display_name, target_user.display_name, title_version.title,
               applicant.display_name)
        .outerjoin(actor, actor.id == AuditEntry.actor_id)
        .outerjoin(target_user, and_(AuditEntry.target_type == "user",
                                     target_user.id == AuditEntry.target_id))
        .outerjoin(Material, and_(AuditEntry.target_type == "material",
                                  Material.id == AuditEntry.target_id))
        .outerjoin(title_version, title_version.id == Material.latest_version_id)
        .outerjoin(TeacherRequest, and_(AuditEntry.target_type == "teacher_request",
                                        TeacherRequest.id == AuditEntry.target_id))
        .outerjoin(applicant, applicant.id == TeacherRequest.user_id)
    )
    if query.actor.isdigit():
        statement = statement.where(AuditEntry.actor_id == (parse_id(query.actor) or 0))
    elif query.actor:
        statement = statement.where(func.lower(actor.display_name).contains(
            query.actor.lower(), autoescape=True))
    if query.action:
        statement = statement.where(AuditEntry.action == query.action)
    if query.target_type:
        statement = statement.where(AuditEntry.target_type == query.target_type)
    if query.target_id is not None:
        statement = statement.where(AuditEntry.target_id == query.target_id)
    if query.since:
        statement = statement.where(AuditEntry.created_at >= _start_of(query.since, zone))
    if query.until:
        statement = statement.where(
            AuditEntry.created_at < _start_of(query.until + timedelta(days=1), zone))
    backwards = query.after is not None and query.before is None
    if backwards:
        statement = statement.where(AuditEntry.id > query.after).order_by(AuditEntry.id)
    else:
        if query.before is not None:
            statement = statement.where(AuditEntry.id < query.before)
        statement = statement.order_by(AuditEntry.id.desc())
    found = db.session.execute(statement.limit(PAGE_SIZE + 1)).all()
    more = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    if backwards:
        found.reverse()
    rows = tuple(_row(*columns) for columns in found)
    if not rows:
        return AuditPage(rows, actions, types, None, None)
    if backwards:
        newer, older = (rows[0].id if more else None), rows[-1].id
    else:
        newer = rows[0].id if query.before is not None else None
        older = rows[-1].id if more else None
    return AuditPage(rows, actions, types, newer_after=newer, older_before=older)


def _row(entry: AuditEntry, actor_name: str | None, user_name: str | None,
         material_title: str | None, applicant_name: str | None) -> AuditRow:
    details = entry.details if isinstance(entry.details, dict) else {}
    version = details.get("version")
    review = details.get("review")
    target_name = {"user": user_name, "material": material_title,
                   "teacher_request": applicant_name}.get(entry.target_type or "")
    return AuditRow(
        id=entry.id, created_at=entry.created_at, action=entry.action,
        action_label=_label(ACTION_LABELS, entry.action),
        actor_id=entry.actor_id, actor_name=actor_name,
        target_type=entry.target_type, target_id=entry.target_id,
        target_label=_label(TARGET_LABELS, entry.target_type) if entry.target_type else None,
        target_name=target_name,
        version=version if isinstance(version, int) else None,
        review_id=review if isinstance(review, int) else None,
        details=describe(details))


def describe(details: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The details as (label, short value) pairs for people: known keys by their name in the
    reader's language, long values cut, lists joined, a flag only when it is set, and
    nothing that looks like a secret."""
    described: list[tuple[str, str]] = []
    for key, value in details.items():
        if key in _OWN_COLUMNS or any(word in key.lower() for word in _SECRET_WORDS):
            continue
        if isinstance(value, bool):
            if not value:
                continue  # "renewed: no", "published at once: no": nothing happened
            shown = str(_l("yes"))
        elif key == "checklist" and isinstance(value, list):
            shown = "; ".join(checklist.labels(value)) if value else "—"
        elif isinstance(value, str):
            shown = _label(VALUE_LABELS, value)
        elif isinstance(value, list):
            shown = ", ".join(str(item) for item in value)
        elif value is None:
            continue
        else:
            shown = json.dumps(value, ensure_ascii=False) if isinstance(value, dict) \
                else str(value)
        shown = " ".join(shown.split())
        if len(shown) > MAX_DETAIL_LENGTH:
            shown = shown[:MAX_DETAIL_LENGTH - 1].rstrip() + "…"
        described.append((_label(DETAIL_LABELS, key), shown))
    return tuple(described)
