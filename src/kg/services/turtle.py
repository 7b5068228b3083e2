"""Turtle that keeps every literal's lexical form.

rdflib's Turtle serializer writes numbers in Turtle's short forms, which change the lexical
form of some: ``"675000000"^^xsd:decimal`` becomes ``675000000.0`` and
``"120000000.0"^^xsd:double`` becomes ``1.2e+08``. Read back, those are other RDF terms than
the JSON-LD, N-Triples and SPARQL results of the same statement carry, so a Turtle
description and its JSON-LD were not the same graph. ``kg-turtle`` writes a number in its
short form only when that form is its lexical form, and as ``"…"^^xsd:…`` otherwise.
"""

from __future__ import annotations

from rdflib import Literal
from rdflib.plugin import register
from rdflib.plugins.serializers.turtle import TurtleSerializer
from rdflib.serializer import Serializer
from rdflib.term import Node

FORMAT = "kg-turtle"


class LexicalTurtleSerializer(TurtleSerializer):
    """rdflib's Turtle serializer, literals written with their own lexical form."""

    def label(self, node: Node, position: int) -> str:
        text = super().label(node, position)
        if (
            isinstance(node, Literal)
            and node.datatype is not None
            and not text.startswith('"')
            and text != str(node)
        ):
            # a short form (of a number) that is not the literal's lexical form
            return node._literal_n3(
                use_plain=False, qname_callback=lambda dt: self.get_pname(dt, False)
            )
        return text


register(FORMAT, Serializer, __name__, "LexicalTurtleSerializer")
