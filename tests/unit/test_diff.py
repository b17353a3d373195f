"""Word diffs of material versions: lossless, escaped, line-aligned, fast on long bodies."""

from __future__ import annotations

import html
import itertools
import random
import re
import time
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from oer_portal.materials.diff import (
    DiffStats,
    FieldChange,
    Gap,
    Segment,
    SideBySideRow,
    engine,
    matching_blocks,
    metadata_changes,
    render_inline,
    side_by_side,
    split_lines,
    stats,
    word_diff,
)

PROPERTY = settings(max_examples=80, deadline=None)

#: Pieces that collide often (so diffs have both equal and changed runs) and that need escaping.
PIECES = ["de", "kat", "zat", "op", "mat", " ", "  ", "\n", "\n\n", ".", ",", "<script>",
          "</b>", "&amp;", "&", '"', "'", "é", "\t", "\r\n", "#", "- "]
related_text = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)
any_text = st.text(max_size=60)

#: The only tags the renderers write.
MARKS = re.compile(r'<(?:del|ins) class="diff-(?:del|ins)(?: diff-eol)?">|</(?:del|ins)>')
EOL = re.compile(r'<(del|ins) class="diff-(?:del|ins) diff-eol">\u21b5</\1>')


def old_of(segments: list[Segment]) -> str:
    return "".join(s.text for s in segments if s.kind != "insert")


def new_of(segments: list[Segment]) -> str:
    return "".join(s.text for s in segments if s.kind != "delete")


def text_of(markup: str) -> str:
    """What a reader sees, without the marks."""
    return html.unescape(MARKS.sub("", EOL.sub("", markup)))


# -- word_diff ----------------------------------------------------------------------------------


def test_a_changed_word_is_deleted_and_inserted_in_place():
    assert word_diff("de kat zat op de mat", "de hond zat op de mat") == [
        Segment("equal", "de "),
        Segment("delete", "kat"),
        Segment("insert", "hond"),
        Segment("equal", " zat op de mat"),
    ]


def test_spaces_between_changed_words_join_the_change():
    assert word_diff("the quick brown fox", "the slow red fox") == [
        Segment("equal", "the "),
        Segment("delete", "quick brown"),
        Segment("insert", "slow red"),
        Segment("equal", " fox"),
    ]


def test_punctuation_is_a_token_of_its_own():
    assert word_diff("Klaar.", "Klaar!") == [
        Segment("equal", "Klaar"), Segment("delete", "."), Segment("insert", "!"),
    ]


def test_lines_keep_their_structure():
    old = "# Titel\n\nEerste alinea.\n\nTweede alinea.\n"
    new = "# Titel\n\nEerste alinea, herschreven.\n\nTweede alinea.\n"
    assert word_diff(old, new) == [
        Segment("equal", "# Titel\n\nEerste alinea"),
        Segment("insert", ", herschreven"),
        Segment("equal", ".\n\nTweede alinea.\n"),
    ]


def test_an_added_final_newline_is_a_change():
    assert word_diff("a\nb", "a\nb\n") == [Segment("equal", "a\nb"), Segment("insert", "\n")]


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("", "", []),
    ("", "nieuw", [Segment("insert", "nieuw")]),
    ("oud", "", [Segment("delete", "oud")]),
    ("zelfde\n", "zelfde\n", [Segment("equal", "zelfde\n")]),
])
def test_empty_and_identical_texts(old, new, expected):
    assert word_diff(old, new) == expected


def _assert_well_formed(segments: list[Segment], old: str, new: str) -> None:
    assert old_of(segments) == old
    assert new_of(segments) == new
    assert all(s.text for s in segments)
    assert all(a.kind != b.kind for a, b in itertools.pairwise(segments))
    # A change is written as its deletion, then its insertion.
    assert all(not (a.kind == "insert" and b.kind == "delete")
               for a, b in itertools.pairwise(segments))


@PROPERTY
@given(related_text, related_text)
def test_segments_join_back_into_both_versions(old, new):
    _assert_well_formed(word_diff(old, new), old, new)


@PROPERTY
@given(any_text, any_text)
def test_segments_join_back_into_both_versions_for_any_text(old, new):
    _assert_well_formed(word_diff(old, new), old, new)


@PROPERTY
@given(related_text)
def test_identical_versions_have_no_change(text):
    assert all(s.kind == "equal" for s in word_diff(text, text))


def _lesson(rng: random.Random, words: int) -> list[list[str]]:
    vocabulary = [f"w{n}" for n in range(3000)] + ["de", "het", "een", "en", "van"] * 200
    paragraphs = []
    while words > 0:
        size = min(words, rng.randint(40, 120))
        paragraphs.append([rng.choice(vocabulary) for _ in range(size)])
        words -= size
    return paragraphs


