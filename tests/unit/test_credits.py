"""TASL credits in three formats: every work down to the original, user text escaped for the
format, imported attribution kept verbatim, withdrawn sources still credited."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask_babel import force_locale

from oer_portal.remix.credits import (
    Author,
    CreditEntry,
    Credits,
    as_html,
    as_markdown,
    as_text,
    licence_label,
)

WORK = CreditEntry(title="Breuken voor groep 7", url="https://oer.example/materials/5-breuken",
                   licence="CC-BY-SA-4.0",
                   authors=(Author("Bea Bakker", "https://oer.example/users/2"),))
SOURCE = CreditEntry(title="Breuken", url="https://oer.example/materials/3/v/2",
                     licence="CC-BY-4.0", version_number=2,
                     authors=(Author("Anna Aalders", "https://oer.example/users/1"),
                              Author("Cor Claassen", "https://oer.example/users/3")))
ORIGINAL = CreditEntry(title="Fractions <b>1</b> & [more]", url="https://oer.example/materials/1",
                       licence="CC0-1.0", version_number=1, withdrawn=True,
                       authors=(Author("Marieke *Jansen*"),),
                       source_url="https://example.org/fractions (old)",
                       attribution="“Fractions”, by Marieke Jansen <mj@example.org>, CC0.")
CHAIN = Credits(WORK, (SOURCE, ORIGINAL))


@pytest.fixture()
def english() -> Iterator[None]:
    app = Flask(__name__)
    from oer_portal.extensions import babel

    babel.init_app(app)
    with app.test_request_context(), force_locale("en"):
        yield


def test_licence_labels_are_short_and_linked():
    assert licence_label("CC-BY-SA-4.0", "en") == (
        "CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/")
    assert licence_label("CC-BY-NC-SA-3.0", "nl")[0] == "CC BY-NC-SA 3.0"
    assert licence_label("CC0-1.0", "en")[0] == "CC0 1.0 Universal (public domain)"
    assert licence_label("Eigen licentie", "en") == ("Eigen licentie", None)


def test_plain_text_credits_every_work_down_to_the_original(english):
    lines = as_text(CHAIN, "en").splitlines()
    assert lines[0] == ("“Breuken voor groep 7” (https://oer.example/materials/5-breuken) by "
                        "Bea Bakker is licensed under CC BY-SA 4.0 "
                        "(https://creativecommons.org/licenses/by-sa/4.0/).")
    assert lines[1] == ("Adapted from “Breuken” (https://oer.example/materials/3/v/2) "
                        "(version 2) by Anna Aalders, Cor Claassen, licensed under CC BY 4.0 "
                        "(https://creativecommons.org/licenses/by/4.0/).")
    assert lines[2].startswith("That work was adapted from “Fractions <b>1</b> & [more]” "
                               "(https://oer.example/materials/1) (version 1) by Marieke "
                               "*Jansen*, licensed under CC0 1.0 Universal (public domain) ")
    assert "It has since been withdrawn." in lines[2]
    assert "Original source: https://example.org/fractions (old)" in lines[2]
    assert lines[2].endswith("Original attribution: “Fractions”, by Marieke Jansen "
                             "<mj@example.org>, CC0.")
    assert len(lines) == 3


def test_html_credits_escape_user_text_and_mark_the_licence(english):
    html = str(as_html(CHAIN, "en"))
    assert html.count("<p>") == 3
    assert ('“<a href="https://oer.example/materials/5-breuken">Breuken voor groep 7</a>” by '
            '<a href="https://oer.example/users/2">Bea Bakker</a> is licensed under '
            '<a href="https://creativecommons.org/licenses/by-sa/4.0/" rel="license">'
            'CC BY-SA 4.0</a>.') in html
    assert "Fractions &lt;b&gt;1&lt;/b&gt; &amp; [more]" in html
    assert "<b>" not in html and "<mj@" not in html and "&lt;mj@example.org&gt;" in html
    assert ('<a href="https://example.org/fractions (old)" rel="nofollow noopener">'
            in html)
    assert "Marieke *Jansen*" in html  # a name without a profile is not a link


def test_markdown_credits_escape_markup_and_keep_links_whole(english):
    markdown = as_markdown(CHAIN, "en")
    paragraphs = markdown.split("\n\n")
    assert len(paragraphs) == 3
    assert paragraphs[0].startswith("“[Breuken voor groep 7]"
                                    "(https://oer.example/materials/5-breuken)” by "
                                    "[Bea Bakker](https://oer.example/users/2)")
    assert "[CC BY-SA 4.0](https://creativecommons.org/licenses/by-sa/4.0/)" in paragraphs[0]
    assert r"“[Fractions \<b\>1\</b\> & \[more\]](https://oer.example/materials/1)”" \
        in paragraphs[2]
    assert r"Marieke \*Jansen\*" in paragraphs[2]
    assert "<https://example.org/fractions%20%28old%29>" in paragraphs[2]
    assert r"\<mj@example.org\>" in paragraphs[2]


def test_a_material_without_sources_is_credited_alone(english):
    alone = Credits(WORK)
    assert as_text(alone, "en").count("\n") == 0
    assert "Adapted" not in str(as_html(alone, "en"))


def test_a_cut_chain_says_where_the_rest_is(english):
    cut = Credits(WORK, (SOURCE,), truncated=True)
    assert as_text(cut, "en").splitlines()[-1] == (
        "Earlier sources are named on the pages of the works above.")


def test_an_entry_without_authors_says_so(english):
    nameless = Credits(CreditEntry(title="Zonder naam", url="https://oer.example/m/9",
                                   licence="CC-BY-4.0", authors=()))
    assert "by unknown author" in as_text(nameless, "en")
