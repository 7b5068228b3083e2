"""Full-text search over the catalogue: a SQLite FTS5 index per store snapshot.

``text`` normalises and highlights; ``index`` builds and reads the index files. Only this
package talks to SQLite; ``kg.services.search`` feeds it from the store's query library.
"""