def _edit(rng: random.Random, paragraphs: list[list[str]], places: int) -> list[list[str]]:
    edited = [list(p) for p in paragraphs]
    for _ in range(places):
        paragraph = rng.choice(edited)
        at = rng.randrange(len(paragraph))
        match rng.randrange(3):
            case 0:
                paragraph[at] = "gewijzigd"
            case 1:
                paragraph.insert(at, "nieuw ingevoegd")
            case _:
                del paragraph[at]
    return edited


def _body(paragraphs: list[list[str]], separator: str = "\n\n") -> str:
    return separator.join(" ".join(p) + "." for p in paragraphs) + "\n"


@pytest.mark.parametrize("separator", ["\n\n", " "], ids=["paragraphs", "one-line"])
def test_long_bodies_diff_quickly(separator):
    """20,000 words, 50 edits: guards against the quadratic worst case of SequenceMatcher.
    Ten times the words may cost about ten times the time, never a hundred (measured in the
    same run, so a busy machine slows both alike)."""
    def diffed(words: int, edits: int) -> tuple[float, list, list, str, str]:
        rng = random.Random(7)
        paragraphs = _lesson(rng, words)
        old, new = _body(paragraphs, separator), _body(_edit(rng, paragraphs, edits), separator)
        started = time.perf_counter()
        segments = word_diff(old, new)
        rows = side_by_side(old, new)
        return time.perf_counter() - started, segments, rows, old, new

    small = min(diffed(2_000, 5)[0] for _ in range(3))
    elapsed, segments, rows, old, new = diffed(20_000, 50)
    _assert_well_formed(segments, old, new)
    assert 0 < stats(segments).words_removed < 200
    assert any(isinstance(row, Gap) for row in rows) == (separator != " ")
    assert elapsed < 40 * max(small, 0.001)


# -- matching_blocks ----------------------------------------------------------------------------


@PROPERTY
@given(st.lists(st.integers(0, 5), max_size=400), st.lists(st.integers(0, 5), max_size=400))
def test_matching_blocks_are_real_ordered_matches(a, b):
    blocks = matching_blocks(a, b)
    assert blocks[-1] == (len(a), len(b), 0)
    previous_i = previous_j = 0
    for i, j, size in blocks:
        assert i >= previous_i and j >= previous_j
        assert a[i:i + size] == b[j:j + size]
        previous_i, previous_j = i + size, j + size


@PROPERTY
@given(st.lists(st.integers(0, 5), max_size=60), st.lists(st.integers(0, 5), max_size=60),
       st.sampled_from([0, 10**9]))
def test_matching_blocks_are_real_matches_on_every_path(a, b, myers_budget):
    """With no range small enough for SequenceMatcher, the anchor, Myers and autojunk paths
    run on small inputs too."""
    with patch.object(engine, "_DIRECT_LIMIT", 0), \
            patch.object(engine, "_MYERS_BUDGET", myers_budget):
        blocks = matching_blocks(a, b)
    assert blocks[-1] == (len(a), len(b), 0)
    previous_i = previous_j = 0
    for i, j, size in blocks:
        assert i >= previous_i and j >= previous_j
        assert a[i:i + size] == b[j:j + size]
        previous_i, previous_j = i + size, j + size


def _lcs_length(a: list[int], b: list[int]) -> int:
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


@PROPERTY
@given(st.lists(st.integers(0, 3), min_size=1, max_size=30),
       st.lists(st.integers(0, 3), min_size=1, max_size=30))
def test_myers_finds_a_longest_common_subsequence(a, b):
    matches = engine._myers_matches(a, 0, len(a), b, 0, len(b))
    assert matches is not None
    assert all(a[i] == b[j] for i, j, _ in matches)
    assert sum(size for _, _, size in matches) == _lcs_length(a, b)


def test_repetitive_text_without_anchors_still_gets_a_short_diff():
    old = "de " * 5000
    new = old[:3000] + "het " + old[3000:9000] + "een " + old[9000:]
    segments = word_diff(old, new)
    _assert_well_formed(segments, old, new)
    assert stats(segments) == DiffStats(words_added=2, words_removed=0)


def test_large_ranges_are_cut_at_unique_anchors():
    a = [f"x{n}" for n in range(1000)]
    b = [*a[:300], "nieuw", *a[301:700], *a[701:]]
    assert matching_blocks(a, b) == [(0, 0, 300), (301, 301, 399), (701, 700, 299),
                                     (1000, 999, 0)]


def test_lines_end_only_at_newlines():
    assert split_lines("a\r\nb\x0cc\n\nd") == ["a\r\n", "b\x0cc\n", "\n", "d"]
    assert split_lines("") == []


# -- render_inline ------------------------------------------------------------------------------


