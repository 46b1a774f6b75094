"""The asset manifest (``json/<name>.json``): facts, outputs, status and history of one asset."""

from avpipe.manifest.model import CaptionEntry, ErrorInfo, Manifest, OutputEntry, Status
from avpipe.manifest.repository import list_manifests, load_manifest, save_manifest, update_manifest

__all__ = ["CaptionEntry", "ErrorInfo", "Manifest", "OutputEntry", "Status", "list_manifests",
    "load_manifest", "save_manifest", "update_manifest"]
