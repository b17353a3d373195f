"""Which licence a remix may carry, and what an arrangement may embed (pure Python, no Flask).

The rules are those of the shared design (ARCHITECTURE.md, section 5), applied to the
*elements* of the source licences, so an older version counts as its family (a
``CC-BY-SA-3.0`` source allows ``CC-BY-SA-4.0``):

1. any ND source: refused (an unchanged ND item may still be embedded in a collection);
2. BY-SA together with any NC source: refused (ShareAlike demands the very licence, which
   allows commercial use; NonCommercial forbids it);
3. BY-SA present: the remix must be BY-SA;
4. else BY-NC-SA present: the remix must be BY-NC-SA;
5. else the remix keeps every element of every source (BY, and NC if any source has NC) and
   its author may add SA. CC0 and PDM sources add no element.

Read strictly, rules 3 to 5 come to one: *keep every element the sources have, add nothing
but BY or SA*. Adding NC or ND is never offered: NC would take away what a source allowed
(and rule 4 shows the design does not want it), ND is no licence for a remix. Hence:

- sources that are all CC0 or PDM require nothing, so the remix may be CC0, CC BY or
  CC BY-SA (BY is the author asking credit for their own work, SA may come with it), but not
  CC BY-NC: no source asked for NC;
- a result is always an offered licence (4.0 or CC0), never PDM (a mark for works already
  free of copyright, not a licence one can choose for new work) and never ND.

Unknown SPDX ids are refused rather than guessed at; an empty list of sources is refused too.
The result does not depend on the order of the sources, except ``Adaptation.sources``, which
keeps them as given so a caller can pair them with its materials again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from oer_portal.licences import registry
from oer_portal.licences.registry import Element, Licence

_LANGUAGES = ("nl", "en")


def _language(locale: object) -> str:
    """``"nl"``, ``"nl_NL"``, ``"en-GB"`` or a Babel ``Locale`` → ``"nl"``; anything else
    that is not Dutch → ``"en"``."""
    code = str(locale or "").replace("-", "_").split("_")[0].lower()
    return code if code in _LANGUAGES else "en"


class Refusal(StrEnum):
    """Why a remix cannot be made from its sources."""

    NO_SOURCES = "no_sources"
    UNKNOWN_LICENCE = "unknown_licence"
    NO_DERIVATIVES = "no_derivatives"
    SHARE_ALIKE_WITH_NON_COMMERCIAL = "share_alike_non_commercial"

    def message(self, locale: str = "nl") -> str:
        """The reason in a sentence a teacher understands, in Dutch or (otherwise) English."""
        return _MESSAGES[self][_language(locale)]


_MESSAGES: dict[Refusal, dict[str, str]] = {
    Refusal.NO_SOURCES: {
        "nl": "Een remix heeft minstens één bronmateriaal nodig.",
        "en": "A remix needs at least one source material.",
    },
    Refusal.UNKNOWN_LICENCE: {
        "nl": "Het portaal kent de licentie van een bron niet en kan dus niet zeggen of je die "
              "mag bewerken; vraag het de maker.",
        "en": "The portal does not know the licence of a source, so it cannot tell whether you "
              "may adapt it; ask the maker.",
    },
    Refusal.NO_DERIVATIVES: {
        "nl": "Een bron met GeenAfgeleideWerken (ND) mag je niet bewerken; je mag die alleen "
              "ongewijzigd delen, bijvoorbeeld in een arrangement.",
        "en": "A NoDerivatives (ND) source may not be adapted; you may only share it unchanged, "
              "for example in an arrangement.",
    },
    Refusal.SHARE_ALIKE_WITH_NON_COMMERCIAL: {
        "nl": "Een bron met GelijkDelen (BY-SA) en een bron met NietCommercieel (NC) kun je niet "
              "mengen: GelijkDelen eist dat de remix commercieel gebruik toestaat en "
              "NietCommercieel verbiedt dat.",
        "en": "A ShareAlike (BY-SA) source and a NonCommercial (NC) source cannot be mixed: "
              "ShareAlike requires the remix to allow commercial use and NonCommercial "
              "forbids it.",
    },
}

#: The same reasons naming the licences involved; ``one``/``many`` by the number of badges.
_NO_DERIVATIVES_NAMED = {
    "nl": {"one": "{licences} staat geen bewerkingen toe (GeenAfgeleideWerken): je mag die "
                  "bron alleen ongewijzigd delen, bijvoorbeeld in een arrangement.",
           "many": "{licences} staan geen bewerkingen toe (GeenAfgeleideWerken): je mag die "
                   "bronnen alleen ongewijzigd delen, bijvoorbeeld in een arrangement."},
    "en": {"one": "{licences} does not allow adaptations (NoDerivatives): you may only share "
                  "that source unchanged, for example in an arrangement.",
           "many": "{licences} do not allow adaptations (NoDerivatives): you may only share "
                   "those sources unchanged, for example in an arrangement."},
}
_SHARE_ALIKE_WITH_NON_COMMERCIAL_NAMED = {
    "nl": "{share_alike} kun je niet in één remix mengen met {non_commercial}: GelijkDelen eist "
          "dat de remix commercieel gebruik toestaat en NietCommercieel verbiedt dat.",
    "en": "{share_alike} cannot be mixed with {non_commercial} in one remix: ShareAlike "
          "requires the remix to allow commercial use and NonCommercial forbids it.",
}
_AND = {"nl": "en", "en": "and"}
_OR = {"nl": "of", "en": "or"}

#: Why a remix may carry only the allowed licences, by the strongest condition its sources
#: set (the editor of a remix says this beside the licence choice).
_CONDITION = {
    Element.SA: {
        "nl": "Door de voorwaarde GelijkDelen van {sources} deel je een remix onder dezelfde "
              "licentie: {allowed}.",
        "en": "Because of the ShareAlike condition of {sources}, a remix is shared under the "
              "same licence: {allowed}.",
    },
    Element.NC: {
        "nl": "Door de voorwaarde NietCommercieel van {sources} blijft een remix "
              "niet-commercieel: {allowed}.",
        "en": "Because of the NonCommercial condition of {sources}, a remix stays "
              "non-commercial: {allowed}.",
    },
    Element.BY: {
        "nl": "Door de voorwaarde Naamsvermelding van {sources} krijgt een remix {allowed}; "
              "NietCommercieel of GeenAfgeleideWerken toevoegen kan niet, want dat neemt weg "
              "wat de bron toestaat.",
        "en": "Because of the Attribution condition of {sources}, a remix carries {allowed}; "
              "adding NonCommercial or NoDerivatives is not possible, because it would take "
              "away what the source allows.",
    },
    None: {
        "nl": "Zonder voorwaarden bij {sources} kan een remix {allowed} krijgen.",
        "en": "With no conditions on {sources}, a remix may carry {allowed}.",
    },
}
_NOT_ALLOWED = {
    "nl": "De licentie {licence} is voor deze remix niet toegestaan. {why}",
    "en": "The licence {licence} is not allowed for this remix. {why}",
}

#: Added to a refusal when the chosen licence is an older version of an allowed one (a
#: remix of CC BY-SA 3.0 is shared under CC BY-SA 4.0): without the versions both read
#: "CC BY-SA" and the refusal would seem to refuse what it asks for.
_OLDER_VERSION = {
    "nl": "Een oudere versie van een licentie kies je niet meer voor nieuw werk: kies {allowed}.",
    "en": "An older version of a licence is no longer chosen for new work: choose {allowed}.",
}

_COLLECTION_CREDIT_NOTE = {
    "nl": "Tenzij anders vermeld: de eigen pagina's van dit arrangement vallen onder de licentie "
          "van het arrangement; elk opgenomen materiaal houdt zijn eigen licentie, die bij de "
          "bronvermelding staat.",
    "en": "Except where otherwise noted: the arrangement's own pages are shared under the "
          "arrangement's licence; each embedded material keeps its own licence, named in its "
          "credits.",
}

#: What a remix may add to the elements its sources require (see the module docstring).
_MAY_ADD = frozenset({Element.BY, Element.SA})

#: The licences a remix can carry, most open first.
_CANDIDATES = tuple(lic for lic in registry.OFFERED
                    if lic.offered and lic.spdx != "PDM-1.0" and Element.ND not in lic.elements)

_POSITION = {spdx: n for n, spdx in enumerate(registry.LICENCES)}


def _canonical(licences: Iterable[Licence]) -> tuple[Licence, ...]:
    """Without duplicates, in registry order: the same whatever order the sources came in."""
    unique = {lic.spdx: lic for lic in licences}
    return tuple(sorted(unique.values(),
                        key=lambda lic: (_POSITION.get(lic.spdx, len(_POSITION)), lic.spdx)))


def _join(words: list[str], language: str, conjunction: dict[str, str] = _AND) -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction[language]} {words[-1]}"


def _badges(licences: Iterable[Licence]) -> list[str]:
    """Badges once each (CC BY-SA 3.0 and 4.0 are both "CC BY-SA"), in the given order."""
    return list(dict.fromkeys(lic.badge for lic in licences))


def _is_share_alike_only(licence: Licence) -> bool:
    """BY-SA, the family whose ShareAlike forces a licence that allows commercial use."""
    return Element.SA in licence.elements and Element.NC not in licence.elements


@dataclass(frozen=True)
class Adaptation:
    """The answer to "which licences may a remix of these sources carry?"."""

    #: The sources, resolved, in the order given (unknown ids left out).
    sources: tuple[Licence, ...]
    #: Offered licences (4.0 or CC0) the remix may carry, most open first; empty when refused.
    allowed: tuple[Licence, ...]
    refusal: Refusal | None
    #: The source licences that caused the refusal, once each, in registry order.
    offending: tuple[Licence, ...]

    @property
    def ok(self) -> bool:
        return self.refusal is None

    @property
    def suggested(self) -> Licence | None:
        """The licence to preselect: the most open one allowed."""
        return self.allowed[0] if self.allowed else None

    def explanation(self, locale: str) -> str:
        """Why a remix of these sources may carry only ``allowed`` (or why none at all), in
        one or two sentences naming the licences: the editor of a remix shows it beside the
        licence choice, and a refused save quotes it."""
        reason = self.reason(locale)
        if reason is not None:
            return reason
        language = _language(locale)
        required = frozenset().union(*(lic.elements for lic in self.sources))
        strongest = next((element for element in (Element.SA, Element.NC, Element.BY)
                          if element in required), None)
        setting = [lic for lic in self.sources if strongest is None or strongest in lic.elements]
        return _CONDITION[strongest][language].format(
            sources=_join(_badges(setting), language),
            allowed=_join(_badges(self.allowed), language, _OR))

    def allows(self, spdx: str) -> bool:
        """May a remix of these sources carry ``spdx`` (any case)?"""
        return registry.get(spdx or "") in self.allowed

    def refusal_of(self, spdx: str, locale: str) -> str | None:
        """``None`` when a remix of these sources may carry ``spdx``; else why not, in a
        sentence that names the licence and the rule."""
        if self.allows(spdx):
            return None
        chosen = registry.get(spdx or "")
        language = _language(locale)
        why = self.explanation(language)
        if chosen is not None and chosen.badge in _badges(self.allowed):
            why += " " + _OLDER_VERSION[language].format(allowed=_join(
                [lic.versioned_badge for lic in self.allowed], language, _OR))
            return _NOT_ALLOWED[language].format(licence=chosen.versioned_badge, why=why)
        return _NOT_ALLOWED[language].format(licence=chosen.badge if chosen else spdx or "—",
                                             why=why)

    def reason(self, locale: str) -> str | None:
        """Why the remix is refused, naming the offending licences by their badges."""
        if self.refusal is None:
            return None
        language = _language(locale)
        if self.refusal is Refusal.NO_DERIVATIVES and self.offending:
            badges = _badges(self.offending)
            template = _NO_DERIVATIVES_NAMED[language]["one" if len(badges) == 1 else "many"]
            return template.format(licences=_join(badges, language))
        if self.refusal is Refusal.SHARE_ALIKE_WITH_NON_COMMERCIAL and self.offending:
            share_alike = [lic for lic in self.offending if _is_share_alike_only(lic)]
            non_commercial = [lic for lic in self.offending if Element.NC in lic.elements]
            return _SHARE_ALIKE_WITH_NON_COMMERCIAL_NAMED[language].format(
                share_alike=_join(_badges(share_alike), language),
                non_commercial=_join(_badges(non_commercial), language))
        return self.refusal.message(language)


def _refused(sources: tuple[Licence, ...], refusal: Refusal,
             offending: Iterable[Licence] = ()) -> Adaptation:
    return Adaptation(sources, (), refusal, _canonical(offending))


def allowed_licences_for_adaptation(sources: Iterable[str | Licence]) -> Adaptation:
    """The licences a remix of ``sources`` (SPDX ids or licences) may carry, or why none."""
    given = tuple(sources)
    resolved = tuple(registry.get(s) if isinstance(s, str) else s for s in given)
    known = tuple(lic for lic in resolved if lic is not None)
    if not given:
        return _refused(known, Refusal.NO_SOURCES)
    if len(known) < len(given):
        return _refused(known, Refusal.UNKNOWN_LICENCE)

    # Rule 1: any ND source.
    no_derivatives = [lic for lic in known if Element.ND in lic.elements]
    if no_derivatives:
        return _refused(known, Refusal.NO_DERIVATIVES, no_derivatives)

    # Rule 2: BY-SA with any NC source.
    share_alike = [lic for lic in known if _is_share_alike_only(lic)]
    non_commercial = [lic for lic in known if Element.NC in lic.elements]
    if share_alike and non_commercial:
        return _refused(known, Refusal.SHARE_ALIKE_WITH_NON_COMMERCIAL,
                        share_alike + non_commercial)

    # Rules 3-5: keep every element of every source, add nothing but BY or SA. With BY-SA
    # present that leaves only BY-SA (rule 3), with BY-NC-SA only BY-NC-SA (rule 4).
    required = frozenset().union(*(lic.elements for lic in known))
    allowed = tuple(lic for lic in _CANDIDATES
                    if required <= lic.elements and lic.elements - required <= _MAY_ADD)
    return Adaptation(known, allowed, None, ())


def may_embed_in_collection(item: str | Licence, modified: bool) -> bool:
    """May an arrangement embed ``item``? Unchanged, any known licence may (each item keeps its
    own licence, ND included); a modified item is a remix and must allow adaptation."""
    licence = registry.get(item) if isinstance(item, str) else item
    if licence is None:
        return False
    if not modified:
        return True
    return allowed_licences_for_adaptation([licence]).ok


def collection_credit_note(locale: str) -> str:
    """The "except where otherwise noted" sentence for an arrangement's credits."""
    return _COLLECTION_CREDIT_NOTE[_language(locale)]
