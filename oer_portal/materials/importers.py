"""Importers of packages by file name suffix (``flask materials import X.imscc``).

The interchange format is the materials feature's own; a package that becomes something
else (a Common Cartridge becomes an arrangement) is read by the feature that builds it,
which registers its importer here when it is imported, so ``materials`` imports no
feature (as with ``hooks``, ``panels`` and ``publishing``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from oer_portal.accounts.models import User
from oer_portal.materials.models import Material


@dataclass(frozen=True)
class PackageImport:
    """What one package became, and the lines the command prints about it (made, skipped)."""

    material: Material
    lines: tuple[str, ...] = ()


#: ``importer(stream, user)``: read the package in ``stream`` (seekable) as ``user``'s new
#: material; raises a ``DomainError`` naming the problem, leaving the session to roll back.
PackageImporter = Callable[[BinaryIO, User], PackageImport]

_BY_SUFFIX: dict[str, PackageImporter] = {}


def register(suffix: str, importer: PackageImporter) -> None:
    _BY_SUFFIX[suffix.lower()] = importer


def importer_for(path: Path) -> PackageImporter | None:
    """The importer for the file at ``path`` by its suffix (``None``: the interchange
    format's own reading applies)."""
    return _BY_SUFFIX.get(path.suffix.lower()) if path.is_file() else None
