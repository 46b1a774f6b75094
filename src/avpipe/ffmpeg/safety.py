"""What ffmpeg may open for avpipe: the one input, through allowed protocols and demuxers.

The demuxer allow-list leaves out everything that reads other files or URLs (hls, dash,
concat, image sequences, playlists, tee, lavfi...), whatever the upload's extension. It
takes every ordinary single-file audio container MediaInfo recognises (DSD as DSF and
DSDIFF, TAK, TTA, Musepack, Shorten, AU, MLP, AMR, VOC...): a format ffmpeg still cannot
open is refused at analysis with a sentence naming it (:mod:`avpipe.analysis.streams`).
"""

from __future__ import annotations

LOCAL_PROTOCOLS = "file"
URL_PROTOCOLS = "http,https,tls,tcp,crypto"
INPUT_FORMATS = ",".join((
    "mov", "matroska", "avi", "mpeg", "mpegts", "mpegvideo", "m4v", "h264", "hevc", "flv", "asf", "mxf", "gxf",
    "dv", "nut", "rm", "ivf", "yuv4mpegpipe", "mp3", "aac", "ac3", "eac3", "dts", "truehd", "wav", "w64", "aiff",
    "caf", "flac", "ogg", "amr", "wv", "ape",
    # more single-file audio containers ("iff" is DSDIFF's, and 8SVX's)
    "dsf", "iff", "tak", "tta", "mpc", "mpc8", "shn", "au", "mlp", "amrnb", "amrwb", "voc", "loas", "dtshd",
    "xwma", "ircam",
))


def input_options(source: str) -> list[str]:
    """Options to put before ``-i source``: allowed protocols and demuxers."""
    protocols = URL_PROTOCOLS if "://" in source else LOCAL_PROTOCOLS
    return ["-protocol_whitelist", protocols, "-format_whitelist", INPUT_FORMATS]
