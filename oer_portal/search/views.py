"""The search page and its JSON twin, both on the one search service."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request, url_for
from flask_babel import get_locale
from werkzeug.wrappers import Response

from oer_portal.materials.metadata import vocabularies
from oer_portal.search import service

bp = Blueprint("search", __name__)


def _request_from_args() -> service.SearchRequest:
    filters = {name: tuple(request.args.getlist(name)) for name in service.FACETS}
    return service.SearchRequest(
        query=request.args.get("q", "")[:1000], filters=filters,
        sort=request.args.get("sort", "relevance"),
        page=request.args.get("page", 1, type=int) or 1,
        per_page=request.args.get("per_page", 20, type=int) or 20)


@bp.route("/search")
def search() -> str:
    """Full-text search with facets, highlights and a "did you mean" suggestion."""
    results = service.search(_request_from_args())
    return render_template("search/search.html", results=results, query=results.query_text,
                           vocab=vocabularies(), locale=str(get_locale()))


@bp.route("/api/v1/search")
def api_search() -> Response:
    results = service.search(_request_from_args())
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
