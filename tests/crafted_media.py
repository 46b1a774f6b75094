"""Media whose headers and streams disagree, or that real-world files resemble: each ``make_*``
writes one small file with the real ffmpeg, patches it where needed, and returns its path.

Frames differ strongly from one another (the hue turns half a circle per second), so a
thumbnail can be matched to the frame it was taken from by PSNR.
"""

from __future__ import annotations

import re
import struct
import subprocess
from pathlib import Path

from media import run_ffmpeg

_X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]


def _turning(size: str, rate: int, duration: float) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={duration},hue=h=t*180"]


def _sine(duration: float) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={duration}"]


def make_timestamp_gap_mkv(ffmpeg: str, path: Path) -> Path:
    """Matroska declaring 1 s (segment duration and track tag patched) whose two frames are
    100,000 s apart."""
    run_ffmpeg(ffmpeg, "-f", "lavfi", "-i", "color=c=red:s=64x48:r=10:d=0.2", "-vf", "setpts=N*100000/TB",
               "-fps_mode", "passthrough", *_X264, str(path))
    data = bytearray(path.read_bytes())
    at = data.find(b"\x44\x89\x88")  # Segment Info / Duration, an 8-byte float in milliseconds
    assert at > 0, "no Duration element"
    data[at + 3:at + 11] = struct.pack(">d", 1000.0)
    patched = re.sub(rb"\d\d:\d\d:\d\d\.\d{9}", b"00:00:01.000000000", bytes(data))  # the DURATION tag
    path.write_bytes(patched)
    return path


def make_lying_dimensions_mp4(ffmpeg: str, path: Path) -> Path:
    """320x240 H.264 whose track header and sample entry are patched to say 32x24."""
    run_ffmpeg(ffmpeg, *_turning("320x240", 10, 0.5), *_X264, str(path))
    data = bytearray(path.read_bytes())
    tkhd = data.find(b"tkhd")
    end = tkhd - 4 + struct.unpack(">I", data[tkhd - 4:tkhd])[0]
    data[end - 8:end] = struct.pack(">II", 32 << 16, 24 << 16)
    entry = data.find(b"avc1", data.find(b"stsd"))
    dims = entry + 4 + 6 + 2 + 16  # reserved, data reference index, pre-defined/reserved fields
    assert struct.unpack(">HH", data[dims:dims + 4]) == (320, 240)
    data[dims:dims + 4] = struct.pack(">HH", 32, 24)
    path.write_bytes(bytes(data))
    return path


def make_late_tables_ts(ffmpeg: str, path: Path) -> Path:
    """0.65 s MPEG-TS (320x240 video + audio, starting at 10 s) whose first PAT/PMT/SDT are
    removed: the tables arrive mid-stream, as in a capture started between them."""
    full = path.with_name(path.stem + ".full.ts")
    run_ffmpeg(ffmpeg, *_turning("320x240", 25, 0.65), *_sine(0.65), *_X264, "-g", "100", "-c:a", "aac",
               "-pat_period", "0.55", "-sdt_period", "0.55", "-output_ts_offset", "10", str(full))
    data = full.read_bytes()
    full.unlink()
    packets = [data[i:i + 188] for i in range(0, len(data), 188)]
    pids = [((p[1] & 0x1F) << 8) | p[2] for p in packets]
    second_pat = [i for i, pid in enumerate(pids) if pid == 0][1]
    tables = {0, 0x11, 0x1000}  # PAT, SDT, the first PMT
    kept = [p for i, (p, pid) in enumerate(zip(packets, pids, strict=True)) if i >= second_pat or pid not in tables]
    path.write_bytes(b"".join(kept))
    return path


def make_offset_ts(ffmpeg: str, path: Path) -> Path:
    """3 s MPEG-TS at 10 fps whose timestamps start at 10 s."""
    run_ffmpeg(ffmpeg, *_turning("320x240", 10, 3.0), *_X264, "-g", "10", "-output_ts_offset", "10", str(path))
    return path


def make_late_video_ts(ffmpeg: str, path: Path) -> Path:
    """MPEG-TS from 10 s: 4 s of audio from the start, 2 s of video (10 fps) from 1.5 s on."""
    run_ffmpeg(ffmpeg, "-itsoffset", "1.5", *_turning("320x240", 10, 2.0), *_sine(4.0), "-map", "0:v", "-map", "1:a",
               *_X264, "-g", "10", "-c:a", "aac", "-output_ts_offset", "10", str(path))
    return path


