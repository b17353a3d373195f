"""Download my data: everything the portal stores about a person, as one JSON document.

One function per section, all named in :data:`SECTIONS`: a new kind of personal data is one
more entry there (most are :func:`rows` of a table with a user column).  Secrets are never
exported: no password hash, no session token, no token hash or hint.  Only the person's own
rows are read; what others wrote to them (a moderator's comment, an author's reply) stays
theirs, except what is about the person (notifications, audit entries naming them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from oer_portal.accounts import sessions
from oer_portal.accounts.models import TeacherRequest, TrustedTeacher, User, UserRole
from oer_portal.accounts.tokens import ApiToken
from oer_portal.community.models import HelpfulVote, Rating, WrittenReview
from oer_portal.core.audit import AuditEntry
from oer_portal.core.types import utcnow
from oer_portal.extensions import db
from oer_portal.lists.models import MaterialList, MaterialListItem, MaterialListRecord
from oer_portal.materials.models import Material, MaterialCoAuthor, MaterialVersion
from oer_portal.moderation.models import Report, ReviewMessage
from oer_portal.notifications import service as notifications
from oer_portal.notifications.models import Notification
from oer_portal.proposals.models import ChangeProposal, ProposalComment

#: A section: the person → JSON-ready data (lists, dicts, strings, numbers, datetimes).
Section = Callable[[User], Any]

FORMAT = "oer-portal-personal-data/1"


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): _value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_value(item) for item in value]
    return value


def rows(model: type[db.Model], owner: InstrumentedAttribute[int], *fields: str,
         order: ColumnElement[Any] | None = None) -> Section:
    """A section of every row of ``model`` whose ``owner`` column is the person, with
    ``fields``: ``rows(UserRole, UserRole.user_id, "role", "granted_at")``."""

    def section(user: User) -> list[dict[str, Any]]:
        statement = select(model).where(owner == user.id)
        statement = statement.order_by(order if order is not None
                                       else model.__mapper__.primary_key[0])
        return [{field: _value(getattr(row, field)) for field in fields}
                for row in db.session.scalars(statement)]

    return section


def account(user: User) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "display_name": user.stored_name,
            "locale": user.locale, "created_at": _value(user.created_at),
            "last_login_at": _value(user.last_login_at)}


def lists(user: User) -> list[dict[str, Any]]:
    """Every list with its materials and harvested records, in the list's order."""
    found = []
    for material_list in db.session.scalars(
            select(MaterialList).where(MaterialList.owner_id == user.id)
            .order_by(MaterialList.id)):
        items = db.session.scalars(select(MaterialListItem).where(
            MaterialListItem.list_id == material_list.id).order_by(MaterialListItem.position))
        records = db.session.scalars(select(MaterialListRecord).where(
            MaterialListRecord.list_id == material_list.id)
            .order_by(MaterialListRecord.position))
        found.append({
            "id": material_list.id, "name": material_list.name,
            "description": material_list.description, "public": material_list.is_public,
            "favourites": material_list.is_favourites,
            "created_at": _value(material_list.created_at),
            "items": [{"material_id": item.material_id, "position": item.position,
                       "added_at": _value(item.added_at)} for item in items],
            "records": [{"record_id": record.record_id, "position": record.position,
                         "added_at": _value(record.added_at)} for record in records]})
    return found


def change_proposals(user: User) -> list[dict[str, Any]]:
    """The person's proposals, each with the comments they wrote in its thread."""
    found = []
    for proposal in db.session.scalars(select(ChangeProposal).where(
            ChangeProposal.proposer_id == user.id).order_by(ChangeProposal.id)):
        comments = db.session.scalars(select(ProposalComment).where(
            ProposalComment.proposal_id == proposal.id,
            ProposalComment.author_id == user.id).order_by(ProposalComment.id))
        found.append({
            "id": proposal.id, "material_id": proposal.material_id,
            "title": proposal.title, "description": proposal.description,
            "body": proposal.body, "why": proposal.summary, "status": proposal.status,
            "created_at": _value(proposal.created_at),
            "decided_at": _value(proposal.decided_at), "reason": proposal.reason,
            "comments": [{"body": c.body, "created_at": _value(c.created_at)}
                         for c in comments]})
    return found


def proposal_comments(user: User) -> list[dict[str, Any]]:
    """Comments the person wrote on other people's proposals (as an author)."""
    statement = (select(ProposalComment)
                 .join(ChangeProposal, ChangeProposal.id == ProposalComment.proposal_id)
                 .where(ProposalComment.author_id == user.id,
                        ChangeProposal.proposer_id != user.id)
                 .order_by(ProposalComment.id))
    return [{"proposal_id": c.proposal_id, "body": c.body, "created_at": _value(c.created_at)}
            for c in db.session.scalars(statement)]


