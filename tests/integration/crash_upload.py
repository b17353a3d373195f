"""Run as a process of its own by ``test_derive_missing.py``: log in, upload a PDF as a new
file material, and die by SIGKILL right after the commit, before the derivation (text and
thumbnail) that the upload registered to run after it.

The killer is an after-commit operation registered before the request's own (in a
``before_request`` of this process only), so the operations run in order: commit, killer.
Nothing in the portal knows about it.

Usage: ``python -m tests.integration.crash_upload DATABASE_URI TMP_PATH EMAIL PDF_PATH``
"""

from __future__ import annotations

import io
import os
import signal
import sys
from pathlib import Path

from flask import request

from oer_portal import create_app
from oer_portal.core.uow import current_uow
from tests.conftest import Client, make_config


def _kill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main(database_uri: str, tmp_path: str, email: str, pdf_path: str) -> None:
    os.environ["OER_INSTANCE_PATH"] = str(Path(tmp_path) / "instance-crash")
    app = create_app(make_config(Path(tmp_path), database_uri))

    @app.before_request
    def _die_after_the_upload_commits() -> None:
        if request.method == "POST" and request.path == "/materials/new/file":
            current_uow().on_commit(_kill)

    client = Client(app.test_client())
    assert client.login(email).status_code == 302
    client.post("/materials/new/file", {
        "title": "Werkblad water", "body": "", "language": "nl", "licence": "CC-BY-4.0",
        "save": "1", "files": [(io.BytesIO(Path(pdf_path).read_bytes()), "werkblad.pdf")]},
        content_type="multipart/form-data")
    sys.exit("the upload was not killed")  # exit 1: the test says so


if __name__ == "__main__":
    main(*sys.argv[1:5])
