"""Three-way merge of material bodies: two saves from the same base, or a remix pulling the
changes made upstream since it was taken.

A line-based diff3 on our own line matching: lines that only one side changed take that
side's version, lines both sides changed alike are taken once, and lines both sides changed
differently become a conflict.  (The ``merge3`` package gives the same merges only with our
line matcher plugged in, since its default ``difflib`` matcher treats the blank lines of a long
lesson as junk and conflicts more; it would replace just the sync-region step, 24 lines, and
measured 2-4 % slower, so the conflict positions, newline rules and matching stay here.)

**Additions at the same place are not a conflict.**  When both sides only inserted lines
between the same two kept lines (no base line changed or deleted there), both additions are
kept whole, one after the other: two teachers who each add a section at the end both keep
it.  Which comes first is the caller's (``mine_first``): what is already in place keeps its
place and the incoming addition follows it.  Lines a side's addition starts or ends with that
the other's addition holds too are not doubled: when one addition holds all of the other's
lines at its ends, the longer one is the result.

A real conflict stays in the result as a :class:`ConflictRegion` in ``parts``, and
:meth:`MergeResult.resolved` writes the text once a person chose, for every region, what to
keep.  ``MergeResult.text`` writes each conflict between git-style markers so that a caller
that needs one string (the edit page's conflict) has one; nothing is saved with markers any
more (``has_conflict_markers`` remains for drafts written before this).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from oer_portal.materials.diff.engine import matching_blocks

MINE_MARKER = "<<<<<<<"
SEPARATOR = "======="
THEIRS_MARKER = ">>>>>>>"

#: The lines of a text or a passage, without their ends.
Lines = tuple[str, ...]


def has_conflict_markers(text: str) -> bool:
    """True while a merge's conflict region is still in ``text`` (a line starting with
    ``<<<<<<<`` and a later one starting with ``>>>>>>>``): drafts that pulls saved before
    conflicts were resolved on their own page may still hold them."""
    start = next((i for i, line in enumerate(text.splitlines())
                  if line.startswith(MINE_MARKER)), None)
    return start is not None and any(line.startswith(THEIRS_MARKER)
                                     for line in text.splitlines()[start:])


#: Synchronised stretch: base[0:1], mine[2:3] and theirs[4:5] are the same lines.
_Sync = tuple[int, int, int, int, int, int]


@dataclass(frozen=True)
class ConflictRegion:
    """Lines both sides changed differently, with the base lines both started from."""

    base_lines: Lines
    mine_lines: Lines
    theirs_lines: Lines
    #: 1-based line of ``MergeResult.text`` holding this region's ``<<<<<<<`` marker.
    line: int

    @property
    def base(self) -> str:
        return "\n".join(self.base_lines)

    @property
    def mine(self) -> str:
        return "\n".join(self.mine_lines)

    @property
    def theirs(self) -> str:
        return "\n".join(self.theirs_lines)


class Choice(StrEnum):
    """What to keep of a conflict region (or of a field both sides changed)."""

    MINE = "mine"
    THEIRS = "theirs"
    #: Both sides' lines, in the merge's order for additions (``MergeResult.mine_first``).
    BOTH = "both"
    #: A text the person wrote for the region.
    OWN = "own"


@dataclass(frozen=True)
class Resolution:
    """A person's decision for one conflict region."""

    choice: Choice
    #: The region's new text for ``Choice.OWN`` (any line endings; one final newline is
    #: dropped, as a text box adds it; empty removes the region's lines).
    text: str = ""

    def lines_for(self, region: ConflictRegion, mine_first: bool) -> Lines:
        if self.choice is Choice.MINE:
            return region.mine_lines
        if self.choice is Choice.THEIRS:
            return region.theirs_lines
        if self.choice is Choice.BOTH:
            return both_lines(region, mine_first)
        text = _normalised(self.text).removesuffix("\n")
        return tuple(text.split("\n")) if text else ()


