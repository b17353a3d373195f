"""The search service's own matching, scoring and facet counting agree with Whoosh's, on a
real index of several segments with deleted documents; and the ranking signals Whoosh lacks
(query language, share of the words) do what they claim."""

from __future__ import annotations

import math

import pytest
from whoosh import scoring, sorting
from whoosh.query import And, AndMaybe, AndNot, Or, Phrase, Term
from whoosh.searching import Searcher

from oer_portal.search import docsets, filters, ranking, searchers
from oer_portal.search.language import query_language
from oer_portal.search.query import FieldsOr, parse, to_whoosh
from oer_portal.search.run import SearchRun
from oer_portal.search.schema import POSITION_ID, query_fields
from oer_portal.search.strategies import Question

TEXTS = [
    ("Fietsen in de stad", "De fiets is snel. Fietsen naar school en de stad.", "nl"),
    ("Energie en water", "Water koken kost energie; de temperatuur stijgt.", "nl"),
    ("Zonne-energie", "Energie uit de zon: temperatuur, water en licht.", "nl"),
    ("Water cycle", "Water evaporates; energy and temperature drive the water cycle.", "en"),
    ("Databases for beginners", "A database stores rows. Databases use tables.", "en"),
    ("Open source in class", "Open source software: open source code, open source tools and "
                             "open source lessons.", "en"),
    ("Open source in de klas", "Open source programma's in de klas gebruiken.", "nl"),
    ("Elektrische stroom", "Elektrische stroom meet je in ampère; stroom en spanning.", "nl"),
    ("Temperature", "Temperature and energy; water boils at a temperature of 100.", "en"),
    ("Lesbrief", "Over de fiets, de temperatuur buiten en de energie die je verbruikt.", "nl"),
    ("Verwijderd", "Water energie temperatuur fiets database.", "nl"),
]

QUERIES = ["water", "energie water temperatuur", "fiets", "databases", '"elektrische stroom"',
           "water -energie", "de fiets", "open source", "water OR database stroom",
           "temperatuur energie zon"]


@pytest.fixture()
def index(app, make_user, make_material):
    """Ten materials published one by one (a segment each, merged as Whoosh likes), one of
    them withdrawn again (a deletion)."""
    from oer_portal.core.uow import current_uow
    from oer_portal.extensions import db
    from oer_portal.materials import lifecycle
    from oer_portal.materials.models import Material

    teacher, moderator = make_user("teacher"), make_user("moderator")
    ids = [make_material(teacher, title=title, body=body, language=language,
                         subjects=("physics",) if i % 2 else ("biology",),
                         levels=("havo",) if i % 3 else ("vwo",), publish_by=moderator)
           for i, (title, body, language) in enumerate(TEXTS)]
    with app.app_context():
        from oer_portal.accounts.models import User

        lifecycle.withdraw(db.session.get(User, moderator.id),
                           db.session.get(Material, ids[-1]), "test")
        current_uow().commit()
    return ids


def _queries(searcher):
    run = SearchRun(searcher, {})
    for text in QUERIES:
        parsed = parse(text)
        query = to_whoosh(parsed, query_fields(), searcher.schema)
        yield text, query
        widened = Question(run, parsed).any_word(parsed)
        if widened is not None:
            yield f"{text} (topped up)", Or([query, widened])


def _reference_scores(searcher, query):
    """The scores ``ranking.top`` must give, worked out the slow, plain way from Whoosh's
    public API: each word by BM25F over its fields (weighted, length-normalised frequencies
    added, then saturated once), each phrase by Whoosh's own scorer with the same
    parameters, combined as Whoosh's matchers combine them."""
    total = searcher.doc_count()
    phrase_scorer = Searcher(searcher.reader(), closereader=False,
                             weighting=scoring.BM25F(B=ranking.B, K1=ranking.K1))

    def docs(node):
        return {hit.docnum: hit.score for hit in phrase_scorer.search(node, limit=None)}

    def word(node):
        terms = [node] if isinstance(node, Term) else list(node)
        idf = math.log(total / (len(docs(node)) + 1)) + 1
        combined = {}
        for term in terms:
            if (term.fieldname, term.text) not in searcher.reader():
                continue
            average = searcher.avg_field_length(term.fieldname)
            postings = searcher.postings(term.fieldname, term.text)
            while postings.is_active():
                docnum = postings.id()
                if not searcher.reader().is_deleted(docnum):
                    length = searcher.doc_field_length(docnum, term.fieldname)
                    combined[docnum] = combined.get(docnum, 0.0) + term.boost * \
                        postings.weight() / (1 - ranking.B + ranking.B * length / average)
                postings.next()
        return {d: idf * (ranking.K1 + 1) * x / (ranking.K1 + x) for d, x in combined.items()}

    def score(node):
        if isinstance(node, Term) or (
                isinstance(node, FieldsOr) and all(isinstance(t, Term) for t in node)):
            return word(node)
        if isinstance(node, Phrase):
            return docs(node)
        if isinstance(node, Or):
            result = {}
            for sub in node.subqueries:
                for docnum, value in score(sub).items():
                    result[docnum] = result.get(docnum, 0.0) + value
            return result
        if isinstance(node, And):
            parts = [score(sub) for sub in node.subqueries]
            common = set.intersection(*(set(part) for part in parts))
            return {d: sum(part[d] for part in parts) for d in common}
        if isinstance(node, AndMaybe):
            required, optional = score(node.a), score(node.b)
            return {d: value + optional.get(d, 0.0) for d, value in required.items()}
        if isinstance(node, AndNot):
            return {d: v for d, v in score(node.a).items() if d not in docs(node.b)}
        raise AssertionError(f"unexpected node {node!r}")

    return score(query)