def test_inline_rendering_marks_changes_and_escapes_everything():
    rendered = render_inline(word_diff(
        'Zie <b>dit</b> & "dat"\n', 'Zie <script>alert(1)</script> & \'dat\'\n'
    ))
    assert isinstance(rendered, Markup)
    assert "<script>" not in rendered and "<b>" not in rendered
    assert rendered.startswith(
        'Zie &lt;<del class="diff-del">b</del><ins class="diff-ins">script</ins>&gt;'
        '<del class="diff-del">dit</del><ins class="diff-ins">alert(1)</ins>&lt;/'
    )
    assert "&amp;" in rendered and "&#34;" in rendered and "&#39;" in rendered


def test_inline_rendering_keeps_newlines():
    assert render_inline([Segment("equal", "a\n"), Segment("insert", "b\n")]) == (
        'a\n<ins class="diff-ins">b\n</ins>'
    )


@PROPERTY
@given(related_text, related_text)
def test_inline_rendering_has_no_tag_from_the_input(old, new):
    segments = word_diff(old, new)
    rendered = str(render_inline(segments))
    assert "<" not in MARKS.sub("", rendered)
    assert text_of(rendered) == "".join(s.text for s in segments)


# -- side_by_side -------------------------------------------------------------------------------


def test_changed_lines_are_marked_word_by_word_beside_each_other():
    rows = side_by_side("a\nde kat <zat>\nb\n", "a\nde hond <zat>\nb\n", context=None)
    assert rows == [
        SideBySideRow(1, Markup("a"), 1, Markup("a"), "equal"),
        SideBySideRow(
            2, Markup('de <del class="diff-del">kat</del> &lt;zat&gt;'),
            2, Markup('de <ins class="diff-ins">hond</ins> &lt;zat&gt;'),
            "change",
        ),
        SideBySideRow(3, Markup("b"), 3, Markup("b"), "equal"),
    ]


def test_added_and_removed_lines_get_rows_of_their_own():
    rows = side_by_side("een\ntwee\n", "een\ntwee\ndrie\nvier\n", context=None)
    assert [(r.left_number, r.right_number, r.kind) for r in rows] == [
        (1, 1, "equal"), (2, 2, "equal"), (None, 3, "insert"), (None, 4, "insert"),
    ]
    assert rows[2].right_html == Markup('<ins class="diff-ins">drie</ins>')
    assert rows[2].left_html == Markup("")
    rows = side_by_side("een\ntwee\n", "twee\n", context=None)
    assert [(r.left_number, r.right_number, r.kind) for r in rows] == [
        (1, None, "delete"), (2, 1, "equal"),
    ]


def test_a_split_line_shows_the_new_line_break():
    rows = side_by_side("een twee\n", "een\ntwee\n")
    assert rows == [
        SideBySideRow(1, Markup('een<del class="diff-del"> </del>twee'), 1,
                      Markup('een<ins class="diff-ins diff-eol">\u21b5</ins>'), "change"),
        SideBySideRow(None, Markup(""), 2, Markup("twee"), "insert"),
    ]


def test_a_dropped_final_newline_is_visible():
    rows = side_by_side("a\nb\n", "a\nb")
    assert rows[-1] == SideBySideRow(
        2, Markup('b<del class="diff-del diff-eol">\u21b5</del>'), 2, Markup("b"), "change"
    )


def test_long_unchanged_stretches_fold_into_gaps():
    old = "".join(f"regel {n}\n" for n in range(1, 31))
    new = old.replace("regel 10\n", "regel tien\n").replace("regel 25\n", "regel 25b\n")
    rows = side_by_side(old, new, context=2)
    shape = [row if isinstance(row, Gap) else row.left_number for row in rows]
    # 9 lines before the first change (keep 2), 14 between (keep 2 + 2), 5 after (keep 2).
    assert shape == [Gap(7), 8, 9, 10, 11, 12, Gap(10), 23, 24, 25, 26, 27, Gap(3)]


def test_short_unchanged_stretches_are_not_folded():
    old = "a\nb\nc\nd\ne\nf\ng\n"
    new = "A\nb\nc\nd\ne\nf\nG\n"
    rows = side_by_side(old, new, context=3)  # 5 lines between two changes: <= 2 * 3
    assert not any(isinstance(row, Gap) for row in rows)
    assert len(rows) == 7


def test_identical_texts_fold_to_a_single_gap_or_show_everything():
    assert side_by_side("a\nb\n", "a\nb\n") == [Gap(2)]
    assert [row.kind for row in side_by_side("a\nb\n", "a\nb\n", context=None)] == [
        "equal", "equal",
    ]
    assert side_by_side("", "") == []


def test_negative_context_is_refused():
    with pytest.raises(ValueError, match="context"):
        side_by_side("a", "b", context=-1)


