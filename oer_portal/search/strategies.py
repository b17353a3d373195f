"""How a query is answered: strategies tried in order, each when the one before fell short.

1. **exact**: every word (a word also in its compound forms: ``object georiënteerd`` finds
   *objectgeoriënteerd*, and the other way round);
2. **top-up**: fewer than ``TOP_UP_BELOW`` materials have every word: those with some of
   them are added, ranked by the share of the words they have (below the complete ones);
3. **correction**: nothing found and a word is unknown to the index: that word becomes the
   likeliest known word (``wiskunde breukn`` → ``wiskunde breuken``; a known word is never
   changed), and the results say so;
4. **typo**: still nothing: each unknown word may be any known word one edit away;
5. **any word**: still nothing: materials with some of the words, ranked by their share.

Each strategy gets what the one before found and returns a better answer or ``None``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from whoosh.query import Or, Query

from oer_portal.search import docsets
from oer_portal.search.query import (
    Clause,
    ParsedQuery,
    near_pairs,
    replace_words,
    to_whoosh,
    with_typo_alternatives,
)
from oer_portal.search.run import Scoring, SearchRun
from oer_portal.search.schema import query_fields
from oer_portal.search.vocabulary import Vocabulary

#: With fewer results than this for all words, documents with some of the words are added.
TOP_UP_BELOW = 10
#: Words count as standing together within this many positions of each other.
NEAR_SLOP = 3


@dataclass(frozen=True)
class Answer:
    """What a strategy found."""

    #: What scores the documents (``None``: browsing, nothing to score).
    query: Query | None
    #: Before and within the visitor's filters (facet counts need both).
    matched: docsets.DocSets
    shown: docsets.DocSets
    #: The words marked in the snippets: those searched, with the joined compound forms but
    #: not the halves of a split one (*data* on its own is no hit for ``databases``).
    marked: ParsedQuery
    scoring: Scoring
    #: Found for words other than those typed (corrected, or one edit away).
    fuzzy: bool = False
    #: The corrected query, shown as "results for …".
    suggestion: str | None = None

    @property
    def found(self) -> bool:
        return len(self.shown) > 0


class Question:
    """One query put to one index: the parsed words, the index's vocabulary, the run.

    What depends on the index and the words alone (the queries built, the documents they
    match, compound forms and corrections) is worked out once per index commit
    (``SearchRun.remember``); only what the visitor's filters change is worked out anew.
    """

    def __init__(self, run: SearchRun, parsed: ParsedQuery) -> None:
        self.run, self.parsed = run, parsed
        self.vocabulary = Vocabulary(run.searcher, run.leaves, run.hidden, run.remember)
        #: The words the any-word step widens: the corrected ones once a correction exists.
        self.words = parsed

    def build(self, parsed: ParsedQuery) -> Query | None:
        return self.run.remember(("query", parsed), lambda: to_whoosh(
            parsed, query_fields(), self.run.searcher.schema))

    def answer(self, parsed: ParsedQuery, **presentation: object) -> Answer | None:
        """Every word of ``parsed`` (with its compound forms), or ``None`` when nothing of
        it can be searched for."""
        found = self.run.remember(("found", parsed), lambda: self._found(parsed))
        if found is None:
            return None
        query, matched, close, marked = found
        return Answer(query, matched, self.run.filtered(matched), marked,
                      Scoring(close=close), **presentation)  # type: ignore[arg-type]

    def _found(self, parsed: ParsedQuery) -> tuple[
            Query, docsets.DocSets, tuple[docsets.Together, ...], ParsedQuery] | None:
        """What ``answer`` finds before the filters: the query, the documents it matches,
        which have each pair of neighbouring words together (asked by the ranking for the
        documents that can reach the page), and the words marked."""
        searched = with_compounds(parsed, self.vocabulary)
        query = self.build(searched)
        if query is None:
            return None
        matched = self.run.matching(query)
        close = tuple(docsets.Together(pair) for pair in near_pairs(
            parsed, query_fields(), self.run.searcher.schema, NEAR_SLOP))
        typed = {clause for group in parsed.groups for clause in group}
        marked = ParsedQuery(tuple(
            tuple(c for c in group if c.kind != "phrase" or c in typed)
            for group in searched.groups), (), parsed.text)
        return query, matched, close, marked

    def any_word(self, parsed: ParsedQuery) -> Query | None:
        """The query with its AND groups turned into one OR (exclusions kept)."""
        if len(parsed.groups) < 2:
            return None
        return self.run.remember(("any word", parsed), lambda: self._any_word(parsed))

    def _any_word(self, parsed: ParsedQuery) -> Query | None:
        widened = ParsedQuery((tuple(c for group in parsed.groups for c in group),),
                              parsed.excluded, parsed.text)
        return self.build(with_compounds(widened, self.vocabulary))


def with_compounds(parsed: ParsedQuery, vocabulary: Vocabulary) -> ParsedQuery:
    """``parsed`` with the compound forms the index knows as alternatives: two plain words
    in a row also as one (``object georiënteerd`` → *objectgeoriënteerd*), a two-word
    phrase or hyphenated word also joined, and a long word also as two words side by side
    (``objectgeoriënteerd`` → "object georiënteerd")."""
    groups: list[tuple[Clause, ...]] = []
    index = 0
    while index < len(parsed.groups):
        group = parsed.groups[index]
        following = parsed.groups[index + 1] if index + 1 < len(parsed.groups) else None
        if following is not None and _plain_word(group) and _plain_word(following):
            pair = (group[0].words[0], following[0].words[0])
            joined = vocabulary.joined(pair)
            if joined is not None:
                groups.append((Clause("all", pair), Clause("term", (joined,))))
                index += 2
                continue
        groups.append(group + tuple(_compound_forms(group, vocabulary)))
        index += 1
    return ParsedQuery(tuple(groups), parsed.excluded, parsed.text)


def _plain_word(group: tuple[Clause, ...]) -> bool:
    return len(group) == 1 and group[0].kind == "term" and "-" not in group[0].words[0]


def _compound_forms(group: tuple[Clause, ...], vocabulary: Vocabulary) -> list[Clause]:
    forms: list[Clause] = []
    for clause in group:
        words = clause.words[0].split("-") if clause.kind == "term" else list(clause.words)
        if len(words) == 2 and all(words):
            joined = vocabulary.joined(tuple(words))
            if joined is not None:
                forms.append(Clause("term", (joined,)))
        elif clause.kind == "term":
            split = vocabulary.split(clause.words[0])
            if split is not None:
                forms.append(Clause("phrase", split))
    return forms


Strategy = Callable[[Question, Answer | None], Answer | None]


def exact(question: Question, _found: Answer | None) -> Answer | None:
    return question.answer(question.parsed)


def top_up(question: Question, found: Answer | None) -> Answer | None:
    if found is None or not 0 < len(found.shown) < TOP_UP_BELOW:
        return None
    widened = question.any_word(question.parsed)
    if widened is None:
        return None
    # A document with every word scores higher: it matches both queries.  (It need not
    # match the any-word query alone: ``objectgeoriënteerd`` matched ``object georiënteerd``
    # as a compound.)
    query, matched = question.run.remember(("top-up", question.parsed), lambda: (
        Or([found.query, widened]) if found.query else widened,
        found.matched | question.run.matching(widened)))
    return replace(found, query=query, matched=matched,
                   shown=question.run.filtered(matched),
                   scoring=replace(found.scoring,
                                   groups=question.run.group_matches(question.parsed)))


def correction(question: Question, found: Answer | None) -> Answer | None:
    if found is not None and found.found:
        return None
    vocabulary = question.vocabulary
    corrections = {word: corrected for word in question.parsed.words()
                   if (corrected := vocabulary.correction(word)) is not None}
    if not corrections:
        return None
    corrected = replace_words(question.parsed, corrections)
    question.words = corrected
    answer = question.answer(corrected, fuzzy=True, suggestion=corrected.text)
    return answer if answer is not None and answer.found else None


def typo(question: Question, found: Answer | None) -> Answer | None:
    if found is not None and found.found:
        return None
    variant = with_typo_alternatives(question.parsed, question.vocabulary.alternatives)
    answer = question.answer(variant, fuzzy=True) if variant is not None else None
    return answer if answer is not None and answer.found else None


def any_word(question: Question, found: Answer | None) -> Answer | None:
    if found is not None and found.found:
        return None
    words = question.words
    widened = question.any_word(words)
    if widened is None:
        return None
    matched = question.run.matching(widened)
    return Answer(widened, matched, question.run.filtered(matched), words,
                  Scoring(groups=question.run.group_matches(words)),
                  fuzzy=words is not question.parsed)


STRATEGIES: tuple[Strategy, ...] = (exact, top_up, correction, typo, any_word)


def answer(run: SearchRun, parsed: ParsedQuery) -> Answer | None:
    """The best answer the strategies give, in order (``None``: nothing can be searched)."""
    question = Question(run, parsed)
    found: Answer | None = None
    for strategy in STRATEGIES:
        found = strategy(question, found) or found
    return found
