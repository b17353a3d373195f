"""The material page's panel registry: a fixed order, per slot, whoever registered first; a
panel with nothing to show, or that nobody registered, is left out."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from oer_portal.materials import panels
from oer_portal.materials.panels import DashboardPanel, MaterialPage, Panel, Slot


@pytest.fixture()
def registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty registry for the test; the application's own comes back afterwards."""
    monkeypatch.setattr(panels, "_PAGE", {})
    monkeypatch.setattr(panels, "_DASHBOARD", {})


def _page(published: bool = True) -> MaterialPage:
    version = SimpleNamespace(id=7)
    material = SimpleNamespace(id=1, published_version_id=7 if published else None)
    return MaterialPage(actor=SimpleNamespace(is_authenticated=False), material=material,
                        version=version, permalink=False, links=None, locale="nl")


def test_panels_come_in_the_fixed_order_whatever_the_order_of_registration(registry) -> None:
    panels.register(Panel.RELATED, lambda page: "related", {Slot.ASIDE: "related.html"})
    panels.register(Panel.RATING, lambda page: "rating", {Slot.ASIDE: "rating.html"})
    panels.register(Panel.REMIX, lambda page: "remix", {
        Slot.CREDITS: "credits.html", Slot.ASIDE: "remix.html"})
    panels.register(Panel.CONTENTS, lambda page: None, {Slot.CONTENT: "contents.html"})
    shown = panels.collect(_page())
    assert shown.at("aside") == (("remix.html", "remix"), ("rating.html", "rating"),
                                 ("related.html", "related"))
    assert shown.at("credits") == (("credits.html", "remix"),)
    assert shown.at("content") == () and shown.at("notices") == ()
    assert shown.get(Panel.CONTENTS) is None and shown.get(Panel.USED_IN) is None


def test_a_panel_sees_the_page_it_is_shown_on(registry) -> None:
    panels.register(Panel.RATING, lambda page: "stars" if page.shows_public_version else None,
                    {Slot.ASIDE: "rating.html"})
    assert panels.collect(_page(published=True)).get(Panel.RATING) == "stars"
    assert panels.collect(_page(published=False)).get(Panel.RATING) is None


def test_the_dashboard_shows_only_panels_with_something_to_say(registry) -> None:
    assert panels.dashboard(SimpleNamespace(is_authenticated=True)) == ()
    panels.register_dashboard(DashboardPanel.UPSTREAM, lambda actor: None, "notices.html")
    assert panels.dashboard(SimpleNamespace(is_authenticated=True)) == ()
    panels.register_dashboard(DashboardPanel.UPSTREAM, lambda actor: ("news",), "notices.html")
    assert panels.dashboard(SimpleNamespace(is_authenticated=True)) == (
        ("notices.html", ("news",)),)


def test_a_part_of_the_dashboard_can_read_one_panels_value(registry) -> None:
    """The list of materials shows each one's review state from the reviews panel."""
    panels.register_dashboard(DashboardPanel.UPSTREAM, lambda actor: ("news",), "notices.html")
    panels.register_dashboard(DashboardPanel.REVIEWS, lambda actor: {7: "pending"},
                              "reviews.html")
    shown = panels.dashboard(SimpleNamespace(is_authenticated=True))
    assert shown == (("reviews.html", {7: "pending"}), ("notices.html", ("news",)))
    assert shown.get("reviews") == {7: "pending"} and shown.get("upstream") == ("news",)
