"""Media analysis: what a file contains (facts) and which route it takes."""

from avpipe.analysis.facts import AudioTrack, MediaFacts, VideoTrack
from avpipe.analysis.mediainfo import probe
from avpipe.analysis.routing import Route, route

__all__ = ["AudioTrack", "MediaFacts", "Route", "VideoTrack", "probe", "route"]
