"""Pure parts of the stream checks and reference screening: ffmpeg's text, box walking, XML windows."""

from __future__ import annotations

import struct

import pytest

from avpipe.analysis.facts import AudioTrack, MediaFacts, VideoTrack
from avpipe.analysis.guard import XML_WINDOW, refuse_xml_references
from avpipe.analysis.isobmff import refuse_external_references
from avpipe.analysis.streams import StreamFacts, _PacketEnds, parse_head, reconcile
from avpipe.errors import UnsupportedMediaError

# ffmpeg 5.1 (Debian 12) writes showinfo with pos: and without cl:/duration:
HEAD_51 = """Input #0, mpegts, from 'in.ts':
  Duration: 00:00:00.70, start: 11.376778, bitrate: 848 kb/s
  Program 1
  Stream #0:0[0x100]: Video: h264 (High) ([27][0][0][0] / 0x001B), yuv420p(progressive), 320x240 [SAR 1:1 \
DAR 4:3], 25 fps, 25 tbr, 90k tbn
  Stream #0:1[0x101]: Audio: aac (LC) ([15][0][0][0] / 0x000F), 48000 Hz, mono, fltp, 69 kb/s
[Parsed_showinfo_0 @ 0x55d] n:   0 pts:1026000 pts_time:11.4    pos:    22748 fmt:yuv420p sar:1/1 s:320x240 \
i:P iskey:1 type:I checksum:ABC
"""
COVER_ONLY = """Input #0, mp3, from 'a.mp3':
  Duration: 00:00:02.04, start: 0.025057, bitrate: 73 kb/s
  Stream #0:0: Audio: mp3 (mp3float), 44100 Hz, stereo, fltp, 64 kb/s
  Stream #0:1: Video: mjpeg (Baseline), yuvj420p(pc), 64x64 [SAR 1:1 DAR 1:1], 90k tbr, 90k tbn (attached pic)
[Parsed_showinfo_0 @ 0x7f] n:   0 pts:      0 pts_time:0       duration:      0 fmt:yuvj420p cl:center sar:1/1 s:64x64
"""


def test_the_head_gives_the_decoded_size_timestamps_and_rate() -> None:
    facts = parse_head(HEAD_51)
    assert facts.opened and facts.start_s == 11.376778 and facts.video_start_s == 11.4
    assert (facts.video_codec, facts.width, facts.height, facts.frame_rate) == ("h264", 320, 240, 25.0)


def test_a_cover_picture_is_no_video_stream_and_an_unread_file_is_not_opened() -> None:
    facts = parse_head(COVER_ONLY)
    assert facts.opened and facts.video_codec is None and facts.width is None and facts.video_start_s is None
    assert not parse_head("in.mid: Invalid data found when processing input\n").opened


def test_packet_ends_per_kind_from_frame_crcs() -> None:
    ends = _PacketEnds()
    for line in ["#tb 0: 1/1000", "#media_type 0: video", "#tb 1: 1/48000", "#media_type 1: audio",
                 "0,          0,          0,      100,      618, 0x1ea5d1e0",
                 "1,      46976,      46976,     1024,      173, 0xa65e4d4a",
                 "0,  100000000,  100000000,      100,       10, 0x07690269, F=0x0"]:
        ends.feed(line + "\n")
    assert ends.ends() == {"video": 100000.1, "audio": pytest.approx(1.0)}


DECLARED = MediaFacts("Matroska", 1000, 1.0, video=VideoTrack("AVC", 32, 24, frame_rate=10.0))


def test_reconcile_takes_the_decoded_size_and_the_packets_duration() -> None:
    streams = StreamFacts(opened=True, start_s=0.0, width=320, height=240, video_start_s=0.0,
                          ends={"video": 100000.1})
    checked = reconcile(DECLARED, streams)
    assert checked.video is not None and (checked.video.width, checked.video.height) == (320, 240)
    assert checked.duration_s == 100000.1 and checked.video.duration_s == 100000.1


def test_a_timestamp_jump_in_an_mpeg_ts_is_not_its_length() -> None:
    ts = MediaFacts("MPEG-TS", 1000, 600.0, video=VideoTrack("AVC", 320, 240))
    jumped = StreamFacts(opened=True, start_s=1.4, width=320, height=240, video_start_s=1.4, ends={"video": 50000.0})
    assert reconcile(ts, jumped).duration_s == 600.0, "ffmpeg smooths the jump when it transcodes"
    longer = StreamFacts(opened=True, start_s=1.4, width=320, height=240, video_start_s=1.4, ends={"video": 700.0})
    assert reconcile(ts, longer).duration_s == 698.6


