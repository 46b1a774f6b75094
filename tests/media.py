"""Small real media files, generated with ffmpeg on demand for the tests.

Each ``make_*`` function writes one file to the path it is given and returns that path;
:class:`MediaLibrary` makes each clip the first time a test asks for it and caches it::

    def test_something(media):
        path = media.rotated            # or media.get("rotated")

Clips are short (0.5-2 s) and encoded with ``-preset ultrafast``, so each takes a
fraction of a second.
"""

from __future__ import annotations

import random
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import overload

Maker = Callable[[str, Path], Path]

_X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "30", "-pix_fmt", "yuv420p"]
_AAC = ["-c:a", "aac", "-b:a", "96k"]


def run_ffmpeg(ffmpeg: str, *args: str) -> None:
    """Run ffmpeg quietly with an argument list; fail loudly with its stderr."""
    argv = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args]
    proc = subprocess.run(argv, capture_output=True, text=True, errors="replace", check=False)  # noqa: S603
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg failed ({proc.returncode}): {' '.join(argv)}\n{proc.stderr}")


def _video_input(size: str, rate: str, duration: float) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={duration}"]


def _sine_input(duration: float, rate: int = 48000) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate={rate}:duration={duration}"]


def make_av(
    ffmpeg: str,
    path: Path,
    *,
    size: str,
    rate: str = "30",
    duration: float = 1.0,
    channels: int = 2,
    vf: str | None = None,
) -> Path:
    """An H.264 + AAC MP4 (``channels=0`` for no audio), moov atom first."""
    inputs = _video_input(size, rate, duration) + (_sine_input(duration) if channels else [])
    filters = ["-vf", vf] if vf else []
    audio = ["-ac", str(channels), *_AAC] if channels else []
    run_ffmpeg(ffmpeg, *inputs, *filters, *_X264, *audio, "-movflags", "+faststart", str(path))
    return path


def make_landscape_1080p(ffmpeg: str, path: Path) -> Path:
    return make_av(ffmpeg, path, size="1920x1080")


def make_landscape_720p(ffmpeg: str, path: Path) -> Path:
    return make_av(ffmpeg, path, size="1280x720")


def make_portrait(ffmpeg: str, path: Path) -> Path:
    return make_av(ffmpeg, path, size="720x1280")


# A white top-left quadrant marks which way a rotated clip is turned for display.
_MARK_TOP_LEFT = "drawbox=x=0:y=0:w=iw/2:h=ih/2:color=white:t=fill"


def make_rotated(ffmpeg: str, path: Path, *, display_rotation: int = -90) -> Path:
    """Coded 1280x720 with a display matrix, as a phone records portrait video.

    ffmpeg's ``-display_rotation`` is counter-clockwise: -90 (the default here, what
    phones write) is 90 degrees clockwise, MediaInfo ``Rotation`` 90.
    """
    coded = path.with_name(path.stem + ".coded.mp4")
    make_av(ffmpeg, coded, size="1280x720", vf=_MARK_TOP_LEFT)
    run_ffmpeg(ffmpeg, "-display_rotation", str(display_rotation), "-i", str(coded), "-c", "copy", str(path))
    coded.unlink()
    return path


def make_rotated_270(ffmpeg: str, path: Path) -> Path:
    return make_rotated(ffmpeg, path, display_rotation=90)


def make_anamorphic(ffmpeg: str, path: Path) -> Path:
    """720x576 PAL-style with 64:45 pixels: displays 16:9 (1024x576)."""
    return make_av(ffmpeg, path, size="720x576", rate="25", vf="setsar=64/45")


def make_silent(ffmpeg: str, path: Path) -> Path:
    return make_av(ffmpeg, path, size="640x360", channels=0)


def make_surround(ffmpeg: str, path: Path) -> Path:
    return make_av(ffmpeg, path, size="1280x720", channels=6)


def make_tiny(ffmpeg: str, path: Path) -> Path:
    return make_av(ffmpeg, path, size="160x90", duration=0.5)


def make_high_fps(ffmpeg: str, path: Path) -> Path:
    return make_av(ffmpeg, path, size="640x360", rate="120")


def make_vfr(ffmpeg: str, path: Path) -> Path:
    """320x240, variable frame rate: 15 frames at 30 fps then 15 at 10 fps (2 s)."""
    vf = "setpts='if(lt(N,15),N/30,N/10)/TB'"
    run_ffmpeg(ffmpeg, *_video_input("320x240", "30", 1.0), "-vf", vf, "-fps_mode", "vfr", *_X264, str(path))
    return path


def make_spaced_name(ffmpeg: str, path: Path) -> Path:
    return make_av(ffmpeg, path, size="320x180")


