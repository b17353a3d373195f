"""Three-way merge of material bodies: one-sided and identical changes merge, additions both
sides made at one place are both kept, overlapping different changes conflict with both
versions kept until a person resolves them, nothing is ever lost."""

from __future__ import annotations

from contextlib import AbstractContextManager
from unittest.mock import patch

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from oer_portal.materials.diff import engine
from oer_portal.materials.merge import (
    Choice,
    ConflictRegion,
    MergeResult,
    Resolution,
    merge3,
)

PROPERTY = settings(max_examples=80, deadline=None)

BASE = "# Breuken\n\nInleiding.\n\nOefening 1.\n\nOefening 2.\n\nAfsluiting.\n"


def conflict(mine: str, theirs: str) -> str:
    return f"<<<<<<< jouw versie\n{mine}=======\n{theirs}>>>>>>> huidige versie\n"


def test_changes_on_one_side_are_taken():
    mine = BASE.replace("Inleiding.", "Inleiding, uitgebreid.")
    theirs = BASE.replace("Afsluiting.", "Afsluiting met quiz.")
    result = merge3(BASE, mine, theirs)
    assert result == MergeResult(
        BASE.replace("Inleiding.", "Inleiding, uitgebreid.").replace(
            "Afsluiting.", "Afsluiting met quiz."
        ),
        (),
    )
    assert result.clean


def test_identical_changes_are_taken_once():
    both = BASE.replace("Oefening 1.", "Oefening 1 (makkelijk).")
    assert merge3(BASE, both, both) == MergeResult(both)
    added = BASE + "\nBijlage.\n"
    assert merge3(BASE, added, added).text == added


def test_different_changes_to_the_same_lines_conflict_with_both_versions():
    mine = BASE.replace("Oefening 2.", "Oefening 2, versie An.")
    theirs = BASE.replace("Oefening 2.", "Oefening 2, versie Bo.")
    result = merge3(BASE, mine, theirs)
    assert not result.clean
    assert result.text == BASE.replace(
        "Oefening 2.\n", conflict("Oefening 2, versie An.\n", "Oefening 2, versie Bo.\n")
    )
    assert result.conflicts == (ConflictRegion(
        base_lines=("Oefening 2.",), mine_lines=("Oefening 2, versie An.",),
        theirs_lines=("Oefening 2, versie Bo.",), line=7,
    ),)
    assert result.conflicts[0].mine == "Oefening 2, versie An."
    assert result.text.splitlines()[6] == "<<<<<<< jouw versie"


def test_conflicts_are_narrowed_to_the_lines_that_differ():
    base = "a\nb\nc\n"
    mine = "a\nX\nB1\nY\n"
    theirs = "a\nX\nB2\nY\n"
    result = merge3(base, mine, theirs)
    assert result.text == "a\nX\n" + conflict("B1\n", "B2\n") + "Y\n"
    assert result.conflicts[0].line == 3
    assert result.conflicts[0].base == "b\nc"


def test_every_conflict_knows_its_line_in_the_merged_text():
    base = "".join(f"r{n}\n" for n in range(10))
    mine = base.replace("r2\n", "m2\n").replace("r7\n", "m7\n")
    theirs = base.replace("r2\n", "t2\n").replace("r7\n", "t7\n")
    result = merge3(base, mine, theirs)
    lines = result.text.splitlines()
    assert [c.line for c in result.conflicts] == [3, 12]
    for region in result.conflicts:
        assert lines[region.line - 1] == "<<<<<<< jouw versie"
        assert lines[region.line] == region.mine
        assert lines[region.line + 2] == region.theirs


def test_deleting_what_the_other_side_edited_is_a_conflict():
    mine = BASE.replace("Oefening 1.\n\n", "")
    theirs = BASE.replace("Oefening 1.", "Oefening 1, verbeterd.")
    result = merge3(BASE, mine, theirs)
    assert not result.clean
    assert "Oefening 1, verbeterd." in result.text
    assert result.conflicts[0].theirs.startswith("Oefening 1, verbeterd.")
    reversed_result = merge3(BASE, theirs, mine)
    assert not reversed_result.clean
    assert "Oefening 1, verbeterd." in reversed_result.text


def test_both_sides_deleting_the_same_lines_is_clean():
    both = BASE.replace("Oefening 1.\n\n", "")
    theirs_also_edits = both.replace("Afsluiting.", "Einde.")
    assert merge3(BASE, both, theirs_also_edits) == MergeResult(theirs_also_edits)


