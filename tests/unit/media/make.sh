#!/bin/sh
# Makes the real audio and video files that tests/unit/test_uploads_media.py inspects.
# They are kept in the repository, so the tests need no encoder; run this (with ffmpeg
# installed) only to make them again.  Tiny on purpose: a quarter second of a sine tone,
# a few frames of a 32x24 test picture, no metadata.
set -eu
cd "$(dirname "$0")"
tone() { ffmpeg -hide_banner -loglevel error -y -f lavfi \
    -i sine=frequency=440:sample_rate=8000:duration=0.25 -map_metadata -1 -bitexact "$@"; }
film() { ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc=size=32x24:rate=5:duration=0.4 \
    -f lavfi -i sine=frequency=440:sample_rate=8000:duration=0.4 -map_metadata -1 -bitexact "$@"; }
# accepted
tone -c:a libmp3lame -ar 44100 -b:a 32k lied.mp3           # MPEG-1 Layer III, Xing frame
tone -c:a libmp3lame -ar 22050 -b:a 8k lied-mpeg2.mp3      # MPEG-2 Layer III
tone -c:a libmp3lame -ar 8000 -b:a 8k lied-mpeg25.mp3      # MPEG-2.5 Layer III
tone -c:a libvorbis lied.ogg
tone -c:a libopus -b:a 6k lied.opus
tone -c:a libspeex lied.spx
tone -c:a flac -f ogg lied-flac.oga
tone -c:a pcm_u8 lied.wav
tone -c:a aac -b:a 8k lied.m4a
film -c:v libx264 -crf 51 -c:a aac -b:a 8k -shortest film.mp4
film -map 0:v -c:v libx264 -crf 51 stil.mp4                # video without sound
film -c:v libtheora -q:v 0 -c:a libvorbis -shortest film.ogv
film -map 0:v -c:v libvpx -b:v 20k -f ogg film-vp8.ogv
film -c:v libvpx-vp9 -b:v 20k -c:a libopus -b:a 6k -shortest film.webm
# refused
film -c:v libx264 -crf 51 -c:a aac -b:a 8k -shortest film.mkv
film -c:v libx264 -crf 51 -c:a aac -b:a 8k -shortest film.mov
film -map 0:v -c:v mpeg4 -f avi film.avi
tone -c:a mp2 -ar 16000 lied.mp2                           # MPEG-1 Layer II
tone -c:a flac lied.flac