def make_short_video_long_audio(ffmpeg: str, path: Path) -> Path:
    """MP4: 1 s of video (10 fps), 4 s of audio: the container outlasts the video stream."""
    run_ffmpeg(ffmpeg, *_turning("320x240", 10, 1.0), *_sine(4.0), *_X264, "-c:a", "aac", str(path))
    return path


def make_rotated_turning_mov(ffmpeg: str, path: Path) -> Path:
    """2 s MOV coded 320x240 at 10 fps, displayed turned 90 degrees clockwise."""
    coded = path.with_name(path.stem + ".coded.mov")
    run_ffmpeg(ffmpeg, *_turning("320x240", 10, 2.0), *_X264, "-g", "10", str(coded))
    run_ffmpeg(ffmpeg, "-display_rotation", "-90", "-i", str(coded), "-c", "copy", str(path))
    coded.unlink()
    return path


def make_long_subtitle_mkv(ffmpeg: str, path: Path) -> Path:
    """Matroska: 1 s of video and audio, and an SRT track whose cue lasts until 3 s."""
    srt = path.with_name(path.stem + ".srt")
    srt.write_text("1\n00:00:00,000 --> 00:00:03,000\nLonger than the media\n")
    run_ffmpeg(ffmpeg, *_turning("160x120", 10, 1.0), *_sine(1.0), "-i", str(srt), "-map", "0", "-map", "1",
               "-map", "2", *_X264, "-c:a", "aac", "-c:s", "srt", str(path))
    srt.unlink()
    return path


def make_tta(ffmpeg: str, path: Path) -> Path:
    run_ffmpeg(ffmpeg, *_sine(0.5), "-c:a", "tta", str(path))
    return path


def make_dsf(ffmpeg: str, path: Path) -> Path:
    """0.5 s of mono DSD64 in a DSF file (ffmpeg reads DSD but cannot write it: written here)."""
    rate, block = 2_822_400, 4096
    samples = rate // 2
    blocks = (samples // 8 + block - 1) // block
    data = b"\x69" * (blocks * block)  # the DSD idle pattern
    fmt = struct.pack("<4sQIIIIIIQII", b"fmt ", 52, 1, 0, 1, 1, rate, 1, samples, block, 0)
    body = struct.pack("<4sQ", b"data", 12 + len(data)) + data
    header = struct.pack("<4sQQQ", b"DSD ", 28, 28 + len(fmt) + len(body), 0)
    path.write_bytes(header + fmt + body)
    return path


def make_midi(ffmpeg: str, path: Path) -> Path:
    """A one-note MIDI file: MediaInfo calls it audio, ffmpeg has no demuxer for it."""
    track = bytes([0x00, 0x90, 0x3C, 0x40, 0x60, 0x80, 0x3C, 0x40, 0x00, 0xFF, 0x2F, 0x00])
    path.write_bytes(b"MThd" + struct.pack(">IHHH", 6, 0, 1, 96) + b"MTrk" + struct.pack(">I", len(track)) + track)
    return path


def frame(ffmpeg: str, source: Path, index: int, width: int, height: int, out: Path) -> Path:
    """Frame number ``index`` of the source's video, decoded in full (no seeking), displayed as
    ffmpeg shows it (rotation applied) and scaled like a thumbnail."""
    run_ffmpeg(ffmpeg, "-i", str(source), "-map", "0:V:0", "-vf",
               f"select=eq(n\\,{index}),scale={width}:{height}:flags=bicubic,setsar=1,format=yuvj420p",
               "-frames:v", "1", "-q:v", "2", "-update", "1", str(out))
    return out


def psnr(ffmpeg: str, a: Path, b: Path) -> float:
    """The average PSNR (dB) between two pictures of the same size, from ffmpeg's psnr filter."""
    graph = "[0:v]format=yuv444p[a];[1:v]format=yuv444p[b];[a][b]psnr"
    proc = subprocess.run([ffmpeg, "-hide_banner", "-i", str(a), "-i", str(b), "-lavfi", graph,  # noqa: S603
                           "-f", "null", "-"], capture_output=True, text=True, errors="replace", check=True)
    match = re.search(r"average:(inf|[\d.]+)", proc.stderr)
    assert match, proc.stderr[-500:]
    return float("inf") if match.group(1) == "inf" else float(match.group(1))
