"""The manifest's stream entries, read from the published HLS master playlist.

A CMAF job (MediaConvert's or the local one) publishes ``name.m3u8`` (HLS master),
``name.mpd`` (DASH) and, per variant, a playlist and one media file. :func:`describe_streams`
turns the flat list of published outputs into what a player needs: one ``hls`` and one
``dash`` entry with the stream's codecs and, per variant, its playlist key, bandwidth,
codecs, size and the media file's bytes; the variant playlists and media files stay listed
(kind ``stream``) so a later upload can retire them. The playlists are parsed with the
``m3u8`` package. Pure: reading the store is passed in.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import unquote

import m3u8

from avpipe.keys import AssetKeys
from avpipe.manifest.model import OutputEntry

STREAM_EXTENSIONS = (".m3u8", ".mpd", ".cmfv", ".cmfa", ".vtt")


def describe_streams(
    keys: AssetKeys,
    entries: tuple[OutputEntry, ...],
    read_text: Callable[[str], str],
    size_of: Callable[[str], int | None],
) -> tuple[OutputEntry, ...]:
    """``entries`` with the stream files classified and the master and MPD described."""
    listed = {entry.key for entry in entries}
    if keys.hls_master not in listed:
        return entries
    variants = _variants(keys.hls_master, read_text, size_of)
    codecs = ",".join(dict.fromkeys(c for v in variants for c in (v["codecs"] or "").split(",") if c))
    described = []
    for entry in entries:
        if entry.key == keys.hls_master:
            entry = replace(entry, kind="hls", codecs=codecs, variants=tuple(variants))
        elif entry.key == keys.dash_manifest:
            entry = replace(entry, kind="dash", codecs=codecs, variants=tuple(variants))
        elif entry.key.endswith(STREAM_EXTENSIONS) and entry.key.startswith(keys.rendition_base):
            entry = replace(entry, kind="stream", rung=None)
        described.append(entry)
    return tuple(described)


def _variants(master_key: str, read_text: Callable[[str], str],
              size_of: Callable[[str], int | None]) -> list[dict[str, Any]]:
    folder = posixpath.dirname(master_key)
    master = m3u8.loads(read_text(master_key))
    found = []
    for playlist in master.playlists:
        info = playlist.stream_info
        width, height = info.resolution or (None, None)
        key = _resolve(folder, playlist.uri)
        media, _ = _media_file(key, read_text)
        found.append({"key": key, "kind": "video" if info.resolution else "audio", "bandwidth": info.bandwidth,
                      "codecs": info.codecs, "width": width, "height": height,
                      "size": size_of(media) if media else None})
    for rendition in master.media:
        if rendition.type != "AUDIO" or not rendition.uri:
            continue
        key = _resolve(folder, rendition.uri)
        media, duration = _media_file(key, read_text)
        size = size_of(media) if media else None
        codecs = next((c for v in found for c in (v["codecs"] or "").split(",") if c.startswith("mp4a")), None)
        found.append({"key": key, "kind": "audio", "codecs": codecs, "width": None, "height": None, "size": size,
                      "bandwidth": round(size * 8 / duration) if size and duration else None})
    return found


def _media_file(playlist_key: str, read_text: Callable[[str], str]) -> tuple[str | None, float]:
    """The media file a variant playlist addresses (by byte ranges), and its duration."""
    playlist = m3u8.loads(read_text(playlist_key))
    folder = posixpath.dirname(playlist_key)
    duration = sum(segment.duration or 0.0 for segment in playlist.segments)
    maps = [m for m in playlist.segment_map if m.uri] if playlist.segment_map else []
    if maps:
        return _resolve(folder, maps[0].uri), duration
    if playlist.segments:
        return _resolve(folder, playlist.segments[0].uri), duration
    return None, duration


def _resolve(folder: str, uri: str) -> str:
    return posixpath.normpath(posixpath.join(folder, unquote(uri)))
