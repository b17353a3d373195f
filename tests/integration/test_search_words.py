"""How the search treats the words people type: accents, compounds, words that stand
together, typos corrected one word at a time, and filters by any of their names.

Every test goes through the search service as the page and the API use it."""

from __future__ import annotations

import pytest

from oer_portal.accounts.models import User
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import lifecycle
from oer_portal.materials.models import Material
from oer_portal.search.service import SearchRequest, search


@pytest.fixture()
def people(make_user):
    return make_user("teacher"), make_user("moderator")


@pytest.fixture()
def publish(make_material, people):
    teacher, moderator = people

    def publish(title: str, body: str, language: str = "nl", **fields) -> int:
        return make_material(teacher, title=title, body=body, language=language,
                             publish_by=moderator, **fields)

    return publish


def _titles(app, query: str, **filters: tuple[str, ...]) -> list[str]:
    with app.test_request_context():
        return [hit.title for hit in search(SearchRequest(query=query, filters=filters)).hits]


def _results(app, query: str):
    with app.test_request_context():
        return search(SearchRequest(query=query))


# --- accents ---------------------------------------------------------------------------------


@pytest.mark.parametrize("typed, written", [
    ("financiele", "financiële"), ("coordinaat", "coördinaat"),
    ("reintegratie", "reïntegratie"), ("cafe", "café")])
def test_a_word_typed_without_accents_finds_the_word_with_them(app, publish, typed, written):
    publish(f"Les over {written}", f"Vandaag: de {written} kant van de zaak.\n")
    publish("Iets anders", "Over fietsen en treinen.\n")
    assert _titles(app, typed) == [f"Les over {written}"]


def test_a_word_typed_with_accents_finds_the_word_without_them(app, publish):
    publish("Financiele rekenles", "Financiele zaken voor de klas.\n")
    assert _titles(app, "financiële") == ["Financiele rekenles"]


def test_the_highlight_marks_the_word_as_the_lesson_writes_it(app, publish):
    publish("Rekenen", "De financiële kant van een schoolreis.\n")
    hit = _results(app, "financiele").hits[0]
    assert "<mark>financiële</mark>" in str(hit.highlights)


# --- compounds -------------------------------------------------------------------------------


@pytest.fixture()
def compounds(publish):
    return {
        "hyphen": publish("Programmeren met klassen", "Leer object-georiënteerd denken.\n"),
        "joined": publish("Modelleren", "Een objectgeoriënteerd model van een bibliotheek.\n"),
        "apart": publish("Ontwerpen", "Het object georiënteerd ontwerpen van software.\n"),
        "neither": publish("Tekenen", "Een object tekenen en georiënteerd raken.\n"),
    }


@pytest.mark.parametrize("query", [
    "object-georiënteerd", "objectgeoriënteerd", "object georiënteerd",
    "objectgeorienteerd", '"object georienteerd"'])
def test_hyphenated_joined_and_separate_compounds_find_each_other(app, compounds, query):
    found = set(_titles(app, query))
    assert {"Programmeren met klassen", "Modelleren", "Ontwerpen"} <= found
    if query.startswith(("objectgeori", '"')):
        assert "Tekenen" not in found  # the words apart, not together, are no compound


def test_a_dotted_name_is_found_by_its_parts(app, publish):
    publish("Grafieken", "import matplotlib.pyplot as plt\n\nplt.plot(data)\n", language="en")
    assert _titles(app, "matplotlib") == ["Grafieken"]
    assert _titles(app, "pyplot") == ["Grafieken"]


def test_a_compound_written_once_in_code_does_not_rewrite_a_common_phrase(app, publish):
    """One *standard-deviation* among lessons that write *standard deviation* is no compound:
    searching its joined form too would give that one lesson a second match."""
    filler = " Spread, mean and median of a sample."
    for n in range(4):
        publish(f"Spreiding {n}", "The standard deviation measures spread." + filler,
                language="en")
    publish("Style sheet", "The standard-deviation class measures spread." + filler,
            language="en")
    assert _titles(app, "standard deviation")[-1] == "Style sheet"


# --- words that stand together ---------------------------------------------------------------


def test_words_standing_together_outrank_a_title_with_one_of_them(app, publish):
    publish("War and peace in Europe",
            "Europe after the treaties. Much later a civil servant wrote letters.\n",
            language="en")
    publish("The American conflict",
            "The civil war divided the country. The civil war ended in 1865.\n",
            language="en")
    assert _titles(app, "civil war") == ["The American conflict", "War and peace in Europe"]


def test_a_phrase_in_the_body_is_not_drowned_by_the_words_in_a_title(app, publish):
    publish("Roman roads and the empire", "Roads were built for armies.\n", language="en")
    publish("Introduction", "Daily life in the Roman Empire: bread, baths and the market. "
            "Daily life for a Roman family.\n", language="en")
    assert _titles(app, "roman empire daily life")[0] == "Introduction"


