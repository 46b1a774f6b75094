"""Storage backends behind one interface: local folders now, S3 through the same registry."""

from avpipe.storage.base import ObjectInfo, Store
from avpipe.storage.local import LocalStore
from avpipe.storage.registry import locate, open_store

__all__ = ["LocalStore", "ObjectInfo", "Store", "locate", "open_store"]