def test_inserts_at_the_same_place_are_both_kept_the_first_saved_first():
    base = "a\nb\n"
    # A stale save: theirs is the head, saved first; my later addition follows it.
    assert merge3(base, "a\nmijn\nb\n", "a\nhun\nb\n") == MergeResult("a\nhun\nmijn\nb\n")
    # A pull: mine is the remix the teacher has; the original's addition follows it.
    assert merge3(base, "a\nmijn\nb\n", "a\nhun\nb\n", mine_first=True) == MergeResult(
        "a\nmijn\nhun\nb\n")
    assert merge3(base, "a\nzelfde\nb\n", "a\nzelfde\nb\n").text == "a\nzelfde\nb\n"


def test_two_sections_added_at_the_end_are_both_kept_whole():
    mine = BASE + "\n## Huiswerk\n\nMaak opgave 3.\n"
    theirs = BASE + "\n## Extra\n\nVoor wie klaar is.\n"
    result = merge3(BASE, mine, theirs, mine_first=True)
    # Each addition keeps the blank line it starts with: two sections, not one paragraph.
    assert result == MergeResult(BASE + "\n## Huiswerk\n\nMaak opgave 3.\n"
                                 "\n## Extra\n\nVoor wie klaar is.\n")


def test_paragraphs_added_at_one_place_stay_apart():
    base = "Een.\n\nTwee.\n"
    mine = "Een.\n\nMijn alinea.\n\nTwee.\n"
    theirs = "Een.\n\nHun alinea.\n\nTwee.\n"
    assert merge3(base, mine, theirs, mine_first=True).text == (
        "Een.\n\nMijn alinea.\n\nHun alinea.\n\nTwee.\n")


def test_an_addition_holding_the_other_at_its_ends_is_not_doubled():
    base = "a\nz\n"
    assert merge3(base, "a\nkop\nmeer\nz\n", "a\nkop\nz\n").text == "a\nkop\nmeer\nz\n"
    assert merge3(base, "a\nkop\nz\n", "a\nkop\nmidden\nstaart\nz\n"
                  ).text == "a\nkop\nmidden\nstaart\nz\n"
    assert merge3(base, "a\nkop\nstaart\nz\n", "a\nkop\nmidden\nstaart\nz\n"
                  ).text == "a\nkop\nmidden\nstaart\nz\n"


def test_an_addition_next_to_a_change_of_the_same_lines_is_still_a_conflict():
    base = "a\nb\nc\n"
    # Mine adds before b, theirs deletes b: not only additions there.
    assert not merge3(base, "a\nnieuw\nb\nc\n", "a\nc\n").clean
    # Mine adds before b, theirs changes b.
    assert not merge3(base, "a\nnieuw\nb\nc\n", "a\nB\nc\n").clean


def test_the_final_newline_merges_on_its_own():
    base = "a\nb\n"
    assert merge3(base, "a\nb", "a\nb\nc\n").text == "a\nb\nc"
    assert merge3(base, "a\nb\nc\n", "a\nb").text == "a\nb\nc"
    assert merge3("a\nb", "a\nb\n", "x\nb").text == "x\nb\n"
    assert merge3("a\nb", "a\nb\n", "a\nb\n").text == "a\nb\n"


def test_a_final_empty_line_keeps_its_newline():
    # Mine replaced the title by an empty line; theirs dropped the final newline.
    assert merge3("# Titel\n", "\n", "# Titel").text == "\n"
    assert merge3("a\nb\n", "a\n\n", "a\nb").text == "a\n\n"


def test_empty_texts():
    assert merge3("", "", "") == MergeResult("")
    assert merge3("", "nieuw\n", "").text == "nieuw\n"
    assert merge3("", "", "nieuw\n").text == "nieuw\n"
    assert merge3("weg\n", "", "weg\n").text == ""
    assert merge3("weg\n", "", "").text == ""
    assert merge3("", "mijn\n", "hun\n") == MergeResult("hun\nmijn\n")
    result = merge3("oud\n", "mijn\n", "hun\n")
    assert result.text == conflict("mijn\n", "hun\n")
    assert result.conflicts == (ConflictRegion(("oud",), ("mijn",), ("hun",), 1),)


