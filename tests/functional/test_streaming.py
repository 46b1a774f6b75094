"""The CMAF stream (HLS + DASH) the local backend publishes, on real clips with real ffmpeg.

Playlists are parsed with the ``m3u8`` package, the MPD with ffmpeg's dash demuxer; every
segment is cut out by its byte range and decoded on its own.
"""

from __future__ import annotations

import json
import subprocess
from importlib import resources
from pathlib import Path
from urllib.parse import unquote
from xml.etree import ElementTree

import jsonschema
import m3u8
import pytest

from avpipe.config import Settings
from avpipe.keys import AssetKeys
from avpipe.manifest import Manifest, Status
from avpipe.pipeline.local_runtime import LocalRuntime
from avpipe.planning.streams import describe_streams

from media import MediaLibrary, make_av

SCHEMA = json.loads(resources.files("avpipe.schemas").joinpath("manifest.schema.json").read_text())
RATE = 30
MPD_NS = {"mpd": "urn:mpeg:dash:schema:mpd:2011"}


class Published:
    def __init__(self, public: Path, manifests: dict[str, Manifest | None]) -> None:
        self.public = public
        self.manifests = manifests

    def manifest(self, name: str) -> Manifest:
        manifest = self.manifests[name]
        assert manifest is not None and manifest.status is Status.COMPLETE, manifest
        return manifest

    def master(self, name: str) -> m3u8.M3U8:
        return m3u8.load(str(self.public / f"audiovideo/{name}.m3u8"))

    def variant(self, name: str, uri: str) -> m3u8.M3U8:
        return m3u8.load(str(self.public / "audiovideo" / uri))


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, media: MediaLibrary, media_ffmpeg: str) -> Published:
    clips = tmp_path_factory.mktemp("clips")
    three_s = make_av(media_ffmpeg, clips / "talk.mp4", size="854x480", duration=3.0)  # two 2 s segments
    runtime = LocalRuntime.from_settings(Settings(data_dir=tmp_path_factory.mktemp("data"), workers=1))
    uploads = {"talk.mp4": three_s, "portrait.mp4": media.portrait, "anamorphic.mp4": media.anamorphic,
               "silent.mp4": media.silent, "tone.wav": media.wav}
    manifests = {}
    for name, path in uploads.items():
        manifests[name.rsplit(".", 1)[0]] = runtime.process_key(runtime.submit_file(str(path), name))
    return Published(Path(runtime.public.url), manifests)


