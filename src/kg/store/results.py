"""SPARQL 1.1 JSON results read one solution at a time, and their terms made uniform.

Engines differ in small ways: Virtuoso writes ``typed-literal`` (SPARQL 1.0 JSON) and blank
nodes such as ``nodeID://b10000`` that are not valid blank node labels, and a 200 response
may end early (Oxigraph appends a message when it cancels a query). This reader streams the
``bindings`` array without holding the document in memory, checks a deadline between reads,
and raises :class:`MalformedResults` on anything that is not complete SPARQL JSON.
"""

from __future__ import annotations

import codecs
import json
import re
import time
from collections.abc import Iterator
from typing import Any, BinaryIO

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from kg.store.base import StoreError

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
_BOOLEANS = {"1": "true", "0": "false"}
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_CHUNK = 1 << 16
_BLANK_LABEL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")
_WHITESPACE = " \t\r\n"

JsonTerm = dict[str, Any]


class MalformedResults(StoreError):
    """The engine's answer is not complete SPARQL JSON results."""


class DeadlineExceeded(StoreError):
    """The answer did not arrive before the deadline."""


class ResultsReader:
    """SPARQL JSON results from a binary stream: ``variables``, ``boolean`` and the
    solutions from :meth:`bindings` (each a dict of normalised JSON terms)."""

    def __init__(self, stream: BinaryIO, *, deadline: float | None = None) -> None:
        self._stream = stream
        self._deadline = deadline
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._json = json.JSONDecoder()
        self._buffer = ""
        self._pos = 0
        self._eof = False
        self.variables: list[str] | None = None
        self.boolean: bool | None = None

    # --- low-level reading ----------------------------------------------------------------

    def _fill(self) -> bool:
        if self._eof:
            return False
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise DeadlineExceeded("the engine did not answer in time")
        read = getattr(self._stream, "read1", self._stream.read)
        chunk = read(_CHUNK)
        if self._pos > _CHUNK:
            self._buffer, self._pos = self._buffer[self._pos :], 0
        if not chunk:
            self._eof = True
            self._buffer += self._decoder.decode(b"", final=True)
            return False
        self._buffer += self._decoder.decode(chunk)
        return True

    def _peek(self) -> str:
        while True:
            while self._pos < len(self._buffer) and self._buffer[self._pos] in _WHITESPACE:
                self._pos += 1
            if self._pos < len(self._buffer):
                return self._buffer[self._pos]
            if not self._fill():
                raise MalformedResults("the engine's answer ended early")

    def _expect(self, char: str) -> None:
        if self._peek() != char:
            found = self._buffer[self._pos : self._pos + 60]
            raise MalformedResults(f"not SPARQL JSON results (expected {char!r}): {found!r}")
        self._pos += 1

    def _value(self) -> Any:
        self._peek()
        while True:
            try:
                value, end = self._json.raw_decode(self._buffer, self._pos)
            except json.JSONDecodeError:
                if self._fill():
                    continue
                found = self._buffer[self._pos : self._pos + 60]
                raise MalformedResults(f"not SPARQL JSON results: {found!r}") from None
            if isinstance(value, int | float) and end == len(self._buffer) and self._fill():
                continue  # a number may go on in the next chunk
            self._pos = end
            return value

    def _members(self) -> Iterator[str]:
        """The keys of the object starting here; the caller reads each value."""
        self._expect("{")
        if self._peek() == "}":
            self._pos += 1
            return
        while True:
            key = self._value()
            if not isinstance(key, str):
                raise MalformedResults("not SPARQL JSON results (an object key is not a string)")
            self._expect(":")
            yield key
            if self._peek() == ",":
                self._pos += 1
                continue
            self._expect("}")
            return

    # --- the document ---------------------------------------------------------------------

    def bindings(self) -> Iterator[dict[str, JsonTerm]]:
        """Every solution, in the engine's order; afterwards the whole answer was read."""
        for key in self._members():
            if key == "head":
                head = self._value()
                if not isinstance(head, dict):
                    raise MalformedResults("not SPARQL JSON results (head)")
                self.variables = [str(v) for v in head.get("vars", [])]
            elif key == "boolean":
                value = self._value()
                if not isinstance(value, bool):
                    raise MalformedResults("not SPARQL JSON results (boolean)")
                self.boolean = value
            elif key == "results":
                for inner in self._members():
                    if inner != "bindings":
                        self._value()
                        continue
                    self._expect("[")
                    if self._peek() == "]":
                        self._pos += 1
                        continue
                    while True:
                        solution = self._value()
                        if not isinstance(solution, dict):
                            raise MalformedResults("not SPARQL JSON results (a solution)")
                        yield {name: normal_term(t) for name, t in solution.items()}
                        if self._peek() == ",":
                            self._pos += 1
                            continue
                        self._expect("]")
                        break
            else:
                self._value()
        if self._peek_end():
            raise MalformedResults("the engine's answer goes on after the results")

    def _peek_end(self) -> bool:
        """True if anything but whitespace follows the document."""
        while True:
            rest = self._buffer[self._pos :].strip(_WHITESPACE)
            if rest:
                return True
            if not self._fill():
                return False


