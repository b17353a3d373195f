"""The access table itself: complete, without dead rules, labelled in every language, and
keeping the security baseline (what is not public is shown to nobody outside its authors
and staff) -- so a careless edit of the table is caught before its generated tests run."""

from __future__ import annotations

from collections import Counter

from oer_portal.moderation import access_table as table
from oer_portal.moderation.access_table import Channel, Outcome, Role, State


def test_every_cell_is_decided_once() -> None:
    cells = list(table.cells())
    assert len(cells) == len(Role) * len(Channel) * len(State) == 1064
    assert len({(c.role, c.channel, c.state) for c in cells}) == len(cells)


def test_every_rule_decides_some_cell() -> None:
    """A rule overridden everywhere by later ones is dead text on the moderators' page."""
    deciding = Counter(cell.rule for cell in table.cells())
    assert [rule.why for rule in table.RULES if deciding[rule] == 0] == []


def test_every_member_has_its_labels() -> None:
    assert set(table.ROLE_LABELS) == set(Role)
    assert set(table.CHANNEL_LABELS) == set(table.CHANNEL_ADDRESSES) == set(Channel)
    assert set(table.STATE_LABELS) == set(State)
    assert set(table.OUTCOME_LABELS) == set(table.OUTCOME_STATUS) == set(Outcome)
    assert {c for _key, _label, channels in table.GROUPS for c in channels} == set(Channel)


def test_what_is_not_public_is_shown_to_no_outsider() -> None:
    """Outside its authors and staff, a version the public may not see is shown nowhere.  The
    only cells that say "shown" list the *material* by its address (which shows its published
    version) or act on that published version."""
    hidden = table.NOT_PUBLIC | table.TAKEN_DOWN
    shown = {(c.channel, c.state) for c in table.cells()
             if c.role in table.OUTSIDERS and c.state in hidden and c.outcome == Outcome.SHOWN}
    assert shown == {(channel, state) for state in table.REVISIONS
                     for channel in (Channel.SITEMAP, Channel.RELATED, Channel.PROPOSE,
                                     Channel.REPORT)}


def test_search_and_syndication_are_the_same_for_everyone() -> None:
    """Public channels read the index and published versions only: no role sees more."""
    for channel in table.PUBLISHING:
        for state in State:
            assert len({table.rule_for(role, channel, state).outcome for role in Role}) == 1
