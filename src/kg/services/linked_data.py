"""RDF descriptions of resources for downloads."""

from __future__ import annotations

from collections.abc import Sequence

from kg.namespaces import PREFIXES, data_prefixes
from kg.services.context import Context


def describe_methods(ctx: Context, iris: Sequence[str], *, fmt: str) -> str:
    """The methods' triples (``describe-methods.rq``) as Turtle (``ttl``) or JSON-LD."""
    graph = ctx.store.construct(ctx.queries["describe-methods"].bind(method=list(iris)))
    prefixes = {**PREFIXES, **data_prefixes(ctx.settings.base_iri)}
    for prefix, namespace in prefixes.items():
        graph.bind(prefix, namespace, override=True)
    if fmt == "jsonld":
        return graph.serialize(format="json-ld", context=prefixes, indent=2)
    return graph.serialize(format="turtle")
