"""What a refused uploader is told: the messages several checks share, and how they are raised.

Every refusal says what to upload instead, because the person uploading is a teacher with a
file on their desk, not a developer with a stack trace.  Messages are lazy and translated
when raised: inside a request that is the user's language; outside any app context
Flask-Babel falls back to the English message ids, so the checks also work in scripts and
tests without an app.  A message used by one check only stays beside that check.
"""

from __future__ import annotations

from typing import NoReturn

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from oer_portal.core.errors import InvalidUpload

ACCEPTED_TYPES = _l(
    "The portal accepts PDF files, images (PNG, JPEG, GIF, WebP), Word, Excel and PowerPoint "
    "files (.docx, .xlsx, .pptx), OpenDocument files (.odt, .ods, .odp), audio (MP3, OGG, WAV, "
    "M4A), video (MP4, WebM, OGV), ZIP archives, plain text and CSV.")
MSG_UNKNOWN = _l("We do not recognise the type of this file.")
MSG_EMPTY = _l("This file is empty. Check that you chose the right file and try again.")
MSG_PROGRAM = _l("Programs cannot be uploaded, because they could harm the computers of people "
                 "who download them. Share a link to where the program can be found instead.")
MSG_SCRIPT = _l("Scripts cannot be uploaded, because they could run on the computers of people "
                "who download them. To share code, copy it into a plain text (.txt) file or "
                "put it in a ZIP archive.")
MSG_HTML = _l("Web pages (HTML) cannot be uploaded, because they can contain scripts. Upload a "
              "PDF instead, or put the files of the page in a ZIP archive.")
MSG_SVG = _l("SVG images can contain scripts, so they are not accepted. Upload a PNG or a PDF "
             "instead.")
MSG_XML = _l("XML files are not accepted, because browsers can run scripts in them. Upload a "
             "PDF, a plain text file or a ZIP archive instead.")
MSG_OLD_OFFICE = _l("Old Office files (.doc, .xls, .ppt) are not accepted. Open the file in "
                    "Word, Excel or PowerPoint and save it as .docx, .xlsx or .pptx, or as a "
                    "PDF.")
MSG_OTHER_ARCHIVE = _l("Only ZIP archives are accepted. Pack the files into a ZIP archive "
                       "instead.")
MSG_OTHER_IMAGE = _l("This kind of image is not accepted. Save it as PNG or JPEG and upload "
                     "that instead.")
MSG_OTHER_AUDIO_VIDEO = _l("This kind of audio or video file is not accepted. Save or export it "
                           "as MP3, OGG, WAV or M4A (audio) or as MP4, WebM or OGV (video).")
MSG_MACROS = _l("Office files with macros are not accepted, because macros can harm the "
                "computers of people who open them. Save the file without macros (.docx, .xlsx "
                "or .pptx) and upload that instead.")
MSG_OTHER_OFFICE = _l("This kind of Office file is not accepted. Save it as a normal document "
                      "(.docx), workbook (.xlsx) or presentation (.pptx), or as a PDF.")
MSG_OTHER_OPENDOCUMENT = _l("This kind of OpenDocument file is not accepted. Save it as a text "
                            "document (.odt), spreadsheet (.ods) or presentation (.odp), or as "
                            "a PDF.")
MSG_NOT_UTF8 = _l("This text file is not saved as UTF-8. Save it again with the encoding UTF-8 "
                  "(in Excel: choose \u201cCSV UTF-8\u201d) and upload the new copy.")
MSG_POLYGLOT = _l("This image also contains web page code, which is not allowed in images. "
                  "Open it in an image editor, save it again as PNG or JPEG and upload the new "
                  "copy.")


def refuse(message: object) -> NoReturn:
    """Raise ``InvalidUpload`` with ``message`` translated now (a lazy string or a string)."""
    raise InvalidUpload(str(message))


def refuse_unknown() -> NoReturn:
    """Refuse a file of no type we know, listing the types we do accept."""
    raise InvalidUpload(f"{MSG_UNKNOWN} {ACCEPTED_TYPES}")


def refuse_broken(kind: str) -> NoReturn:
    """Refuse a file that starts like ``kind`` but does not parse as one."""
    raise InvalidUpload(_(
        "This file seems to be damaged: it could not be read as %(kind)s. Open it on "
        "your computer, save it again and upload the new copy.", kind=kind))
