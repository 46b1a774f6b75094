"""Probe a file with MediaInfo and convert what it reports into :class:`MediaFacts`.

:func:`probe` is the thin I/O edge; :func:`facts_from_tracks` is the pure conversion,
fed with MediaInfo's track dictionaries (``Track.to_data()``), so it can be tested with
hand-written tracks. The conversion never raises on odd metadata: a value it cannot
read becomes ``None`` (or the field's default).
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pymediainfo import MediaInfo

from avpipe.analysis.facts import AudioTrack, MediaFacts, VideoTrack
from avpipe.analysis.ranged import RangedHttpFile, is_http_url
from avpipe.errors import BadInputError, ConfigurationError

log = logging.getLogger(__name__)

Track = Mapping[str, Any]

# Still-image formats as MediaInfo names them; a video track in one of these holding a
# single frame is an embedded picture (cover art), not a video.
_PICTURE_FORMATS = frozenset(
    {"JPEG", "MJPEG", "V_MJPEG", "MJPG", "PNG", "GIF", "BMP", "WEBP", "TIFF", "JPEG 2000", "AVIF", "HEIF"}
)
# Analyse the one file given: never sum numbered siblings (clip1.ts, clip2.ts...) as a sequence.
# ParseSpeed 0: read the headers/index and a few frames, not the media data. At the default
# (0.5) MediaInfo reads every byte of an MP4 whose moov comes last (a 1 GB camera file:
# 1 GB read, over the network for an S3 object); the facts avpipe uses are the same.
MEDIAINFO_OPTIONS = {"File_TestContinuousFileNames": "0", "ParseSpeed": "0"}
_LIBRARY_LOCK = threading.Lock()
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def probe(source: str | os.PathLike[str]) -> MediaFacts:
    """Analyse one local file, or an http(s) URL read by ranges, and return its facts."""
    target = os.fspath(source)
    if not MediaInfo.can_parse():
        raise ConfigurationError("libmediainfo is not available: install pymediainfo with its bundled library.")
    if "://" not in target and not os.path.exists(target):
        raise BadInputError(f"{target} does not exist.")
    if os.path.isdir(target):
        raise BadInputError(f"{target} is a directory, not a media file.")
    try:
        with _LIBRARY_LOCK:  # libmediainfo's options and output are not safe across threads
            if is_http_url(target):  # e.g. a presigned S3 URL: read by ranges, never downloaded whole
                with RangedHttpFile(target) as remote:
                    info = MediaInfo.parse(remote, encoding_errors="replace", mediainfo_options=MEDIAINFO_OPTIONS)
                    log.debug("analysed %d of %d bytes in %d ranged GETs", remote.bytes_fetched, remote.size,
                              remote.requests)
            else:
                info = MediaInfo.parse(target, encoding_errors="replace", mediainfo_options=MEDIAINFO_OPTIONS)
    except FileNotFoundError as exc:
        raise BadInputError(f"{target} does not exist.") from exc
    except (OSError, RuntimeError) as exc:
        shown = target.split("?", 1)[0]  # never put a presigned URL's signature in a message
        raise BadInputError(f"{shown} could not be read: {exc}.") from exc
    if not isinstance(info, MediaInfo):  # pragma: no cover - only with output=... which we never pass
        raise TypeError("MediaInfo.parse returned text instead of a MediaInfo object")
    facts = facts_from_mediainfo(info)
    log.debug("probed %s: %s", target, facts)
    return facts


def facts_from_mediainfo(info: MediaInfo) -> MediaFacts:
    """Convert a parsed :class:`MediaInfo` into facts."""
    return facts_from_tracks([track.to_data() for track in info.tracks])


def facts_from_tracks(tracks: Sequence[Track]) -> MediaFacts:
    """Convert MediaInfo track dictionaries (``track_type`` keyed) into facts."""
    general = next((t for t in tracks if t.get("track_type") == "General"), {})
    videos = [t for t in tracks if t.get("track_type") == "Video"]
    real_videos = [t for t in videos if not is_cover_art_track(t) and _has_dimensions(t)]
    pictures = [t for t in videos if is_cover_art_track(t)]
    audio = tuple(_audio_track(t) for t in tracks if t.get("track_type") == "Audio")
    images = [t for t in tracks if t.get("track_type") == "Image"]
    return MediaFacts(
        container=_text(general.get("format")),
        size_bytes=_int(general.get("file_size")),
        duration_s=_duration_s(general, tracks),
        overall_bit_rate=_int(general.get("overall_bit_rate")),
        video=_video_track(real_videos[0]) if real_videos else None,
        audio=audio,
        text_formats=_text_formats(t for t in tracks if t.get("track_type") == "Text"),
        has_cover_art=_flag(general.get("cover")) or bool(pictures) or bool(images and audio),
        video_track_count=len(real_videos),
        is_truncated=_flag(general.get("istruncated")),
    )


def is_cover_art_track(track: Track) -> bool:
    """Whether a MediaInfo video track is an embedded still picture rather than video."""
    fmt = (_text(track.get("format")) or "").upper()
    if fmt not in _PICTURE_FORMATS and (_text(track.get("codec_id")) or "").upper() not in _PICTURE_FORMATS:
        return False
    frames = _int(track.get("frame_count"))
    if frames is not None:
        return frames <= 1
    duration = _float(track.get("duration"))
    return duration is None or duration <= 0


def _video_track(track: Track) -> VideoTrack:
    width = _int(track.get("width")) or 0
    height = _int(track.get("height")) or 0
    return VideoTrack(
        codec=_text(track.get("format")) or "unknown",
        width=width,
        height=height,
        pixel_aspect=_pixel_aspect(track, width, height),
        rotation=_rotation(track.get("rotation")),
        frame_rate=_frame_rate(track),
        frame_rate_mode=_text(track.get("frame_rate_mode")),
        bit_rate=_int(track.get("bit_rate")) or _int(track.get("nominal_bit_rate")),
        scan_type=_text(track.get("scan_type")),
        bit_depth=_int(track.get("bit_depth")),
        frame_count=_int(track.get("frame_count")),
    )


def _audio_track(track: Track) -> AudioTrack:
    return AudioTrack(
        codec=_text(track.get("format")) or "unknown",
        channels=_int(track.get("channel_s")),
        sample_rate=_int(track.get("sampling_rate")),
        bit_rate=_int(track.get("bit_rate")) or _int(track.get("nominal_bit_rate")),
        # newer MediaInfo names the AAC profile ("LC", "HE-AAC") in format_additionalfeatures
        codec_profile=_text(track.get("format_profile")) or _text(track.get("format_additionalfeatures")),
        language=_text(track.get("language")),
    )


def _has_dimensions(track: Track) -> bool:
    width, height = _int(track.get("width")), _int(track.get("height"))
    if width and height and width > 0 and height > 0:
        return True
    log.warning("ignoring a video track without dimensions (format %r)", track.get("format"))
    return False


def _pixel_aspect(track: Track, width: int, height: int) -> float:
    par = _float(track.get("pixel_aspect_ratio"))
    if par is not None and par > 0:
        return par
    dar = _float(track.get("display_aspect_ratio"))
    if dar is not None and dar > 0 and width > 0 and height > 0:
        return dar * height / width
    return 1.0


def _rotation(value: Any) -> int:
    """MediaInfo's rotation (clockwise degrees, e.g. "90.000" or "-90.000") as 0/90/180/270."""
    degrees = _float(value)
    if degrees is None:
        return 0
    return (round(degrees / 90) * 90) % 360


