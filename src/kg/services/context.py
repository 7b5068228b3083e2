"""What every use case needs: settings, the store and the query library."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.config import Settings
from kg.queries import QueryLibrary
from kg.store import Store, open_store

_caches_lock = threading.Lock()


class LRU:
    """At most ``size`` values by key, the least recently used dropped first; thread-safe."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[Any, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, keys: Iterable[Any]) -> dict[Any, Any]:
        """The values of the keys held (a value may be empty, never None)."""
        with self.lock:
            found = {}
            for key in keys:
                entry = self.entries.get(key)
                if entry is not None:
                    self.entries.move_to_end(key)
                    found[key] = entry
            return found

    def put(self, entries: Mapping[Any, Any]) -> None:
        with self.lock:
            self.entries.update(entries)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


@dataclass
class Context:
    settings: Settings
    store: Store
    queries: QueryLibrary
    caches: dict[str, tuple[str, dict[str, Any]]] = field(
        default_factory=dict, repr=False, compare=False
    )
    """In-process caches of services: name -> (store version, entries)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Context:
        return cls(settings, open_store(settings), QueryLibrary(Path(settings.queries_dir)))

    def version_cache(self, name: str) -> dict[str, Any]:
        """The entries of the cache ``name``, emptied whenever the store's version changes
        (callers hold their own lock when they fill it from several threads)."""
        version = self.store.version()
        with _caches_lock:
            held = self.caches.get(name)
            if held is None or held[0] != version:
                held = self.caches[name] = (version, {})
            return held[1]

    def version_lru(self, name: str, size: int) -> LRU:
        """The LRU ``name`` of the store's current version (a new one after each write)."""
        held = self.version_cache(name)
        with _caches_lock:
            lru = held.get("lru")
            if not isinstance(lru, LRU):
                lru = held["lru"] = LRU(size)
            return lru

    def graph_iri(self, name: str) -> str:
        """The named graph of a data source (``graph/<name>`` under the base IRI)."""
        return f"{self.settings.base_iri}graph/{name}"

    def method_iri(self, method_id: str) -> str:
        return f"{self.settings.base_iri}method/{method_id}"
