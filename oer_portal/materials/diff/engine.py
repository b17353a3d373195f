"""Sequence matching for the diffs and the three-way merge: which runs of two sequences (lines,
words) are the same.

``difflib.SequenceMatcher`` finds good matches but is quadratic in how often an element
repeats (spaces, blank lines), so only small ranges go to it; larger ones are cut at unique
elements first (patience diff), with Myers' shortest diff for long anchorless stretches.
Pure: no Flask, no database.

``diff-match-patch`` (each element written as one character) gave the same word diffs of the
largest corpus lessons, 1.3-1.7 times slower, and without its time-out it is quadratic on long
repetitive texts (23 s against 0.4 s for 10,000 words); with one, a diff (and so a merge)
would depend on the machine's load.  Hence our own engine, with a step budget instead.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Hashable, Iterator, Sequence
from difflib import SequenceMatcher

Match = tuple[int, int, int]
Opcode = tuple[str, int, int, int, int]


#: Ranges with more cells than this (len(a) * len(b)) are first cut at elements unique to both
#: sides: SequenceMatcher without autojunk goes quadratic on common tokens such as spaces.
_DIRECT_LIMIT = 40_000
#: Steps Myers' diff may take on a large range without anchors before it gives up: at worst
#: about 0.2 s and 6 MB (two unrelated 20,000-word texts of three distinct words).
_MYERS_BUDGET = 1_000_000


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