def _frame_rate(track: Track) -> float | None:
    for key in ("frame_rate", "original_frame_rate", "frame_rate_nominal"):
        rate = _float(track.get(key))
        if rate is not None and rate > 0:
            return rate
    return None


def _duration_s(general: Track, tracks: Iterable[Track]) -> float | None:
    millis = _float(general.get("duration"))
    if millis is None:
        found = [_float(t.get("duration")) for t in tracks if t.get("track_type") in ("Video", "Audio")]
        millis = max((m for m in found if m is not None), default=None)
    return millis / 1000.0 if millis is not None and millis >= 0 else None


def _text_formats(tracks: Iterable[Track]) -> tuple[str, ...]:
    return tuple(fmt for fmt in (_text(t.get("format")) for t in tracks) if fmt)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _flag(value: Any) -> bool:
    return (_text(value) or "").lower() in ("yes", "true", "1")


def _float(value: Any) -> float | None:
    """The first number in a MediaInfo value: 6, "6", "2 / 1", "40.000000", "48 kHz"."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        match = _NUMBER.search(str(value)) if value is not None else None
        if match is None:
            return None
        number = float(match.group())
    return number if math.isfinite(number) else None


def _int(value: Any) -> int | None:
    number = _float(value)
    return round(number) if number is not None else None


__all__ = ["facts_from_mediainfo", "facts_from_tracks", "is_cover_art_track", "probe"]