@PROPERTY
@given(related_text, related_text)
def test_side_by_side_shows_every_line_of_both_versions_in_order(old, new):
    rows = side_by_side(old, new, context=None)
    assert all(isinstance(row, SideBySideRow) for row in rows)
    left = [row for row in rows if row.left_number is not None]
    right = [row for row in rows if row.right_number is not None]
    assert [row.left_number for row in left] == list(range(1, len(split_lines(old)) + 1))
    assert [row.right_number for row in right] == list(range(1, len(split_lines(new)) + 1))
    assert [text_of(row.left_html) for row in left] == [
        line.removesuffix("\n") for line in split_lines(old)
    ]
    assert [text_of(row.right_html) for row in right] == [
        line.removesuffix("\n") for line in split_lines(new)
    ]
    for row in rows:
        assert "<" not in MARKS.sub("", row.left_html + row.right_html)


@PROPERTY
@given(related_text, related_text, st.integers(0, 4))
def test_folding_only_hides_unchanged_lines(old, new, context):
    full = side_by_side(old, new, context=None)
    folded = side_by_side(old, new, context=context)
    assert [r for r in folded if isinstance(r, SideBySideRow) and r.kind != "equal"] == [
        r for r in full if isinstance(r, SideBySideRow) and r.kind != "equal"
    ]
    shown = sum(1 for r in folded if isinstance(r, SideBySideRow))
    hidden = sum(r.skipped_lines for r in folded if isinstance(r, Gap))
    assert shown + hidden == len(full)
    assert all(r.skipped_lines > 0 for r in folded if isinstance(r, Gap))


# -- metadata_changes ---------------------------------------------------------------------------


def test_changed_fields_only_alphabetically():
    old = {"title": "Breuken", "level": "vo", "language": "nl"}
    new = {"title": "Breuken oefenen", "level": "vo", "language": "nl", "duration": 45}
    assert metadata_changes(old, new) == [
        FieldChange("duration", None, 45),
        FieldChange("title", "Breuken", "Breuken oefenen"),
    ]


def test_the_callers_order_comes_first():
    old = {"a": 1, "b": 1, "c": 1}
    new = {"a": 2, "b": 2, "c": 2}
    assert [c.field for c in metadata_changes(old, new, order=["c", "x", "a"])] == [
        "c", "a", "b",
    ]


def test_list_fields_name_the_items_added_and_removed():
    change = metadata_changes(
        {"keywords": ["breuken", "rekenen", "groep 6"]},
        {"keywords": ["rekenen", "groep 7", "breuken", "oefenen"]},
    )
    assert change == [FieldChange(
        "keywords", ["breuken", "rekenen", "groep 6"], ["rekenen", "groep 7", "breuken", "oefenen"],
        added=("groep 7", "oefenen"), removed=("groep 6",),
    )]


def test_sets_ignore_order_and_report_sorted_items():
    assert metadata_changes({"s": {"b", "a"}}, {"s": {"a", "b"}}) == []
    assert metadata_changes({"s": {"a"}}, {"s": frozenset({"c", "b", "a"})})[0].added == (
        "b", "c",
    )


def test_a_reordered_list_is_a_change_without_added_or_removed_items():
    assert metadata_changes({"authors": ["An", "Bo"]}, {"authors": ["Bo", "An"]}) == [
        FieldChange("authors", ["An", "Bo"], ["Bo", "An"]),
    ]


def test_missing_and_empty_collections_are_the_same_and_tuples_equal_lists():
    assert metadata_changes({"subjects": []}, {}) == []
    assert metadata_changes({"subjects": ("a", "b")}, {"subjects": ["a", "b"]}) == []
    assert metadata_changes({}, {"subjects": ["a"]}) == [
        FieldChange("subjects", None, ["a"], added=("a",)),
    ]


def test_unhashable_items_and_duplicates_are_compared_by_value():
    old = {"authors": [{"name": "An"}, {"name": "Bo"}, {"name": "Bo"}]}
    new = {"authors": [{"name": "Bo"}, {"name": "Cas"}]}
    change = metadata_changes(old, new)[0]
    assert change.added == ({"name": "Cas"},)
    assert change.removed == ({"name": "An"}, {"name": "Bo"})


def test_a_value_turning_into_a_list_is_a_plain_change():
    assert metadata_changes({"level": "vo"}, {"level": ["vo"]}) == [
        FieldChange("level", "vo", ["vo"]),
    ]


# -- stats --------------------------------------------------------------------------------------


def test_stats_count_words_not_spaces_or_punctuation():
    segments = word_diff("de kat zat, op de mat.", "de hond en de kat zaten op de mat!")
    assert stats(segments) == DiffStats(words_added=4, words_removed=1)
    assert stats([]) == DiffStats(0, 0)
