"""HTML of a word diff: inline (one text with marks) and side by side (aligned lines).

Rendering escapes every character that came from the input; bodies are user Markdown and may
hold ``<script>``.  The only tags in the output are the ``<del>``/``<ins>`` marks made here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from markupsafe import Markup, escape

from oer_portal.materials.diff.engine import opcodes, split_lines
from oer_portal.materials.diff.words import Segment, changed_segments

RowKind = Literal["equal", "change", "insert", "delete"]

_DEL = Markup('<del class="diff-del">{}</del>')
_INS = Markup('<ins class="diff-ins">{}</ins>')
#: Shown where a change is only a line break (a joined or split line, or a final newline), which
#: would otherwise be invisible in a side-by-side cell.
_EOL_DEL = Markup('<del class="diff-del diff-eol">\u21b5</del>')
_EOL_INS = Markup('<ins class="diff-ins diff-eol">\u21b5</ins>')


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
    segments = changed_segments("".join(old_lines), "".join(new_lines))
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

