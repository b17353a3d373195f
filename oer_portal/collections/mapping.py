"""A harvested record's metadata (``oai_dc`` or LOM, as lxml elements) as the portal's fields.

Values are mapped onto the portal's own terms where they match one (a subject *Biologie* or
*biology* becomes the code ``biology``, a licence deed URL or ``CC BY-SA 4.0`` the SPDX id
``CC-BY-SA-4.0``, an NL-LOM educational context ``VO`` the level ``secondary``) and kept as
the source wrote them otherwise, so nothing the source said is lost and the search can still
show and filter on it.  The functions take parsed elements: parsing (safely, without entities
or network access) is the harvester's job.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from lxml import etree

from oer_portal.licences import registry
from oer_portal.materials.metadata import resolve_term
from oer_portal.materials.models import MaterialKind

DC = "http://purl.org/dc/elements/1.1/"
LOM = "http://ltsc.ieee.org/xsd/LOM"
#: Column sizes of ``HarvestedRecord`` (longer values are cut, never refused).
MAX_TEXT = 1000
MAX_LANGUAGE = 16
MAX_KIND = 80
MAX_VALUES = 50
#: NL-LOM educational contexts (LOM 5.6) → the portal's level codes.
CONTEXT_LEVELS = {"po": "primary", "vo": "secondary", "bve": "vocational", "mbo": "vocational",
                  "ho": "higher", "hbo": "hbo", "wo": "wo"}
#: OnderwijsBegrippenKader ids of the educational levels (what the portal's own LOM writes).
OBK_LEVELS = {"512e4729-03a4-43a2-95ba-758071d1b725": "primary",
              "2a1401e9-c223-493b-9b86-78f6993b1a8d": "secondary",
              "f3ac3fbb-5eae-49e0-8494-0a44855fff25": "vocational",
              "bbbd99c6-cf49-4980-baed-12388f8dcff4": "wo"}
#: Dublin Core types that name one of the portal's kinds.
DC_TYPES = {"collection": MaterialKind.ARRANGEMENT.value, "text": MaterialKind.LESSON.value,
            "interactiveresource": MaterialKind.LINK.value}

Resolver = Callable[[str, str], str | None]


@dataclass
class RecordFields:
    """What the portal keeps of a record (``HarvestedRecord``'s columns)."""

    title: str = ""
    description: str = ""
    url: str = ""
    licence: str = ""
    language: str = ""
    subjects: list[str] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    kind: str = ""


def _clean(text: str | None, limit: int = MAX_TEXT) -> str:
    return " ".join((text or "").split())[:limit]


def _unique(values: Iterable[str]) -> list[str]:
    """Values once each, in order, without empty ones; commas become spaces (the index keeps
    a list of values as comma-separated text)."""
    seen: dict[str, None] = {}
    for value in values:
        value = _clean(_clean(value, 200).replace(",", " "))
        if value and value.casefold() not in {v.casefold() for v in seen}:
            seen[value] = None
    return list(seen)[:MAX_VALUES]


def _mapped(vocabulary: str, values: Iterable[str], resolve: Resolver) -> list[str]:
    """A code for each value a term of ``vocabulary`` names, the value itself otherwise."""
    return _unique(resolve(vocabulary, value) or value for value in values)


def _is_web_address(value: str) -> bool:
    return value.strip().lower().startswith(("http://", "https://"))


def licence_id(text: str) -> str:
    """The registry's SPDX id for the licence a record names (``registry.licence_named``);
    the text as the source wrote it when it names none."""
    value = _clean(text)
    return (registry.licence_named(value) or value) if value else ""


def _language(value: str, resolve: Resolver) -> str:
    value = _clean(value, 100)
    if not value:
        return ""
    code = resolve("language", value) or resolve("language", value.split("-")[0])
    return (code or value.lower())[:MAX_LANGUAGE]


def _kind(values: Iterable[str]) -> str:
    """The first type naming one of the portal's kinds, else the first type as written."""
    kinds = [_clean(v, MAX_KIND) for v in values if _clean(v)]
    for value in kinds:
        mapped = DC_TYPES.get(value.casefold().replace(" ", ""))
        if mapped or value.casefold() in {k.value for k in MaterialKind}:
            return mapped or value.casefold()
    return kinds[0] if kinds else ""


# -- Dublin Core --------------------------------------------------------------------------------


def from_oai_dc(metadata: etree._Element, resolve: Resolver = resolve_term) -> RecordFields:
    """Fields of an ``oai_dc:dc`` element."""
    def values(name: str) -> list[str]:
        return [_clean(e.text) for e in metadata.iter(f"{{{DC}}}{name}") if _clean(e.text)]

    identifiers = values("identifier")
    links = [v for v in (*identifiers, *values("relation"), *values("source"))
             if _is_web_address(v)]
    rights = values("rights")
    licences = [licence_id(r) for r in rights]
    return RecordFields(
        title=next(iter(values("title")), ""),
        description="\n".join(values("description"))[:20_000],
        url=links[0] if links else "",
        # A right that is a known licence wins over a free text ("All rights reserved" …).
        licence=next((lic for lic in licences if registry.get(lic)), licences[0] if licences
                     else ""),
        language=_language(next(iter(values("language")), ""), resolve),
        subjects=_mapped("subject", values("subject"), resolve),
        levels=_mapped("level", values("audience") + values("educationLevel"), resolve),
        authors=_unique(values("creator")),
        kind=_kind(values("type")))


# -- LOM ----------------------------------------------------------------------------------------


def _lom(element: etree._Element, path: str) -> list[etree._Element]:
    """Children along ``a/b/c`` in the LOM namespace."""
    found = [element]
    for name in path.split("/"):
        found = [child for parent in found for child in parent.findall(f"{{{LOM}}}{name}")]
    return found


def _strings(element: etree._Element) -> list[str]:
    """A LangString's strings (or the element's own text)."""
    strings = [_clean(s.text) for s in element.findall(f"{{{LOM}}}string") if _clean(s.text)]
    return strings or ([_clean(element.text)] if _clean(element.text) else [])


def _first_string(elements: list[etree._Element]) -> str:
    return next((s for e in elements for s in _strings(e)), "")


def _classified(metadata: etree._Element, purpose: str) -> list[tuple[str, list[str]]]:
    """(taxon id, its labels) of every classification with ``purpose``."""
    taxa: list[tuple[str, list[str]]] = []
    for classification in _lom(metadata, "classification"):
        values = [_clean(v.text).casefold() for v in _lom(classification, "purpose/value")]
        if purpose not in values:
            continue
        for taxon in _lom(classification, "taxonPath/taxon"):
            taxa.append((_first_string(_lom(taxon, "id")),
                         [s for e in _lom(taxon, "entry") for s in _strings(e)]))
    return taxa


def _taxon_codes(vocabulary: str, taxa: list[tuple[str, list[str]]], resolve: Resolver,
                 known: dict[str, str] | None = None) -> list[str]:
    codes: list[str] = []
    for taxon_id, labels in taxa:
        code = (known or {}).get(taxon_id.lower()) or (resolve(vocabulary, taxon_id)
                                                       if taxon_id else None)
        code = code or next((c for c in (resolve(vocabulary, label) for label in labels) if c),
                            None)
        codes.append(code or (labels[0] if labels else taxon_id))
    return codes


def from_lom(metadata: etree._Element, resolve: Resolver = resolve_term) -> RecordFields:
    """Fields of a ``lom`` element (IEEE LOM XML binding, NL-LOM where it differs)."""
    general = _lom(metadata, "general")
    locations = [_clean(e.text) for e in _lom(metadata, "technical/location")]
    entries = [_clean(e.text) for e in _lom(metadata, "general/identifier/entry")]
    links = [v for v in (*locations, *entries) if _is_web_address(v)]
    rights = [s for e in _lom(metadata, "rights/description") for s in _strings(e)]
    licences = [licence_id(r) for r in rights]
    contexts = [_clean(e.text) for e in _lom(metadata, "educational/context/value")]
    levels = [CONTEXT_LEVELS.get(c.casefold(), c) for c in contexts]
    level_taxa = _classified(metadata, "educational level")
    authors = []
    for entity in _lom(metadata, "lifeCycle/contribute/entity"):
        match = re.search(r"^FN:(.+)$", entity.text or "", re.MULTILINE)
        authors.append(match.group(1).strip() if match else _clean(entity.text))
    return RecordFields(
        title=_first_string(_lom(metadata, "general/title")),
        description="\n".join(s for e in _lom(metadata, "general/description")
                              for s in _strings(e))[:20_000],
        url=links[0] if links else "",
        licence=next((lic for lic in licences if registry.get(lic)),
                     licences[0] if licences else ""),
        language=_language(next((_clean(e.text) for g in general
                                 for e in g.findall(f"{{{LOM}}}language")), ""), resolve),
        subjects=_mapped("subject", _taxon_codes(
            "subject", _classified(metadata, "discipline"), resolve), resolve),
        levels=_mapped("level", [*_taxon_codes("level", level_taxa, resolve, OBK_LEVELS),
                                 *levels], resolve),
        keywords=_unique(s for e in _lom(metadata, "general/keyword") for s in _strings(e)),
        authors=_unique(authors),
        kind=_kind(_clean(e.text) for e in
                   _lom(metadata, "educational/learningResourceType/value")))


MAPPERS: dict[str, Callable[[etree._Element, Resolver], RecordFields]] = {
    "oai_dc": from_oai_dc, "lom": from_lom}
