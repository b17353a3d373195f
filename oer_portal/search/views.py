"""The search page.  The index and its query parser arrive with the search issue; until then
the page keeps the header's search box honest by saying that nothing is indexed yet."""

from __future__ import annotations

from flask import Blueprint, render_template, request

bp = Blueprint("search", __name__)

MAX_QUERY_LENGTH = 200


@bp.route("/search")
def search() -> str:
    query = request.args.get("q", "")[:MAX_QUERY_LENGTH]
    return render_template("search/search.html", query=query)
