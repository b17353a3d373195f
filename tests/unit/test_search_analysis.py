"""The ``words`` field is fed each word once (``analysis.distinct_words``): its terms are
exactly those of the whole text; a field's text is indexed in one loop that gives exactly
the tokens of its chain of filters (``analysis.IndexingAnalyzer``); and a full build's
stemmers remember every word without stemming any differently
(``whoosh_compat.remember_every_stem``)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.analysis import CompositeAnalyzer, StemFilter

from oer_portal.search.analysis import (
    IndexingAnalyzer,
    distinct_words,
    language_analyzer,
    neutral_analyzer,
)
from oer_portal.search.schema import build_schema
from oer_portal.search.whoosh_compat import remember_every_stem

#: Words that test the filters: stop words, case, accents, compounds, dotted names, stars,
#: digits, a letter whose lower case is two characters (``İ``), and an ``ß``.
WORDS = ["de", "the", "The", "a", "of", "Water", "water", "WATER", "financiële", "Financiële",
         "coördinaat", "object-georiënteerd", "Object-Georiënteerd", "objectgeoriënteerd",
         "matplotlib.pyplot", "x", "3", "2.5", "co-ouder", "e-mail", "wi*ld", "İstanbul",
         "Straße", "naïef", "fietsen", "-", ".", "a-b-c", "één", "_x_"]
SEPARATORS = [" ", "  ", "\n", ", ", ". ", "-", ".", "(", ") ", "'", "—", "\t"]

texts = st.one_of(
    st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), max_size=60)
    .map(lambda pairs: "".join(word + separator for word, separator in pairs)),
    st.text(alphabet=st.sampled_from("aAbeéëİ\u0131ßx-.* 1_\n"), max_size=80),  # dotless i too
)


def _terms(text: str) -> set[str]:
    return {token.text for token in neutral_analyzer()(text, mode="index")}


@settings(max_examples=400, deadline=None)
@given(texts)
def test_each_word_once_gives_the_terms_of_the_whole_text(text):
    assert _terms(distinct_words(text)) == _terms(text)


def test_each_word_is_kept_once_in_its_first_spelling():
    assert distinct_words("Water, water en WATER. Het water-bed!") == "Water en Het water-bed"


def test_a_build_stems_as_whoosh_does_and_remembers_every_word_per_language():
    plain, remembering = build_schema(), build_schema()
    remember_every_stem(remembering)
    text = "The runners were running; de fietsen fietsten langs financiële lessen " * 3
    for field in ("title_en", "body_en", "title_nl", "body_nl"):
        assert [t.text for t in remembering[field].analyzer(text)] == \
               [t.text for t in plain[field].analyzer(text)]

    def stemmer(field: str):
        return next(item for item in remembering[field].analyzer.items
                    if isinstance(item, StemFilter))._stem

    assert stemmer("title_en") is stemmer("body_en") is stemmer("description_en")
    assert stemmer("body_nl") is not stemmer("body_en")
    assert stemmer("body_en").cache_info().maxsize is None


def _chain(analyzer: IndexingAnalyzer) -> CompositeAnalyzer:
    """The same filters as Whoosh's own chain of generators."""
    return CompositeAnalyzer(*analyzer.items)


ANALYZERS = {"nl": lambda: language_analyzer("nl"), "en": lambda: language_analyzer("en"),
             "neutral": neutral_analyzer}


@pytest.mark.parametrize("name", sorted(ANALYZERS))
@pytest.mark.parametrize("keywords", [{"positions": True, "boosts": True}, {"boosts": True},
                                      {}, {"positions": True, "chars": False}])
@settings(max_examples=150, deadline=None)
@given(text=texts)
def test_indexing_in_one_loop_gives_the_chains_tokens(name, keywords, text):
    analyzer = ANALYZERS[name]()

    def tokens(run) -> list[tuple[str, int | None, float, bool]]:
        return [(t.text, getattr(t, "pos", None) if keywords.get("positions") else None,
                 t.boost, t.stopped) for t in run(text, mode="index", **keywords)]

    assert tokens(analyzer) == tokens(_chain(analyzer))


@pytest.mark.parametrize("name", sorted(ANALYZERS))
def test_a_query_or_a_highlight_goes_through_the_chain(name):
    analyzer = ANALYZERS[name]()
    text = "De object-georiënteerde Fietsen, the matplotlib.pyplot of financiële lessen"
    for keywords in ({"mode": "query"}, {"mode": "index", "chars": True, "positions": True},
                     {"mode": "query", "removestops": False, "positions": True}):
        assert [(t.text, t.stopped, getattr(t, "startchar", None))
                for t in analyzer(text, **keywords)] == \
               [(t.text, t.stopped, getattr(t, "startchar", None))
                for t in _chain(analyzer)(text, **keywords)]
