"""Search filters: a facet value by its code or by any name import accepts for it.

``subject=social studies``, ``subject=Maatschappijleer`` and ``subject=social-studies`` are
one filter; ``level=HAVO`` is ``havo``.  A value nothing names is refused with the values
that would work, so an API client is told instead of getting an empty result that reads as
"nothing found" (the search page shows the same refusal beside the results).

Harvested records (``collections``) keep values no vocabulary knows as the source wrote them;
such a value is accepted as it is when the index holds it (``indexed``), so every value a
facet shows can be filtered on.  ``collection`` takes a registered collection's name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from oer_portal.collections.models import Collection
from oer_portal.extensions import db
from oer_portal.licences import registry
from oer_portal.materials.metadata import resolve_term, term_names
from oer_portal.materials.models import MaterialKind

FACETS = ("subject", "level", "licence_family", "language", "kind", "has_attachments",
          "collection")
#: Facets whose values a harvested record may carry as the source wrote them.
AS_WRITTEN = frozenset({"subject", "level", "licence_family", "language", "kind"})
MULTI_VALUED = frozenset({"subject", "level"})
#: Facets whose values are terms of the controlled vocabularies.
VOCABULARY_FACETS = frozenset({"subject", "level", "language"})
#: More values than this per facet are ignored (a filter is a short list).
MAX_VALUES = 20
_YES_NO = {"yes": "yes", "no": "no", "true": "yes", "false": "no", "1": "yes", "0": "no",
           "ja": "yes", "nee": "no"}


@dataclass(frozen=True)
class Refusal:
    """A filter value nothing names, and the codes its facet knows."""

    facet: str
    value: str
    valid: tuple[str, ...]


@dataclass(frozen=True)
class Filters:
    #: Facet → codes, as the index holds them.
    chosen: dict[str, tuple[str, ...]]
    refused: tuple[Refusal, ...]


def _key(name: str) -> str:
    return name.strip().casefold().replace(" ", "-")


def _licence_names() -> dict[str, str]:
    """Family (``CC-BY-SA``), SPDX id of any version and badge (``CC BY-SA``) → family."""
    names: dict[str, str] = {}
    for licence in registry.LICENCES.values():
        for name in (licence.family, licence.spdx, licence.badge):
            names[_key(name)] = licence.family
    return names


def valid_codes(facet: str) -> tuple[str, ...]:
    """The codes ``facet`` can be filtered on, for a refusal to list."""
    if facet in VOCABULARY_FACETS:
        return tuple(dict.fromkeys(term_names(facet).values()))
    if facet == "licence_family":
        return tuple(dict.fromkeys(_licence_names().values()))
    if facet == "kind":
        return tuple(kind.value for kind in MaterialKind)
    if facet == "collection":
        return tuple(_collection_names().values())
    return ("yes", "no")


def _collection_names() -> dict[str, str]:
    """Registered collections: name as compared → name as written."""
    return {name.casefold(): name for name in db.session.scalars(
        select(Collection.name).order_by(Collection.name))}


def _resolve(facet: str, value: str) -> str | None:
    if facet == "collection":
        return _collection_names().get(" ".join(value.split()).casefold())
    if facet in VOCABULARY_FACETS:
        return resolve_term(facet, value)
    if facet == "licence_family":
        return _licence_names().get(_key(value))
    if facet == "kind":
        key = _key(value)
        return key if key in {kind.value for kind in MaterialKind} else None
    return _YES_NO.get(_key(value))


def resolve(raw: Mapping[str, Sequence[str]],
            indexed: Callable[[str, str], bool] | None = None) -> Filters:
    """Codes for the values of every facet in ``raw`` (empty values ignored), and what was
    refused; names that are no facet are the caller's to refuse (``FACETS``).  ``indexed``
    says whether the index holds a value as written (a harvested record's own)."""
    chosen: dict[str, tuple[str, ...]] = {}
    refused: list[Refusal] = []
    for facet in FACETS:
        codes: list[str] = []
        for value in [v for v in raw.get(facet, ()) if v.strip()][:MAX_VALUES]:
            code = _resolve(facet, value)
            if code is None and facet in AS_WRITTEN and indexed and indexed(facet, value):
                code = value
            if code is None:
                refused.append(Refusal(facet, value, valid_codes(facet)))
            elif code not in codes:
                codes.append(code)
        if codes:
            chosen[facet] = tuple(codes)
    return Filters(chosen, tuple(refused))
