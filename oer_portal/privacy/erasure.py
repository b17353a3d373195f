"""Delete my account: erase what is personal, keep what was given to the public.

What happens to each table is decided here, one step per kind of data, and written down in
docs/architecture.md ("Privacy: download and delete (issue 16)"):

- **erased**: e-mail, password, sessions, locale, last login; roles; teacher requests and
  trust; API tokens; ratings and helpful votes; written reviews; lists; notifications and
  e-mail settings; reports filed; proposals that were never accepted (open, declined,
  withdrawn) with their threads;
- **deleted**: drafts (``drafts.py``: never-published materials only they own);
- **kept, as public contributions**: published materials (under their irrevocable licence),
  their versions, co-authorships, accepted proposals, and what the person wrote in review
  conversations and proposal threads about material that stays (the other side's record);
  each is credited by the display name or as "anonymous author", as the person chose;
- **kept as it is**: the audit log (append-only); its entries name the account by id only.

The account row stays as a tombstone, because published work, the audit log and
conversations refer to it: a unique non-address instead of the e-mail (so the address can
register again), an unusable password, a new session token (every session ends), and
``deleted_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flask_babel import gettext as _
from sqlalchemy import delete, exists, func, or_, select, update

from oer_portal.accounts import passwords
from oer_portal.accounts.models import (
    ANONYMOUS_NAME,
    Role,
    TeacherRequest,
    TrustedTeacher,
    User,
    UserRole,
    new_session_token,
)
from oer_portal.accounts.sessions import UserSession
from oer_portal.accounts.tokens import ApiToken
from oer_portal.community.models import HelpfulVote, Rating, WrittenReview
from oer_portal.core import audit, outbox
from oer_portal.core.errors import FieldError, NotFound, ValidationError
from oer_portal.core.types import utcnow
from oer_portal.extensions import db
from oer_portal.lists.models import MaterialList
from oer_portal.materials import lifecycle
from oer_portal.materials.models import Material, MaterialCoAuthor, MaterialStatus
from oer_portal.materials.reviews import OPEN_STATUSES, ReviewRequest
from oer_portal.moderation.models import Report
from oer_portal.notifications.models import Notification, NotificationSetting
from oer_portal.privacy import drafts
from oer_portal.proposals.models import ChangeProposal, ProposalComment, ProposalStatus

#: What the tombstone's password hash holds: not a hash, so no password ever matches it.
UNUSABLE_PASSWORD = "!account-deleted"  # noqa: S105 (a marker, not a secret)  # nosec B105


class Credit(StrEnum):
    """How published work stays credited after the account is gone."""

    NAME = "name"
    ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Deletion:
    """What a deletion did, for the audit entry and the page that follows."""

    drafts_deleted: int
    drafts_kept: int
    handed_over: tuple[int, ...]


@dataclass(frozen=True)
class Consequences:
    """What deleting would do, told plainly before the person confirms."""

    drafts: int
    published: int
    shared: int


def consequences(user: User) -> Consequences:
    """How many drafts would be deleted, how many published materials stay, and how many
    materials shared with co-authors stay with them."""
    shared = db.session.scalar(select(func.count()).select_from(Material).where(
        Material.owner_id == user.id,
        exists().where(MaterialCoAuthor.material_id == Material.id))) or 0
    published = db.session.scalar(select(func.count()).select_from(Material).where(
        Material.owner_id == user.id, Material.status != MaterialStatus.DRAFT,
        ~exists().where(MaterialCoAuthor.material_id == Material.id))) or 0
    return Consequences(len(drafts.deletable(user.id)), published, shared)


def tombstone_email(user_id: int) -> str:
    """Unique and not an e-mail address (no ``@``): nobody can log in with it, and the old
    address is free to register again."""
    return f"deleted-account-{user_id}"


def delete_account(user: User, password: str, credit: Credit) -> Deletion:
    """Delete ``user``'s account after checking their password (see the module)."""
    if user.deleted_at is not None:
        raise NotFound()
    if not passwords.verify_password(user.password_hash, password):
        raise FieldError("password", _("Your password is not correct."))
    if _last_admin(user):
        raise ValidationError(_("You are the only administrator. Give another account the "
                                "admin role before you delete yours."))
    old_name = user.stored_name
    handed_over = _hand_over_shared_materials(user.id)
    erasable = drafts.deletable(user.id)
    kept = drafts.sole_drafts(user.id) - erasable
    drafts.delete_drafts(erasable)
    _cancel_open_reviews(user.id)
    _erase_community(user.id)
    _erase_account_rows(user.id)
    _erase_proposals(user.id)
    if credit is Credit.ANONYMOUS:
        _forget_name_in_notifications(user.id, old_name)
    _reindex_credited_work(user.id)
    _tombstone(user, credit)
    deletion = Deletion(len(erasable), len(kept), tuple(handed_over))
    audit.record("account.deleted", actor_id=user.id, target=("user", user.id),
                 details={"credit": credit.value, "drafts_deleted": deletion.drafts_deleted,
                          "drafts_kept": deletion.drafts_kept,
                          "handed_over": list(deletion.handed_over)})
    db.session.flush()
    db.session.expire_all()  # the bulk statements bypassed the objects the session holds
    return deletion


def _last_admin(user: User) -> bool:
    """A portal must keep an administrator: the last one cannot leave."""
    return user.has_role(Role.ADMIN) and not db.session.scalar(select(exists().where(
        UserRole.role == Role.ADMIN, UserRole.user_id != user.id)))


