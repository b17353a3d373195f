"""TASL credits (Title, Author, Source, Licence) as plain text, HTML and Markdown.

The credits are generated from the database each time a page is shown, down the whole chain
of sources to the original; they are never stored as text a remixer could edit away.  This
module only words them: it receives plain entries (see ``service.credits``) and escapes every
piece of user text for the format at hand (HTML entities, Markdown punctuation).

The sentences are translated as whole templates with named placeholders, so a language can
put title, author and licence in its own order; each format fills the placeholders with its
own kind of link.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from flask_babel import gettext as _
from markupsafe import Markup, escape

from oer_portal.licences import registry


@dataclass(frozen=True)
class Author:
    name: str
    #: Their public profile on the portal; ``None`` for names an import brought.
    url: str | None = None


@dataclass(frozen=True)
class CreditEntry:
    """One work in the chain: the material itself, or a source it was adapted from."""

    title: str
    authors: tuple[Author, ...]
    #: Where the work can be found on the portal (the tombstone, once withdrawn).
    url: str
    licence: str
    #: The version that was adapted (``None`` for the material itself: its current page).
    version_number: int | None = None
    withdrawn: bool = False
    #: Imported work: where the original lives, and its own attribution line, verbatim.
    source_url: str | None = None
    attribution: str | None = None
    #: Others whose text is in it beside its authors (accepted change proposals).
    contributors: tuple[Author, ...] = ()


@dataclass(frozen=True)
class Credits:
    work: CreditEntry
    #: Nearest source first, the original last.
    sources: tuple[CreditEntry, ...] = ()
    #: The chain went on beyond what is shown (too long, or broken data).
    truncated: bool = False


@dataclass(frozen=True)
class _Format:
    """How one output format writes our sentences, user text, titles and links."""

    #: A translated sentence template (ours, not user text: only HTML needs escaping).
    template: Callable[[str], str]
    #: User text (titles, names, attribution lines).
    text: Callable[[str], str]
    title: Callable[[str, str], str]
    link: Callable[[str, str], str]
    source_link: Callable[[str], str]
    licence_link: Callable[[str, str], str]
    join: Callable[[Sequence[str]], str]
    join_names: Callable[[Sequence[str]], str]


def licence_label(spdx: str, locale: str) -> tuple[str, str | None]:
    """The licence as credits name it ("CC BY-SA 4.0") and its deed URL (``None`` if unknown)."""
    licence = registry.get(spdx)
    if licence is None:
        return spdx, None
    if licence.spdx.startswith("CC-"):
        return f"{licence.badge} {licence.spdx.rsplit('-', 1)[1]}", licence.url
    return licence.name(locale), licence.url


def _sentences(entry: CreditEntry, position: int, fmt: _Format, locale: str) -> list[str]:
    """The sentences crediting one entry; ``position`` 0 is the work, 1 its nearest source."""
    label, licence_url = licence_label(entry.licence, locale)
    params = {
        "title": fmt.title(entry.title, entry.url),
        "authors": fmt.join_names([fmt.link(a.name, a.url) if a.url else fmt.text(a.name)
                                   for a in entry.authors]) or fmt.text(_("unknown author")),
        "licence": fmt.licence_link(label, licence_url) if licence_url else fmt.text(label),
    }
    if position == 0:
        template = _("%(title)s by %(authors)s is licensed under %(licence)s.")
    else:
        params["number"] = str(entry.version_number or 1)
        template = (_("Adapted from %(title)s (version %(number)s) by %(authors)s, licensed "
                      "under %(licence)s.") if position == 1 else
                    _("That work was adapted from %(title)s (version %(number)s) by "
                      "%(authors)s, licensed under %(licence)s."))
    out = [fmt.template(template) % params]
    if entry.contributors:
        out.append(fmt.template(_("With contributions from %(names)s.")) % {
            "names": fmt.join_names([fmt.link(a.name, a.url) if a.url else fmt.text(a.name)
                                     for a in entry.contributors])})
    if entry.withdrawn:
        out.append(fmt.template(_("It has since been withdrawn.")))
    if entry.source_url:
        out.append(fmt.template(_("Original source: %(url)s")) % {
            "url": fmt.source_link(entry.source_url)})
    if entry.attribution:
        out.append(fmt.template(_("Original attribution: %(line)s")) % {
            "line": fmt.text(entry.attribution)})
    return out


def _lines(credits: Credits, fmt: _Format, locale: str) -> list[str]:
    """One line per work: the material, then each source down to the original."""
    entries = (credits.work, *credits.sources)
    lines = [fmt.join(_sentences(entry, n, fmt, locale)) for n, entry in enumerate(entries)]
    if credits.truncated:
        lines.append(fmt.template(_("Earlier sources are named on the pages of the works "
                                    "above.")))
    return lines


# -- Plain text ---------------------------------------------------------------------------

def _plain(value: str) -> str:
    return value


def _text_link(label: str, url: str) -> str:
    return label if label == url else f"{label} ({url})"


_TEXT = _Format(
    template=_plain, text=_plain,
    title=lambda title, url: f"“{title}” ({url})",
    # Authors by name only: their profile addresses would drown the credits in links.
    link=lambda label, url: label, source_link=_plain, licence_link=_text_link,
    join=" ".join, join_names=", ".join,
)


def as_text(credits: Credits, locale: str) -> str:
    """Credits to paste anywhere: one line per work, URLs written out."""
    return "\n".join(_lines(credits, _TEXT, locale))


# -- HTML ---------------------------------------------------------------------------------

_HTML = _Format(
    template=escape, text=escape,
    title=lambda title, url: Markup('“<a href="{}">{}</a>”').format(url, title),
    link=lambda label, url: Markup('<a href="{}">{}</a>').format(url, label),
    source_link=lambda url: Markup('<a href="{}" rel="nofollow noopener">{}</a>').format(
        url, url),
    licence_link=lambda label, url: Markup('<a href="{}" rel="license">{}</a>').format(
        url, label),
    join=lambda parts: Markup(" ").join(parts),
    join_names=lambda parts: Markup(", ").join(parts),
)


def as_html(credits: Credits, locale: str) -> Markup:
    """Credits for a web page: one paragraph per work, every piece of user text escaped."""
    return Markup("\n").join(Markup("<p>{}</p>").format(line)
                             for line in _lines(credits, _HTML, locale))


# -- Markdown -----------------------------------------------------------------------------

#: Characters that mean something inside a Markdown line (user text never starts a line here:
#: it always follows words of ours, so heading and list markers need no escaping).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")


def _md_text(value: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", " ".join(value.split()))


def _md_url(url: str) -> str:
    """A URL that cannot end the link early: spaces, parentheses and angle brackets quoted."""
    return quote(url, safe=":/?#[]@!$&'*+,;=%~-._")


_MARKDOWN = _Format(
    template=_plain, text=_md_text,
    title=lambda title, url: f"“[{_md_text(title)}]({_md_url(url)})”",
    link=lambda label, url: f"[{_md_text(label)}]({_md_url(url)})",
    source_link=lambda url: f"<{_md_url(url)}>",
    licence_link=lambda label, url: f"[{_md_text(label)}]({_md_url(url)})",
    join=" ".join, join_names=", ".join,
)


def as_markdown(credits: Credits, locale: str) -> str:
    """Credits for a Markdown document: one paragraph per work."""
    return "\n\n".join(_lines(credits, _MARKDOWN, locale))
