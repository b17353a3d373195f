"""A search reads each term's posting blocks from the index once, however many times it needs
the term (for the set of matching documents, the word's idf, the scores, a phrase's word
order): counted on a real on-disk index of several segments, with deleted documents and
terms of several blocks, by wrapping Whoosh's block read (``W3LeafMatcher._read_data``, the
one place a block's data leaves the postings file).  Our phrase matching, which works from
the same read, finds exactly what Whoosh's ``Phrase`` finds."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from whoosh.codec import whoosh3
from whoosh.filedb.filestore import FileStorage
from whoosh.query import And, Or, Phrase, Term

from oer_portal.search import docsets, ranking, related, searchers
from oer_portal.search.query import near_pairs, parse, to_whoosh
from oer_portal.search.schema import POSITION_ID, build_schema, query_fields
from oer_portal.search.service import SearchRequest, search_in
from oer_portal.search.strategies import NEAR_SLOP

DUTCH = ["energie", "water", "temperatuur", "elektrische", "stroom", "spanning", "leerlingen",
         "fiets", "zon", "licht", "warmte", "school", "meten", "de", "het", "een", "en", "van"]
ENGLISH = ["energy", "water", "temperature", "electric", "current", "voltage", "students",
           "bicycle", "sun", "light", "heat", "school", "measure", "the", "a", "and", "of"]
DELETED = range(5, 16)


def _document(number: int, rng: random.Random) -> dict[str, object]:
    dutch = number % 3 != 0
    words = DUTCH if dutch else ENGLISH
    body = " ".join(rng.choice(words) for _ in range(rng.randint(30, 80)))
    if number % 7 == 0:
        body += " elektrische stroom" if dutch else " electric current"
    title = " ".join(rng.choice(words) for _ in range(3))
    suffix = "nl" if dutch else "en"
    return {"id": str(number), "source": "material", "title": title, "description": "",
            "snippet": body, "language": suffix, "kind": "lesson", "licence": "CC-BY-4.0",
            "licence_family": "cc-by", "has_attachments": "no",
            "subject": "physics" if number % 2 else "biology",
            "level": "secondary" if number % 3 else "primary",
            "published": datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=number),
            "title_sort": title, "rating": number % 5 * 1000, "words": f"{title} {body}",
            f"title_{suffix}": title, f"body_{suffix}": body}


@pytest.fixture()
def folder(tmp_path):
    """600 lessons in two segments (terms like *energie* span several 128-posting blocks in
    each), eleven of them deleted in a third commit."""
    rng = random.Random(17)
    ix = FileStorage(str(tmp_path), supports_mmap=False).create_index(build_schema())
    for numbers in (range(300), range(300, 600)):
        writer = ix.writer()
        for number in numbers:
            writer.add_document(**_document(number, rng))
        if numbers.start == 0:
            writer.add_document(id=POSITION_ID, position="1")
        writer.commit(merge=False)
    writer = ix.writer()
    for number in DELETED:
        writer.delete_by_term("id", str(number))
    writer.commit(merge=False)
    ix.close()
    return tmp_path


@pytest.fixture()
def block_reads(monkeypatch):
    """(postings file, term, block offset) → how often the block's data was read."""
    reads: Counter[tuple[int, tuple[str, bytes], int]] = Counter()
    read_data = whoosh3.W3LeafMatcher._read_data

    def counting(matcher: whoosh3.W3LeafMatcher) -> None:
        reads[(id(matcher._postfile), matcher._term, matcher._dataoffset)] += 1
        read_data(matcher)

    monkeypatch.setattr(whoosh3.W3LeafMatcher, "_read_data", counting)
    return reads


REQUESTS = [
    SearchRequest(query="energie"),
    SearchRequest(query="energie water temperatuur"),
    SearchRequest(query='"elektrische stroom"'),
    SearchRequest(query="elektrische stroom"),
    SearchRequest(query="energie", filters={"subject": ("physics",), "level": ("secondary",)}),
    SearchRequest(query="water", sort="newest"),
    SearchRequest(query="warmte OR heat -fiets"),
    SearchRequest(query="enrgie watr"),  # corrected: unknown words
    SearchRequest(query="zon zonnewijzer"),  # one word nowhere: topped up / any word
]


