"""The syndication parts of the material page, as plain data: in its ``<head>`` the
schema.org JSON-LD and the oEmbed discovery link, in the side column "Insluiten" (the code
that shows the material's embed view in a frame).  Registers with ``materials.panels`` when
imported.

Only the published version the public sees gets them: a draft, a version that waits for
review, an older version's permalink or a withdrawn material has nothing to syndicate.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup

from oer_portal.materials import panels
from oer_portal.materials.panels import MaterialPage, Panel, Slot
from oer_portal.syndication import jsonld


@dataclass(frozen=True)
class SyndicationPanel:
    material_id: int
    slug: str
    title: str
    #: The text of the ``<script type="application/ld+json">`` element (escaped for it).
    structured_data: Markup


def syndication_panel(page: MaterialPage) -> SyndicationPanel | None:
    material, version = page.material, page.version
    if material.is_withdrawn or not page.shows_public_version:
        return None
    data = jsonld.learning_resource(material, version, page.links, page.locale,
                                    _("OER portal"))
    return SyndicationPanel(material.id, material.slug, version.title,
                            jsonld.script_text(data))


panels.register(Panel.SYNDICATION, syndication_panel, {
    Slot.HEAD: "syndication/_head.html", Slot.ASIDE: "syndication/_embed_code.html"})