def test_crlf_input_is_normalised_to_newlines():
    base = "a\r\nb\r\nc\r\n"
    mine = "a\r\nB\r\nc\r\n"
    theirs = "a\nb\nc\nd\n"
    assert merge3(base, mine, theirs) == MergeResult("a\nB\nc\nd\n")
    assert merge3("a\rb\r", "a\rb\r", "a\rc\r").text == "a\nc\n"


def test_labels_name_the_sides_on_one_line_each():
    result = merge3("a\n", "b\n", "c\n", labels=("An (concept)", "Bo\nop\r\nregels"))
    assert result.text == "<<<<<<< An (concept)\nb\n=======\nc\n>>>>>>> Bo op regels\n"


# -- resolving conflicts ------------------------------------------------------------------------

TWO_CONFLICTS = (
    "".join(f"r{n}\n" for n in range(12)),
    "".join(f"r{n}\n" for n in range(12)).replace("r2\n", "m2\n").replace("r9\n", "m9\n"),
    "".join(f"r{n}\n" for n in range(12)).replace("r2\n", "t2\n").replace("r9\n", "t9a\nt9b\n"),
)


def test_each_choice_replaces_its_conflict_and_leaves_no_markers():
    result = merge3(*TWO_CONFLICTS, mine_first=True)
    assert len(result.conflicts) == 2
    rows = [f"r{n}" for n in range(12)]

    def expect(second: list[str], first: list[str]) -> str:
        return "\n".join(rows[:2] + first + rows[3:9] + second + rows[10:]) + "\n"

    assert result.resolved([Resolution(Choice.MINE), Resolution(Choice.THEIRS)]) == expect(
        ["t9a", "t9b"], ["m2"])
    assert result.resolved([Resolution(Choice.BOTH), Resolution(Choice.MINE)]) == expect(
        ["m9"], ["m2", "t2"])
    own = Resolution(Choice.OWN, "eigen\r\ntekst\n")
    assert result.resolved([Resolution(Choice.THEIRS), own]) == expect(["eigen", "tekst"], ["t2"])
    # An empty text of one's own removes the passage's lines.
    assert result.resolved([Resolution(Choice.OWN, ""), Resolution(Choice.MINE)]) == expect(
        ["m9"], [])
    # Both, in the merge's order: theirs first where mine_first is not asked for.
    assert merge3(*TWO_CONFLICTS).resolved([Resolution(Choice.BOTH)] * 2) == expect(
        ["t9a", "t9b", "m9"], ["t2", "m2"])


def test_resolving_needs_one_decision_per_conflict():
    result = merge3(*TWO_CONFLICTS)
    with pytest.raises(ValueError, match="2 conflicts, 1 resolutions"):
        result.resolved([Resolution(Choice.MINE)])
    clean = merge3(BASE, BASE + "Extra.\n", BASE)
    assert clean.resolved([]) == clean.text


def test_resolving_keeps_the_merged_final_newline():
    result = merge3("a\nb", "a\nB", "a\nC")
    assert result.resolved([Resolution(Choice.MINE)]) == "a\nB"
    assert merge3("a\nb\n", "a\nB", "a\nC\n").resolved([Resolution(Choice.THEIRS)]) == "a\nC"
    # A passage resolved to an empty last line keeps that line.
    assert merge3("a\nb\n", "a\nB\n", "a\nC\n").resolved(
        [Resolution(Choice.OWN, "\n\n")]) == "a\n\n\n"


def test_passages_show_the_settled_text_around_each_conflict():
    first, second = merge3(*TWO_CONFLICTS).passages(context=3)
    assert (first.number, first.before, first.after) == (1, ("r0", "r1"), ("r3", "r4", "r5"))
    assert not first.more_before and first.more_after
    assert first.region.mine_lines == ("m2",)
    assert (second.before, second.after) == (("r6", "r7", "r8"), ("r10", "r11"))
    assert second.more_before and not second.more_after
    assert merge3(BASE, BASE, BASE).passages() == ()


def test_the_context_of_a_passage_skips_blank_lines():
    mine = BASE.replace("Oefening 2.", "Oefening 2, An.")
    theirs = BASE.replace("Oefening 2.", "Oefening 2, Bo.")
    (passage,) = merge3(BASE, mine, theirs).passages(context=2)
    assert passage.before == ("Inleiding.", "", "Oefening 1.", "")
    assert passage.after == ("", "Afsluiting.")
    assert passage.more_before and not passage.more_after
    (whole,) = merge3(BASE, mine, theirs).passages(context=9)
    assert whole.before[0] == "# Breuken" and not whole.more_before


# -- properties ---------------------------------------------------------------------------------

