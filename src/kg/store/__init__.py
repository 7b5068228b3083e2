"""Graph stores behind one interface; only this package knows the engines."""

from __future__ import annotations

from kg.config import Settings, SettingsError
from kg.store.base import (
    FORMAT_SUFFIXES,
    GraphSource,
    QuerySyntaxError,
    RdfFormatName,
    RdfSyntaxError,
    SelectResult,
    Store,
    StoreError,
)
from kg.store.terms import iri_problem

__all__ = [
    "FORMAT_SUFFIXES",
    "GraphSource",
    "QuerySyntaxError",
    "RdfFormatName",
    "RdfSyntaxError",
    "SelectResult",
    "Store",
    "StoreError",
    "iri_problem",
    "open_store",
]


def open_store(settings: Settings) -> Store:
    """The store ``KG_STORE`` names: a directory for the embedded pyoxigraph store."""
    if settings.store.startswith(("http://", "https://")):
        raise SettingsError(
            "KG_STORE names a SPARQL endpoint, but this version only has the embedded store: "
            "set KG_STORE to a directory"
        )
    from kg.store.embedded import EmbeddedStore

    return EmbeddedStore(settings.store)
