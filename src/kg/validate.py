"""Validate kg data against the SHACL shapes in ``ontology/shapes.ttl``.

The public API is shared by the command line (``kg validate``) and the web service:

* :func:`load_shapes` parses a shapes file;
* :func:`validate_graph` runs pySHACL and turns its results graph into a
  :class:`ValidationReport` of :class:`Violation` records, sorted deterministically.

How pySHACL is run, and why:

* ``inference="none"``. RDFS inference would apply ``rdfs:range`` and make every value of
  ``kg:field`` a ``kg:Field`` (and so on), which turns the ``sh:class`` checks into tautologies,
  and it would add a closure computation over the whole graph. The data states ``rdf:type``
  explicitly, so nothing is lost.
* The ontology, when given, is mixed into a copy of the data graph (pySHACL's ``ont_graph``)
  so that ``rdfs:subClassOf`` axioms are visible to ``sh:class`` and ``sh:targetClass``, as the
  SHACL specification prescribes. The caller's graph is never modified. Copying costs time
  (about 1.3 s per 100,000 triples); a caller whose data graph already holds the ontology
  (the union of ``data/*.ttl`` and ``<graph/ontology>``) should pass ``ontology=None``, and the
  data is then validated in place, read-only.
* ``advanced=True`` because a few checks (aliases vs. altLabels, self-related methods, year
  order) use ``sh:SPARQLTarget``: one query over the whole graph selects the offending nodes,
  instead of one SPARQL query per method, which keeps validation linear and fast.
* Nothing is fetched: graphs are passed as objects and ``owl:imports`` is not followed.
* A :class:`rdflib.Dataset` is validated as the union of its graphs (pySHACL would otherwise
  validate each named graph on its own, and links between files would look dangling).

Results produced through ``sh:node`` (a year range checked from its method) are replaced by
their nested ``sh:detail`` results, reported on the outer focus node with the joined path,
e.g. ``kg:yearOfOrigin/kg:startYear``, so that every violation names a method, source, person,
field or family rather than an anonymous node.
"""

from __future__ import annotations

import pathlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pyshacl import validate as _shacl_validate
from rdflib import BNode, ConjunctiveGraph, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH
from rdflib.term import Node

__all__ = ["ValidationReport", "Violation", "load_shapes", "validate_graph"]

_LOCAL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_PATH_SUFFIXES = {
    SH.zeroOrMorePath: "*",
    SH.oneOrMorePath: "+",
    SH.zeroOrOnePath: "?",
}


