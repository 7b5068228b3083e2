"""An incremental search index update gives what a full build of the new data gives.

The curated catalogue's search documents are changed at random (seeded): labels and aliases
renamed, added and removed, methods dropped and added, fields, families, types, years and
paper counts changed, people renamed and added, and (every other seed) fields and families
renamed and new families added under existing ones. The previous index updated for the
changed resources and a full build of the changed documents must hold the same rows in
every table (method numbers aside), the same FTS postings, and answer the same searches,
suggestions and lists.
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from kg.search.build import build
from kg.search.index import SearchIndex, SearchIndexError
from kg.search.schema import LIST_ORDERS, SUGGEST_TIERS, TIERS, unpack
from kg.search.text import terms_of
from kg.search.update import IndexUpdateError, layering, update
from kg.services.context import Context

BASE = "https://w3id.org/rmkg/"
Row = tuple[str, ...]


@pytest.fixture(scope="module")
def rows(catalogue_ctx: Context) -> tuple[list[Row], list[Row]]:
    store = catalogue_ctx.store
    queries = catalogue_ctx.queries
    documents = list(store.select_rows(queries["search-documents"].bind(), languages=True))
    concepts = list(store.select_rows(queries["search-concepts"].bind(), languages=True))
    return documents, concepts


def _by_method(documents: list[Row]) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in documents:
        grouped[row[0]].append(row)
    return grouped


def _row(subject: str, kind: str, value: str, lang: str = "") -> Row:
    return (subject, kind, value, "", "", lang)


WORDS = ["quokka", "diffusion", "bootstrap", "ลำดับ", "拡散", "x", "ab", "Ünïcödé", "net-work"]


def _concept_row(concept: str, kind: str, prop: str, value: str, lang: str = "") -> Row:
    return (concept, kind, prop, value, "", "", "", lang)


def _mutate_concepts(
    documents: list[Row], concepts: list[Row], rng: random.Random
) -> tuple[set[str], set[str]]:
    """New labels and aliases of fields and families, and new families under existing ones
    that methods join; the methods and concepts changed."""
    kinds = {r[0]: r[1] for r in concepts}
    changed: set[str] = set()
    methods: set[str] = set()
    for number in range(rng.randint(1, 3)):
        concept = rng.choice(sorted(kinds))
        if rng.random() < 0.5:
            concepts.append(_concept_row(concept, kinds[concept], "alias", f"zany {number}", "en"))
            changed.add(concept)
            continue
        new = f"{BASE}family/new-{number}-{rng.randint(0, 999)}"
        concepts.append(_concept_row(new, "family", "label", f"Novel family {number}", "en"))
        concepts.append(
            _concept_row(
                new,
                "family",
                "broader",
                rng.choice(sorted(c for c, k in kinds.items() if k == "family")),
            )
        )
        changed.add(new)
        method = rng.choice(sorted({r[0] for r in documents if r[1] == "method"}))
        documents.append(_row(method, "family", new))
        methods.add(method)
    return methods, changed


def _mutate(documents: list[Row], concepts: list[Row], rng: random.Random) -> set[str]:
    """Change the documents in place at random; the subjects whose rows changed."""
    grouped = _by_method(documents)
    methods = sorted(s for s, rs in grouped.items() if any(r[1] == "method" for r in rs))
    fields = sorted({r[0] for r in concepts if r[1] == "field"})
    families = sorted({r[0] for r in concepts if r[1] == "family"})
    changed: set[str] = set()
    for _ in range(rng.randint(1, 8)):
        action = rng.choice(
            ["rename", "alias", "drop", "add", "field", "family", "type", "year", "papers",
             "unalias", "summary", "person", "new person"]
        )  # fmt: skip
        if action in ("person", "new person"):
            people = sorted(s for s, rs in grouped.items() if any(r[1] == "person" for r in rs))
            person = (
                rng.choice(people) if action == "person" else f"{BASE}person/new-{rng.random()}"
            )
            grouped[person] = [r for r in grouped[person] if r[1] != "person"]
            grouped[person].append(_row(person, "person", f"{rng.choice(WORDS)} Person"))
            changed.add(person)
            continue
        method = rng.choice(methods)
        rows = grouped[method]
        word = rng.choice(WORDS)
        if action == "rename":
            rows[:] = [r for r in rows if r[1] != "label" or r[5] != "en"]
            rows.append(_row(method, "label", f"{word} {rng.randint(0, 99)} method", "en"))
        elif action == "alias":
            rows.append(
                _row(method, "alias", f"{word}-{rng.randint(0, 9)}", rng.choice(["en", "th"]))
            )
        elif action == "unalias":
            rows[:] = [r for r in rows if r[1] != "alias"]
        elif action == "summary":
            rows[:] = [r for r in rows if r[1] != "summary"]
            rows.append(_row(method, "summary", f"A {word} summary", "en"))
        elif action == "drop":
            rows.clear()
        elif action == "add":
            method = f"{BASE}method/new-{rng.randint(0, 10**6)}"
            template = grouped[rng.choice(methods)]
            grouped[method] = [
                (method, *r[1:]) if r[1] != "label" else _row(method, "label", f"{word} new", r[5])
                for r in template
            ]
        elif action in ("field", "family"):
            rows[:] = [r for r in rows if r[1] != action]
            rows.append(_row(method, action, rng.choice(fields if action == "field" else families)))
        elif action == "type":
            rows[:] = [r for r in rows if r[1] != "type"]
            rows.append(_row(method, "type", f"{word} type", "en"))
        elif action == "year":
            rows[:] = [r for r in rows if r[1] != "start"]
            rows.append(_row(method, "start", str(rng.randint(-300, 2030))))
        elif action == "papers":
            rows[:] = [r for r in rows if r[1] != "papers"]
            rows.append(_row(method, "papers", str(rng.randint(0, 5000))))
        changed.add(method)
    documents[:] = [r for rs in grouped.values() for r in rs]
    return changed


def _coded(gram: str) -> bool:
    return any("\ue000" <= c <= "\uf8ff" for c in gram)


def _table(conn: sqlite3.Connection, sql: str) -> list[tuple[Any, ...]]:
    return sorted(conn.execute(sql).fetchall(), key=repr)


_MATERIALIZED: dict[tuple[Path, int], Path] = {}


def _materialized(path: Path) -> Path:
    """The full index that the layer ``path`` and the full index under it make together (a
    full index: itself), written by the test's own reading of a layer: the full index's rows
    but those the layer hides, then the layer's rows, its small tables, and trigram counts
    taken from the FTS tables."""
    conn = sqlite3.connect(path)
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    conn.close()
    if "base" not in meta:
        return path
    key = (path, path.stat().st_mtime_ns)
    if key in _MATERIALIZED:
        return _MATERIALIZED[key]
    out = Path(tempfile.mkdtemp(dir=path.parent)) / f"{path.stem}-materialized.sqlite"
    shutil.copyfile(path.with_name(meta["base"]), out)
    conn = sqlite3.connect(out, isolation_level=None)
    try:
        conn.execute("ATTACH DATABASE ? AS layer", (str(path),))
        conn.execute("BEGIN")
        hidden = "(SELECT rowid FROM layer.hidden)"

        def texts(schema: str, where: str) -> list[tuple[Any, ...]]:
            return conn.execute(
                "SELECT t.rowid, t.labels, t.aliases, t.other, m.codes "
                f"FROM {schema}.texts t JOIN {schema}.methods m ON m.rowid = t.rowid {where}"
            ).fetchall()

        # Contentless FTS rows are deleted with the values they were indexed with.
        for command, rows in (
            ("'delete', ", texts("main", f"WHERE t.rowid IN {hidden}")),
            ("", texts("layer", "")),
        ):
            names, text = ("fts_names, ", "fts_text, ") if command else ("", "")
            for rid, labels, aliases, other, codes in rows:
                indexed = [value + "\n" if value else value for value in (labels, aliases, other)]
                joined = codes.replace(" ", "")
                conn.execute(
                    f"INSERT INTO fts_names({names}rowid, labels, aliases, codes) "
                    f"VALUES ({command}?, ?, ?, ?)",
                    (rid, indexed[0], indexed[1], joined),
                )
                conn.execute(
                    f"INSERT INTO fts_text({text}rowid, labels, aliases, other, codes) "
                    f"VALUES ({command}?, ?, ?, ?, ?)",
                    (rid, *indexed, joined),
                )
        for table, column in (("methods", "rowid"), ("texts", "rowid"), ("names", "method"),
                              ("match_names", "method"), ("listing", "method")):  # fmt: skip
            conn.execute(f"DELETE FROM main.{table} WHERE {column} IN {hidden}")
            conn.execute(f"INSERT INTO main.{table} SELECT * FROM layer.{table}")
        conn.execute(
            "DELETE FROM main.person_names WHERE person IN (SELECT person FROM layer.hidden_people)"
        )
        conn.execute("INSERT INTO main.person_names SELECT * FROM layer.person_names")
        for table in ("facet_values", "concepts", "vocab", "vocab_del"):
            conn.execute(f"DELETE FROM main.{table}")
            conn.execute(f"INSERT INTO main.{table} SELECT * FROM layer.{table}")
        conn.execute("DELETE FROM main.meta")
        conn.execute("INSERT INTO main.meta SELECT * FROM layer.meta")
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE layer")
    finally:
        conn.close()
    grams = _vocabulary(out)
    conn = sqlite3.connect(out)
    with conn:
        conn.execute("DELETE FROM grams")
        conn.executemany(
            "INSERT INTO grams VALUES (?, ?, ?)", [(g, n, t) for g, (n, t) in grams.items()]
        )
    conn.close()
    _MATERIALIZED[key] = out
    return out


def _content(path: Path) -> dict[str, Any]:
    """Every table of an index (of a layer: ``_materialized``), with method numbers replaced
    by method ids."""
    conn = sqlite3.connect(_materialized(path))
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        dictionary = bytes(meta["dictionary"])
        ids = dict(conn.execute("SELECT rowid, id FROM methods").fetchall())
        facet = {code: (f, v) for code, f, v in conn.execute("SELECT * FROM facet_values")}
        docs = {}
        for rid, codes, blob in conn.execute("SELECT rowid, codes, doc FROM methods"):
            doc = unpack(blob, dictionary)
            docs[ids[rid]] = (sorted(facet[c] for c in codes.split()), doc)
        texts = {ids[rid]: columns for rid, *columns in conn.execute("SELECT * FROM texts")}
        # Facet codes are numbered as values turn up: compared through their values.
        grams = {g: (n, t) for g, n, t in conn.execute("SELECT * FROM grams") if not _coded(g)}
        postings = {}
        for table in ("fts_names", "fts_text"):
            for gram in [*sorted(grams)[::7], *facet]:
                quoted = '"' + gram.replace('"', '""') + '"'
                found = conn.execute(f"SELECT rowid FROM {table} WHERE {table} MATCH ?", (quoted,))
                methods = sorted(ids[r] for (r,) in found)
                if methods or gram not in facet:  # the code of a value no method has any more
                    postings[(table, facet.get(gram, gram))] = methods
        return {
            "methods": meta["methods"],
            "docs": docs,
            "texts": texts,
            "names": _table(conn, "SELECT key, id FROM names JOIN methods ON rowid = method"),
            "match": _table(conn, "SELECT key, id FROM match_names JOIN methods ON rowid = method"),
            "listing": _table(
                conn,
                "SELECT id, by_name, by_year, by_newest, by_usage FROM listing "
                "JOIN methods ON rowid = method",
            ),
            "concepts": _table(conn, "SELECT * FROM concepts"),
            "people": _table(conn, "SELECT * FROM person_names"),
            "vocab": _table(conn, "SELECT * FROM vocab"),
            "vocab_del": _table(conn, "SELECT * FROM vocab_del"),
            "grams": grams,
            "postings": postings,
            "facets": sorted(v for v in facet.values() if any(v in d[0] for d in docs.values())),
        }
    finally:
        conn.close()


def _vocabulary(path: Path) -> dict[str, tuple[int, int]]:
    """Each term of the FTS tables with its number of methods in each (``grams``'s form)."""
    conn = sqlite3.connect(path)
    try:
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for column, table in enumerate(("fts_names", "fts_text")):
            conn.execute(f"CREATE VIRTUAL TABLE temp.v{column} USING fts5vocab(main, {table}, row)")
            for term, doc in conn.execute(f"SELECT term, doc FROM temp.v{column}"):
                counts[term][column] = doc
        return {term: (n, t) for term, (n, t) in counts.items()}
    finally:
        conn.close()


def _answers(path: Path, queries: list[str]) -> dict[str, Any]:
    """Searches, suggestions, spelling corrections and every list, by method id."""
    index = SearchIndex(path)
    ids = dict(
        sqlite3.connect(_materialized(path)).execute("SELECT rowid, id FROM methods").fetchall()
    )
    answers: dict[str, Any] = {}
    for text in queries:
        terms = terms_of(text)
        for name, tiers in (("search", TIERS), ("suggest", SUGGEST_TIERS)):
            found = index.candidates(terms, cap=1000, tiers=tiers)
            answers[f"{name} {text}"] = sorted((tier, ids[rid]) for rid, tier in found.hits)
        answers[f"correct {text}"] = index.correct(terms)
        answers[f"listed {text}"] = [k for k, _ in index.listed("name", "", limit=1000, text=text)]
    for sort in LIST_ORDERS:
        answers[f"list {sort}"] = [k for k, _ in index.listed(sort, "", limit=1000)]
    for concept in index.concepts():
        under = (concept.kind, concept.id)
        answers[f"under {under}"] = [
            k for k, _ in index.listed("usage", "", limit=1000, under=under)
        ]
        answers[f"count {under}"] = index.listed_count(under)
    index.close()
    return answers


def _builds(
    tmp_path: Path,
    before: list[Row],
    after: list[Row],
    concepts: list[Row],
    changed: set[str],
    new_concepts: list[Row] | None = None,
    changed_concepts: frozenset[str] = frozenset(),
) -> tuple[Path, Path]:
    old, full, incremental = (tmp_path / f"{n}.sqlite" for n in ("old", "full", "inc"))
    build(old, version="v1", base_iri=BASE, documents=before, concepts=concepts)
    after_concepts = concepts if new_concepts is None else new_concepts
    build(full, version="v2", base_iri=BASE, documents=after, concepts=after_concepts)
    report = update(
        old, incremental, version="v2", base_iri=BASE, methods=changed,
        documents=[r for r in after if r[0] in changed], concepts=changed_concepts,
        concept_rows=[r for r in after_concepts if r[0] in changed_concepts],
    )  # fmt: skip
    assert report.version == "v2"
    return full, incremental


def _layered(
    tmp_path: Path,
    source: Path,
    name: str,
    after: list[Row],
    concepts: list[Row],
    changed: set[str],
    changed_concepts: frozenset[str] = frozenset(),
) -> Path:
    target = tmp_path / f"{name}.sqlite"
    report = update(
        source, target, version=name, base_iri=BASE, methods=changed, layered=True,
        documents=[r for r in after if r[0] in changed], concepts=changed_concepts,
        concept_rows=[r for r in concepts if r[0] in changed_concepts],
    )  # fmt: skip
    assert report.version == name and report.updated == len(changed)
    return target


@pytest.mark.parametrize("seed", range(8))
def test_an_updated_index_holds_what_a_full_build_holds(
    rows: tuple[list[Row], list[Row]], tmp_path: Path, seed: int
) -> None:
    documents, concepts = rows
    rng = random.Random(seed)
    after = list(documents)
    changed = _mutate(after, concepts, rng)
    new_concepts = list(concepts)
    changed_concepts: set[str] = set()
    if seed % 2:
        more, changed_concepts = _mutate_concepts(after, new_concepts, rng)
        changed |= more
    full, incremental = _builds(
        tmp_path, documents, after, concepts, changed, new_concepts, frozenset(changed_concepts)
    )
    layered = _layered(
        tmp_path, tmp_path / "old.sqlite", "v2-layer", after, new_concepts, changed,
        frozenset(changed_concepts),
    )  # fmt: skip
    assert layering(layered).base == "old.sqlite"
    expected, got, got_layered = _content(full), _content(incremental), _content(layered)
    for table in expected:
        assert got[table] == expected[table], f"seed {seed}: {table} differs"
        assert got_layered[table] == expected[table], f"seed {seed}: {table} differs (layer)"
    # Every trigram's counts, the facet codes' too, are the FTS index's own.
    conn = sqlite3.connect(incremental)
    grams = {g: (n, t) for g, n, t in conn.execute("SELECT * FROM grams")}
    conn.close()
    assert grams == _vocabulary(incremental)
    labels = [r[2] for r in after if r[1] in ("label", "alias")]
    queries = [
        *WORDS,
        "diff",
        "mo",
        "b",
        *rng.sample(labels, 8),
        *(w[:3] for w in rng.sample(labels, 5)),
    ]
    assert _answers(incremental, queries) == _answers(full, queries)
    assert _answers(layered, queries) == _answers(full, queries)


def test_a_change_that_touches_nothing_indexed_keeps_every_row(
    rows: tuple[list[Row], list[Row]], tmp_path: Path
) -> None:
    documents, concepts = rows
    some = sorted({r[0] for r in documents if r[1] == "method"})[:5]
    full, incremental = _builds(tmp_path, documents, documents, concepts, set(some))
    assert _content(incremental) == _content(full)
    meta = dict(sqlite3.connect(incremental).execute("SELECT key, value FROM meta").fetchall())
    assert json.loads(meta["updated"]) == {"from": "v1", "methods": 5, "concepts": 0}


@pytest.mark.parametrize("seed", range(4))
def test_layers_over_layers_hold_what_a_full_build_holds(
    rows: tuple[list[Row], list[Row]], tmp_path: Path, seed: int
) -> None:
    """Three writes in a row, each a layer made from the previous one (over the same full
    index), then every change since the full index written into a copy of it (what an update
    does past ``LAYER_METHODS``): each the same as a full build of its documents."""
    documents, concepts = rows
    rng = random.Random(100 + seed)
    build(tmp_path / "v0.sqlite", version="v0", base_iri=BASE, documents=documents,
          concepts=concepts)  # fmt: skip
    current, source = list(documents), tmp_path / "v0.sqlite"
    since: set[str] = set()
    for step in range(1, 4):
        changed = _mutate(current, concepts, rng)
        since |= changed
        source = _layered(tmp_path, source, f"v{step}", current, concepts, changed)
        assert layering(source) == layering(source).__class__(
            "v0.sqlite", frozenset(since), frozenset()
        )
        full = tmp_path / f"full-{step}.sqlite"
        build(full, version=f"v{step}", base_iri=BASE, documents=current, concepts=concepts)
        assert _content(source) == _content(full), f"step {step}"
        labels = [r[2] for r in current if r[1] in ("label", "alias")]
        queries = [*WORDS, "diff", "mo", *rng.sample(labels, 6)]
        assert _answers(source, queries) == _answers(full, queries), f"step {step}"
    compacted = tmp_path / "v4.sqlite"
    update(
        tmp_path / "v0.sqlite", compacted, version="v4", base_iri=BASE, methods=since,
        documents=[r for r in current if r[0] in since],
    )  # fmt: skip
    assert layering(compacted).base is None
    assert _content(compacted) == _content(tmp_path / "full-3.sqlite")


def test_a_layer_whose_full_index_was_built_again_is_refused(
    rows: tuple[list[Row], list[Row]], tmp_path: Path
) -> None:
    documents, concepts = rows
    base = tmp_path / "v0.sqlite"
    build(base, version="v0", base_iri=BASE, documents=documents, concepts=concepts)
    some = {sorted({r[0] for r in documents if r[1] == "method"})[0]}
    layered = _layered(tmp_path, base, "v1", documents, concepts, some)
    assert SearchIndex(layered).base == base
    other = tmp_path / "other.sqlite"
    build(other, version="v0-again", base_iri=BASE, documents=documents, concepts=concepts)
    other.replace(base)
    with pytest.raises(SearchIndexError, match="another build"):
        SearchIndex(layered)
    with pytest.raises(IndexUpdateError, match="not the full index"):
        _layered(tmp_path, layered, "v2", documents, concepts, some)
    base.unlink()
    with pytest.raises(SearchIndexError, match="is gone"):
        SearchIndex(layered)
