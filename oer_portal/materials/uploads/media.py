"""Audio and video: each container is walked far enough to prove what it is and what it holds.

Small parsers read the container structure (MP3 frames, Ogg pages, RIFF chunks, MP4 boxes,
the WebM EBML header); no stream is decoded: playing is the browser's work, and the question
here is only whether the file is the container it claims and whether that container is on
the allow-list.  Containers that can hold video are told apart by their streams (an Ogg
with a Theora stream is OGV, an MP4 with a video track is MP4, one with only sound is M4A);
close relatives that browsers do not all play (Matroska, QuickTime; HEIF photos as images)
are refused with advice.

mutagen (a tag library) was tried in place of these parsers and does not prove the same:
it has no WebM and no VP8 in Ogg, does not check MP4 brands or tell video from sound
tracks, accepts MP4 files of any number of boxes, MPEG Layer II as MP3 and an MP3 cut
inside its first frame, and refuses a cut-off Vorbis file while accepting a cut-off Opus one.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import BinaryIO

from oer_portal.core.errors import InvalidUpload
from oer_portal.materials.uploads.allowlist import M4A, MP4, OGG, OGV, FileType
from oer_portal.materials.uploads.messages import (
    MSG_OTHER_AUDIO_VIDEO,
    MSG_OTHER_IMAGE,
    refuse,
    refuse_broken,
)


def check_wav(head: bytes) -> None:
    """A RIFF/WAVE file must have a format chunk before its data."""
    position = 12
    while position + 8 <= len(head):
        chunk_id, chunk_size = struct.unpack_from("<4sI", head, position)
        if chunk_id == b"fmt ":
            if chunk_size >= 16 and position + 24 <= len(head):
                return
            break
        if chunk_id == b"data":
            break
        position += 8 + chunk_size + (chunk_size & 1)
    refuse_broken("WAV")


_OGG_AUDIO = (b"\x01vorbis", b"OpusHead", b"\x7fFLAC", b"Speex   ")
_OGG_VIDEO = (b"\x80theora", b"OVP80", b"BBCD\x00")


def inspect_ogg(head: bytes) -> FileType:
    """Read the beginning-of-stream pages: any video stream makes it OGV, else audio OGG."""
    codecs_found: list[str] = []
    position = 0
    while position + 27 <= len(head) and head[position:position + 4] == b"OggS":
        version, flags = head[position + 4], head[position + 5]
        segments = head[position + 26]
        data_start = position + 27 + segments
        lacing = head[position + 27:data_start]
        if version != 0 or len(lacing) < segments or not flags & 0x02:
            break  # not a beginning-of-stream page: the headers are over
        packet = head[data_start:data_start + 8]
        if packet.startswith(_OGG_VIDEO):
            codecs_found.append("video")
        elif packet.startswith(_OGG_AUDIO):
            codecs_found.append("audio")
        else:
            codecs_found.append("other")
        position = data_start + sum(lacing)
    if "video" in codecs_found:
        return OGV
    if "audio" in codecs_found:
        return OGG
    if codecs_found:
        refuse(MSG_OTHER_AUDIO_VIDEO)
    refuse_broken("Ogg")


_MP4_BRANDS = frozenset({b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7",
                         b"iso8", b"iso9", b"mp41", b"mp42", b"mp71", b"avc1", b"M4A ",
                         b"M4B ", b"M4V ", b"M4VH", b"M4VP", b"dash", b"MSNV", b"f4v ", b"NDAS"})
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1",
                          b"msf1", b"avif", b"avis"})
#: A real file has a few dozen boxes on the paths we walk; this stops a file made of millions.
_MAX_BOXES = 10_000


class _BoxWalker:
    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.seen = 0

    def boxes(self, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
        """(type, payload start, box end) for each ISO-BMFF box between ``start`` and ``end``."""
        position = start
        while position + 8 <= end:
            self.seen += 1
            if self.seen > _MAX_BOXES:
                raise ValueError("too many boxes")
            self.handle.seek(position)
            header = self.handle.read(16)
            box_size, box_type = struct.unpack_from(">I4s", header)
            header_size = 8
            if box_size == 1:
                (box_size,) = struct.unpack_from(">Q", header, 8)
                header_size = 16
            elif box_size == 0:
                box_size = end - position
            if box_size < header_size or position + box_size > end:
                raise ValueError("box overruns its parent")
            yield box_type, position + header_size, position + box_size
            position += box_size


def inspect_iso_media(handle: BinaryIO, size: int) -> FileType:
    """MP4 or M4A: the brand must be an MP4 one, and a track handler says video or sound."""
    walker = _BoxWalker(handle)
    try:
        top = list(walker.boxes(0, size))
        if not top or top[0][0] != b"ftyp" or top[0][2] - top[0][1] < 8:
            raise ValueError("no ftyp box")
        handle.seek(top[0][1])
        payload = handle.read(min(top[0][2] - top[0][1], 1024))
        brands = {payload[:4]} | {payload[i:i + 4] for i in range(8, len(payload) - 3, 4)}
        if not brands & _MP4_BRANDS:
            refuse(MSG_OTHER_IMAGE if brands & _HEIF_BRANDS else MSG_OTHER_AUDIO_VIDEO)
        handlers = set()
        for box_type, start, end in top:
            if box_type != b"moov":
                continue
            for trak_type, trak_start, trak_end in walker.boxes(start, end):
                if trak_type != b"trak":
                    continue
                for mdia_type, mdia_start, mdia_end in walker.boxes(trak_start, trak_end):
                    if mdia_type != b"mdia":
                        continue
                    for hdlr_type, hdlr_start, hdlr_end in walker.boxes(mdia_start, mdia_end):
                        if hdlr_type == b"hdlr" and hdlr_end - hdlr_start >= 12:
                            handle.seek(hdlr_start + 8)
                            handlers.add(handle.read(4))
    except InvalidUpload:
        raise
    except (ValueError, struct.error, OSError):
        refuse_broken("MP4")
    if b"vide" in handlers:
        return MP4
    if b"soun" in handlers:
        return M4A
    refuse_broken("MP4")


def _read_vint(data: bytes, position: int, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer at ``position``: (value, position after it)."""
    first = data[position]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8 or position + length > len(data):
        raise ValueError("bad EBML number")
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[position + 1:position + length]:
        value = (value << 8) | byte
    return value, position + length


