"""Probe a file with MediaInfo and convert what it reports into :class:`MediaFacts`.

:func:`probe` is the thin I/O edge; :func:`facts_from_tracks` is the pure conversion,
fed with MediaInfo's track dictionaries (``Track.to_data()``), so it can be tested with
hand-written tracks. The conversion never raises on odd metadata: a value it cannot
read becomes ``None`` (or the field's default).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, BinaryIO

from pymediainfo import MediaInfo

from avpipe.analysis.facts import AudioTrack, MediaFacts, VideoTrack
from avpipe.analysis.guard import refuse_xml_references
from avpipe.analysis.isobmff import ReadAt, refuse_external_references
from avpipe.analysis.isolated import DEFAULT_TIMEOUT_S, MEDIAINFO_OPTIONS, parse_tracks
from avpipe.analysis.ranged import RangedHttpFile, is_http_url
from avpipe.errors import BadInputError, ConfigurationError

log = logging.getLogger(__name__)

Track = Mapping[str, Any]

# Still-image formats as MediaInfo names them; a video track in one of these holding a
# single frame is an embedded picture (cover art), not a video.
_PICTURE_FORMATS = frozenset(
    {"JPEG", "MJPEG", "V_MJPEG", "MJPG", "PNG", "GIF", "BMP", "WEBP", "TIFF", "JPEG 2000", "AVIF", "HEIF"}
)
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def probe(source: str | os.PathLike[str], *, timeout_s: float = DEFAULT_TIMEOUT_S) -> MediaFacts:
    """Analyse one local file, or an http(s) URL read by ranges, and return its facts.

    The file is screened first (reference formats anywhere in an XML file, external data
    references in MP4/QuickTime boxes); then MediaInfo reads it in a confined child process
    that gets the file's bytes from here and nothing else (:mod:`avpipe.analysis.isolated`).
    """
    target = os.fspath(source)
    if not MediaInfo.can_parse():
        raise ConfigurationError("libmediainfo is not available: install pymediainfo with its bundled library.")
    with _open(target) as handle:
        size = _size(handle)
        read = _reader(handle)
        refuse_xml_references(read, size)
        refuse_external_references(read, size)
        tracks = parse_tracks(read, size, timeout_s=timeout_s)
        if isinstance(handle, RangedHttpFile):
            log.debug("analysed %d of %d bytes in %d ranged GETs", handle.bytes_fetched, handle.size, handle.requests)
    facts = facts_from_tracks(tracks)
    log.debug("probed %s: %s", target.split("?", 1)[0], facts)
    return facts


@contextlib.contextmanager
def _open(target: str) -> Iterator[BinaryIO | RangedHttpFile]:
    """The local file, or the URL read by ranges; failures to open become one sentence."""
    if is_http_url(target):  # e.g. a presigned S3 URL: read by ranges, never downloaded whole
        with RangedHttpFile(target) as remote:
            yield remote
        return
    name = os.path.basename(target)  # never a server path in a message
    if os.path.isdir(target):
        raise BadInputError(f"{name} is a directory, not a media file.")
    try:  # non-blocking, so that opening a FIFO cannot hang; it is refused below
        fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError as exc:
        raise BadInputError(f"{name} does not exist.") from exc
    except OSError as exc:
        raise BadInputError(f"{name} could not be read ({exc.strerror}).") from exc
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise BadInputError(f"{name} is not a regular file.")
        yield handle


def _size(handle: BinaryIO | RangedHttpFile) -> int:
    if isinstance(handle, RangedHttpFile):
        return handle.size
    return os.fstat(handle.fileno()).st_size


def _reader(handle: BinaryIO | RangedHttpFile) -> ReadAt:
    def read(offset: int, length: int) -> bytes:
        handle.seek(offset)
        try:
            return handle.read(length) or b""
        except OSError as exc:
            raise BadInputError(f"The file could not be read ({exc.strerror}).") from exc

    return read


def facts_from_mediainfo(info: MediaInfo) -> MediaFacts:
    """Convert a parsed :class:`MediaInfo` into facts."""
    return facts_from_tracks([track.to_data() for track in info.tracks])


def facts_from_tracks(tracks: Sequence[Track]) -> MediaFacts:
    """Convert MediaInfo track dictionaries (``track_type`` keyed) into facts."""
    general = next((t for t in tracks if t.get("track_type") == "General"), {})
    videos = [t for t in tracks if t.get("track_type") == "Video"]
    real_videos = [t for t in videos if not is_cover_art_track(t) and _has_dimensions(t)]
    unsized = [t for t in videos if not is_cover_art_track(t) and not _has_dimensions(t)]
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
        unsized_video=(_text(unsized[0].get("format")) or "unknown") if unsized and not real_videos else None,
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
        duration_s=_seconds(track.get("duration")),
        codec_profile=_text(track.get("format_profile")),
        chroma_subsampling=_text(track.get("chroma_subsampling")),
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
    """The longest audio or video stream; the container's duration only when no stream has one
    (a subtitle or data track outlasting the media does not count)."""
    found = [_seconds(t.get("duration")) for t in tracks
             if t.get("track_type") in ("Video", "Audio") and not is_cover_art_track(t)]
    longest = max((d for d in found if d is not None), default=None)
    return longest if longest is not None else _seconds(general.get("duration"))


def _seconds(millis: Any) -> float | None:
    value = _float(millis)
    return value / 1000.0 if value is not None and value >= 0 else None


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


__all__ = ["MEDIAINFO_OPTIONS", "facts_from_mediainfo", "facts_from_tracks", "is_cover_art_track", "probe"]
