"""The registry's store, as a package: callers import its names from here.

It is the only code that runs SQL against the public documents; its modules are private to it.
"""

from __future__ import annotations

from registry.store.loop_reads import (
    Document,
    RegistryStore,
    create_registry_engine,
    like_pattern,
    strong_etag,
)

__all__ = [
    "Document",
    "RegistryStore",
    "create_registry_engine",
    "like_pattern",
    "strong_etag",
]