def test_matching_documents_equal_whoosh_and_scores_equal_plain_bm25f(app, index):
    with app.test_request_context():
        searcher = searchers.current()
        leaves = docsets.leaves(searcher)
        assert len(leaves) > 1 and searcher.reader().has_deletions()
        position = docsets.term(leaves, "id", POSITION_ID)
        checked = 0
        for text, query in _queries(searcher):
            matched = docsets.matching(searcher, query, leaves) - position
            theirs = {hit.docnum for hit in searcher.search(query, limit=None)}
            assert matched.global_ids() == theirs, text
            ours = dict(ranking.top(searcher, query, matched, limit=100))
            expected = _reference_scores(searcher, query)
            assert ours.keys() == expected.keys() == theirs, text
            for docnum, value in expected.items():
                assert ours[docnum] == pytest.approx(value, rel=1e-9), text
            checked += bool(theirs)
        assert checked >= 10


def test_facet_counts_equal_whoosh_groupedby(app, index):
    with app.test_request_context():
        searcher = searchers.current()
        leaves = docsets.leaves(searcher)
        position = docsets.term(leaves, "id", POSITION_ID)
        for text, query in [("everything", None), *_queries(searcher)]:
            matched = (docsets.every(leaves) if query is None
                       else docsets.matching(searcher, query, leaves)) - position
            for name in filters.FACETS:
                facet = sorting.FieldFacet(name, allow_overlap=name in filters.MULTI_VALUED,
                                           maptype=sorting.Count)
                results = searcher.search(query or Term("kind", "lesson"), limit=None,
                                          groupedby={name: facet})
                theirs = {k: v for k, v in results.groups(name).items() if k}
                assert dict(docsets.counts(matched, name)) == theirs, (text, name)


def test_the_query_language_is_told_by_its_words(app, index):
    """Dutch stop words (*het*, *voor*) make a query Dutch; words only English lessons have
    make it English.  (English stop words say nothing: Whoosh's Dutch list holds them too.)"""
    with app.test_request_context():
        searcher = searchers.current()

        def language(text):
            preference = query_language(searcher, parse(text))
            return preference and preference.value

        assert language("het open source voor") == "nl"
        assert language("evaporates temperature energy") == "en"
        assert language("the open source") is None


def test_the_preferred_language_and_the_share_of_words_multiply_the_score(app, index):
    with app.test_request_context():
        searcher = searchers.current()
        run = SearchRun(searcher, {})
        parsed = parse("fiets temperatuur energie water")
        query = Or([to_whoosh(parsed, query_fields(), searcher.schema),
                    Question(run, parsed).any_word(parsed)])
        matched = run.matching(query)
        plain = dict(ranking.top(searcher, query, matched, 100))
        groups = run.group_matches(parsed)
        assert len(groups) == 4
        shared = dict(ranking.top(searcher, query, matched, 100, coordination=groups))
        preferred = dict(ranking.top(searcher, query, matched, 100,
                                     ranking.Preference("language", "en", 3.0), groups))
        group_members = [group.global_ids() for group in groups]
        languages = {}
        for docnum in plain:
            stored = searcher.stored_fields(docnum)
            languages[docnum] = stored["language"]
            share = sum(docnum in members for members in group_members) / 4
            assert 0 < share < 1  # nobody has every word
            assert shared[docnum] == pytest.approx(plain[docnum] * share), stored["title"]
            factor = 3.0 if languages[docnum] == "en" else 1.0
            assert preferred[docnum] == pytest.approx(shared[docnum] * factor)
        assert set(languages.values()) == {"nl", "en"}


def test_sorting_by_date_and_title_uses_every_segment(client, index):
    newest = client.get("/api/v1/search", query_string={"sort": "newest"}).get_json()
    dates = [r["published"] for r in newest["results"]]
    assert dates == sorted(dates, reverse=True) and len(dates) == len(TEXTS) - 1
    by_title = client.get("/api/v1/search", query_string={"q": "water", "sort": "title"}
                          ).get_json()
    titles = [r["title"] for r in by_title["results"]]
    assert titles == sorted(titles, key=str.casefold) and "Verwijderd" not in titles


def test_a_query_in_dutch_lifts_the_dutch_material(app, index):
    """*Open source* is in both lessons; *het* and *voor* (Dutch stop words) tell the
    language, and the Dutch lesson's score is multiplied by the language boost."""
    from oer_portal.search.language import LANGUAGE_BOOST
    from oer_portal.search.service import SearchRequest, search

    def scores(text):
        with app.test_request_context():
            return {hit.language: hit.score for hit in search(SearchRequest(query=text)).hits}

    plain, dutch = scores("open source"), scores("het open source voor")
    assert dutch["nl"] / dutch["en"] == pytest.approx(LANGUAGE_BOOST * plain["nl"] / plain["en"])
