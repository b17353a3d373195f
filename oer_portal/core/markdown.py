"""Teachers' Markdown, rendered for pages, search and tables of contents.

Python-Markdown passes raw HTML and ``javascript:``/``data:`` links straight through, so its
output is never trusted: every rendering goes through nh3 with the allow-lists below, and
only the sanitised string is wrapped in :class:`~markupsafe.Markup`.

A ``Markdown`` object keeps per-document state (footnotes, heading ids) and is not
thread-safe (one shared by 8 threads raised ``KeyError`` here), so every rendering builds its
own: that costs 0.1 ms next to ~15 ms for converting a 3,000-word lesson, and leaves no state
behind to leak from one document, thread or greenlet into another.
"""

from __future__ import annotations

import functools
import hashlib
import html
import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urlsplit

import markdown
import nh3
from markdown.extensions import Extension
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import TocExtension, slugify_unicode
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor
from markupsafe import Markup

__all__ = ["REMOTE_IMAGE_PATH", "Rendering", "TocEntry", "current_own_hosts",
           "escape_foreign_markup", "image_source_allowed", "prerender",
           "refused_image_sources", "remote_image_key", "remote_image_sources",
           "render_markdown", "render_plain_text", "table_of_contents", "using_renderings",
           "with_scroll_boxes", "without_refused_images"]

logger = logging.getLogger(__name__)

#: Heading ids start with this, footnotes with ``fn-``/``fnref-``: lesson content can never
#: take an id (``login-form``, ``main``) that the page around it relies on.
HEADING_ID_PREFIX = "h-"

#: Authors' ``#`` becomes ``<h2>``: the material's title is the page's only ``<h1>``.
HEADING_BASE_LEVEL = 2

ALLOWED_TAGS = frozenset({
    # Blocks
    "p", "div", "blockquote", "pre", "hr", "br",
    "h2", "h3", "h4", "h5", "h6",
    "ul", "ol", "li", "dl", "dt", "dd",
    "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
    "figure", "figcaption", "details", "summary",
    # Inline
    "a", "img", "em", "i", "strong", "b", "u", "s", "del", "ins", "mark", "small", "sub",
    "sup", "code", "kbd", "samp", "var", "abbr", "q", "cite", "span",
})

#: Removed by nh3 together with their content.  Defence in depth only: a tag that is not in
#: :data:`ALLOWED_TAGS` never reaches nh3 as a tag (:func:`escape_foreign_markup` makes it
#: text first), so these never cost a word of a lesson.
REMOVED_WITH_CONTENT = frozenset({
    "script", "style", "template", "noscript", "iframe", "noembed", "noframes", "object",
    "svg", "math", "textarea", "select", "title", "xmp",
})

ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"lang", "dir", "title"},
    "a": {"href", "class"},
    "img": {"src", "alt", "width", "height"},
    **{f"h{level}": {"id"} for level in range(2, 7)},
    "li": {"id"},
    "sup": {"id"},
    "ol": {"start"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "code": {"class"},
    "div": {"class"},
    "details": {"open"},
}

#: Attributes restricted to a few values (nh3 wants these kept out of ``ALLOWED_ATTRIBUTES``).
ALLOWED_ATTRIBUTE_VALUES: dict[str, dict[str, set[str]]] = {
    "th": {"align": {"left", "center", "right"},
           "scope": {"row", "col", "rowgroup", "colgroup"}},
    "td": {"align": {"left", "center", "right"}},
}

#: The only classes kept: the ones Python-Markdown itself writes (plus ``language-…`` on code).
ALLOWED_CLASSES: dict[str, frozenset[str]] = {
    "a": frozenset({"footnote-ref", "footnote-backref"}),
    "div": frozenset({"footnote", "toc"}),
}

URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer"