def test_each_posting_block_is_read_once_per_search(app, folder, block_reads):
    ix = FileStorage(str(folder), supports_mmap=False).open_index()
    with app.test_request_context(), ix.searcher() as searcher:
        assert len(docsets.leaves(searcher)) >= 2
        for request in REQUESTS:
            docsets.drop_postings()
            block_reads.clear()
            cold = search_in(searcher, request)
            assert block_reads, request.query
            twice = {key: n for key, n in block_reads.items() if n > 1}
            assert not twice, (request.query, twice)
            # With the caches filled nothing is read again, and the answer is the same.
            block_reads.clear()
            warm = search_in(searcher, request)
            assert not block_reads, request.query
            assert [(h.material_id, h.score) for h in warm.hits] == \
                [(h.material_id, h.score) for h in cold.hits]
            assert (warm.total, warm.facets) == (cold.total, cold.facets)
        # The count is not trivially one: common words span several blocks of a segment.
        docsets.drop_postings()
        searchers.drop_memos()
        block_reads.clear()
        search_in(searcher, SearchRequest(query="energie"))
        blocks = Counter((postfile, term) for postfile, term, _offset in block_reads)
        energie = _tokens(searcher, "body_nl", "energie")[0].encode()
        assert max(n for (_p, term), n in blocks.items() if term == ("body_nl", energie)) > 1
    ix.close()


def _tokens(searcher, fieldname: str, text: str) -> list[str]:
    return list(searcher.schema[fieldname].process_text(text, mode="query"))


def test_phrases_match_what_whoosh_matches(folder):
    ix = FileStorage(str(folder), supports_mmap=False).open_index()
    with ix.searcher() as searcher:
        phrases = [Phrase(name, _tokens(searcher, name, text), slop=slop) for name, text, slop in [
            ("body_nl", "elektrische stroom", 1), ("body_nl", "energie water", 3),
            ("body_nl", "water energie zon", 2), ("body_nl", "water water", 1),
            ("body_en", "electric current", 1), ("body_en", "current electric", 3),
            ("body_nl", "energie zonnewijzer", 1)]]
        leaves = docsets.leaves(searcher)
        for phrase in [*phrases, Or(phrases[:3])]:
            docsets.drop_postings()
            with docsets.one_search():
                ours = docsets.matching(searcher, phrase, leaves).global_ids()
            theirs = {hit.docnum for hit in searcher.search(phrase, limit=None)}
            assert ours == theirs, phrase
        assert any(docsets.matching(searcher, p, leaves) for p in phrases)
    ix.close()


def _searched(searcher, text: str):
    """The index's segments, ``text`` parsed, its query and the documents it matches."""
    leaves = docsets.leaves(searcher)
    parsed = parse(text)
    query = to_whoosh(parsed, query_fields(), searcher.schema)
    return leaves, parsed, query, docsets.matching(searcher, query, leaves)


@pytest.mark.parametrize("text", ["energie water temperatuur", "elektrische stroom zon"])
def test_word_order_is_checked_only_where_it_can_change_the_page(folder, text):
    """Ranking asks whether a document has the query's neighbouring words together only
    while that can still bring it onto the page, and finds the page a check of every
    document finds."""
    ix = FileStorage(str(folder), supports_mmap=False).open_index()
    with ix.searcher() as searcher, docsets.one_search():
        leaves, parsed, query, candidates = _searched(searcher, text)
        pairs = near_pairs(parsed, query_fields(), searcher.schema, NEAR_SLOP)
        together = [docsets.matching(searcher, pair, leaves).global_ids() for pair in pairs]
        assert len(pairs) == 2 and all(together)
        plain = ranking.top(searcher, query, candidates, len(candidates))
        every = sorted(((score * ranking.PROXIMITY_FACTOR ** (
            sum(docnum in pair for pair in together) / len(pairs)), -docnum)
            for docnum, score in plain), reverse=True)
        for limit in (1, 10, len(candidates)):
            close = [docsets.Together(pair) for pair in pairs]
            page = ranking.top(searcher, query, candidates, limit, close=close)
            assert page == [(-negated, score) for score, negated in every[:limit]]
            checked = len(close[0].known)
            if limit == len(candidates):
                assert checked == len(candidates)
            else:
                assert 0 < checked < len(candidates) / 2, (limit, checked, len(candidates))
    ix.close()


