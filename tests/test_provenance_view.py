"""Issue 16, provenance you can see: every value of method and comparison pages says which
named graph states it, with that graph's source file, licence and credit line; a method
from a licensed import (Papers with Code, CC BY-SA 4.0) shows its licence and attribution."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from kg.services.imports.pwc import ATTRIBUTION
from kg.services.provenance import value_provenance
from tests.html_tables import read_compare_page
from tests.test_untranslated import front  # noqa: F401 - fixture

CC_BY_SA = "https://creativecommons.org/licenses/by-sa/4.0/"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"


def markers(page: str) -> list[str]:
    return re.findall(r'<details class="prov">(.*?)</details>', page, flags=re.S)


def test_a_papers_with_code_method_shows_its_licence_and_attribution(front: FlaskClient) -> None:  # noqa: F811
    page = front.get("/methods/gelu?lang=ja").get_data(as_text=True)
    section = page.split('id="data-sources"', 1)[1]
    assert f'href="{CC_BY_SA}" rel="license">CC BY-SA 4.0</a>' in section
    assert ATTRIBUTION in section
    assert "pwc-two-methods.json" in section  # the file it was imported from
    assert 'href="/dataset#graph-import-pwc-two-methods"' in section


def test_every_shown_value_of_a_method_has_its_marker(front: FlaskClient) -> None:  # noqa: F811
    page = front.get("/methods/adam").get_data(as_text=True)
    rows = re.findall(r"<dd>(.*?)</dd>", page.split('<dl class="method">', 1)[1].split("</dl>")[0],
                      flags=re.S)  # fmt: skip
    assert rows
    assert all('<details class="prov">' in row for row in rows if row.strip() not in ("0",))
    found = markers(page)
    # Adam: curated (CC BY 4.0) and merged from the Papers with Code import (CC BY-SA 4.0).
    assert any("methods-deep-learning" in m or "methods-" in m for m in found)
    assert any("import-pwc-two-methods" in m and CC_BY_SA in m for m in found)
    assert any(CC_BY in m for m in found)


def test_the_comparison_marks_each_cell_and_keeps_the_table(front: FlaskClient) -> None:  # noqa: F811
    html = front.get("/compare?m=ddpm&m=lora&lang=th").get_data(as_text=True)
    table = read_compare_page(html)
    assert all(
        "ⓘ" not in cell and "graph" not in cell for _, _, cells in table.rows for cell in cells
    )
    assert len(markers(html)) >= len(table.rows)  # each row has values with a marker
    marker = markers(html)[0]
    assert 'class="visually-hidden">ที่มาของข้อมูลนี้</span>' in marker
    assert "<summary" in marker  # a <details>: keyboard reachable, no script needed


def test_the_service_names_the_graph_of_each_statement(front: FlaskClient) -> None:  # noqa: F811
    from kg.web.context import services

    with front.application.app_context():
        ctx = services()
        iri = ctx.method_iri("adam")
        found = value_provenance(ctx, [iri])
    graphs = {g.name: g for g in found.graphs[iri]}
    assert graphs["import-pwc-two-methods"].licence == CC_BY_SA
    assert graphs["import-pwc-two-methods"].credit == ATTRIBUTION
    assert any(g.curated and g.licence == CC_BY for g in graphs.values())
    label = "http://www.w3.org/2004/02/skos/core#prefLabel"
    assert found.cell(iri, label)


def test_the_pages_read_the_same_provenance_as_the_library_query(front: FlaskClient) -> None:  # noqa: F811
    """Pages take each statement's graph from method-values.rq (one read fewer); the
    library's value-provenance.rq must give the same, for every method of the catalogue."""
    from kg.services.compare import compare
    from kg.services.provenance import provenance_of
    from kg.web.context import services

    with front.application.app_context():
        ctx = services()
        rows = ctx.store.select(ctx.queries["list-methods"].bind()).rows
        ids = [str(r["method"]).rsplit("/", 1)[-1] for r in rows]
        assert len(ids) > 40
        for method_id in ids:
            iri = ctx.method_iri(method_id)
            shown = compare(ctx, [method_id], lang="en", minimum=1, all_rows=True)
            assert provenance_of(ctx, shown.statement_graphs) == value_provenance(ctx, [iri])
