"""Measured quality: VMAF of every rendition against its source (``avpipe quality``).

``graph`` plans the ffmpeg arguments and reads libvmaf's log (pure); ``measure`` runs them
on files with an ffmpeg that has libvmaf; ``record`` puts the scores in the manifest.
"""

from avpipe.quality.graph import VmafScore

__all__ = ["VmafScore"]
