"""The public generation: one number that moves whenever what the public sees may change.

Pages that anyone not signed in sees (a material, an arrangement's part) are worked out
from a dozen tables: the material and its version, the names of its authors, its ratings
and reviews, its remixes and sources, the arrangements that use it, the vocabularies.  A
cache of such a page (``page_cache``) must never outlive a change to any of them, in any
process.  Rather than each service remembering to say so (and one forgetting), every
commit that changes a row the public sees adds one to ``public_generation.value``, and a
cache keys what it keeps by that number (one read by primary key per request).

What counts is declared per table beside its model, once:

- :func:`shown_to_public`: a change of the table may show on a public page.  Columns that
  never do (a user's password hash, a material's draft head) are named there, so a login or
  a draft saved keeps every cache warm; so are new rows that the public cannot reach by
  themselves (a draft version, its attachments: they show once a material's published
  version points at them, which is a change of ``materials``).
- :func:`never_shown`: a table no public page reads (sessions, notifications, the outbox).

A test checks that every table is declared one way or the other.  Changes made through the
ORM (``Session.flush``) and statements run through the session (``update(...)``,
``delete(...)``, ``insert(...)``) are both seen; the counter is written last in the
transaction, just before the commit, so the row lock it takes is held for the shortest time
and a transaction waiting for it holds no lock that the committing one needs.

A reader must read the generation *before* the data it caches: then a commit between the two
can only put newer data under an older number, which the next request no longer asks for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Integer, Table, event, inspect, select, update
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from oer_portal.extensions import db

#: ``Session.info`` key: this transaction changed what the public sees.
_CHANGED = "public_state_changed"


class PublicGeneration(db.Model):  # type: ignore[name-defined,misc]
    """The one row holding the generation (created by migration 0030)."""

    __tablename__ = "public_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


@dataclass(frozen=True)
class _Shown:
    #: Column names and attribute keys whose change no public page shows.
    hidden_columns: frozenset[str]
    #: Whether a new row alone may show (a rating does; a draft version does not).
    new_rows_shown: bool


_shown: dict[str, _Shown] = {}
_never: set[str] = set()


def _table_of(model: Any) -> Table:
    return model if isinstance(model, Table) else model.__table__


def shown_to_public(model: Any, *, hidden_columns: Iterable[str] = (),
                    new_rows_shown: bool = True) -> None:
    """Declare that a change of ``model``'s table may change a public page."""
    _shown[_table_of(model).name] = _Shown(frozenset(hidden_columns), new_rows_shown)


def never_shown(model: Any) -> None:
    """Declare that no public page reads ``model``'s table."""
    _never.add(_table_of(model).name)


def undeclared(tables: Iterable[str]) -> list[str]:
    """The names among ``tables`` declared neither way (the test's check)."""
    return sorted(name for name in tables if name not in _shown and name not in _never)


never_shown(PublicGeneration)


def generation() -> int:
    """The current public generation (0 before the first public change)."""
    value = db.session.scalar(select(PublicGeneration.value).where(PublicGeneration.id == 1))
    return int(value or 0)


# -- noticing changes ------------------------------------------------------------------------


def _row_shows(obj: Any, is_new: bool) -> bool:
    """Whether ``obj``'s pending change (new, or its changed columns) may show."""
    table = getattr(obj, "__table__", None)
    declared = _shown.get(table.name) if table is not None else None
    if declared is None:
        return False
    if is_new:
        return declared.new_rows_shown
    state = inspect(obj)
    for attribute in state.mapper.column_attrs:
        if attribute.key in declared.hidden_columns or \
                any(c.name in declared.hidden_columns for c in attribute.columns):
            continue
        if state.attrs[attribute.key].history.has_changes():
            return True
    return False


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(_CHANGED):
        return
    if any(_row_shows(obj, True) for obj in session.new) \
            or any(_row_shows(obj, False) for obj in session.dirty) \
            or any(getattr(obj, "__table__", None) is not None
                   and obj.__table__.name in _shown for obj in session.deleted):
        session.info[_CHANGED] = True


def _on_statement(state: ORMExecuteState) -> None:
    """An INSERT, UPDATE or DELETE run through the session (not a flush)."""
    if state.session.info.get(_CHANGED) or not (state.is_insert or state.is_update
                                                or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    declared = _shown.get(table.name) if isinstance(table, Table) else None
    if declared is None:
        return
    if state.is_insert and not declared.new_rows_shown:
        return
    if state.is_update:
        values = getattr(state.statement, "_values", None) or {}
        names = {getattr(column, "key", column) for column in values} \
            | {getattr(column, "name", column) for column in values}
        if values and names <= declared.hidden_columns:
            return
    state.session.info[_CHANGED] = True


def _before_commit(session: Session) -> None:
    """Write the counter last, once per transaction that changed what the public sees."""
    session.flush()
    if not session.info.pop(_CHANGED, False):
        return
    moved = session.execute(update(PublicGeneration).where(PublicGeneration.id == 1)
                            .values(value=PublicGeneration.value + 1)
                            .execution_options(synchronize_session=False))
    if not moved.rowcount:  # type: ignore[attr-defined]
        # The row the migration wrote is gone (a database emptied by hand): start again.
        session.add(PublicGeneration(id=1, value=1))
        session.flush()


def _forget(session: Session, transaction: Any) -> None:
    """A rolled back change never happened: the next transaction starts clean.  Only the
    outermost transaction's end counts: a savepoint rolled back may leave changes made
    before it (at worst the counter moves once too often)."""
    if transaction.parent is None:
        session.info.pop(_CHANGED, None)


def install() -> None:
    """Listen to every session (once per process; ``create_app`` calls it)."""
    if event.contains(Session, "before_flush", _before_flush):
        return
    event.listen(Session, "before_flush", _before_flush)
    event.listen(Session, "do_orm_execute", _on_statement)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_transaction_end", _forget)
