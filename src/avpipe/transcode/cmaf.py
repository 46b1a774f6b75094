"""Pure planning of the CMAF group's local packaging: HLS + DASH from the ladder's own encodes.

MediaConvert encodes a CMAF group's outputs itself. Locally, each CMAF output is the same
encode as one File group output (the planner gives them identical descriptions), so the
stream is a remux, not a second encode: one ffmpeg run with the dash muxer copies the
tracks of the finished MP4 renditions (``-c copy``) into one fragmented MP4 per track,
one fragment per 2 s segment, and writes the MPD plus (``hls_playlist``) the HLS master and
media playlists over the same files. A CMAF output no File output matches (e.g. the audio
rendition when its bitrate differs from every rung's) is encoded as an extra track in the
main ffmpeg run, which still decodes the source once.

The files are then given the names MediaConvert writes for a CMAF group with
``SegmentControl: SINGLE_FILE`` and the same destination ``base`` and name modifiers:
``base.m3u8`` and ``base.mpd`` (the manifests), ``base<modifier>.m3u8`` (a variant
playlist) and ``base<modifier>.cmfv`` / ``.cmfa`` (the track, addressed by byte ranges).
"""

from __future__ import annotations

import copy
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from avpipe.ffmpeg.safety import input_options
from avpipe.planning.templates import stream_group

STAGE = "stream"  # sub-folder of the job's scratch folder the dash muxer writes into
_TRACK = "avpipe-track-{}.mp4"  # the muxer's name for representation N (renamed afterwards)
_MEDIA = "media_{}.m3u8"  # ffmpeg's dash muxer names its HLS media playlists so
_MASTER = "avpipe-master.m3u8"
_MPD = "avpipe-stream.mpd"


@dataclass(frozen=True)
class TrackSource:
    """Where one CMAF output's track comes from: a main-run output (index) and its kind."""

    output_index: int  # index into the main run's outputs (File outputs, then extra encodes)
    kind: str  # "v" or "a"
    name_modifier: str
    width: int = 0  # the video size (0 for audio)
    height: int = 0


@dataclass(frozen=True)
class Subtitle:
    """A CMAF caption output: the WebVTT file it carries, published as ``base<modifier>.vtt``."""

    name_modifier: str
    source_uri: str
    language: str | None


@dataclass(frozen=True)
class StreamJob:
    """The packaging run and how its files are renamed into MediaConvert's layout."""

    tracks: tuple[TrackSource, ...]
    segment_s: int
    write_dash: bool
    subtitles: tuple[Subtitle, ...] = ()

    def args(self, inputs: list[str], stage_dir: str) -> tuple[str, ...]:
        """The ffmpeg arguments (after the binary) that package ``inputs`` (the main run's
        files, by output index) into ``stage_dir``."""
        used = sorted({t.output_index for t in self.tracks})
        args: list[str] = ["-y"]
        for index in used:
            args += [*input_options(inputs[index]), "-i", inputs[index]]
        for track in self.tracks:
            args += ["-map", f"{used.index(track.output_index)}:{track.kind}:0"]
        sets = [f"id={n},streams={kind}" for n, kind in enumerate(k for k in ("v", "a")
                                                                  if any(t.kind == k for t in self.tracks))]
        args += ["-c", "copy", *self._aspect(), "-map_metadata", "-1", "-map_chapters", "-1", "-f", "dash",
                 "-seg_duration", str(self.segment_s), "-single_file", "1",
                 "-single_file_name", _TRACK.format("$RepresentationID$"),
                 "-hls_playlist", "1", "-hls_master_name", _MASTER, "-adaptation_sets", " ".join(sets),
                 posixpath.join(stage_dir, _MPD)]
        return tuple(args)

    def _aspect(self) -> list[str]:
        """One display aspect ratio for all video tracks (the largest's), as DASH requires within an
        adaptation set: even-sized rungs differ from it by a fraction of a percent (854x480 against
        16:9), which the copied track's pixel aspect ratio absorbs. The pictures are not touched."""
        videos = [t for t in self.tracks if t.kind == "v" and t.width and t.height]
        if not videos:
            return []
        largest = max(videos, key=lambda t: t.width * t.height)
        return [item for n in range(len(videos)) for item in (f"-aspect:v:{n}", f"{largest.width}:{largest.height}")]

    def files(self, base: str) -> list[tuple[str, str, str]]:
        """(name the muxer writes, name modifier, extension) of every file to publish; ``base``
        is the destination's file name part (``intro``)."""
        files = [(_MASTER, "", ".m3u8")]
        if self.write_dash:
            files.append((_MPD, "", ".mpd"))
        for n, track in enumerate(self.tracks):
            files.append((_MEDIA.format(n), track.name_modifier, ".m3u8"))
            files.append((_TRACK.format(n), track.name_modifier, ".cmfv" if track.kind == "v" else ".cmfa"))
        return files

    def renames(self, base: str) -> dict[str, str]:
        """Muxer file name -> published file name, for rewriting the references between them."""
        return {written: f"{base}{modifier}{extension}" for written, modifier, extension in self.files(base)}


