"""``/api/v1/search``: the search page's results as JSON, on the one search service.

The result fields are fixed by the shared design (ARCHITECTURE.md, section 8).  A parameter
or value the API does not know is refused (400, an ``invalid-parameter`` problem that lists
what is valid), never ignored: a typo must not silently widen the results.
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _

from oer_portal.api import schemas
from oer_portal.api.pagination import link_header, page_links
from oer_portal.api.problems import ApiProblem
from oer_portal.api.render_views import OPTIONAL_TOKEN, api_blueprint
from oer_portal.search import filters, service

blp = api_blueprint("api_search", "Full-text search with facets.")
BLUEPRINTS = (blp,)


@blp.route("/search")
@blp.arguments(schemas.SearchArgs, location="query", error_status_code=400)
@blp.response(200, schemas.SearchResultSchema)
@blp.doc(security=OPTIONAL_TOKEN)
def search(args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Search published materials and harvested records

    The search page's results, facets and corrected typos. Filters take a vocabulary code
    or any label that import accepts; values of one filter are OR-ed, filters AND-ed.
    Records harvested from other collections are found beside the portal's materials:
    their ``collection`` names the collection, ``id`` is null, ``record_id`` is the
    harvested record's id, ``external_id`` its OAI identifier at the source and ``url``
    its home page there (``collection=`` filters on a collection's name).
    """
    resolved = filters.resolve({name: args.get(name, []) for name in filters.FACETS},
                               indexed=service.indexed)
    if resolved.refused:
        raise ApiProblem(
            "invalid-parameter",
            _("Unknown filter value: %(values)s.", values=", ".join(
                f"{refusal.facet}={refusal.value}" for refusal in resolved.refused)),
            invalid=[{"parameter": refusal.facet, "value": refusal.value,
                      "message": _("Unknown filter value: %(values)s.", values=refusal.value),
                      "valid": list(refusal.valid)} for refusal in resolved.refused])
    results = service.search(service.SearchRequest(
        query=args.get("q", "")[:1000], filters=resolved.chosen, sort=args["sort"],
        page=args["page"], per_page=args["per_page"]))
    request = results.request
    following, previous = page_links(
        request.page, has_next=request.page * request.per_page < results.total
        and request.page < service.MAX_PAGE)
    body = {
        "total": results.total, "page": request.page, "per_page": request.per_page,
        "query": results.query_text, "suggestion": results.suggestion,
        "fuzzy": results.fuzzy,
        "results": [{
            "id": hit.material_id, "record_id": hit.record_id, "collection": hit.collection or None,
            "external_id": hit.external_id or None, "title": hit.title,
            # A harvested record opens at its home page elsewhere; a material here.
            "url": hit.url if hit.is_record else url_for(
                "materials.show", material_id=hit.material_id, slug=hit.slug, _external=True),
            "licence": hit.licence, "language": hit.language, "kind": hit.kind,
            "score": round(hit.score, 4), "highlights": str(hit.highlights),
            "published": hit.published.isoformat() if hit.published else None,
            "rating": {"average": round(hit.rating, 2) if hit.rating is not None else None,
                       "count": hit.ratings},
        } for hit in results.hits],
        "facets": {name: [{"value": v, "count": c} for v, c in counts]
                   for name, counts in results.facets.items()},
        "next": following, "prev": previous,
    }
    return body, link_header(following, previous)
