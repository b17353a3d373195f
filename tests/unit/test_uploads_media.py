"""Audio and video uploads: real recordings, and the same files cut off or broken.

The files in ``media/`` are real encoder output (``media/make.sh`` makes them again with
ffmpeg), so these tests prove what the hand-built samples in ``tests/fixtures`` cannot: that
the container walks accept what encoders actually write (Xing frames, MPEG-2.5, Opus, Speex,
FLAC and VP8 in Ogg, video-only MP4) and refuse their close relatives (Matroska, QuickTime,
AVI, MPEG Layer II, bare FLAC).  The structure tests below them build the one broken detail
each refusal is about, on top of a file that would otherwise be accepted.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from oer_portal.core.errors import InvalidUpload
from oer_portal.materials.uploads import ALLOWED, InspectedFile, inspect_upload
from tests.fixtures import samples

MEDIA = Path(__file__).with_name("media")


def received(tmp_path: Path, data: bytes, name: str) -> InspectedFile:
    """Inspect ``data`` written to a file named like the store names it (no user name)."""
    path = tmp_path / "received"
    path.write_bytes(data)
    return inspect_upload(path, name)


def refusal(tmp_path: Path, data: bytes, name: str) -> str:
    with pytest.raises(InvalidUpload) as error:
        received(tmp_path, data, name)
    return error.value.message


def recording(file_name: str) -> bytes:
    return (MEDIA / file_name).read_bytes()


# -- real recordings -------------------------------------------------------------------------------

RECORDINGS = [
    ("lied.mp3", "audio/mpeg"),
    ("lied-mpeg2.mp3", "audio/mpeg"),
    ("lied-mpeg25.mp3", "audio/mpeg"),
    ("lied.ogg", "audio/ogg"),
    ("lied.opus", "audio/ogg"),
    ("lied.spx", "audio/ogg"),
    ("lied-flac.oga", "audio/ogg"),
    ("lied.wav", "audio/wav"),
    ("lied.m4a", "audio/mp4"),
    ("film.mp4", "video/mp4"),
    ("stil.mp4", "video/mp4"),
    ("film.ogv", "video/ogg"),
    ("film-vp8.ogv", "video/ogg"),
    ("film.webm", "video/webm"),
]


@pytest.mark.parametrize(("file_name", "media_type"), RECORDINGS)
def test_real_recordings_are_accepted_as_what_they_are(tmp_path, file_name, media_type) -> None:
    inspected = received(tmp_path, recording(file_name), file_name)
    assert inspected.media_type == media_type
    assert inspected.category == ALLOWED[media_type].category


@pytest.mark.parametrize(("file_name", "media_type"), RECORDINGS)
def test_a_recording_under_a_lying_name_is_still_what_it_is(tmp_path, file_name,
                                                             media_type) -> None:
    inspected = received(tmp_path, recording(file_name), "werkblad.pdf")
    assert inspected.media_type == media_type
    assert inspected.display_name == "werkblad" + ALLOWED[media_type].extension


@pytest.mark.parametrize(("file_name", "lying_name"), [
    ("film.mkv", "film.webm"),
    ("film.mov", "film.mp4"),
    ("film.avi", "film.mp4"),
    ("lied.mp2", "lied.mp3"),
    ("lied.flac", "lied.ogg"),
])
def test_real_relatives_of_accepted_formats_are_refused_with_advice(tmp_path, file_name,
                                                                    lying_name) -> None:
    data = recording(file_name)
    for name in (file_name, lying_name):
        assert "MP3, OGG, WAV" in refusal(tmp_path, data, name)


# -- cut off ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("file_name", ["film.mp4", "stil.mp4", "lied.m4a"])
@pytest.mark.parametrize("kept", [200, 0.5])
def test_a_cut_off_mp4_is_refused_as_damaged(tmp_path, file_name, kept) -> None:
    # Every MP4 box states its size, so a cut leaves a box running past the end of the file.
    data = recording(file_name)
    data = data[:int(len(data) * kept) if isinstance(kept, float) else kept]
    message = refusal(tmp_path, data, file_name)
    assert "damaged" in message and "MP4" in message


@pytest.mark.parametrize("file_name", ["lied.mp3", "lied-mpeg2.mp3", "lied-mpeg25.mp3"])
def test_an_mp3_cut_inside_its_first_frame_is_refused(tmp_path, file_name) -> None:
    assert "audio or video" in refusal(tmp_path, recording(file_name)[:200], file_name)


@pytest.mark.parametrize(("file_name", "kept", "kind"), [
    ("lied.ogg", 20, "Ogg"),
    ("film.ogv", 20, "Ogg"),
    ("film.webm", 20, "WebM"),
    ("lied.wav", 30, "WAV"),
])
def test_a_file_cut_inside_its_header_is_refused_as_damaged(tmp_path, file_name, kept,
                                                            kind) -> None:
    message = refusal(tmp_path, recording(file_name)[:kept], file_name)
    assert "damaged" in message and kind in message


@pytest.mark.parametrize(("file_name", "media_type"), [
    ("lied.mp3", "audio/mpeg"),
    ("lied.ogg", "audio/ogg"),
    ("lied.opus", "audio/ogg"),
    ("film.ogv", "video/ogg"),
    ("film.webm", "video/webm"),
    ("lied.wav", "audio/wav"),
])
def test_a_file_cut_after_its_headers_keeps_its_type(tmp_path, file_name, media_type) -> None:
    # What is proven is the container and its streams, not that every packet arrived: a
    # player plays such a file up to the cut.  (mutagen refuses half a Vorbis file here but
    # accepts half an Opus one.)
    data = recording(file_name)
    assert received(tmp_path, data[:len(data) // 2], file_name).media_type == media_type


# -- WAV structure ---------------------------------------------------------------------------------

def riff_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack("<4sI", kind, len(payload)) + payload + b"\x00" * (len(payload) & 1)


def test_a_wav_may_hold_other_chunks_before_its_format(tmp_path) -> None:
    wav = samples.wav_bytes()
    data = wav[:12] + riff_chunk(b"LIST", b"INFOISFT\x05\x00\x00\x00Les\x00\x00") + wav[12:]
    assert received(tmp_path, data, "lied.wav").media_type == "audio/wav"


def test_a_wav_with_a_short_format_chunk_is_refused(tmp_path) -> None:
    data = b"RIFF\x30\x00\x00\x00WAVE" + riff_chunk(b"fmt ", bytes(14)) + riff_chunk(b"data",
                                                                                   bytes(8))
    assert "damaged" in refusal(tmp_path, data, "lied.wav")


def test_a_wav_whose_first_chunk_runs_past_the_end_is_refused(tmp_path) -> None:
    data = b"RIFF\x30\x00\x00\x00WAVE" + struct.pack("<4sI", b"LIST", 10_000) + bytes(40)
    assert "damaged" in refusal(tmp_path, data, "lied.wav")


# -- Ogg structure ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("first_packet", "media_type"), [
    (b"OpusHead" + bytes(11), "audio/ogg"),
    (b"\x7fFLAC\x01\x00\x00\x01" + bytes(20), "audio/ogg"),
    (b"Speex   " + bytes(72), "audio/ogg"),
    (b"OVP80\x01\x01\x00" + bytes(18), "video/ogg"),
    (b"BBCD\x00" + bytes(20), "video/ogg"),
])
def test_each_ogg_codec_decides_audio_or_video(tmp_path, first_packet, media_type) -> None:
    assert received(tmp_path, samples.ogg_bytes(first_packet), "x.ogg").media_type == media_type


def test_a_video_stream_after_an_audio_stream_makes_an_ogv(tmp_path) -> None:
    data = samples.ogg_bytes(samples.VORBIS_ID, samples.THEORA_ID)
    assert received(tmp_path, data, "film.ogg").media_type == "video/ogg"


def test_an_ogg_that_does_not_begin_a_stream_is_refused(tmp_path) -> None:
    data = samples.ogg_page(samples.VORBIS_ID, 1, beginning=False)
    assert "damaged" in refusal(tmp_path, data, "lied.ogg")


def test_an_ogg_page_of_an_unknown_version_is_refused(tmp_path) -> None:
    page = bytearray(samples.ogg_bytes(samples.VORBIS_ID))
    page[4] = 1  # stream structure version: only 0 exists
    assert "damaged" in refusal(tmp_path, bytes(page), "lied.ogg")


# -- MP4 structure ---------------------------------------------------------------------------------

def test_an_mp4_box_with_a_64_bit_size_is_read(tmp_path) -> None:
    payload = bytes(64)
    large_mdat = struct.pack(">I4sQ", 1, b"mdat", 16 + len(payload)) + payload
    data = samples.mp4_bytes([b"vide"])[:-72] + large_mdat
    assert received(tmp_path, data, "film.mp4").media_type == "video/mp4"


def test_a_last_mp4_box_of_size_zero_runs_to_the_end(tmp_path) -> None:
    data = samples.mp4_bytes([b"soun"], brand=b"M4A ")[:-72] + b"\x00\x00\x00\x00mdat" + bytes(64)
    assert received(tmp_path, data, "lied.m4a").media_type == "audio/mp4"


def test_an_mp4_made_of_too_many_boxes_is_refused(tmp_path) -> None:
    ftyp, rest = samples.mp4_bytes([b"vide"])[:24], samples.mp4_bytes([b"vide"])[24:]
    data = ftyp + samples.box(b"free", b"") * 10_001 + rest
    assert "damaged" in refusal(tmp_path, data, "film.mp4")
    # The same file with a few boxes less is fine: only the count refuses it.
    data = ftyp + samples.box(b"free", b"") * 100 + rest
    assert received(tmp_path, data, "film.mp4").media_type == "video/mp4"


def test_an_mp4_whose_type_box_names_no_brand_is_refused(tmp_path) -> None:
    data = samples.box(b"ftyp", b"isom") + samples.mp4_bytes([b"vide"])[24:]
    assert "damaged" in refusal(tmp_path, data, "film.mp4")


# -- WebM structure --------------------------------------------------------------------------------

def test_webm_with_a_malformed_ebml_number_is_refused(tmp_path) -> None:
    # A size may take 1 to 8 bytes; this one is written in 9 (a first byte without any
    # length marker), though its value would fit the header that follows.
    data = samples.webm_bytes()
    header_size = data[4] & 0x7F
    data = data[:4] + b"\x00" + bytes(7) + bytes((header_size,)) + data[5:]
    assert "damaged" in refusal(tmp_path, data, "film.webm")


def test_webm_whose_header_claims_more_than_the_file_holds_is_refused(tmp_path) -> None:
    data = samples.webm_bytes()
    data = data[:4] + b"\x01\x00\x00\x00\x00\x01\x00\x00" + data[5:]  # 8-byte size: 64 kB
    assert "damaged" in refusal(tmp_path, data, "film.webm")


def test_webm_without_a_segment_after_its_header_is_refused(tmp_path) -> None:
    data = samples.webm_bytes().replace(b"\x18\x53\x80\x67", b"\x1f\x43\xb6\x75")  # a Cluster
    assert "damaged" in refusal(tmp_path, data, "film.webm")


# -- MP3 structure ---------------------------------------------------------------------------------

def test_a_single_mp3_frame_that_ends_the_file_is_audio(tmp_path) -> None:
    assert received(tmp_path, samples.mp3_bytes(frames=1), "kort.mp3").media_type == "audio/mpeg"


def test_a_single_mp3_frame_before_an_id3v1_tag_is_audio(tmp_path) -> None:
    data = samples.mp3_bytes(frames=1) + b"TAG" + bytes(125)
    assert received(tmp_path, data, "kort.mp3").media_type == "audio/mpeg"


def test_a_single_mp3_frame_followed_by_anything_else_is_refused(tmp_path) -> None:
    data = samples.mp3_bytes(frames=1) + b"<html><body>" + bytes(500)
    assert "audio or video" in refusal(tmp_path, data, "lied.mp3")
