"""The query's own language, told from its words: materials in it rank a little higher."""

from __future__ import annotations

import math

from whoosh.searching import Searcher

from oer_portal.search.query import ParsedQuery
from oer_portal.search.ranking import Preference
from oer_portal.search.schema import LANGUAGES

#: How much more a material in the query's own language scores, and the log-odds of the
#: query's words needed to tell the language (about 3:1).
LANGUAGE_BOOST = 2.5
LANGUAGE_EVIDENCE = 1.1


def query_language(searcher: Searcher, parsed: ParsedQuery) -> Preference | None:
    """A preference for the query's language, when its words tell it.

    ``bijdragen aan open source`` found the English guide between the Dutch ones, because
    *open source* is in both.  Each word votes by how much more often it occurs (as that
    language's analyzer indexes it) in one language's materials than in the other's; a Dutch
    stop word such as *aan* votes for Dutch.  Both languages must be in the index.
    """
    # Deleted documents still count here until their segment is merged: near enough.
    sizes = {language: searcher.doc_frequency("language", language) for language in LANGUAGES}
    if not all(sizes.values()):
        return None
    evidence = 0.0
    for word in parsed.words():
        rates = []
        for language in LANGUAGES:
            tokens = list(searcher.schema[f"body_{language}"].process_text(word, mode="query"))
            if not tokens:  # a stop word here: strong evidence for this language
                frequency = sizes[language]
            else:
                frequency = searcher.doc_frequency(f"body_{language}", tokens[0])
            rates.append((frequency + 1) / (sizes[language] + 2))
        evidence += math.log(rates[0] / rates[1])
    if abs(evidence) < LANGUAGE_EVIDENCE:
        return None
    return Preference("language", LANGUAGES[0] if evidence > 0 else LANGUAGES[1],
                      LANGUAGE_BOOST)
