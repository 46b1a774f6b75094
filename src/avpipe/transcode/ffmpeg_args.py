"""Pure translation of MediaConvert job settings into one ffmpeg argument list.

All outputs of the job come from one ffmpeg process: the source is decoded once,
shared filters (deinterlace, frame-rate cap) run once before a ``split``, and each
branch scales to its rung. Settings are checked first (see :mod:`.support`).
"""

from __future__ import annotations

import math
import posixpath
from dataclasses import dataclass
from typing import Any

from avpipe.ffmpeg.safety import input_options
from avpipe.transcode.cmaf import StreamJob, plan_stream
from avpipe.transcode.support import check_supported

# x264 presets standing in for MediaConvert's quality tuning levels
PRESETS = {"SINGLE_PASS": "veryfast", "SINGLE_PASS_HQ": "fast", "MULTI_PASS_HQ": "medium"}
PROFILES = {"BASELINE": "baseline", "MAIN": "main", "HIGH": "high"}
# MediaConvert's adaptive quantization strength as x264's --aq-strength (AUTO: x264's own default, 1.0)
AQ_STRENGTHS = {"LOW": 0.6, "MEDIUM": 0.8, "HIGH": 1.0, "HIGHER": 1.2, "MAX": 1.4}


@dataclass(frozen=True)
class PlannedOutput:
    """One file the ffmpeg run writes, and the name modifier/extension it is published under."""

    name_modifier: str
    extension: str  # with the dot: ".mp4", ".mp3"
    path: str


@dataclass(frozen=True)
class FfmpegJob:
    args: tuple[str, ...]
    outputs: tuple[PlannedOutput, ...]  # the File group's outputs, in order
    stream: StreamJob | None = None  # the CMAF group's packaging run, after this one
    encoded: tuple[str, ...] = ()  # every file this run writes: the outputs, then tracks only the stream uses


def qvbr_to_crf(level: float) -> float:
    """MediaConvert QVBR quality (1..10, higher is better) to an x264 CRF (lower is better)."""
    return round(41.0 - 2.5 * level, 1)


def ffmpeg_job(
    settings: dict[str, Any], input_path: str, output_dir: str, *, threads: int = 0, cores: int | None = None,
    read_limit_s: float | None = None,
) -> FfmpegJob:
    """The ffmpeg arguments (after the binary) that execute ``settings`` on ``input_path``.

    ``threads`` > 0 gives every encoder that many threads. Otherwise, with ``cores``, the
    video encoders share the cores by pixel rate (see :func:`encoder_threads`); without
    either, ffmpeg picks for each encoder as if it ran alone. ``read_limit_s`` bounds how much
    of the input is read (``-t`` on the input): outputs never outlast the checked duration.
    """
    check_supported(settings)
    job_input = settings["Inputs"][0]
    extras, stream = plan_stream(settings)
    outputs_settings = [*settings["OutputGroups"][0]["Outputs"], *extras]
    args: list[str] = ["-y", *input_options(input_path)]
    if job_input.get("VideoSelector", {}).get("Rotate") != "AUTO":
        args.append("-noautorotate")  # MediaConvert's default is to ignore rotation metadata
    if read_limit_s is not None:
        args += ["-t", f"{read_limit_s:.3f}"]
    args += ["-i", input_path]
    video_labels, graph = _filter_graph(outputs_settings)
    if graph:
        args += ["-filter_complex", graph]
    planned = []
    shares = encoder_threads(outputs_settings, cores) if not threads and cores else {}
    for index, output in enumerate(outputs_settings):
        extension = _extension(output)
        path = posixpath.join(output_dir, f"out{index}{extension}")
        args += _output_args(output, job_input, video_labels.get(index), threads or shares.get(index, 0))
        args.append(path)
        planned.append(PlannedOutput(output.get("NameModifier", ""), extension, path))
    files = len(outputs_settings) - len(extras)
    return FfmpegJob(tuple(args), tuple(planned[:files]), stream, tuple(p.path for p in planned))


