"""The safe archive reader (``core/archives.py``): every cap and every unsafe name is refused
with a message naming the problem, and no name it accepts could leave a folder."""

from __future__ import annotations

import io
import os
import posixpath
import struct
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oer_portal.core.archives import ArchiveLimits, ArchiveRefused, name_problem, open_archive
from tests.fixtures.cartridges import raw_zip, symlink


def _refusal(data: bytes, limits: ArchiveLimits | None = None) -> str:
    with pytest.raises(ArchiveRefused) as refused:
        open_archive(io.BytesIO(data), limits or ArchiveLimits())
    return refused.value.message


def test_a_safe_archive_is_read_in_memory_by_name() -> None:
    data = raw_zip([("imsmanifest.xml", b"<m/>"), ("dir/", b""), ("dir/a.txt", b"hallo")])
    with open_archive(io.BytesIO(data)) as archive:
        assert archive.names == ["imsmanifest.xml", "dir/a.txt"]  # directories left out
        assert archive.read("dir/a.txt") == b"hallo"
        assert "dir/a.txt" in archive and "a.txt" not in archive
        with archive.open("dir/a.txt") as stream:
            assert stream.read() == b"hallo"
        with pytest.raises(KeyError):
            archive.read("../dir/a.txt")


@pytest.mark.parametrize(("name", "words"), [
    ("/etc/passwd", "an absolute path (“/etc/passwd”)"),
    ("a/../../x", "climbs out of its folder with .. (“a/../../x”)"),
    ("..", "climbs out of its folder"),
    ("a\\..\\x", "uses a backslash (“a\\..\\x”)"),
    ("C:/Windows/x", "a drive letter in its path (“C:/Windows/x”)"),
    ("c:x", "a drive letter"),
    ("tab\there", "control characters (“tab?here”)"),
    ("./a", "an empty or . step in its path (“./a”)"),
    ("a//b", "an empty or . step"),
])
def test_an_unsafe_member_name_is_refused_by_name(name: str, words: str) -> None:
    assert words in _refusal(raw_zip([("ok.txt", b"x"), (name, b"x")]))


def test_a_symbolic_link_a_duplicate_and_an_encrypted_member_are_refused() -> None:
    assert "symbolic link (“l”)" in _refusal(raw_zip([symlink("l")]))
    assert "two files named “a”" in _refusal(raw_zip([("a", b"1"), ("a", b"2")]))
    data = bytearray(raw_zip([("secret.txt", b"x")], compression=zipfile.ZIP_STORED))
    for marker in (b"PK\x03\x04", b"PK\x01\x02"):  # set the "encrypted" bit in both headers
        at = data.find(marker)
        offset = at + (6 if marker == b"PK\x03\x04" else 8)
        flags = struct.unpack_from("<H", data, offset)[0] | 0x1
        struct.pack_into("<H", data, offset, flags)
    assert "“secret.txt” in the archive is encrypted" in _refusal(bytes(data))


def test_too_many_entries_are_refused_from_the_directory_record() -> None:
    data = raw_zip([(f"f{i}", b"") for i in range(6)])
    assert _refusal(data, ArchiveLimits(max_entries=5)) == "The archive holds more than 5 files."
    with open_archive(io.BytesIO(data), ArchiveLimits(max_entries=6)) as archive:
        assert len(archive.names) == 6


def test_expanded_bytes_per_file_and_in_all_are_capped() -> None:
    data = raw_zip([("a", os.urandom(3000)), ("b", os.urandom(3000))],
                   compression=zipfile.ZIP_STORED)
    assert _refusal(data, ArchiveLimits(max_file_bytes=2048)) == \
        "The file “a” in the archive would take more than 2 kB unpacked."
    assert _refusal(data, ArchiveLimits(max_expanded_bytes=5 * 1024)) == \
        "Unpacked, the archive would take more than 5 kB."


def test_a_zip_bomb_is_refused_by_its_packing_ratio() -> None:
    bomb = raw_zip([("zeros", bytes(2 * 1024 * 1024))])
    assert "“zeros” in the archive is packed so tightly" in _refusal(bomb)
    # Many small tight members add up to a bomb as a whole.
    many = raw_zip([(f"z{i}", bytes(512 * 1024)) for i in range(4)])
    assert "The archive is packed so tightly" in _refusal(
        many, ArchiveLimits(max_ratio=100, ratio_applies_above=1024 * 1024))
    # Plain text of the same size is not a bomb.
    text = os.urandom(1024 * 1024).hex().encode()
    with open_archive(io.BytesIO(raw_zip([("t", text)]))) as archive:
        assert archive.size("t") == len(text)


def test_what_is_not_a_zip_archive_is_refused() -> None:
    assert _refusal(b"hello") == "This file is not a readable ZIP archive."
    data = raw_zip([("a", b"x")])
    assert _refusal(data[:-10]) == "This file is not a readable ZIP archive."


_NAME_PARTS = st.sampled_from(["a", "b.txt", "..", ".", "", "/", "\\", "C:", "x:",
                               "\t", "é", " ", "...", "..a", "a.."])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_NAME_PARTS, min_size=1, max_size=6).map("".join),
                min_size=1, max_size=5))
def test_no_accepted_member_name_can_escape_a_folder(names: list[str]) -> None:
    """Whatever names an archive holds, every name the reader accepts stays inside any
    folder it were joined to, and a refusal is always ``ArchiveRefused``."""
    data = raw_zip([(name, b"x") for name in names if name])
    try:
        archive = open_archive(io.BytesIO(data))
    except ArchiveRefused:
        return
    with archive:
        for name in archive.names:
            assert name_problem(name) is None
            joined = posixpath.normpath(posixpath.join("/base/folder", name))
            assert joined.startswith("/base/folder/"), name
            assert "\\" not in name and "\x00" not in name
            assert not (len(name) > 1 and name[0].isascii() and name[0].isalpha()
                        and name[1] == ":"), name  # no drive letter
