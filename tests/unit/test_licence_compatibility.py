"""The licence compatibility engine follows ARCHITECTURE.md section 5, for every licence the
registry knows (older versions included), whatever the order of the sources."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oer_portal.licences import registry
from oer_portal.licences.compatibility import (
    Adaptation,
    Refusal,
    allowed_licences_for_adaptation,
    collection_credit_note,
    may_embed_in_collection,
)
from oer_portal.licences.registry import LICENCES, Element

ALL_SPDX = sorted(LICENCES)

# --- The expected outcomes, written out by hand (not computed by the engine's rules) ---------

ND = Refusal.NO_DERIVATIVES
SA_NC = Refusal.SHARE_ALIKE_WITH_NON_COMMERCIAL
#: What a remix may carry, as families, most open first.
FREE = ("CC0", "BY", "BY-SA")          # only CC0/PDM sources: nothing required, NC not offered
BY = ("BY", "BY-SA")                   # credit required; SA may be added
SA = ("BY-SA",)                        # rule 3
NC = ("BY-NC", "BY-NC-SA")             # NC kept; SA may be added
NC_SA = ("BY-NC-SA",)                  # rule 4

FAMILIES = ("CC0", "PDM", "BY", "BY-SA", "BY-NC", "BY-NC-SA", "BY-ND", "BY-NC-ND")
#: Row: the first source's family; column: the second's (same order as FAMILIES).
PAIR_TABLE = {
    #              CC0    PDM    BY     BY-SA  BY-NC  BY-NC-SA BY-ND BY-NC-ND
    "CC0":        (FREE,  FREE,  BY,    SA,    NC,    NC_SA,   ND,   ND),
    "PDM":        (FREE,  FREE,  BY,    SA,    NC,    NC_SA,   ND,   ND),
    "BY":         (BY,    BY,    BY,    SA,    NC,    NC_SA,   ND,   ND),
    "BY-SA":      (SA,    SA,    SA,    SA,    SA_NC, SA_NC,   ND,   ND),
    "BY-NC":      (NC,    NC,    NC,    SA_NC, NC,    NC_SA,   ND,   ND),
    "BY-NC-SA":   (NC_SA, NC_SA, NC_SA, SA_NC, NC_SA, NC_SA,   ND,   ND),
    "BY-ND":      (ND,    ND,    ND,    ND,    ND,    ND,      ND,   ND),
    "BY-NC-ND":   (ND,    ND,    ND,    ND,    ND,    ND,      ND,   ND),
}
SINGLE_TABLE = {"CC0": FREE, "PDM": FREE, "BY": BY, "BY-SA": SA, "BY-NC": NC,
                "BY-NC-SA": NC_SA, "BY-ND": ND, "BY-NC-ND": ND}
#: The offered licence of each family a remix can carry.
RESULT_SPDX = {"CC0": "CC0-1.0", "BY": "CC-BY-4.0", "BY-SA": "CC-BY-SA-4.0",
               "BY-NC": "CC-BY-NC-4.0", "BY-NC-SA": "CC-BY-NC-SA-4.0"}


def family(spdx: str) -> str:
    """``CC-BY-SA-3.0`` → ``BY-SA``, ``CC0-1.0`` → ``CC0``: read off the id, not the registry."""
    return spdx.rsplit("-", 1)[0].removeprefix("CC-")


def spdx_ids(adaptation: Adaptation, attribute: str = "allowed") -> list[str]:
    return [lic.spdx for lic in getattr(adaptation, attribute)]


def assert_outcome(result: Adaptation, expected: tuple[str, ...] | Refusal) -> None:
    if isinstance(expected, Refusal):
        assert result.refusal is expected
        assert not result.ok and result.allowed == () and result.suggested is None
    else:
        assert result.ok and result.refusal is None and result.offending == ()
        assert spdx_ids(result) == [RESULT_SPDX[f] for f in expected]
        assert result.suggested is not None
        assert result.suggested.spdx == RESULT_SPDX[expected[0]]


def test_the_tables_cover_every_family_the_registry_knows():
    assert {family(spdx) for spdx in LICENCES} == set(FAMILIES) == set(PAIR_TABLE)
    assert all(len(row) == len(FAMILIES) for row in PAIR_TABLE.values())


def test_the_pair_table_is_symmetric():
    for i, j in itertools.product(range(len(FAMILIES)), repeat=2):
        assert PAIR_TABLE[FAMILIES[i]][j] == PAIR_TABLE[FAMILIES[j]][i]


@pytest.mark.parametrize(("first", "second"), list(itertools.product(ALL_SPDX, repeat=2)))
def test_every_ordered_pair_of_known_licences(first, second):
    expected = PAIR_TABLE[family(first)][FAMILIES.index(family(second))]
    result = allowed_licences_for_adaptation([first, second])
    assert_outcome(result, expected)
    assert spdx_ids(result, "sources") == [first, second]
    if expected is ND:
        assert set(spdx_ids(result, "offending")) == {
            s for s in (first, second) if "ND" in family(s)}
    elif expected is SA_NC:
        assert set(spdx_ids(result, "offending")) == {first, second}


@pytest.mark.parametrize("spdx", ALL_SPDX)
def test_a_single_source(spdx):
    assert_outcome(allowed_licences_for_adaptation([spdx]), SINGLE_TABLE[family(spdx)])


@pytest.mark.parametrize(("sources", "expected"), [
    (["CC-BY-SA-3.0"], SA),                                    # older version, same family
    (["CC-BY-2.0", "CC-BY-NC-2.5", "CC0-1.0"], NC),
    (["CC-BY-4.0", "CC-BY-NC-4.0", "CC-BY-NC-SA-3.0"], NC_SA),
    (["CC-BY-SA-2.0", "CC-BY-4.0", "PDM-1.0", "CC0-1.0"], SA),
    (["CC-BY-SA-4.0", "CC-BY-4.0", "CC-BY-NC-2.0"], SA_NC),
    (["CC-BY-SA-4.0", "CC-BY-NC-ND-4.0"], ND),                 # rule 1 before rule 2
    (["PDM-1.0", "PDM-1.0"], FREE),
])
def test_mixed_sources(sources, expected):
    assert_outcome(allowed_licences_for_adaptation(sources), expected)


def test_ids_are_case_insensitive_and_licences_work_as_well_as_ids():
    by_id = allowed_licences_for_adaptation(["cc-by-sa-4.0 ", "CC0-1.0"])
    by_licence = allowed_licences_for_adaptation(
        [LICENCES["CC-BY-SA-4.0"], LICENCES["CC0-1.0"]])
    assert by_id == by_licence
    assert spdx_ids(by_id) == ["CC-BY-SA-4.0"]


def test_any_iterable_will_do():
    result = allowed_licences_for_adaptation(spdx for spdx in ["CC-BY-4.0", "CC-BY-NC-4.0"])
    assert spdx_ids(result) == ["CC-BY-NC-4.0", "CC-BY-NC-SA-4.0"]


def test_no_sources_is_refused():
    result = allowed_licences_for_adaptation([])
    assert result.refusal is Refusal.NO_SOURCES and not result.ok and result.allowed == ()


@pytest.mark.parametrize("sources", [["GPL-3.0"], ["CC-BY-4.0", "CC-BY-5.0"], [""],
                                     ["CC-BY-ND-4.0", "all rights reserved"]])
def test_an_unknown_licence_is_refused(sources):
    result = allowed_licences_for_adaptation(sources)
    assert result.refusal is Refusal.UNKNOWN_LICENCE
    assert result.allowed == () and result.suggested is None
    assert all(lic.spdx in LICENCES for lic in result.sources)


def test_the_refusal_names_the_offending_licences():
    nd = allowed_licences_for_adaptation(["CC-BY-ND-3.0", "CC-BY-4.0", "CC-BY-ND-4.0"])
    assert spdx_ids(nd, "offending") == ["CC-BY-ND-4.0", "CC-BY-ND-3.0"]
    assert "CC BY-ND" in nd.reason("en") and "CC BY-ND" in nd.reason("nl")
    assert nd.reason("en").count("CC BY-ND") == 1  # two versions, one badge
    assert "CC BY " not in nd.reason("en")  # the BY source is not to blame

    mixed = allowed_licences_for_adaptation(["CC-BY-NC-SA-4.0", "CC0-1.0", "CC-BY-SA-4.0"])
    assert spdx_ids(mixed, "offending") == ["CC-BY-SA-4.0", "CC-BY-NC-SA-4.0"]
    for locale in ("nl", "en"):
        assert "CC BY-SA" in mixed.reason(locale) and "CC BY-NC-SA" in mixed.reason(locale)
        assert "CC0" not in mixed.reason(locale)
    assert mixed.reason("nl") != mixed.reason("en")


def test_an_allowed_adaptation_has_no_reason():
    assert allowed_licences_for_adaptation(["CC-BY-4.0"]).reason("nl") is None


@pytest.mark.parametrize("refusal", list(Refusal))
def test_every_refusal_has_a_message_in_dutch_and_english(refusal):
    nl, en = refusal.message("nl"), refusal.message("en")
    assert nl and en and nl != en
    assert refusal.message() == nl  # Dutch first
    assert refusal.message("nl_NL") == nl
    assert refusal.message("de") == en  # anything else falls back to English


@pytest.mark.parametrize(("sources", "refusal"), [
    ([], Refusal.NO_SOURCES), (["x"], Refusal.UNKNOWN_LICENCE),
    (["CC-BY-ND-4.0"], Refusal.NO_DERIVATIVES),
    (["CC-BY-SA-4.0", "CC-BY-NC-4.0"], Refusal.SHARE_ALIKE_WITH_NON_COMMERCIAL),
])
def test_every_refusal_has_a_reason_in_dutch_and_english(sources, refusal):
    result = allowed_licences_for_adaptation(sources)
    assert result.refusal is refusal
    nl, en = result.reason("nl"), result.reason("en")
    assert nl and en and nl != en


# --- Properties over random sets of sources -------------------------------------------------

sources_strategy = st.lists(st.sampled_from(ALL_SPDX), min_size=1, max_size=5)


def has(sources: list[str], element: Element) -> bool:
    return any(element in LICENCES[s].elements for s in sources)


@given(sources_strategy)
def test_a_remix_keeps_every_element_a_source_requires(sources):
    result = allowed_licences_for_adaptation(sources)
    for licence in result.allowed:
        for element in (Element.BY, Element.NC, Element.SA):
            if has(sources, element):
                assert element in licence.elements, (sources, licence.spdx)
        if not has(sources, Element.NC):
            assert Element.NC not in licence.elements  # NC is never added


@given(sources_strategy)
def test_nd_and_share_alike_with_non_commercial_are_refused(sources):
    result = allowed_licences_for_adaptation(sources)
    share_alike = any(LICENCES[s].elements >= {Element.SA} and Element.NC not in
                      LICENCES[s].elements for s in sources)
    if has(sources, Element.ND):
        assert result.refusal is Refusal.NO_DERIVATIVES
    elif share_alike and has(sources, Element.NC):
        assert result.refusal is Refusal.SHARE_ALIKE_WITH_NON_COMMERCIAL
    else:
        assert result.ok and result.allowed
    assert result.ok == bool(result.allowed) == (result.refusal is None)


@given(sources_strategy)
def test_only_offered_licences_for_new_work_are_allowed(sources):
    result = allowed_licences_for_adaptation(sources)
    for licence in result.allowed:
        assert licence in registry.OFFERED and licence.offered
        assert licence.spdx != "PDM-1.0" and Element.ND not in licence.elements
        assert licence.spdx == "CC0-1.0" or licence.spdx.endswith("-4.0")
    assert list(result.allowed) == [lic for lic in registry.OFFERED if lic in result.allowed]
    assert result.suggested == (result.allowed[0] if result.allowed else None)


@given(sources_strategy, st.randoms(use_true_random=False))
def test_the_order_of_the_sources_does_not_matter(sources, random):
    shuffled = list(sources)
    random.shuffle(shuffled)
    first, second = (allowed_licences_for_adaptation(s) for s in (sources, shuffled))
    assert (first.allowed, first.refusal, first.offending) == (
        second.allowed, second.refusal, second.offending)
    assert first.reason("nl") == second.reason("nl")
    assert spdx_ids(second, "sources") == shuffled


@given(sources_strategy)
def test_an_older_version_counts_as_its_family(sources):
    newest = [newest_version(spdx) for spdx in sources]
    first, second = (allowed_licences_for_adaptation(s) for s in (sources, newest))
    assert (first.allowed, first.refusal) == (second.allowed, second.refusal)


# --- Collections ------------------------------------------------------------------------------

@pytest.mark.parametrize("spdx", ALL_SPDX)
def test_any_known_licence_may_be_embedded_unchanged(spdx):
    assert may_embed_in_collection(spdx, modified=False)
    assert may_embed_in_collection(LICENCES[spdx], modified=False)


@pytest.mark.parametrize(("spdx", "allowed"), [
    ("CC0-1.0", True), ("PDM-1.0", True), ("CC-BY-4.0", True), ("CC-BY-SA-3.0", True),
    ("CC-BY-NC-4.0", True), ("CC-BY-NC-SA-4.0", True),
    ("CC-BY-ND-4.0", False), ("CC-BY-NC-ND-2.0", False),
])
def test_a_modified_item_must_allow_adaptation(spdx, allowed):
    assert may_embed_in_collection(spdx, modified=True) is allowed


@pytest.mark.parametrize("modified", [False, True])
def test_an_unknown_licence_may_not_be_embedded(modified):
    assert not may_embed_in_collection("all rights reserved", modified=modified)


def test_the_collection_credit_note_in_both_languages():
    assert collection_credit_note("en").startswith("Except where otherwise noted")
    assert collection_credit_note("nl").startswith("Tenzij anders vermeld")


# --- The registry's texts --------------------------------------------------------------------

@pytest.mark.parametrize("spdx", ALL_SPDX)
def test_every_licence_explains_itself_in_dutch_and_english(spdx):
    licence = LICENCES[spdx]
    nl, en = licence.explanation("nl"), licence.explanation("en")
    assert nl and en and nl != en
    assert licence.explanation("fr") == en
    assert licence.explanations == LICENCES[newest_version(spdx)].explanations


def newest_version(spdx: str) -> str:
    return spdx if spdx in ("CC0-1.0", "PDM-1.0") else spdx.rsplit("-", 1)[0] + "-4.0"


def test_refusing_an_older_version_names_both_versions():
    """A remix of CC BY-SA 3.0 is shared under CC BY-SA 4.0: choosing 3.0 is refused with
    the versions named, or the sentence would refuse "CC BY-SA" and ask for "CC BY-SA"."""
    rule = allowed_licences_for_adaptation(["CC-BY-SA-3.0"])
    assert rule.refusal_of("CC-BY-SA-3.0", "nl").startswith(
        "De licentie CC BY-SA 3.0 is voor deze remix niet toegestaan.")
    assert rule.refusal_of("CC-BY-SA-3.0", "en").endswith(
        "An older version of a licence is no longer chosen for new work: choose CC BY-SA 4.0.")
    # Another family keeps its short badge and no such sentence.
    assert rule.refusal_of("CC-BY-4.0", "en").startswith(
        "The licence CC BY is not allowed for this remix.")
    assert "older version" not in rule.refusal_of("CC-BY-4.0", "en")
    assert rule.refusal_of("CC-BY-SA-4.0", "en") is None
