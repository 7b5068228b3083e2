"""Issue 15: the research queries, the pages' own queries and the pages of the deeper graph,
on the curated catalogue plus the fixture ``tests/data/issue15/`` (transcribed from the
shared Papers with Code and Epoch AI files and from EDAM)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kg.config import PROJECT_ROOT, Settings
from kg.queries import BindingError, QueryLibrary
from kg.services.context import Context
from kg.services.loading import load_files

FIXTURE = PROJECT_ROOT / "tests" / "data" / "issue15"
BASE = Settings().base_iri
Rows = list[dict[str, str]]


def iri(kind: str, slug: str) -> str:
    return f"{BASE}{kind}/{slug}"


@pytest.fixture(scope="module")
def deep_ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Context]:
    """The curated catalogue and the issue 15 fixture, loaded once. Read-only!"""
    store = tmp_path_factory.mktemp("issue15") / "store"
    context = Context.from_settings(Settings.from_env({}, store=str(store), rate_limit=0))
    load_files(context, [Path(context.settings.data_dir), FIXTURE])
    yield context
    context.store.close()


@pytest.fixture(scope="module")
def deep_app(deep_ctx: Context) -> Flask:
    from kg.web import create_app

    application = create_app(deep_ctx.settings, context=deep_ctx)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def deep(deep_app: Flask) -> FlaskClient:
    return deep_app.test_client()


def run(ctx: Context, name: str, **params: object) -> Rows:
    result = ctx.store.select(ctx.queries[name].bind(params))
    return [{k: str(v) for k, v in row.items()} for row in result.rows]


def column(rows: Rows, name: str) -> set[str]:
    return {row[name] for row in rows if name in row}


# --- what each query answers ------------------------------------------------------------------


def _most_used(rows: Rows) -> None:
    first = rows[0]
    assert first["method"] == iri("method", "dropout")
    assert (first["papers"], first["date"]) == ("22609", "2025-03")
    assert first["dataset"] == iri("dataset", "pwc-methods-2025-03")
    assert first["datasetLabel"] == "Papers with Code methods (March 2025)"
    assert first["page"] == "https://paperswithcode.com/method/dropout"
    assert first["source"] == iri("source", "hinton-2012-dropout")
    assert [int(r["papers"]) for r in rows] == sorted(
        (int(r["papers"]) for r in rows), reverse=True
    )
    assert len(rows) == 17


def _usage(rows: Rows) -> None:
    assert rows == [{
        "measure": "https://w3id.org/rmkg/ontology#PaperCount", "measureLabel": "papers using it",
        "count": "19981", "date": "2025-03", "dataset": iri("dataset", "pwc-methods-2025-03"),
        "datasetLabel": "Papers with Code methods (March 2025)",
        "datasetUrl": "https://github.com/kuefmz/pow_categories",
    }]  # fmt: skip


def _under_method(rows: Rows) -> None:
    edges = {(r["narrower"].rsplit("/", 1)[1], r["parent"].rsplit("/", 1)[1]) for r in rows}
    assert edges == {
        ("sequence-comparison", "sequence-analysis"), ("sequence-alignment", "sequence-analysis"),
        ("sequence-alignment", "sequence-comparison"), ("local-alignment", "sequence-alignment"),
        ("global-alignment", "sequence-alignment"), ("pairwise-sequence-alignment",
        "sequence-alignment"), ("multiple-sequence-alignment", "sequence-alignment"),
    }  # fmt: skip


def _broader(rows: Rows) -> None:
    assert column(rows, "label") == {
        "Sequence alignment",
        "Sequence comparison",
        "Sequence analysis",
        "Alignment",
    }


def _under_concept(rows: Rows) -> None:
    methods = column(rows, "method")
    assert {iri("method", "ddpm"), iri("method", "gan"), iri("method", "vae")} <= methods
    assert iri("method", "resnet") not in methods
    ddpm = next(r for r in rows if r["method"] == iri("method", "ddpm"))
    assert (ddpm["filedUnderLabel"], ddpm["start"]) == ("Diffusion models", "2020")


def _per_year(rows: Rows) -> None:
    found = {(r["year"], r["label"]): r["methods"] for r in rows}
    assert found[("2016", "Computer vision")] == "2"  # DenseNet and Dense Block (PwC)
    assert found[("2020", "Natural language processing")] == "1"  # GPT-3


def _with_code(rows: Rows) -> None:
    block = next(r for r in rows if r["method"] == iri("method", "dense-block"))
    assert block["code"] == (
        "https://github.com/pytorch/vision/blob/1aef87d01eec2c0989458387fa04baebcc86ea7b"
        "/torchvision/models/densenet.py#L93"
    )
    assert block["repository"] == "https://github.com/pytorch/vision"
    assert block["graph"] == f"{BASE}graph/pwc-methods"
    assert len(column(rows, "method")) == 15


def _repositories(rows: Rows) -> None:
    assert (rows[0]["repository"], rows[0]["methods"]) == ("https://github.com/pytorch/vision", "3")
    assert {r["repository"]: r["methods"] for r in rows}["https://github.com/google/jax"] == "2"


def _lineage(rows: Rows) -> None:
    assert [(r["label"], r["builtOnLabel"], r.get("date")) for r in rows] == [
        ("DiT-XL/2", "DiT-XL/2 + CADS", "2023-03-02"),
        ("Stable Diffusion (LDM-KL-8-G)", "DiT-XL/2", "2022-04-13"),
    ]
    assert rows[1]["source"] == iri("source", "rombach-2022-ldm")


def _built_on(rows: Rows) -> None:
    assert {(r["label"], r["builtOnLabel"], r["developerLabel"]) for r in rows} == {
        ("Segment Anything Model", "ViT-Huge/14", "Meta AI"),
        ("VISTA-2D", "Segment Anything Model", "NVIDIA"),
    }


def _trained_on(rows: Rows) -> None:
    assert column(rows, "label") == {"DiT-XL/2", "DiT-XL/2 + CADS"}
    assert column(rows, "developerLabel") == {
        "New York University (NYU)",
        "University of California (UC) Berkeley",
        "ETH Zurich",
    }


def _datasets(rows: Rows) -> None:
    imagenet = next(r for r in rows if r["label"] == "ImageNet")
    assert (imagenet["systems"], imagenet["first"], imagenet["last"]) == (
        "2",
        "2023-03-02",
        "2023-10-26",
    )
    assert len(rows) == 15


def _orgs_by_year(rows: Rows) -> None:
    assert {"year": "2020", "organization": iri("organization", "openai"), "label": "OpenAI",
            "systems": "2"} in rows  # fmt: skip
    assert rows[0]["year"] == "2024"


def _orgs_by_country(rows: Rows) -> None:
    by_org = {r["label"]: (r["country"], r["systems"]) for r in rows}
    assert by_org["Tsinghua University"] == ("China", "1")
    assert by_org["OpenAI"] == ("United States of America", "3")
    assert "Google Brain" not in by_org  # the row lists more countries than organisations


def _originators(rows: Rows) -> None:
    assert (rows[0]["name"], rows[0]["methods"], rows[0]["systems"]) == ("Jonathan Ho", "5", "1")
    assert [r["name"] for r in rows].count("Saining Xie") == 1  # stated by two graphs


def _venues(rows: Rows) -> None:
    assert [(r["label"], r["methods"], r["sources"], r["first"], r["last"]) for r in rows][0] == (
        "Advances in Neural Information Processing Systems",
        "8",
        "6",
        "2014",
        "2021",
    )


def _in_venue(rows: Rows) -> None:
    ddpm = next(r for r in rows if r["method"] == iri("method", "ddpm"))
    assert (ddpm["title"], ddpm["year"]) == ("Denoising Diffusion Probabilistic Models", "2020")


def _introduced_with(rows: Rows) -> None:
    pairs = {(r["systemLabel"], r["methodLabel"], r.get("arxivId")) for r in rows}
    assert ("DenseNet-264", "Dense Block", "1608.06993") in pairs
    assert ("GPT-3 175B (davinci)", "GPT-3", "2005.14165") in pairs
    assert len(pairs) == 9


def _identifiers(rows: Rows) -> None:
    assert rows == [{
        "match": "http://www.w3.org/2004/02/skos/core#exactMatch",
        "identifier": "https://paperswithcode.com/method/resnet",
        "graph": f"{BASE}graph/pwc-methods",
    }]  # fmt: skip


def _gaps(rows: Rows) -> None:
    gaps = {r["method"].rsplit("/", 1)[1]: (r["hasUsage"], r["hasCode"]) for r in rows}
    assert gaps["elmo"] == ("true", "false")
    assert gaps["lora"] == ("false", "false")
    assert "resnet" not in gaps


def _domains(rows: Rows) -> None:
    assert {"year": "2023", "domain": iri("domain", "image-generation"),
            "label": "Image generation", "systems": "2"} in rows  # fmt: skip


def _by_parameters(rows: Rows) -> None:
    first = rows[0]
    assert (first["label"], first["parameters"], first["compute"]) == (
        "GPT-3 175B (davinci)",
        "175000000000",
        "3.14e+23",
    )
    assert first["source"] == iri("source", "arxiv-2005-14165")
    assert first["graph"] == f"{BASE}graph/epoch-systems"


def _by_compute(rows: Rows) -> None:
    assert [r["label"] for r in rows[:3]] == [
        "GPT-3 175B (davinci)",
        "Codex",
        "Stable Diffusion (LDM-KL-8-G)",
    ]


def _cited(rows: Rows) -> None:
    assert (rows[0]["label"], rows[0]["citations"], rows[0]["date"]) == (
        "ResNet-152 (ImageNet)",
        "175697",
        "2025-04",
    )
    assert rows[0]["dataset"] == iri("dataset", "epoch-ai-models-2025-04")


def _of_organization(rows: Rows) -> None:
    assert [r["label"] for r in rows] == ["GPT-3 175B (davinci)", "GPT-3 13B", "Codex"]
    assert rows[2]["base"] == iri("system", "gpt-3-13b")


def _collaborations(rows: Rows) -> None:
    assert (rows[0]["firstLabel"], rows[0]["secondLabel"], rows[0]["systems"]) == (
        "Google Brain",
        "Google Research",
        "2",
    )


def _hierarchy(rows: Rows) -> None:
    broader = {r["label"] for r in rows if r["broader"] == "true"}
    assert broader == {"Alignment", "Sequence comparison", "Sequence analysis"}
    assert len(rows) == 7


def _code(rows: Rows) -> None:
    assert column(rows, "repository") == {"https://github.com/pytorch/vision"}


def _systems(rows: Rows) -> None:
    assert [r["label"] for r in rows] == ["GPT-3 175B (davinci)", "GPT-3 13B"]


def _facts(rows: Rows) -> None:
    by_property = {(r["propertyLabel"], r.get("valueLabel", r["value"])) for r in rows
                   if "propertyLabel" in r}  # fmt: skip
    assert ("Base model", "Stable Diffusion (LDM-KL-8-G)") in by_property
    assert ("Training dataset", "ImageNet") in by_property
    assert ("Parameters", "675000000") in by_property


def _observations(rows: Rows) -> None:
    assert [(r["label"], r["observations"], r["first"]) for r in rows] == [
        ("papers using it", "17", "2025-03")
    ]


def _listing(rows: Rows) -> None:  # AI systems (the query's example class), sorted by label
    assert iri("system", "dit-xl-2") in column(rows, "resource")
    labels = [row["label"].lower() for row in rows]
    assert labels == sorted(labels) and len(labels) == len(set(column(rows, "resource")))


def _by_country_and_year_fixture(rows: Rows) -> None:
    found = {(r["country"], r["year"]): (r["systems"], r["organizations"]) for r in rows}
    assert found[("United States of America", "2023")] == ("2", "3")
    assert found[("China", "2016")] == ("1", "1")
    assert len(rows) == 10


def _used_without_code_fixture(rows: Rows) -> None:
    assert [(r["label"], r["papers"], r.get("source")) for r in rows] == [
        ("Latent Diffusion Model", "238", iri("source", "rombach-2022-ldm")),
        ("ELMo", "228", iri("source", "peters-2018-elmo")),
    ]


def _narrower_with_synonyms_fixture(rows: Rows) -> None:
    local = [r for r in rows if r["narrower"] == iri("method", "local-alignment")]
    assert [r["synonym"] for r in local] == [
        "Local sequence alignment", "Sequence alignment (local)", "Smith-Waterman",
    ]  # fmt: skip
    assert {r["edam"] for r in local} == {"http://edamontology.org/operation_0495"}
    assert len(column(rows, "narrower")) == 4


def _co_originators_fixture(rows: Rows) -> None:
    assert [(r["name"], r["methods"]) for r in rows[:3]] == [
        ("Ajay Jain", "2"), ("Nataniel Ruiz", "2"), ("Pieter Abbeel", "2"),
    ]  # fmt: skip


def _sources_by_methods_fixture(rows: Rows) -> None:
    assert [(r["source"], r["methods"], r.get("venue")) for r in rows] == [
        (iri("source", "ho-2020-ddpm"), "3", iri("venue", "neurips")),
        (iri("source", "arxiv-1608-06993"), "2", None),
        (iri("source", "ruiz-2023-dreambooth"), "2", iri("venue", "cvpr")),
    ]


def _per_aio_concept_fixture(rows: Rows) -> None:
    assert rows == []  # the fixture has no AIO term; see the default catalogue's check


def _datasets_of_organization_fixture(rows: Rows) -> None:
    assert column(rows, "label") == {"Books1", "Books2", "Common Crawl", "WebText2", "Wikipedia"}
    assert all((r["systems"], r["first"]) == ("2", "2020-05-28") for r in rows)


def _synonyms(rows: Rows) -> None:  # EDAM's exact synonyms of Local alignment
    assert [(r["synonym"], r["graphs"].split()) for r in rows] == [
        ("Local sequence alignment", [f"{BASE}graph/edam-operations"]),
        ("Sequence alignment (local)", [f"{BASE}graph/edam-operations"]),
        ("Smith-Waterman", [f"{BASE}graph/edam-operations"]),
    ]


def _page_of_list(rows: Rows) -> None:  # one page of AI systems, by key (label, IRI)
    assert iri("system", "dit-xl-2") in column(rows, "resource")
    keys = [row["key"] for row in rows]
    assert keys == sorted(keys) and len(keys) == len(set(column(rows, "resource"))) <= 51


def _count_of_list(rows: Rows) -> None:
    assert int(rows[0]["resources"]) >= 10


EXPECTED: dict[str, Callable[[Rows], None]] = {
    "most-used-methods": _most_used, "usage-observations": _usage,
    "methods-under-method": _under_method, "broader-methods": _broader,
    "methods-under-concept": _under_concept, "methods-per-year-and-field": _per_year,
    "methods-with-code": _with_code, "code-repositories": _repositories,
    "system-lineage": _lineage, "systems-built-on": _built_on,
    "systems-trained-on-dataset": _trained_on, "datasets-by-systems": _datasets,
    "organizations-by-year": _orgs_by_year, "organizations-by-country": _orgs_by_country,
    "originators-by-methods": _originators, "venues-by-methods": _venues,
    "methods-in-venue": _in_venue, "systems-introduced-with-methods": _introduced_with,
    "external-identifiers": _identifiers, "methods-without-evidence": _gaps,
    "systems-by-domain-and-year": _domains, "largest-systems-by-parameters": _by_parameters,
    "largest-systems-by-compute": _by_compute, "most-cited-systems": _cited,
    "systems-of-organization": _of_organization, "organization-collaborations": _collaborations,
    "method-hierarchy": _hierarchy, "method-code": _code, "method-systems": _systems,
    "resource-facts": _facts, "dataset-observations": _observations,
    "list-resources": _listing, "page-resources": _page_of_list, "count-resources": _count_of_list,
    "systems-by-country-and-year": _by_country_and_year_fixture,
    "used-methods-without-code": _used_without_code_fixture,
    "narrower-methods-with-synonyms": _narrower_with_synonyms_fixture,
    "co-originators": _co_originators_fixture, "sources-by-methods": _sources_by_methods_fixture,
    "methods-per-aio-concept": _per_aio_concept_fixture,
    "datasets-of-organization": _datasets_of_organization_fixture,
    "method-synonyms": _synonyms,
}  # fmt: skip


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_new_query_answers_with_real_values(deep_ctx: Context, name: str) -> None:
    EXPECTED[name](run(deep_ctx, name))


def test_at_least_fifteen_new_research_queries(deep_ctx: Context) -> None:
    research = {q.name for q in deep_ctx.queries if q.audience == "research"}
    assert len(research & set(EXPECTED)) >= 15


def test_typed_parameters_bind(deep_ctx: Context) -> None:
    rows = run(deep_ctx, "usage-observations", resource=iri("system", "transformer"), lang="ja")
    assert [(r["measureLabel"], r["count"], r["date"]) for r in rows] == [
        ("被引用数", "108604", "2025-04")
    ]
    rows = run(deep_ctx, "system-lineage", system=iri("system", "vista-2d"))
    assert [r["label"] for r in rows] == ["Segment Anything Model", "ViT-Huge/14"]
    rows = run(deep_ctx, "methods-under-concept", concept=iri("field", "bioinformatics"))
    assert iri("method", "local-alignment") in column(rows, "method")
    rows = run(deep_ctx, "systems-of-organization", organization=iri("organization", "meta-ai"))
    assert column(rows, "label") == {"Segment Anything Model"}
    with pytest.raises(BindingError):
        deep_ctx.queries["system-lineage"].bind(system="not an iri")
    with pytest.raises(BindingError):
        deep_ctx.queries["usage-observations"].bind(lang="th; DROP")


def test_every_library_query_runs_on_the_deeper_graph(deep_ctx: Context) -> None:
    for query in QueryLibrary(PROJECT_ROOT / "queries"):
        assert query.summary and query.audience in ("research", "internal"), query.name
        text = query.bind()
        if query.kind == "select":
            deep_ctx.store.select(text)
        elif query.kind in ("construct", "describe"):
            deep_ctx.store.construct(text)


def test_canned_query_page_takes_prefixed_names(deep: FlaskClient) -> None:
    page = deep.get("/queries/system-lineage?system=system:codex&run=1").get_data(as_text=True)
    assert "1 row" in page and "system:gpt-3-13b" in page
    assert deep.get("/queries/system-lineage?system=%3Cbad%3E&run=1").status_code == 400


# --- /queries ------------------------------------------------------------------------------------


def test_queries_page_lists_research_and_internal_queries_apart(deep: FlaskClient) -> None:
    page = deep.get("/queries?lang=en").get_data(as_text=True)
    research, _, internal = page.partition('id="internal-queries"')
    assert "Questions for researchers" in research
    for name in ("most-used-methods", "system-lineage", "methods-with-doi"):
        assert f"<code>{name}</code>" in research and f"<code>{name}</code>" not in internal
    for name in ("method-rows", "import-people", "resource-facts"):
        assert f"<code>{name}</code>" in internal and f"<code>{name}</code>" not in research
    assert "研究者向けの質問" in deep.get("/queries?lang=ja").get_data(as_text=True)
    assert "คำถามสำหรับนักวิจัย" in deep.get("/queries?lang=th").get_data(as_text=True)


# --- pages -------------------------------------------------------------------------------------


def test_iris_of_the_new_kinds_negotiate(deep: FlaskClient) -> None:
    for kind, page in (("system", "systems"), ("dataset", "datasets"),
                       ("organization", "organizations"), ("venue", "venues")):  # fmt: skip
        slug = {"system": "codex", "dataset": "imagenet", "organization": "openai",
                "venue": "iclr"}[kind]  # fmt: skip
        seen = deep.get(f"/{kind}/{slug}", headers={"Accept": "text/html"})
        assert seen.status_code == 303 and seen.headers["Location"].endswith(f"/{page}/{slug}")
        turtle = deep.get(f"/{kind}/{slug}", headers={"Accept": "text/turtle"})
        assert turtle.status_code == 200 and turtle.mimetype == "text/turtle"
        assert f"{kind}:{slug}" in turtle.get_data(as_text=True) or iri(kind, slug) in (
            turtle.get_data(as_text=True)
        )
    assert deep.get("/system/codex.jsonld").mimetype == "application/ld+json"
    assert deep.get("/domain/vision", headers={"Accept": "text/html"}).status_code == 200


def test_system_page(deep: FlaskClient) -> None:
    page = deep.get("/systems/dit-xl-2?lang=en").get_data(as_text=True)
    assert "<h1>DiT-XL/2</h1>" in page
    for href, text in (
        ("/organizations/new-york-university-nyu", "New York University (NYU)"),
        ("/person/william-peebles", "William Peebles"),
        ("/datasets/imagenet", "ImageNet"),
        ("/systems/stable-diffusion-ldm-kl-8-g", "Stable Diffusion (LDM-KL-8-G)"),
        ("/systems/dit-xl-2-cads", "DiT-XL/2 + CADS"),
        (
            "/source/rombach-2022-ldm",
            "High-Resolution Image Synthesis with Latent Diffusion Models",
        ),
        ("/datasets/epoch-ai-models-2025-04", "Epoch AI, All AI models (April 2025)"),
    ):
        assert f'<a href="{href}">{text}</a>' in page, href
    assert "675,000,000" in page and "6e+20" in page and "<strong>960</strong>" in page
    assert "2025-04" in page and "<script" not in page


def test_dataset_organization_and_venue_pages(deep: FlaskClient) -> None:
    imagenet = deep.get("/datasets/imagenet").get_data(as_text=True)
    assert '<a href="/systems/dit-xl-2-cads">DiT-XL/2 + CADS</a>' in imagenet
    assert '<a href="/organizations/eth-zurich">ETH Zurich</a>' in imagenet
    pwc = deep.get("/datasets/pwc-methods-2025-03").get_data(as_text=True)
    assert "17 × papers using it" in pwc and "2025-03" in pwc
    assert '<a href="https://creativecommons.org/licenses/by-sa/4.0/">' in pwc
    openai = deep.get("/organizations/openai").get_data(as_text=True)
    assert "United States of America" in openai
    assert openai.index("GPT-3 175B (davinci)") < openai.index("Codex")
    neurips = deep.get("/venues/neurips").get_data(as_text=True)
    assert "NeurIPS" in neurips and '<a href="/methods/ddpm">' in neurips


def test_pages_are_translated(deep: FlaskClient) -> None:
    th = deep.get("/systems/codex?lang=th").get_data(as_text=True)
    assert "ระบบปัญญาประดิษฐ์" in th and "ผู้พัฒนา" in th and "โมเดลฐาน" in th
    ja = deep.get("/methods/sequence-alignment?lang=ja").get_data(as_text=True)
    assert "上位の手法" in ja and "下位の手法" in ja and "他の情報源での識別子" in ja


def test_unknown_or_malformed_resources_are_404(deep: FlaskClient) -> None:
    assert deep.get("/systems/no-such-system").status_code == 404
    assert deep.get("/systems/-bad").status_code == 404
    assert deep.get("/datasets/codex").status_code == 404  # a system, not a data set
    assert deep.get("/venues/" + "x" * 300).status_code == 404


def test_method_page_shows_the_depth(deep: FlaskClient) -> None:
    resnet = deep.get("/methods/resnet?lang=en").get_data(as_text=True)
    assert "<strong>2,255</strong>" in resnet and "2025-03" in resnet
    assert '<a href="/datasets/pwc-methods-2025-03">' in resnet
    assert 'href="https://github.com/pytorch/vision"' in resnet
    assert '<a href="/systems/resnet-152-imagenet">ResNet-152 (ImageNet)</a>' in resnet
    assert '<a href="https://paperswithcode.com/method/resnet">' in resnet
    alignment = deep.get("/methods/sequence-alignment?lang=en").get_data(as_text=True)
    broader, _, narrower = alignment.partition("Narrower methods")
    assert '<a href="/methods/sequence-comparison">' in broader
    assert '<a href="/methods/local-alignment">' in narrower
    lora = deep.get("/methods/lora?lang=en").get_data(as_text=True)
    assert "Broader methods" not in lora and "Usage" not in lora  # nothing known: no section


def _rows_of(page: str) -> str:
    return re.search(r'<dl class="method">.*?</dl>', page, re.S).group(0)  # type: ignore[union-attr]


def test_method_rows_are_those_of_the_catalogue(deep: FlaskClient, client: FlaskClient) -> None:
    for method in ("ddpm", "lora", "resnet", "transformer"):
        ours = deep.get(f"/methods/{method}?lang=en").get_data(as_text=True)
        theirs = client.get(f"/methods/{method}?lang=en").get_data(as_text=True)
        assert _rows_of(ours) == _rows_of(theirs), method


@pytest.mark.parametrize(
    "path", ["/systems/dit-xl-2", "/systems/vista-2d", "/datasets/imagenet",
             "/organizations/openai", "/venues/neurips", "/methods/resnet",
             "/methods/sequence-alignment"],
)  # fmt: skip
def test_every_local_link_of_a_page_resolves(deep: FlaskClient, path: str) -> None:
    page = deep.get(path).get_data(as_text=True)
    links = set(re.findall(r'href="(/(?:systems|datasets|organizations|venues|methods|person|'
                           r'source|domain|approach|graph)/[^"#?]+)"', page))  # fmt: skip
    assert links
    for link in sorted(found for found in links if "/citation." not in found):
        assert deep.get(link, follow_redirects=True).status_code == 200, link


# --- the Papers with Code questions on the default catalogue (the real import) ----------------
# The fixture above stays for what no importer makes yet (AI systems, organisations, venues);
# what Papers with Code says is asked again of the catalogue `kg load` builds.

PWC_GRAPH = f"{BASE}graph/import-pwc_methods_2025-03"
PWC_DATASET = iri("dataset", "pwc-methods-2025-03")


def _most_used_real(rows: Rows) -> None:
    first = rows[0]
    assert (first["method"], first["papers"], first["date"]) == (
        iri("method", "softmax"),
        "25634",
        "2025-03",
    )
    assert (first["dataset"], first["datasetLabel"]) == (
        PWC_DATASET,
        "Papers with Code methods (March 2025)",
    )
    assert first["page"] == "https://paperswithcode.com/method/softmax"
    counts = [int(r["papers"]) for r in rows]
    assert counts == sorted(counts, reverse=True) and len(rows) == 200  # the query's LIMIT


def _with_code_real(rows: Rows) -> None:
    block = next(r for r in rows if r["method"] == iri("method", "dense-block"))
    assert block["code"].endswith("/torchvision/models/densenet.py#L93")
    assert (block["repository"], block["graph"]) == ("https://github.com/pytorch/vision", PWC_GRAPH)
    assert len(column(rows, "method")) == 648


def _repositories_real(rows: Rows) -> None:
    assert [(r["repository"], r["methods"]) for r in rows[:3]] == [
        ("https://github.com/pytorch/pytorch", "34"),
        ("https://github.com/osmr/imgclsmob", "32"),
        ("https://github.com/pytorch/vision", "26"),
    ]


def _identifiers_real(rows: Rows) -> None:
    assert rows == [{
        "match": "http://www.w3.org/2004/02/skos/core#exactMatch",
        "identifier": "https://paperswithcode.com/method/resnet", "graph": PWC_GRAPH,
    }]  # fmt: skip


def _per_year_real(rows: Rows) -> None:
    found = {(r["year"], r["label"]): int(r["methods"]) for r in rows}
    assert found[("2016", "Computer vision")] >= 2  # DenseNet and Dense Block among them
    assert found[("2020", "Natural language processing")] >= 1  # GPT-3


def _gaps_real(rows: Rows) -> None:
    gaps = {r["method"].rsplit("/", 1)[1]: (r["hasUsage"], r["hasCode"]) for r in rows}
    assert gaps["elmo"] == ("true", "false")
    assert gaps["lora"] == ("false", "false")
    assert "resnet" not in gaps


def _code_real(rows: Rows) -> None:
    assert rows == [{
        "code": "https://github.com/pytorch/vision/blob/6db1569c89094cf23f3bc41f79275c45e9fcb3f3"
        "/torchvision/models/resnet.py#L124", "repository": "https://github.com/pytorch/vision",
    }]  # fmt: skip


def _observations_real(rows: Rows) -> None:
    assert [(r["label"], r["observations"], r["first"]) for r in rows] == [
        ("papers using it", "2275", "2025-03")
    ]


ON_THE_DEFAULT_CATALOGUE: dict[str, Callable[[Rows], None]] = {
    "most-used-methods": _most_used_real, "usage-observations": _usage,
    "methods-with-code": _with_code_real, "code-repositories": _repositories_real,
    "external-identifiers": _identifiers_real, "methods-per-year-and-field": _per_year_real,
    "methods-without-evidence": _gaps_real, "method-code": _code_real,
    "dataset-observations": _observations_real,
}  # fmt: skip


# --- more questions researchers ask of the default catalogue (issue 15 e) ---------------------


def _by_country_and_year(rows: Rows) -> None:
    found = {(r["country"], r["year"]): r["systems"] for r in rows}
    assert found[("China", "2024")] == "200"
    assert found[("United States of America", "2024")] == "221"
    assert min(int(r["year"]) for r in rows) >= 2015  # the example's "since"
    assert [int(r["year"]) for r in rows] == sorted((int(r["year"]) for r in rows), reverse=True)


def _used_without_code(rows: Rows) -> None:
    first = rows[0]
    assert (first["label"], first["papers"], first["date"]) == ("Softmax", "25634", "2025-03")
    assert first["dataset"] == iri("dataset", "pwc-methods-2025-03")
    bpe = next(r for r in rows if r["method"] == iri("method", "byte-pair-encoding"))
    assert bpe["source"] == iri("source", "sennrich-2016-bpe")
    assert all(int(r["papers"]) >= 100 for r in rows)  # the example's "minimum"
    assert iri("method", "resnet") not in column(rows, "method")  # it has code


def _narrower_with_synonyms(rows: Rows) -> None:
    local = [r for r in rows if r["narrower"] == iri("method", "local-alignment")]
    assert [r["synonym"] for r in local] == [
        "Local sequence alignment",
        "Sequence alignment (local)",
    ]
    assert {r["edam"] for r in local} == {"http://edamontology.org/operation_0495"}
    assert {"global-alignment", "pairwise-sequence-alignment", "multiple-sequence-alignment",
            "genome-alignment"} <= {r["narrower"].rsplit("/", 1)[1] for r in rows}  # fmt: skip
    assert len(column(rows, "narrower")) == 8


def _co_originators(rows: Rows) -> None:
    assert [(r["name"], r["methods"]) for r in rows[:2]] == [
        ("Ajay Jain", "5"),
        ("Pieter Abbeel", "5"),
    ]
    assert iri("person", "jonathan-ho") not in column(rows, "coOriginator")


def _sources_by_methods(rows: Rows) -> None:
    first = rows[0]
    assert (first["source"], first["arxivId"], first["methods"]) == (
        iri("source", "arxiv-1602-07261"),
        "1602.07261",
        "11",
    )
    alexnet = next(r for r in rows if r["title"] == "ImageNet Classification with Deep "
                   "Convolutional Neural Networks")  # fmt: skip
    assert (alexnet["venue"], alexnet["methods"]) == (iri("venue", "neurips"), "3")  # imported
    assert all(int(r["methods"]) >= 2 for r in rows)


def _per_aio_concept(rows: Rows) -> None:
    first = rows[0]
    assert (first["label"], first["aio"], first["methods"]) == (
        "Machine Learning Task",
        "https://w3id.org/aio/MachineLearningTask",
        "93",
    )
    ann = [r for r in rows if r["aio"] == "https://w3id.org/aio/ArtificialNeuralNetwork"]
    assert [(r["cso"], r["methods"]) for r in ann] == [
        ("https://cso.kmi.open.ac.uk/topics/ann", "67"),
        ("https://cso.kmi.open.ac.uk/topics/artificial_neural_network", "67"),
    ]


def _datasets_of_organization(rows: Rows) -> None:
    first = rows[0]
    assert (first["label"], first["systems"], first["first"]) == ("Common Crawl", "9", "2020-05-28")
    assert len(rows) == 12


ON_THE_DEFAULT_CATALOGUE.update({
    "systems-by-country-and-year": _by_country_and_year,
    "used-methods-without-code": _used_without_code,
    "narrower-methods-with-synonyms": _narrower_with_synonyms,
    "co-originators": _co_originators, "sources-by-methods": _sources_by_methods,
    "methods-per-aio-concept": _per_aio_concept,
    "datasets-of-organization": _datasets_of_organization,
})  # fmt: skip


@pytest.mark.parametrize("name", list(ON_THE_DEFAULT_CATALOGUE))
def test_papers_with_code_queries_on_the_default_catalogue(
    default_catalogue: tuple[Context, object], name: str
) -> None:
    ctx, _ = default_catalogue
    ON_THE_DEFAULT_CATALOGUE[name](run(ctx, name))


def test_methods_under_a_papers_with_code_area_and_collection(
    default_catalogue: tuple[Context, object],
) -> None:
    ctx, _ = default_catalogue
    vision = run(ctx, "methods-under-concept", concept=iri("field", "computer-vision"))
    densenet = next(r for r in vision if r["method"] == iri("method", "densenet"))
    assert (densenet["filedUnderLabel"], densenet["start"]) == ("Computer vision", "2016")
    cnns = run(ctx, "methods-under-concept", concept=iri("family", "convolutional-neural-networks"))
    assert {iri("method", "densenet"), iri("method", "alexnet")} <= column(cnns, "method")
    assert iri("method", "dense-block") not in column(cnns, "method")  # Image Model Blocks


def test_the_systems_list_sorts_newest_first_by_date(deep_ctx: Context) -> None:
    from kg.services.listings import list_resources

    newest = list_resources(deep_ctx, "system", lang="en", sort="newest")
    dates = [item.date for item in newest.items if item.date]
    assert dates and dates == sorted(dates, reverse=True)
    assert newest.items[0].date  # those without a date come last
