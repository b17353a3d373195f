"""No request to another origin from a lesson (issue 16): an image of another site is shown
from the portal's copy (``/media/remote/<key>``), with a link to where it came from; the
reader's browser never contacts that site."""

from __future__ import annotations

import hashlib
from html.parser import HTMLParser

import pytest

from oer_portal.core import markdown
from oer_portal.core.markdown import (
    remote_image_key,
    remote_image_sources,
    render_markdown,
    without_refused_images,
)

URL = "https://other.example/kaart.png"


def _key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None], tuple[str, ...]]] = []
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs), tuple(self.open)))
        if tag not in ("img", "br", "hr"):
            self.open.append(tag)

    def handle_endtag(self, tag):
        if self.open and self.open[-1] == tag:
            self.open.pop()


def elements(html: str) -> list[tuple[str, dict[str, str | None], tuple[str, ...]]]:
    parser = _Elements()
    parser.feed(str(html))
    return parser.found


def images(html: str) -> list[dict[str, str | None]]:
    return [attrs for tag, attrs, _ in elements(html) if tag == "img"]


def test_an_image_of_another_site_is_served_by_the_portal_with_a_link_to_it():
    rendered = str(render_markdown(f"Zie de kaart: ![Kaart van Nederland]({URL})"))
    assert images(rendered) == [{"src": f"/media/remote/{_key(URL)}",
                                 "alt": "Kaart van Nederland", "loading": "lazy"}]
    assert "other.example" not in "".join(str(i.get("src")) for i in images(rendered))
    link = next((attrs, inside) for tag, attrs, inside in elements(rendered) if tag == "a")
    assert link[0]["href"] == URL
    assert link[0]["rel"] == "nofollow noopener noreferrer"
    img_parents = [inside for tag, _, inside in elements(rendered) if tag == "img"]
    assert img_parents == [("p", "a")]
    assert remote_image_sources(f"![Kaart van Nederland]({URL})") == (URL,)
    assert remote_image_key(URL) == _key(URL)


@pytest.mark.parametrize("source, url", [
    (f'<img src="{URL}" alt="kaart">', URL),
    ("![k](http://other.example/k.png)", "http://other.example/k.png"),
    ("![k](//other.example/k.png)", "https://other.example/k.png"),
    ("![k](HTTPS://Other.Example/k.png?a=1&b=2)", "HTTPS://Other.Example/k.png?a=1&b=2"),
])
def test_every_spelling_of_another_sites_image_is_served_by_the_portal(source, url):
    rendered = str(render_markdown(source))
    assert [i["src"] for i in images(rendered)] == [f"/media/remote/{_key(url)}"]
    assert remote_image_sources(source) == (url,)


def test_an_image_that_is_already_a_link_keeps_its_link_and_gets_no_second_one():
    rendered = str(render_markdown(f"[![Kaart]({URL})](https://atlas.example/nl)"))
    links = [attrs for tag, attrs, _ in elements(rendered) if tag == "a"]
    assert [link["href"] for link in links] == ["https://atlas.example/nl"]
    assert [i["src"] for i in images(rendered)] == [f"/media/remote/{_key(URL)}"]


def test_an_image_without_alt_text_gets_a_link_named_after_its_site():
    rendered = str(render_markdown(f"![]({URL})"))
    link = next(attrs for tag, attrs, _ in elements(rendered) if tag == "a")
    assert link["aria-label"] == "other.example"


def test_our_own_images_and_links_are_left_alone():
    source = "![a](/materials/1/files/2/a.png) [site](https://other.example/)"
    assert [i["src"] for i in images(str(render_markdown(source)))] == [
        "/materials/1/files/2/a.png"]
    assert remote_image_sources(source) == ()


def test_rendering_is_deterministic_and_the_copy_address_is_an_allowed_image():
    source = f"![a]({URL}) en ![b]({URL}) en ![c](https://third.example/c.gif)"
    first = str(render_markdown(source))
    markdown._render.cache_clear()
    assert str(render_markdown(source)) == first
    assert remote_image_sources(source) == (URL, "https://third.example/c.gif")
    again = str(render_markdown(f'<img src="/media/remote/{_key(URL)}" alt="a">'))
    assert [i["src"] for i in images(again)] == [f"/media/remote/{_key(URL)}"]


def test_stored_html_from_before_is_served_the_same_way_when_shown():
    stored = (f'<p><img src="{URL}" alt="kaart" loading="lazy"> '
              f'<a href="https://atlas.example/"><img src="{URL}" alt="k"></a> '
              '<img alt="b" src="/materials/1/files/2/b.png"></p>')
    shown = without_refused_images(stored)
    assert [i["src"] for i in images(shown)] == [f"/media/remote/{_key(URL)}"] * 2 + [
        "/materials/1/files/2/b.png"]
    assert without_refused_images(shown) == shown  # shown twice: the same
    assert sorted(a["href"] for t, a, _ in elements(shown) if t == "a") == [
        "https://atlas.example/", URL]
