"""probe() with the real libmediainfo on small clips made by ffmpeg, then route()."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from avpipe.analysis.facts import MediaFacts, VideoTrack
from avpipe.analysis.mediainfo import facts_from_tracks, is_cover_art_track, probe
from avpipe.analysis.routing import Route, route
from avpipe.errors import BadInputError

from media import MediaLibrary

VIDEOS = [
    # name, codec, coded w x h, display w x h
    ("landscape_1080p", "AVC", (1920, 1080), (1920, 1080)),
    ("landscape_720p", "AVC", (1280, 720), (1280, 720)),
    ("portrait", "AVC", (720, 1280), (720, 1280)),
    ("rotated", "AVC", (1280, 720), (720, 1280)),
    ("rotated_270", "AVC", (1280, 720), (720, 1280)),
    ("anamorphic", "AVC", (720, 576), (1024, 576)),
    ("silent", "AVC", (640, 360), (640, 360)),
    ("surround", "AVC", (1280, 720), (1280, 720)),
    ("mpeg_ps", "MPEG Video", (720, 480), (853, 480)),
    ("tiny", "AVC", (160, 90), (160, 90)),
    ("high_fps", "AVC", (640, 360), (640, 360)),
    ("spaced_name", "AVC", (320, 180), (320, 180)),
]
AUDIO_ONLY = [
    # name, container, codec, profile
    ("mp3", "MPEG Audio", "MPEG Audio", "Layer 3"),
    ("mp3_cover", "MPEG Audio", "MPEG Audio", "Layer 3"),
    ("wav", "Wave", "PCM", None),
    ("ogg", "Ogg", "Vorbis", None),
    ("flac", "FLAC", "FLAC", None),
    ("m4a", "MPEG-4", "AAC", "LC"),
    ("m4a_cover", "MPEG-4", "AAC", "LC"),
    ("mkv_cover", "Matroska", "AAC", "LC"),
]
COVERED = ["mp3_cover", "m4a_cover", "mkv_cover"]


@pytest.mark.parametrize(("name", "codec", "coded", "display"), VIDEOS, ids=[v[0] for v in VIDEOS])
def test_video_geometry(
    media: MediaLibrary, name: str, codec: str, coded: tuple[int, int], display: tuple[int, int]
) -> None:
    facts = probe(media.get(name))
    assert facts.video is not None
    assert facts.video.codec == codec
    assert (facts.video.width, facts.video.height) == coded
    assert (facts.video.display_width, facts.video.display_height) == display
    assert facts.video_track_count == 1
    assert not facts.has_cover_art
    assert route(facts) is Route.VIDEO


def test_phone_rotation_is_ninety_clockwise_and_portrait(media: MediaLibrary) -> None:
    video = _video(media.rotated)
    assert video.rotation == 90
    assert video.is_portrait
    assert _video(media.rotated_270).rotation == 270
    assert _video(media.landscape_720p).rotation == 0


@pytest.mark.parametrize("name", ["rotated", "rotated_270"])
def test_rotation_turns_the_picture_the_way_ffmpeg_autorotates(media: MediaLibrary, ffmpeg_exe: str, name: str) -> None:
    """The clips mark their coded top-left quadrant white; turning it clockwise by
    ``rotation`` must land it where ffmpeg's autorotated frame shows it."""
    clockwise_corner = {0: "top-left", 90: "top-right", 180: "bottom-right", 270: "bottom-left"}
    path = media.get(name)
    assert _brightest_quadrant(ffmpeg_exe, path) == clockwise_corner[_video(path).rotation]


def test_anamorphic_pixels(media: MediaLibrary) -> None:
    video = _video(media.anamorphic)
    assert video.pixel_aspect == pytest.approx(64 / 45, abs=0.002)
    assert video.display_aspect == pytest.approx(16 / 9, abs=0.01)


def test_mpeg_program_stream(media: MediaLibrary) -> None:
    facts = probe(media.mpeg_ps)
    assert facts.container == "MPEG-PS"
    assert _video(media.mpeg_ps).frame_rate == pytest.approx(29.97, abs=0.01)
    assert facts.audio[0].codec == "MPEG Audio"
    assert facts.audio[0].codec_profile == "Layer 2"
    assert not facts.is_mp3