_ID_PREFIXES = {
    **{f"h{level}": HEADING_ID_PREFIX for level in range(2, 7)},
    "li": "fn-",
    "sup": "fnref",  # fnref-1, and fnref2-1 for a second reference to the same footnote
}
_LANGUAGE_CLASS = re.compile(r"language-[\w#.+-]{1,40}")
_NUMBER = re.compile(r"[0-9]{1,4}")
_DIRECTIONS = frozenset({"ltr", "rtl", "auto"})


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Value checks nh3's allow-lists cannot express (they only know names, or exact values).

    nh3 calls this after its own URL-scheme check, also for the attributes it sets itself.
    """
    if attribute == "id":
        prefix = _ID_PREFIXES.get(tag)
        return value if prefix and value.startswith(prefix) else None
    if attribute == "class":
        if tag == "code":
            kept = [name for name in value.split() if _LANGUAGE_CLASS.fullmatch(name)]
        else:
            allowed = ALLOWED_CLASSES.get(tag, frozenset())
            kept = [name for name in value.split() if name in allowed]
        return " ".join(kept) or None
    if attribute in {"width", "height", "start", "colspan", "rowspan"}:
        return value if _NUMBER.fullmatch(value.strip()) else None
    if attribute == "dir":
        return value if value in _DIRECTIONS else None
    return value


# --- Images of our own site: files only --------------------------------------------------------

#: The only addresses of the portal itself that a lesson's image may load: a material's
#: files (``/materials/<id>/files/<n>/<name>``, the thumbnail included, and by name
#: ``/materials/<id>/attachments/<name>``) and the static
#: files.  Any other address of ours is a page, and an image that loads a page makes every
#: reader's browser request it as that reader: an ``<img src="/admin/users/1">`` in a
#: published lesson once wrote an audit row for each view.
_FILE_PATH = re.compile(r"/materials/[0-9]+/files/[0-9]+/[^/?#\\]+"
                        r"|/materials/[0-9]+/attachments/[^/?#\\]+|/static/[^?#\\]+"
                        r"|/media/remote/[0-9a-f]{64}")
_URL_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):(.*)", re.DOTALL)
#: What a browser strips from an address before reading it (WHATWG URL): tabs and new lines
#: anywhere, control characters and spaces at the ends.
_URL_NOISE = re.compile(r"[\t\n\r]")
_C0_AND_SPACE = "".join(map(chr, range(0x21)))


def _is_file_path(path: str) -> bool:
    decoded = unquote(path)
    if any(segment in (".", "..") for segment in decoded.split("/")):
        return False
    return _FILE_PATH.fullmatch(decoded) is not None


def image_source_allowed(src: str, own_hosts: frozenset[str]) -> bool:
    """Whether an image may load ``src``: another site's address (the CSP decides those),
    or one of our own file addresses.  Our own site is a path (``/…``), or an absolute or
    scheme-relative address on one of ``own_hosts``; read as a browser reads it (a
    backslash is a slash, ``http:/x`` is relative to the page).  A relative path
    (``plaatje.png``, ``../admin``) is refused: where it leads depends on the page that
    shows the lesson."""
    url = _URL_NOISE.sub("", src).strip(_C0_AND_SPACE)
    if not url:
        return True  # an empty source loads nothing
    url = url.replace("\\", "/")
    scheme = _URL_SCHEME.fullmatch(url)
    if scheme:
        if scheme.group(1).lower() not in ("http", "https"):
            return True  # not a web address: the sanitiser's scheme list already decided
        url = scheme.group(2)
        if not url.startswith("//"):
            return False  # "https:admin/users" is relative to the page's own address
    if url.startswith("//"):
        try:
            parts = urlsplit("https:" + url)
            host = unquote(parts.hostname or "").rstrip(".").lower()
        except ValueError:
            return False
        if host and host not in own_hosts:
            return True
        return _is_file_path(parts.path)
    if url.startswith("/"):
        return _is_file_path(urlsplit(url).path)
    return False


# --- Images of other sites: served by the portal ------------------------------------------------

#: Where the portal serves its copy of another site's image (``materials/remote_images.py``):
#: the reader's browser never contacts that site (issue 16, privacy).
REMOTE_IMAGE_PATH = "/media/remote/"


def remote_image_key(url: str) -> str:
    """The name of ``url``'s copy: its SHA-256, so the same address always gets the same
    one, and rendering stays deterministic without a database."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def remote_image_address(src: str, own_hosts: frozenset[str]) -> str | None:
    """``src`` as the absolute address of another site's image (as a browser reads it:
    scheme-relative is https here, a backslash is a slash), or ``None`` when it is ours,
    relative, or not a web address."""
    url = _URL_NOISE.sub("", src).strip(_C0_AND_SPACE).replace("\\", "/")
    scheme = _URL_SCHEME.fullmatch(url)
    if scheme:
        if scheme.group(1).lower() not in ("http", "https") or not scheme.group(2).startswith(
                "//"):
            return None
    elif url.startswith("//"):
        url = "https:" + url
    else:
        return None
    try:
        host = unquote(urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return None
    return url if host and host not in own_hosts else None


#: A start or end tag of ``a`` or ``img`` in nh3's output, where every attribute value is in
#: double quotes (with ``"`` escaped inside) and every ``<`` of text is escaped.
_A_OR_IMG = re.compile(r'<(/?)(a|img)((?:\s+[^\s"=>/]+(?:="[^"]*")?)*)\s*/?>')
_ATTRIBUTE = re.compile(r'\s+([^\s"=>/]+)(?:="([^"]*)")?')


def _attributes(text: str) -> list[tuple[str, str]]:
    return [(name, html.unescape(value or "")) for name, value in _ATTRIBUTE.findall(text)]


def _tag(name: str, attributes: list[tuple[str, str]]) -> str:
    written = "".join(f' {key}="{html.escape(value, quote=True)}"' for key, value in attributes)
    return f"<{name}{written}>"


def _rewrite_images(sanitised: str, own_hosts: frozenset[str]) -> tuple[str, tuple[str, ...]]:
    """Sanitised HTML with every image of another site loading the portal's copy instead,
    and the addresses of those images, each once.

    The image becomes a link to its original (unless it is in a link already: links do not
    nest), so the reader can still reach it; a copy not (yet) fetched answers 404 and the
    browser shows the alt text, in that link.  An image without alt text gets a link named
    after its site.  Our own sources (the copies included) are left as they are, so HTML
    that went through here once comes out the same.  An image that points at a page of
    ours loses its source (see :func:`image_source_allowed`), here too, for stored HTML.
    """
    if "<img" not in sanitised:
        return sanitised, ()
    remote: list[str] = []
    depth = 0

    def rewrite(match: re.Match[str]) -> str:
        nonlocal depth
        closing, name, attribute_text = match.groups()
        if name == "a":
            depth = max(0, depth - 1) if closing else depth + 1
            return match.group()
        if closing:
            return match.group()
        attributes = _attributes(attribute_text)
        src = next((value for key, value in attributes if key == "src"), None)
        if src is None:
            return match.group()
        url = remote_image_address(src, own_hosts)
        if url is None:
            if image_source_allowed(src, own_hosts):
                return match.group()
            return _tag("img", [(k, v) for k, v in attributes if k != "src"])
        remote.append(url)
        image = _tag("img", [(k, REMOTE_IMAGE_PATH + remote_image_key(url)) if k == "src"
                             else (k, v) for k, v in attributes])
        if depth:
            return image
        link = [("href", url), ("rel", LINK_REL)]
        if not next((value for key, value in attributes if key == "alt"), "").strip():
            link.append(("aria-label", (urlsplit(url).hostname or url).lower()))
        return _tag("a", link) + image + "</a>"

    return _A_OR_IMG.sub(rewrite, sanitised), tuple(dict.fromkeys(remote))


def _sanitise(rendered: str, own_hosts: frozenset[str]) -> tuple[str, tuple[str, ...]]:
    """The sanitised HTML, and the image sources it dropped (see :func:`image_source_allowed`)."""
    refused: list[str] = []

    def attribute_filter(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src" and not image_source_allowed(value, own_hosts):
            refused.append(value)
            return None
        return _filter_attribute(tag, attribute, value)

    cleaned = nh3.clean(
        rendered,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(REMOVED_WITH_CONTENT),
        attributes=ALLOWED_ATTRIBUTES,
        tag_attribute_values=ALLOWED_ATTRIBUTE_VALUES,
        set_tag_attribute_values={"img": {"loading": "lazy"}},
        attribute_filter=attribute_filter,
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )
    return cleaned, tuple(dict.fromkeys(refused))


# --- Raw HTML: allowed tags are HTML, every other ``<`` is text -------------------------------

_HTML_BLANK = "\t\n\f\r "
#: One start or end tag, read as the HTML tokeniser reads it, but strictly: where this matches,
#: a browser's tag ends at the same ``>`` and has the same name (quotes open a value only
#: after ``=``; a name runs to a blank, ``/`` or ``>``).  Looser tags are not matched, so they
#: are shown as text.  Atomic groups keep it linear on any input.
_TAG = re.compile(
    rf"</?([a-zA-Z][a-zA-Z0-9]*+)(?=[{_HTML_BLANK}/>])"
    rf"(?>[{_HTML_BLANK}/]++"
    rf"|[^{_HTML_BLANK}\"'<>/=]++"
    rf"(?:[{_HTML_BLANK}]*+=[{_HTML_BLANK}]*+"
    rf"(?:\"[^\"]*+\"|'[^']*+'|[^{_HTML_BLANK}\"'<>=`]++))?+)*+>")
#: Where a comment that has begun ends (HTML tokeniser: ``-->`` or ``--!>``).
_COMMENT_END = re.compile(r"--!?>")


def escape_foreign_markup(markup: str) -> str:
    """``markup`` with every ``<`` escaped that does not begin an allowed tag or a closed comment.

    An author's ``<textarea>``, ``<title>``, ``<script>`` or ``<foo>`` is then text, shown as
    written.  Left as a tag, the sanitiser would drop it, and for the "raw text" elements the
    browser's parser (html5ever inside nh3) would take everything after it as its content: the
    rest of the paragraph or of the lesson was lost (issue 16).  A closed comment stays markup
    and is hidden, as HTML and Markdown mean; an unclosed one is text.

    Runs on Python-Markdown's output, where code is already escaped and every tag Markdown
    writes itself is allowed, so only the author's raw HTML and stray ``<`` are affected.
    The result holds no ``<`` but allowed tags and comments, so the tags nh3 sees are exactly
    the ones matched here.
    """
    if "<" not in markup:
        return markup
    parts: list[str] = []
    position = 0
    # The first comment end at or after the last search (start, end); start is past the text
    # when there is none: later comments are then unclosed too, so each "<!--" costs O(1).
    closer = (-1, -1)
    while (start := markup.find("<", position)) >= 0:
        parts.append(markup[position:start])
        end = -1
        if markup.startswith("<!--", start):
            body = start + 4
            if markup.startswith(">", body):
                end = body + 1
            elif markup.startswith("->", body):
                end = body + 2
            else:
                if closer[0] < body:
                    found = _COMMENT_END.search(markup, body)
                    closer = (found.start(), found.end()) if found else (len(markup), -1)
                end = closer[1]
        elif (tag := _TAG.match(markup, start)) and tag.group(1).lower() in ALLOWED_TAGS:
            end = tag.end()
        if end < 0:
            parts.append("&lt;")
            position = start + 1
        else:
            parts.append(markup[start:end])
            position = end
    parts.append(markup[position:])
    return "".join(parts)


class _ForeignMarkupEscaper(Postprocessor):
    """Runs after raw HTML is put back (``raw_html``, 30); the table of contents runs the
    postprocessors on each heading too, so its titles keep an escaped tag as text."""

    def run(self, text: str) -> str:
        return escape_foreign_markup(text)


# --- Python-Markdown, hardened against slow inputs -------------------------------------------

#: Characters Python-Markdown's link parsers may scan past for every ``[`` or ``](`` (see
#: :func:`_bracket_scan_cost`). 1,000,000 takes about 0.2 s; real lessons use a few thousand.
BRACKET_SCAN_BUDGET = 1_000_000

#: Stands in for ``[`` in paragraphs over the budget. A Unicode noncharacter ("for internal
#: use"): no parser reacts to it, unlike ``\[`` whose escapes are slow in bulk themselves.
_BRACKET_STAND_IN = "\ufdd0"

_BRACKETS = re.compile(r"[\[\]()]")
_BLANK_LINES = re.compile(r"(\n[ \t]*\n)")


def _bracket_scan_cost(block: str) -> int:
    """How many characters the link, image, reference and footnote parsers will scan.

    Each of them reads from an opening ``[`` (and from the ``(`` after ``]``) to the matching
    closer, or to the end of the paragraph when there is none: unmatched openers make the
    work quadratic (``"[" * 20_000`` took 36 s here, Python-Markdown issue #798).
    """
    cost = 0
    brackets: list[int] = []
    parens: list[tuple[int, bool]] = []
    for match in _BRACKETS.finditer(block):
        char, position = match.group(), match.start()
        if char == "[":
            brackets.append(position)
        elif char == "]":
            if brackets:
                cost += position - brackets.pop()
        elif char == "(":
            parens.append((position, position > 0 and block[position - 1] == "]"))
        elif parens:
            start, after_bracket = parens.pop()
            if after_bracket:
                cost += position - start
    end = len(block)
    cost += sum(end - position for position in brackets)
    cost += sum(end - position for position, after_bracket in parens if after_bracket)
    return cost


class _BracketBudget(Preprocessor):
    """Hides every ``[`` of the paragraphs that would overrun :data:`BRACKET_SCAN_BUDGET`.

    Those paragraphs lose their links and read as plain text. Runs after fenced code and raw
    HTML blocks are stashed away, so neither is touched; real lessons never come near the
    budget, so their rendering does not change at all.
    """

    def run(self, lines: list[str]) -> list[str]:
        parts = _BLANK_LINES.split("\n".join(lines))
        spent = 0
        for index in range(0, len(parts), 2):  # odd indexes are the blank lines between
            cost = _bracket_scan_cost(parts[index])
            if spent + cost > BRACKET_SCAN_BUDGET:
                parts[index] = parts[index].replace("[", _BRACKET_STAND_IN)
            else:
                spent += cost
        return "".join(parts).split("\n")


class _BracketRestorer(Postprocessor):
    def run(self, text: str) -> str:
        return text.replace(_BRACKET_STAND_IN, "[")


#: A fence followed by a long run of spaces: fenced_code's opening-fence pattern backtracks
#: quadratically over it when the block is never closed (16,000 spaces took 5.8 s here).
_FENCE_AND_SPACES = re.compile(r"^([`~]{3,}) {64,}")


class _FenceSpaces(Preprocessor):
    """Shortens the run to one space, which means the same to fenced_code."""

    def run(self, lines: list[str]) -> list[str]:
        return [_FENCE_AND_SPACES.sub(r"\1 ", line) for line in lines]


class _SlowInputsExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # Between normalize_whitespace (30, tabs expanded) and fenced_code (25).
        md.preprocessors.register(_FenceSpaces(md), "fence_spaces", 27)
        # Below fenced_code (25) and html_block (20): code and raw HTML are placeholders here.
        md.preprocessors.register(_BracketBudget(md), "bracket_budget", 10)
        md.postprocessors.register(_BracketRestorer(md), "bracket_restorer", 0)


class _ForeignMarkupExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.postprocessors.register(_ForeignMarkupEscaper(md), "foreign_markup", 10)


class _FootnoteExtension(FootnoteExtension):
    """Numbers repeated references with a counter instead of probing ``fnref2``, ``fnref3``, …

    Python-Markdown's probe is quadratic in the number of references to one footnote
    (3,000 took 10 s here); the ids it produces are the same.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._references: dict[str, int] = {}

    def reset(self) -> None:
        super().reset()
        self._references = {}

    def unique_ref(self, reference: str, found: bool = False) -> str:
        if not found:
            return reference
        count = self._references.get(reference, 0) + 1
        self._references[reference] = count
        self.found_refs[reference] = count  # how many back-links the footnote gets
        if count == 1:
            return reference
        separator = self.get_separator()
        name, rest = reference.split(separator, 1)
        return f"{name}{count}{separator}{rest}"


def _heading_id(value: str, separator: str) -> str:
    # Unicode-preserving: ASCII-only slugs would leave Greek or Cyrillic headings without ids.
    return HEADING_ID_PREFIX + slugify_unicode(value, separator)


def _new_markdown() -> markdown.Markdown:
    return markdown.Markdown(
        extensions=[
            TableExtension(use_align_attribute=True),  # align="…", since style is not allowed
            FencedCodeExtension(),  # lang_prefix "language-"
            # ids fn-1/fnref-1 (no ":" to escape in CSS); U+FE0E keeps the ↩ a glyph, not an emoji
            _FootnoteExtension(SEPARATOR="-", BACKLINK_TEXT="&#8617;&#xFE0E;"),
            TocExtension(slugify=_heading_id, baselevel=HEADING_BASE_LEVEL, permalink=False),
            SaneListExtension(),
            _SlowInputsExtension(),
            _ForeignMarkupExtension(),
        ],
        output_format="html",
    )


# --- Public API --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TocEntry:
    """A heading of a rendered lesson; ``title`` is plain text, escape it like any text."""

    level: int
    id: str
    title: str


@dataclass(frozen=True, slots=True)
class _Rendered:
    html: str
    toc: tuple[TocEntry, ...]
    #: Image sources dropped because they point at a page of ours.
    refused_images: tuple[str, ...] = ()
    #: Addresses of other sites' images, now loaded from the portal's copies.
    remote_images: tuple[str, ...] = ()


def _flatten(tokens: Iterable[dict[str, Any]]) -> Iterable[TocEntry]:
    for token in tokens:
        title = html.unescape(token["name"]).replace(_BRACKET_STAND_IN, "[")
        yield TocEntry(level=token["level"], id=token["id"], title=title)
        yield from _flatten(token["children"])


def _own_hosts() -> frozenset[str]:
    from oer_portal.core.urls import own_hosts

    return own_hosts()


@functools.lru_cache(maxsize=64)
def _render(source: str, own_hosts: frozenset[str] = frozenset()) -> _Rendered:
    """Cached, because one page view asks for the HTML and the table of contents of the same
    lesson, and popular lessons are viewed far more often than edited (and a save validates
    the text and then stores its HTML)."""
    md = _new_markdown()
    rendered = md.convert(source)
    cleaned, refused = _sanitise(rendered, own_hosts)
    cleaned, remote = _rewrite_images(cleaned, own_hosts)
    return _Rendered(html=cleaned, toc=tuple(_flatten(md.toc_tokens)), refused_images=refused,
                     remote_images=remote)


@dataclass(frozen=True, slots=True)
class Rendering:
    """A lesson rendered ahead of time, perhaps in another process (plain, picklable data):
    what :func:`render_markdown` and its siblings give for ``source`` while it is offered
    with :func:`using_renderings`.  A bulk import renders in a pool of processes this way."""

    source: str
    own_hosts: frozenset[str]
    rendered: _Rendered


def prerender(source: str, own_hosts: frozenset[str]) -> Rendering:
    """Render ``source`` for a portal answering on ``own_hosts`` (a pure function: no app
    context needed, callable in a worker process)."""
    encodable = _encodable(source)
    return Rendering(encodable, own_hosts, _render(encodable, own_hosts))


def current_own_hosts() -> frozenset[str]:
    """The host names the renderer treats as the portal's own, in this context (what a
    :func:`prerender` for this context must be given)."""
    return _own_hosts()


_OFFERED: ContextVar[dict[tuple[str, frozenset[str]], _Rendered] | None] = ContextVar(
    "offered_renderings", default=None)


@contextmanager
def using_renderings(renderings: Iterable[Rendering]) -> Iterator[None]:
    """Within the block, a rendering of the same source for the same hosts is taken from
    ``renderings`` instead of being made again; anything else renders as always."""
    offered = {(r.source, r.own_hosts): r.rendered for r in renderings}
    token = _OFFERED.set(offered or None)
    try:
        yield
    finally:
        _OFFERED.reset(token)


def _rendering(source: str, own_hosts: frozenset[str]) -> _Rendered:
    offered = _OFFERED.get()
    if offered is not None:
        found = offered.get((source, own_hosts))
        if found is not None:
            return found
    return _render(source, own_hosts)


def _encodable(source: str) -> str:
    """Lone surrogates (JSON can carry them) cannot cross into nh3's Rust: they become "?".
    An author's own U+FDD0 must not come out as a bracket: it becomes U+FFFD."""
    return (source.encode("utf-8", "replace").decode("utf-8")
            .replace(_BRACKET_STAND_IN, "\ufffd"))


def with_scroll_boxes(rendered: str, table_label: str) -> Markup:
    """Sanitised lesson HTML with its code blocks and tables made boxes that scroll on their
    own (a phone's page stays whole) and can be reached by keyboard, as a scrolling box must
    be (WCAG 2.1.1; axe ``scrollable-region-focusable``): each ``<pre>`` gets a tab stop, each
    table a labelled, focusable region around it.

    Applied when a page is shown, not when a version is written: the stored HTML of every
    older version gets it too, and the label is in the reader's language.  Our sanitiser
    writes ``<pre>`` and ``<table>`` without attributes, so plain replacements find them.
    """
    label = html.escape(table_label, quote=True)
    boxed = (rendered.replace("<pre>", '<pre tabindex="0">')
             .replace("<table>", f'<div class="table-scroll" role="region" tabindex="0" '
                                 f'aria-label="{label}"><table>')
             .replace("</table>", "</table></div>"))
    return Markup(boxed)  # noqa: S704 (sanitised HTML plus our own attributes)  # nosec B704


def render_markdown(source: str) -> Markup:
    """The lesson as HTML that is safe to put on a page as it is; callable from any thread.
    An image that points at a page of this portal (not one of its files) loses its source;
    an image of another site loads the portal's copy (:func:`remote_image_sources`)."""
    rendered = _rendering(_encodable(source), _own_hosts())
    return Markup(rendered.html)  # noqa: S704 (sanitised by nh3 in _render)  # nosec B704


def refused_image_sources(source: str) -> tuple[str, ...]:
    """The image sources of the lesson that :func:`render_markdown` drops, each once: the
    editor refuses to save them and says why."""
    return _rendering(_encodable(source), _own_hosts()).refused_images


def remote_image_sources(source: str) -> tuple[str, ...]:
    """The addresses of the other sites' images of the lesson, each once, in order: a save
    registers them, and the portal fetches its copies (``materials/remote_images.py``)."""
    return _rendering(_encodable(source), _own_hosts()).remote_images


def without_refused_images(rendered: str) -> str:
    """Sanitised lesson HTML as the rules of today want it, for HTML stored before them (or
    saved under another host name): applied when a page is shown, with the reader's own
    host.  An image that points at a page of ours loses its source; one of another site
    loads the portal's copy (which answers 404 unless a save registered it)."""
    return _rewrite_images(rendered, _own_hosts())[0]


def table_of_contents(source: str) -> list[TocEntry]:
    """The lesson's headings in document order, with the ids :func:`render_markdown` gives them."""
    return list(_rendering(_encodable(source), _own_hosts()).toc)


#: Elements whose end is a word break in plain text; inline ones (``<em>``) are not.
_BLOCK_TAGS = frozenset({
    "p", "div", "blockquote", "pre", "hr", "br", "h2", "h3", "h4", "h5", "h6", "ul", "ol",
    "li", "dl", "dt", "dd", "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
    "figure", "figcaption", "details", "summary",
})
#: Rendered for the page, noise in an index or a description: footnote numbers and arrows,
#: and a ``[TOC]`` block that repeats the headings.
_SKIPPED_CLASSES = frozenset({"footnote-ref", "footnote-backref", "toc"})
_VOID_TAGS = frozenset({"br", "hr", "img"})


_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_SENTENCE_ENDS = frozenset(".:;!?…")


class _TextCollector(HTMLParser):
    """Text of sanitised HTML, with word breaks between blocks and the alt texts of images."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skipping: list[str] = []  # open tags since a skipped element started

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.chunks.append(" ")
        if tag in _VOID_TAGS:
            if tag == "img" and not self._skipping:
                self.chunks.append(dict(attrs).get("alt") or "")
            return
        classes = set((dict(attrs).get("class") or "").split())
        if self._skipping or classes & _SKIPPED_CLASSES:
            self._skipping.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skipping and tag not in _VOID_TAGS:
            self._skipping.pop()
        if tag in _HEADINGS and not self._skipping:
            # A heading ends a sentence, so a snippet does not read "Aan de slag Zet ...".
            written = "".join(self.chunks[-3:]).rstrip()
            if written and written[-1] not in _SENTENCE_ENDS:
                self.chunks.append(".")
        if tag in _BLOCK_TAGS:
            self.chunks.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.chunks.append(data)


def _text_of(sanitised_html: str) -> str:
    collector = _TextCollector()
    collector.feed(sanitised_html)
    collector.close()
    return "".join(collector.chunks)


def render_plain_text(source: str, max_chars: int | None = None) -> str:
    """The lesson's words without markup, for the search index and short descriptions.

    Never raises: a description is not worth a failed page or a lost index entry. With
    ``max_chars`` the text is cut at a word boundary and ends with "…".
    """
    source = _encodable(source)
    try:
        text = _text_of(_rendering(source, _own_hosts()).html)
    except Exception:
        # Python-Markdown has crashed on odd input before (CVE-2025-69534); the words still count.
        logger.warning("Markdown could not be rendered as plain text", exc_info=True)
        text = html.unescape(nh3.clean(source, tags=set()))
    text = " ".join(text.split())
    if max_chars is None or len(text) <= max_chars:
        return text
    if max_chars < 2:
        return "…" if max_chars == 1 else ""
    cut = text[:max_chars - 1]
    if not text[max_chars - 1].isspace() and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "…"


def html_to_plain_text(sanitised_html: str) -> str:
    """The words of HTML that :func:`render_markdown` produced (stored with each version),
    without rendering the Markdown again."""
    try:
        return " ".join(_text_of(sanitised_html).split())
    except Exception:
        logger.warning("stored HTML could not be read as text", exc_info=True)
        return " ".join(html.unescape(nh3.clean(sanitised_html, tags=set())).split())
