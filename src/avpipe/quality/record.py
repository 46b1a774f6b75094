"""VMAF of every rendition of an asset, recorded in its manifest (``quality`` per output)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime

from avpipe.analysis.facts import MediaFacts, VideoTrack
from avpipe.errors import BadInputError
from avpipe.ffmpeg.runner import FfmpegRunner
from avpipe.manifest.model import Manifest, OutputEntry, iso
from avpipe.manifest.repository import load_manifest, update_manifest
from avpipe.quality.graph import VmafScore
from avpipe.quality.measure import measure_rendition
from avpipe.storage.base import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QualityTools:
    """What measuring needs: an ffmpeg with libvmaf, MediaInfo and a clock."""

    runner: FfmpegRunner
    probe: Callable[[str], MediaFacts]
    clock: Callable[[], datetime]
    threads: int = 0


def assess_asset(public: Store, name: str, tools: QualityTools, source_path: str | None = None) -> Manifest:
    """Measure every rendition of ``name`` against its source and save the scores in its manifest.

    The source is ``source_path`` when given (the file that was processed), else the kept
    ``original/`` copy in the public store.
    """
    manifest = load_manifest(public, name)
    if manifest is None:
        raise BadInputError(f"There is no asset named {name!r}.")
    renditions = [o for o in manifest.outputs if o.kind == "rendition"]
    if not renditions:
        raise BadInputError(f"{name} has no video renditions to measure.")
    with _source(public, manifest, source_path) as source_file:
        source = _video(tools.probe(source_file), name)
        scores = {o.key: _measure(public, o, source_file, source, tools) for o in renditions}
    stamp = iso(tools.clock())
    saved = update_manifest(public, name, lambda current: _with_scores(current, scores, stamp))
    return saved or manifest


def _measure(
    public: Store, output: OutputEntry, source_file: str, source: VideoTrack, tools: QualityTools
) -> VmafScore:
    with public.readable(output.key) as rendition:
        track = tools.probe(rendition).video
        score = measure_rendition(tools.runner, source_file, source, rendition, threads=tools.threads,
                                  rendition_rate=track.frame_rate if track else None)
    log.info("%s: VMAF %.2f (5th percentile %.2f)", output.key, score.mean, score.p5)
    return score


def _with_scores(manifest: Manifest, scores: dict[str, VmafScore], stamp: str) -> Manifest:
    outputs = tuple(replace(o, quality={**scores[o.key].to_dict(), "measured_at": stamp}) if o.key in scores else o
                    for o in manifest.outputs)
    return replace(manifest, outputs=outputs)


@contextlib.contextmanager
def _source(public: Store, manifest: Manifest, source_path: str | None) -> Iterator[str]:
    if source_path is not None:
        yield source_path
        return
    if not manifest.original or not public.exists(manifest.original):
        raise BadInputError(f"{manifest.name} has no kept original to compare with; name the source file instead.")
    with public.readable(manifest.original) as path:
        yield path


def _video(facts: MediaFacts, name: str) -> VideoTrack:
    if facts.video is None:
        raise BadInputError(f"The source of {name} has no video track to compare with.")
    return facts.video
