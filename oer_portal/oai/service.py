"""The six verbs, answered as a stream of XML.

:func:`respond` checks the request, runs the first query (so that an empty list is a
``noRecordsMatch`` and a bad token a ``badResumptionToken``, as an error element) and hands
back an iterator of byte chunks: the envelope and each batch of records are written with
``lxml.etree.xmlfile`` and given away as soon as the batch is done, so a page never sits in
memory as a whole, however large ``OAI_PAGE_SIZE`` is.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from oer_portal.core.types import utcnow
from oer_portal.oai import records
from oer_portal.oai.formats import FORMATS, WRITERS, XSI, Context
from oer_portal.oai.protocol import (
    GRANULARITY,
    OAIError,
    Position,
    Range,
    Request,
    Tokens,
    date_range,
    format_datestamp,
    parse_request,
)
from oer_portal.oai.records import SET_KINDS, Record

OAI = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_IDENTIFIER = "http://www.openarchives.org/OAI/2.0/oai-identifier"
OAI_IDENTIFIER_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"
#: Records read per statement within a page (a page of the default 250 is one statement;
#: a larger page is read, written and handed out in batches of this size).  Each statement
#: costs a round trip and its building: on PostgreSQL, batches of 100 kept light ``oai_dc``
#: harvests at a third of the bare loop's rate, batches of 250 at 0.6 (``bench/oai_bench.py``);
#: memory stays that of one batch.
BATCH = 250

#: Elements written into the stream one by one carry the default namespace themselves (lxml
#: would otherwise give each a prefix of its own).
_NSMAP = {None: OAI}
_T = {name: f"{{{OAI}}}{name}" for name in (
    "OAI-PMH", "responseDate", "request", "error", "Identify", "repositoryName", "baseURL",
    "protocolVersion", "adminEmail", "earliestDatestamp", "deletedRecord", "granularity",
    "description", "ListMetadataFormats", "metadataFormat", "metadataPrefix", "schema",
    "metadataNamespace", "ListSets", "set", "setSpec", "setName", "ListIdentifiers",
    "ListRecords", "GetRecord", "record", "header", "identifier", "datestamp", "metadata",
    "resumptionToken")}


@dataclass(frozen=True)
class Settings:
    """The provider's configuration and addresses (built by the view)."""

    base_url: str
    admin_email: str
    page_size: int
    tokens: Tokens
    context: Context


