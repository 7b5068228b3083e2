"""Graph stores behind one interface; only this package knows the engines."""

from __future__ import annotations

from kg.config import Settings
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
    """The store ``KG_STORE`` names: a directory for the embedded pyoxigraph store, or the
    http(s) query URL of a SPARQL 1.1 engine (the remote store, ``KG_STORE_*`` settings)."""
    if settings.remote_store:
        from kg.store.remote import RemoteStore

        return RemoteStore(settings)
    from kg.store.embedded import EmbeddedStore

    return EmbeddedStore(settings.store)
