"""Images: proven by Pillow, refused when their pixels would not fit in memory or they hide a page.

Images are the one kind of upload the portal shows inline, so they must be nothing but
images.  A polyglot (a valid GIF or PNG that also carries ``<script>`` or an HTML page) is
refused, not just neutralised; serving (``nosniff``, ``Content-Disposition``, a sandboxing
CSP) is the second line of defence, not the only one.  ``open_image`` is shared with the
thumbnailer so that both guard memory the same way.
"""

from __future__ import annotations

import re
import warnings
from typing import BinaryIO, NoReturn

from flask_babel import gettext as _
from PIL import Image

from oer_portal.core.errors import InvalidUpload
from oer_portal.materials.uploads.allowlist import (
    GIF,
    JPEG,
    PNG,
    READ_CHUNK,
    WEBP,
    FileType,
    UploadLimits,
)
from oer_portal.materials.uploads.messages import MSG_POLYGLOT, refuse, refuse_broken

_IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
)
_PILLOW_FORMATS = {PNG: "PNG", JPEG: "JPEG", GIF: "GIF", WEBP: "WEBP"}
#: Markup that makes an image a polyglot; XMP metadata (``<x:xmpmeta``, ``<rdf:RDF``) is fine.
_MARKUP_IN_BINARY = re.compile(
    rb"<(?:script|html|svg|iframe|frame|body|head|!doctype|object|embed|meta|\?php)[\s>/]",
    re.IGNORECASE)


def image_signature(head: bytes) -> FileType | None:
    """The accepted image type the first bytes announce, or ``None``."""
    for signature, file_type in _IMAGE_SIGNATURES:
        if head.startswith(signature):
            return file_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None


def open_image(handle: BinaryIO, file_type: FileType, limits: UploadLimits) -> Image.Image:
    """Open (not decode) an image of an accepted type, refusing decompression bombs.

    The explicit pixel check is the guard; it does not depend on Pillow's process-wide
    ``MAX_IMAGE_PIXELS``.  Pillow's own check only warns between one and two times that
    limit, so its ``DecompressionBombWarning`` is turned into an error here as well
    (``catch_warnings`` changes process-wide state; the explicit check is what holds under
    threads).
    """
    handle.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(handle, formats=[_PILLOW_FORMATS[file_type]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        _refuse_bomb(limits)
    width, height = image.size
    if width < 1 or height < 1:
        image.close()
        refuse_broken(_image_kind(file_type))
    if width * height > limits.max_image_pixels:
        image.close()
        _refuse_bomb(limits)
    return image


def _refuse_bomb(limits: UploadLimits) -> NoReturn:
    megapixels = f"{limits.max_image_pixels / 1_000_000:g}"
    raise InvalidUpload(_("This image has too many pixels (more than %(megapixels)s megapixels). "
                          "Make it smaller and upload it again.", megapixels=megapixels))


def _image_kind(file_type: FileType) -> str:
    return {PNG: "PNG", JPEG: "JPEG", GIF: "GIF", WEBP: "WebP"}[file_type]


def check_image(handle: BinaryIO, file_type: FileType, limits: UploadLimits) -> None:
    """Pillow's ``verify()``; JPEG has none, so it is decoded at 1/8 scale (cheap) instead."""
    try:
        with open_image(handle, file_type, limits) as image:
            image.verify()
        if file_type is JPEG:
            with open_image(handle, file_type, limits) as image:
                image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
                image.load()
    except InvalidUpload:
        raise
    except Exception:
        refuse_broken(_image_kind(file_type))
    if _contains_markup(handle):
        refuse(MSG_POLYGLOT)


def _contains_markup(handle: BinaryIO) -> bool:
    """Whether HTML or script markup occurs anywhere in the file (read in overlapping chunks)."""
    handle.seek(0)
    tail = b""
    while chunk := handle.read(READ_CHUNK):
        if _MARKUP_IN_BINARY.search(tail + chunk):
            return True
        tail = chunk[-16:]
    return False
