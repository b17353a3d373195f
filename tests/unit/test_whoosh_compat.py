"""The private Whoosh reads give what Whoosh's public API gives, and a Whoosh they were not
proven on is refused when the app starts."""

from __future__ import annotations

import pytest
import whoosh
from whoosh import fields
from whoosh.filedb.filestore import RamStorage

from oer_portal.search import whoosh_compat

SCHEMA = fields.Schema(id=fields.ID(stored=True), body=fields.TEXT(phrase=True))


@pytest.fixture()
def reader():
    """Three segments (one with a deletion), long posting lists of several blocks."""
    ix = RamStorage().create_index(SCHEMA)
    for batch in range(3):
        with ix.writer() as writer:
            for n in range(600):
                words = " ".join(["fiets"] * (1 + n % 5) + ["trein"] * (n % 3) + ["bus"])
                writer.add_document(id=f"{batch}-{n}", body=words)
    with ix.writer() as writer:
        writer.delete_by_term("id", "1-7")
    with ix.reader() as opened:
        yield opened


def test_posting_ids_and_weights_equal_the_public_matcher(reader):
    leaves = [leaf for leaf, _offset in reader.leaf_readers()]
    assert len(leaves) == 3
    for leaf in leaves:
        for word in ("fiets", "trein", "bus"):
            public = {}
            matcher = leaf.postings("body", word)
            while matcher.is_active():
                public[matcher.id()] = matcher.weight()
                matcher.next()
            # Deleted documents are included (the search takes them off per search); the
            # public matcher leaves them out.
            deleted = set(leaf.all_doc_ids()) ^ set(range(leaf.doc_count_all()))
            ids = whoosh_compat.posting_ids(leaf.postings("body", word))
            weights = whoosh_compat.posting_weights(leaf.postings("body", word))
            assert ids - deleted == set(public) and ids.issuperset(public)
            assert {d: w for d, w in weights.items() if d not in deleted} == public
            assert len(ids) > 300  # more than one block of postings was read


def test_field_lengths_equal_the_public_doc_field_length(reader):
    for leaf, _offset in reader.leaf_readers():
        assert list(whoosh_compat.field_lengths(leaf, "body")) == [
            leaf.doc_field_length(docnum, "body", 0) for docnum in range(leaf.doc_count_all())]


def test_the_installed_whoosh_is_proven():
    whoosh_compat.require_proven_whoosh()


@pytest.mark.parametrize("version", [(2, 7, 6), (2, 8, 0), (3, 0)])
def test_an_unproven_whoosh_is_refused_with_what_to_do(version):
    with pytest.raises(whoosh_compat.UnprovenWhoosh) as refused:
        whoosh_compat.require_proven_whoosh(version)
    message = str(refused.value)
    assert ".".join(map(str, version)) in message
    assert "whoosh-reloaded==2.7.5" in message and "PROVEN_VERSIONS" in message


def test_the_app_does_not_start_on_an_unproven_whoosh(monkeypatch, tmp_path):
    from oer_portal import create_app

    monkeypatch.setattr(whoosh, "__version__", (2, 9, 1))
    monkeypatch.setenv("OER_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(whoosh_compat.UnprovenWhoosh):
        create_app({"TESTING": True, "SECRET_KEY": "x" * 40,
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/portal.db"})
