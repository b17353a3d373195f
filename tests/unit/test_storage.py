"""The content-addressed file store: limits, atomic keeps, deduplication, no user paths."""

from __future__ import annotations

import errno
import hashlib
import io
import os
import stat
from pathlib import Path

import pytest
from flask import Flask

from oer_portal.core import storage
from oer_portal.core.errors import InvalidUpload, StorageFull
from oer_portal.core.storage import FileStore, ReceivedFile, StoredBlob, file_store

DATA = b"Lesbrief over breuken\n" * 100
SHA = hashlib.sha256(DATA).hexdigest()


@pytest.fixture()
def store(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "files")


def temp_files(store: FileStore) -> list[Path]:
    tmp = store.root / "tmp"
    return list(tmp.iterdir()) if tmp.exists() else []


class EndlessStream(io.RawIOBase):
    """A request body that never ends; counts what was read from it."""

    def __init__(self) -> None:
        self.served = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = 64 * 1024 if size < 0 else size
        self.served += size
        return b"x" * size


class BrokenStream(io.RawIOBase):
    """A client that goes away after the first chunk."""

    def __init__(self) -> None:
        self.calls = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.calls += 1
        if self.calls > 1:
            raise ConnectionResetError("client went away")
        return b"y" * 10


def test_receive_then_keep_stores_the_file_under_its_hash(store: FileStore) -> None:
    received = store.receive(io.BytesIO(DATA), max_bytes=10_000)
    assert received.sha256 == SHA and received.size == len(DATA)
    assert received.path.parent == store.root / "tmp"
    blob = store.keep(received)
    assert blob == StoredBlob(SHA, len(DATA))
    assert store.path(SHA) == store.root / SHA[:2] / SHA[2:4] / SHA
    assert store.path(SHA).read_bytes() == DATA
    assert stat.S_IMODE(store.path(SHA).stat().st_mode) == 0o640
    assert store.exists(SHA)
    assert temp_files(store) == []


def test_the_mode_does_not_depend_on_the_umask(store: FileStore) -> None:
    old = os.umask(0o077)
    try:
        blob = store.keep(store.receive(io.BytesIO(DATA), max_bytes=10_000))
    finally:
        os.umask(old)
    assert stat.S_IMODE(store.path(blob.sha256).stat().st_mode) == 0o640


def test_identical_files_are_stored_once(store: FileStore) -> None:
    first = store.keep(store.receive(io.BytesIO(DATA), max_bytes=10_000))
    second_received = store.receive(io.BytesIO(DATA), max_bytes=10_000)
    assert store.keep(second_received) == first
    assert not second_received.path.exists()
    assert list(store.unreferenced(set())) == [SHA]
    assert temp_files(store) == []


def test_too_large_is_refused_early_and_leaves_nothing(store: FileStore) -> None:
    stream = EndlessStream()
    with pytest.raises(InvalidUpload) as refused:
        store.receive(stream, max_bytes=3 * 1024 * 1024)
    assert "3 MB" in refused.value.message
    assert stream.served <= 3 * 1024 * 1024 + 1  # stopped at the first byte too many
    assert temp_files(store) == []


def test_exactly_the_limit_is_accepted(store: FileStore) -> None:
    received = store.receive(io.BytesIO(DATA), max_bytes=len(DATA))
    assert received.size == len(DATA)
    with pytest.raises(InvalidUpload):
        store.receive(io.BytesIO(DATA), max_bytes=len(DATA) - 1)


