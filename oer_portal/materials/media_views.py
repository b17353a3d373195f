"""``/media/remote/<key>``: the portal's copy of another site's image in a lesson
(``remote_images.py``).  Only serves what a save registered and the portal fetched; never
fetches anything itself, so a reader's request cannot make the portal contact any address."""

from __future__ import annotations

from flask import Blueprint, Response, abort, send_file

from oer_portal.core.storage import file_store
from oer_portal.materials import remote_images
from oer_portal.materials.views import FILE_CSP

bp = Blueprint("media", __name__)

#: A copy never changes under its key once fetched (it is not fetched again), so browsers
#: and proxies may keep it; a day bounds how long one lingers after a lesson drops it.
CACHE_CONTROL = "public, max-age=86400"


@bp.route("/media/remote/<string(length=64):key>")
def remote_image(key: str) -> Response:
    """The copy with its own type; 404 while there is none (the browser shows the alt text)."""
    if not all(c in "0123456789abcdef" for c in key):
        abort(404)
    copy = remote_images.copy_of(key)
    if copy is None or copy.blob_sha256 is None or not file_store().exists(copy.blob_sha256):
        abort(404)
    response = send_file(file_store().path(copy.blob_sha256), mimetype=copy.media_type,
                         conditional=True, etag=copy.blob_sha256, max_age=86400)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["Content-Security-Policy"] = FILE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