def plan_stream(settings: dict[str, Any]) -> tuple[list[dict[str, Any]], StreamJob | None]:
    """The extra outputs the main run must encode, and the packaging job; ([], None) without a CMAF group."""
    group = stream_group(settings)
    if group is None:
        return [], None
    files: list[dict[str, Any]] = settings["OutputGroups"][0]["Outputs"]
    extras: list[dict[str, Any]] = []
    tracks = []
    selectors = settings["Inputs"][0].get("CaptionSelectors", {})
    subtitles = []
    for output in group["Outputs"]:
        if "CaptionDescriptions" in output:
            description = output["CaptionDescriptions"][0]
            source = selectors[description["CaptionSelectorName"]]["SourceSettings"]["FileSourceSettings"]
            subtitles.append(Subtitle(output.get("NameModifier", ""), source["SourceFile"],
                                      description.get("CustomLanguageCode")))
            continue
        kind = "v" if "VideoDescription" in output else "a"
        index = _matching_file_output(output, files, kind)
        if index is None:
            extras.append(_as_mp4_track(output, kind))
            index = len(files) + len(extras) - 1
        video = output.get("VideoDescription") or {}
        tracks.append(TrackSource(index, kind, output.get("NameModifier", ""),
                                  int(video.get("Width") or 0), int(video.get("Height") or 0)))
    cmaf = group["OutputGroupSettings"]["CmafGroupSettings"]
    # videos first, then audio: the order of the playlists' variants and the MPD's adaptation sets
    ordered = tuple(sorted(tracks, key=lambda t: t.kind != "v"))
    return extras, StreamJob(ordered, int(cmaf.get("SegmentLength", 2)),
                             cmaf.get("WriteDashManifest", "ENABLED") == "ENABLED", tuple(subtitles))


def _matching_file_output(output: dict[str, Any], files: list[dict[str, Any]], kind: str) -> int | None:
    """A File output that already encodes exactly this CMAF output's track."""
    for index, candidate in enumerate(files):
        if candidate.get("ContainerSettings", {}).get("Container", "MP4") != "MP4":
            continue
        if kind == "v" and candidate.get("VideoDescription") == output["VideoDescription"]:
            return index
        if kind == "a" and candidate.get("AudioDescriptions", [])[:1] == output.get("AudioDescriptions", [])[:1]:
            return index
    return None


def _as_mp4_track(output: dict[str, Any], kind: str) -> dict[str, Any]:
    """The CMAF output as one more (internal, unpublished) MP4 output of the main run."""
    track = {"NameModifier": output.get("NameModifier", ""),
             "ContainerSettings": {"Container": "MP4", "Mp4Settings": {"MoovPlacement": "NORMAL"}}}
    if kind == "v":
        track["VideoDescription"] = copy.deepcopy(output["VideoDescription"])
    else:
        track["AudioDescriptions"] = copy.deepcopy(output["AudioDescriptions"][:1])
    return track


def finish_stream(job: StreamJob, stage_dir: Path, base: str) -> list[tuple[Path, str, str]]:
    """Rename the muxer's files to MediaConvert's names and point the manifests at them.

    Returns (file, name modifier, extension) for every file to publish, manifests last, so a
    store that lists files as they arrive never shows a manifest before what it references.
    References are relative, percent-encoded file names: the files sit side by side.
    """
    renames = job.renames(base)
    done: list[tuple[Path, str, str]] = []
    for written, modifier, extension in job.files(base):
        source = stage_dir / written
        target = stage_dir / renames[written]
        if extension in (".m3u8", ".mpd"):
            target.write_text(_rewritten(source.read_text(encoding="utf-8"), renames), encoding="utf-8")
            source.unlink()
        else:
            source.replace(target)
        done.append((target, modifier, extension))
    return sorted(done, key=publish_order)


def publish_order(item: tuple[Path, str, str]) -> int:
    """Media files first, then variant playlists, the master and MPD (no name modifier) last."""
    _, modifier, extension = item
    if extension not in (".m3u8", ".mpd"):
        return 0
    return 1 if modifier else 2


def _rewritten(text: str, renames: dict[str, str]) -> str:
    lines = [line for line in text.splitlines() if not line.startswith("#EXT-X-PROGRAM-DATE-TIME")]
    text = "\n".join(lines) + "\n"
    for written, published in renames.items():
        text = text.replace(written, quote(published))
    return text


def output_destination(destination: str, source_key: str) -> str:
    """A group's destination; one ending in ``/`` names the outputs after the input file, as on MediaConvert."""
    if destination.endswith("/"):
        destination += posixpath.splitext(posixpath.basename(source_key))[0]
    return destination


def stream_destination(settings: dict[str, Any], source_key: str) -> str:
    group = stream_group(settings)
    if group is None:
        raise ValueError("the job has no CMAF group")
    return output_destination(group["OutputGroupSettings"]["CmafGroupSettings"]["Destination"], source_key)


def stream_sizes(settings: dict[str, Any]) -> dict[tuple[str, str], tuple[int | None, int | None]]:
    """(name modifier, extension) -> the video size, for the stream's variant files."""
    group = stream_group(settings)
    sizes: dict[tuple[str, str], tuple[int | None, int | None]] = {}
    for output in group["Outputs"] if group else ():
        video = output.get("VideoDescription")
        if video is not None:
            for extension in (".m3u8", ".cmfv"):
                sizes[(output.get("NameModifier", ""), extension)] = (video.get("Width"), video.get("Height"))
    return sizes
