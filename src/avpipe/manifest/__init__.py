"""The asset manifest (``json/<name>.json``): facts, outputs, status and history of one asset."""

from avpipe.manifest.model import CaptionEntry, ErrorInfo, Manifest, OutputEntry, Status
from avpipe.manifest.repository import load_manifest, save_manifest, update_manifest

__all__ = ["CaptionEntry", "ErrorInfo", "Manifest", "OutputEntry", "Status", "load_manifest", "save_manifest", "update_manifest"]