def both_lines(region: ConflictRegion, mine_first: bool) -> Lines:
    """Both sides of ``region``, one after the other (``Choice.BOTH``)."""
    first, second = ((region.mine_lines, region.theirs_lines) if mine_first
                     else (region.theirs_lines, region.mine_lines))
    return first + second


@dataclass(frozen=True)
class Passage:
    """A conflict region with the settled lines around it, for a person to decide on."""

    number: int
    region: ConflictRegion
    before: Lines
    after: Lines
    #: Whether more settled text lies beyond ``before`` / ``after``.
    more_before: bool
    more_after: bool


@dataclass(frozen=True)
class MergeResult:
    #: The merged text; each conflict is written in it with markers (see the module).
    text: str
    conflicts: tuple[ConflictRegion, ...] = ()
    #: The merge in order: runs of settled lines and the conflicts between them.
    parts: tuple[Lines | ConflictRegion, ...] = field(default=(), compare=False, repr=False)
    #: Whether the merged text ends with a newline (merged like a field of its own).
    final_newline: bool = field(default=False, compare=False, repr=False)
    #: The order of additions both sides made at one place, and of ``Choice.BOTH``.
    mine_first: bool = field(default=False, compare=False, repr=False)

    @property
    def clean(self) -> bool:
        return not self.conflicts

    def resolved(self, resolutions: Sequence[Resolution]) -> str:
        """The merged text with each conflict replaced as ``resolutions`` (one per conflict,
        in order) say; never with markers."""
        if len(resolutions) != len(self.conflicts):
            raise ValueError(f"{len(self.conflicts)} conflicts, {len(resolutions)} resolutions")
        if self.clean:
            return self.text
        chosen = iter(resolutions)
        lines: list[str] = []
        for part in self.parts:
            if isinstance(part, ConflictRegion):
                lines.extend(next(chosen).lines_for(part, self.mine_first))
            else:
                lines.extend(part)
        return _joined(lines, self.final_newline)

    def passages(self, context: int = 3) -> tuple[Passage, ...]:
        """Each conflict with the settled text around it: up to ``context`` lines that are
        not blank on either side (a lesson's paragraphs are apart by blank lines, which
        would otherwise be most of the context), without blank lines at the outer edges."""
        found: list[Passage] = []
        for at, part in enumerate(self.parts):
            if not isinstance(part, ConflictRegion):
                continue
            before = self.parts[at - 1] if at > 0 else ()
            after = self.parts[at + 1] if at + 1 < len(self.parts) else ()
            assert not isinstance(before, ConflictRegion)  # narrows the type  # nosec B101
            assert not isinstance(after, ConflictRegion)  # narrows the type  # nosec B101
            shown_before, more_before = _context(before[::-1], context)
            shown_after, more_after = _context(after, context)
            found.append(Passage(
                number=len(found) + 1, region=part, before=shown_before[::-1],
                after=shown_after, more_before=more_before or at > 1,
                more_after=more_after or at + 2 < len(self.parts)))
        return tuple(found)


def _context(lines: Lines, count: int) -> tuple[Lines, bool]:
    """The first lines of ``lines`` up to the ``count``-th that is not blank, trimmed of
    blank lines at their end, and whether text that is not blank follows."""
    taken = seen = 0
    while taken < len(lines) and seen < count:
        seen += bool(lines[taken].strip())
        taken += 1
    shown = lines[:taken]
    while shown and not shown[-1].strip():
        shown = shown[:-1]
    return shown, any(line.strip() for line in lines[taken:])


