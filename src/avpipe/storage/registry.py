"""One registry for stores: a URL picks the backend, imported only when needed."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any

from avpipe.errors import ConfigurationError
from avpipe.storage.base import Store

# scheme -> (module, factory name, the pip extra that brings its dependencies)
BACKENDS: dict[str, tuple[str, str, str | None]] = {
    "file": ("avpipe.storage.local", "LocalStore", None),
    "s3": ("avpipe.storage.s3", "S3Store", "aws"),
}


def open_store(url: str, **clients: Any) -> Store:
    """A store for ``url``: a folder path, ``file:///path`` or ``s3://bucket[/prefix]``."""
    scheme, _, rest = url.partition("://")
    if not rest:  # a plain path
        scheme, rest = "file", url
    elif scheme == "file":
        from urllib.parse import unquote

        rest = unquote(rest)
    if scheme not in BACKENDS:
        raise ConfigurationError(f"No storage backend for {scheme}:// URLs (known: {', '.join(BACKENDS)}).")
    module_name, factory_name, extra = BACKENDS[scheme]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        hint = f" Install it with: pip install 'avpipe[{extra}]'." if extra else ""
        raise ConfigurationError(f"The {scheme}:// storage backend is not available.{hint}") from exc
    factory: Callable[..., Store] = getattr(module, factory_name)
    return factory(url if scheme != "file" else rest, **clients)


def locate(uri: str, stores: Iterable[Store]) -> tuple[Store, str]:
    """The store and key that a transcoder URI (input or destination) points into."""
    for store in stores:
        key = store.key_for_uri(uri)
        if key is not None:
            return store, key
    raise ConfigurationError(f"{uri} is not inside any configured store.")