class _Sink:
    """The file ``xmlfile`` writes to: collects bytes until they are taken."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.chunks.append(data)

    def take(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


def _material_id(identifier: str, settings: Settings) -> int | None:
    prefix = f"oai:{settings.context.repository_identifier}:material/"
    if not identifier.startswith(prefix):
        return None
    number = identifier[len(prefix):]
    # Exactly as issued: ``material/01`` names no record (an identifier is one string).
    if not (number.isascii() and number.isdigit()) or len(number) > 11 \
            or number != str(int(number)):
        return None
    return int(number)


def _set_specs(settings: Settings) -> list[tuple[str, str]]:
    """Every set: the three vocabularies, then each of their terms (Dutch labels)."""
    names = {"subject": "Vak", "level": "Niveau", "language": "Taal"}
    sets: list[tuple[str, str]] = []
    for kind in SET_KINDS:
        sets.append((kind, names[kind]))
        for code, term in settings.context.vocabularies.get(kind, {}).items():
            sets.append((f"{kind}:{code}", f"{names[kind]}: {term.label_nl}"))
    return sets


def respond(values: Mapping[str, Sequence[str]], settings: Settings) -> Iterator[bytes]:
    """The response to a request with these arguments (each name → its values)."""
    try:
        request = parse_request(values)
    except OAIError as error:
        return _envelope({}, settings, error=error)
    try:
        body = _VERBS[request.verb](request, settings)
    except OAIError as error:
        # The request element repeats the arguments only when they were all valid.
        valid = error.code not in ("badVerb", "badArgument")
        return _envelope({"verb": request.verb, **request.arguments} if valid else {},
                         settings, error=error)
    return _envelope({"verb": request.verb, **request.arguments}, settings, request.verb,
                     body=body)


def _envelope(echo: Mapping[str, str], settings: Settings, verb: str | None = None,
              error: OAIError | None = None,
              body: Iterator[etree._Element | None] | None = None) -> Iterator[bytes]:
    sink = _Sink()
    with etree.xmlfile(sink, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element(_T["OAI-PMH"], nsmap={None: OAI, "xsi": XSI},
                        attrib={f"{{{XSI}}}schemaLocation": f"{OAI} {OAI_SCHEMA}"}):
            response_date = etree.Element(_T["responseDate"], nsmap=_NSMAP)
            response_date.text = format_datestamp(utcnow())
            xf.write(response_date)
            request = etree.Element(_T["request"], nsmap=_NSMAP)
            for name, value in echo.items():
                request.set(name, value)
            request.text = settings.base_url
            xf.write(request)
            if error is not None or verb is None or body is None:
                assert error is not None  # narrows the type  # nosec B101
                element = etree.Element(_T["error"], code=error.code, nsmap=_NSMAP)
                element.text = error.message
                xf.write(element)
            else:
                with xf.element(_T[verb]):
                    for element in body:
                        if element is None:  # the end of a batch: hand it out
                            xf.flush()
                            yield sink.take()
                        else:
                            xf.write(element)
    yield sink.take()


def _sub(parent: etree._Element, name: str, text: str) -> etree._Element:
    element = etree.SubElement(parent, _T[name])
    element.text = text
    return element


# -- the verbs --------------------------------------------------------------------------------

def identify(request: Request, settings: Settings) -> Iterator[etree._Element | None]:
    earliest = records.earliest()
    elements = []
    for name, text in (("repositoryName", settings.context.repository_name),
                       ("baseURL", settings.base_url), ("protocolVersion", "2.0"),
                       ("adminEmail", settings.admin_email),
                       ("earliestDatestamp", format_datestamp(earliest) if earliest
                        else "2000-01-01T00:00:00Z"),
                       ("deletedRecord", "persistent"), ("granularity", GRANULARITY)):
        element = etree.Element(_T[name], nsmap=_NSMAP)
        element.text = text
        elements.append(element)
    description = etree.Element(_T["description"], nsmap=_NSMAP)
    identifier = etree.SubElement(description, f"{{{OAI_IDENTIFIER}}}oai-identifier",
                                  nsmap={None: OAI_IDENTIFIER, "xsi": XSI})
    identifier.set(f"{{{XSI}}}schemaLocation", f"{OAI_IDENTIFIER} {OAI_IDENTIFIER_SCHEMA}")
    for name, text in (("scheme", "oai"),
                       ("repositoryIdentifier", settings.context.repository_identifier),
                       ("delimiter", ":"),
                       ("sampleIdentifier", settings.context.identifier(1))):
        etree.SubElement(identifier, f"{{{OAI_IDENTIFIER}}}{name}").text = text
    elements.append(description)
    return iter(elements)


def list_metadata_formats(request: Request, settings: Settings
                          ) -> Iterator[etree._Element | None]:
    identifier = request.get("identifier")
    if identifier is not None:
        material_id = _material_id(identifier, settings)
        if material_id is None or not records.exists(material_id):
            raise OAIError("idDoesNotExist", "No record has this identifier.")
    elements = []
    for fmt in FORMATS.values():
        element = etree.Element(_T["metadataFormat"], nsmap=_NSMAP)
        _sub(element, "metadataPrefix", fmt.prefix)
        _sub(element, "schema", fmt.schema)
        _sub(element, "metadataNamespace", fmt.namespace)
        elements.append(element)
    return iter(elements)


def list_sets(request: Request, settings: Settings) -> Iterator[etree._Element | None]:
    if request.get("resumptionToken") is not None:
        # Every set fits in one response, so no token is ever issued for ListSets.
        raise OAIError("badResumptionToken", "The resumption token is invalid or has expired.")
    elements = []
    for spec, name in _set_specs(settings):
        element = etree.Element(_T["set"], nsmap=_NSMAP)
        _sub(element, "setSpec", spec)
        _sub(element, "setName", name)
        elements.append(element)
    return iter(elements)


def _header(record: Record, settings: Settings) -> etree._Element:
    header = etree.Element(_T["header"], nsmap=_NSMAP)
    if record.deleted:
        header.set("status", "deleted")
    _sub(header, "identifier", settings.context.identifier(record.material_id))
    _sub(header, "datestamp", format_datestamp(record.datestamp))
    for spec in record.set_specs:
        _sub(header, "setSpec", spec)
    return header


def _record(record: Record, prefix: str, settings: Settings) -> etree._Element:
    element = etree.Element(_T["record"], nsmap=_NSMAP)
    element.append(_header(record, settings))
    if not record.deleted:
        metadata = etree.SubElement(element, _T["metadata"])
        metadata.append(WRITERS[prefix](record, settings.context))
    return element


def get_record(request: Request, settings: Settings) -> Iterator[etree._Element | None]:
    prefix = request.arguments["metadataPrefix"]
    if prefix not in FORMATS:
        raise OAIError("cannotDisseminateFormat", f"The format '{prefix}' is not offered.")
    material_id = _material_id(request.arguments["identifier"], settings)
    record = records.one(material_id) if material_id is not None else None
    if record is None:
        raise OAIError("idDoesNotExist", "No record has this identifier.")
    return iter([_record(record, prefix, settings)])


def _check_set(set_spec: str | None, settings: Settings) -> None:
    if set_spec is None:
        return
    kind, colon, code = set_spec.partition(":")
    known = settings.context.vocabularies.get(kind) if kind in SET_KINDS else None
    if known is None or (colon and code not in known):
        raise OAIError("noRecordsMatch", f"There is no set '{set_spec}'.")


def _list(request: Request, settings: Settings) -> Iterator[etree._Element | None]:
    """ListIdentifiers and ListRecords: a page of records after the token's position."""
    token = request.get("resumptionToken")
    if token is not None:
        position = settings.tokens.load(token, request.verb)
        prefix, set_spec, start, until = (position.prefix, position.set_spec, position.start,
                                          position.until)
        after: tuple[datetime, int] | None = (position.after_datestamp, position.after_id)
        cursor, size = position.cursor, position.size
    else:
        prefix, set_spec = request.arguments["metadataPrefix"], request.get("set")
        start, until = request.get("from"), request.get("until")
        after, cursor, size = None, 0, -1
        if prefix not in FORMATS:
            raise OAIError("cannotDisseminateFormat", f"The format '{prefix}' is not offered.")
        _check_set(set_spec, settings)
    window = date_range(start, until)
    page = settings.page_size
    first = records.batch(window, set_spec, after, min(BATCH, page) + 1)
    if not first and token is None:
        raise OAIError("noRecordsMatch", "No record matches the arguments.")
    if size < 0:
        size = records.count(window, set_spec) if len(first) > min(BATCH, page) else len(first)
    return _pages(request.verb, first, window, prefix, set_spec, start, until, cursor, size,
                  settings)


