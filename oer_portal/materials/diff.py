"""Word-level diffs of material versions, for teachers comparing any two versions.

Bodies are compared line by line first and word by word only inside the changed line blocks:
the Markdown structure (its lines) survives, and a 20,000-word lesson with a few dozen edits
diffs in a fraction of a second.  Everything here is pure: no Flask, no database.

Rendering escapes every character that came from the input; bodies are user Markdown and may
hold ``<script>``.  The only tags in the output are the ``<del>``/``<ins>`` marks made here.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

from markupsafe import Markup, escape

SegmentKind = Literal["equal", "insert", "delete"]
RowKind = Literal["equal", "change", "insert", "delete"]
Match = tuple[int, int, int]
Opcode = tuple[str, int, int, int, int]

#: Words, runs of whitespace other than newlines, single newlines and single other characters;
#: the alternatives cover every character, so the tokens always join back into the text.
_TOKEN = re.compile(r"\w+|\n|[^\S\n]+|[^\w\s]")
_WORD = re.compile(r"\w+")
_BLANK = re.compile(r"[^\S\n]+")

#: Ranges with more cells than this (len(a) * len(b)) are first cut at elements unique to both
#: sides: SequenceMatcher without autojunk goes quadratic on common tokens such as spaces.
_DIRECT_LIMIT = 40_000
#: Steps Myers' diff may take on a large range without anchors before it gives up: at worst
#: about 0.2 s and 6 MB (two unrelated 20,000-word texts of three distinct words).
_MYERS_BUDGET = 1_000_000

_DEL = Markup('<del class="diff-del">{}</del>')
_INS = Markup('<ins class="diff-ins">{}</ins>')
#: Shown where a change is only a line break (a joined or split line, or a final newline), which
#: would otherwise be invisible in a side-by-side cell.
_EOL_DEL = Markup('<del class="diff-del diff-eol">\u21b5</del>')
_EOL_INS = Markup('<ins class="diff-ins diff-eol">\u21b5</ins>')


@dataclass(frozen=True)
class Segment:
    """A run of text that is unchanged, only in the new version, or only in the old one."""

    kind: SegmentKind
    text: str


@dataclass(frozen=True)
class SideBySideRow:
    """One aligned row: a line of the old version beside a line of the new one.

    A side that has no line in this row has number ``None`` and empty HTML.
    """

    left_number: int | None
    left_html: Markup
    right_number: int | None
    right_html: Markup
    kind: RowKind


@dataclass(frozen=True)
class Gap:
    """Unchanged lines folded away between rows (the view offers to show them)."""

    skipped_lines: int


@dataclass(frozen=True)
class FieldChange:
    """One metadata field that differs; for collections, also the items added and removed.

    A collection whose items only changed order has empty ``added`` and ``removed``: the
    change is still reported (the order of authors matters), ``old`` and ``new`` show it.
    """

    field: str
    old: object
    new: object
    added: tuple[object, ...] = ()
    removed: tuple[object, ...] = ()


@dataclass(frozen=True)
class DiffStats:
    words_added: int
    words_removed: int


# -- Matching ---------------------------------------------------------------------------------


def matching_blocks(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[Match]:
    """Triples ``(i, j, n)`` with ``a[i:i+n] == b[j:j+n]``, increasing in ``i`` and ``j`` and
    ending with ``(len(a), len(b), 0)``, like ``SequenceMatcher.get_matching_blocks()``.

    SequenceMatcher finds the best matches but is quadratic in how often an element repeats,
    so only small ranges go to it directly.  Larger ranges lose their common ends and are cut
    at the elements that occur exactly once on each side, in order (patience diff); the pieces
    between those anchors are matched the same way.  A large range without any anchor (highly
    repetitive text, say a table of empty rows) gets Myers' shortest diff when that takes few
    edits, else SequenceMatcher's autojunk heuristic: still a correct diff, maybe a long one.
    ``merge`` uses this for its line matching too.
    """
    found: list[Match] = []
    work = [(0, len(a), 0, len(b))]
    while work:
        alo, ahi, blo, bhi = work.pop()
        size = 0
        while alo + size < ahi and blo + size < bhi and a[alo + size] == b[blo + size]:
            size += 1
        if size:
            found.append((alo, blo, size))
            alo, blo = alo + size, blo + size
        size = 0
        while ahi - size > alo and bhi - size > blo and a[ahi - size - 1] == b[bhi - size - 1]:
            size += 1
        if size:
            ahi, bhi = ahi - size, bhi - size
            found.append((ahi, bhi, size))
        if alo == ahi or blo == bhi:
            continue
        if (ahi - alo) * (bhi - blo) <= _DIRECT_LIMIT:
            found.extend(_sequence_matches(a, alo, ahi, b, blo, bhi, autojunk=False))
            continue
        anchors = _unique_anchors(a, alo, ahi, b, blo, bhi)
        if not anchors:
            matches = _myers_matches(a, alo, ahi, b, blo, bhi)
            if matches is None:
                matches = list(_sequence_matches(a, alo, ahi, b, blo, bhi, autojunk=True))
            found.extend(matches)
            continue
        for i, j in anchors:
            work.append((alo, i, blo, j))
            found.append((i, j, 1))
            alo, blo = i + 1, j + 1
        work.append((alo, ahi, blo, bhi))

    found.sort()
    blocks: list[Match] = []
    for i, j, size in found:
        if blocks and blocks[-1][0] + blocks[-1][2] == i and blocks[-1][1] + blocks[-1][2] == j:
            blocks[-1] = (blocks[-1][0], blocks[-1][1], blocks[-1][2] + size)
        else:
            blocks.append((i, j, size))
    blocks.append((len(a), len(b), 0))
    return blocks


def _sequence_matches(
    a: Sequence[Hashable], alo: int, ahi: int,
    b: Sequence[Hashable], blo: int, bhi: int, *, autojunk: bool,
) -> Iterator[Match]:
    matcher = SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=autojunk)
    for i, j, size in matcher.get_matching_blocks():
        if size:
            yield alo + i, blo + j, size


def _myers_matches(
    a: Sequence[Hashable], alo: int, ahi: int, b: Sequence[Hashable], blo: int, bhi: int,
) -> list[Match] | None:
    """The matches of a shortest edit script (Myers, 1986), or ``None`` when finding it takes
    more than ``_MYERS_BUDGET`` steps (it costs about length times edits, at worst).

    After ``d`` edits the furthest-reaching path on diagonal ``k = x - y`` (for ``k`` from
    ``-d`` to ``d`` in steps of 2) ends at ``x = rows[d][(k + d) // 2]``.
    """
    n, m = ahi - alo, bhi - blo
    rows: list[array[int]] = []
    previous = array("q")
    steps = 0
    for edits in range(n + m + 1):
        current = array("q")
        for index, k in enumerate(range(-edits, edits + 1, 2)):
            if edits == 0:
                x = 0
            elif k == -edits or (k != edits and previous[index - 1] < previous[index]):
                x = previous[index]  # from diagonal k + 1, a step down: an insertion
            else:
                x = previous[index - 1] + 1  # from diagonal k - 1, a step right: a deletion
            y = start = x - k
            while x < n and y < m and a[alo + x] == b[blo + y]:
                x, y = x + 1, y + 1
            steps += 1 + y - start
            current.append(x)
            if x >= n and y >= m:
                rows.append(current)
                return _myers_path(rows, n, m, alo, blo)
        rows.append(current)
        previous = current
        if steps > _MYERS_BUDGET:
            return None
    return None  # pragma: no cover - n + m edits always reach the end


def _myers_path(rows: list[array[int]], x: int, y: int, alo: int, blo: int) -> list[Match]:
    """Walk the furthest-reaching paths back from the end, collecting the diagonal steps."""
    matches: list[Match] = []
    for edits in range(len(rows) - 1, 0, -1):
        previous = rows[edits - 1]
        k = x - y
        index = (k + edits) // 2
        if k == -edits or (k != edits and previous[index - 1] < previous[index]):
            previous_k, previous_x = k + 1, previous[index]
        else:
            previous_k, previous_x = k - 1, previous[index - 1]
        previous_y = previous_x - previous_k
        while x > previous_x and y > previous_y:
            x, y = x - 1, y - 1
            matches.append((alo + x, blo + y, 1))
        x, y = previous_x, previous_y
    while x > 0:  # the diagonal run before the first edit
        x, y = x - 1, y - 1
        matches.append((alo + x, blo + y, 1))
    return matches


def _unique_anchors(
    a: Sequence[Hashable], alo: int, ahi: int, b: Sequence[Hashable], blo: int, bhi: int,
) -> list[tuple[int, int]]:
    """The longest in-order chain of pairs ``(i, j)`` whose element occurs once on each side."""
    in_a = Counter(a[alo:ahi])
    in_b = Counter(b[blo:bhi])
    where_in_b = {
        b[j]: j for j in range(blo, bhi) if in_b[b[j]] == 1 and in_a.get(b[j]) == 1
    }
    pairs = [(i, where_in_b[a[i]]) for i in range(alo, ahi) if a[i] in where_in_b]
    # Longest increasing subsequence of the b positions (patience sorting).
    tails: list[int] = []
    tail_pair: list[int] = []
    previous: list[int] = []
    for k, (_, j) in enumerate(pairs):
        pos = bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
            tail_pair.append(k)
        else:
            tails[pos] = j
            tail_pair[pos] = k
        previous.append(tail_pair[pos - 1] if pos else -1)
    chain: list[tuple[int, int]] = []
    k = tail_pair[-1] if tail_pair else -1
    while k >= 0:
        chain.append(pairs[k])
        k = previous[k]
    chain.reverse()
    return chain


def opcodes(a: Sequence[Hashable], b: Sequence[Hashable]) -> Iterator[Opcode]:
    """``(tag, i1, i2, j1, j2)`` like ``SequenceMatcher.get_opcodes()``, via ``matching_blocks``."""
    i = j = 0
    for ai, bj, size in matching_blocks(a, b):
        if i < ai and j < bj:
            yield "replace", i, ai, j, bj
        elif i < ai:
            yield "delete", i, ai, j, bj
        elif j < bj:
            yield "insert", i, ai, j, bj
        if size:
            yield "equal", ai, ai + size, bj, bj + size
        i, j = ai + size, bj + size


def split_lines(text: str) -> list[str]:
    """Lines with their ``\\n``; only ``\\n`` ends a line (not form feeds, not lone ``\\r``)."""
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    if not lines[-1]:
        lines.pop()
    return lines


# -- Word diff --------------------------------------------------------------------------------


def word_diff(old: str, new: str) -> list[Segment]:
    """The change from ``old`` to ``new`` as segments; ``equal`` + ``delete`` texts join into
    ``old``, ``equal`` + ``insert`` texts into ``new``.

    Neighbouring segments always differ in kind, and a change is written as its deleted text
    then its inserted text.  A space between two changed words counts as changed too, so
    "quick brown" -> "slow red" reads as one replacement, not two with a kept space.
    """
    old_lines, new_lines = split_lines(old), split_lines(new)
    segments: list[Segment] = []
    for tag, i1, i2, j1, j2 in opcodes(old_lines, new_lines):
        if tag == "equal":
            segments.append(Segment("equal", "".join(old_lines[i1:i2])))
        else:
            segments.extend(_token_diff("".join(old_lines[i1:i2]), "".join(new_lines[j1:j2])))
    return _tidy(segments)


def _token_diff(old: str, new: str) -> Iterator[Segment]:
    old_tokens, new_tokens = _TOKEN.findall(old), _TOKEN.findall(new)
    for tag, i1, i2, j1, j2 in opcodes(old_tokens, new_tokens):
        if tag == "equal":
            yield Segment("equal", "".join(old_tokens[i1:i2]))
            continue
        if i1 < i2:
            yield Segment("delete", "".join(old_tokens[i1:i2]))
        if j1 < j2:
            yield Segment("insert", "".join(new_tokens[j1:j2]))


def _tidy(raw: Iterable[Segment]) -> list[Segment]:
    """Merge neighbours of one kind, fold kept spaces between changes into the changes, and
    write each change as one deletion followed by one insertion."""
    merged: list[Segment] = []
    for segment in raw:
        if not segment.text:
            continue
        if merged and merged[-1].kind == segment.kind:
            merged[-1] = Segment(segment.kind, merged[-1].text + segment.text)
        else:
            merged.append(segment)

    tidy: list[Segment] = []
    deleted: list[str] = []
    inserted: list[str] = []
    for k, segment in enumerate(merged):
        if segment.kind == "equal":
            # After merging, an equal segment's neighbours are changes.
            if 0 < k < len(merged) - 1 and _BLANK.fullmatch(segment.text):
                deleted.append(segment.text)
                inserted.append(segment.text)
                continue
            _flush(tidy, deleted, inserted)
            tidy.append(segment)
        elif segment.kind == "delete":
            deleted.append(segment.text)
        else:
            inserted.append(segment.text)
    _flush(tidy, deleted, inserted)
    return tidy


def _flush(into: list[Segment], deleted: list[str], inserted: list[str]) -> None:
    if deleted:
        into.append(Segment("delete", "".join(deleted)))
    if inserted:
        into.append(Segment("insert", "".join(inserted)))
    deleted.clear()
    inserted.clear()


def stats(segments: Iterable[Segment]) -> DiffStats:
    """Words (letters and digits, not spaces or punctuation) inserted and deleted."""
    added = removed = 0
    for segment in segments:
        if segment.kind == "insert":
            added += len(_WORD.findall(segment.text))
        elif segment.kind == "delete":
            removed += len(_WORD.findall(segment.text))
    return DiffStats(words_added=added, words_removed=removed)


# -- Rendering --------------------------------------------------------------------------------


def render_inline(segments: Iterable[Segment]) -> Markup:
    """Escaped HTML with ``<del class="diff-del">`` and ``<ins class="diff-ins">`` marks.

    Newlines are kept as they are: the caller shows it in ``<pre class="diff">`` or another
    ``white-space: pre-wrap`` container.
    """
    parts: list[Markup] = []
    for segment in segments:
        if segment.kind == "equal":
            parts.append(escape(segment.text))
        else:
            parts.append((_DEL if segment.kind == "delete" else _INS).format(segment.text))
    return Markup("").join(parts)


def side_by_side(old: str, new: str, context: int | None = 3) -> list[SideBySideRow | Gap]:
    """Line-aligned rows, old version left and new right, changed lines marked word by word.

    Unchanged stretches keep ``context`` lines next to each change and fold the rest into a
    ``Gap``: between two changes a stretch longer than ``2 * context`` is folded, before the
    first or after the last change one longer than ``context``.  ``context=None`` shows every
    line.  Within a changed block, lines are paired in order (first old line beside first new
    line); the surplus lines of the longer side get rows of their own.
    """
    if context is not None and context < 0:
        raise ValueError("context must be None or at least 0")
    old_lines, new_lines = split_lines(old), split_lines(new)
    ops = list(opcodes(old_lines, new_lines))
    rows: list[SideBySideRow | Gap] = []
    for n, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag != "equal":
            rows.extend(_changed_rows(old_lines[i1:i2], new_lines[j1:j2], i1, j1))
            continue
        size = i2 - i1
        if context is None:
            head, tail = size, 0
        else:
            head = 0 if n == 0 else context
            tail = 0 if n == len(ops) - 1 else context
        if size <= head + tail:
            head, tail = size, 0
        rows.extend(_equal_row(old_lines, i1 + k, j1 + k) for k in range(head))
        if size > head + tail:
            rows.append(Gap(skipped_lines=size - head - tail))
        rows.extend(_equal_row(old_lines, i1 + k, j1 + k) for k in range(size - tail, size))
    return rows


def _equal_row(lines: list[str], i: int, j: int) -> SideBySideRow:
    html = escape(lines[i].removesuffix("\n"))
    return SideBySideRow(i + 1, html, j + 1, html, "equal")


def _changed_rows(
    old_lines: list[str], new_lines: list[str], i1: int, j1: int,
) -> Iterator[SideBySideRow]:
    segments = _tidy(_token_diff("".join(old_lines), "".join(new_lines)))
    left, right = _Side(_DEL, _EOL_DEL), _Side(_INS, _EOL_INS)
    for segment in segments:
        if segment.kind != "insert":
            left.add(segment)
        if segment.kind != "delete":
            right.add(segment)
    left_html, right_html = left.lines(), right.lines()
    for k in range(max(len(left_html), len(right_html))):
        on_left, on_right = k < len(left_html), k < len(right_html)
        yield SideBySideRow(
            left_number=i1 + k + 1 if on_left else None,
            left_html=left_html[k] if on_left else Markup(""),
            right_number=j1 + k + 1 if on_right else None,
            right_html=right_html[k] if on_right else Markup(""),
            kind="change" if on_left and on_right else "delete" if on_left else "insert",
        )


class _Side:
    """Cuts one side's segments into lines of HTML (the newlines become row boundaries)."""

    def __init__(self, mark: Markup, eol_mark: Markup) -> None:
        self._mark = mark
        self._eol_mark = eol_mark
        self._current: list[Markup] = []
        self._lines: list[Markup] = []

    def add(self, segment: Segment) -> None:
        changed = segment.kind != "equal"
        *ended, rest = segment.text.split("\n")
        for piece in ended:
            if piece:
                self._current.append(self._mark.format(piece) if changed else escape(piece))
            elif changed:
                self._current.append(self._eol_mark)
            self._lines.append(Markup("").join(self._current))
            self._current = []
        if rest:
            self._current.append(self._mark.format(rest) if changed else escape(rest))

    def lines(self) -> list[Markup]:
        if self._current:
            self._lines.append(Markup("").join(self._current))
            self._current = []
        return self._lines


# -- Metadata ---------------------------------------------------------------------------------

_COLLECTIONS = (list, tuple, set, frozenset)


def metadata_changes(
    old: Mapping[str, object], new: Mapping[str, object], order: Sequence[str] = (),
) -> list[FieldChange]:
    """The fields that differ, those named in ``order`` first (in that order), then the rest
    alphabetically.  A missing field counts as ``None``.

    Lists, tuples and sets are compared as collections: ``added`` and ``removed`` name the
    items (duplicates counted), and a missing collection counts as an empty one, so ``[]``
    and no value at all are no change.  Sets ignore order; lists and tuples do not.
    """
    keys = set(old) | set(new)
    ranked = [key for key in dict.fromkeys(order) if key in keys]
    ranked += sorted(keys - set(ranked))
    changes: list[FieldChange] = []
    for key in ranked:
        before, after = old.get(key), new.get(key)
        if _is_collection(before) and _is_collection(after):
            change = _collection_change(key, before, after)
            if change is not None:
                changes.append(change)
        elif before != after:
            changes.append(FieldChange(key, before, after))
    return changes


def _is_collection(value: object) -> bool:
    return value is None or isinstance(value, _COLLECTIONS)


def _collection_change(key: str, before: object, after: object) -> FieldChange | None:
    old_items = _items(before)
    new_items = _items(after)
    unordered = isinstance(before, set | frozenset) or isinstance(after, set | frozenset)
    # Items may be unhashable (dicts of author details), so match by equality; metadata
    # collections are short.
    remaining = list(old_items)
    added: list[object] = []
    for item in new_items:
        if item in remaining:
            remaining.remove(item)
        else:
            added.append(item)
    if not added and not remaining and (unordered or old_items == new_items):
        return None
    if unordered:
        added, remaining = _sorted(added), _sorted(remaining)
    return FieldChange(key, before, after, tuple(added), tuple(remaining))


def _items(value: object) -> list[object]:
    if value is None:
        return []
    assert isinstance(value, _COLLECTIONS)
    return _sorted(value) if isinstance(value, set | frozenset) else list(value)


def _sorted(items: Iterable[object]) -> list[object]:
    """Sorted when the items allow it, else by their repr: a stable order for sets."""
    listed = list(items)
    try:
        return sorted(listed)  # type: ignore[type-var]
    except TypeError:
        return sorted(listed, key=repr)
