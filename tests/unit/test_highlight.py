"""Snippets: the passages with the most query words, marked and escaped."""

from __future__ import annotations

from oer_portal.search.highlight import pattern, snippet


def test_a_stem_marks_its_longer_forms_but_not_other_words():
    text = "De fietsen staan buiten. Een fietsenmaker repareert de fiets."
    marked = str(snippet(text, pattern(["fiets"])))
    assert "<mark>fietsen</mark> staan" in marked and "<mark>fiets</mark>." in marked
    assert "<mark>fietsenmaker</mark>" not in marked  # more than four letters further


def test_everything_outside_mark_is_escaped():
    text = "Tekst met <script>alert(1)</script> en kolibrie & <b>vet</b>."
    marked = str(snippet(text, pattern(["kolibrie", "<script>"])))
    assert "<script" not in marked and "<b>" not in marked
    assert "&lt;script&gt;" in marked and "<mark>kolibrie</mark> &amp; &lt;b&gt;" in marked


def test_the_passages_with_most_different_words_are_chosen_in_text_order():
    filler = "woord " * 80
    text = f"energie alleen. {filler} water en energie samen. {filler} water weer. {filler}" \
           "eind met energie en water."
    marked = str(snippet(text, pattern(["energie", "water"]), fragment_chars=60))
    parts = marked.split(" … ")
    assert len(parts) == 2
    assert "<mark>water</mark> en <mark>energie</mark> samen" in parts[0]
    assert "eind met <mark>energie</mark> en <mark>water</mark>" in parts[1]
    assert all(len(part) < 60 + 120 for part in parts)  # 60 characters of text, plus markup


def test_nothing_to_mark_gives_an_empty_snippet():
    assert str(snippet("Geen treffer hier.", pattern(["kolibrie"]))) == ""
    assert str(snippet("Tekst", pattern([]))) == ""
    assert str(snippet("", pattern(["tekst"]))) == ""


def test_regex_characters_in_words_are_literal():
    marked = str(snippet("C++ en a.b en axb", pattern(["a.b", "c++"])))
    assert "<mark>a.b</mark>" in marked and "axb" in marked and "<mark>axb</mark>" not in marked
