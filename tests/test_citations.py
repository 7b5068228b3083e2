"""Citations of original sources: BibTeX that parses back, CSL-JSON with the same facts."""

from __future__ import annotations

import json

import bibtexparser
import pytest
from flask.testing import FlaskClient

SEEDS = [
    "transfer-learning-with-diffusion-models",
    "fine-tuned-diffusion-model",
    "self-supervised-diffusion-model",
]


@pytest.mark.parametrize("method", SEEDS)
def test_bibtex_of_each_seed_method_parses(client: FlaskClient, method: str) -> None:
    response = client.get(f"/methods/{method}/citation.bib")
    assert response.status_code == 200
    assert response.mimetype == "application/x-bibtex"
    library = bibtexparser.parse_string(response.get_data(as_text=True))
    assert not library.failed_blocks
    (entry,) = library.entries
    fields = entry.fields_dict
    assert entry.entry_type == "inproceedings"
    assert fields["year"].value in ("2020", "2023")
    assert " and " in fields["author"].value


def test_bibtex_carries_the_doi_and_escapes_latex(client: FlaskClient) -> None:
    text = client.get("/methods/fine-tuned-diffusion-model/citation.bib").get_data(as_text=True)
    entry = bibtexparser.parse_string(text).entries[0]
    assert entry.fields_dict["doi"].value == "10.1109/CVPR52729.2023.02155"
    assert entry.fields_dict["pages"].value == "22500--22510"
    assert entry.fields_dict["author"].value.startswith("Nataniel Ruiz and Yuanzhen Li")


def test_csl_json(client: FlaskClient) -> None:
    (item,) = json.loads(client.get("/methods/ddpm/citation.json").get_data(as_text=True))
    assert item["type"] == "paper-conference"
    assert item["issued"] == {"date-parts": [[2020]]}
    assert item["author"][0] == {"family": "Ho", "given": "Jonathan"}
    assert item["URL"].startswith("https://proceedings.neurips.cc/")


def test_unknown_or_bad_ids(client: FlaskClient) -> None:
    assert client.get("/methods/no-such-method/citation.bib").status_code == 404
    assert client.get("/methods/BAD!/citation.bib").status_code == 400
    assert client.get("/methods/ddpm/citation.xml").status_code == 404
