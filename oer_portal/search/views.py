"""The search page, on the one search service (its JSON twin is ``api/search_views.py``)."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import get_locale

from oer_portal.core.numbers import query_number
from oer_portal.materials.metadata import vocabularies
from oer_portal.search import filters, service

bp = Blueprint("search", __name__)


def _request_from_args(chosen: dict[str, tuple[str, ...]]) -> service.SearchRequest:
    return service.SearchRequest(
        query=request.args.get("q", "")[:1000], filters=chosen,
        sort=request.args.get("sort", "relevance"),
        page=query_number("page", 1) or 1,
        per_page=query_number("per_page", 20) or 20)


def _resolved_filters() -> filters.Filters:
    return filters.resolve({name: request.args.getlist(name) for name in filters.FACETS},
                           indexed=service.indexed)


@bp.route("/search")
def search() -> str:
    """Full-text search with facets, highlights and corrected typos; a filter value nobody
    knows is named above the results rather than silently emptying them."""
    resolved = _resolved_filters()
    results = service.search(_request_from_args(resolved.chosen))
    return render_template("search/search.html", results=results, query=results.query_text,
                           refused=resolved.refused, vocab=vocabularies(),
                           locale=str(get_locale()))
