"""Formats that other features export a material in, for ``flask materials export``.

The interchange format is the materials package's own; the Common Cartridge and the web
pages ZIP are written by the arrangements feature (they mirror an arrangement's outline),
which materials cannot import.  So that feature registers each format here when it is
imported, the way ``panels.py`` and ``hooks.py`` let features add to the material page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from oer_portal.accounts.policy import Actor

#: ``write(actor, material_id, number, target)`` streams the export of the version ``actor``
#: may see (``number`` ``None``: the one the material page shows them) into ``target`` and
#: returns the file name it suggests (``<slug>.imscc``); raises ``NotFound`` for what
#: ``actor`` may not see.
Writer = Callable[[Actor, int, int | None, BinaryIO], str]


@dataclass(frozen=True)
class ExportFormat:
    name: str
    #: The file name's extension, with its dot (``.imscc``).
    extension: str
    write: Writer


_FORMATS: dict[str, ExportFormat] = {}


def register(name: str, extension: str, write: Writer) -> None:
    _FORMATS[name] = ExportFormat(name, extension, write)


def get(name: str) -> ExportFormat | None:
    return _FORMATS.get(name)


def names() -> tuple[str, ...]:
    return tuple(sorted(_FORMATS))
