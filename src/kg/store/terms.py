"""The one place where pyoxigraph terms become rdflib terms and back."""

from __future__ import annotations

from functools import lru_cache

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def to_rdflib(term: object) -> Node:
    """The rdflib term of a pyoxigraph term. Terms are immutable on both sides, so the
    terms a page reads again and again (labels, properties, languages) are converted once:
    building an rdflib literal parses its lexical form, which costs more than the query."""
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    return _converted(term)


@lru_cache(maxsize=1 << 16)
def _converted(term: object) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    raise TypeError(f"cannot convert {term!r} to an rdflib term")


def to_oxigraph(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype and str(term.datatype) != _RDF_LANGSTRING:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot convert {term!r} to a pyoxigraph term")


def iri_problem(value: str) -> str | None:
    """Why the engine would refuse ``value`` as an IRI (its message), or None if it is one."""
    try:
        ox.NamedNode(value)
    except ValueError as exc:
        return str(exc)
    return None