LINES = ["", "# Titel", "Tekst.", "- punt", "Tekst.", "<b>&amp;</b>", "   ", "=="]
text = st.builds(
    lambda lines, newline: "\n".join(lines) + ("\n" if newline and lines else ""),
    st.lists(st.sampled_from(LINES), max_size=12),
    st.booleans(),
)


def lines_of(value: str) -> list[str]:
    return value.splitlines()


@PROPERTY
@given(text, text)
def test_no_change_on_their_side_gives_mine(base, mine):
    assert merge3(base, mine, base) == MergeResult(mine)


@PROPERTY
@given(text, text)
def test_no_change_on_my_side_gives_theirs(base, theirs):
    assert merge3(base, base, theirs) == MergeResult(theirs)


@PROPERTY
@given(text, text)
def test_the_same_change_on_both_sides_is_taken_once(base, both):
    assert merge3(base, both, both) == MergeResult(both)


#: Whether the line matching may use SequenceMatcher directly (small texts always do) or must
#: take the path of long texts (unique anchors, then Myers or autojunk).
long_text_path = st.booleans()


def matching(long_path: bool) -> AbstractContextManager[object]:
    return patch.object(engine, "_DIRECT_LIMIT", 0 if long_path else engine._DIRECT_LIMIT)


@PROPERTY
@given(text, text, text, long_text_path)
def test_no_added_line_is_ever_lost(base, mine, theirs, long_path):
    with matching(long_path):
        result = merge3(base, mine, theirs)
    merged = set(lines_of(result.text))
    base_lines = set(lines_of(base))
    for line in lines_of(mine) + lines_of(theirs):
        if line not in base_lines:
            assert line in merged
    assert result.clean == (not any(
        line.startswith("<<<<<<< jouw versie") for line in lines_of(result.text)
    ))


@st.composite
def overlapping_edits(draw: st.DrawFn) -> tuple[str, str, str]:
    """A base of distinct lines and two different edits of overlapping line ranges (with
    repeated lines, an edit can be aligned elsewhere and merge cleanly, dropping a kept copy)."""
    base = [f"r{n}" for n in range(draw(st.integers(1, 10)))]
    start = draw(st.integers(0, len(base) - 1))
    end = draw(st.integers(start + 1, len(base)))
    mine_start = draw(st.integers(0, start))
    theirs_end = draw(st.integers(end, len(base)))
    mine_new = draw(st.lists(st.text("abc", min_size=1, max_size=3), min_size=1, max_size=3))
    theirs_new = draw(st.lists(st.text("xyz", min_size=1, max_size=3), min_size=1, max_size=3))
    mine = base[:mine_start] + [f"m{line}" for line in mine_new] + base[end:]
    theirs = base[:start] + [f"t{line}" for line in theirs_new] + base[theirs_end:]
    return tuple("\n".join(lines) + "\n" for lines in (base, mine, theirs))  # type: ignore[return-value]


@PROPERTY
@given(overlapping_edits(), long_text_path)
def test_a_conflicted_merge_contains_every_line_of_both_sides(edits, long_path):
    base, mine, theirs = edits
    with matching(long_path):
        result = merge3(base, mine, theirs)
    assert not result.clean
    merged = lines_of(result.text)
    for line in lines_of(mine) + lines_of(theirs):
        assert line in merged


@st.composite
def separated_edits(draw: st.DrawFn) -> tuple[str, str, str, str]:
    """A lesson of distinct paragraphs, an edit on each side well apart, and the text with
    both edits applied."""
    count = draw(st.integers(4, 12))
    paragraphs = [f"Alinea {n}." for n in range(count)]
    first = draw(st.integers(0, count - 4))
    second = draw(st.integers(first + 3, count - 1))

    def edit(kind: str, at: int, tag: str) -> list[str]:
        changed = list(paragraphs)
        if kind == "replace":
            changed[at] = f"Alinea {at}, {tag}."
        elif kind == "insert":
            changed.insert(at, f"Nieuw van {tag}.")
        else:
            del changed[at]
        return changed

    def body(items: list[str]) -> str:
        return "\n\n".join(items) + "\n"

    kinds = st.sampled_from(["replace", "insert", "delete"])
    mine_kind, theirs_kind = draw(kinds), draw(kinds)
    mine_first = draw(st.booleans())
    mine_at, theirs_at = (first, second) if mine_first else (second, first)
    mine = edit(mine_kind, mine_at, "mijn")
    theirs = edit(theirs_kind, theirs_at, "hun")
    # Apply the later edit first so the earlier index still points at the same paragraph.
    both = list(paragraphs)
    for kind, at, tag in sorted(
        [(mine_kind, mine_at, "mijn"), (theirs_kind, theirs_at, "hun")], key=lambda e: -e[1]
    ):
        if kind == "replace":
            both[at] = f"Alinea {at}, {tag}."
        elif kind == "insert":
            both.insert(at, f"Nieuw van {tag}.")
        else:
            del both[at]
    return body(paragraphs), body(mine), body(theirs), body(both)