def merge3(
    base: str,
    mine: str,
    theirs: str,
    *,
    labels: tuple[str, str] = ("jouw versie", "huidige versie"),
    mine_first: bool = False,
) -> MergeResult:
    """Merge the changes from ``base`` to ``mine`` and from ``base`` to ``theirs``.

    Line endings are normalised to ``\\n`` first (so a CRLF upload merges with the rest), and
    the result uses ``\\n``.  Whether the text ends with a newline is merged on its own, like
    one more field: a side that only added or dropped the final newline never conflicts.
    ``labels`` name mine and theirs on the conflict markers of ``text``.

    Additions both sides made at one place are both kept: theirs first by default, the order
    of a stale save (theirs is the version saved first, and the later save's addition follows
    it, as if it had started from there); ``mine_first`` for a pull, where mine is the remix
    the teacher has and the original's addition follows it.
    """
    base_lines, base_newline = _lines(base)
    mine_lines, mine_newline = _lines(mine)
    theirs_lines, theirs_newline = _lines(theirs)
    mine_label, theirs_label = (" ".join(label.split()) for label in labels)

    out: list[str] = []
    parts: list[Lines | ConflictRegion] = []
    conflicts: list[ConflictRegion] = []
    for region in _regions(base_lines, mine_lines, theirs_lines, mine_first):
        if isinstance(region, list):
            out.extend(region)
            if parts and not isinstance(parts[-1], ConflictRegion):
                parts[-1] += tuple(region)
            else:
                parts.append(tuple(region))
            continue
        base_part, mine_part, theirs_part = region
        conflict = ConflictRegion(
            base_lines=tuple(base_part), mine_lines=tuple(mine_part),
            theirs_lines=tuple(theirs_part), line=len(out) + 1)
        conflicts.append(conflict)
        parts.append(conflict)
        out.append(f"{MINE_MARKER} {mine_label}".rstrip())
        out.extend(mine_part)
        out.append(SEPARATOR)
        out.extend(theirs_part)
        out.append(f"{THEIRS_MARKER} {theirs_label}".rstrip())

    newline = theirs_newline if mine_newline == base_newline else mine_newline
    return MergeResult(text=_joined(out, newline), conflicts=tuple(conflicts),
                       parts=tuple(parts), final_newline=newline, mine_first=mine_first)


def _normalised(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _lines(text: str) -> tuple[list[str], bool]:
    """The lines without their ends, and whether the text ends with a newline."""
    text = _normalised(text)
    if not text:
        return [], False
    ends_with_newline = text.endswith("\n")
    lines = text.split("\n")
    if ends_with_newline:
        lines.pop()
    return lines, ends_with_newline


def _joined(lines: Sequence[str], newline: bool) -> str:
    if lines and lines[-1] == "":
        newline = True  # else the final empty line would vanish into the line before it
    return "\n".join(lines) + ("\n" if newline and lines else "")


def _regions(
    base: list[str], mine: list[str], theirs: list[str], mine_first: bool,
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
        elif not base_part:
            yield _both_added(mine_part, theirs_part, mine_first)
        else:
            yield from _conflict(base_part, mine_part, theirs_part)
        yield base[base_start:base_end]
        at_base, at_mine, at_theirs = base_end, mine_end, theirs_end


def _both_added(mine: list[str], theirs: list[str], mine_first: bool) -> list[str]:
    """Two different additions at one place, both kept whole (see the module).

    Whole rather than narrowed to where they differ: an addition usually starts or ends with
    the blank line that separates it from its neighbour in Markdown, and narrowing would run
    the two additions together into one paragraph.  When the shorter addition is all at the
    ends of the longer one (one side added more around the same lines), the longer one holds
    both and is the result."""
    head, tail = _common_ends(mine, theirs)
    if head + tail == min(len(mine), len(theirs)):
        return mine if len(mine) > len(theirs) else theirs
    return mine + theirs if mine_first else theirs + mine


def _common_ends(mine: list[str], theirs: list[str]) -> tuple[int, int]:
    """How many lines mine and theirs start with alike, and then how many they end with."""
    head = 0
    while head < min(len(mine), len(theirs)) and mine[head] == theirs[head]:
        head += 1
    tail = 0
    while (
        tail < min(len(mine), len(theirs)) - head
        and mine[len(mine) - tail - 1] == theirs[len(theirs) - tail - 1]
    ):
        tail += 1
    return head, tail


def _conflict(
    base: list[str], mine: list[str], theirs: list[str],
) -> Iterator[list[str] | tuple[list[str], list[str], list[str]]]:
    """A conflict narrowed to the lines where mine and theirs really differ: lines both start
    or end with are settled (both sides agree on them)."""
    head, tail = _common_ends(mine, theirs)
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
