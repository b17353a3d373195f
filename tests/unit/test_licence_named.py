"""One reader of licences in others' metadata: what a harvested record's rights and an
imported cartridge's rights may say, and what they may not be mistaken for."""

from __future__ import annotations

import pytest

from oer_portal.arrangements.cartridge_fields import licence_in
from oer_portal.collections.mapping import licence_id
from oer_portal.licences.registry import licence_named


@pytest.mark.parametrize(("text", "spdx"), [
    ("CC-BY-SA-4.0", "CC-BY-SA-4.0"),
    ("cc-by-4.0", "CC-BY-4.0"),
    ("https://creativecommons.org/licenses/by-sa/4.0/", "CC-BY-SA-4.0"),
    ("http://www.creativecommons.org/licenses/by/4.0/deed.nl", "CC-BY-4.0"),
    ("https://creativecommons.org/licenses/by-nc/3.0/legalcode", "CC-BY-NC-3.0"),
    ("Zie https://creativecommons.org/publicdomain/zero/1.0/ voor de voorwaarden.", "CC0-1.0"),
    ("Dit werk valt onder CC-BY-SA-4.0, tenzij anders vermeld.", "CC-BY-SA-4.0"),
    ("CC BY-SA 4.0", "CC-BY-SA-4.0"),
    ("  cc by   4.0 ", "CC-BY-4.0"),
])
def test_a_licence_is_read_from_its_id_deed_badge_or_a_longer_statement(text, spdx):
    assert licence_named(text) == spdx


@pytest.mark.parametrize("text", ["", "   ", "Alle rechten voorbehouden", "CC-BY-SA-4.0x",
                                  "https://example.org/licenses/by/4.0/", "MIT"])
def test_what_names_no_known_licence_is_none(text):
    assert licence_named(text) is None


def test_both_importers_read_through_it_and_a_record_keeps_unknown_text():
    assert licence_in("Gedeeld onder CC BY-SA 4.0") is None  # a badge inside a sentence: no
    assert licence_in("CC BY-SA 4.0") == "CC-BY-SA-4.0"
    assert licence_id("https://creativecommons.org/licenses/by-nd/4.0/") == "CC-BY-ND-4.0"
    assert licence_id("Alle rechten voorbehouden") == "Alle rechten voorbehouden"
