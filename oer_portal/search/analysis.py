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


def language_analyzer(language: str) -> Composable:
    """Words of one language: its stop words out, accents folded, stemmed.  Compounds are
    split after the stop words, whose filter renumbers the positions it passes."""
    return (RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | StopFilter(lang=language)
            | CompoundFilter() | AccentFilter()
            | StemFilter(lang=language, cachesize=50_000))


def neutral_analyzer() -> Composable:
    """Words as written (any language): lower case, accents folded, not stemmed."""
    return (RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter() | StopFilter()
            | CompoundFilter() | AccentFilter())
