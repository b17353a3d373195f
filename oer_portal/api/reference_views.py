"""What the other operations' codes mean: the licences and the licence engine ("which
licences may a remix of these sources carry?"), and the vocabularies with their Dutch and
English labels."""

from __future__ import annotations

from typing import Any

from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l

from oer_portal.api import schemas
from oer_portal.api.render_views import OPTIONAL_TOKEN, api_blueprint
from oer_portal.licences import registry
from oer_portal.licences.compatibility import allowed_licences_for_adaptation
from oer_portal.materials.metadata import vocabularies as load_vocabularies

blp = api_blueprint("api_reference", "Licences, the licence engine and vocabularies.")
BLUEPRINTS = (blp,)

#: The kinds of material, named as the web names them.
KIND_LABELS = {"lesson": _l("Lesson"), "file": _l("File"), "link": _l("Link"),
               "arrangement": _l("Arrangement")}


def _licence(licence: registry.Licence) -> dict[str, Any]:
    return {"spdx": licence.spdx, "badge": licence.badge,
            "name": {"nl": licence.name("nl"), "en": licence.name("en")},
            "url": licence.url, "elements": sorted(str(e) for e in licence.elements),
            "offered": licence.offered,
            "explanation": {"nl": licence.explanation("nl"), "en": licence.explanation("en")}}


@blp.route("/licences")
@blp.response(200, schemas.LicenceSchema(many=True))
@blp.doc(security=OPTIONAL_TOKEN)
def licences() -> list[dict[str, Any]]:
    """The licences the portal knows

    Those offered for new work first (most open first), then older versions that imports
    bring (recognised, not offered).
    """
    offered = list(registry.OFFERED)
    others = [lic for lic in registry.LICENCES.values() if lic not in offered]
    return [_licence(lic) for lic in offered + others]


@blp.route("/licences/remix")
@blp.arguments(schemas.RemixLicenceArgs, location="query", error_status_code=400)
@blp.response(200, schemas.RemixLicencesSchema)
@blp.doc(security=OPTIONAL_TOKEN)
def remix_licences(args: dict[str, Any]) -> dict[str, Any]:
    """Which licences may a remix of these sources carry?

    The licence engine the remix form and every save use. An empty ``allowed`` comes with
    ``refusal`` (a stable code: no_derivatives, share_alike_non_commercial,
    unknown_licence, no_sources) and the reason in ``explanation``.
    """
    adaptation = allowed_licences_for_adaptation(args["source"])
    locale = str(get_locale() or "nl")
    return {"sources": list(args["source"]),
            "allowed": [lic.spdx for lic in adaptation.allowed],
            "suggested": adaptation.suggested.spdx if adaptation.suggested else None,
            "refusal": str(adaptation.refusal) if adaptation.refusal else None,
            "explanation": adaptation.explanation(locale)}


@blp.route("/vocabularies")
@blp.response(200, schemas.VocabulariesSchema)
@blp.doc(security=OPTIONAL_TOKEN)
def vocabularies() -> dict[str, Any]:
    """Vocabularies with Dutch and English labels

    Subjects, levels (with their parent), resource types, languages and the kinds of
    material: the codes the other operations take and give.
    """
    result: dict[str, Any] = {
        name: [{"code": term.code, "parent": term.parent_code,
                "label": {"nl": term.label_nl, "en": term.label_en}}
               for term in terms.values()]
        for name, terms in load_vocabularies().items()
        if name in ("subject", "level", "resource_type", "language")}
    labels: dict[str, dict[str, str]] = {}
    for language in ("nl", "en"):
        with force_locale(language):
            for code, label in KIND_LABELS.items():
                labels.setdefault(code, {})[language] = str(label)
    result["kind"] = [{"code": code, "parent": None, "label": labels[code]}
                      for code in schemas.KINDS]
    return result