@pytest.mark.parametrize("text", ["energie water temperatuur", "elektrische stroom", "zon"])
def test_a_query_searched_again_takes_its_pages_from_its_kept_order(folder, monkeypatch, text):
    """The second search of a query scores all its documents once and keeps them in order;
    its later pages, within any filters, are those scoring the filtered documents gives.
    The first search scores only the documents within its filters."""
    scored: list[int] = []
    segment_scores = ranking._segment_scores

    def counting(prepared, index, reader, local, *args):
        scored.append(len(local))
        return segment_scores(prepared, index, reader, local, *args)

    monkeypatch.setattr(ranking, "_segment_scores", counting)
    ix = FileStorage(str(folder), supports_mmap=False).open_index()
    with ix.searcher() as searcher, docsets.one_search():
        leaves, parsed, query, scope = _searched(searcher, text)
        groups = [docsets.matching(searcher, to_whoosh(parse(word), query_fields(),
                                                       searcher.schema), leaves)
                  for word in parsed.words()]
        prefer = ranking.Preference("language", "nl", 1.5)
        filters = [docsets.term(leaves, "subject", "physics"),
                   docsets.term(leaves, "level", "secondary")]
        within = [scope, scope & filters[0], scope & filters[1], scope & filters[0] & filters[1]]
        assert all(len(candidates) for candidates in within)
        memo = searchers.Memo()
        searches = 0
        for candidates in within[1:] + within:
            for limit in (1, 7, len(scope)):
                for _again in range(2):
                    pairs = near_pairs(parsed, query_fields(), searcher.schema, NEAR_SLOP)
                    close = [docsets.Together(pair) for pair in pairs]
                    fresh = ranking.top(searcher, query, candidates, limit, prefer, groups,
                                        close)
                    scored.clear()
                    kept = ranking.top(searcher, query, candidates, limit, prefer, groups,
                                       [docsets.Together(pair) for pair in pairs],
                                       memo.get, scope=scope)
                    assert kept == fresh, (searches, len(candidates), limit)
                    searches += 1
                    if searches == 1:  # the first search scores its own candidates
                        assert sum(scored) == len(candidates) < len(scope)
                    elif searches == 2:  # the second the whole scope, once
                        assert sum(scored) == len(scope)
                    else:
                        assert scored == [], (searches, len(candidates), limit)
    ix.close()


def test_more_like_this_finds_what_whoosh_finds(folder):
    """``related.most_alike`` scores from our reads what Whoosh's ``more_like`` finds with
    its matchers: the same documents in the same order, for materials in either language,
    with deleted documents, two segments, and then a third without any Dutch document."""
    ix = FileStorage(str(folder), supports_mmap=False).open_index()
    with ix.searcher() as searcher:
        assert len(docsets.leaves(searcher)) == 2
        for number in (0, 1, 2, 4, 21, 299, 300, 598):
            ours, theirs = _alike_both_ways(searcher, number)
            assert len(ours) == 12 and ours == theirs, number
    writer = ix.writer()
    rng = random.Random(5)
    for number in (1002, 1005):  # English lessons
        writer.add_document(**_document(number, rng))
    writer.commit(merge=False)
    with ix.searcher() as searcher:
        english, = [reader for reader, _offset in docsets.leaves(searcher)
                    if reader.doc_count_all() == 2]
        assert list(ranking.field_lengths(english, "body_nl")) == [0, 0] == [
            english.doc_field_length(docnum, "body_nl", 0) for docnum in range(2)]
        for number in (1, 1002):
            ours, theirs = _alike_both_ways(searcher, number)
            assert ours == theirs, number
    ix.close()


def _alike_both_ways(searcher, number: int) -> tuple[list[int], list[int]]:
    """The twelve physics lessons most like lesson ``number`` in its language, by
    ``related.most_alike`` and by Whoosh's ``more_like``."""
    docnum = searcher.document_number(id=str(number))
    stored = searcher.stored_fields(docnum)
    fieldname = f"body_{stored['language']}"
    key_terms = searcher.key_terms_from_text(fieldname, stored["snippet"], numterms=15,
                                             normalize=True)
    leaves = docsets.leaves(searcher)
    allowed = docsets.term(leaves, "language", stored["language"]) & \
        docsets.term(leaves, "subject", "physics")
    theirs = searcher.more_like(docnum, fieldname, text=stored["snippet"], top=12,
                                numterms=15, normalize=True, filter=And([
                                    Term("language", stored["language"]),
                                    Term("subject", "physics")]))
    ours = related.most_alike(searcher, fieldname, key_terms, allowed, docnum, 12)
    assert docnum not in ours
    return ours, [hit.docnum for hit in theirs]
