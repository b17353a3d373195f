"""The search service's own matching, scoring and facet counting agree with Whoosh's, on a
real index of several segments with deleted documents; and the ranking signals Whoosh lacks
(query language, share of the words) do what they claim."""

from __future__ import annotations

import pytest
from whoosh import sorting
from whoosh.query import Or, Term

from oer_portal.search import docsets, ranking, service
from oer_portal.search.query import parse, to_whoosh
from oer_portal.search.schema import POSITION_ID, query_fields

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
    for text in QUERIES:
        parsed = parse(text)
        query = to_whoosh(parsed, query_fields(), searcher.schema)
        yield text, query
        widened = service._any_word(parsed, query_fields(), searcher)
        if len(parsed.groups) > 1 and widened is not None:
            yield f"{text} (topped up)", Or([query, widened])


def test_matching_documents_and_scores_equal_whoosh(app, index):
    with app.test_request_context():
        searcher = service._searcher()
        leaves = docsets.leaves(searcher)
        assert len(leaves) > 1 and searcher.reader().has_deletions()
        position = docsets.term(leaves, "id", POSITION_ID)
        checked = 0
        for text, query in _queries(searcher):
            matched = docsets.matching(searcher, query, leaves) - position
            theirs = {hit.docnum: hit.score for hit in searcher.search(query, limit=None)}
            assert matched.global_ids() == set(theirs), text
            ours = dict(ranking.top(searcher, query, matched, limit=100))
            assert ours.keys() == theirs.keys(), text
            for docnum, score in theirs.items():
                assert ours[docnum] == pytest.approx(score, rel=1e-9), text
            checked += bool(theirs)
        assert checked >= 10


def test_facet_counts_equal_whoosh_groupedby(app, index):
    with app.test_request_context():
        searcher = service._searcher()
        leaves = docsets.leaves(searcher)
        position = docsets.term(leaves, "id", POSITION_ID)
        for text, query in [("everything", None), *_queries(searcher)]:
            matched = (docsets.every(leaves) if query is None
                       else docsets.matching(searcher, query, leaves)) - position
            for name in service.FACETS:
                facet = sorting.FieldFacet(name, allow_overlap=name in service.MULTI_VALUED,
                                           maptype=sorting.Count)
                results = searcher.search(query or Term("kind", "lesson"), limit=None,
                                          groupedby={name: facet})
                theirs = {k: v for k, v in results.groups(name).items() if k}
                assert dict(docsets.counts(matched, name)) == theirs, (text, name)


def test_the_query_language_is_told_by_its_words(app, index):
    """Dutch stop words (*het*, *voor*) make a query Dutch; words only English lessons have
    make it English.  (English stop words say nothing: Whoosh's Dutch list holds them too.)"""
    with app.test_request_context():
        searcher = service._searcher()

        def language(text):
            preference = service._query_language(searcher, parse(text))
            return preference and preference.value

        assert language("het open source voor") == "nl"
        assert language("evaporates temperature energy") == "en"
        assert language("the open source") is None


def test_the_preferred_language_and_the_share_of_words_multiply_the_score(app, index):
    with app.test_request_context():
        searcher = service._searcher()
        run = service._Run(searcher, service.SearchRequest())
        parsed = parse("fiets temperatuur energie water")
        query = Or([to_whoosh(parsed, query_fields(), searcher.schema),
                    service._any_word(parsed, query_fields(), searcher)])
        matched = run.matching(query)
        plain = dict(ranking.top(searcher, query, matched, 100))
        run.coordinate(parsed, query_fields())
        assert len(run.groups) == 4
        shared = dict(ranking.top(searcher, query, matched, 100, coordination=run.groups))
        preferred = dict(ranking.top(searcher, query, matched, 100,
                                     ranking.Preference("language", "en", 3.0), run.groups))
        group_members = [group.global_ids() for group in run.groups]
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
