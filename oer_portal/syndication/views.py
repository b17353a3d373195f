"""robots.txt, the sitemap, Atom feeds, the embed view and oEmbed.

Addresses for other sites (sitemap, feeds, oEmbed) are absolute, on ``PORTAL_URL`` when it
is configured (never on a Host header a stranger chose), else on the request's host.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from oer_portal.core import security
from oer_portal.core.errors import NotFound
from oer_portal.core.numbers import parse_id
from oer_portal.core.urls import own_hosts
from oer_portal.core.web import external_url
from oer_portal.lists.profiles import person_slug
from oer_portal.lists.service import list_slug
from oer_portal.materials.web import PageLinks
from oer_portal.syndication import embed as embedding
from oer_portal.syndication import feeds, oembed, sitemap

bp = Blueprint("syndication", __name__)

XML = "application/xml; charset=utf-8"
#: How long (seconds) a reader or crawler may keep robots.txt and a sitemap, and a feed,
#: before asking again: a new material shows up in them within this time.
SITEMAP_MAX_AGE = 3600
FEED_MAX_AGE = 900


def _cacheable(response: Response, max_age: int) -> Response:
    """Let caches keep ``response`` for ``max_age`` seconds.  Asked without a cookie (a
    crawler, a feed reader) the answer is everyone's: ``public``.  Asked with one it may
    be in another language (the session's) and may set the session's cookie again, so only
    the asker's own cache may keep it: ``private``.  Either way it varies with the cookie."""
    response.cache_control.max_age = max_age
    if request.cookies:
        response.cache_control.private = True
    else:
        response.cache_control.public = True
    response.vary.add("Cookie")
    return response


def _material_url(material_id: int, slug: str) -> str:
    return external_url("materials.show", material_id=material_id, slug=slug)


def _frame_ancestors() -> list[str]:
    configured = current_app.config["EMBED_FRAME_ANCESTORS"]
    if isinstance(configured, str):
        configured = configured.split()
    return [str(origin) for origin in configured]


@bp.app_template_global("embed_snippet")
def embed_snippet(material_id: int, title: str) -> Markup:
    """The iframe code for a material's embed view (the "Insluiten" box)."""
    return embedding.iframe_html(external_url("syndication.embed", material_id=material_id), title)


@bp.app_template_filter("new_tab_links")
def _new_tab_links(html: str) -> Markup:
    return embedding.new_tab_links(html)


# -- robots.txt and the sitemap -------------------------------------------------------------

#: Pages that are private, or only forms and personal views: not for crawlers.
PRIVATE_PATHS = (
    "/account/", "/my/", "/admin/", "/moderation/", "/reviews/", "/dashboard", "/audit",
    "/post-review", "/trusted", "/teacher-requests", "/users", "/api/",
    "/materials/new", "/materials/preview", "/materials/*/edit", "/materials/*/arrange",
    "/materials/*/diff", "/materials/*/revert/", "/materials/*/propose",
    "/materials/*/remix", "/materials/*/report", "/materials/*/statistics",
    "/materials/*/upstream", "/materials/*/withdraw", "/materials/*/proposals/",
    "/materials/*/embed",
)


@bp.route("/robots.txt")
def robots() -> Response:
    lines = ["User-agent: *", "Allow: /", *(f"Disallow: {path}" for path in PRIVATE_PATHS),
             "", f"Sitemap: {external_url('syndication.sitemap_index')}", ""]
    return _cacheable(Response("\n".join(lines), mimetype="text/plain"), SITEMAP_MAX_AGE)


def _page_size() -> int:
    return sitemap.page_size(current_app.config["SITEMAP_PAGE_SIZE"])


@bp.route("/sitemap.xml")
def sitemap_index() -> Response:
    body = sitemap.index_xml(
        sitemap.pages(_page_size()),
        lambda number: external_url("syndication.sitemap_materials", number=number),
        extra=[external_url("syndication.sitemap_pages")])
    return _cacheable(Response(body, content_type=XML), SITEMAP_MAX_AGE)


@bp.route("/sitemaps/pages.xml")
def sitemap_pages() -> Response:
    """The portal's public pages that are not materials."""
    return _cacheable(Response(sitemap.urlset_xml([(external_url("pages.home"), None),
                                                   (external_url("pages.licences"), None)]),
                               content_type=XML), SITEMAP_MAX_AGE)


@bp.route("/sitemaps/materials-<int:number>.xml")
def sitemap_materials(number: int) -> Response:
    entries = sitemap.entries(number, _page_size())
    if not entries:
        raise NotFound()
    return _cacheable(Response(sitemap.urlset_xml(
        (_material_url(entry.material_id, entry.slug), entry.lastmod) for entry in entries),
        content_type=XML), SITEMAP_MAX_AGE)


# -- Atom feeds -----------------------------------------------------------------------------


def _atom(feed: feeds.Feed, page_url: str) -> Response:
    locale = str(get_locale())
    links = feeds.FeedLinks(
        self_url=external_url(request.endpoint or "", **(request.view_args or {})),
        page_url=page_url,
        material_id=lambda material_id: external_url("materials.show", material_id=material_id),
        material=_material_url,
        profile=lambda user_id, name: external_url("lists.profile", user_id=user_id,
                                               slug=person_slug(name)),
        scheme=lambda vocabulary: external_url("search.search") + f"?{vocabulary}=")
    return _cacheable(Response(feeds.atom_xml(feed, links, locale, _("OER portal")),
                               content_type=feeds.MEDIA_TYPE), FEED_MAX_AGE)


def _feed_size() -> int:
    return max(1, int(current_app.config["FEED_SIZE"]))


@bp.route("/feeds/materials.atom")
def materials_feed() -> Response:
    return _atom(feeds.all_materials(_feed_size()), external_url("pages.home"))


@bp.route("/feeds/subjects/<code>.atom")
def subject_feed(code: str) -> Response:
    return _atom(feeds.subject(code, _feed_size(), str(get_locale())),
                 external_url("search.search", subject=code))


@bp.route("/feeds/levels/<code>.atom")
def level_feed(code: str) -> Response:
    return _atom(feeds.level(code, _feed_size(), str(get_locale())),
                 external_url("search.search", level=code))


@bp.route("/feeds/people/<int:user_id>.atom")
def person_feed(user_id: int) -> Response:
    return _atom(feeds.person(user_id, _feed_size()),
                 external_url("lists.profile", user_id=user_id))


@bp.route("/feeds/lists/<int:list_id>.atom")
def list_feed(list_id: int) -> Response:
    """A public list's feed (a private list's is *not found*, as its page is to others)."""
    feed, material_list = feeds.material_list(list_id, _feed_size())
    return _atom(feed, external_url("lists.show", list_id=list_id,
                                    slug=list_slug(material_list)))


# -- Embeds and oEmbed ----------------------------------------------------------------------


@bp.route("/materials/<int:material_id>/embed")
def embed(material_id: int) -> Response:
    """A material or an arrangement for a frame on another site: the public's view, whoever
    asks (this view never reads the signed-in user), and framable by the configured
    origins only here."""
    locale = str(get_locale())
    page = embedding.embed_page(material_id, PageLinks(), locale)
    if page.version is None:
        response = Response(render_template("syndication/embed_tombstone.html",
                                            material=page.material), status=410)
    else:
        response = Response(render_template("syndication/embed.html", page=page,
                                            material=page.material, version=page.version))
    return security.allow_framing(response, _frame_ancestors())



def _material_id_of(url: str) -> int | None:
    """The material whose page (or embed view) ``url`` is, on one of our own hosts."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname \
            or parts.hostname.rstrip(".").lower() not in own_hosts():
        return None
    try:
        endpoint, values = current_app.url_map.bind(parts.netloc).match(parts.path, "GET")
    except HTTPException:
        return None
    if endpoint not in ("materials.show", "syndication.embed"):
        return None
    return int(values["material_id"])


def _size(name: str) -> int | None:
    return parse_id(request.args.get(name))


@bp.route("/oembed")
def oembed_endpoint() -> tuple[Response, int] | Response:
    if request.args.get("format", "json") != "json":
        return jsonify(error=_("Only the JSON format is offered.")), 501
    material_id = _material_id_of(request.args.get("url", ""))
    try:
        if material_id is None:
            raise NotFound()
        answer = oembed.answer(
            material_id, PageLinks(),
            lambda mid: external_url("syndication.embed", material_id=mid),
            _size("maxwidth"), _size("maxheight"), _("OER portal"), external_url("pages.home"))
    except NotFound:
        return jsonify(error=_("No published material has this address.")), 404
    return jsonify(answer)