@dataclass(frozen=True)
class Violation:
    """One validation result, in terms a researcher can act on.

    ``focus_node`` is the IRI of the offending resource (``_:id`` for a blank node);
    ``path`` the property path as prefixed names (``kg:yearOfOrigin/kg:startYear``) or
    ``None`` for a node-level result; ``severity`` is ``Violation``, ``Warning`` or ``Info``;
    ``constraint`` is the SHACL constraint component's local name (``MinCountConstraintComponent``)
    or, for a SPARQL-based constraint, the local name of that constraint
    (``AliasIsAltLabel``).
    """

    focus_node: str
    path: str | None
    message: str
    severity: str
    constraint: str

    def to_text(self) -> str:
        where = self.focus_node if self.path is None else f"{self.focus_node} {self.path}"
        return f"{where}: {self.message} [{self.constraint}]"


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of :func:`validate_graph`."""

    conforms: bool
    violations: tuple[Violation, ...]

    def to_text(self) -> str:
        """One readable line per violation: ``<focus> <path>: <message> [<constraint>]``."""
        return "\n".join(v.to_text() for v in self.violations)


def load_shapes(path: pathlib.Path) -> Graph:
    """Parse a SHACL shapes file (Turtle unless the suffix says otherwise)."""
    graph = Graph()
    fmt = "turtle" if path.suffix in {".ttl", ".turtle", ""} else None
    graph.parse(path, format=fmt)
    return graph


def validate_graph(
    data: Graph,
    *,
    shapes: Graph,
    ontology: Graph | None = None,
) -> ValidationReport:
    """Validate ``data`` against ``shapes``; see the module docstring for the settings used."""
    own_copy = False
    if isinstance(data, ConjunctiveGraph):  # also rdflib.Dataset
        data = _union_of(data)
        own_copy = True
    # pySHACL copies the data graph before it mixes in the ontology or runs SHACL rules (which
    # add triples). Copying an rdflib graph costs about an eighth of a whole run, so validate in
    # place whenever nothing would be written into the caller's graph.
    may_write = ontology is not None or (None, SH.rule, None) in shapes
    conforms, results_graph, _text = _shacl_validate(
        data,
        shacl_graph=shapes,
        ont_graph=ontology,
        inplace=own_copy or not may_write,
        inference="none",
        advanced=True,
        abort_on_first=False,
        allow_infos=False,
        allow_warnings=False,
        do_owl_imports=False,
        meta_shacl=False,
    )
    if not isinstance(results_graph, Graph):  # pragma: no cover - pySHACL contract
        raise TypeError("pySHACL did not return a results graph")
    violations = _violations(results_graph, _Names(shapes))
    return ValidationReport(conforms=bool(conforms), violations=violations)


# ---------------------------------------------------------------------------------------------
# internals


def _union_of(dataset: ConjunctiveGraph) -> Graph:
    union = Graph()
    for prefix, namespace in dataset.namespaces():
        union.bind(prefix, namespace)
    for s, p, o, _ctx in dataset.quads((None, None, None, None)):
        union.add((s, p, o))
    return union


class _Names:
    """Renders IRIs as prefixed names with the prefixes declared in the shapes graph."""

    def __init__(self, shapes: Graph) -> None:
        pairs = [(str(ns), prefix) for prefix, ns in shapes.namespaces() if prefix]
        # longest namespace first, then prefix, so the choice does not depend on binding order
        self._namespaces = sorted(pairs, key=lambda pair: (-len(pair[0]), pair[1]))

    def iri(self, iri: str) -> str:
        for namespace, prefix in self._namespaces:
            if iri.startswith(namespace) and _LOCAL_NAME.fullmatch(iri[len(namespace) :]):
                return f"{prefix}:{iri[len(namespace) :]}"
        return f"<{iri}>"


def _local_name(node: Node) -> str:
    text = str(node)
    return re.split(r"[#/]", text)[-1] or text


def _node_text(node: Node) -> str:
    if isinstance(node, BNode):
        return f"_:{node}"
    return str(node)


def _path_text(graph: Graph, path: Node, names: _Names) -> str:
    """Render a SHACL property path in SPARQL property-path syntax."""
    text, _atomic = _path_parts(graph, path, names)
    return text


def _path_parts(graph: Graph, path: Node, names: _Names) -> tuple[str, bool]:
    """Return the rendered path and whether it needs no parentheses inside a larger path."""
    if isinstance(path, URIRef):
        return names.iri(str(path)), True
    if graph.value(path, RDF.first) is not None:
        steps = [_path_parts(graph, step, names) for step in Collection(graph, path)]
        return "/".join(_wrap(step) for step in steps), len(steps) == 1
    inverse = graph.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + _wrap(_path_parts(graph, inverse, names)), True
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        options = [_path_parts(graph, option, names) for option in Collection(graph, alternatives)]
        return "|".join(text for text, _atomic in options), len(options) == 1
    for predicate, suffix in _PATH_SUFFIXES.items():
        inner = graph.value(path, predicate)
        if inner is not None:
            return _wrap(_path_parts(graph, inner, names)) + suffix, True
    return _node_text(path), True


def _wrap(part: tuple[str, bool]) -> str:
    text, atomic = part
    return text if atomic else f"({text})"


def _message(graph: Graph, result: Node, constraint: str) -> str:
    messages = [m for m in graph.objects(result, SH.resultMessage) if isinstance(m, Literal)]
    for wanted in ("en", None):
        chosen = sorted(str(m) for m in messages if m.language == wanted)
        if chosen:
            return chosen[0]
    if messages:
        return sorted(str(m) for m in messages)[0]
    return f"Constraint {constraint} is violated."


def _constraint(graph: Graph, result: Node) -> str:
    component = graph.value(result, SH.sourceConstraintComponent)
    name = _local_name(component) if component is not None else "UnknownConstraintComponent"
    if name == "SPARQLConstraintComponent":
        for holder in (SH.sourceConstraint, SH.sourceShape):
            named = graph.value(result, holder)
            if isinstance(named, URIRef):
                return _local_name(named)
    return name


def _flatten(
    graph: Graph,
    result: Node,
    names: _Names,
    outer_focus: str | None,
    outer_path: str | None,
) -> Iterator[Violation]:
    focus = graph.value(result, SH.focusNode)
    if outer_focus is not None:
        focus_text = outer_focus
    else:
        focus_text = _node_text(focus) if focus is not None else ""
    path_node = graph.value(result, SH.resultPath)
    own_path = _path_text(graph, path_node, names) if path_node is not None else None
    parts = [p for p in (outer_path, own_path) if p]
    path = "/".join(parts) if parts else None

    details = list(graph.objects(result, SH.detail))
    if details:
        for detail in details:
            yield from _flatten(graph, detail, names, focus_text, path)
        return

    severity = graph.value(result, SH.resultSeverity)
    constraint = _constraint(graph, result)
    yield Violation(
        focus_node=focus_text,
        path=path,
        message=_message(graph, result, constraint),
        severity=_local_name(severity) if severity is not None else "Violation",
        constraint=constraint,
    )


def _top_level_results(graph: Graph) -> Iterable[Node]:
    for report in graph.subjects(RDF.type, SH.ValidationReport):
        yield from graph.objects(report, SH.result)


def _violations(graph: Graph, names: _Names) -> tuple[Violation, ...]:
    found: set[Violation] = set()
    for result in _top_level_results(graph):
        found.update(_flatten(graph, result, names, None, None))
    return tuple(
        sorted(
            found,
            key=lambda v: (v.focus_node, v.path or "", v.constraint, v.message, v.severity),
        )
    )
