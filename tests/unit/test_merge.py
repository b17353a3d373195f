"""Three-way merge of material bodies: one-sided and identical changes merge, overlapping
different changes conflict with both versions kept, nothing is ever lost."""

from __future__ import annotations

from contextlib import AbstractContextManager
from unittest.mock import patch

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from oer_portal.materials.diff import engine
from oer_portal.materials.merge import ConflictRegion, MergeResult, merge3

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
        base="Oefening 2.", mine="Oefening 2, versie An.", theirs="Oefening 2, versie Bo.",
        line=7,
    ),)
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


def test_inserts_at_the_same_place_conflict_unless_equal():
    base = "a\nb\n"
    assert not merge3(base, "a\nmijn\nb\n", "a\nhun\nb\n").clean
    assert merge3(base, "a\nzelfde\nb\n", "a\nzelfde\nb\n").text == "a\nzelfde\nb\n"


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
    result = merge3("", "mijn\n", "hun\n")
    assert result.text == conflict("mijn\n", "hun\n")
    assert result.conflicts == (ConflictRegion("", "mijn", "hun", 1),)


def test_crlf_input_is_normalised_to_newlines():
    base = "a\r\nb\r\nc\r\n"
    mine = "a\r\nB\r\nc\r\n"
    theirs = "a\nb\nc\nd\n"
    assert merge3(base, mine, theirs) == MergeResult("a\nB\nc\nd\n")
    assert merge3("a\rb\r", "a\rb\r", "a\rc\r").text == "a\nc\n"


def test_labels_name_the_sides_on_one_line_each():
    result = merge3("a\n", "b\n", "c\n", labels=("An (concept)", "Bo\nop\r\nregels"))
    assert result.text == "<<<<<<< An (concept)\nb\n=======\nc\n>>>>>>> Bo op regels\n"


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