def test_reconcile_makes_an_unsized_stream_video_only_when_a_frame_decoded() -> None:
    audio = (AudioTrack("AAC", 2, 48000),)
    unsized = MediaFacts("MPEG-TS", 1000, 0.09, audio=audio, unsized_video="AVC")
    decoded = StreamFacts(opened=True, start_s=10.0, video_codec="h264", width=320, height=240, frame_rate=25.0,
                          video_start_s=10.04, ends={"video": 10.7, "audio": 10.65})
    video = reconcile(unsized, decoded).video
    assert video is not None and (video.codec, video.width, video.start_s, video.duration_s) == \
        ("AVC", 320, 0.04, 0.66)
    undecoded = StreamFacts(opened=True, start_s=10.0, video_codec="h264", width=320, height=240)
    assert reconcile(unsized, undecoded).video is None


def test_a_file_ffmpeg_cannot_open_is_refused_naming_its_format() -> None:
    with pytest.raises(UnsupportedMediaError, match="^MIDI files cannot be processed"):
        reconcile(MediaFacts("MIDI", 34, None, audio=(AudioTrack("MIDI"),)), StreamFacts(opened=False))


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(body), kind) + body


def _reader(data: bytes):  # type: ignore[no-untyped-def]
    return lambda offset, length: data[offset:offset + length]


def _movie(*moov_children: bytes) -> bytes:
    return _box(b"ftyp", b"qt  \0\0\0\0") + _box(b"moov", b"".join(moov_children)) + _box(b"mdat", b"\0" * 32)


def _dref(*entries: bytes) -> bytes:
    return _box(b"dref", struct.pack(">II", 0, len(entries)) + b"".join(entries))


def _track(dref: bytes) -> bytes:
    return _box(b"trak", _box(b"mdia", _box(b"minf", _box(b"dinf", dref))))


@pytest.mark.parametrize(("data", "words"), [
    (_movie(_track(_dref(struct.pack(">I4sI", 12, b"alis", 0)))), "data reference"),
    (_movie(_box(b"meta", b"\0\0\0\0" + _box(b"dinf", _dref(struct.pack(">I4sI", 20, b"url ", 0) + b"http")))),
     "data reference"),
    (_movie(_box(b"trak", _box(b"mdia", _box(b"minf", _box(b"code", b"\0" * 12 + _box(
        b"sean", b"\0" * 12 + _box(b"RU*A", b"\0" * 12 + b"/srv/secret.mov"))))))), "data reference"),
    (_movie(_box(b"cmov", b"")), "compressed"),
    (_movie(_box(b"trak", struct.pack(">I4s", 4, b"mdia"))), "impossible size"),
    (_movie(_box(b"trak", struct.pack(">I4s", 4000, b"mdia"))), "overruns"),
])
def test_box_screening_refuses(data: bytes, words: str) -> None:
    with pytest.raises(UnsupportedMediaError, match=words):
        refuse_external_references(_reader(data), len(data))


def test_box_screening_passes_self_contained_and_truncated_movies_and_other_files() -> None:
    movie = _movie(_track(_dref(struct.pack(">I4sI", 12, b"url ", 1), struct.pack(">I4sI", 12, b"alis", 1))))
    refuse_external_references(_reader(movie), len(movie))
    cut = movie + struct.pack(">I4s", 10_000, b"mdat")  # a top-level box cut short: an incomplete upload
    refuse_external_references(_reader(cut), len(cut))
    refuse_external_references(_reader(b"RIFF\0\0\0\0WAVE"), 12)


def test_xml_screening_finds_a_root_split_across_two_windows() -> None:
    data = b"<?xml version='1.0'?><!--" + b" " * (XML_WINDOW - 30) + b"--><MPD></MPD>"
    assert data.index(b"<MPD") < XML_WINDOW < data.index(b"<MPD") + 4
    with pytest.raises(UnsupportedMediaError, match="DASH"):
        refuse_xml_references(_reader(data), len(data))
    caption = b"<tt xmlns='http://www.w3.org/ns/ttml'><body><p>MPD</p></body></tt>"
    refuse_xml_references(_reader(caption), len(caption))


def test_a_frame_count_beyond_the_duration_limit_is_refused() -> None:
    from avpipe.analysis.limits import check_limits
    from avpipe.config import MediaLimits
    from avpipe.errors import BadInputError

    facts = MediaFacts("Matroska", 1000, 1.0, video=VideoTrack("AVC", 64, 48, frame_rate=10.0, frame_count=1_000_001))
    with pytest.raises(BadInputError, match="1000001 frames at 10 per second"):
        check_limits(facts, MediaLimits())


@pytest.mark.parametrize(("head", "what"), [
    (b"\x030010111100101011" + b"\0" * 300, "Pro Tools session"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 300, "compound document"),
])
def test_binary_reference_formats_are_refused_from_their_first_bytes(head: bytes, what: str) -> None:
    from avpipe.analysis.guard import refuse_references

    with pytest.raises(UnsupportedMediaError, match=what):
        refuse_references(head)
