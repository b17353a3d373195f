"""The apps ``load.py`` serves with gunicorn: the real portal, and its ceiling.

Not run by hand: ``load.py`` starts ``gunicorn '_load_app:real()'`` and
``gunicorn '_load_app:ceiling()'`` with the portal's configuration as JSON in
``BENCH_LOAD_CONFIG`` (the same for both).

**The ceiling** is the real app (the same factory, configuration, extensions, request hooks,
context processors, templates and server stack) with one route more,
``/ceiling/<the real path and query>``: the first request for a path runs the real view
once with ``render_template`` caught, keeps the template and the context it was given (every
attribute the template read is loaded by then), and every later request renders that
template from that context again — no search, no SQL, no policy, only what a page cannot
avoid (Flask, the session, Jinja, the response).  A page's throughput divided by its
ceiling's is the share of the work that is the page's own.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any
from unittest import mock

from flask import Flask, render_template, request

from oer_portal import create_app
from oer_portal.extensions import db


def _config() -> dict[str, Any]:
    return json.loads(os.environ["BENCH_LOAD_CONFIG"])


def real() -> Flask:
    """The portal as it serves."""
    return create_app(_config())


def ceiling() -> Flask:
    """The portal plus ``/ceiling/<path>``: the real path's template from its context,
    worked out once per worker."""
    app = create_app(_config())
    captured: dict[str, tuple[str, dict[str, Any]]] = {}

    def capture(path: str) -> tuple[str, dict[str, Any]]:
        found: dict[str, Any] = {}

        def catch(template: str, **context: Any) -> str:
            found.setdefault("template", template)
            found.setdefault("context", context)
            return render_template(template, **context)

        modules = [module for name, module in list(sys.modules.items())
                   if name.startswith("oer_portal.") and module is not None
                   and getattr(module, "render_template", None) is render_template]
        patches = [mock.patch.object(module, "render_template", catch) for module in modules]
        for patch in patches:
            patch.start()
        try:
            with app.test_request_context(path):
                rule = request.url_rule
                assert rule is not None and rule.endpoint is not None, path
                app.view_functions[rule.endpoint](**(request.view_args or {}))
                # Kept as loaded: the end of the request commits, and a commit would expire
                # every object the context holds.
                db.session.expunge_all()
        finally:
            for patch in patches:
                patch.stop()
        return found["template"], found["context"]

    @app.route("/ceiling/<path:rest>")
    def ceiling_page(rest: str) -> str:
        query = request.query_string.decode()
        path = "/" + rest + (f"?{query}" if query else "")
        if path not in captured:
            captured[path] = capture(path)
        template, context = captured[path]
        return render_template(template, **context)

    return app