def ffmpeg(exe: str, *args: str) -> str:
    proc = subprocess.run([exe, "-nostdin", "-hide_banner", "-v", "error", "-xerror", *args],  # noqa: S603
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr
    return proc.stdout


def decoded_frames(exe: str, path: Path) -> int:
    """Decode every frame of the file's first stream; fail on any decoding error."""
    lines = ffmpeg(exe, "-i", str(path), "-map", "0:0", "-f", "framecrc", "-").splitlines()
    return sum(1 for line in lines if line and not line.startswith("#"))


def segments_of(public: Path, playlist: m3u8.M3U8, tmp: Path) -> list[Path]:
    """Each segment as a file of its own: the init section's bytes, then the segment's range."""
    data = (public / "audiovideo" / playlist.segments[0].uri).read_bytes()
    init = playlist.segment_map[0]
    length, offset = (int(part) for part in init.byterange.split("@"))
    header = data[offset:offset + length]
    files = []
    for index, segment in enumerate(playlist.segments):
        length, offset = (int(part) for part in segment.byterange.split("@"))
        path = tmp / f"segment{index}.mp4"
        path.write_bytes(header + data[offset:offset + length])
        files.append(path)
    return files


def test_the_master_playlist_lists_every_rung_with_codecs_and_the_audio_rendition(published: Published) -> None:
    master = published.master("talk")
    assert master.is_variant
    assert [p.stream_info.resolution for p in master.playlists] == [(640, 360), (854, 480)]
    for playlist in master.playlists:
        assert playlist.stream_info.bandwidth > 0
        assert playlist.stream_info.codecs.startswith("avc1.64") and "mp4a.40.2" in playlist.stream_info.codecs
        assert playlist.stream_info.audio == master.media[0].group_id
    (audio,) = master.media
    assert audio.type == "AUDIO" and audio.uri == "talk_audio.m3u8"
    files = sorted(p.name for p in (published.public / "audiovideo").glob("talk*"))
    assert files == ["talk.m3u8", "talk.mpd", "talk_360p.cmfv", "talk_360p.m3u8", "talk_360p.mp4",
                     "talk_480p.cmfv", "talk_480p.m3u8", "talk_480p.mp4", "talk_audio.cmfa", "talk_audio.m3u8"]
    assert not list((published.public / "staging").rglob("*.*")), "nothing is left in staging"


def test_every_segment_decodes_and_the_variants_add_up_to_the_source(
    published: Published, media_ffmpeg: str, tmp_path: Path
) -> None:
    master = published.master("talk")
    boundaries = []
    for index, uri in enumerate([p.uri for p in master.playlists] + [master.media[0].uri]):
        playlist = published.variant("talk", uri)
        assert playlist.is_endlist and playlist.target_duration == 2
        assert abs(sum(s.duration for s in playlist.segments) - 3.0) <= 1 / RATE
        folder = tmp_path / str(index)
        folder.mkdir()
        segments = segments_of(published.public, playlist, folder)
        frames = [decoded_frames(media_ffmpeg, path) for path in segments]  # each decodes on its own
        if uri.endswith("p.m3u8"):
            assert sum(frames) == 3 * RATE
            assert frames[0] == 2 * RATE, "segments start on the 2 s GOPs"
            boundaries.append([s.duration for s in playlist.segments])
    assert boundaries[0] == boundaries[1] and len(boundaries[0]) == 2, "variants share segment boundaries"


def test_the_mpd_reads_with_ffmpegs_dash_demuxer_and_its_ranges_decode(
    published: Published, media_ffmpeg: str, tmp_path: Path
) -> None:
    mpd = published.public / "audiovideo/talk.mpd"
    # ffmpeg's dash demuxer opens the MPD and every representation (.cmfv/.cmfa are CMAF's own
    # extensions, outside its default list: allowed_extensions is an option 5.1 has too) ...
    proc = subprocess.run([media_ffmpeg, "-nostdin", "-hide_banner", "-f", "dash", "-allowed_extensions", "ALL",
                           "-i", str(mpd)], capture_output=True, text=True, check=False)  # noqa: S603
    streams = [line.strip() for line in proc.stderr.splitlines() if line.strip().startswith("Stream #")]
    assert len(streams) == 3, proc.stderr
    assert "640x360" in streams[0] and "854x480" in streams[1] and "Audio: aac" in streams[2]
    # ... but past the first segment it misreads byte-range SegmentLists (ffmpeg's demuxer, not the
    # file: the same ranges decode cut out one by one), so each range is decoded on its own here
    root = ElementTree.fromstring(mpd.read_text())
    representations = root.findall(".//mpd:Representation", MPD_NS)
    assert len(representations) == 3
    for index, representation in enumerate(representations):
        data = (mpd.parent / unquote(representation.findtext("mpd:BaseURL", "", MPD_NS))).read_bytes()
        start, end = (int(n) for n in representation.find(".//mpd:Initialization", MPD_NS).get("range").split("-"))
        init = data[start:end + 1]
        frames = 0
        for number, segment in enumerate(representation.findall(".//mpd:SegmentURL", MPD_NS)):
            start, end = (int(n) for n in segment.get("mediaRange").split("-"))
            path = tmp_path / f"r{index}s{number}.mp4"
            path.write_bytes(init + data[start:end + 1])
            frames += decoded_frames(media_ffmpeg, path)
        if representation.get("mimeType") == "video/mp4":
            assert frames == 3 * RATE


@pytest.mark.parametrize(("name", "aspect"), [("portrait", 9 / 16), ("anamorphic", 16 / 9)])
def test_portrait_and_anamorphic_keep_their_display_aspect_in_resolution(
    published: Published, name: str, aspect: float
) -> None:
    master = published.master(name)
    assert master.playlists
    for playlist in master.playlists:
        width, height = playlist.stream_info.resolution
        assert abs(width / height / aspect - 1) < 0.01, (width, height)


def test_a_silent_video_streams_without_audio(published: Published) -> None:
    master = published.master("silent")
    assert master.playlists and not master.media
    assert all("mp4a" not in p.stream_info.codecs for p in master.playlists)


def test_an_audio_upload_gets_an_audio_only_stream_beside_its_mp3(published: Published, media_ffmpeg: str) -> None:
    master = published.master("tone")
    (variant,) = master.playlists
    assert variant.stream_info.codecs == "mp4a.40.2" and variant.stream_info.resolution is None
    playlist = published.variant("tone", variant.uri)
    assert abs(sum(s.duration for s in playlist.segments) - 2.0) < 0.05
    assert decoded_frames(media_ffmpeg, published.public / "audiovideo/tone_audio.cmfa") > 0
    assert (published.public / "audiovideo/tone.mp3").stat().st_size > 0


def test_the_manifest_describes_the_stream_for_a_player(published: Published) -> None:
    manifest = published.manifest("talk")
    public = published.public
    entries = describe_streams(AssetKeys.for_input("inputs/talk.mp4"), manifest.outputs,
                               lambda key: (public / key).read_text(), lambda key: (public / key).stat().st_size)
    by_kind = {e.kind: e for e in entries if e.kind in ("hls", "dash")}
    assert by_kind["hls"].key == "audiovideo/talk.m3u8" and by_kind["dash"].key == "audiovideo/talk.mpd"
    hls = by_kind["hls"]
    assert hls.codecs is not None and "mp4a.40.2" in hls.codecs and "avc1.64" in hls.codecs
    assert hls.variants is not None
    assert [(v["kind"], v["width"]) for v in hls.variants] == [("video", 640), ("video", 854), ("audio", None)]
    for variant in hls.variants:
        assert variant["bandwidth"] > 0 and variant["size"] > 0
    assert {e.kind for e in entries} == {"rendition", "hls", "dash", "stream"}
    described = Manifest(**{**manifest.__dict__, "outputs": entries})
    jsonschema.validate(json.loads(json.dumps(described.to_dict())), SCHEMA)


def test_captions_are_a_subtitle_rendition_with_every_cue(
    tmp_path: Path, media: MediaLibrary, media_ffmpeg: str, ffmpeg_exe: str
) -> None:
    """The planner's caption outputs, executed by the local backend: the stream carries the WebVTT
    file as an HLS SUBTITLES rendition and a DASH text AdaptationSet, with every cue."""
    import webvtt

    from avpipe.analysis.mediainfo import probe
    from avpipe.ffmpeg import FfmpegRunner
    from avpipe.pipeline.events import Event, JobStateChange
    from avpipe.planning.jobs import JobTarget, StreamCaption, build_video_job
    from avpipe.planning.templates import load_template
    from avpipe.storage.local import LocalStore
    from avpipe.transcode.local import LocalTranscoder

    watch, public = LocalStore(tmp_path / "watch"), LocalStore(tmp_path / "public")
    clip = make_av(media_ffmpeg, tmp_path / "clip.mp4", size="640x360", duration=3.0)
    watch.path("inputs/talk.mp4").parent.mkdir(parents=True)
    watch.path("inputs/talk.mp4").write_bytes(clip.read_bytes())
    public.path("closed-caption").mkdir(parents=True)
    public.path("closed-caption/talk.en.vtt").write_text(media.vtt.read_text())
    target = JobTarget(watch.uri("inputs/talk.mp4"), public.uri("audiovideo/talk"), "arn:aws:iam::1:role/r", {})
    request = build_video_job(load_template(None, "job.json"), probe(str(clip)), (360,), target,
                              (StreamCaption(public.uri("closed-caption/talk.en.vtt"), "en"),)).request
    events: list[Event] = []
    LocalTranscoder(FfmpegRunner(ffmpeg_exe), [watch, public], events.append).submit(request)
    change = events[-1]
    assert isinstance(change, JobStateChange) and change.status == "COMPLETE", change
    written = [o.uri.rsplit("/", 1)[-1] for o in change.outputs]
    assert {"talk_captions_en.vtt", "talk_captions_en.m3u8"} <= set(written)
    assert written[-2:] == ["talk.m3u8", "talk.mpd"], "the manifests are published last"

    folder = public.path("audiovideo")
    master = m3u8.load(str(folder / "talk.m3u8"))
    (subs,) = [m for m in master.media if m.type == "SUBTITLES"]
    assert (subs.language, subs.uri) == ("en", "talk_captions_en.m3u8")
    assert all(f'SUBTITLES="{subs.group_id}"' in str(p) for p in master.playlists) and master.playlists
    assert all(f'AUDIO="{master.media[0].group_id}"' in str(p) for p in master.playlists), "audio kept"
    playlist = m3u8.load(str(folder / subs.uri))
    assert [s.uri for s in playlist.segments] == ["talk_captions_en.vtt"] and playlist.is_endlist
    assert abs(playlist.segments[0].duration - 3.0) <= 1 / RATE
    cues = [c.text for c in webvtt.read(str(folder / "talk_captions_en.vtt"))]
    assert cues == [c.text for c in webvtt.read(str(media.vtt))] and len(cues) == 2
    root = ElementTree.fromstring((folder / "talk.mpd").read_text())
    (text,) = [a for a in root.findall(".//mpd:AdaptationSet", MPD_NS) if a.get("contentType") == "text"]
    assert (text.get("mimeType"), text.get("lang")) == ("text/vtt", "en")
    assert text.findtext(".//mpd:BaseURL", "", MPD_NS) == "talk_captions_en.vtt"


def test_the_published_manifest_lists_the_stream_entries(published: Published) -> None:
    on_disk = json.loads((published.public / "json/talk.json").read_text())
    kinds = {o["key"]: o["kind"] for o in on_disk["outputs"]}
    assert kinds["audiovideo/talk.m3u8"] == "hls" and kinds["audiovideo/talk.mpd"] == "dash"
    assert kinds["audiovideo/talk_360p.mp4"] == "rendition" and kinds["audiovideo/talk_360p.cmfv"] == "stream"
    (hls,) = [o for o in on_disk["outputs"] if o["kind"] == "hls"]
    assert [v["key"] for v in hls["variants"]] == ["audiovideo/talk_360p.m3u8", "audiovideo/talk_480p.m3u8",
                                                   "audiovideo/talk_audio.m3u8"]
    jsonschema.validate(on_disk, SCHEMA)
