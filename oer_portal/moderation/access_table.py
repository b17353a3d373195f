"""Who reaches what: one declarative table of role x channel x state.

The table is the portal's access rule written once, as data: for every role (a visitor, a
student, another teacher, the material's owner and co-author, a moderator, an admin), every
channel through which a material can be read or acted on (its page, history, files, search,
the API, OAI-PMH, feeds, …) and every state a material's version can be in (draft,
submitted, …, unpublished), it says what happens.  Two things are generated from it and from
nothing else, so they cannot drift apart:

- the parametrised tests (``tests/integration/test_access_table.py``), which build a portal
  with one material per state and make every cell's request;
- the moderators' documentation page (``/moderation/access``), which renders every cell.

The table reads as a default per group of channels, then the exceptions; a later rule wins
over an earlier one for the cells it names.  The policies (``materials.policy``,
``remix.policy``, ``proposals.policy``, ``moderation.reports``) decide at run time; this table
is what they must add up to.  Pure data: no database, no Flask request.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString


class Role(StrEnum):
    """Who asks, as seen from one material."""

    VISITOR = "visitor"
    STUDENT = "student"
    OTHER_TEACHER = "other_teacher"
    OWNER = "owner"
    CO_AUTHOR = "co_author"
    MODERATOR = "moderator"
    ADMIN = "admin"

    @property
    def label(self) -> LazyString:
        return ROLE_LABELS[self]


class Channel(StrEnum):
    """A way to read a material or to act on it."""

    PAGE = "page"
    HISTORY = "history"
    PERMALINK = "permalink"
    DIFF = "diff"
    FILE = "file"
    THUMBNAIL = "thumbnail"
    SEARCH = "search"
    FACETS = "facets"
    RELATED = "related"
    API = "api"
    OAI = "oai"
    FEEDS = "feeds"
    SITEMAP = "sitemap"
    EMBED = "embed"
    EXPORT = "export"
    REMIX = "remix"
    ARRANGE = "arrange"
    PROPOSE = "propose"
    REPORT = "report"

    @property
    def label(self) -> LazyString:
        return CHANNEL_LABELS[self]

    @property
    def address(self) -> str:
        """Where the channel is, as the documentation names it."""
        return CHANNEL_ADDRESSES[self]


class State(StrEnum):
    """Where the version in question stands (for "superseded": an older published version
    of a material that has a newer published one)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"
    UNPUBLISHED = "unpublished"

    @property
    def label(self) -> LazyString:
        return STATE_LABELS[self]


class Outcome(StrEnum):
    """What the asker gets.  Every outcome but ``SHOWN`` keeps the version's content out of
    the answer; on the acting channels it also changes nothing."""

    #: The content is there (200), or the action is done (a redirect to its result).
    SHOWN = "shown"
    #: An answer (200) without this version's content: a list it is not on, an OAI-PMH
    #: error or deleted record, the newer version's page.
    NOT_LISTED = "not_listed"
    #: 404: as if it did not exist (its existence does not leak).
    NOT_FOUND = "not_found"
    #: 410: a tombstone that says when and why, without the content.
    GONE = "gone"
    #: 403: the asker may never do this.
    FORBIDDEN = "forbidden"
    #: A redirect to the login page: signed-in users only.
    LOGIN = "login"
    #: The form comes back with the reason (400); nothing is stored.
    REFUSED = "refused"

    @property
    def label(self) -> LazyString:
        return OUTCOME_LABELS[self]

    @property
    def status(self) -> int:
        """The HTTP status of the answer (a redirect for ``SHOWN`` on acting channels)."""
        return OUTCOME_STATUS[self]


