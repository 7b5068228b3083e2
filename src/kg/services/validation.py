"""Checking data files against the SHACL shapes before anything is written."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

from rdflib import Graph

from kg.services.context import Context
from kg.services.loading import check_parsable, collect_files, format_of
from kg.store.rdfio import read_graph
from kg.validate import ValidationReport, load_shapes, validate_graph


def validate_files(ctx: Context, paths: Iterable[Path]) -> ValidationReport:
    """Validate the union of the files (with the ontology, for classes and ranges)."""
    data = Graph()
    for path in collect_files(paths):
        if path.resolve() == ctx.settings.ontology_path.resolve():
            continue
        fmt = format_of(path)
        check_parsable(ctx, path, fmt)
        read_graph(path, fmt, base_iri=ctx.settings.base_iri, into=data)
    ontology = read_graph(ctx.settings.ontology_path, "turtle", base_iri=ctx.settings.base_iri)
    return validate_graph(data, shapes=load_shapes(ctx.settings.shapes_path), ontology=ontology)


def validate_store(ctx: Context) -> ValidationReport:
    """Validate everything the store holds (the union of its graphs, ontology included)."""
    buffer = io.BytesIO()
    ctx.store.dump(buffer, "nt")
    data = Graph().parse(data=buffer.getvalue().decode("utf-8"), format="nt")
    return validate_graph(data, shapes=load_shapes(ctx.settings.shapes_path), ontology=None)