def make_mpeg_ps(ffmpeg: str, path: Path) -> Path:
    """MPEG-2 video (720x480, SAR 32:27 so DAR 16:9, 29.97 fps) + MP2 in a program stream."""
    inputs = _video_input("720x480", "30000/1001", 1.0) + _sine_input(1.0)
    codecs = ["-c:v", "mpeg2video", "-b:v", "2M", "-c:a", "mp2", "-b:a", "128k", "-ac", "2"]
    run_ffmpeg(ffmpeg, *inputs, "-vf", "setsar=32/27", *codecs, "-f", "vob", str(path))
    return path


def _audio(ffmpeg: str, path: Path, *codec: str, duration: float = 2.0) -> Path:
    run_ffmpeg(ffmpeg, *_sine_input(duration, 44100), "-ac", "2", *codec, str(path))
    return path


def make_mp3(ffmpeg: str, path: Path) -> Path:
    return _audio(ffmpeg, path, "-c:a", "libmp3lame", "-b:a", "64k")


def make_wav(ffmpeg: str, path: Path) -> Path:
    return _audio(ffmpeg, path, "-c:a", "pcm_s16le")


def make_ogg(ffmpeg: str, path: Path) -> Path:
    return _audio(ffmpeg, path, "-c:a", "libvorbis")


def make_flac(ffmpeg: str, path: Path) -> Path:
    return _audio(ffmpeg, path, "-c:a", "flac")


def make_m4a(ffmpeg: str, path: Path) -> Path:
    return _audio(ffmpeg, path, "-c:a", "aac", "-b:a", "64k")


def _with_cover(ffmpeg: str, audio: Path, path: Path, picture: str, *extra: str) -> Path:
    """Add a 64x64 picture (``jpg`` or ``png``) to an audio file as attached cover art."""
    cover = path.with_name(f"{path.stem}.cover.{picture}")
    run_ffmpeg(ffmpeg, "-f", "lavfi", "-i", "testsrc2=size=64x64", "-frames:v", "1", "-update", "1", str(cover))
    streams = ["-map", "0:a", "-map", "1:v", "-c", "copy", "-disposition:v", "attached_pic"]
    run_ffmpeg(ffmpeg, "-i", str(audio), "-i", str(cover), *streams, *extra, str(path))
    audio.unlink()
    cover.unlink()
    return path


def make_mp3_cover(ffmpeg: str, path: Path) -> Path:
    """MP3 with an ID3v2 APIC front cover (JPEG)."""
    audio = make_mp3(ffmpeg, path.with_name(path.stem + ".plain.mp3"))
    return _with_cover(ffmpeg, audio, path, "jpg", "-id3v2_version", "3", "-metadata:s:v", "comment=Cover (front)")


def make_m4a_cover(ffmpeg: str, path: Path) -> Path:
    """AAC in MP4 with a PNG cover (ffmpeg writes it as an iTunes ``covr`` atom)."""
    audio = make_m4a(ffmpeg, path.with_name(path.stem + ".plain.m4a"))
    return _with_cover(ffmpeg, audio, path, "png")


def make_mkv_cover(ffmpeg: str, path: Path) -> Path:
    """AAC in Matroska with a JPEG cover that MediaInfo lists as a 1-frame V_MJPEG video track."""
    audio = make_m4a(ffmpeg, path.with_name(path.stem + ".plain.m4a"))
    return _with_cover(ffmpeg, audio, path, "jpg")


def make_corrupt_mp4(ffmpeg: str, path: Path) -> Path:
    path.write_bytes(random.Random(1234).randbytes(64 * 1024))
    return path


def make_text_mp4(ffmpeg: str, path: Path) -> Path:
    path.write_text("<!DOCTYPE html>\n<html><body><p>This is not a video.</p></body></html>\n", encoding="utf-8")
    return path


