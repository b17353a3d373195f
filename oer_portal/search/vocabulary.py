"""The words the live index knows, for one search: is a word known, how would a typo be
corrected, which compound forms exist.

"Known" means a published material has it now: Whoosh's term dictionary still holds the
words of deleted documents until their segment is merged, so every candidate is checked
against the live documents (``docsets``) before it is offered.  A word that is known is
never corrected (``lussen python`` stays as typed); only unknown words get corrections, from
words published materials contain.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import cached_property
from typing import Any, TypeVar

from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from oer_portal.search import docsets
from oer_portal.search.query import Clause, ParsedQuery, to_whoosh
from oer_portal.search.schema import query_fields

#: Every material's words as written (``schema``): corrections are taken from it.
WORDS = "words"
#: Words shorter than this are never corrected (``zo``, ``de``, ``sql``).
MIN_CORRECTED = 4
#: Alternatives offered for an unknown word by the typo step.
MAX_ALTERNATIVES = 8
#: A word is split into two known words, each at least this long, to find it written apart.
MIN_COMPOUND_PART = 4
#: A compound form is searched too when materials use it at least a quarter as often as
#: the form typed.
COMPOUND_SHARE = 4

T = TypeVar("T")
Remember = Callable[[tuple[Hashable, ...], Callable[[], Any]], Any]


class Vocabulary:
    """What the live index of one searcher knows.

    Every answer depends on the index and the word alone, so ``remember`` may keep them
    for as long as the searcher reads the same commit (``SearchRun.remember``); by default
    they are kept for this object's lifetime (one search).
    """

    def __init__(self, searcher: Searcher, leaves: tuple[docsets.Leaf, ...],
                 hidden: docsets.DocSets, remember: Remember | None = None) -> None:
        self.searcher, self.leaves, self.hidden = searcher, leaves, hidden
        self._answers: dict[tuple[Hashable, ...], Any] = {}
        self._remember = remember or self._keep

    def _keep(self, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
        if key not in self._answers:
            self._answers[key] = compute()
        return self._answers[key]  # type: ignore[no-any-return]

    @cached_property
    def _reader(self) -> IndexReader:
        return self.searcher.reader()

    def token(self, word: str) -> str | None:
        """``word`` as the neutral fields index it (lower case, no accents); ``None`` when it
        is not one plain token (a stop word, or a hyphenated compound)."""
        tokens = list(self.searcher.schema[WORDS].process_text(word, mode="query"))
        return tokens[0] if len(tokens) == 1 else None

    def matches(self, word: str) -> docsets.DocSets:
        """The live documents ``word`` matches in any searched field, each field analysing it
        its own way (so *fietsen* matches the Dutch stem of *fiets*)."""
        return self._remember(  # type: ignore[no-any-return]
            ("word matches", word), lambda: self._matches(word))

    def _matches(self, word: str) -> docsets.DocSets:
        clause = ParsedQuery(((Clause("term", (word,)),),), (), word)
        query = to_whoosh(clause, query_fields(), self.searcher.schema)
        return (docsets.matching(self.searcher, query, self.leaves) if query is not None
                else docsets.empty(self.leaves)) - self.hidden

    def is_known(self, word: str) -> bool:
        return len(self.matches(word)) > 0

    def _frequency(self, token: str) -> int:
        """Live documents with the word ``token`` (as written)."""
        return len(docsets.term(self.leaves, WORDS, token) - self.hidden)

    def _near(self, token: str, maxdist: int, prefix: int) -> list[str]:
        """Known words within ``maxdist`` edits, the first ``prefix`` letters equal; those
        not shorter than the typed word first (a missing letter is the commonest slip: a
        ``breukn`` is a *breuken* before it is a *breuk*), then the commonest."""
        found = {term for term in self._reader.terms_within(WORDS, token, maxdist, prefix=prefix)
                 if term != token}
        counted = [(term, self._frequency(term)) for term in found]
        ranked = sorted(((term, count) for term, count in counted if count),
                        key=lambda item: (len(item[0]) < len(token), -item[1], item[0]))
        return [term for term, _count in ranked]

    def correction(self, word: str) -> str | None:
        """The likeliest known word for an unknown ``word``: one edit away before two (a
        swapped pair of letters is two); ``None`` for a known, short or odd word."""
        return self._remember(  # type: ignore[no-any-return]
            ("correction", word), lambda: self._correction(word))

    def _correction(self, word: str) -> str | None:
        token = self.token(word)
        if token is None or len(token) < MIN_CORRECTED or not token.isalpha() \
                or self.is_known(word):
            return None
        for maxdist, prefix in ((1, 1), (2, 2)):
            near = self._near(token, maxdist, prefix)
            if near:
                return near[0]
        return None

    def alternatives(self, word: str) -> list[str]:
        """Every known word within one edit of an unknown ``word`` (the typo step), the
        likeliest first."""
        return list(self._remember(("alternatives", word),
                                   lambda: tuple(self._alternatives(word))))

    def _alternatives(self, word: str) -> list[str]:
        token = self.token(word)
        if token is None or len(token) < MIN_CORRECTED or self.is_known(word):
            return []
        return self._near(token, 1, 2)[:MAX_ALTERNATIVES]

    def _phrase_frequency(self, words: tuple[str, ...]) -> int:
        """Live documents with ``words`` side by side in a searched field."""
        phrase = ParsedQuery(((Clause("phrase", words),),), (), "")
        query = to_whoosh(phrase, query_fields(), self.searcher.schema)
        if query is None:
            return 0
        return len(docsets.matching(self.searcher, query, self.leaves) - self.hidden)

    def joined(self, words: tuple[str, ...]) -> str | None:
        """``object georiënteerd`` → ``objectgeoriënteerd`` when materials write it so, as
        often as apart or nearly (one *standard-deviation* in code beside a hundred lessons
        on the standard deviation is no compound)."""
        return self._remember(  # type: ignore[no-any-return]
            ("joined", words), lambda: self._joined(words))

    def _joined(self, words: tuple[str, ...]) -> str | None:
        tokens = [self.token(word) for word in words]
        if len(tokens) < 2 or any(token is None for token in tokens):
            return None
        joined = "".join(tokens)  # type: ignore[arg-type]
        together = self._frequency(joined)
        if not together or together * COMPOUND_SHARE < self._phrase_frequency(words):
            return None
        return joined

    def split(self, word: str) -> tuple[str, str] | None:
        """``objectgeoriënteerd`` → (``object``, ``georiënteerd``) when materials write it
        apart as often as joined or nearly; the split with the longest first part wins."""
        return self._remember(  # type: ignore[no-any-return]
            ("split", word), lambda: self._split(word))

    def _split(self, word: str) -> tuple[str, str] | None:
        token = self.token(word)
        if token is None or len(token) < 2 * MIN_COMPOUND_PART or not token.isalpha():
            return None
        typed = self._frequency(token)
        for cut in range(len(token) - MIN_COMPOUND_PART, MIN_COMPOUND_PART - 1, -1):
            halves = (token[:cut], token[cut:])
            if self._frequency(halves[0]) and self._frequency(halves[1]):
                apart = self._phrase_frequency(halves)
                if apart and apart * COMPOUND_SHARE >= typed:
                    return halves
        return None
