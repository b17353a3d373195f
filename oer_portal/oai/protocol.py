"""The protocol's rules that need no database: verbs and their arguments, dates, errors and
resumption tokens.

Everything a harvester sends is checked here before a query runs; a wrong request becomes an
:class:`OAIError` carrying the protocol's error code (answered with HTTP 200 and an
``<error>`` element, as OAI-PMH 2.0 requires).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadData, URLSafeTimedSerializer

VERBS = ("Identify", "ListMetadataFormats", "ListSets", "ListIdentifiers", "ListRecords",
         "GetRecord")
METADATA_PREFIXES = ("oai_dc", "lom")
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"

#: Per verb: the arguments it requires, those it allows, and whether a resumption token
#: (which must then come alone) is allowed.
_REQUIRED = {"GetRecord": {"identifier", "metadataPrefix"},
             "ListIdentifiers": {"metadataPrefix"}, "ListRecords": {"metadataPrefix"}}
_OPTIONAL = {"Identify": set(), "ListMetadataFormats": {"identifier"}, "ListSets": set(),
             "ListIdentifiers": {"from", "until", "set"}, "ListRecords": {"from", "until", "set"},
             "GetRecord": set()}
_RESUMABLE = {"ListSets", "ListIdentifiers", "ListRecords"}

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SECOND = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")

#: itsdangerous' salt for resumption tokens: a token signed for anything else never passes.
TOKEN_SALT = "oer-portal.oai.resumption-token"  # noqa: S105 (a salt, not a secret)  # nosec B105


class OAIError(Exception):
    """A protocol error: ``code`` is one of the error codes of OAI-PMH 2.0 section 3.6."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def format_datestamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Range:
    """``from`` and ``until`` as an inclusive lower and exclusive upper bound (``until`` is
    a whole second or a whole day, both inclusive in the protocol)."""

    start: datetime | None = None
    end: datetime | None = None


def parse_date(value: str, name: str) -> tuple[datetime, bool]:
    """A ``from``/``until`` value as a UTC datetime, and whether it was a whole day."""
    try:
        if _SECOND.fullmatch(value):
            return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC), False
        if _DAY.fullmatch(value):
            return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC), True
    except ValueError:
        pass
    raise OAIError("badArgument", f"The argument '{name}' is not a date in the form "
                                  f"YYYY-MM-DD or {GRANULARITY}.")


def date_range(start: str | None, until: str | None) -> Range:
    low = parse_date(start, "from") if start is not None else None
    high = parse_date(until, "until") if until is not None else None
    if low and high and low[1] != high[1]:
        raise OAIError("badArgument", "The arguments 'from' and 'until' must have the same "
                                      "granularity.")
    end = None
    if high:
        end = high[0] + (timedelta(days=1) if high[1] else timedelta(seconds=1))
    if low and high and low[0] > high[0]:
        raise OAIError("badArgument", "The argument 'from' is later than 'until'.")
    return Range(low[0] if low else None, end)


@dataclass(frozen=True)
class Request:
    """A checked request: its verb and arguments (``resumptionToken`` alone, if given)."""

    verb: str
    arguments: Mapping[str, str]

    def get(self, name: str) -> str | None:
        return self.arguments.get(name)


def parse_request(values: Mapping[str, Sequence[str]]) -> Request:
    """Check a request's arguments (each name → every value it was given).

    ``badVerb`` when the verb is missing, repeated or unknown; ``badArgument`` for an
    unknown, missing or repeated argument, or a resumption token with anything else.
    """
    verbs = list(values.get("verb", ()))
    if len(verbs) != 1 or verbs[0] not in VERBS:
        raise OAIError("badVerb", "The verb is missing, repeated or not an OAI-PMH verb."
                       if len(verbs) != 1 else f"'{verbs[0]}' is not an OAI-PMH verb.")
    verb = verbs[0]
    arguments: dict[str, str] = {}
    for name, given in values.items():
        if name == "verb":
            continue
        if len(given) != 1:
            raise OAIError("badArgument", f"The argument '{name}' is repeated.")
        arguments[name] = given[0]
    allowed = _REQUIRED.get(verb, set()) | _OPTIONAL[verb]
    if "resumptionToken" in arguments:
        if verb not in _RESUMABLE:
            raise OAIError("badArgument", f"{verb} takes no resumptionToken.")
        if len(arguments) > 1:
            raise OAIError("badArgument", "The argument 'resumptionToken' is exclusive.")
        return Request(verb, arguments)
    unknown = sorted(set(arguments) - allowed)
    if unknown:
        raise OAIError("badArgument", f"{verb} takes no argument '{unknown[0]}'.")
    missing = sorted(_REQUIRED.get(verb, set()) - set(arguments))
    if missing:
        raise OAIError("badArgument", f"{verb} requires the argument '{missing[0]}'.")
    if "from" in arguments or "until" in arguments:
        date_range(arguments.get("from"), arguments.get("until"))
    return Request(verb, arguments)


# -- resumption tokens ------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """Where a list stands: its original arguments, the last record sent (keyset order:
    datestamp, then material id), how many were sent and how many the list holds."""

    verb: str
    prefix: str
    set_spec: str | None
    start: str | None
    until: str | None
    after_datestamp: datetime
    after_id: int
    cursor: int
    size: int


class Tokens:
    """Resumption tokens: a :class:`Position` signed with the secret key, so a harvester can
    neither forge nor alter one (``badResumptionToken``), and the server keeps no state."""

    def __init__(self, secret_key: str, lifetime: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=TOKEN_SALT)
        self.lifetime = lifetime

    def dump(self, position: Position) -> str:
        data: list[Any] = [position.verb, position.prefix, position.set_spec, position.start,
                           position.until, format_datestamp(position.after_datestamp),
                           position.after_id, position.cursor, position.size]
        return self._serializer.dumps(data)

    def load(self, token: str, verb: str) -> Position:
        try:
            data = self._serializer.loads(token, max_age=self.lifetime)
            (token_verb, prefix, set_spec, start, until, after, after_id, cursor,
             size) = data
            position = Position(token_verb, prefix, set_spec, start, until,
                                parse_date(after, "resumptionToken")[0], int(after_id),
                                int(cursor), int(size))
        except (BadData, ValueError, TypeError, OAIError):
            raise OAIError("badResumptionToken",
                           "The resumption token is invalid or has expired.") from None
        if position.verb != verb:
            raise OAIError("badResumptionToken",
                           f"The resumption token does not belong to {verb}.")
        return position

    def expiration(self, now: datetime) -> str:
        return format_datestamp(now + timedelta(seconds=self.lifetime))