@PROPERTY
@given(separated_edits(), long_text_path)
def test_edits_well_apart_merge_cleanly_with_both(edits, long_path):
    base, mine, theirs, expected = edits
    assume(mine != theirs)
    with matching(long_path):
        assert merge3(base, mine, theirs) == MergeResult(expected)


@st.composite
def additions_at_one_place(draw: st.DrawFn, shared: bool) -> tuple[list[str], ...]:
    """A base of distinct lines cut at one place, and two different additions there; with
    ``shared``, the additions may hold the same lines (blank lines, a heading) too."""
    base = [f"r{n}" for n in range(draw(st.integers(0, 8)))]
    at = draw(st.integers(0, len(base)))
    common = ["", "## Kop"] if shared else []
    mine_new = draw(st.lists(st.sampled_from(["m1", "m2", *common]), min_size=1, max_size=4))
    theirs_new = draw(st.lists(st.sampled_from(["t1", "t2", *common]), min_size=1,
                               max_size=4))
    assume(mine_new != theirs_new)
    return base[:at], mine_new, theirs_new, base[at:]


def joined(*parts: list[str]) -> str:
    lines = [line for part in parts for line in part]
    return "\n".join(lines) + "\n" if lines else ""


def merged_additions(edits: tuple[list[str], ...], long_path: bool,
                     mine_first: bool) -> MergeResult:
    before, mine_new, theirs_new, after = edits
    with matching(long_path):
        return merge3(joined(before, after), joined(before, mine_new, after),
                      joined(before, theirs_new, after), mine_first=mine_first)


@PROPERTY
@given(additions_at_one_place(shared=False), long_text_path, st.booleans())
def test_additions_at_one_place_are_both_kept_in_order(edits, long_path, mine_first):
    before, mine_new, theirs_new, after = edits
    result = merged_additions(edits, long_path, mine_first)
    first, second = (mine_new, theirs_new) if mine_first else (theirs_new, mine_new)
    assert result == MergeResult(joined(before, first, second, after))


@PROPERTY
@given(additions_at_one_place(shared=True), long_text_path, st.booleans())
def test_additions_sharing_lines_lose_none_of_them(edits, long_path, mine_first):
    before, mine_new, theirs_new, after = edits
    result = merged_additions(edits, long_path, mine_first)
    assert result.clean
    merged = lines_of(result.text)
    assert merged[:len(before)] == before and merged[len(merged) - len(after):] == after
    added = merged[len(before):len(merged) - len(after)]
    for line in set(mine_new + theirs_new):
        assert added.count(line) >= max(mine_new.count(line), theirs_new.count(line))


@PROPERTY
@given(text, text, text, long_text_path, st.booleans())
def test_nothing_added_is_lost_by_keeping_both(base, mine, theirs, long_path, mine_first):
    """Whatever the conflicts, resolving each with "both" keeps every line either side
    added; "mine" keeps mine's; neither leaves a marker; the order of additions loses
    nothing."""
    with matching(long_path):
        result = merge3(base, mine, theirs, mine_first=mine_first)
        other_order = merge3(base, mine, theirs, mine_first=not mine_first)
    assert sorted(lines_of(result.text)) == sorted(lines_of(other_order.text))
    base_lines = set(lines_of(base))
    both = lines_of(result.resolved([Resolution(Choice.BOTH)] * len(result.conflicts)))
    mine_kept = lines_of(result.resolved([Resolution(Choice.MINE)] * len(result.conflicts)))
    for line in lines_of(mine) + lines_of(theirs):
        if line not in base_lines:
            assert line in both
    for line in lines_of(mine):
        if line not in base_lines:
            assert line in mine_kept
    assert not any(line.startswith(("<<<<<<<", ">>>>>>>", "=======")) for line in both)
    if result.clean:
        assert result.resolved([]) == result.text
