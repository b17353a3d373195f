"""Our own small, forgiving query language, turned into Whoosh query objects.

User text never reaches Whoosh's ``QueryParser``: it understands ``status:draft`` (a way round
the visibility rules), wildcards and ``[a TO z]`` ranges (minutes of work for one request).
This parser knows only words, ``"phrases"``, ``-exclusions``, ``OR``, ``AND`` and ``NOT``;
every other character is literal text, and Whoosh's syntax characters are plain separators.

Decisions a reader may want to know:

- Double quotes are ``"``, ``“``, ``”``, ``„`` and ``‟`` (any of them opens or closes, because
  people mix them); ``'`` is part of a word (``'t``, ``l'eau``), as the analyzers expect.
- An unterminated quote makes the rest of the query one phrase: the user asked for a phrase.
- ``-`` excludes only when followed directly by a word character or a quote; a lone ``-``,
  ``--`` or ``--word`` is literal text (punctuation the analyzers drop; ``--word`` finds *word*).
- ``OR`` (uppercase only) joins the clauses on either side; a dangling ``OR`` (at either end,
  doubled, or next to an exclusion) is ignored.  ``AND`` is ignored; ``NOT x`` is ``-x``.
- A query of exclusions only matches nothing: "everything except …" would list the whole
  collection, which nobody means to ask for.
- A word that is a stop word in *some* searched field (``de`` in Dutch) does not have to match:
  otherwise ``de fiets`` would require ``de`` in the English or neutral fields, where it is
  kept, and miss the Dutch material.  It still adds to the score where it occurs.
- Caps: 200 characters of query, 60 per word, 12 clauses (terms or phrases, excluded ones
  included), 8 words per phrase; whatever lies beyond a cap is ignored, never an error.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from whoosh import query as wq
from whoosh.fields import FieldType, Schema

MAX_QUERY_LENGTH = 200
MAX_WORD_LENGTH = 60
MAX_CLAUSES = 12
MAX_PHRASE_WORDS = 8

QUOTES = frozenset('"“”„‟')
#: Whoosh query syntax (fields, wildcards, ranges, groups, boosts, fuzziness, escapes, regexes,
#: comparisons): separators here, so none of it can mean anything.  ``*`` matters most, because
#: Whoosh's default tokenizer keeps it inside tokens.
SEPARATORS = frozenset(":*?[](){}^~\\/<>=+!&|")
OPERATORS = frozenset({"OR", "AND", "NOT"})
#: Unicode categories turned into spaces: controls (NUL), format characters (bidi overrides,
#: zero-width spaces: the tokenizer splits on them in indexed text too), lone surrogates
#: (they cannot be encoded into index terms) and every kind of space or line break.
_SPACE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zs", "Zl", "Zp"})
_WORD_CHAR = re.compile(r"\w")


@dataclass(frozen=True)
class Clause:
    """One term or phrase; ``words`` are NFKC-normalised as typed (lowercasing and stemming
    are the field analyzers' job, so each field can do it its own way).  The search service
    adds ``all`` clauses of its own (every word, in any field and order: ``object
    georiënteerd`` beside its joined form), never the parser."""

    kind: Literal["term", "phrase", "all"]
    words: tuple[str, ...]
    excluded: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    """The query as understood: an AND of groups, each an OR of clauses, minus exclusions."""

    groups: tuple[tuple[Clause, ...], ...]
    excluded: tuple[Clause, ...]
    #: The capped, cleaned query in this language's own syntax; parsing it again gives the
    #: same ``ParsedQuery``, so it is safe to put back into the search box.
    text: str

    @property
    def is_empty(self) -> bool:
        """True when nothing would be searched for (exclusions alone match nothing)."""
        return not self.groups

    def words(self) -> list[str]:
        """Every word searched for (not the excluded ones), in query order."""
        return [word for group in self.groups for clause in group for word in clause.words]


# --- parsing -----------------------------------------------------------------------------------


def _clean(text: str) -> str:
    # Cut before normalising so the work is bounded, and again after (NFKC can lengthen text).
    text = unicodedata.normalize("NFKC", text[:MAX_QUERY_LENGTH])[:MAX_QUERY_LENGTH]
    return "".join(
        " " if ch in SEPARATORS or unicodedata.category(ch) in _SPACE_CATEGORIES else ch
        for ch in text
    )


def _word(raw: str) -> str | None:
    word = raw[:MAX_WORD_LENGTH]
    return word if _WORD_CHAR.search(word) else None


def _phrase(content: str, excluded: bool) -> Clause | None:
    words = [w for w in (_word(raw) for raw in content.split()) if w][:MAX_PHRASE_WORDS]
    if not words:
        return None
    kind: Literal["term", "phrase"] = "phrase" if len(words) > 1 else "term"
    return Clause(kind, tuple(words), excluded)


def _tokens(text: str) -> Iterable[Clause | str]:
    """Clauses and operator names, in order; literal text that holds no word is skipped."""
    i, end = 0, len(text)
    while i < end:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        negated = ch == "-" and i + 1 < end and text[i + 1] in QUOTES
        if ch in QUOTES or negated:
            start = i + 2 if negated else i + 1
            close = next((j for j in range(start, end) if text[j] in QUOTES), end)
            clause = _phrase(text[start:close], negated)
            if clause:
                yield clause
            i = close + 1
            continue
        j = i
        while j < end and not text[j].isspace() and text[j] not in QUOTES:
            j += 1
        raw, i = text[i:j], j
        if raw in OPERATORS:
            yield raw
        elif raw.startswith("-") and len(raw) > 1 and _WORD_CHAR.match(raw[1]):
            word = _word(raw[1:])
            if word:
                yield Clause("term", (word,), excluded=True)
        else:
            word = _word(raw)
            if word:
                yield Clause("term", (word,))


#: A parsed clause in query order, and whether ``OR`` joins it to the clause before.
_Entry = tuple[Clause, bool]


def _entries(text: str) -> list[_Entry]:
    entries: list[_Entry] = []
    pending_or = pending_not = last_positive = False
    for item in _tokens(text):
        if isinstance(item, str):  # an operator; AND is the default and needs nothing
            if item == "NOT":
                pending_not = True
            elif item == "OR":
                pending_or = last_positive and not pending_not
            continue
        clause = item
        if pending_not and not clause.excluded:
            clause = Clause(clause.kind, clause.words, excluded=True)
        entries.append((clause, pending_or and not clause.excluded))
        pending_or = pending_not = False
        last_positive = not clause.excluded
        if len(entries) == MAX_CLAUSES:
            break
    return entries


def _assemble(entries: list[_Entry]) -> tuple[tuple[tuple[Clause, ...], ...], tuple[Clause, ...]]:
    groups: list[list[Clause]] = []
    excluded: list[Clause] = []
    for clause, joins in entries:
        if clause.excluded:
            excluded.append(clause)
        elif joins and groups:
            groups[-1].append(clause)
        else:
            groups.append([clause])
    return tuple(tuple(g) for g in groups), tuple(excluded)


def _render_clause(clause: Clause) -> str:
    sign = "-" if clause.excluded else ""
    word = clause.words[0]
    # Quote whatever would otherwise read back as an operator, an exclusion or (``-'t``) as
    # literal text rather than an exclusion.
    bare_reads_back = not (
        word in OPERATORS or word.startswith("-")
        or (clause.excluded and not _WORD_CHAR.match(word[0]))
    )
    if clause.kind == "phrase" or not bare_reads_back:
        return f'{sign}"{" ".join(clause.words)}"'
    return sign + word


def _render(groups: tuple[tuple[Clause, ...], ...], excluded: tuple[Clause, ...]) -> str:
    parts = [" OR ".join(_render_clause(c) for c in group) for group in groups]
    parts += [_render_clause(c) for c in excluded]
    return " ".join(parts)


def parse(text: str) -> ParsedQuery:
    """Parse user input; never raises, whatever the input."""
    entries = _entries(_clean(text))
    while True:
        groups, excluded = _assemble(entries)
        rendered = _render(groups, excluded)
        # Quotes and spaces the user left out can push the text past the cap; dropping trailing
        # clauses keeps ``text`` and the clauses in step (they were at the cut edge anyway).
        if len(rendered) <= MAX_QUERY_LENGTH:
            return ParsedQuery(groups, excluded, rendered)
        entries.pop()


# --- building Whoosh queries -------------------------------------------------------------------

def _field(schema: Schema, name: str) -> FieldType:
    if name not in schema:
        raise ValueError(f"unknown search field {name!r}")
    field = schema[name]
    if not field.format or not getattr(field, "analyzer", None) or field.self_parsing():
        raise ValueError(f"search field {name!r} is not an analysed text field")
    return field


class FieldsOr(wq.Or):
    """One word of the query over the fields it is searched in.  Kept apart from a user's
    ``OR`` (never merged into it) because the ranking combines the word's frequencies in
    these fields before it saturates them (``ranking``'s BM25F)."""


def _one(subqueries: list[wq.Query], combine: type[wq.CompoundQuery]) -> wq.Query:
    return subqueries[0] if len(subqueries) == 1 else combine(subqueries)


def _clause_in_field(
    clause: Clause, name: str, field: FieldType, boost: float
) -> wq.Query | None:
    # The words are analysed together so a phrase sees the same token positions as indexing.
    tokens = list(field.process_text(" ".join(clause.words), mode="query"))
    if not tokens:
        return None  # stop words only, in this field's language
    if len(tokens) == 1:
        return wq.Term(name, tokens[0], boost=boost)
    if field.supports("positions"):
        return wq.Phrase(name, tokens, boost=boost)
    return wq.And([wq.Term(name, token, boost=boost) for token in tokens])


def _clause_query(
    clause: Clause, fields: Mapping[str, FieldType], boosts: Mapping[str, float],
) -> tuple[wq.Query | None, bool]:
    """The clause over all fields, and whether it must match (False: a stop word somewhere)."""
    if clause.kind == "all":
        parts = [_clause_query(Clause("term", (word,)), fields, boosts)
                 for word in clause.words]
        found = [q for q, _ in parts if q is not None]
        return (_one(found, wq.And) if found else None), all(hard for _, hard in parts)
    per_field = [
        _clause_in_field(clause, name, field, boosts[name])
        for name, field in fields.items()
    ]
    found = [q for q in per_field if q is not None]
    if not found:
        return None, False
    # Not DisjunctionMax: Whoosh 2.7's DisjunctionMaxMatcher scores a document with
    # whatever posting another field's list sits on (it never compares document ids), which
    # put unrelated pages first (measured).
    return _one(found, FieldsOr), len(found) == len(per_field)


def _build(
    parsed: ParsedQuery, fields: Mapping[str, float], schema: Schema
) -> wq.Query | None:
    resolved = {name: _field(schema, name) for name in fields}  # a wrong field fails every time
    if parsed.is_empty:
        return None
    required: list[wq.Query] = []
    optional: list[wq.Query] = []
    for group in parsed.groups:
        built = [_clause_query(c, resolved, fields) for c in group]
        alternatives = [q for q, _ in built if q is not None]
        if not alternatives:
            continue
        target = required if any(hard for _, hard in built) else optional
        target.append(_one(alternatives, wq.Or))
    if required:
        result = _one(required, wq.And)
        if optional:
            result = wq.AndMaybe(result, _one(optional, wq.Or))
    elif optional:
        result = _one(optional, wq.Or)
    else:
        return None
    excluded = [
        q for q, _ in (_clause_query(c, resolved, fields) for c in parsed.excluded)
        if q is not None
    ]
    if excluded:
        result = wq.AndNot(result, _one(excluded, wq.Or))
    # Not ``normalize()``: it would merge each word's ``FieldsOr`` into a user's ``OR``.
    return result


def to_whoosh(
    parsed: ParsedQuery, fields: Mapping[str, float], schema: Schema
) -> wq.Query | None:
    """Build the Whoosh query over ``fields`` (name → boost); ``None`` when nothing remains.

    Each clause is an ``Or`` over the fields, each word analysed by that field's own
    analyzer (stemming, stop words); phrases become ``Phrase`` where the field keeps positions
    and an ``And`` of terms where it does not.  Only ``Term``, ``Phrase``, ``And``, ``Or``,
    ``AndMaybe`` and ``AndNot`` are built: nothing that expands over the
    term dictionary.  Visibility is not part of this: callers pass it as a filter.
    """
    return _build(parsed, fields, schema)


def near_pairs(
    parsed: ParsedQuery, fields: Mapping[str, float], schema: Schema, slop: int
) -> list[wq.Query]:
    """For each two plain words next to each other in the query, the documents where they
    stand together: in the order typed, within ``slop`` positions, in one field.  ``roman
    empire daily life`` has three pairs; a lesson with *Roman Empire* and *daily life*
    has two of them, one with *Roman* in the title and *life* far away none."""
    pairs: list[wq.Query] = []
    for before, after in zip(parsed.groups, parsed.groups[1:], strict=False):
        if not all(len(group) == 1 and group[0].kind == "term" for group in (before, after)):
            continue
        text = f"{before[0].words[0]} {after[0].words[0]}"
        phrases: list[wq.Query] = []
        for name in fields:
            field = _field(schema, name)
            tokens = list(field.process_text(text, mode="query"))
            if len(tokens) == 2 and field.supports("positions"):
                phrases.append(wq.Phrase(name, tokens, slop=slop))
        if phrases:
            pairs.append(_one(phrases, wq.Or))
    return pairs


def replace_words(parsed: ParsedQuery, replacements: Mapping[str, str]) -> ParsedQuery:
    """``parsed`` with some single words replaced (corrected typos), its text rendered anew
    so that it can be shown and searched again."""
    def swap(clause: Clause) -> Clause:
        if clause.kind != "term" or clause.words[0] not in replacements:
            return clause
        return Clause("term", (replacements[clause.words[0]],), clause.excluded)

    groups = tuple(tuple(swap(c) for c in group) for group in parsed.groups)
    return ParsedQuery(groups, parsed.excluded, _render(groups, parsed.excluded))


def with_typo_alternatives(
    parsed: ParsedQuery, alternatives: Callable[[str], Iterable[str]], min_length: int = 4,
) -> ParsedQuery | None:
    """The typo fallback: each word of ``min_length`` or more characters may also be any of
    the words ``alternatives`` offers for it (the search service offers the words the index
    knows within one edit).  Phrases and exclusions stay exact: they are deliberate.
    ``None`` when no word got an alternative, so the caller does not search twice.

    Alternatives are plain words, built into ``Term`` queries like any other: Whoosh's
    ``FuzzyTerm`` walked the term dictionary of every searched field for every word.
    """
    changed = False
    groups: list[tuple[Clause, ...]] = []
    for group in parsed.groups:
        clauses: list[Clause] = []
        for clause in group:
            clauses.append(clause)
            word = clause.words[0]
            if clause.kind != "term" or len(word) < min_length:
                continue
            for alternative in alternatives(word):
                candidate = _word(alternative)
                if candidate and candidate.casefold() != word.casefold():
                    clauses.append(Clause("term", (candidate,)))
                    changed = True
        groups.append(tuple(clauses))
    return ParsedQuery(tuple(groups), parsed.excluded, parsed.text) if changed else None