ROLE_LABELS = {
    Role.VISITOR: _l("Visitor (not signed in)"),
    Role.STUDENT: _l("Student"),
    Role.OTHER_TEACHER: _l("Another teacher"),
    Role.OWNER: _l("Owner"),
    Role.CO_AUTHOR: _l("Co-author"),
    Role.MODERATOR: _l("Moderator"),
    Role.ADMIN: _l("Admin"),
}
CHANNEL_LABELS = {
    Channel.PAGE: _l("Material page"),
    Channel.HISTORY: _l("History"),
    Channel.PERMALINK: _l("Version permalink"),
    Channel.DIFF: _l("Comparison (diff)"),
    Channel.FILE: _l("Attached file"),
    Channel.THUMBNAIL: _l("Thumbnail"),
    Channel.SEARCH: _l("Search results"),
    Channel.FACETS: _l("Facets and suggestions"),
    Channel.RELATED: _l("More like this"),
    Channel.API: _l("JSON API"),
    Channel.OAI: _l("OAI-PMH"),
    Channel.FEEDS: _l("Atom feeds"),
    Channel.SITEMAP: _l("Sitemap"),
    Channel.EMBED: _l("Embed"),
    Channel.EXPORT: _l("Export"),
    Channel.REMIX: _l("Remix"),
    Channel.ARRANGE: _l("Add to an arrangement"),
    Channel.PROPOSE: _l("Propose a change"),
    Channel.REPORT: _l("Report"),
}
CHANNEL_ADDRESSES = {
    Channel.PAGE: "/materials/<id>-<slug>",
    Channel.HISTORY: "/materials/<id>/history",
    Channel.PERMALINK: "/materials/<id>/v/<n>",
    Channel.DIFF: "/materials/<id>/diff?from=…&to=…",
    Channel.FILE: "/materials/<id>/files/<file>/<name>",
    Channel.THUMBNAIL: "/materials/<id>/files/<file>/thumbnail",
    Channel.SEARCH: "/search, /api/v1/search",
    Channel.FACETS: "/search (suggestion), /api/v1/search (facets)",
    Channel.RELATED: "/materials/<other id> (aside)",
    Channel.API: "/api/v1/materials/<id>/versions/<n>",
    Channel.OAI: "/oai?verb=GetRecord (oai_dc, lom)",
    Channel.FEEDS: "/feeds/materials.atom, /feeds/people/<owner>.atom",
    Channel.SITEMAP: "/sitemap.xml",
    Channel.EMBED: "/materials/<id>/embed",
    Channel.EXPORT: "/materials/<id>/export.zip?v=<n>",
    Channel.REMIX: "/materials/<id>/remix",
    Channel.ARRANGE: "/materials/new/arrangement",
    Channel.PROPOSE: "/materials/<id>/propose",
    Channel.REPORT: "/materials/<id>/report",
}
STATE_LABELS = {
    State.DRAFT: _l("Draft (a new version of a published material)"),
    State.SUBMITTED: _l("Submitted for review (a new version of a published material)"),
    State.CHANGES_REQUESTED: _l("Changes requested (never published)"),
    State.REJECTED: _l("Rejected (never published)"),
    State.PUBLISHED: _l("Published"),
    State.SUPERSEDED: _l("Superseded (an older published version)"),
    State.WITHDRAWN: _l("Withdrawn by its author"),
    State.UNPUBLISHED: _l("Taken offline by a moderator"),
}
OUTCOME_LABELS = {
    Outcome.SHOWN: _l("Shown / allowed"),
    Outcome.NOT_LISTED: _l("Not listed (answer without it)"),
    Outcome.NOT_FOUND: _l("Not found (404)"),
    Outcome.GONE: _l("Gone: tombstone (410)"),
    Outcome.FORBIDDEN: _l("Forbidden (403)"),
    Outcome.LOGIN: _l("Sign in first"),
    Outcome.REFUSED: _l("Refused with a reason (400)"),
}
OUTCOME_STATUS = {
    Outcome.SHOWN: 200, Outcome.NOT_LISTED: 200, Outcome.NOT_FOUND: 404, Outcome.GONE: 410,
    Outcome.FORBIDDEN: 403, Outcome.LOGIN: 302, Outcome.REFUSED: 400,
}

# -- Groups the rules speak of ----------------------------------------------------------------

ROLES = tuple(Role)
CHANNELS = tuple(Channel)
STATES = tuple(State)

AUTHORS = frozenset({Role.OWNER, Role.CO_AUTHOR})
STAFF = frozenset({Role.MODERATOR, Role.ADMIN})
#: Those who see what is not public: the material's authors, moderators and admins.
INSIDERS = AUTHORS | STAFF
#: Everyone else: what they see is what the public sees.
OUTSIDERS = frozenset({Role.VISITOR, Role.STUDENT, Role.OTHER_TEACHER})
SIGNED_IN = frozenset(ROLES) - {Role.VISITOR}
#: Teachers may write (and so remix and arrange); admins may too.
WRITERS = frozenset({Role.OTHER_TEACHER, Role.OWNER, Role.CO_AUTHOR, Role.ADMIN})

#: Versions the public never saw: new versions of a published material (the public keeps
#: seeing the published one meanwhile) and versions of a material never published.
NOT_PUBLIC = frozenset({State.DRAFT, State.SUBMITTED, State.CHANGES_REQUESTED,
                        State.REJECTED})
#: The draft and the submitted version are revisions: their material is published.
REVISIONS = frozenset({State.DRAFT, State.SUBMITTED})
#: Changes requested and rejected: the material itself was never published.
NEVER_PUBLISHED = NOT_PUBLIC - REVISIONS
TAKEN_DOWN = frozenset({State.WITHDRAWN, State.UNPUBLISHED})
EVER_PUBLIC = frozenset({State.PUBLISHED, State.SUPERSEDED})

