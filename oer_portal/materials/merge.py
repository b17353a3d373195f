"""Three-way merge of material bodies: two saves from the same base, or a remix pulling the
changes made upstream since it was taken.

A line-based diff3 on our own line matching: lines that only one side changed take that
side's version, lines both sides changed alike are taken once, and lines both sides changed
differently become a conflict.  (The ``merge3`` package gives the same merges only with our
line matcher plugged in, since its default ``difflib`` matcher treats the blank lines of a long
lesson as junk and conflicts more; it would replace just the sync-region step, 24 lines, and
measured 2-4 % slower, so the conflict positions, newline rules and matching stay here.)

A conflict keeps both versions between git-style markers on lines of their own, so no text is
ever lost silently; the teacher resolves it in the editor.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from oer_portal.materials.diff.engine import matching_blocks

MINE_MARKER = "<<<<<<<"
SEPARATOR = "======="
THEIRS_MARKER = ">>>>>>>"


def has_conflict_markers(text: str) -> bool:
    """True while a merge's conflict region is still in ``text`` (a line starting with
    ``<<<<<<<`` and a later one starting with ``>>>>>>>``)."""
    start = next((i for i, line in enumerate(text.splitlines())
                  if line.startswith(MINE_MARKER)), None)
    return start is not None and any(line.startswith(THEIRS_MARKER)
                                     for line in text.splitlines()[start:])

#: Synchronised stretch: base[0:1], mine[2:3] and theirs[4:5] are the same lines.
_Sync = tuple[int, int, int, int, int, int]


@dataclass(frozen=True)
class ConflictRegion:
    """Lines both sides changed differently; the texts are the lines joined by ``\\n``."""

    base: str
    mine: str
    theirs: str
    #: 1-based line of the merged text holding this region's ``<<<<<<<`` marker.
    line: int


@dataclass(frozen=True)
class MergeResult:
    #: The merged text; each conflict is written in it with markers.
    text: str
    conflicts: tuple[ConflictRegion, ...] = ()

    @property
    def clean(self) -> bool:
        return not self.conflicts


def merge3(
    base: str,
    mine: str,
    theirs: str,
    *,
    labels: tuple[str, str] = ("jouw versie", "huidige versie"),
) -> MergeResult:
    """Merge the changes from ``base`` to ``mine`` and from ``base`` to ``theirs``.

    Line endings are normalised to ``\\n`` first (so a CRLF upload merges with the rest), and
    the result uses ``\\n``.  Whether the text ends with a newline is merged on its own, like
    one more field: a side that only added or dropped the final newline never conflicts.
    ``labels`` name mine and theirs on the conflict markers.
    """
    base_lines, base_newline = _lines(base)
    mine_lines, mine_newline = _lines(mine)
    theirs_lines, theirs_newline = _lines(theirs)
    mine_label, theirs_label = (" ".join(label.split()) for label in labels)

    out: list[str] = []
    conflicts: list[ConflictRegion] = []
    for region in _regions(base_lines, mine_lines, theirs_lines):
        if isinstance(region, list):
            out.extend(region)
            continue
        base_part, mine_part, theirs_part = region
        conflicts.append(ConflictRegion(
            base="\n".join(base_part),
            mine="\n".join(mine_part),
            theirs="\n".join(theirs_part),
            line=len(out) + 1,
        ))
        out.append(f"{MINE_MARKER} {mine_label}".rstrip())
        out.extend(mine_part)
        out.append(SEPARATOR)
        out.extend(theirs_part)
        out.append(f"{THEIRS_MARKER} {theirs_label}".rstrip())

    newline = theirs_newline if mine_newline == base_newline else mine_newline
    if out and out[-1] == "":
        newline = True  # else the final empty line would vanish into the line before it
    text = "\n".join(out) + ("\n" if newline and out else "")
    return MergeResult(text=text, conflicts=tuple(conflicts))


def _lines(text: str) -> tuple[list[str], bool]:
    """The lines without their ends, and whether the text ends with a newline."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text:
        return [], False
    ends_with_newline = text.endswith("\n")
    lines = text.split("\n")
    if ends_with_newline:
        lines.pop()
    return lines, ends_with_newline


def _regions(
    base: list[str], mine: list[str], theirs: list[str],
) -> Iterator[list[str] | tuple[list[str], list[str], list[str]]]:
    """The merged text in order: lists of settled lines and ``(base, mine, theirs)`` conflicts."""
    at_base = at_mine = at_theirs = 0
    for base_start, base_end, mine_start, mine_end, theirs_start, theirs_end in _syncs(
        base, mine, theirs
    ):
        base_part = base[at_base:base_start]
        mine_part = mine[at_mine:mine_start]
        theirs_part = theirs[at_theirs:theirs_start]
        if mine_part == theirs_part or theirs_part == base_part:
            yield mine_part
        elif mine_part == base_part:
            yield theirs_part
        else:
            yield from _conflict(base_part, mine_part, theirs_part)
        yield base[base_start:base_end]
        at_base, at_mine, at_theirs = base_end, mine_end, theirs_end


def _conflict(
    base: list[str], mine: list[str], theirs: list[str],
) -> Iterator[list[str] | tuple[list[str], list[str], list[str]]]:
    """A conflict narrowed to the lines where mine and theirs really differ: lines both start
    or end with are settled (both sides agree on them)."""
    head = 0
    while head < min(len(mine), len(theirs)) and mine[head] == theirs[head]:
        head += 1
    tail = 0
    while (
        tail < min(len(mine), len(theirs)) - head
        and mine[len(mine) - tail - 1] == theirs[len(theirs) - tail - 1]
    ):
        tail += 1
    yield mine[:head]
    yield base, mine[head:len(mine) - tail], theirs[head:len(theirs) - tail]
    yield mine[len(mine) - tail:]


def _syncs(base: list[str], mine: list[str], theirs: list[str]) -> list[_Sync]:
    """Stretches of base that both sides kept, with where they are in mine and theirs; the
    last one is the empty stretch at the end of all three."""
    to_mine = matching_blocks(base, mine)
    to_theirs = matching_blocks(base, theirs)
    syncs: list[_Sync] = []
    m = t = 0
    while m < len(to_mine) and t < len(to_theirs):
        m_base, m_at, m_size = to_mine[m]
        t_base, t_at, t_size = to_theirs[t]
        start = max(m_base, t_base)
        end = min(m_base + m_size, t_base + t_size)
        if start < end:
            syncs.append((
                start, end,
                m_at + start - m_base, m_at + end - m_base,
                t_at + start - t_base, t_at + end - t_base,
            ))
        if m_base + m_size < t_base + t_size:
            m += 1
        else:
            t += 1
    syncs.append((len(base), len(base), len(mine), len(mine), len(theirs), len(theirs)))
    return syncs
