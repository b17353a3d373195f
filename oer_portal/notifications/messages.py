"""How each kind of notification is worded: one sentence, an e-mail subject and the label of
its e-mail setting, in the language of whoever reads it.

A notification stores its kind and the names and numbers it needs (``params``), never text:
the same notification reads in Dutch on one device and in English in an e-mail to someone
who chose English.  The sentences are worked out when shown, with ``gettext`` in the locale
in force (a page's, or the one ``flask_babel.force_locale`` sets for an e-mail).

The params each kind uses, which every caller of ``service.notify`` passes:

====================================  ===========================================================
kind                                  params
====================================  ===========================================================
``review.approved``                   ``title`` (the version's), ``version`` (its number)
``review.changes_requested``          ``title``, ``version``
``review.rejected``                   ``title``, ``version``
``review.comment``                    ``title``
``review.resubmitted``                ``title``, ``version`` (the version submitted now)
``teacher.approved`` / ``.rejected``  none
``report.outcome``                    ``title`` (of the reported material), ``material_id``
                                      (the link goes to the material, not to the report),
                                      ``outcome`` (``dismissed``, ``unpublished``,
                                      ``reinstated``), ``to`` (``reporter`` or ``author``),
                                      ``reason`` (the public reason, or the note to the
                                      reporter of a dismissal; may be empty)
``upstream.changed``                  ``title`` (the remix's), ``source_title`` and ``version``
                                      (the original's new version)
``proposal.new`` / ``.accepted``      ``title`` (the material's), ``material_id`` (the link
                                      goes to the proposal's page on that material)
``proposal.declined``                 ``title``, ``material_id``, ``reason``
====================================  ===========================================================

The actor's name is not a param: it is read from the actor's account when shown (a renamed
moderator is shown by their new name).  A missing param reads as "…" and an unknown kind
(one added elsewhere before its sentence is) as a plain "You have a new notification.", so a
notification can never break the inbox.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext

from oer_portal.core.i18n import N_
from oer_portal.notifications.models import NotificationKind


@dataclass(frozen=True)
class Wording:
    """The message ids of one kind (``%(name)s`` placeholders are params or ``actor``)."""

    sentence: str
    subject: str
    #: The label of its e-mail setting on the profile page ("Send me an e-mail when …").
    setting: str
    #: Whose name stands in for an actor who is unknown or whose account is gone.
    someone: str
    #: Whether it is e-mailed to someone who never chose.
    email_by_default: bool


A_MODERATOR = N_("A moderator")

WORDINGS: dict[NotificationKind, Wording] = {
    NotificationKind.REVIEW_APPROVED: Wording(
        N_("%(actor)s approved version %(version)s of “%(title)s”."),
        N_("Published: “%(title)s”"),
        N_("A moderator approves my material"), A_MODERATOR, True),
    NotificationKind.REVIEW_CHANGES_REQUESTED: Wording(
        N_("%(actor)s asked for changes to version %(version)s of “%(title)s”."),
        N_("Changes asked for: “%(title)s”"),
        N_("A moderator asks for changes to my material"), A_MODERATOR, True),
    NotificationKind.REVIEW_REJECTED: Wording(
        N_("%(actor)s rejected version %(version)s of “%(title)s”."),
        N_("Not published: “%(title)s”"),
        N_("A moderator rejects my material"), A_MODERATOR, True),
    NotificationKind.REVIEW_COMMENT: Wording(
        N_("%(actor)s commented on the review of “%(title)s”."),
        N_("New comment on the review of “%(title)s”"),
        N_("Someone comments on a review I take part in"), N_("Someone"), True),
    # To the moderators who asked for changes (or wrote in the conversation): the answer
    # they wait for, so on by default.
    NotificationKind.REVIEW_RESUBMITTED: Wording(
        N_("%(actor)s submitted version %(version)s of “%(title)s”: the review you took part "
           "in continues."),
        N_("New version to review: “%(title)s”"),
        N_("An author submits a new version in a review I took part in"), N_("An author"),
        True),
    NotificationKind.TEACHER_APPROVED: Wording(
        N_("%(actor)s approved your request for the teacher role."),
        N_("You are now a teacher on the portal"),
        N_("My request for the teacher role is approved"), N_("An administrator"), True),
    NotificationKind.TEACHER_REJECTED: Wording(
        N_("%(actor)s rejected your request for the teacher role."),
        N_("Your request for the teacher role was rejected"),
        N_("My request for the teacher role is rejected"), N_("An administrator"), True),
    # On by default: a report is rare and the reporter started it; without an e-mail they
    # would hardly come back to learn what became of it.
    NotificationKind.REPORT_OUTCOME: Wording(
        N_("%(actor)s dealt with your report about “%(title)s”."),
        N_("Your report about “%(title)s” has been dealt with"),
        N_("A report I made has been dealt with"), A_MODERATOR, True),
    # Off by default: every new version of every original of every remix would mail its
    # owners, nothing waits on them, and the dashboard and the remix's page already show the
    # upstream notice; the inbox keeps it.
    NotificationKind.UPSTREAM_CHANGED: Wording(
        N_("The original of your remix “%(title)s” has a new version: version %(version)s of "
           "“%(source_title)s”."),
        N_("New version of the original of “%(title)s”"),
        N_("The original of one of my remixes has a new version"), N_("Someone"), False),
    # A proposal waits on its material's authors, and its proposer waits on their answer.
    NotificationKind.PROPOSAL_NEW: Wording(
        N_("%(actor)s proposed a change to your material “%(title)s”."),
        N_("Change proposed: “%(title)s”"),
        N_("Someone proposes a change to my material"), N_("A teacher"), True),
    NotificationKind.PROPOSAL_ACCEPTED: Wording(
        N_("%(actor)s accepted your proposed change to “%(title)s”: it goes to a moderator "
           "with the next version."),
        N_("Your proposed change was accepted: “%(title)s”"),
        N_("An author accepts a change I proposed"), N_("An author"), True),
    NotificationKind.PROPOSAL_DECLINED: Wording(
        N_("%(actor)s declined your proposed change to “%(title)s”: %(reason)s"),
        N_("Your proposed change was declined: “%(title)s”"),
        N_("An author declines a change I proposed"), N_("An author"), True),
}

#: ``report.outcome`` says what happened and speaks to the reporter or to the authors
#: (``outcome`` and ``to`` params; "dismissed" with a note reads with it): sentence and
#: subject per case.  The authors are never told who reported, nor the note that answers
#: the reporter of a dismissal.
#: A notification without these params (or one stored before they existed) reads as the
#: kind's own wording above.
OUTCOMES: dict[tuple[str, str], tuple[str, str]] = {
    ("dismissed", "reporter"): (
        N_("%(actor)s looked at your report about “%(title)s”: the material stays online."),
        N_("Your report about “%(title)s”: the material stays online")),
    ("dismissed+reason", "reporter"): (
        N_("%(actor)s looked at your report about “%(title)s”: the material stays online. "
           "%(reason)s"),
        N_("Your report about “%(title)s”: the material stays online")),
    # The authors hear that their material was reported and stays online, without the
    # note (it answers the reporter) and never who reported it.
    ("dismissed", "author"): (
        N_("%(actor)s looked at a report about your material “%(title)s”: it stays online and "
           "nothing needs to change."),
        N_("A report about “%(title)s”: your material stays online")),
    ("unpublished", "reporter"): (
        N_("%(actor)s took “%(title)s”, which you reported, offline: %(reason)s"),
        N_("Your report about “%(title)s”: the material is offline")),
    ("unpublished", "author"): (
        N_("%(actor)s took your material “%(title)s” offline: %(reason)s"),
        N_("Your material “%(title)s” has been taken offline")),
    ("reinstated", "reporter"): (
        N_("%(actor)s put “%(title)s”, which you reported, back online."),
        N_("“%(title)s” is back online")),
    ("reinstated", "author"): (
        N_("%(actor)s put your material “%(title)s” back online."),
        N_("Your material “%(title)s” is back online")),
}

UNKNOWN_KIND = N_("You have a new notification.")
UNKNOWN_SUBJECT = N_("New notification")


class _Params(dict[str, Any]):
    """Params as the sentences use them: a missing one reads as "…" instead of failing."""

    def __missing__(self, key: str) -> str:
        return "…"


def wording(kind: str) -> Wording | None:
    try:
        return WORDINGS[NotificationKind(kind)]
    except (ValueError, KeyError):
        return None


def _outcome(kind: str, params: Mapping[str, Any]) -> tuple[str, str] | None:
    """A report's outcome's own sentence and subject, when the params name one."""
    if kind != NotificationKind.REPORT_OUTCOME:
        return None
    outcome = str(params.get("outcome", ""))
    if outcome == "dismissed" and params.get("reason"):
        outcome = "dismissed+reason"
    return OUTCOMES.get((outcome, str(params.get("to", ""))))


def sentence(kind: str, params: Mapping[str, Any], actor_name: str | None) -> str:
    """The notification as one sentence in the current locale."""
    found = wording(kind)
    if found is None:
        return gettext(UNKNOWN_KIND)
    values = _Params(params)
    values["actor"] = actor_name or gettext(found.someone)
    outcome = _outcome(kind, params)
    return gettext(outcome[0] if outcome else found.sentence) % values


def subject(kind: str, params: Mapping[str, Any]) -> str:
    """The subject of the notification's e-mail in the current locale."""
    found = wording(kind)
    if found is None:
        return gettext(UNKNOWN_SUBJECT)
    outcome = _outcome(kind, params)
    return gettext(outcome[1] if outcome else found.subject) % _Params(params)


def email_by_default(kind: str) -> bool:
    found = wording(kind)
    return found.email_by_default if found is not None else False
