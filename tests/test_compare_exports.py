"""Comparison exports keep everything (IRIs, DOIs, links, related methods by name and IRI);
the sources of a comparison as BibTeX and CSL-JSON; a permalink that names its data version."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import parse_qs, urlsplit

from flask.testing import FlaskClient

from kg.services.context import Context

PAIR = "m=ddpm&m=ddim"
BASE = "https://w3id.org/rmkg/"


def test_csv_keeps_iris_dois_and_related_methods(client: FlaskClient) -> None:
    rows = list(csv.reader(io.StringIO(client.get(f"/compare.csv?{PAIR}").get_data(as_text=True))))
    assert rows[1] == ["IRI", f"{BASE}method/ddpm", f"{BASE}method/ddim", ""]
    text = "\n".join(",".join(r) for r in rows)
    assert "<https://doi.org/" in text or "<https://arxiv.org/" in text
    assert f"<{BASE}method/ddim>" in text  # ddpm's related methods by name and IRI


def test_json_keeps_everything_and_names_the_data_version(
    client: FlaskClient, catalogue_ctx: Context
) -> None:
    data = client.get(f"/compare.json?{PAIR}").get_json()
    assert data["data_version"] == catalogue_ctx.store.version()
    assert [m["iri"] for m in data["methods"]] == [f"{BASE}method/ddpm", f"{BASE}method/ddim"]
    values = [v for row in data["rows"] for cell in row["cells"] for v in cell["values"]]
    assert any("doi" in v or "url" in v for v in values)
    assert any(v.get("iri", "").startswith(f"{BASE}method/") for v in values)


def test_citations_of_every_compared_method(client: FlaskClient) -> None:
    bib = client.get(f"/compare/citations.bib?{PAIR}&m=lora")
    assert bib.mimetype == "application/x-bibtex"
    assert bib.get_data(as_text=True).count("@") == 3
    items = json.loads(client.get(f"/compare/citations.json?{PAIR}&m=lora").get_data(as_text=True))
    assert len(items) == 3 and len({i["id"] for i in items}) == 3
    assert client.get(f"/compare/citations.xml?{PAIR}").status_code == 404


def test_permalink_names_the_version_and_tells_later_whether_it_changed(
    client: FlaskClient, catalogue_ctx: Context
) -> None:
    page = client.get(f"/compare?{PAIR}").get_data(as_text=True)
    start = page.index('rel="bookmark"')
    href = page[
        page.rindex('href="', 0, start) + 6 : page.index('"', page.rindex('href="', 0, start) + 6)
    ]
    args = parse_qs(urlsplit(href.replace("&amp;", "&")).query)
    assert args["v"] == [catalogue_ctx.store.version()] and args["d"]
    assert 'class="cited-version"' not in client.get(href).get_data(as_text=True)
    same = client.get(f"/compare?{PAIR}&lang=en&v=older&d={args['d'][0]}").get_data(as_text=True)
    assert 'class="cited-version"' in same and "has changed since" not in same
    changed = client.get(f"/compare?{PAIR}&lang=en&v=older&d=0000").get_data(as_text=True)
    assert "What these methods show has changed since." in changed