def email_settings(user: User) -> list[dict[str, Any]]:
    """Which notifications are e-mailed: the person's own choices and the defaults."""
    return [{"kind": kind.value, "email": on}
            for kind, on in notifications.email_settings(user.id).items()]


def materials(user: User) -> list[dict[str, Any]]:
    """The materials the person owns or co-authors: id, kind, state, title, and the text of
    every version they wrote (drafts included: their content is theirs)."""
    co_authored = select(MaterialCoAuthor.material_id).where(
        MaterialCoAuthor.user_id == user.id)
    found = []
    for material in db.session.scalars(select(Material).where(
            or_(Material.owner_id == user.id, Material.id.in_(co_authored)))
            .order_by(Material.id)):
        versions = db.session.scalars(select(MaterialVersion).where(
            MaterialVersion.material_id == material.id).order_by(MaterialVersion.number))
        titles = {}
        own = []
        for version in versions:
            titles[version.id] = version.title
            if version.author_id == user.id:
                own.append({"number": version.number, "title": version.title,
                            "description": version.description, "body": version.body,
                            "licence": version.licence, "summary": version.summary,
                            "created_at": _value(version.created_at),
                            "published": version.id == material.published_version_id})
        found.append({
            "id": material.id, "kind": material.kind, "status": material.status,
            "role": "owner" if material.owner_id == user.id else "co-author",
            "title": titles.get(material.latest_version_id, ""),
            "created_at": _value(material.created_at),
            "published_at": _value(material.published_at), "versions": own})
    return found


def audit(user: User) -> list[dict[str, Any]]:
    """Audit entries the person did or that are about their account."""
    statement = select(AuditEntry).where(or_(
        AuditEntry.actor_id == user.id,
        and_(AuditEntry.target_type == "user", AuditEntry.target_id == user.id))
    ).order_by(AuditEntry.id)
    return [{"id": entry.id, "created_at": _value(entry.created_at), "action": entry.action,
             "actor_id": entry.actor_id, "target_type": entry.target_type,
             "target_id": entry.target_id, "details": _value(entry.details)}
            for entry in db.session.scalars(statement)]


#: Every section, in the order of the document.  Add a kind of personal data here.
SECTIONS: dict[str, Section] = {
    "account": account,
    "roles": rows(UserRole, UserRole.user_id, "role", "granted_at"),
    "sessions": sessions.sessions_of,
    "teacher_requests": rows(TeacherRequest, TeacherRequest.user_id, "school", "motivation",
                             "status", "created_at", "decided_at", "decision_note"),
    "trusted_teacher": rows(TrustedTeacher, TrustedTeacher.user_id, "granted_at", "note"),
    "api_tokens": rows(ApiToken, ApiToken.user_id, "name", "scope", "created_at",
                       "expires_at", "last_used_at", "revoked_at"),
    "ratings": rows(Rating, Rating.user_id, "material_id", "stars", "created_at",
                    "updated_at", order=Rating.material_id),
    "written_reviews": rows(WrittenReview, WrittenReview.user_id, "id", "material_id",
                            "title", "body", "used_in_class", "class_level", "created_at",
                            "updated_at", "hidden_at", "hidden_reason"),
    "helpful_votes": rows(HelpfulVote, HelpfulVote.user_id, "review_id", "created_at",
                          order=HelpfulVote.review_id),
    "lists": lists,
    "change_proposals": change_proposals,
    "proposal_comments": proposal_comments,
    "review_messages": rows(ReviewMessage, ReviewMessage.author_id, "request_id", "kind",
                            "body", "created_at"),
    "reports": rows(Report, Report.reporter_id, "material_id", "category", "comment",
                    "status", "created_at", "decided_at", "decision_reason"),
    "notifications": rows(Notification, Notification.user_id, "kind", "target_type",
                          "target_id", "params", "created_at", "read_at"),
    "email_settings": email_settings,
    "materials": materials,
    "audit": audit,
}


def section_names() -> list[str]:
    return list(SECTIONS)


def personal_data(user: User) -> dict[str, Any]:
    """The whole document for ``user``."""
    document: dict[str, Any] = {"format": FORMAT, "exported_at": _value(utcnow())}
    for name, section in SECTIONS.items():
        document[name] = section(user)
    return document
