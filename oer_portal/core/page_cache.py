"""Public pages kept per process for visitors who are not signed in.

A material's page costs a dozen statements and the work of every panel (credits down to the
original, the family tree, ratings, the arrangements that use it): measured under gunicorn,
four times the cost of rendering its template.  Most visitors are pupils who never sign
in, and for them the page depends on nothing but what the public sees, so the view's
decision (a template and its context, a redirect) is kept per process, per page and
language, under the public generation (``public_state``) and the key parts other features
add (the search index's commit, for "more like this"): the first commit that changes a row
a public page shows moves the generation, and every process works the page out again at
its next request.  The template is rendered for every request (the CSRF token, the
session's messages and the security headers are the request's own).

A signed-in visitor's page (their own rating, the remix button, an author's notices) is
worked out every time, as before.  What is kept is the view's context as it was after its
first rendering, detached from the database session with everything the template read
loaded; should a later rendering need more (a template that reads something new on another
request), the entry is dropped and the page worked out again.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, redirect, render_template
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy.orm.exc import DetachedInstanceError
from werkzeug.wrappers import Response

from oer_portal.core import public_state
from oer_portal.extensions import db

log = logging.getLogger(__name__)

#: Further parts of every key (e.g. the search index's commit), registered by features.
_KEY_PARTS: list[Callable[[], Hashable]] = []


def add_key_part(part: Callable[[], Hashable]) -> None:
    """Make ``part()`` a part of every key: a kept page lives as long as its value."""
    if part not in _KEY_PARTS:
        _KEY_PARTS.append(part)


@dataclass(frozen=True)
class PageView:
    """What a view decided: a template with its context and status, or a redirect."""

    template: str = ""
    context: Mapping[str, Any] = field(default_factory=dict)
    status: int = 200
    location: str | None = None

    @classmethod
    def redirect_to(cls, location: str, status: int = 301) -> PageView:
        return cls(status=status, location=location)

    def render(self) -> Response | tuple[str, int]:
        if self.location is not None:
            return redirect(self.location, self.status)
        return render_template(self.template, **self.context), self.status


class _Pages:
    """A bounded LRU of page views; threads share it under a lock."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._views: OrderedDict[Hashable, PageView] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> PageView | None:
        with self._lock:
            view = self._views.get(key)
            if view is not None:
                self._views.move_to_end(key)
            return view

    def put(self, key: Hashable, view: PageView) -> None:
        with self._lock:
            self._views[key] = view
            self._views.move_to_end(key)
            while len(self._views) > self.size:
                self._views.popitem(last=False)

    def drop(self, key: Hashable) -> None:
        with self._lock:
            self._views.pop(key, None)

    def __len__(self) -> int:
        return len(self._views)


def init_app(app: Flask) -> None:
    public_state.install()
    app.extensions["page_cache"] = _Pages(int(app.config["PUBLIC_PAGE_CACHE_SIZE"]))


def pages() -> _Pages:
    return current_app.extensions["page_cache"]  # type: ignore[no-any-return]


def public_page(page: Hashable, work: Callable[[], PageView],
                served: Callable[[PageView], None] | None = None
                ) -> Response | tuple[str, int]:
    """Render ``work()`` (a view's decision), kept for visitors who are not signed in.

    ``page`` names the page (the endpoint and its arguments); ``served`` runs for every
    request the view answers, kept or not (counting a view).  Errors ``work`` raises (404)
    are not kept.
    """
    kept = pages()
    if current_user.is_authenticated or kept.size <= 0:
        return _serve(work(), served)
    # The generation first: a commit after it can only leave newer data under an older key.
    key = (page, str(get_locale()), public_state.generation(), *(p() for p in _KEY_PARTS))
    view = kept.get(key)
    if view is not None:
        try:
            return _serve(view, served)
        except DetachedInstanceError:
            log.warning("page cache: %r needed more than its first rendering read", page)
            kept.drop(key)
    view = work()
    answer = _serve(view, served)
    session = db.session()
    if session.new or session.dirty or session.deleted:
        return answer  # the view changed something: keep nothing, lose nothing
    # Everything the rendering read is loaded; detached, it survives the request's end.
    session.expunge_all()
    kept.put(key, view)
    return answer


def _serve(view: PageView, served: Callable[[PageView], None] | None
           ) -> Response | tuple[str, int]:
    answer = view.render()
    if served is not None:
        served(view)
    return answer
