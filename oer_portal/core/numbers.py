"""Numbers from outside (addresses, query strings, forms) that name rows: ids, version
numbers, page numbers.

A number beyond what the database's id columns hold names nothing, and handing it to the
database fails (SQLite: ``OverflowError`` above 2**63 - 1; PostgreSQL: "integer out of
range" above 2**31 - 1). So every such number is bounded here, once, before any query:

- in addresses, by the app's ``int`` converter (``BoundedIntegerConverter``, registered in
  place of Werkzeug's): a larger number does not match the rule, so the answer is 404;
- in query strings, by ``query_number``: 404 for a number no row can have;
- in forms, by ``parse_id`` (``None``: the form's own "missing" answer, 400 or a form
  error) and the ``IdNumber`` validator for WTForms fields.
"""

from __future__ import annotations

from typing import Any

from flask import abort, request
from werkzeug.routing import IntegerConverter, ValidationError
from wtforms import Field
from wtforms.validators import ValidationError as FormValidationError

#: The largest id or number a path, query or form may name: the 32-bit ``integer`` columns
#: of PostgreSQL (SQLite holds more, but a portal must answer the same on both).
MAX_ID = 2**31 - 1
_MAX_DIGITS = len(str(MAX_ID))


class BoundedIntegerConverter(IntegerConverter):
    """Werkzeug's ``int``, bounded by ``MAX_ID`` unless a rule says otherwise: a larger
    number does not match (404). Over-long digit strings are refused before ``int()`` (which
    would refuse more than 4300 digits with a ValueError, a 500)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> Any:
        if len(value.lstrip("0")) > _MAX_DIGITS:
            raise ValidationError()
        return super().to_python(value)


def parse_id(raw: str | None) -> int | None:
    """``raw`` as a number from 0 to ``MAX_ID``; ``None`` when it is not one (missing, not
    digits, or too large for any row)."""
    raw = (raw or "").strip()
    if not raw.isdigit() or len(raw.lstrip("0")) > _MAX_DIGITS:
        return None
    value = int(raw)
    return value if value <= MAX_ID else None


def query_number(name: str, default: int | None = None,
                 values: Any = None) -> int | None:
    """The query string's ``name`` as a number: ``default`` when missing or not a number
    (as ``request.args.get(name, default, type=int)`` answers), 404 when it is a number no
    row or page can have. ``values``: another ``MultiDict`` (``request.values``)."""
    raw = (request.args if values is None else values).get(name)
    digits = (raw or "").strip()
    negative = digits.startswith("-")
    digits = digits.removeprefix("-")
    if not digits.isdigit():
        return default
    value = parse_id(digits)
    if value is None:
        abort(404)
    # A negative number stays one, as ``type=int`` gave it: the pages clamp it themselves.
    return -value if negative else value


class IdNumber:
    """WTForms validator: the field, when filled in, is a number up to ``MAX_ID`` (a hidden
    version id from a hand-made request can be anything)."""

    def __init__(self, message: str | None = None) -> None:
        self.message = message

    def __call__(self, form: Any, field: Field) -> None:
        raw = field.data if isinstance(field.data, str) else \
            ("" if field.data is None else str(field.data))
        if raw.strip() and parse_id(raw) is None:
            from flask_babel import gettext

            raise FormValidationError(self.message or gettext("This is not a valid number."))
