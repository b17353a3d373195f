"""A record's metadata in the two formats the provider disseminates, as lxml elements.

* ``oai_dc``: unqualified Dublin Core, as every harvester reads it.
* ``lom``: IEEE LOM in its XML binding (namespace ``http://ltsc.ieee.org/xsd/LOM``), filled
  the way the Dutch NL-LOM profile asks where the portal's data allow it: the levels as
  NL-LOM educational contexts (``PO``, ``VO``, ``BVE``, ``HO``, ``HBO``, ``WO``) and as
  "educational level" classifications with the ids of the OnderwijsBegrippenKader, the
  subjects as a "discipline" classification, the licence as its URL under rights, the remix
  source as an ``isbasedon`` relation and an arrangement's parts as ``haspart`` relations.

Labels are the vocabularies' Dutch ones (the portal is Dutch first); codes and URLs carry
the meaning for machines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from lxml import etree

from oer_portal.licences import registry
from oer_portal.materials.metadata import Term
from oer_portal.materials.models import MaterialKind
from oer_portal.oai.protocol import format_datestamp
from oer_portal.oai.records import Record

XSI = "http://www.w3.org/2001/XMLSchema-instance"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
LOM = "http://ltsc.ieee.org/xsd/LOM"


@dataclass(frozen=True)
class Format:
    prefix: str
    schema: str
    namespace: str


FORMATS = {
    "oai_dc": Format("oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd", OAI_DC),
    "lom": Format("lom", "http://ltsc.ieee.org/xsd/lomv1.0/lom.xsd", LOM),
}

#: NL-LOM 5.6 (educational context): the portal's levels that have a value there.
CONTEXT_SOURCE = "http://purl.edustandaard.nl/vdex_context_czp_20060628"
CONTEXTS = {"primary": "PO", "secondary": "VO", "vmbo": "VO", "havo": "VO", "vwo": "VO",
            "vocational": "BVE", "higher": "HO", "hbo": "HBO", "wo": "WO"}
#: NL-LOM 9 (classification, purpose "educational level"): OnderwijsBegrippenKader ids.
LEVEL_PURPOSE_SOURCE = "http://purl.edustandaard.nl/classification_purpose_nllom_20180530"
LEVEL_TAXONOMY = "http://purl.edustandaard.nl/begrippenkader"
EDUCATIONAL_LEVELS = {
    "primary": ("512e4729-03a4-43a2-95ba-758071d1b725", "Primair onderwijs"),
    "secondary": ("2a1401e9-c223-493b-9b86-78f6993b1a8d", "Voortgezet onderwijs"),
    "vmbo": ("2a1401e9-c223-493b-9b86-78f6993b1a8d", "Voortgezet onderwijs"),
    "havo": ("2a1401e9-c223-493b-9b86-78f6993b1a8d", "Voortgezet onderwijs"),
    "vwo": ("2a1401e9-c223-493b-9b86-78f6993b1a8d", "Voortgezet onderwijs"),
    "vocational": ("f3ac3fbb-5eae-49e0-8494-0a44855fff25", "Middelbaar beroepsonderwijs"),
    "wo": ("bbbd99c6-cf49-4980-baed-12388f8dcff4", "Wetenschappelijk onderwijs"),
}
#: The portal's own vocabularies, named as a taxonomy source (no public vocabulary to cite).
SUBJECT_TAXONOMY = "urn:x-oer-portal:vocabulary:subject"
LEVEL_PORTAL_TAXONOMY = "urn:x-oer-portal:vocabulary:level"

#: Characters XML 1.0 cannot carry (a pasted control character would break the response).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(value: str) -> str:
    return _NOT_XML.sub("", value)


@dataclass(frozen=True)
class Context:
    """What a record needs beyond its own row: addresses and the vocabularies."""

    repository_identifier: str
    repository_name: str
    #: ``(material id, slug)`` → the material's public page.
    material_url: Callable[[int, str], str]
    vocabularies: Mapping[str, Mapping[str, Term]]

    def identifier(self, material_id: int) -> str:
        return f"oai:{self.repository_identifier}:material/{material_id}"

    def label(self, vocabulary: str, code: str) -> str:
        term = self.vocabularies.get(vocabulary, {}).get(code)
        return term.label_nl if term is not None else code


def licence_url(spdx: str) -> str:
    licence = registry.get(spdx)
    return licence.url if licence is not None else spdx


def _add(parent: etree._Element, tag: str, value: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, tag)
    if value is not None:
        element.text = clean(value)
    return element


# -- Dublin Core ------------------------------------------------------------------------------

_DC_TAGS = {name: f"{{{DC}}}{name}" for name in (
    "title", "creator", "subject", "description", "publisher", "date", "type", "identifier",
    "language", "rights", "relation", "format")}
_DC_ROOT = f"{{{OAI_DC}}}dc"
_DC_NSMAP = {"oai_dc": OAI_DC, "dc": DC, "xsi": XSI}
_SCHEMA_LOCATION = f"{{{XSI}}}schemaLocation"


def oai_dc(record: Record, context: Context) -> etree._Element:
    root = etree.Element(_DC_ROOT, nsmap=_DC_NSMAP)
    root.set(_SCHEMA_LOCATION, f"{OAI_DC} {FORMATS['oai_dc'].schema}")
    tag = _DC_TAGS
    _add(root, tag["title"], record.title)
    for name in record.authors:
        _add(root, tag["creator"], name)
    for code in record.subjects:
        _add(root, tag["subject"], context.label("subject", code))
    for word in record.keywords:
        _add(root, tag["subject"], word)
    if record.description:
        _add(root, tag["description"], record.description)
    _add(root, tag["publisher"], context.repository_name)
    if record.published_at is not None:
        _add(root, tag["date"], record.published_at.strftime("%Y-%m-%d"))
    _add(root, tag["type"], "Collection" if record.kind == MaterialKind.ARRANGEMENT
         else "InteractiveResource" if record.kind == MaterialKind.LINK else "Text")
    resource_type = record.meta.get("resource_type")
    if resource_type:
        _add(root, tag["type"], context.label("resource_type", str(resource_type)))
    _add(root, tag["identifier"], context.material_url(record.material_id, record.slug))
    _add(root, tag["language"], record.language)
    _add(root, tag["rights"], licence_url(record.licence))
    if record.source is not None:
        _add(root, tag["relation"],
             context.material_url(record.source.material_id, record.source.slug))
    for part in record.parts:
        _add(root, tag["relation"], context.material_url(part.material_id, part.slug))
    return root


# -- IEEE LOM (NL-LOM) ------------------------------------------------------------------------

_L = {name: f"{{{LOM}}}{name}" for name in (
    "lom", "general", "identifier", "catalog", "entry", "title", "string", "language",
    "description", "keyword", "aggregationLevel", "source", "value", "lifeCycle", "version",
    "contribute", "role", "date", "dateTime", "metaMetadata", "metadataSchema", "technical",
    "format", "location", "educational", "context", "rights", "cost",
    "copyrightAndOtherRestrictions", "relation", "kind", "resource", "classification",
    "purpose", "taxonPath", "taxon", "id", "entity")}
_LOM_NSMAP = {None: LOM, "xsi": XSI}


def _lang_string(parent: etree._Element, tag: str, value: str, language: str
                 ) -> etree._Element:
    element = etree.SubElement(parent, _L[tag])
    string = _add(element, _L["string"], value)
    string.set("language", language)
    return element


def _vocabulary(parent: etree._Element, tag: str, source: str, value: str) -> None:
    element = etree.SubElement(parent, _L[tag])
    _add(element, _L["source"], source)
    _add(element, _L["value"], value)


def _identifier(parent: etree._Element, catalog: str, entry: str) -> None:
    element = etree.SubElement(parent, _L["identifier"])
    _add(element, _L["catalog"], catalog)
    _add(element, _L["entry"], entry)


def vcard(name: str) -> str:
    """A vCard 3.0 of a person known by name only (LOM 2.3.2)."""
    escaped = clean(name).replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    escaped = " ".join(escaped.split())
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nN:{escaped};;;;\r\nFN:{escaped}\r\nEND:VCARD\r\n"


def _relation(parent: etree._Element, kind: str, url: str, identifier: str) -> None:
    relation = etree.SubElement(parent, _L["relation"])
    _vocabulary(relation, "kind", "LOMv1.0", kind)
    resource = etree.SubElement(relation, _L["resource"])
    _identifier(resource, "URI", url)
    _identifier(resource, "oai", identifier)


def _taxon(path: etree._Element, taxon_id: str, labels: Mapping[str, str]) -> None:
    taxon = etree.SubElement(path, _L["taxon"])
    _add(taxon, _L["id"], taxon_id)
    entry = etree.SubElement(taxon, _L["entry"])
    for language, label in labels.items():
        _add(entry, _L["string"], label).set("language", language)


def _classification(parent: etree._Element, purpose_source: str, purpose: str,
                    taxonomy: str, taxa: list[tuple[str, Mapping[str, str]]]) -> None:
    classification = etree.SubElement(parent, _L["classification"])
    _vocabulary(classification, "purpose", purpose_source, purpose)
    path = etree.SubElement(classification, _L["taxonPath"])
    _lang_string(path, "source", taxonomy, "x-none")
    for taxon_id, labels in taxa:
        _taxon(path, taxon_id, labels)


def _terms(context: Context, vocabulary: str, codes: list[str]
           ) -> list[tuple[str, Mapping[str, str]]]:
    out = []
    for code in codes:
        term = context.vocabularies.get(vocabulary, {}).get(code)
        out.append((code, {"nl": term.label_nl, "en": term.label_en} if term is not None
                    else {"x-none": code}))
    return out


def lom(record: Record, context: Context) -> etree._Element:
    root = etree.Element(_L["lom"], nsmap=_LOM_NSMAP)
    root.set(_SCHEMA_LOCATION, f"{LOM} {FORMATS['lom'].schema}")
    url = context.material_url(record.material_id, record.slug)
    language = record.language

    general = etree.SubElement(root, _L["general"])
    _identifier(general, "URI", url)
    _identifier(general, "oai", context.identifier(record.material_id))
    _lang_string(general, "title", record.title, language)
    _add(general, _L["language"], language)
    if record.description:
        _lang_string(general, "description", record.description, language)
    for word in record.keywords:
        _lang_string(general, "keyword", word, language)
    _vocabulary(general, "aggregationLevel", "LOMv1.0",
                "3" if record.kind == MaterialKind.ARRANGEMENT else "2")

    life_cycle = etree.SubElement(root, _L["lifeCycle"])
    _lang_string(life_cycle, "version", str(record.version_number), "x-none")
    for name in record.authors:
        contribute = etree.SubElement(life_cycle, _L["contribute"])
        _vocabulary(contribute, "role", "LOMv1.0", "author")
        _add(contribute, _L["entity"], vcard(name))
        if record.published_at is not None:
            date = etree.SubElement(contribute, _L["date"])
            _add(date, _L["dateTime"], format_datestamp(record.published_at))

    meta_metadata = etree.SubElement(root, _L["metaMetadata"])
    _add(meta_metadata, _L["metadataSchema"], "LOMv1.0")
    _add(meta_metadata, _L["metadataSchema"], "nl_lom_v1p0")
    _add(meta_metadata, _L["language"], "nl")

    technical = etree.SubElement(root, _L["technical"])
    _add(technical, _L["format"], "text/html")
    _add(technical, _L["location"], url)

    contexts = list(dict.fromkeys(CONTEXTS[c] for c in record.levels if c in CONTEXTS))
    if contexts:
        educational = etree.SubElement(root, _L["educational"])
        for value in contexts:
            _vocabulary(educational, "context", CONTEXT_SOURCE, value)

    rights = etree.SubElement(root, _L["rights"])
    _vocabulary(rights, "cost", "LOMv1.0", "no")
    _vocabulary(rights, "copyrightAndOtherRestrictions", "LOMv1.0", "yes")
    _lang_string(rights, "description", licence_url(record.licence), "x-none")

    if record.source is not None:
        _relation(root, "isbasedon",
                  context.material_url(record.source.material_id, record.source.slug),
                  context.identifier(record.source.material_id))
    for part in record.parts:
        _relation(root, "haspart", context.material_url(part.material_id, part.slug),
                  context.identifier(part.material_id))

    if record.subjects:
        _classification(root, "LOMv1.0", "discipline", SUBJECT_TAXONOMY,
                        _terms(context, "subject", record.subjects))
    levels = list(dict.fromkeys(EDUCATIONAL_LEVELS[c] for c in record.levels
                                if c in EDUCATIONAL_LEVELS))
    if levels:
        _classification(root, LEVEL_PURPOSE_SOURCE, "educational level", LEVEL_TAXONOMY,
                        [(taxon_id, {"nl": label}) for taxon_id, label in levels])
    if record.levels:
        _classification(root, "LOMv1.0", "educational level", LEVEL_PORTAL_TAXONOMY,
                        _terms(context, "level", record.levels))
    return root


WRITERS: dict[str, Callable[[Record, Context], etree._Element]] = {"oai_dc": oai_dc,
                                                                  "lom": lom}
