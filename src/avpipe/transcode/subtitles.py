"""WebVTT captions as subtitle renditions of the local CMAF stream.

ffmpeg's dash muxer packages audio and video only; the caption outputs of the CMAF group
are added to its manifests afterwards, as MediaConvert writes them: the WebVTT file itself
(``base<modifier>.vtt``), an HLS subtitle playlist over it (``base<modifier>.m3u8``), an
``EXT-X-MEDIA:TYPE=SUBTITLES`` entry in the master that every variant refers to, and a
``text/vtt`` AdaptationSet in the MPD. Playlists are read and written with the ``m3u8``
package, the MPD with ElementTree (the muxer's own file, never an upload's).
"""

from __future__ import annotations

import math
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree

import m3u8

from avpipe.transcode.cmaf import StreamJob

GROUP = "subs"
MPD_NS = "urn:mpeg:dash:schema:mpd:2011"
_NAMESPACES = {"": MPD_NS, "xsi": "http://www.w3.org/2001/XMLSchema-instance", "xlink": "http://www.w3.org/1999/xlink"}


def add_subtitles(stage: Path, base: str, job: StreamJob) -> list[tuple[Path, str, str]]:
    """Point the renamed manifests in ``stage`` at each ``base<modifier>.vtt`` already there;
    return (file, name modifier, extension) of the subtitle files to publish."""
    if not job.subtitles:
        return []
    duration = _duration(stage / f"{base}{job.tracks[0].name_modifier}.m3u8")
    master_path = stage / f"{base}.m3u8"
    master = m3u8.load(str(master_path))
    mpd_path = stage / f"{base}.mpd"
    files = []
    for subtitle in job.subtitles:
        vtt = f"{base}{subtitle.name_modifier}.vtt"
        playlist = stage / f"{base}{subtitle.name_modifier}.m3u8"
        playlist.write_text(_subtitle_playlist(quote(vtt), duration), encoding="utf-8")
        label = subtitle.language or subtitle.name_modifier.lstrip("_")
        media = m3u8.Media(uri=quote(playlist.name), type="SUBTITLES", group_id=GROUP,
                           language=subtitle.language, name=label, default="NO", autoselect="YES")
        master.add_media(media)
        for variant in master.playlists:  # each variant names the group (SUBTITLES="subs") once
            if not any(m.type == "SUBTITLES" for m in variant.media):
                variant.media.append(media)
        files += [(stage / vtt, subtitle.name_modifier, ".vtt"), (playlist, subtitle.name_modifier, ".m3u8")]
    master_path.write_text(master.dumps(), encoding="utf-8")
    if job.write_dash:
        _add_text_sets(mpd_path, base, job)
    return files


def _duration(variant_playlist: Path) -> float:
    return sum(segment.duration or 0.0 for segment in m3u8.load(str(variant_playlist)).segments)


def _subtitle_playlist(uri: str, duration: float) -> str:
    playlist = m3u8.M3U8()
    playlist.version = 3
    playlist.target_duration = max(1, math.ceil(duration))
    playlist.playlist_type = "vod"
    playlist.is_endlist = True
    playlist.add_segment(m3u8.Segment(uri=uri, duration=duration))
    text: str = playlist.dumps()
    return text


def _add_text_sets(mpd_path: Path, base: str, job: StreamJob) -> None:
    for prefix, uri in _NAMESPACES.items():
        ElementTree.register_namespace(prefix, uri)
    tree = ElementTree.parse(mpd_path)  # noqa: S314 - the dash muxer's own output, not an upload
    period = tree.getroot().find(f"{{{MPD_NS}}}Period")
    if period is None:
        return
    next_id = len(period.findall(f"{{{MPD_NS}}}AdaptationSet"))
    for number, subtitle in enumerate(job.subtitles):
        attributes = {"id": str(next_id + number), "contentType": "text", "mimeType": "text/vtt"}
        if subtitle.language:
            attributes["lang"] = subtitle.language
        adaptation = ElementTree.SubElement(period, f"{{{MPD_NS}}}AdaptationSet", attributes)
        ElementTree.SubElement(adaptation, f"{{{MPD_NS}}}Role", {"schemeIdUri": "urn:mpeg:dash:role:2011",
                                                                 "value": "subtitle"})
        representation = ElementTree.SubElement(adaptation, f"{{{MPD_NS}}}Representation",
                                                {"id": f"captions{subtitle.name_modifier}", "bandwidth": "256"})
        ElementTree.SubElement(representation, f"{{{MPD_NS}}}BaseURL").text = quote(
            f"{base}{subtitle.name_modifier}.vtt")
    tree.write(mpd_path, encoding="utf-8", xml_declaration=True)