# --- terms --------------------------------------------------------------------------------


def blank_label(value: str) -> str:
    """A valid blank node label for an engine's blank node id (the same id, the same label)."""
    if _BLANK_LABEL.match(value):
        return value
    return "x" + value.encode("utf-8").hex()


def normal_term(term: Any) -> JsonTerm:
    """A SPARQL JSON term as SPARQL 1.1 writes it: ``literal`` with ``xml:lang`` or a
    ``datatype`` other than xsd:string, booleans in their canonical form, valid blank node
    labels."""
    if not isinstance(term, dict) or "type" not in term:
        raise MalformedResults(f"not a SPARQL JSON term: {str(term)[:80]!r}")
    kind = term["type"]
    if kind == "uri":
        return {"type": "uri", "value": str(term["value"])}
    if kind == "bnode":
        return {"type": "bnode", "value": blank_label(str(term["value"]))}
    if kind in ("literal", "typed-literal"):
        out: JsonTerm = {"type": "literal", "value": str(term["value"])}
        lang = term.get("xml:lang") or term.get("lang")
        datatype = term.get("datatype")
        if lang:
            out["xml:lang"] = str(lang)
        elif datatype and datatype not in (XSD_STRING, RDF_LANGSTRING):
            out["datatype"] = str(datatype)
            if datatype == XSD_BOOLEAN:  # Virtuoso writes computed booleans as 1 and 0
                out["value"] = _BOOLEANS.get(out["value"], out["value"])
        return out
    if kind == "triple":
        value = term["value"]
        return {
            "type": "triple",
            "value": {k: normal_term(value[k]) for k in ("subject", "predicate", "object")},
        }
    raise MalformedResults(f"unknown SPARQL JSON term type {kind!r}")


def to_rdflib_term(term: JsonTerm) -> Node:
    kind = term["type"]
    if kind == "uri":
        return URIRef(term["value"])
    if kind == "bnode":
        return BNode(term["value"])
    if kind == "literal":
        if "xml:lang" in term:
            return Literal(term["value"], lang=term["xml:lang"])
        if "datatype" in term:
            return Literal(term["value"], datatype=URIRef(term["datatype"]))
        return Literal(term["value"])
    raise StoreError("quoted triples are not supported in results")


def to_oxigraph_term(term: JsonTerm) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    kind = term["type"]
    if kind == "uri":
        return ox.NamedNode(term["value"])
    if kind == "bnode":
        return ox.BlankNode(term["value"])
    if kind == "literal":
        if "xml:lang" in term:
            return ox.Literal(term["value"], language=term["xml:lang"])
        if "datatype" in term:
            return ox.Literal(term["value"], datatype=ox.NamedNode(term["datatype"]))
        return ox.Literal(term["value"])
    raise StoreError("quoted triples are not supported in results")


def plain_text(term: JsonTerm | None) -> str:
    """A term as ``select_rows`` gives it: the IRI, the lexical form, ``_:label``, or ""."""
    if term is None:
        return ""
    if term["type"] == "bnode":
        return f"_:{term['value']}"
    return str(term["value"])