# --- typos -----------------------------------------------------------------------------------


@pytest.fixture()
def arithmetic(publish):
    publish("Breuken vergelijken", "Welke breuken zijn groter? We vergelijken breuken.\n",
            subjects=("mathematics",))
    publish("Python lussen", "Met lussen herhaal je code in Python.\n",
            subjects=("computer-science",))
    publish("Breuk en geheel", "Een breuk is een deel van een geheel.\n",
            subjects=("mathematics",))
    publish("Oplossen", "Vergelijkingen lossen we stap voor stap op.\n",
            subjects=("mathematics",))


def test_an_unknown_word_is_corrected_and_the_known_one_kept(app, arithmetic):
    results = _results(app, "wiskunde breukn")
    assert results.suggestion == "wiskunde breuken" and results.fuzzy
    assert [hit.title for hit in results.hits] == ["Breuken vergelijken", "Breuk en geheel"]


def test_a_word_that_occurs_is_never_corrected(app, arithmetic):
    results = _results(app, "lussen python")
    assert results.suggestion is None and not results.fuzzy
    assert [hit.title for hit in results.hits] == ["Python lussen"]


def test_the_page_shows_the_results_for_the_corrected_words_at_once(client, arithmetic):
    page = client.get("/search?q=wiskunde+breukn").get_data(as_text=True)
    assert "2 results for “wiskunde breuken”" in page
    assert "Nothing was found for “wiskunde breukn”." in page
    assert "Breuken vergelijken" in page


def test_corrections_come_only_from_words_published_materials_hold(app, publish, people):
    """A withdrawn lesson's word stays in Whoosh's term list until its segment is merged;
    it is never offered."""
    publish("Zonnewijzer bouwen", "Een zonnewijzer van karton.\n")
    withdrawn = publish("Kompasnaald", "Een kompasnaald magnetiseren.\n")
    with app.app_context():
        lifecycle.withdraw(db.session.get(User, people[1].id),
                           db.session.get(Material, withdrawn), "verouderd")
        current_uow().commit()
    assert _results(app, "kompasnaalt").suggestion is None
    assert _results(app, "zonnewijzr").suggestion == "zonnewijzer"


def test_a_subject_name_is_a_word_of_its_materials(app, arithmetic):
    assert set(_titles(app, "wiskunde")) == {"Breuken vergelijken", "Breuk en geheel",
                                             "Oplossen"}
    assert _titles(app, "informatica") == ["Python lussen"]


# --- filters by name -------------------------------------------------------------------------


@pytest.fixture()
def filtered(publish):
    publish("Maatschappij", "Stemmen en de gemeenteraad.\n", subjects=("social-studies",),
            levels=("havo",))
    publish("Natuur", "Stemmen van vogels.\n", subjects=("biology",), levels=("vmbo",))


@pytest.mark.parametrize("name", ["social-studies", "social studies", "Social Studies",
                                  "Maatschappijleer", "maatschappijleer"])
def test_a_subject_filter_takes_its_code_or_any_of_its_names(client, filtered, name):
    data = client.get("/api/v1/search", query_string={"q": "stemmen", "subject": name}
                      ).get_json()
    assert [r["title"] for r in data["results"]] == ["Maatschappij"]


def test_a_level_filter_takes_its_name_in_any_case(client, filtered):
    data = client.get("/api/v1/search", query_string={"level": "HAVO"}).get_json()
    assert [r["title"] for r in data["results"]] == ["Maatschappij"]


def test_an_unknown_filter_value_is_a_400_with_the_valid_values(client, filtered):
    response = client.get("/api/v1/search", query_string={"q": "stemmen",
                                                          "subject": "astrologie"})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["type"].endswith("#problem-invalid-parameter")
    assert problem["invalid"][0]["parameter"] == "subject"
    assert problem["invalid"][0]["value"] == "astrologie"
    assert "social-studies" in problem["invalid"][0]["valid"]
    assert "subject=astrologie" in problem["detail"]


@pytest.mark.parametrize("params, parameter", [
    ({"colour": "red"}, None), ({"sort": "popular"}, "sort"), ({"page": "two"}, "page"),
    ({"per_page": "1e3"}, "per_page"), ({"licence_family": "GPL"}, None),
    ({"kind": "video"}, None), ({"has_attachments": "maybe"}, None)])
def test_an_unknown_parameter_or_value_is_a_400_that_says_what_is_valid(client, params,
                                                                        parameter):
    response = client.get("/api/v1/search", query_string=params)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["detail"] and problem["status"] == 400
    assert [item["parameter"] for item in problem["invalid"]] == [parameter or next(iter(params))]


def test_the_page_names_an_unknown_filter_and_searches_without_it(client, filtered):
    response = client.get("/search?q=stemmen&subject=astrologie")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "These filters are unknown, so they were left out:" in page
    assert "Subject “astrologie”" in page
    assert "Maatschappij" in page and "Natuur" in page
