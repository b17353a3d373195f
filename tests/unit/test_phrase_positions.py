"""Our decoding of a posting's positions (run for every candidate of a phrase or near pair)
gives what Whoosh's own decoder gives, for any positions Whoosh encodes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from whoosh import formats

from oer_portal.search import docsets

positions = st.lists(st.integers(min_value=0, max_value=2**20), max_size=300, unique=True)


@given(positions)
def test_positions_decode_as_whoosh_decodes_them(found: list[int]) -> None:
    field_format = formats.Positions()
    encoded = field_format.encode(sorted(found))
    decode = docsets._positions_decoder(field_format)
    assert decode is not field_format.decode_positions
    assert decode(encoded) == field_format.decode_positions(encoded) == sorted(found)
    # Whoosh may store the value without pickle's final stop byte.
    assert decode(encoded[:-1]) == sorted(found)


def test_other_formats_keep_their_own_decoder() -> None:
    characters = formats.Characters()
    encoded = characters.encode([(1, 0, 4), (5, 10, 14)])
    assert docsets._positions_decoder(characters)(encoded) == [1, 5]
