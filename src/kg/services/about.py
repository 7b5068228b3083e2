"""What this installation is: the package's and the ontology's versions."""

from __future__ import annotations

from rdflib import Graph
from rdflib.namespace import OWL, RDF

from kg import DISTRIBUTION, __version__
from kg.config import Settings


def ontology_version(settings: Settings) -> str:
    """``owl:versionInfo`` of the ontology in ``KG_ONTOLOGY_DIR`` ("unknown" without one)."""
    graph = Graph()
    graph.parse(settings.ontology_path, format="turtle")
    for ontology in graph.subjects(RDF.type, OWL.Ontology):
        info = graph.value(ontology, OWL.versionInfo)
        if info is not None:
            return str(info)
    return "unknown"


def version_line(settings: Settings) -> str:
    """``rmkg 0.1.0 (ontology 0.1.0)``: what `kg --version` prints."""
    return f"{DISTRIBUTION} {__version__} (ontology {ontology_version(settings)})"