def test_the_limit_is_shown_in_megabytes(store: FileStore) -> None:
    with pytest.raises(InvalidUpload, match=r"larger than 55 MB"):
        store.receive(EndlessStream(), max_bytes=55 * 1024 * 1024)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_a_full_disk_raises_storage_full_and_leaves_nothing(
        store: FileStore, monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    def full(fd: int, data: object) -> int:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(storage.os, "write", full)
    with pytest.raises(StorageFull):
        store.receive(io.BytesIO(DATA), max_bytes=10_000)
    assert temp_files(store) == []


def test_other_os_errors_are_not_disguised_as_a_full_disk(
        store: FileStore, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(fd: int, data: object) -> int:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(storage.os, "write", broken)
    with pytest.raises(OSError) as raised:
        store.receive(io.BytesIO(DATA), max_bytes=10_000)
    assert raised.value.errno == errno.EIO and not isinstance(raised.value, StorageFull)
    assert temp_files(store) == []


def test_a_full_disk_while_keeping_removes_the_temp_file(
        store: FileStore, monkeypatch: pytest.MonkeyPatch) -> None:
    received = store.receive(io.BytesIO(DATA), max_bytes=10_000)

    def full(source: object, target: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage.os, "replace", full)
    with pytest.raises(StorageFull):
        store.keep(received)
    assert not received.path.exists() and not store.exists(SHA)


def test_a_client_that_goes_away_leaves_nothing(store: FileStore) -> None:
    with pytest.raises(ConnectionResetError):
        store.receive(BrokenStream(), max_bytes=10_000)
    assert temp_files(store) == []


def test_discard_removes_the_received_file(store: FileStore) -> None:
    received = store.receive(io.BytesIO(DATA), max_bytes=10_000)
    store.discard(received)
    assert not received.path.exists() and not store.exists(SHA)


def test_only_files_received_by_the_store_can_be_kept(store: FileStore, tmp_path: Path) -> None:
    elsewhere = tmp_path / "etc-passwd"
    elsewhere.write_bytes(DATA)
    with pytest.raises(ValueError):
        store.keep(ReceivedFile(elsewhere, SHA, len(DATA)))
    assert elsewhere.exists()


@pytest.mark.parametrize("bad", [
    "", "abc", SHA.upper(), SHA[:-1], SHA + "0", "../" + SHA[3:], SHA[:-1] + "g",
    "/etc/passwd", SHA[:32] + "/" + SHA[33:],
])
def test_path_accepts_only_lowercase_hex_hashes(store: FileStore, bad: str) -> None:
    with pytest.raises(ValueError):
        store.path(bad)
    with pytest.raises(ValueError):
        store.derived_path(bad, "thumb.png")


def test_put_bytes_stores_derived_content(store: FileStore) -> None:
    blob = store.put_bytes(b"thumbnail bytes")
    assert blob == StoredBlob(hashlib.sha256(b"thumbnail bytes").hexdigest(), 15)
    assert store.path(blob.sha256).read_bytes() == b"thumbnail bytes"


def test_derived_files_have_names_from_an_allow_list(store: FileStore) -> None:
    assert store.derived_path(SHA, "thumb.png") == (
        store.root / "derived" / SHA[:2] / SHA / "thumb.png")
    for name in ("../thumb.png", "thumb.PNG", "evil.html", "", "thumb.png/..", "text.txt\x00"):
        with pytest.raises(ValueError):
            store.derived_path(SHA, name)


def test_write_derived_is_atomic_and_leaves_no_temp_files(store: FileStore) -> None:
    target = store.write_derived(SHA, "text.txt", b"tekst")
    assert target.read_bytes() == b"tekst"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    store.write_derived(SHA, "text.txt", b"nieuw")
    assert sorted(p.name for p in target.parent.iterdir()) == ["text.txt"]
    assert target.read_bytes() == b"nieuw"


def test_unreferenced_lists_blobs_nobody_points_at(store: FileStore) -> None:
    kept = [store.put_bytes(bytes([i]) * 10).sha256 for i in range(4)]
    store.write_derived(kept[0], "thumb.png", b"png")
    store.receive(io.BytesIO(b"half an upload"), max_bytes=100)  # a temp file is not a blob
    assert list(store.unreferenced(set(kept[:2]))) == sorted(kept[2:])
    assert list(store.unreferenced(set(kept))) == []


def test_unreferenced_on_an_empty_store_is_empty(store: FileStore) -> None:
    assert list(store.unreferenced(set())) == []


def test_stale_temp_files_are_removed(store: FileStore) -> None:
    old = store.receive(io.BytesIO(b"old"), max_bytes=10)
    new = store.receive(io.BytesIO(b"new"), max_bytes=10)
    os.utime(old.path, (1_000_000, 1_000_000))
    assert store.remove_stale_temp_files(older_than_seconds=3600) == 1
    assert not old.path.exists() and new.path.exists()


def test_delete_removes_the_blob_and_what_was_derived_from_it(store: FileStore) -> None:
    blob = store.put_bytes(DATA)
    thumb = store.write_derived(blob.sha256, "thumb.png", b"png")
    store.delete(blob.sha256)
    assert not store.exists(blob.sha256) and not thumb.exists()


def test_file_store_uses_the_configured_directory(tmp_path: Path) -> None:
    app = Flask(__name__)
    app.config["STORAGE_DIR"] = str(tmp_path / "configured")
    with app.app_context():
        assert file_store().root == tmp_path / "configured"


def test_keeping_content_already_stored_makes_the_blob_fresh(store: FileStore) -> None:
    """The blob's modification time is the garbage collection's clock: storing the same
    bytes again restarts it, so a re-used blob is not collected under its new upload."""
    blob = store.put_bytes(DATA)
    os.utime(store.path(blob.sha256), (1_000_000, 1_000_000))
    store.put_bytes(DATA)
    assert store.modified_at(blob.sha256) > 1_000_000


def test_a_buried_blob_can_be_restored_or_deleted_with_its_derived_files(
        store: FileStore) -> None:
    blob = store.put_bytes(DATA)
    thumb = store.write_derived(blob.sha256, "thumb.png", b"png")
    tomb = store.bury(blob.sha256)
    assert tomb is not None and not store.exists(blob.sha256)
    store.put_bytes(DATA)  # an upload of the same bytes meanwhile stores its own copy
    store.restore(tomb, blob.sha256)
    assert store.path(blob.sha256).read_bytes() == DATA
    tomb = store.bury(blob.sha256)
    assert store.bury(blob.sha256) is None  # gone already
    store.delete_buried(tomb, blob.sha256)
    assert not tomb.exists() and not thumb.exists() and not store.exists(blob.sha256)


def test_a_blob_buried_just_now_is_not_a_stale_temp_file(store: FileStore) -> None:
    blob = store.put_bytes(DATA)
    os.utime(store.path(blob.sha256), (1_000_000, 1_000_000))
    tomb = store.bury(blob.sha256)
    assert store.stale_temp_files(older_than_seconds=3600) == []
    assert tomb is not None and tomb.exists()
