"""Entity resolution (``kg.services.imports.resolution``): people by family name and
compatible given names with co-authors as evidence, organisations and data sets by name and
abbreviation, venues by their names and aliases; ambiguous cases kept apart and listed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import RDF, Literal, URIRef
from rdflib.namespace import FOAF

from kg.config import Settings
from kg.namespaces import KG
from kg.services.context import Context
from kg.services.imports import import_files
from kg.services.imports.resolution import (
    Resolver,
    aliases_of,
    compatible,
    family_keys,
    name_key,
    parse_person,
    resolve_person,
    venue_keys,
)
from kg.services.loading import load_files
from tests.graphs import union

BASE = Settings().base_iri
HEADER = "Model,Authors,Link,Organization,Country (from Organization),Training dataset\n"


def person(slug: str) -> str:
    return f"{BASE}person/{slug}"


@pytest.fixture(scope="module")
def curated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Context]:
    """The curated catalogue (read-only)."""
    store = tmp_path_factory.mktemp("resolution") / "store"
    ctx = Context.from_settings(Settings.from_env({}, store=str(store)))
    load_files(ctx, [Path(ctx.settings.data_dir)])
    yield ctx
    ctx.store.close()


@pytest.fixture
def catalogue(curated_copy: Context) -> Context:
    """The curated catalogue, in a store of the test's own."""
    return curated_copy


# --- names -----------------------------------------------------------------------------------


def test_initials_and_inverted_names_are_compatible() -> None:
    rombach = parse_person("Rombach, R.")
    assert rombach is not None and rombach.family == "rombach" and rombach.given == ("r",)
    robin = parse_person("Robin Rombach")
    assert robin is not None and compatible(rombach, robin)
    gomez, full = parse_person("Aidan Gomez"), parse_person("Aidan N. Gomez")
    assert gomez is not None and full is not None and compatible(gomez, full)
    other = parse_person("Roberta Rombach")
    assert other is not None and not compatible(robin, other)
    jp, jean = parse_person("J.-P. Vert"), parse_person("Jean-Philippe Vert")
    assert jp is not None and jean is not None and compatible(jp, jean)


def test_accents_are_folded() -> None:
    bjorn, bjoern = parse_person("Björn Ommer"), parse_person("Bjorn Ommer")
    assert bjorn is not None and bjorn == bjoern
    assert "ommer" in family_keys("Björn Ommér")  # the folded key, besides the store's own


def test_abbreviations_in_brackets_are_aliases_only_when_they_abbreviate() -> None:
    assert aliases_of("New York University (NYU)") == ["New York University", "NYU"]
    assert aliases_of("PDB (Protein Data Bank)") == ["PDB", "Protein Data Bank"]
    assert aliases_of("Massachusetts Institute of Technology (MIT)") == [
        "Massachusetts Institute of Technology",
        "MIT",
    ]
    for name in ("Wikipedia (ja)", "Northeastern University (China)", "RedPajama (1T)"):
        assert aliases_of(name) == [], name
    assert name_key("ImageNet-21k") == name_key("ImageNet21k")


def test_venue_names_lose_proceedings_edition_and_abbreviation() -> None:
    keys = venue_keys("Proceedings of the 37th International Conference on Machine Learning (ICML)")
    assert name_key("International Conference on Machine Learning") in keys and "icml" in keys


# --- against the store --------------------------------------------------------------------------


def test_nips_and_neurips_are_one_venue(curated: Context) -> None:
    found = Resolver(curated, []).venues(
        [
            "NIPS",
            "NeurIPS",
            "Advances in Neural Information Processing Systems (NIPS)",
            "Advances in Neural Information Processing Systems (NeurIPS)",
            "Proceedings of the 37th International Conference on Machine Learning (ICML)",
            "Journal of the Royal Statistical Society: Series B (Statistical Methodology)",
            "A Workshop Nobody Knows",
        ]
    )
    neurips = (f"{BASE}venue/neurips", ())
    assert found["NIPS"] == found["NeurIPS"] == neurips
    assert found["Advances in Neural Information Processing Systems (NIPS)"] == neurips
    assert found["Advances in Neural Information Processing Systems (NeurIPS)"] == neurips
    assert found["Proceedings of the 37th International Conference on Machine Learning (ICML)"] == (
        f"{BASE}venue/icml",
        (),
    )
    assert found[
        "Journal of the Royal Statistical Society: Series B (Statistical Methodology)"
    ] == (f"{BASE}venue/jrss-b", ())
    assert found["A Workshop Nobody Knows"] == (None, ())


