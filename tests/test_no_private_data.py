"""Nothing of the importing machine is published: no local path, home or host name.

A store is built in a temporary directory from inputs copied there (the curated catalogue
and test data loaded; the example spreadsheet and, when ../shared is there, the seed pages
and the real Papers with Code and Epoch AI files imported), and every dump format and the
answers of /sparql are searched for that directory, the home directory and the host name.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from kg.config import PROJECT_ROOT, Settings
from kg.services.context import Context
from kg.services.dumps import stream_dump
from kg.services.imports import import_files
from kg.services.loading import load_files
from tests.conftest import SHARED

REAL = [
    ("seeds/000_9a2261afb79dbc4d.txt", "seed"),
    ("seeds/001_e25f6b441270cb72.txt", "seed"),
    ("data/pwc_methods_2025-03.json", "pwc"),
    ("data/epoch_all_ai_models_2025-04.csv", "epoch"),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Context, Path]]:
    root = tmp_path_factory.mktemp("private-machine")
    inputs = root / "inputs"
    inputs.mkdir()
    for name in ("lab-methods.csv", "lab-methods.toml"):
        shutil.copy(PROJECT_ROOT / "examples" / name, inputs / name)
    markdown = inputs / "markdown.ttl"
    shutil.copy(PROJECT_ROOT / "tests" / "data" / "markdown" / "markdown.ttl", markdown)
    settings = Settings.from_env(
        {}, store=str(root / "store"), rate_limit=0, max_rows=10_000_000, query_timeout=120
    )
    ctx = Context.from_settings(settings)
    load_files(ctx, [Path(settings.data_dir), markdown])
    import_files(ctx, [inputs / "lab-methods.csv"], mapping=inputs / "lab-methods.toml")
    if SHARED.exists():
        for name, fmt in REAL:
            copy = inputs / Path(name).name
            shutil.copy(SHARED / name, copy)
            import_files(ctx, [copy], format=fmt)
    yield ctx, root
    ctx.store.close()


def private_strings(root: Path) -> list[str]:
    found = [str(root), str(root.resolve()), str(Path.home()) + "/"]
    host = socket.gethostname()
    # a short host name ("vm") is also a word of the data; a long one is not
    found += [name for name in {host, socket.getfqdn()} if len(name) >= 6]
    return found


def assert_private_free(text: str, root: Path, what: str) -> None:
    for secret in private_strings(root):
        assert secret not in text, f"{what} holds {secret!r}"
    assert not re.search(r"prov#atLocation", text), f"{what} records a location"


@pytest.mark.parametrize("fmt", ["turtle", "nt", "nquads", "trig", "jsonld"])
def test_no_dump_holds_a_local_path(built: tuple[Context, Path], fmt: str) -> None:
    ctx, root = built
    if fmt == "jsonld":
        text = b"".join(stream_dump(ctx, "jsonld")).decode("utf-8")
    else:
        buffer = io.BytesIO()
        ctx.store.dump(buffer, fmt)  # type: ignore[arg-type]
        text = buffer.getvalue().decode("utf-8")
    assert "sha256:" in text  # the provenance is in it
    assert_private_free(text, root, f"the {fmt} dump")


@pytest.fixture(scope="module")
def client(built: tuple[Context, Path]) -> FlaskClient:
    from kg.web import create_app

    ctx, _ = built
    app = create_app(ctx.settings, context=ctx)
    app.config["TESTING"] = True
    return app.test_client()


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        ("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }", "application/n-triples"),
        ("SELECT DISTINCT ?literal WHERE { ?s ?p ?literal FILTER(isLiteral(?literal)) }",
         "application/sparql-results+json"),
        ("SELECT DISTINCT ?iri WHERE { { ?iri ?p ?o } UNION { ?s ?p ?iri } FILTER(isIRI(?iri)) }",
         "text/csv"),
    ],
)  # fmt: skip
def test_no_sparql_answer_holds_a_local_path(
    built: tuple[Context, Path], client: FlaskClient, query: str, accept: str
) -> None:
    _, root = built
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200, response.data[:300]
    assert "KG-Results-Truncated" not in response.headers
    text = response.get_data(as_text=True)
    if accept.endswith("json"):
        assert json.loads(text)["results"]["bindings"]
    assert_private_free(text, root, f"/sparql ({query})")


def test_the_input_file_is_described_by_name_size_and_digest(
    built: tuple[Context, Path],
) -> None:
    ctx, _ = built
    buffer = io.BytesIO()
    ctx.store.dump(buffer, "nt", graph=ctx.graph_iri("provenance/import-lab-methods"))
    text = buffer.getvalue().decode("utf-8")
    size = (PROJECT_ROOT / "examples" / "lab-methods.csv").stat().st_size
    assert '"lab-methods.csv"' in text
    assert f'<http://www.w3.org/ns/dcat#byteSize> "{size}"' in text
    assert "sha256:" in text and "<http://purl.org/dc/terms/date>" in text
