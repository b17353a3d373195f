"""Other collections harvested over OAI-PMH and found in the portal's own search."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """In the embedded server (the one that runs the search's background drain), harvest
    every collection on a schedule; where several processes serve, cron runs ``flask
    collections harvest`` instead."""
    if app.config["SEARCH_BACKGROUND_DRAIN"]:
        from oer_portal.collections import worker

        worker.start_scheduled_harvest(app)
