"""The licence rule on every save: a derived material carries only a licence its sources allow.

The rule is checked where versions are written (``service._write_version``), so every path
meets it: the editor, a tampered form, a revert, an upstream pull, an import of a new version,
the arrangement builder and any API.  Which versions a material adapts is the remix feature's
knowledge (``derived_from`` and the pulls since), so that feature registers the lookup;
``materials`` never imports it.  Without a lookup (or for a material that is not derived)
there is nothing to check: any licence the registry knows will do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from flask_babel import get_locale
from sqlalchemy import Select, func, select

from oer_portal.extensions import db
from oer_portal.licences.compatibility import Adaptation, allowed_licences_for_adaptation
from oer_portal.materials.metadata import InvalidFields
from oer_portal.materials.models import Material, MaterialVersion

#: ``lookup(material, version)``: the versions of other materials that ``version`` adapts;
#: ``version`` ``None`` asks about the next version to be written.
SourceLookup = Callable[[Material, MaterialVersion | None], Sequence[MaterialVersion]]


def _no_sources(_material: Material, _version: MaterialVersion | None
                ) -> Sequence[MaterialVersion]:
    return ()


_lookup: list[SourceLookup] = [_no_sources]


def register_sources(lookup: SourceLookup) -> None:
    """Called once by the feature that knows where derived materials come from."""
    _lookup[0] = lookup


class LicenceNotAllowed(InvalidFields):
    """The licence chosen for a derived material is one its sources do not allow."""

    def __init__(self, reason: str) -> None:
        super().__init__({"licence": reason})


def sources_of(material: Material, version: MaterialVersion | None = None
               ) -> tuple[MaterialVersion, ...]:
    """The versions ``version`` of ``material`` adapts (``None``: the next version)."""
    if material.derived_from_version_id is None:
        return ()
    return tuple(_lookup[0](material, version))


def adaptation_for(material: Material, version: MaterialVersion | None = None
                   ) -> Adaptation | None:
    """What the sources allow, or ``None`` for a material that adapts nothing."""
    sources = sources_of(material, version)
    if not sources:
        return None
    return allowed_licences_for_adaptation([source.licence for source in sources])


def check_licence(material: Material, licence: str) -> None:
    """Raise :class:`LicenceNotAllowed`, with the engine's reason, when the next version of
    ``material`` may not carry ``licence``."""
    adaptation = adaptation_for(material)
    if adaptation is None:
        return
    refusal = adaptation.refusal_of(licence, str(get_locale() or "nl"))
    if refusal is not None:
        raise LicenceNotAllowed(refusal)


@dataclass(frozen=True)
class Breach:
    """A version whose licence its sources do not allow (data written before the rule)."""

    material_id: int
    version_number: int
    licence: str
    #: (material id, version number, licence) of each source.
    sources: tuple[tuple[int, int, str], ...]
    allowed: tuple[str, ...]


def _derived() -> Select[tuple[Material]]:
    return select(Material).where(Material.derived_from_version_id.is_not(None))


def derived_count() -> int:
    """How many materials ``breaches`` walks (for a progress bar)."""
    return db.session.scalar(_derived().with_only_columns(func.count())) or 0


def breaches(progress: Callable[[Material], None] | None = None) -> Iterator[Breach]:
    """Every version of every derived material whose licence breaks the rule, oldest
    material first (``flask materials check-licences``)."""
    for material in db.session.scalars(_derived().order_by(Material.id)).all():
        if progress is not None:
            progress(material)
        versions = db.session.scalars(select(MaterialVersion).where(
            MaterialVersion.material_id == material.id).order_by(MaterialVersion.number))
        for version in versions:
            sources = sources_of(material, version)
            if not sources:
                continue
            adaptation = allowed_licences_for_adaptation([s.licence for s in sources])
            if not adaptation.allows(version.licence):
                yield Breach(material.id, version.number, version.licence,
                             tuple((s.material_id, s.number, s.licence) for s in sources),
                             tuple(licence.spdx for licence in adaptation.allowed))