def check_webm(head: bytes) -> None:
    """The EBML header must name the document type ``webm`` (not Matroska), then a Segment."""
    try:
        _, position = _read_vint(head, 0, keep_marker=True)
        header_size, position = _read_vint(head, position, keep_marker=False)
        header_end = position + header_size
        if header_end > len(head):
            raise ValueError("EBML header too long")
        doc_type = b""
        while position < header_end:
            element_id, position = _read_vint(head, position, keep_marker=True)
            element_size, position = _read_vint(head, position, keep_marker=False)
            if element_id == 0x4282:
                doc_type = head[position:position + element_size].rstrip(b"\x00")
            position += element_size
        segment_id = _read_vint(head, header_end, keep_marker=True)[0]
    except (ValueError, IndexError):
        refuse_broken("WebM")
    if doc_type != b"webm":
        refuse(MSG_OTHER_AUDIO_VIDEO)
    if segment_id != 0x18538067:
        refuse_broken("WebM")


_MPEG1_L3_KBPS = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MPEG2_L3_KBPS = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_MP3_SEARCH = 8 * 1024


def mpeg_frame_length(data: bytes, position: int) -> int:
    """The length of the MPEG audio Layer III frame starting at ``position``, or 0 if none."""
    if position + 4 > len(data):
        return 0
    b0, b1, b2 = data[position], data[position + 1], data[position + 2]
    version, layer = (b1 >> 3) & 0x03, (b1 >> 1) & 0x03
    bitrate_index, rate_index = b2 >> 4, (b2 >> 2) & 0x03
    if b0 != 0xFF or b1 & 0xE0 != 0xE0 or version == 1 or layer != 1:
        return 0
    if bitrate_index in (0, 15) or rate_index == 3:
        return 0
    padding = (b2 >> 1) & 0x01
    sample_rate = _SAMPLE_RATES[version][rate_index]
    if version == 3:
        return 144_000 * _MPEG1_L3_KBPS[bitrate_index] // sample_rate + padding
    return 72_000 * _MPEG2_L3_KBPS[bitrate_index] // sample_rate + padding


def check_mp3(handle: BinaryIO, head: bytes, size: int) -> None:
    """After any ID3v2 tag, two Layer III frames must follow one another (or one, then the end)."""
    start = 0
    if head.startswith(b"ID3") and len(head) >= 10:
        tag_size = 0
        for byte in head[6:10]:
            tag_size = (tag_size << 7) | (byte & 0x7F)
        start = 10 + tag_size + (10 if head[5] & 0x10 else 0)
    handle.seek(start)
    data = handle.read(_MP3_SEARCH + 2 * 1441 + 4)
    for offset in range(min(_MP3_SEARCH, len(data))):
        length = mpeg_frame_length(data, offset)
        if not length:
            continue
        following = offset + length
        if mpeg_frame_length(data, following) or start + following == size \
                or data[following:following + 3] == b"TAG":
            return
    refuse(MSG_OTHER_AUDIO_VIDEO)