#: A version's own content, read by whoever may see it.
READING = frozenset({Channel.PAGE, Channel.HISTORY, Channel.PERMALINK, Channel.DIFF,
                     Channel.FILE, Channel.THUMBNAIL, Channel.API, Channel.EXPORT})
#: Built from the search index or for machines and other sites: the public's view, whoever
#: asks (nobody's drafts are indexed, syndicated or harvested).
PUBLISHING = frozenset({Channel.SEARCH, Channel.FACETS, Channel.RELATED, Channel.OAI,
                        Channel.FEEDS, Channel.SITEMAP, Channel.EMBED})
#: Acting on a material: each writes something (a remix, an arrangement, a proposal, a
#: report).
ACTING = frozenset({Channel.REMIX, Channel.ARRANGE, Channel.PROPOSE, Channel.REPORT})


@dataclass(frozen=True)
class Rule:
    """``outcome`` for every cell of ``roles`` x ``channels`` x ``states``, because ``why``."""

    outcome: Outcome
    why: LazyString
    roles: frozenset[Role] = frozenset(ROLES)
    channels: frozenset[Channel] = frozenset(CHANNELS)
    states: frozenset[State] = frozenset(STATES)

    def covers(self, role: Role, channel: Channel, state: State) -> bool:
        return role in self.roles and channel in self.channels and state in self.states


def _rule(outcome: Outcome, why: LazyString, roles: Iterable[Role] = ROLES,
          channels: Iterable[Channel] = CHANNELS, states: Iterable[State] = STATES) -> Rule:
    return Rule(outcome, why, frozenset(roles), frozenset(channels), frozenset(states))


