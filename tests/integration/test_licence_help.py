"""The public help page on licences: every offered licence explained in the reader's language,
and the table of what a remix of two sources may carry, as the engine decides it."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from oer_portal.licences import registry


@dataclass
class Cell:
    tag: str
    scope: str | None
    text: str = ""
    badges: list[str] = field(default_factory=list)


class TableReader(HTMLParser):
    """The caption and the rows of the page's licence table, cell by cell."""

    def __init__(self) -> None:
        super().__init__()
        self.caption = ""
        self.rows: list[list[Cell]] = []
        self._in_table = self._in_caption = self._in_badge = False
        self._cell: Cell | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "table" and "licence-table" in (attributes.get("class") or ""):
            self._in_table = True
        elif not self._in_table:
            return
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("th", "td"):
            self._cell = Cell(tag, attributes.get("scope"))
            self.rows[-1].append(self._cell)
        elif tag == "span" and "licence-badge" in (attributes.get("class") or ""):
            self._in_badge = True
            assert self._cell is not None
            self._cell.badges.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_table = False
        elif tag == "caption":
            self._in_caption = False
        elif tag == "span":
            self._in_badge = False
        elif tag in ("th", "td"):
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self.caption += data
        if self._cell is not None:
            self._cell.text += data
            if self._in_badge:
                self._cell.badges[-1] += data


def read_table(page: str) -> TableReader:
    reader = TableReader()
    reader.feed(page)
    assert reader.rows, "no licence table on the page"
    return reader


def row_of(reader: TableReader, badge: str) -> list[Cell]:
    return next(row[1:] for row in reader.rows[1:] if row[0].badges == [badge])


def column_of(reader: TableReader, badge: str) -> list[Cell]:
    index = [cell.badges for cell in reader.rows[0]].index([badge])
    return [row[index] for row in reader.rows[1:]]


OFFERED_BADGES = [lic.badge for lic in registry.OFFERED]


def test_the_page_explains_every_offered_licence_in_english(client):
    response = client.get("/help/licences")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Licences: what you may do with lesson materials" in page
    for licence in registry.OFFERED:
        assert licence.name("en") in page
        assert licence.explanation("en").replace("'", "&#39;") in page
        assert f'href="{licence.url}"' in page
    assert registry.get("CC-BY-SA-3.0").name("en") not in page  # legacy versions: not offered


@pytest.mark.parametrize("locale", ["nl", None])  # chosen, and the default for a new visitor
def test_the_page_explains_every_offered_licence_in_dutch(new_client, locale):
    page = new_client(locale).get("/help/licences").get_data(as_text=True)
    assert '<html lang="nl">' in page
    for licence in registry.OFFERED:
        assert licence.name("nl") in page
        assert licence.explanation("nl").replace("'", "&#39;") in page
        assert licence.explanation("en").replace("'", "&#39;") not in page
    reader = read_table(page)
    assert [cell.badges for cell in reader.rows[0][1:]] == [[b] for b in OFFERED_BADGES]
    nd = column_of(reader, "CC BY-ND")
    assert all("GeenAfgeleideWerken" in cell.text for cell in nd)  # the reason, in Dutch


def test_the_table_is_a_proper_table_with_headers_for_every_offered_licence(client):
    reader = read_table(client.get("/help/licences").get_data(as_text=True))
    assert "Licences a remix of two sources may carry" in reader.caption
    header, *rows = reader.rows
    assert all(cell.tag == "th" and cell.scope == "col" for cell in header)
    assert [cell.badges for cell in header[1:]] == [[b] for b in OFFERED_BADGES]
    assert [row[0].badges for row in rows] == [[b] for b in OFFERED_BADGES]
    for row in rows:
        assert row[0].tag == "th" and row[0].scope == "row"
        assert all(cell.tag == "td" for cell in row[1:])
        assert len(row) == len(header)


def test_the_by_sa_row_allows_only_by_sa(client):
    reader = read_table(client.get("/help/licences").get_data(as_text=True))
    cells = row_of(reader, "CC BY-SA")
    allowed = [cell.badges for cell in cells if "Not allowed" not in cell.text]
    assert allowed == [["CC BY-SA"]] * 4  # with CC0, PD, CC BY and CC BY-SA
    by_nc = cells[OFFERED_BADGES.index("CC BY-NC")]
    assert "Not allowed" in by_nc.text and by_nc.badges == []
    assert "CC BY-SA cannot be mixed with CC BY-NC" in by_nc.text  # the reason, for all


def test_the_nd_columns_say_not_allowed(client):
    reader = read_table(client.get("/help/licences").get_data(as_text=True))
    for badge in ("CC BY-ND", "CC BY-NC-ND"):
        for cell in column_of(reader, badge):
            assert cell.badges == []
            assert cell.text.startswith("Not allowed: ")
            assert "allow adaptations (NoDerivatives)" in cell.text  # the reason, for all


def test_public_domain_sources_allow_a_remix_to_be_cc0_by_or_by_sa(client):
    reader = read_table(client.get("/help/licences").get_data(as_text=True))
    assert row_of(reader, "CC0")[OFFERED_BADGES.index("PD")].badges == [
        "CC0", "CC BY", "CC BY-SA"]
    assert row_of(reader, "CC BY-NC")[OFFERED_BADGES.index("CC BY")].badges == [
        "CC BY-NC", "CC BY-NC-SA"]


def test_every_page_links_to_the_help_page_in_its_footer(client):
    page = client.get("/").get_data(as_text=True)
    footer = page[page.index('<footer class="site-footer">'):]
    assert 'href="/help/licences"' in footer
