"""The word diff: the change from one text to another as runs of kept, deleted and inserted
text.

Bodies are compared line by line first and word by word only inside the changed line blocks:
the Markdown structure (its lines) survives, and a 20,000-word lesson with a few dozen edits
diffs in a fraction of a second.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from oer_portal.materials.diff.engine import opcodes, split_lines

SegmentKind = Literal["equal", "insert", "delete"]

#: Words, runs of whitespace other than newlines, single newlines and single other characters;
#: the alternatives cover every character, so the tokens always join back into the text.
_TOKEN = re.compile(r"\w+|\n|[^\S\n]+|[^\w\s]")
_WORD = re.compile(r"\w+")
_BLANK = re.compile(r"[^\S\n]+")


@dataclass(frozen=True)
class Segment:
    """A run of text that is unchanged, only in the new version, or only in the old one."""

    kind: SegmentKind
    text: str


@dataclass(frozen=True)
class DiffStats:
    words_added: int
    words_removed: int


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


def changed_segments(old: str, new: str) -> list[Segment]:
    """The word diff of one block of changed lines (the side-by-side view marks each block)."""
    return _tidy(_token_diff(old, new))


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

