"""Running a library query (or a query file) with parameters, and writing its results."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from kg.namespaces import PREFIXES, data_prefixes
from kg.queries import BindingError, Query, QueryFileError, parse_query_file, query_kind
from kg.services.context import Context
from kg.services.guards import Limits, check_sparql
from kg.services.turtle import FORMAT as TURTLE
from kg.store import SelectResult


@dataclass(frozen=True)
class QueryOutcome:
    kind: str
    select: SelectResult | None = None
    boolean: bool | None = None
    triples_turtle: str | None = None


def resolve_query(ctx: Context, name_or_file: str) -> Query:
    """A library query by name, or a ``.rq`` file (with or without a ``#+`` header)."""
    if name_or_file in ctx.queries:
        return ctx.queries[name_or_file]
    path = Path(name_or_file)
    if not path.is_file():
        raise BindingError(
            f"no query named {name_or_file!r} and no such file; "
            f"known queries: {', '.join(ctx.queries.names())}"
        )
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("#+"):
        return parse_query_file(path)
    try:
        kind = query_kind(text)
    except QueryFileError as exc:
        raise BindingError(f"{path}: {exc}") from None
    return Query(path.stem, "", (), text, path, kind)


def expand_iri(ctx: Context, value: str) -> str:
    """``method:ddpm`` or ``kg:Method`` to a full IRI; a full IRI stays as it is."""
    prefix, sep, local = value.partition(":")
    if sep and not local.startswith("//"):
        known = {**PREFIXES, **data_prefixes(ctx.settings.base_iri)}
        if prefix in known:
            return known[prefix] + local
    return value


def parse_params(ctx: Context, query: Query, pairs: Sequence[str]) -> dict[str, object]:
    """``k=v`` pairs; a multiple parameter collects every value given for it."""
    values: dict[str, object] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise BindingError(f"parameters read name=value, got {pair!r}")
        param = query.parameter(name)
        if param.type == "iri":
            value = expand_iri(ctx, value)
        if param.multiple:
            existing = values.setdefault(name, [])
            assert isinstance(existing, list)
            existing.append(value)
        elif name in values:
            raise BindingError(f"parameter {name!r} takes one value")
        else:
            values[name] = value
    return values


def run_query(ctx: Context, query: Query, params: Mapping[str, object]) -> QueryOutcome:
    """Run a bound query in this process, after the same checks as the endpoint's (nesting,
    SERVICE and LOAD unless KG_ALLOW_REMOTE); InputRejected when they fail."""
    text = query.bind(params)
    check_sparql(text, Limits.of(ctx.settings))
    if query.kind == "select":
        return QueryOutcome("select", select=ctx.store.select(text))
    if query.kind == "ask":
        return QueryOutcome("ask", boolean=ctx.store.ask(text))
    if query.kind in ("construct", "describe"):
        graph = ctx.store.construct(text)
        for prefix, namespace in PREFIXES.items():
            graph.bind(prefix, namespace)
        return QueryOutcome(query.kind, triples_turtle=graph.serialize(format=TURTLE))
    raise BindingError(f"{query.name}: updates are not run from the query library")


# --- result formats (SPARQL 1.1 Query Results JSON, CSV and TSV) --------------------------


def _json_term(term: Node) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    assert isinstance(term, Literal)
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype:
        out["datatype"] = str(term.datatype)
    return out


def results_json(result: SelectResult) -> str:
    bindings = [{k: _json_term(v) for k, v in row.items()} for row in result.rows]
    document = {"head": {"vars": list(result.variables)}, "results": {"bindings": bindings}}
    return json.dumps(document, ensure_ascii=False, indent=2)


def results_csv(result: SelectResult) -> str:
    """SPARQL 1.1 CSV: plain values, blank nodes as _:label."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow([_plain(row.get(v)) for v in result.variables])
    return out.getvalue()


def results_tsv(result: SelectResult) -> str:
    """SPARQL 1.1 TSV: terms in their Turtle/N-Triples form."""
    lines = ["\t".join(f"?{v}" for v in result.variables)]
    for row in result.rows:
        lines.append("\t".join(_n3(row[v]) if v in row else "" for v in result.variables))
    return "\n".join(lines) + "\n"


def _plain(term: Node | None) -> str:
    if term is None:
        return ""
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def _n3(term: Node) -> str:
    text: str = term.n3()
    return text.replace("\t", "\\t").replace("\n", "\\n")


def compact(ctx: Context, term: Node | None) -> str:
    """A term for people: prefixed names for known namespaces, else its plain value."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        value = str(term)
        known = {**PREFIXES, **data_prefixes(ctx.settings.base_iri)}
        for prefix, namespace in sorted(known.items(), key=lambda kv: -len(kv[1])):
            if value.startswith(namespace) and len(value) > len(namespace):
                return f"{prefix}:{value[len(namespace) :]}"
        return value
    return str(term)
