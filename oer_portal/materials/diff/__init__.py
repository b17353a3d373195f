"""Diffs of material versions, for teachers comparing any two versions (pure: no Flask, no
database; ``materials.compare`` puts them together for the pages).

- ``engine``: which runs of two sequences match (the merge uses it for lines too);
- ``words``: the word diff of two texts, as segments, and its word counts;
- ``render``: those segments as escaped HTML, inline or side by side;
- ``fields``: field-by-field changes of the metadata.
"""

from oer_portal.materials.diff.engine import matching_blocks, opcodes, split_lines
from oer_portal.materials.diff.fields import FieldChange, metadata_changes
from oer_portal.materials.diff.render import Gap, SideBySideRow, render_inline, side_by_side
from oer_portal.materials.diff.words import DiffStats, Segment, stats, word_diff

__all__ = [
    "DiffStats",
    "FieldChange",
    "Gap",
    "Segment",
    "SideBySideRow",
    "matching_blocks",
    "metadata_changes",
    "opcodes",
    "render_inline",
    "side_by_side",
    "split_lines",
    "stats",
    "word_diff",
]