def _hand_over_shared_materials(user_id: int) -> list[int]:
    """Materials the user owns with co-authors stay with the others: the co-author with the
    lowest account number becomes the owner, and the user stays credited as a co-author."""
    handed_over = []
    for material in db.session.scalars(select(Material).where(
            Material.owner_id == user_id,
            exists().where(MaterialCoAuthor.material_id == Material.id))):
        heir = db.session.scalar(
            select(MaterialCoAuthor.user_id).join(User, User.id == MaterialCoAuthor.user_id)
            .where(MaterialCoAuthor.material_id == material.id, User.deleted_at.is_(None))
            .order_by(MaterialCoAuthor.user_id).limit(1))
        if heir is None:
            continue  # every co-author is gone too: it stays as a sole material
        db.session.execute(delete(MaterialCoAuthor).where(
            MaterialCoAuthor.material_id == material.id, MaterialCoAuthor.user_id == heir))
        material.owner_id = heir
        db.session.add(MaterialCoAuthor(material_id=material.id, user_id=user_id))
        handed_over.append(material.id)
    db.session.flush()
    return handed_over


def _cancel_open_reviews(user_id: int) -> None:
    """A published material's newer version waiting for review is not published after its
    author has left; claims the user held as a moderator are released."""
    for material_id in db.session.scalars(select(Material.id).where(
            Material.owner_id == user_id, Material.status != MaterialStatus.DRAFT)):
        lifecycle.cancel_pending_reviews(material_id, _("The author deleted their account."))
    db.session.execute(update(ReviewRequest).where(
        ReviewRequest.claimed_by_id == user_id, ReviewRequest.status.in_(OPEN_STATUSES))
        .values(claimed_by_id=None, claimed_at=None))


def _erase_community(user_id: int) -> None:
    """Ratings, helpful votes and written reviews; search re-scores the materials."""
    rated = set(db.session.scalars(select(Rating.material_id).where(Rating.user_id == user_id)))
    for review_id in db.session.scalars(select(HelpfulVote.review_id).where(
            HelpfulVote.user_id == user_id)):
        db.session.execute(update(WrittenReview).where(WrittenReview.id == review_id)
                           .values(helpful_count=WrittenReview.helpful_count - 1))
    db.session.execute(delete(HelpfulVote).where(HelpfulVote.user_id == user_id))
    db.session.execute(delete(WrittenReview).where(WrittenReview.user_id == user_id))
    db.session.execute(delete(Rating).where(Rating.user_id == user_id))
    for material_id in sorted(rated):
        outbox.record_change("material", material_id)


def _erase_account_rows(user_id: int) -> None:
    for statement in (
            delete(UserRole).where(UserRole.user_id == user_id),
            delete(UserSession).where(UserSession.user_id == user_id),
            delete(TeacherRequest).where(TeacherRequest.user_id == user_id),
            delete(TrustedTeacher).where(TrustedTeacher.user_id == user_id),
            delete(ApiToken).where(ApiToken.user_id == user_id),
            delete(MaterialList).where(MaterialList.owner_id == user_id),
            delete(Notification).where(Notification.user_id == user_id),
            delete(NotificationSetting).where(NotificationSetting.user_id == user_id),
            delete(Report).where(Report.reporter_id == user_id)):
        db.session.execute(statement, execution_options={"synchronize_session": False})


def _erase_proposals(user_id: int) -> None:
    """Proposals that never became part of a material go, with their threads; an accepted
    one is a contribution the credits name, so it stays."""
    gone = select(ChangeProposal.id).where(ChangeProposal.proposer_id == user_id,
                                           ChangeProposal.status != ProposalStatus.ACCEPTED)
    db.session.execute(delete(ProposalComment).where(ProposalComment.proposal_id.in_(gone)),
                       execution_options={"synchronize_session": False})
    db.session.execute(delete(ChangeProposal).where(
        ChangeProposal.proposer_id == user_id, ChangeProposal.status != ProposalStatus.ACCEPTED),
        execution_options={"synchronize_session": False})


def _forget_name_in_notifications(user_id: int, name: str) -> None:
    """Other people's notifications keep the names their sentences need; the name of an
    author who chose anonymity is taken out (the sentence then reads "…")."""
    for notification in db.session.scalars(select(Notification).where(
            Notification.actor_id == user_id)):
        params = {key: value for key, value in (notification.params or {}).items()
                  if value != name}
        if params != notification.params:
            notification.params = params


def _reindex_credited_work(user_id: int) -> None:
    """The index holds authors' names: every published material the user is credited on is
    indexed again."""
    co_authored = select(MaterialCoAuthor.material_id).where(MaterialCoAuthor.user_id == user_id)
    for material_id in db.session.scalars(select(Material.id).where(
            or_(Material.owner_id == user_id, Material.id.in_(co_authored)),
            Material.status == MaterialStatus.PUBLISHED)):
        outbox.record_change("material", material_id)


def _tombstone(user: User, credit: Credit) -> None:
    user.email = tombstone_email(user.id)
    user.password_hash = UNUSABLE_PASSWORD
    user.session_token = new_session_token()
    user.locale = None
    user.last_login_at = None
    user.deleted_at = utcnow()
    if credit is Credit.ANONYMOUS:
        user.stored_name = ANONYMOUS_NAME
