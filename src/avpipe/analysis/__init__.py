"""Media analysis: what a file contains (facts) and which route it takes."""

from avpipe.analysis.facts import AudioTrack, MediaFacts, VideoTrack

__all__ = ["AudioTrack", "MediaFacts", "VideoTrack"]