def _pages(verb: str, first: list[Record], window: Range, prefix: str, set_spec: str | None,
           start: str | None, until: str | None, cursor: int, size: int, settings: Settings
           ) -> Iterator[etree._Element | None]:
    page = settings.page_size
    sent = 0
    batch = first
    more = False
    last: Record | None = None
    while True:
        wanted = min(BATCH, page - sent)
        more = len(batch) > wanted
        for record in batch[:wanted]:
            yield _header(record, settings) if verb == "ListIdentifiers" \
                else _record(record, prefix, settings)
            last = record
            sent += 1
        yield None
        if not more or sent >= page:
            break
        assert last is not None  # narrows the type  # nosec B101
        batch = records.batch(window, set_spec, (last.datestamp, last.material_id),
                              min(BATCH, page - sent) + 1)
    if cursor == 0 and not more:
        return  # the whole list in one response: no token at all
    element = etree.Element(_T["resumptionToken"], nsmap=_NSMAP,
                            completeListSize=str(max(size, cursor + sent)), cursor=str(cursor))
    if more and last is not None:
        element.set("expirationDate", settings.tokens.expiration(utcnow()))
        element.text = settings.tokens.dump(Position(
            verb, prefix, set_spec, start, until, last.datestamp, last.material_id,
            cursor + sent, size))
    yield element


_VERBS = {"Identify": identify, "ListMetadataFormats": list_metadata_formats,
          "ListSets": list_sets, "ListIdentifiers": _list, "ListRecords": _list,
          "GetRecord": get_record}