#: The table: defaults first, then exceptions; for each cell the LAST rule that covers it
#: decides.
RULES: tuple[Rule, ...] = (
    # -- Reading a version's own content ---------------------------------------------------
    _rule(Outcome.SHOWN, _l("Authors, moderators and admins see every version of the "
                            "material, whatever its state."), channels=READING),
    _rule(Outcome.NOT_FOUND, _l("Never published: only its authors, moderators and admins "
                                "know it exists; anyone else gets “not found”, so not even "
                                "its existence leaks."),
          roles=OUTSIDERS, channels=READING, states=NOT_PUBLIC),
    _rule(Outcome.NOT_LISTED, _l("The public keeps seeing the published version while a new "
                                 "one is written or reviewed: the history lists the "
                                 "published versions only."),
          roles=OUTSIDERS, channels={Channel.HISTORY}, states=REVISIONS),
    _rule(Outcome.NOT_LISTED, _l("The material page shows the published version to everyone, "
                                 "its authors too; the new version is at its permalink."),
          channels={Channel.PAGE}, states=REVISIONS),
    _rule(Outcome.SHOWN, _l("Published versions are public, older ones too (history, "
                            "permalinks, comparisons, files)."),
          roles=OUTSIDERS, channels=READING, states=EVER_PUBLIC),
    _rule(Outcome.NOT_LISTED, _l("The material page shows the newest published version; an "
                                 "older one is read at its permalink."),
          channels={Channel.PAGE}, states={State.SUPERSEDED}),
    _rule(Outcome.NOT_FOUND, _l("Taken down: its versions, files and exports are gone for "
                                "the public; authors, moderators and admins keep them."),
          roles=OUTSIDERS, channels=READING, states=TAKEN_DOWN),
    _rule(Outcome.GONE, _l("Taken down: the page and its history become a tombstone that "
                           "says when and why, without the content."),
          roles=OUTSIDERS, channels={Channel.PAGE, Channel.HISTORY}, states=TAKEN_DOWN),
    # -- Public channels: the public's view, whoever asks --------------------------------------
    _rule(Outcome.NOT_LISTED, _l("Only what is published now is indexed, syndicated, "
                                 "harvested and embedded: nobody's drafts, and no taken-down "
                                 "material (OAI-PMH marks it deleted)."),
          channels=PUBLISHING),
    _rule(Outcome.SHOWN, _l("Published: found, listed and harvested for everyone."),
          channels=PUBLISHING, states={State.PUBLISHED}),
    _rule(Outcome.SHOWN, _l("The material is listed by its address, which shows its newest "
                            "published version."),
          channels={Channel.SITEMAP, Channel.RELATED}, states=REVISIONS | {State.SUPERSEDED}),
    _rule(Outcome.NOT_FOUND, _l("The embed is the public's view, whoever asks: a material "
                                "that was never published is not found."),
          channels={Channel.EMBED}, states=NEVER_PUBLISHED),
    _rule(Outcome.GONE, _l("The embed of a taken-down material is a small tombstone."),
          channels={Channel.EMBED}, states=TAKEN_DOWN),
    # -- Acting on a material ----------------------------------------------------------------
    _rule(Outcome.LOGIN, _l("Acting needs an account: visitors are asked to sign in."),
          roles={Role.VISITOR}, channels=ACTING),
    _rule(Outcome.FORBIDDEN, _l("Only teachers (and admins) write materials: remixes and "
                                "arrangements are new materials."),
          roles={Role.STUDENT, Role.MODERATOR}, channels={Channel.REMIX, Channel.ARRANGE}),
    _rule(Outcome.SHOWN, _l("Any published version, an older one too, can be remixed by a "
                            "teacher (the licence permitting)."),
          roles=WRITERS, channels={Channel.REMIX}, states=EVER_PUBLIC),
    _rule(Outcome.FORBIDDEN, _l("Only what the public has seen can be remixed: never a "
                                "draft, a version under review or a rejected one, nor "
                                "anything of a taken-down material, not even by its authors."),
          roles=WRITERS, channels={Channel.REMIX}, states=NOT_PUBLIC | TAKEN_DOWN),
    _rule(Outcome.NOT_FOUND, _l("What someone cannot see is not found, before anything else "
                                "is asked."),
          roles={Role.STUDENT, Role.OTHER_TEACHER}, channels={Channel.REMIX},
          states=NEVER_PUBLISHED),
    _rule(Outcome.NOT_FOUND, _l("A teacher who may remix asks for a version they cannot see: "
                                "not found."),
          roles={Role.OTHER_TEACHER}, channels={Channel.REMIX}, states=REVISIONS),
    _rule(Outcome.SHOWN, _l("A teacher includes what they can see in a draft arrangement; "
                            "publishing it needs every included material to be public."),
          roles=WRITERS, channels={Channel.ARRANGE}),
    _rule(Outcome.REFUSED, _l("What a teacher cannot see, they cannot include."),
          roles={Role.OTHER_TEACHER}, channels={Channel.ARRANGE}, states=NOT_PUBLIC),
    _rule(Outcome.REFUSED, _l("A taken-down material cannot be included."),
          roles=WRITERS, channels={Channel.ARRANGE}, states=TAKEN_DOWN),
    _rule(Outcome.SHOWN, _l("A teacher who is not an author proposes a change to the "
                            "published version (whatever newer version waits); the authors "
                            "decide."),
          roles={Role.OTHER_TEACHER}, channels={Channel.PROPOSE},
          states=EVER_PUBLIC | REVISIONS),
    _rule(Outcome.FORBIDDEN, _l("Authors and admins edit instead of proposing; students and "
                                "moderators do not write."),
          roles=SIGNED_IN - {Role.OTHER_TEACHER}, channels={Channel.PROPOSE}),
    _rule(Outcome.NOT_FOUND, _l("Nothing published to propose a change to."),
          roles={Role.STUDENT, Role.OTHER_TEACHER}, channels={Channel.PROPOSE},
          states=NEVER_PUBLISHED),
    _rule(Outcome.FORBIDDEN, _l("A taken-down material takes no proposals."),
          roles={Role.OTHER_TEACHER}, channels={Channel.PROPOSE}, states=TAKEN_DOWN),
    _rule(Outcome.SHOWN, _l("Anyone signed in reports what the public sees now: the "
                            "published version of a material that is online."),
          roles=SIGNED_IN, channels={Channel.REPORT}, states=EVER_PUBLIC | REVISIONS),
    _rule(Outcome.NOT_FOUND, _l("Only what the public sees now can be reported."),
          roles=SIGNED_IN, channels={Channel.REPORT}, states=NEVER_PUBLISHED | TAKEN_DOWN),
)


@dataclass(frozen=True)
class Cell:
    role: Role
    channel: Channel
    state: State
    rule: Rule

    @property
    def outcome(self) -> Outcome:
        return self.rule.outcome


def rule_for(role: Role, channel: Channel, state: State) -> Rule:
    """The rule that decides the cell: the last one that covers it."""
    found = None
    for rule in RULES:
        if rule.covers(role, channel, state):
            found = rule
    if found is None:  # pragma: no cover - the first rules of each group cover everything
        raise LookupError(f"no rule for {role} x {channel} x {state}")
    return found


def cells() -> Iterator[Cell]:
    """Every cell of the table: role x channel x state, in the enums' order."""
    for channel in CHANNELS:
        for state in STATES:
            for role in ROLES:
                yield Cell(role, channel, state, rule_for(role, channel, state))


#: Channel groups for the documentation page (one table per group).
GROUPS: tuple[tuple[str, LazyString, tuple[Channel, ...]], ...] = (
    ("reading", _l("Reading a material"), tuple(c for c in CHANNELS if c in READING)),
    ("public", _l("Search, syndication and harvesting"),
     tuple(c for c in CHANNELS if c in PUBLISHING)),
    ("acting", _l("Acting on a material"), tuple(c for c in CHANNELS if c in ACTING)),
)