def make_truncated_mp4(ffmpeg: str, path: Path) -> Path:
    """The first 30% of a real MP4 whose moov atom is at the start (MediaInfo still reads it)."""
    whole = make_av(ffmpeg, path.with_name(path.stem + ".whole.mp4"), size="1280x720")
    data = whole.read_bytes()
    path.write_bytes(data[: len(data) * 3 // 10])
    whole.unlink()
    return path


_SRT = "1\n00:00:01,000 --> 00:00:02,500\nHello world\n\n2\n00:00:03,000 --> 00:00:04,000\nSecond line\n"
_VTT = "WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nHello world\n\n00:00:03.000 --> 00:00:04.000\nSecond line\n"
_DFXP = """<?xml version="1.0" encoding="UTF-8"?>
<tt xml:lang="en" xmlns="http://www.w3.org/ns/ttml"><body><div>
<p begin="00:00:01.000" end="00:00:02.500">Hello world</p>
<p begin="00:00:03.000" end="00:00:04.000">Second line</p>
</div></body></tt>
"""
_SAMI = """<SAMI><HEAD><TITLE>captions</TITLE>
<STYLE TYPE="text/css"><!--
P { font-size: 24pt; }
.ENUSCC { Name: English; lang: en-US; }
--></STYLE></HEAD><BODY>
<SYNC Start="1000"><P Class="ENUSCC">Hello world</P></SYNC>
<SYNC Start="3000"><P Class="ENUSCC">Second line</P></SYNC>
</BODY></SAMI>
"""
# "Hello world" as CEA-608 pop-on captions.
_SCC = (
    "Scenarist_SCC V1.0\n\n"
    "00:00:01:00\t9420 9420 94ae 94ae 9452 9452 97a1 97a1 c8e5 ecec ef20 f7ef f2ec 6480 942c 942c 942f 942f\n\n"
    "00:00:03:00\t942c 942c\n"
)


def _text_maker(content: str) -> Maker:
    def make(ffmpeg: str, path: Path) -> Path:
        path.write_text(content, encoding="utf-8")
        return path

    return make


class _Clip:
    """A :class:`MediaLibrary` attribute that makes its file on first access."""

    def __init__(self, maker: Maker, filename: str) -> None:
        self.maker = maker
        self.filename = filename

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type) -> _Clip: ...
    @overload
    def __get__(self, obj: MediaLibrary, owner: type) -> Path: ...
    def __get__(self, obj: MediaLibrary | None, owner: type) -> Path | _Clip:
        return self if obj is None else obj.get(self.name)


class MediaLibrary:
    """Clips made lazily into one directory and cached: ``media.mp3`` or ``media.get("mp3")``."""

    landscape_1080p = _Clip(make_landscape_1080p, "landscape_1080p.mp4")
    landscape_720p = _Clip(make_landscape_720p, "landscape_720p.mp4")
    portrait = _Clip(make_portrait, "portrait.mp4")
    rotated = _Clip(make_rotated, "rotated.mp4")
    rotated_270 = _Clip(make_rotated_270, "rotated_270.mp4")
    anamorphic = _Clip(make_anamorphic, "anamorphic.mp4")
    silent = _Clip(make_silent, "silent.mp4")
    surround = _Clip(make_surround, "surround.mp4")
    mpeg_ps = _Clip(make_mpeg_ps, "mpeg_ps.mpg")
    tiny = _Clip(make_tiny, "tiny.mp4")
    high_fps = _Clip(make_high_fps, "high_fps.mp4")
    vfr = _Clip(make_vfr, "vfr.mp4")
    spaced_name = _Clip(make_spaced_name, "long name with spaces é.mp4")
    mp3 = _Clip(make_mp3, "audio.mp3")
    mp3_cover = _Clip(make_mp3_cover, "audio_cover.mp3")
    wav = _Clip(make_wav, "audio.wav")
    ogg = _Clip(make_ogg, "audio.ogg")
    flac = _Clip(make_flac, "audio.flac")
    m4a = _Clip(make_m4a, "audio.m4a")
    m4a_cover = _Clip(make_m4a_cover, "audio_cover.m4a")
    mkv_cover = _Clip(make_mkv_cover, "audio_cover.mkv")
    corrupt_mp4 = _Clip(make_corrupt_mp4, "corrupt.mp4")
    text_mp4 = _Clip(make_text_mp4, "text.mp4")
    truncated_mp4 = _Clip(make_truncated_mp4, "truncated.mp4")
    srt = _Clip(_text_maker(_SRT), "captions.srt")
    vtt = _Clip(_text_maker(_VTT), "captions.vtt")
    dfxp = _Clip(_text_maker(_DFXP), "captions.dfxp")
    sami = _Clip(_text_maker(_SAMI), "captions.smi")
    scc = _Clip(_text_maker(_SCC), "captions.scc")

    def __init__(self, directory: Path, ffmpeg: str) -> None:
        self.directory = directory
        self.ffmpeg = ffmpeg
        self._made: dict[str, Path] = {}

    @classmethod
    def names(cls) -> list[str]:
        """Every clip name, in definition order."""
        return [name for name, value in vars(cls).items() if isinstance(value, _Clip)]

    def get(self, name: str) -> Path:
        """The clip's path, made now if no test asked for it before."""
        if name not in self._made:
            clip = vars(type(self)).get(name)
            if not isinstance(clip, _Clip):
                raise KeyError(f"no clip named {name!r}; known: {', '.join(self.names())}")
            self._made[name] = clip.maker(self.ffmpeg, self.directory / clip.filename)
        return self._made[name]
