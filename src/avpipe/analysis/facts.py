"""The media facts model: what analysis found in one file, independent of the tool used.

Everything downstream (routing, ladder planning, thumbnails, manifests) reads these
frozen dataclasses and never pymediainfo itself.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class VideoTrack:
    """The first real (non cover-art) video track of a file."""

    codec: str  # MediaInfo format name, e.g. "AVC", "HEVC", "MPEG Video"
    width: int  # coded (stored) width in pixels
    height: int  # coded (stored) height in pixels
    pixel_aspect: float = 1.0  # sample aspect ratio (1.0 = square pixels)
    rotation: int = 0  # clockwise degrees to apply for display: 0, 90, 180 or 270
    frame_rate: float | None = None  # frames per second (None when unknown)
    frame_rate_mode: str | None = None  # "CFR" / "VFR"
    bit_rate: int | None = None  # bits per second
    scan_type: str | None = None  # "Progressive" / "Interlaced" / "MBAFF"
    bit_depth: int | None = None
    frame_count: int | None = None
    start_s: float | None = None  # when the video stream starts, after the container's start
    duration_s: float | None = None  # how long the video stream itself lasts
    codec_profile: str | None = None  # MediaInfo's format profile, e.g. "High@L4", "Main 10@L5.1"
    chroma_subsampling: str | None = None  # e.g. "4:2:0", "4:2:2"
    detail_height: int | None = None  # an upscale's real detail (the rung it holds); None: native or not measured

    @property
    def display_width(self) -> int:
        """Width as shown to a viewer: pixel aspect corrected, then rotated."""
        w, h = self._unrotated_display()
        return h if self.rotation in (90, 270) else w

    @property
    def display_height(self) -> int:
        w, h = self._unrotated_display()
        return w if self.rotation in (90, 270) else h

    def _unrotated_display(self) -> tuple[int, int]:
        par = self.pixel_aspect if self.pixel_aspect > 0 else 1.0
        if par >= 1.0:
            return max(1, round(self.width * par)), self.height
        return self.width, max(1, round(self.height / par))

    @property
    def display_aspect(self) -> float:
        return self.display_width / self.display_height

    @property
    def is_portrait(self) -> bool:
        return self.display_height > self.display_width


@dataclass(frozen=True)
class AudioTrack:
    """One audio track."""

    codec: str  # MediaInfo format name, e.g. "AAC", "MPEG Audio", "PCM", "FLAC", "Vorbis"
    channels: int | None = None
    sample_rate: int | None = None
    bit_rate: int | None = None
    codec_profile: str | None = None  # e.g. "Layer 3" for MP3, "LC" for AAC
    language: str | None = None


@dataclass(frozen=True)
class MediaFacts:
    """Everything avpipe needs to know about one file."""

    container: str | None  # MediaInfo general format, e.g. "MPEG-4", "MPEG Audio", "SubRip"
    size_bytes: int | None = None
    duration_s: float | None = None
    overall_bit_rate: int | None = None
    video: VideoTrack | None = None  # the first real video track (cover art excluded)
    audio: tuple[AudioTrack, ...] = ()
    text_formats: tuple[str, ...] = ()  # formats of text (subtitle) tracks MediaInfo saw
    has_cover_art: bool = False
    video_track_count: int = 0  # real video tracks, cover art excluded
    is_truncated: bool = False  # MediaInfo found the file shorter than its own headers say
    unsized_video: str | None = None  # format of a video track MediaInfo saw without a picture size

    @property
    def has_video(self) -> bool:
        return self.video is not None

    @property
    def has_audio(self) -> bool:
        return bool(self.audio)

    @property
    def is_mp3(self) -> bool:
        """A plain MPEG-1/2 Layer III audio file (the seed copies these unchanged)."""
        return (
            self.video is None
            and self.container == "MPEG Audio"
            and len(self.audio) == 1
            and self.audio[0].codec == "MPEG Audio"
            and (self.audio[0].codec_profile or "").strip() == "Layer 3"
        )

    def to_dict(self) -> dict[str, Any]:
        """The facts as JSON-ready data, display geometry included."""
        data = asdict(self)
        data.pop("unsized_video")  # an analysis detail, settled before routing
        if self.video is not None:
            data["video"].update(
                display_width=self.video.display_width,
                display_height=self.video.display_height,
                display_aspect=round(self.video.display_aspect, 4),
            )
        data["audio"] = [asdict(track) for track in self.audio]
        data["text_formats"] = list(self.text_formats)
        return data


__all__ = ["AudioTrack", "MediaFacts", "VideoTrack"]
