"""What may be uploaded: the type is read from the content, then proven by parsing it.

``inspect_upload`` is the one entry point: it reads the first bytes (``inspection``), hands
the file to the check for that kind (``documents``, ``images``, ``archives``, ``media``,
``text``), which either proves it is a type on the allow-list (``allowlist``) or refuses it
with a message that says what to upload instead (``messages``); the name the browser sent
only becomes a safe display name (``names``).  No magic-number library is used: the
allow-list is short, and a library that names 1,000 formats would add nothing that the
parsers do not check better.

Deliberately refused: HTML, SVG and XML (they can carry scripts), programs and scripts, the
old binary Office formats (DOC, XLS, PPT: their OLE2 container could be recognised, but
proving which of the three it is needs a compound-file parser we do not have, and they are
where macro viruses live), Office files with macros, password-protected PDFs, archives
other than ZIP, images whose pixels would not fit in memory (decompression bombs), polyglot
images, ZIP bombs and archives with paths that escape their folder (zip-slip), text that is
not UTF-8, and empty files.
"""

from oer_portal.materials.uploads.allowlist import (
    ALLOWED,
    CATEGORIES,
    DEFAULT_LIMITS,
    FileType,
    InspectedFile,
    UploadLimits,
)
from oer_portal.materials.uploads.archives import unsafe_member_name
from oer_portal.materials.uploads.images import open_image
from oer_portal.materials.uploads.inspection import inspect_upload
from oer_portal.materials.uploads.names import sanitise_filename

__all__ = [
    "ALLOWED",
    "CATEGORIES",
    "DEFAULT_LIMITS",
    "FileType",
    "InspectedFile",
    "UploadLimits",
    "inspect_upload",
    "open_image",
    "sanitise_filename",
    "unsafe_member_name",
]
