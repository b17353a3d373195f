"""Operations: the health check and the Prometheus metrics of a running portal."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from oer_portal.ops import metrics, views

    metrics.init_app(app)
    app.register_blueprint(views.bp)
