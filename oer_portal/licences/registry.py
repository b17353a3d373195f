"""The licences the portal knows, by SPDX id, with names and a one-sentence explanation
(what a reuser may do) in Dutch and English.

Pure data and functions, no Flask: the compatibility engine and the templates both read it.
Older Creative Commons versions found in imported metadata (``CC-BY-SA-3.0``) are known too,
as members of the same family, but are not offered for new work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum


class Element(StrEnum):
    BY = "BY"
    SA = "SA"
    NC = "NC"
    ND = "ND"


@dataclass(frozen=True)
class Licence:
    spdx: str
    #: Keyed by locale; left out of the hash (a dict has none) so licences can go in sets.
    names: dict[str, str] = field(hash=False)
    url: str
    elements: frozenset[Element]
    #: Offered when a teacher chooses a licence; legacy versions are only recognised.
    offered: bool = True
    #: What a reuser may do, one sentence per locale; the same for every version of a family.
    explanations: dict[str, str] = field(default_factory=dict, hash=False)

    def name(self, locale: str) -> str:
        return self.names.get(locale) or self.names["en"]

    def explanation(self, locale: str) -> str:
        return self.explanations.get(locale) or self.explanations.get("en", "")

    @property
    def family(self) -> str:
        """The licence without its version: ``CC-BY-SA`` for 3.0 and 4.0 alike."""
        if self.spdx in ("CC0-1.0", "PDM-1.0"):
            return self.spdx.rsplit("-", 1)[0]
        return "CC-" + "-".join(e.value for e in _ORDER if e in self.elements)

    @property
    def badge(self) -> str:
        """Short label for badges: ``CC BY-SA``, ``CC0``, ``PD``."""
        if self.spdx == "CC0-1.0":
            return "CC0"
        if self.spdx == "PDM-1.0":
            return "PD"
        return "CC " + "-".join(e.value for e in _ORDER if e in self.elements)

    @property
    def versioned_badge(self) -> str:
        """The badge with its version (``CC BY-SA 3.0``), where two versions must be told
        apart; ``CC0`` and ``PD`` have none to show."""
        if self.spdx in ("CC0-1.0", "PDM-1.0"):
            return self.badge
        return f"{self.badge} {self.spdx.rsplit('-', 1)[1]}"


_ORDER = (Element.BY, Element.NC, Element.SA, Element.ND)


def _cc(elements: str, version: str, nl: str, en: str, offered: bool = True) -> Licence:
    code = elements.lower()
    return Licence(
        spdx=f"CC-{elements}-{version}",
        names={"nl": f"{nl} {version}", "en": f"{en} {version}"},
        url=f"https://creativecommons.org/licenses/{code}/{version}/",
        elements=frozenset(Element(e) for e in elements.split("-")),
        offered=offered,
        explanations=_EXPLANATIONS[elements],
    )


_NAMES = {
    "BY": ("Naamsvermelding", "Attribution"),
    "BY-SA": ("Naamsvermelding-GelijkDelen", "Attribution-ShareAlike"),
    "BY-NC": ("Naamsvermelding-NietCommercieel", "Attribution-NonCommercial"),
    "BY-NC-SA": ("Naamsvermelding-NietCommercieel-GelijkDelen",
                 "Attribution-NonCommercial-ShareAlike"),
    "BY-ND": ("Naamsvermelding-GeenAfgeleideWerken", "Attribution-NoDerivatives"),
    "BY-NC-ND": ("Naamsvermelding-NietCommercieel-GeenAfgeleideWerken",
                 "Attribution-NonCommercial-NoDerivatives"),
}

#: What a reuser may do under each family, in plain words for teachers and students.
_EXPLANATIONS = {
    "BY": {
        "nl": "Je mag het kopiëren, bewerken en delen voor elk doel, ook commercieel, als je de "
              "maker en de licentie noemt.",
        "en": "You may copy, adapt and share it for any purpose, even commercially, as long as "
              "you credit the maker and name the licence.",
    },
    "BY-SA": {
        "nl": "Je mag het kopiëren, bewerken en delen, ook commercieel, als je de maker noemt en "
              "je bewerking onder dezelfde licentie deelt.",
        "en": "You may copy, adapt and share it, even commercially, if you credit the maker and "
              "share your adaptation under the same licence.",
    },
    "BY-NC": {
        "nl": "Je mag het kopiëren, bewerken en delen als je de maker noemt en het niet "
              "commercieel gebruikt.",
        "en": "You may copy, adapt and share it if you credit the maker and do not use it "
              "commercially.",
    },
    "BY-NC-SA": {
        "nl": "Je mag het niet-commercieel kopiëren, bewerken en delen als je de maker noemt en "
              "je bewerking onder dezelfde licentie deelt.",
        "en": "You may copy, adapt and share it non-commercially if you credit the maker and "
              "share your adaptation under the same licence.",
    },
    "BY-ND": {
        "nl": "Je mag het ongewijzigd kopiëren en delen, ook commercieel, als je de maker noemt; "
              "een bewerking mag je niet delen.",
        "en": "You may copy and share it unchanged, even commercially, if you credit the maker; "
              "you may not share an adaptation.",
    },
    "BY-NC-ND": {
        "nl": "Je mag het ongewijzigd en niet-commercieel kopiëren en delen als je de maker "
              "noemt; een bewerking mag je niet delen.",
        "en": "You may copy and share it unchanged and non-commercially if you credit the maker; "
              "you may not share an adaptation.",
    },
    "CC0": {
        "nl": "De maker heeft afstand gedaan van alle rechten: je mag het kopiëren, bewerken en "
              "delen voor elk doel, zonder toestemming en zonder naamsvermelding.",
        "en": "The maker has given up all rights: you may copy, adapt and share it for any "
              "purpose, without asking and without credit.",
    },
    "PDM": {
        "nl": "Op dit werk rust voor zover bekend geen auteursrecht meer: je mag het vrij "
              "gebruiken, al blijft de maker noemen netjes.",
        "en": "This work is known to be free of copyright: you may use it freely, though "
              "crediting the maker is still good practice.",
    },
}

LICENCES: dict[str, Licence] = {}
for _elements, (_nl, _en) in _NAMES.items():
    for _version, _offered in (("4.0", True), ("3.0", False), ("2.5", False), ("2.0", False)):
        _licence = _cc(_elements, _version, f"CC {_nl}", f"CC {_en}", _offered)
        LICENCES[_licence.spdx] = _licence
LICENCES["CC0-1.0"] = Licence(
    "CC0-1.0", {"nl": "CC0 1.0 Publiek domein", "en": "CC0 1.0 Universal (public domain)"},
    "https://creativecommons.org/publicdomain/zero/1.0/", frozenset(),
    explanations=_EXPLANATIONS["CC0"])
LICENCES["PDM-1.0"] = Licence(
    "PDM-1.0", {"nl": "Publiek Domein Merk 1.0", "en": "Public Domain Mark 1.0"},
    "https://creativecommons.org/publicdomain/mark/1.0/", frozenset(),
    explanations=_EXPLANATIONS["PDM"])

#: What a teacher can choose from, most open first.
OFFERED = tuple(
    LICENCES[spdx] for spdx in ("CC0-1.0", "CC-BY-4.0", "CC-BY-SA-4.0", "CC-BY-NC-4.0",
                                "CC-BY-NC-SA-4.0", "CC-BY-ND-4.0", "CC-BY-NC-ND-4.0", "PDM-1.0")
)
DEFAULT = "CC-BY-4.0"


def get(spdx: str) -> Licence | None:
    """The licence for an SPDX id (case-insensitive), or ``None`` when unknown."""
    return LICENCES.get(spdx) or next(
        (lic for key, lic in LICENCES.items() if key.lower() == spdx.strip().lower()), None)


def badge(spdx: str) -> str:
    """The short label of a licence (``CC BY-SA``), or the id itself when it is unknown."""
    licence = get(spdx)
    return licence.badge if licence is not None else spdx


def versioned_badge(spdx: str) -> str:
    """The short label with its version (``CC BY-SA 3.0``), or the id when it is unknown:
    where a remix and its original are compared, 3.0 and 4.0 must not read the same."""
    licence = get(spdx)
    return licence.versioned_badge if licence is not None else spdx


_WEB_ADDRESS = re.compile(r"https?://[^\s<>\"')]+", re.IGNORECASE)


def _deed_key(url: str) -> str:
    """A deed address compared without scheme, ``www.``, the deed's language or
    ``legalcode``: ``https://creativecommons.org/licenses/by/4.0/deed.nl`` is CC-BY-4.0."""
    key = re.sub(r"^(https?://)?(www\.)?", "", url.strip().lower())
    key = re.sub(r"/(deed(\.[a-z-]+)?|legalcode(\.[a-z-]+)?)$", "", key.rstrip("/"))
    return key.rstrip("/")


def licence_named(text: str) -> str | None:
    """The SPDX id of the known licence ``text`` names, or ``None``: the one reader of a
    licence in someone else's metadata (harvested records, imported cartridges).

    Accepted: the id itself (any case), a deed address anywhere in the text, an id anywhere
    in a longer rights statement (the longest wins: ``CC-BY-SA-4.0`` over ``CC-BY-4.0``),
    and the whole text being a versioned badge (``CC BY-SA 4.0``) or a full name."""
    value = " ".join(text.split())
    if not value:
        return None
    known = get(value)
    if known is not None:
        return known.spdx
    deeds = {_deed_key(found.group(0)) for found in _WEB_ADDRESS.finditer(value)}
    for licence in LICENCES.values():
        if _deed_key(licence.url) in deeds:
            return licence.spdx
    lowered = value.lower()
    for spdx in sorted(LICENCES, key=len, reverse=True):
        if re.search(rf"(?<![\w-]){re.escape(spdx.lower())}(?![\w-])", lowered):
            return spdx
    folded = value.casefold()
    for licence in LICENCES.values():
        if folded in {s.casefold() for s in (licence.versioned_badge, *licence.names.values())}:
            return licence.spdx
    return None
