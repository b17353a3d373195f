"""Every use of Whoosh's private internals, in one place, for a Whoosh we have proven it on.

The search service computes matching sets and BM25F scores itself (``docsets.py``,
``ranking.py``) because Whoosh's pure-Python matchers visit every posting one call at a time
(profiled: most of a search at 10,000 materials).  That needs three things Whoosh does not
offer publicly: a posting list read a whole block at a time (``W3LeafMatcher._ids``,
``_weights``, ``_next_block``) and a segment's field lengths as one column
(``reader._perdoc`` with ``whoosh.codec.whoosh3._lenfield``).  They are read here and nowhere
else, each with a public fallback for other matcher types, and
``tests/integration/test_search_ranking.py`` proves the results equal Whoosh's own.

Private names can change in any release, so :func:`require_proven_whoosh` (called when the
app starts) refuses a Whoosh version these were not proven on and says what to do; prove a
new version with the test suite before adding it to ``PROVEN_VERSIONS``.
"""

from __future__ import annotations

from collections.abc import Iterator

import whoosh
from whoosh.codec import whoosh3
from whoosh.matching import FilterMatcher, Matcher
from whoosh.reading import IndexReader
from whoosh.util.numeric import byte_to_length

#: Whoosh releases (``whoosh-reloaded``) the private reads below were proven on.
PROVEN_VERSIONS = frozenset({(2, 7, 5)})
_LENGTH_OF_BYTE = [byte_to_length(b) for b in range(256)]


class UnprovenWhoosh(RuntimeError):
    """The installed Whoosh is not one the search service's private reads were proven on."""


def require_proven_whoosh(version: tuple[int, ...] | None = None) -> None:
    """Raise :class:`UnprovenWhoosh` unless ``version`` (the installed one by default) is
    proven: a changed internal would give wrong results silently, not an error."""
    found = tuple(version if version is not None else whoosh.__version__)[:3]
    if found not in PROVEN_VERSIONS:
        proven = ", ".join(".".join(map(str, v)) for v in sorted(PROVEN_VERSIONS))
        raise UnprovenWhoosh(
            f"Whoosh {'.'.join(map(str, found))} is installed, but the search service reads "
            f"Whoosh internals proven only on {proven} (oer_portal/search/whoosh_compat.py). "
            f"Install whoosh-reloaded=={proven}, or run the test suite on this version and "
            f"add it to PROVEN_VERSIONS.")


def _leaf(matcher: Matcher) -> Matcher:
    return matcher.child if isinstance(matcher, FilterMatcher) else matcher


def _blocks(matcher: whoosh3.W3LeafMatcher) -> Iterator[whoosh3.W3LeafMatcher]:
    """The matcher positioned on each of its posting blocks in turn."""
    while matcher.is_active():
        yield matcher
        matcher._next_block()


def posting_ids(matcher: Matcher) -> set[int]:
    """Every document number of one term's postings in one segment, deleted ones included.

    Reads a block at a time (a block's ids are one tuple), about twenty times faster than
    ``all_ids()``, which calls ``id()`` and ``next()`` per posting.
    """
    matcher = _leaf(matcher)
    if not isinstance(matcher, whoosh3.W3LeafMatcher):
        return set(matcher.all_ids())
    ids: set[int] = set()
    for block in _blocks(matcher):
        block.id()  # loads the block's ids
        ids.update(block._ids)
    return ids


def posting_weights(matcher: Matcher) -> dict[int, float]:
    """Document number → term weight (frequency) of one term's postings in one segment."""
    matcher = _leaf(matcher)
    if not isinstance(matcher, whoosh3.W3LeafMatcher):
        weights: dict[int, float] = {}
        while matcher.is_active():
            weights[matcher.id()] = matcher.weight()
            matcher.next()
        return weights
    weights = {}
    for block in _blocks(matcher):
        block.id()
        block.weight()  # loads the block's ids and weights into these tuples
        weights.update(zip(block._ids, block._weights, strict=True))
    return weights


def field_lengths(reader: IndexReader, fieldname: str) -> Iterator[int]:
    """Each document's length of one field in one segment, deleted documents included, as
    ``doc_field_length`` gives it; read as one column, where ``doc_field_length`` costs a
    call per document."""
    perdoc = getattr(reader, "_perdoc", None)
    if not isinstance(perdoc, whoosh3.W3PerDocReader):
        return (reader.doc_field_length(docnum, fieldname, 0)
                for docnum in range(reader.doc_count_all()))
    column = perdoc.column_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
    return (_LENGTH_OF_BYTE[byte] for byte in column)