def _filter_graph(outputs: list[dict[str, Any]]) -> tuple[dict[int, str], str]:
    """One decode, shared filters once, then a split into one branch per video output."""
    chains = {i: _video_chain(o["VideoDescription"]) for i, o in enumerate(outputs)
              if "VideoDescription" in o and not is_passthrough(o)}
    if not chains:
        return {}, ""
    shared = _common_prefix(list(chains.values()))
    labels = {i: f"[v{i}]" for i in chains}
    head = ",".join(shared) if shared else "null"
    if len(chains) == 1:
        (index, chain), = chains.items()
        return labels, f"[0:V:0]{','.join(chain) or 'null'}{labels[index]}"
    split_labels = "".join(f"[s{i}]" for i in chains)
    parts = [f"[0:V:0]{head},split={len(chains)}{split_labels}"]
    for i, chain in chains.items():
        rest = chain[len(shared):]
        parts.append(f"[s{i}]{','.join(rest) or 'null'}{labels[i]}")
    return labels, ";".join(parts)


def _video_chain(video: dict[str, Any]) -> list[str]:
    """Filters for one output, in order: deinterlace, frame rate, scale, pixel aspect, format."""
    chain: list[str] = []
    deinterlacer = video.get("VideoPreprocessors", {}).get("Deinterlacer")
    if deinterlacer is not None:
        only_flagged = deinterlacer.get("Mode", "DEINTERLACE") == "ADAPTIVE"
        chain.append(f"yadif=mode=send_frame:parity=auto:deint={'interlaced' if only_flagged else 'all'}")
    h264 = video["CodecSettings"].get("H264Settings", {})
    if h264.get("FramerateControl") == "SPECIFIED":
        chain.append(f"fps={h264['FramerateNumerator']}/{h264['FramerateDenominator']}")
    width, height = video.get("Width"), video.get("Height")
    flags = scaler(video)
    if width and height:
        if video.get("ScalingBehavior", "DEFAULT") == "DEFAULT":  # fit inside, letterbox or pillarbox
            chain.append(f"scale={width}:{height}:flags={flags}:force_original_aspect_ratio=decrease")
            chain.append(f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2")
        else:
            chain.append(f"scale={width}:{height}:flags={flags}")
    elif width or height:
        chain.append(f"scale={width or -2}:{height or -2}:flags={flags}")
    if h264.get("ParControl") == "SPECIFIED":
        chain.append(f"setsar={h264.get('ParNumerator', 1)}/{h264.get('ParDenominator', 1)}")
    chain.append("format=yuv420p")
    return chain


def scaler(video: dict[str, Any]) -> str:
    """swscale's flags for MediaConvert's scaling: AntiAlias ENABLED is a Lanczos filter whose kernel
    width follows Sharpness (MediaConvert: "changes the width of the anti-alias filter kernel", 0 the
    softest, 100 the sharpest, 50 recommended): 2 lobes at 0, 3 (swscale's default) at 50, 4 at 100.
    AntiAlias DISABLED is the fast bilinear scaler."""
    if video.get("AntiAlias", "ENABLED") != "ENABLED":
        return "fast_bilinear"
    sharpness = min(100, max(0, int(video.get("Sharpness", 50))))
    return f"lanczos:param0={2 + round(sharpness / 50)}"


def _common_prefix(chains: list[list[str]]) -> list[str]:
    shared: list[str] = []
    for filters in zip(*chains, strict=False):  # chains differ in length; compare the common part
        if len(set(filters)) != 1 or filters[0].startswith(("scale=", "pad=", "setsar=", "format=")):
            break
        shared.append(filters[0])
    return shared


def _output_args(output: dict[str, Any], job_input: dict[str, Any], label: str | None, threads: int) -> list[str]:
    args: list[str] = []
    if is_passthrough(output):  # the source's own video stream, not decoded
        args += ["-map", "0:V:0", "-c:v", "copy"]
    elif label is not None:
        args += ["-map", label, *_h264_args(output["VideoDescription"]["CodecSettings"]["H264Settings"])]
    for description in output.get("AudioDescriptions", []):
        args += ["-map", _audio_stream(description, job_input), *_audio_args(description["CodecSettings"])]
    if label is None and not is_passthrough(output):
        args.append("-vn")
    args += ["-sn", "-dn", "-map_metadata", "-1", "-map_chapters", "-1"]
    if threads:
        args += ["-threads", str(threads)]
    container = output.get("ContainerSettings", {})
    if container.get("Container", "MP4") == "MP4":
        args += ["-f", "mp4"]
        if container.get("Mp4Settings", {}).get("MoovPlacement", "PROGRESSIVE_DOWNLOAD") == "PROGRESSIVE_DOWNLOAD":
            args += ["-movflags", "+faststart"]
    else:
        args += ["-f", "mp3"]
    return args


def is_passthrough(output: dict[str, Any]) -> bool:
    """Whether the output copies the source's video (MediaConvert's ``PASSTHROUGH`` codec)."""
    return bool(output.get("VideoDescription", {}).get("CodecSettings", {}).get("Codec") == "PASSTHROUGH")


def _h264_args(h264: dict[str, Any]) -> list[str]:
    args = ["-c:v", "libx264", "-preset", PRESETS[h264.get("QualityTuningLevel", "SINGLE_PASS")]]
    args += ["-profile:v", PROFILES[h264.get("CodecProfile", "MAIN")]]
    level = h264.get("CodecLevel", "AUTO")
    if level != "AUTO":
        args += ["-level:v", level.removeprefix("LEVEL_").replace("_", ".")]
    args += _rate_control(h264)
    args += _gop(h264)
    if "NumberBFramesBetweenReferenceFrames" in h264:
        args += ["-bf", str(h264["NumberBFramesBetweenReferenceFrames"])]
    if "NumberReferenceFrames" in h264:
        args += ["-refs", str(h264["NumberReferenceFrames"])]
    if h264.get("SceneChangeDetect") == "DISABLED":
        args += ["-sc_threshold", "0"]
    if h264.get("EntropyEncoding") == "CAVLC":
        args += ["-coder", "cavlc"]
    return args + _adaptive_quantization(h264)


def _adaptive_quantization(h264: dict[str, Any]) -> list[str]:
    """MediaConvert's AQ settings as x264's: spatial AQ is ``aq-mode``/``aq-strength`` (OFF, or
    SpatialAdaptiveQuantization DISABLED: no AQ; LOW..MAX: strength 0.6..1.4), temporal AQ is
    x264's macroblock tree (DISABLED: ``-mbtree 0``). Unset or AUTO/ENABLED: x264's defaults."""
    strength = h264.get("AdaptiveQuantization", "AUTO")
    args: list[str] = []
    if strength == "OFF" or h264.get("SpatialAdaptiveQuantization") == "DISABLED":
        args += ["-aq-mode", "0"]
    elif strength in AQ_STRENGTHS:
        args += ["-aq-strength", f"{AQ_STRENGTHS[strength]:g}"]
    if h264.get("TemporalAdaptiveQuantization") == "DISABLED":
        args += ["-mbtree", "0"]
    return args


def _rate_control(h264: dict[str, Any]) -> list[str]:
    mode = h264.get("RateControlMode", "QVBR")
    maxrate = h264.get("MaxBitrate") or h264.get("Bitrate")
    bufsize = h264.get("HrdBufferSize") or (2 * maxrate if maxrate else None)
    if mode == "QVBR":
        qvbr = h264.get("QvbrSettings", {})
        level = qvbr.get("QvbrQualityLevel", 7) + qvbr.get("QvbrQualityLevelFineTune", 0)
        args = ["-crf", f"{qvbr_to_crf(level):g}"]
    elif mode == "VBR":
        args = ["-b:v", str(h264["Bitrate"])]
    else:  # CBR
        bitrate = h264["Bitrate"]
        return ["-b:v", str(bitrate), "-minrate", str(bitrate), "-maxrate", str(bitrate),
                "-bufsize", str(h264.get("HrdBufferSize") or bitrate), "-x264-params", "nal-hrd=cbr"]
    if maxrate:
        args += ["-maxrate", str(maxrate), "-bufsize", str(bufsize)]
    return args


def _gop(h264: dict[str, Any]) -> list[str]:
    size = h264.get("GopSize")
    args: list[str] = []
    if size:
        if h264.get("GopSizeUnits", "FRAMES") == "SECONDS":
            args += ["-force_key_frames", f"expr:gte(t,n_forced*{size:g})"]
        else:
            args += ["-g", str(int(size))]
    if h264.get("GopClosedCadence", 0):
        args += ["-flags", "+cgop"]
    return args


def _audio_stream(description: dict[str, Any], job_input: dict[str, Any]) -> str:
    selectors = job_input.get("AudioSelectors", {})
    selector = selectors.get(description.get("AudioSourceName", "Audio Selector 1"), {})
    tracks = selector.get("Tracks") or [1]
    return f"0:a:{int(tracks[0]) - 1}"


def _audio_args(codec: dict[str, Any]) -> list[str]:
    if codec["Codec"] == "PASSTHROUGH":  # the source's track as it is (the preview of an AAC source)
        return ["-c:a", "copy"]
    if codec["Codec"] == "AAC":
        aac = codec.get("AacSettings", {})
        channels = "1" if aac.get("CodingMode") == "CODING_MODE_1_0" else "2"
        return ["-c:a", "aac", "-b:a", str(aac.get("Bitrate", 128000)), "-ac", channels,
                "-ar", str(aac.get("SampleRate", 48000))]
    mp3 = codec.get("Mp3Settings", {})
    args = ["-c:a", "libmp3lame"]
    if mp3.get("RateControlMode", "CBR") == "VBR":
        args += ["-q:a", str(mp3.get("VbrQuality", 4))]
    else:
        args += ["-b:a", str(mp3.get("Bitrate", 192000))]
    return args + ["-ac", str(mp3.get("Channels", 2)), "-ar", str(mp3.get("SampleRate", 48000))]


def _extension(output: dict[str, Any]) -> str:
    if output.get("Extension"):
        return "." + str(output["Extension"]).lstrip(".")
    container = output.get("ContainerSettings", {}).get("Container", "MP4")
    return ".mp4" if container == "MP4" else ".mp3"


def encoder_threads(outputs: list[dict[str, Any]], cores: int | None) -> dict[int, int]:
    """Threads per video encoder (output index -> count), sharing ``cores`` by pixel rate.

    All encoders of a job run at once in one process, and the pipeline moves at the pace of
    the slowest (largest) one. Left to itself, x264 gives every encoder 1.5 threads per
    core as if it ran alone: a four-rung ladder then runs 6x as many frame threads as cores,
    each holding frames in memory. Here each encoder gets its share of the cores by output
    size, rounded up, so the largest can still use every core (on 2 cores: 2/1/1/1 for
    1080p/720p/480p/360p; on 16: 10/5/2/2). Rounding down instead (1 thread each on 2 cores)
    made the 1080p encoder the bottleneck: 20 % slower in the benchmark. Empty without
    ``cores``: ffmpeg's own choice.
    """
    if not cores:
        return {}
    pixels = {i: int(o["VideoDescription"].get("Width") or 0) * int(o["VideoDescription"].get("Height") or 0)
              for i, o in enumerate(outputs) if "VideoDescription" in o and not is_passthrough(o)}
    total = sum(pixels.values())
    if not total:
        return {}
    return {i: max(1, math.ceil(cores * p / total)) for i, p in pixels.items()}
