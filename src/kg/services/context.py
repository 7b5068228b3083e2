"""What every use case needs: settings, the store and the query library."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kg.config import Settings
from kg.queries import QueryLibrary
from kg.store import Store, open_store


@dataclass
class Context:
    settings: Settings
    store: Store
    queries: QueryLibrary
    caches: dict[str, object] = field(default_factory=dict, repr=False, compare=False)
    """In-process caches of services, each keyed by the store version it was filled from."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Context:
        return cls(settings, open_store(settings), QueryLibrary(Path(settings.queries_dir)))

    def graph_iri(self, name: str) -> str:
        """The named graph of a data source (``graph/<name>`` under the base IRI)."""
        return f"{self.settings.base_iri}graph/{name}"

    def method_iri(self, method_id: str) -> str:
        return f"{self.settings.base_iri}method/{method_id}"
