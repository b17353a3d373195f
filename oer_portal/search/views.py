"""The search page and its JSON twin, both on the one search service."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from oer_portal.materials.metadata import vocabularies
from oer_portal.search import filters, service

bp = Blueprint("search", __name__)

#: What ``/api/v1/search`` understands; anything else is refused, not ignored.
PARAMETERS = ("q", "sort", "page", "per_page", *filters.FACETS)


def _request_from_args(chosen: dict[str, tuple[str, ...]]) -> service.SearchRequest:
    return service.SearchRequest(
        query=request.args.get("q", "")[:1000], filters=chosen,
        sort=request.args.get("sort", "relevance"),
        page=request.args.get("page", 1, type=int) or 1,
        per_page=request.args.get("per_page", 20, type=int) or 20)


def _resolved_filters() -> filters.Filters:
    return filters.resolve({name: request.args.getlist(name) for name in filters.FACETS})


@bp.route("/search")
def search() -> str:
    """Full-text search with facets, highlights and corrected typos; a filter value nobody
    knows is named above the results rather than silently emptying them."""
    resolved = _resolved_filters()
    results = service.search(_request_from_args(resolved.chosen))
    return render_template("search/search.html", results=results, query=results.query_text,
                           refused=resolved.refused, vocab=vocabularies(),
                           locale=str(get_locale()))


def _bad_request(message: str, **details: Any) -> tuple[Response, int]:
    return jsonify(error={"status": 400, "message": message, **details}), 400


def _api_refusal(resolved: filters.Filters) -> tuple[Response, int] | None:
    """Why the API cannot answer as asked, or ``None``: an unknown parameter, sort order,
    number or filter value is a 400 that lists what is valid."""
    unknown = sorted(set(request.args) - set(PARAMETERS))
    if unknown:
        return _bad_request(_("Unknown parameter: %(names)s.", names=", ".join(unknown)),
                            unknown=unknown, valid=list(PARAMETERS))
    sort = request.args.get("sort", "relevance")
    if sort not in service.SORTS:
        return _bad_request(_("Unknown sort order: %(sort)s.", sort=sort), parameter="sort",
                            valid=list(service.SORTS))
    for name in ("page", "per_page"):
        if name in request.args and request.args.get(name, type=int) is None:
            return _bad_request(_("%(name)s must be a whole number.", name=name),
                                parameter=name)
    if resolved.refused:
        return _bad_request(
            _("Unknown filter value: %(values)s.", values=", ".join(
                f"{refusal.facet}={refusal.value}" for refusal in resolved.refused)),
            invalid=[{"parameter": refusal.facet, "value": refusal.value,
                      "valid": list(refusal.valid)} for refusal in resolved.refused])
    return None


@bp.route("/api/v1/search")
def api_search() -> Response | tuple[Response, int]:
    """Search as JSON: the page's results, facets and corrections."""
    resolved = _resolved_filters()
    refusal = _api_refusal(resolved)
    if refusal is not None:
        return refusal
    results = service.search(_request_from_args(resolved.chosen))
    return jsonify(
        total=results.total, page=results.request.page, per_page=results.request.per_page,
        query=results.query_text, suggestion=results.suggestion, fuzzy=results.fuzzy,
        results=[{
            "id": hit.material_id, "external_id": hit.external_id or None, "title": hit.title,
            "url": url_for("materials.show", material_id=hit.material_id, slug=hit.slug,
                           _external=True),
            "licence": hit.licence, "language": hit.language, "kind": hit.kind,
            "score": round(hit.score, 4), "highlights": str(hit.highlights),
            "published": hit.published.isoformat() if hit.published else None,
            "rating": {"average": round(hit.rating, 2) if hit.rating is not None else None,
                       "count": hit.ratings},
        } for hit in results.hits],
        facets={name: [{"value": v, "count": c} for v, c in counts]
                for name, counts in results.facets.items()},
    )
