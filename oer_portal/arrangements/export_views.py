"""Downloading a material or an arrangement as a Common Cartridge or as web pages.

The archive is written into a temporary file (in memory while small, on disk beyond) and
sent from there: a browser's download then shows its size, and a failure while writing is
an error page rather than a broken file.
"""

from __future__ import annotations

import tempfile

from flask import Blueprint, current_app, request, send_file
from flask_login import current_user
from werkzeug.wrappers import Response

from oer_portal.arrangements.web import CARTRIDGE, OFFLINE, write_export
from oer_portal.core.errors import NotFound
from oer_portal.core.numbers import parse_id
from oer_portal.extensions import limiter

bp = Blueprint("exports", __name__)

#: Archives up to this size stay in memory while they are written.
SPOOL_BYTES = 8 * 1024 * 1024
MEDIA_TYPES = {CARTRIDGE: "application/vnd.ims.imsccv1p3", OFFLINE: "application/zip"}
#: An export of a large arrangement reads every part and copies every file: more than a
#: page view, so one address may ask for only so many (``EXPORT_LIMIT`` overrides it).
EXPORT_LIMIT = "30 per minute"


def _limit() -> str:
    return current_app.config.get("EXPORT_LIMIT", EXPORT_LIMIT)


@bp.route("/materials/<int:material_id>/export.imscc")
@limiter.limit(_limit)
def cartridge(material_id: int) -> Response:
    """The material (an arrangement with its parts) as an IMS Common Cartridge 1.3."""
    return _download(CARTRIDGE, material_id)


@bp.route("/materials/<int:material_id>/export.zip")
@limiter.limit(_limit)
def offline(material_id: int) -> Response:
    """The material (an arrangement with its parts) as web pages to open from a disk."""
    return _download(OFFLINE, material_id)


def _download(format_name: str, material_id: int) -> Response:
    """``?v=<number>``: a version the visitor may see (else 404, like its permalink)."""
    raw = request.args.get("v")
    number = parse_id(raw) if raw is not None else None
    if raw is not None and number is None:
        raise NotFound()
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (sent, closed by the response)
    try:
        name = write_export(format_name, current_user, material_id,
                            number, spool)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    response = send_file(spool, mimetype=MEDIA_TYPES[format_name], as_attachment=True,
                         download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
