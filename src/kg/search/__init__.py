"""Full-text search over the catalogue: a SQLite FTS5 index per store snapshot.

``text`` normalises and highlights; ``schema`` holds what writer and readers share (tables,
facet codes, name keys, compressed documents); ``build`` writes an index file (with
``sink``, a second process for its tables), ``update`` changes a copy of one, ``index``
reads one and ``matching`` finds a query's ranked matches in it. Only this package talks
to SQLite; ``kg.services.search`` feeds it from the store's query library.
"""