def test_channels(media: MediaLibrary) -> None:
    assert [a.channels for a in probe(media.surround).audio] == [6]
    assert [a.channels for a in probe(media.landscape_720p).audio] == [2]
    assert probe(media.silent).audio == ()
    assert not probe(media.silent).has_audio


def test_frame_rates(media: MediaLibrary) -> None:
    fast = _video(media.high_fps)
    assert fast.frame_rate == pytest.approx(120.0)
    assert fast.frame_count == 120
    assert _video(media.landscape_1080p).frame_rate == pytest.approx(30.0)
    vfr = _video(media.vfr)
    assert vfr.frame_rate_mode == "VFR"
    assert vfr.frame_rate is not None and 5 < vfr.frame_rate < 30


@pytest.mark.parametrize(
    ("name", "seconds"), [("landscape_1080p", 1.0), ("tiny", 0.5), ("mpeg_ps", 1.0), ("mp3", 2.0), ("m4a_cover", 2.0)]
)
def test_duration(media: MediaLibrary, name: str, seconds: float) -> None:
    assert probe(media.get(name)).duration_s == pytest.approx(seconds, abs=0.06)


@pytest.mark.parametrize(("name", "container", "codec", "profile"), AUDIO_ONLY, ids=[a[0] for a in AUDIO_ONLY])
def test_audio_only_files(media: MediaLibrary, name: str, container: str, codec: str, profile: str | None) -> None:
    facts = probe(media.get(name))
    assert facts.container == container
    assert [(a.codec, a.channels, a.sample_rate) for a in facts.audio] == [(codec, 2, 44100)]
    assert facts.audio[0].codec_profile == profile
    assert facts.video is None
    assert facts.video_track_count == 0
    assert facts.has_cover_art is (name in COVERED)
    assert route(facts) is Route.AUDIO


@pytest.mark.parametrize("name", [a[0] for a in AUDIO_ONLY] + ["landscape_720p", "mpeg_ps"])
def test_is_mp3_only_for_layer_3_audio_files(media: MediaLibrary, name: str) -> None:
    assert probe(media.get(name)).is_mp3 is (name in ("mp3", "mp3_cover"))


@pytest.mark.parametrize(
    ("name", "text_format"), [("srt", "SubRip"), ("vtt", "WebVTT"), ("dfxp", "TTML"), ("scc", "EIA-608")]
)
def test_caption_files_mediainfo_recognises(media: MediaLibrary, name: str, text_format: str) -> None:
    facts = probe(media.get(name))
    assert facts.text_formats == (text_format,)
    assert route(facts) is Route.CAPTION


def test_sami_is_left_for_caption_sniffing(media: MediaLibrary) -> None:
    """MediaInfo does not identify SAMI: a bare General track, routed unsupported here."""
    facts = probe(media.sami)
    assert (facts.container, facts.text_formats) == (None, ())
    assert route(facts) is Route.UNSUPPORTED


@pytest.mark.parametrize("name", ["corrupt_mp4", "text_mp4"])
def test_junk_named_mp4_is_unsupported(media: MediaLibrary, name: str) -> None:
    path = media.get(name)
    facts = probe(path)
    assert facts.container is None
    assert facts.size_bytes == path.stat().st_size
    assert route(facts) is Route.UNSUPPORTED


def test_truncated_mp4_still_probes_from_its_header(media: MediaLibrary) -> None:
    facts = probe(media.truncated_mp4)
    assert facts.size_bytes == media.truncated_mp4.stat().st_size
    assert route(facts) is Route.VIDEO


def test_size_and_json(media: MediaLibrary) -> None:
    facts = probe(media.spaced_name)
    assert facts.size_bytes == media.spaced_name.stat().st_size
    data = json.loads(json.dumps(facts.to_dict()))
    assert data["video"]["display_width"] == 320


def test_missing_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="does not exist"):
        probe(tmp_path / "nope.mp4")


def test_directory_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="directory"):
        probe(tmp_path)


# --- the pure conversion, on odd values MediaInfo can produce (no files) ---------------


