"""Fetching a collection's records over OAI-PMH with oaipmh-scythe, safely and completely.

Everything a harvest brings is read before the database is touched: a source that fails
half-way (an HTTP error, a timeout, an OAI error, malformed XML) then leaves nothing to undo,
and SQLite's writer lock is never held while waiting for the network.  The price is that one
harvest's records are held in memory as mapped fields (about 1 KB each; a first harvest of
100,000 records takes about 100 MB) — incremental harvests are small.

Every response is parsed again strictly here (no entities, no network, no recovery): scythe
parses leniently (``recover=True``) and would turn a truncated page into fewer records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx2
from flask_babel import gettext as _
from lxml import etree
from oaipmh_scythe import Scythe
from oaipmh_scythe.config import HTTPConfig
from oaipmh_scythe.exceptions import BadArgument, NoRecordsMatch, OAIPMHException
from oaipmh_scythe.iterator import OAIResponseIterator
from oaipmh_scythe.response import OAIResponse

from oer_portal.collections.mapping import MAPPERS, RecordFields

OAI = "{http://www.openarchives.org/OAI/2.0/}"
#: Records fetched in one harvest at most: a source that never stops sending is cut off
#: (the harvest fails and nothing is written).
MAX_RECORDS = 200_000
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, recover=False,
                          huge_tree=False, remove_blank_text=True)


class HarvestError(Exception):
    """The source could not be harvested; the message says why, for the admin page."""


@dataclass(frozen=True)
class Limits:
    """How long to wait for each answer, and how many bytes of it to read at most."""

    timeout: float
    max_bytes: int


class _TooLarge(Exception):
    pass


@dataclass(frozen=True)
class Item:
    """One record as the source sent it: deleted ones have no fields."""

    identifier: str
    datestamp: str
    deleted: bool
    fields: RecordFields | None


@dataclass(frozen=True)
class Fetched:
    items: list[Item]
    #: The source's ``responseDate`` of the first page: the next harvest asks ``from`` it.
    #: ``None`` when the source had nothing new (``noRecordsMatch``).
    response_date: str | None


def _strict(response: OAIResponse) -> etree._Element:
    try:
        root = etree.fromstring(response.http_response.content, parser=_PARSER)
    except etree.XMLSyntaxError as error:
        raise HarvestError(_("malformed XML: %(detail)s", detail=error)) from error
    if root.tag != f"{OAI}OAI-PMH":
        raise HarvestError(_("not an OAI-PMH response (root element %(tag)s)", tag=root.tag))
    return root


class _Client(Scythe):
    """Scythe with its errors made ours (a page scythe cannot even parse leniently is
    malformed too: scythe then fails with an AttributeError of its own), reading each answer
    as a stream up to ``max_bytes`` (decompressed): scythe would read any length whole."""

    def __init__(self, base_url: str, limits: Limits) -> None:
        super().__init__(base_url, http_config=HTTPConfig(timeout=limits.timeout),
                         iterator=OAIResponseIterator)
        self.max_bytes = limits.max_bytes

    def _request(self, query: dict[str, str]) -> httpx2.Response:
        get = self.http_method == "GET"
        with self.client.stream(self.http_method, self.endpoint, params=query if get else None,
                                data=None if get else query) as streamed:
            body = bytearray()
            for chunk in streamed.iter_bytes():
                body += chunk
                if len(body) > self.max_bytes:
                    raise _TooLarge
            # The body is decoded already: the copy must not announce an encoding.
            headers = [(k, v) for k, v in streamed.headers.multi_items()
                       if k.lower() not in ("content-encoding", "content-length")]
            return httpx2.Response(streamed.status_code, headers=headers, content=bytes(body),
                                   request=streamed.request)

    def harvest(self, query: dict[str, str]) -> OAIResponse:
        try:
            return super().harvest(query)
        except (OAIPMHException, httpx2.HTTPError):
            raise
        except (AttributeError, TypeError, ValueError) as error:
            raise HarvestError(_("malformed response: %(detail)s", detail=error)) from error


def _item(record: etree._Element, prefix: str) -> Item:
    header = record.find(f"{OAI}header")
    if header is None:
        raise HarvestError(_("a record without a header"))
    identifier = (header.findtext(f"{OAI}identifier") or "").strip()
    if not identifier:
        raise HarvestError(_("a record without an identifier"))
    datestamp = (header.findtext(f"{OAI}datestamp") or "").strip()[:32]
    if header.get("status") == "deleted":
        return Item(identifier, datestamp, True, None)
    container = record.find(f"{OAI}metadata")
    metadata = next(iter(container), None) if container is not None else None
    fields = MAPPERS[prefix](metadata) if metadata is not None else RecordFields()
    return Item(identifier, datestamp, False, fields)


def fetch(base_url: str, prefix: str, set_spec: str | None, since: str | None,
          limits: Limits, progress: Callable[[int], None] = lambda _n: None) -> Fetched:
    """Every record changed at the source since ``since`` (all when ``None``), following
    resumption tokens; raises ``HarvestError`` naming what went wrong."""
    try:
        return _fetch(base_url, prefix, set_spec, since, limits, progress)
    except HarvestError:
        raise
    except _TooLarge as error:
        raise HarvestError(_("an answer longer than %(n)d bytes",
                             n=limits.max_bytes)) from error
    except NoRecordsMatch:
        return Fetched([], None)
    except OAIPMHException as error:
        raise HarvestError(_("OAI-PMH error %(code)s: %(detail)s", code=type(error).__name__,
                             detail=error)) from error
    except httpx2.TimeoutException as error:
        seconds = format(limits.timeout, "g")
        raise HarvestError(_("no answer within %(seconds)s seconds", seconds=seconds)) from error
    except httpx2.HTTPStatusError as error:
        raise HarvestError(_("HTTP %(status)d from the source",
                             status=error.response.status_code)) from error
    except httpx2.HTTPError as error:
        raise HarvestError(_("could not reach the source: %(detail)s", detail=error)) from error


def _fetch(base_url: str, prefix: str, set_spec: str | None, since: str | None,
           limits: Limits, progress: Callable[[int], None]) -> Fetched:
    with _Client(base_url, limits) as client:
        try:
            pages = _pages(client, prefix, set_spec, since)
            first = next(pages)
        except BadArgument:
            if not since or "T" not in since:
                raise
            # A source of day granularity refuses seconds: ask from the day instead (the
            # records of that day come again, which changes nothing).
            pages = _pages(client, prefix, set_spec, since.split("T")[0])
            first = next(pages)
        items: list[Item] = []
        root = first
        response_date = (root.findtext(f"{OAI}responseDate") or "").strip() or None
        while root is not None:
            for record in root.iter(f"{OAI}record"):
                items.append(_item(record, prefix))
            if len(items) > MAX_RECORDS:
                raise HarvestError(_("more than %(n)d records in one harvest", n=MAX_RECORDS))
            progress(len(items))
            root = next(pages, None)
        return Fetched(items, response_date)


def _pages(client: Scythe, prefix: str, set_spec: str | None, since: str | None
           ) -> Iterator[etree._Element]:
    """Each page of ListRecords, strictly parsed (scythe follows the resumption tokens)."""
    for response in client.list_records(from_=since, metadata_prefix=prefix, set_=set_spec):
        yield _strict(response)
