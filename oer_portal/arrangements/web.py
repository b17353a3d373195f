"""The web layer's side of exports: the absolute addresses an export links to, and the one
call that writes an export for a request or for the CLI.

An export leaves the portal, so every link in it is absolute, on ``PORTAL_URL`` when set
(``core.web.external_url``), else on the request's host; a command without a request needs
``PORTAL_URL`` or ``SERVER_NAME``.  The writers (``cartridge.py``, ``offline.py``) get
these as plain strings.  The formats register with ``materials.exports`` here, so
``flask materials export`` offers them without the materials package importing this one.
"""

from __future__ import annotations

from typing import BinaryIO

from flask_babel import get_locale

from oer_portal.accounts.models import User
from oer_portal.accounts.policy import Actor
from oer_portal.arrangements.cartridge import write_cartridge
from oer_portal.arrangements.export import build_export, chosen_version
from oer_portal.arrangements.offline import write_offline
from oer_portal.core.storage import file_store
from oer_portal.core.web import external_url
from oer_portal.materials import exports
from oer_portal.materials.models import Material
from oer_portal.materials.service import slugify

CARTRIDGE = "imscc"
OFFLINE = "html"
EXTENSIONS = {CARTRIDGE: ".imscc", OFFLINE: ".zip"}


class ExportLinks:
    """``export.ExportLinks``: every address absolute."""

    def material(self, material: Material, number: int | None) -> str:
        if number is None:
            return external_url("materials.show", material_id=material.id, slug=material.slug)
        return external_url("materials.show_version", material_id=material.id, number=number)

    def profile(self, user: User) -> str:
        return external_url("lists.profile", user_id=user.id, slug=slugify(user.display_name))

    def page(self, material: Material) -> str:
        return self.material(material, None)

    @property
    def portal(self) -> str:
        return external_url("pages.home").rstrip("/")


def _open_blob(sha256: str) -> BinaryIO:
    return file_store().path(sha256).open("rb")


def write_export(format_name: str, actor: Actor, material_id: int, number: int | None,
                 target: BinaryIO) -> str:
    """Stream the export of what ``actor`` may see of the material (``number``: a version
    they may see, else the one its page shows them) into ``target``; the file name it
    suggests.  ``NotFound`` for anything hidden."""
    material, version = chosen_version(actor, material_id, number)
    locale = str(get_locale() or "nl")
    export = build_export(actor, material, version, ExportLinks(), locale)
    writer = write_cartridge if format_name == CARTRIDGE else write_offline
    writer(export, target, _open_blob, locale)
    return f"{export.slug}{EXTENSIONS[format_name]}"


def _registered(format_name: str) -> exports.Writer:
    def write(actor: Actor, material_id: int, number: int | None, target: BinaryIO) -> str:
        return write_export(format_name, actor, material_id, number, target)

    return write


for _name, _extension in EXTENSIONS.items():
    exports.register(_name, _extension, _registered(_name))