def test_rombach_r_is_robin_rombach_with_a_shared_coauthor(curated: Context) -> None:
    resolver = Resolver(curated, [])
    name = parse_person("Rombach, R.")
    assert name is not None
    candidates = [p for k in family_keys("Rombach, R.") for p in resolver.persons([k]).get(k, [])]
    assert [p.iri for p in candidates] == [person("robin-rombach")]
    # initials alone do not merge …
    iri, _, undecided = resolve_person(name, candidates)
    assert iri is None and undecided == (person("robin-rombach"),)
    # … a co-author matched in the same row does (Björn Ommer wrote with Robin Rombach)
    coauthors = resolver.coauthors([person("robin-rombach")])
    assert person("bjorn-ommer") in coauthors[person("robin-rombach")]
    iri, rule, _ = resolve_person(name, candidates, {person("robin-rombach")})
    assert iri == person("robin-rombach") and "co-author" in rule
    # the same name, or the same first name with a middle initial more or less, merges alone
    full = parse_person("Robin Rombach")
    assert full is not None and resolve_person(full, candidates)[0] == person("robin-rombach")


def test_an_import_reuses_people_organisations_and_lists_what_it_merged(
    catalogue: Context, tmp_path: Path
) -> None:
    table = tmp_path / "systems.csv"
    table.write_text(
        HEADER
        + '"LDM","Robin Rombach, Bjorn Ommer, P Esser",https://arxiv.org/abs/2112.10752,'
        + '"New York University (NYU)",United States of America,"ImageNet-21k"\n'
        + '"Other","Aidan Gomez",,"NYU",United States of America,"ImageNet21k"\n',
        encoding="utf-8",
    )
    people = set(union(catalogue).subjects(RDF.type, KG.Person))
    report = import_files(catalogue, [table], format="epoch")
    merged = {(r.kind, r.incoming): r.resource for r in report.resolved}
    assert merged[("person", "Robin Rombach")] == person("robin-rombach")
    assert merged[("person", "Bjorn Ommer")] == person("bjorn-ommer")  # accents folded
    assert merged[("person", "P Esser")] == person("patrick-esser")  # initial + co-authors
    assert merged[("person", "Aidan Gomez")] == person("aidan-gomez")  # "Aidan N. Gomez"
    assert (
        merged[("source", "https://arxiv.org/abs/2112.10752")] == f"{BASE}source/rombach-2022-ldm"
    )
    organisation = f"{BASE}organization/new-york-university-nyu"
    assert merged[("organization", "NYU")] == organisation
    dataset = merged[("dataset", "ImageNet21k")]
    g = union(catalogue)
    assert (URIRef(dataset), RDF.type, KG.Dataset) in g
    assert len(set(g.subjects(RDF.type, KG.Organization))) == 1
    assert len(set(g.subjects(RDF.type, KG.Dataset))) == 2  # ImageNet-21k, the Epoch table
    assert (URIRef(organisation), KG.country, Literal("United States of America", lang="en")) in g
    assert set(g.subjects(RDF.type, KG.Person)) == people  # no person added


def test_an_ambiguous_person_is_kept_apart_and_listed(catalogue: Context, tmp_path: Path) -> None:
    table = tmp_path / "ambiguous.csv"
    table.write_text(HEADER + '"Some model","Y. Li",,,,\n', encoding="utf-8")
    report = import_files(catalogue, [table], format="epoch", dry_run=True)
    (ambiguous,) = [a for a in report.ambiguous if a.kind == "person"]
    assert ambiguous.incoming == "Y. Li"
    assert set(ambiguous.candidates) == {
        person("yanghao-li"),
        person("yuanzhen-li"),
        person("yuanzhi-li"),
    }
    assert not [r for r in report.resolved if r.kind == "person"]
    report = import_files(catalogue, [table], format="epoch")
    g = union(catalogue)
    (kept,) = set(g.subjects(FOAF.name, Literal("Y. Li")))
    assert str(kept) == person("y-li")
