"""How text becomes index terms: accents folded, hyphenated compounds split and joined.

- **Accents.** Most pupils type without diacritics, so ``financiele`` must find *financiële*
  and ``coordinaat`` *coördinaat*: every analyzer folds accented letters (Whoosh's
  ``accent_map``) after the stop words (whose lists are written with accents) and before
  stemming.  The highlighter marks the original word (``highlight.pattern``).
- **Compounds.** Dutch writes *object-georiënteerd*, *objectgeoriënteerd* and *object
  georiënteerd* for one idea.  A hyphenated word is indexed as its parts (at consecutive
  positions, so the phrase ``object georiënteerd`` matches it) and as the parts joined (at
  the first part's position, so ``objectgeoriënteerd`` matches it too); a dotted name
  (``matplotlib.pyplot``) likewise, kept whole.  In a query such a word is only its parts,
  a phrase; the search service adds the joined and the split forms of query words as
  alternatives where the index knows them (``strategies.with_compounds``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from whoosh.analysis import (
    Composable,
    CompositeAnalyzer,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
    Token,
)
from whoosh.support.charset import accent_map

#: Whoosh's default token pattern, with ``-`` joining word parts as ``.`` already did.
TOKEN_PATTERN = r"[\w\*]+(?:[.\-][\w\*]+)*"  # noqa: S105 (a pattern, not a password)  # nosec B105
_TOKEN = re.compile(TOKEN_PATTERN)


def distinct_words(text: str) -> str:
    """Each word of ``text`` once (the first spelling of words equal but for case), for a
    field read only as "which documents hold this term" (``words``): every filter after
    the tokenizer works on one token's lower case alone, so the terms analysed from this
    are the terms of the whole text, at a fraction of the cost (the text is a lesson of
    hundreds of words, most of them repeated).  Found with the tokenizer's own pattern, so
    each word is one token again."""
    firsts: dict[str, str] = {}
    for word in dict.fromkeys(_TOKEN.findall(text)):
        firsts.setdefault(word.lower(), word)
    return " ".join(firsts.values())


class CompoundFilter(Filter):
    """A word of parts joined by ``-`` or ``.`` is indexed as its parts and as a whole:
    ``object-georiënteerd`` as *object*, *georiënteerd* and *objectgeoriënteerd*;
    ``matplotlib.pyplot`` as *matplotlib*, *pyplot* and *matplotlib.pyplot* (code names are
    looked for by their parts).  In a query only the parts remain, which the field makes a
    phrase.  The positions of the tokens after it move up to make room for the parts."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CompoundFilter)

    def __hash__(self) -> int:
        return hash(CompoundFilter)

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        shift = 0
        for token in tokens:
            if token.positions:
                token.pos += shift
            text = token.text
            if "-" not in text and "." not in text:
                yield token
                continue
            parts = [part for part in _PARTS.split(text) if part]
            if len(parts) < 2:
                yield token
                continue
            start = token.pos if token.positions else 0
            if token.mode != "query":
                token.text = text.replace("-", "")
                yield token
            for offset, part in enumerate(parts):
                token.text = part
                if token.positions:
                    token.pos = start + offset
                yield token
            shift += len(parts) - 1


_PARTS = re.compile(r"[.\-]")


class AccentFilter(Filter):
    """Whoosh's ``CharsetFilter(accent_map)``, with a fast path for the plain ASCII words
    that most words are (it translated every one, a third of the neutral analyzer's time)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AccentFilter)

    def __hash__(self) -> int:
        return hash(AccentFilter)

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            if not token.text.isascii():
                token.text = token.text.translate(accent_map)
            yield token


class IndexingAnalyzer(CompositeAnalyzer):
    """The analyzers below, which index a document's text in one loop instead of a chain of
    six generators (a token passed through six, about a third of a reindex's analysis time;
    profiled).  The loop applies the chain's own filters' settings (stop list and sizes,
    stemmer and its cache) in the chain's order, and only for plain indexing (what a writer
    asks: ``mode="index"``, no character offsets, stop words removed); every other call (a
    query, a highlight) goes through the chain itself.  ``tests/unit/test_search_analysis.py``
    proves both give the same tokens."""

    def __call__(self, value: str, no_morph: bool = False, **kwargs: object
                 ) -> Iterator[Token]:
        if no_morph or not _plain_indexing(kwargs) or not self._fusable():
            return super().__call__(value, no_morph=no_morph, **kwargs)
        return self._index(value, **kwargs)

    def _fusable(self) -> bool:
        items = self.items
        return (len(items) in (5, 6) and isinstance(items[0], RegexTokenizer)
                and items[0].expression.pattern == TOKEN_PATTERN and not items[0].gaps
                and type(items[1]) is LowercaseFilter and type(items[2]) is StopFilter
                and type(items[3]) is CompoundFilter and type(items[4]) is AccentFilter
                and (len(items) == 5 or type(items[5]) is StemFilter))

    def _index(self, value: str, positions: bool = False, mode: str = "index",
               chars: bool = False, **kwargs: object) -> Iterator[Token]:
        stop = self.items[2]
        stops, minsize, maxsize, renumber = stop.stops, stop.min, stop.max, stop.renumber
        stemmer = self.items[5] if len(self.items) == 6 else None
        stem = stemmer._stem if stemmer is not None else None
        ignore = stemmer.ignore if stemmer is not None else frozenset()
        token = Token(positions, chars, removestops=True, mode=mode, **kwargs)
        token.boost, token.stopped = 1.0, False
        kept: int | None = None  # the stop filter's renumbering
        shift = 0  # the compound filter's
        for raw, word in enumerate(_TOKEN.findall(value)):
            text = word.lower()
            if len(text) < minsize or (maxsize is not None and len(text) > maxsize) \
                    or text in stops:
                continue
            pos = raw
            if renumber and positions:
                kept = raw if kept is None else kept + 1
                pos = kept
            pos += shift
            if "-" in text or "." in text:
                parts = [part for part in _PARTS.split(text) if part]
            else:
                parts = []
            if len(parts) < 2:
                words: list[tuple[str, int]] = [(text, pos)]
            else:
                start = pos if positions else 0
                words = [(text.replace("-", ""), pos),
                         *((part, start + offset) for offset, part in enumerate(parts))]
                shift += len(parts) - 1
            for text_, pos_ in words:
                if not text_.isascii():
                    text_ = text_.translate(accent_map)
                if stem is not None and text_ not in ignore:
                    text_ = stem(text_)
                token.text = text_
                if positions:
                    token.pos = pos_
                yield token


def _plain_indexing(kwargs: dict[str, object]) -> bool:
    """Whether an analyzer call is a writer's: only these keywords, as Whoosh's formats
    pass them when they index a field's value."""
    return (kwargs.get("mode") == "index" and not kwargs.get("chars")
            and set(kwargs) <= {"mode", "positions", "boosts", "chars"})


def language_analyzer(language: str) -> Composable:
    """Words of one language: its stop words out, accents folded, stemmed.  Compounds are
    split after the stop words, whose filter renumbers the positions it passes."""
    return IndexingAnalyzer(RegexTokenizer(TOKEN_PATTERN), LowercaseFilter(),
                            StopFilter(lang=language), CompoundFilter(), AccentFilter(),
                            StemFilter(lang=language, cachesize=50_000))


def neutral_analyzer() -> Composable:
    """Words as written (any language): lower case, accents folded, not stemmed."""
    return IndexingAnalyzer(RegexTokenizer(TOKEN_PATTERN), LowercaseFilter(), StopFilter(),
                            CompoundFilter(), AccentFilter())