def test_odd_values_do_not_raise() -> None:
    facts = facts_from_tracks(
        [
            {"track_type": "General", "format": "Matroska", "duration": "2023.000000", "file_size": "1000"},
            {
                "track_type": "Video",
                "format": "HEVC",
                "width": 1920,
                "height": "1080 pixels",
                "rotation": "-90.000",
                "frame_rate": None,
                "original_frame_rate": "23.976",
                "bit_depth": "10 / 8",
            },
            {
                "track_type": "Audio",
                "format": "AAC",
                "channel_s": "2 / 1",
                "sampling_rate": "48000 / 24000",
                "bit_rate": "Variable",
                "language": "  ",
            },
            {"track_type": "Menu"},
        ]
    )
    assert facts.duration_s == pytest.approx(2.023)
    assert facts.size_bytes == 1000
    video = facts.video
    assert video is not None
    assert (video.width, video.height, video.rotation) == (1920, 1080, 270)
    assert (video.frame_rate, video.bit_depth, video.display_width) == (23.976, 10, 1080)
    assert facts.audio[0].channels == 2
    assert facts.audio[0].sample_rate == 48000
    assert facts.audio[0].bit_rate is None
    assert facts.audio[0].language is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("90.000", 90), ("-90.000", 270), ("180", 180), ("270.0", 270), ("-270", 90), ("359.9", 0), ("", 0), (None, 0)],
)
def test_rotation_normalised_clockwise(value: object, expected: int) -> None:
    track = {"track_type": "Video", "format": "AVC", "width": 1280, "height": 720, "rotation": value}
    video = facts_from_tracks([{"track_type": "General"}, track]).video
    assert video is not None and video.rotation == expected


def test_pixel_aspect_falls_back_to_display_aspect() -> None:
    track = {"track_type": "Video", "format": "MPEG Video", "width": 720, "height": 576}
    track["display_aspect_ratio"] = "1.778"
    video = facts_from_tracks([track]).video
    assert video is not None
    assert video.display_width == 1024


@pytest.mark.parametrize(
    ("track", "cover"),
    [
        ({"format": "JPEG", "frame_count": "1", "duration": 40}, True),
        ({"format": "V_MJPEG", "frame_count": 1}, True),
        ({"format": "PNG"}, True),
        ({"format": "JPEG", "frame_count": "250", "duration": 10000}, False),  # a Motion JPEG clip
        ({"format": "AVC", "frame_count": "1"}, False),
    ],
)
def test_cover_art_tracks(track: dict[str, object], cover: bool) -> None:
    full = {"track_type": "Video", "width": 64, "height": 64, **track}
    assert is_cover_art_track(full) is cover
    facts = facts_from_tracks([{"track_type": "General"}, full])
    assert (facts.video is None, facts.has_cover_art) == (cover, cover)


def test_video_without_dimensions_is_not_counted() -> None:
    facts = facts_from_tracks([{"track_type": "Video", "format": "AVC"}, {"track_type": "Audio", "format": "AAC"}])
    assert (facts.video, facts.video_track_count) == (None, 0)
    assert route(facts) is Route.AUDIO


def test_empty_tracks() -> None:
    assert facts_from_tracks([]) == MediaFacts(container=None)


def _video(path: Path) -> VideoTrack:
    video = probe(path).video
    assert video is not None
    return video


def _brightest_quadrant(ffmpeg: str, path: Path) -> str:
    """Which quadrant of ffmpeg's (autorotated) first frame is brightest."""
    scale = ["-frames:v", "1", "-vf", "scale=16:16", "-f", "rawvideo", "-pix_fmt", "gray", "-"]
    argv = [ffmpeg, "-nostdin", "-loglevel", "error", "-i", str(path), *scale]
    pixels = subprocess.run(argv, capture_output=True, check=True).stdout  # noqa: S603
    assert len(pixels) == 256

    def mean(rows: range, cols: range) -> float:
        return sum(pixels[r * 16 + c] for r in rows for c in cols) / 64

    top, bottom, left, right = range(8), range(8, 16), range(8), range(8, 16)
    quadrants = {
        "top-left": mean(top, left),
        "top-right": mean(top, right),
        "bottom-left": mean(bottom, left),
        "bottom-right": mean(bottom, right),
    }
    return max(quadrants, key=lambda q: quadrants[q])
