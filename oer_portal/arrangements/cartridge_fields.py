"""A cartridge's LOM metadata as the new arrangement's fields.

The title, description, language (its primary subtag, when the portal offers it),
keywords and licence: an SPDX id or deed address the registry knows, else the licence the
importer chose for that case.  What had to be chosen instead comes back as notes for the
summary.
"""

from __future__ import annotations

from flask_babel import gettext as _

from oer_portal.arrangements.cartridge_manifest import Manifest
from oer_portal.arrangements.structure import MAX_TITLE
from oer_portal.licences import registry
from oer_portal.materials.metadata import VersionFields, vocabularies


def single_line(text: str) -> str:
    """``text`` on one line with single spaces, as long as a title may be."""
    return " ".join(text.split())[:MAX_TITLE]


def fields_of(manifest: Manifest, default_licence: str) -> tuple[VersionFields, list[str]]:
    """The LOM title, description, language, keywords and licence as the arrangement's
    fields, and notes on what had to be chosen instead."""
    meta = manifest.metadata
    notes: list[str] = []
    title = single_line(meta.title or manifest.root_title) or _("Imported cartridge")
    licence = licence_in(meta.rights)
    if licence is None:
        licence = default_licence
        notes.append(_("The cartridge names no licence the portal knows, so the arrangement "
                       "has %(licence)s (the one you chose for that case).",
                       licence=registry.badge(default_licence)))
    language = meta.language.strip().lower().replace("_", "-").split("-")[0]
    if language not in vocabularies()["language"]:
        if language:
            notes.append(_("The cartridge's language (%(language)s) is not one the portal "
                           "offers; the arrangement is marked Dutch.", language=meta.language))
        language = "nl"
    return VersionFields(title=title, description=meta.description[:1000],
                         language=language, licence=licence,
                         keywords=tuple(k[:100] for k in meta.keywords[:30])), notes


def licence_in(rights: str) -> str | None:
    """The SPDX id of the licence ``rights`` names (``registry.licence_named``)."""
    return registry.licence_named(rights)
