"""The quality case's two reference profiles, as ffmpeg arguments (pure).

- **PeerTube** (its default VOD transcoding profile, ``defaultX264VODOptionsBuilder`` and
  ``getCommonOutputOptions`` in PeerTube's server, ``getAverageTheoreticalBitrate`` in
  ``packages/core-utils/src/videos/bitrate.ts``): one ffmpeg process per resolution, x264
  ``veryfast`` at its default CRF 23, ``-maxrate`` = average bits per pixel of the rung
  (360p 0.15, 480p 0.12, 720p 0.11, 1080p 0.10) x pixels x fps, capped at 1.3x the input's
  bitrate and at least 0.02 bit per pixel, ``-bufsize`` twice that, ``-b_strategy 1 -bf 16``,
  ``-r fps``; 2 s GOPs as avpipe's (PeerTube's HLS segments). PeerTube's default
  ``transcoding.threads`` is 1.
- **Video on Demand on AWS** (its ``1080p_avc_aac_16x9_qvbr_no_preset`` job template, HLS
  group): 270p QVBR 7 / 400 kb/s, 360p 7 / 1.5 Mb/s, 540p 8 / 3.5 Mb/s, 720p 8 / 6 Mb/s,
  1080p 9 / 8.5 Mb/s (MaxBitrate; HrdBufferSize 2.5x), 5 B-frames, 3 references, 3 s GOPs,
  ``SINGLE_PASS_HQ``, AQ MEDIUM at 270p/360p and HIGH above. It is written here as
  MediaConvert outputs and translated to x264 by avpipe's own :mod:`avpipe.transcode.ffmpeg_args`
  (one decode, as MediaConvert does one job), so the comparison is of the ladders' settings.
  Scaling is taken from avpipe's outputs (``Sharpness`` 50; the solution's template says 100,
  which the translation would make a 4-lobe Lanczos instead of 3).
"""

from __future__ import annotations

import copy
import math
from typing import Any

PEERTUBE_AVERAGE_BPP = {144: 0.19, 240: 0.17, 360: 0.15, 480: 0.12, 720: 0.11, 1080: 0.10, 1440: 0.09, 2160: 0.08}
PEERTUBE_MIN_BPP = 0.02
AWS_VOD_LADDER = (  # (width, height, QVBR level, MaxBitrate, AdaptiveQuantization)
    (480, 270, 7, 400_000, "MEDIUM"), (640, 360, 7, 1_500_000, "MEDIUM"), (960, 540, 8, 3_500_000, "HIGH"),
    (1280, 720, 8, 6_000_000, "HIGH"), (1920, 1080, 9, 8_500_000, "HIGH"),
)


def peertube_bitrate(height: int, ratio: float, fps: float, input_bitrate: int | None) -> int:
    """PeerTube's target (``-maxrate``) for one resolution."""
    bpp = next(PEERTUBE_AVERAGE_BPP[r] for r in sorted(PEERTUBE_AVERAGE_BPP, reverse=True) if r <= height)
    pixels = height * height * ratio
    target = pixels * fps * bpp
    if input_bitrate:
        target = min(target, input_bitrate * 1.3)
    return math.floor(max(pixels * fps * PEERTUBE_MIN_BPP, target))


def peertube_rung(source: str, width: int, height: int, fps: float, input_bitrate: int | None, out: str) -> list[str]:
    """One PeerTube transcoding process (arguments after the binary)."""
    target = peertube_bitrate(height, width / height, fps, input_bitrate)
    return ["-i", source, "-vf", f"scale={width}:{height}", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
            "-maxrate:v", str(target), "-bufsize:v", str(target * 2), "-b_strategy", "1", "-bf", "16",
            "-r", f"{fps:g}", "-g", str(round(2 * fps)), "-pix_fmt", "yuv420p", "-threads", "1", "-an",
            "-f", "mp4", "-movflags", "+faststart", out]


def aws_vod_settings(base: dict[str, Any], source_width: int, source_height: int) -> dict[str, Any]:
    """Job settings holding the solution's rungs that fit the source, built on one of avpipe's
    planned outputs (``base``: its container, frame rate and scaling), for avpipe's translation."""
    outputs = []
    for width, height, level, max_bitrate, aq in AWS_VOD_LADDER:
        if height > source_height or width > source_width:
            continue
        output = copy.deepcopy(base)
        output["NameModifier"] = f"_{height}p"
        output.pop("AudioDescriptions", None)
        video = output["VideoDescription"]
        video["Width"], video["Height"] = width, height
        h264 = video["CodecSettings"]["H264Settings"]
        for key in [k for k in h264 if k.endswith("AdaptiveQuantization")]:
            h264.pop(key)
        h264.update({"RateControlMode": "QVBR", "QvbrSettings": {"QvbrQualityLevel": level},
                     "MaxBitrate": max_bitrate, "HrdBufferSize": max_bitrate * 5 // 2,
                     "QualityTuningLevel": "SINGLE_PASS_HQ", "NumberBFramesBetweenReferenceFrames": 5,
                     "NumberReferenceFrames": 3, "GopSize": 3.0, "GopSizeUnits": "SECONDS",
                     "AdaptiveQuantization": aq})
        outputs.append(output)
    return {"Inputs": [{"FileInput": "source"}],
            "OutputGroups": [{"Name": "File Group", "Outputs": outputs, "OutputGroupSettings": {
                "Type": "FILE_GROUP_SETTINGS", "FileGroupSettings": {"Destination": "x"}}}]}
