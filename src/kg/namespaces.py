"""The kg namespace (closed: a misspelt term fails loudly) and the one prefix map."""

from __future__ import annotations

from rdflib import URIRef
from rdflib.namespace import DefinedNamespace, Namespace

ONTOLOGY_IRI = "https://w3id.org/rmkg/ontology"


class KG(DefinedNamespace):
    """Terms of ``ontology/kg.ttl``; a test checks that both declare the same terms."""

    _NS = Namespace(ONTOLOGY_IRI + "#")
    _fail = True

    # classes
    Method: URIRef
    Field: URIRef
    Family: URIRef
    Person: URIRef
    Source: URIRef
    YearRange: URIRef
    DifferenceBasis: URIRef
    ValueFormat: URIRef
    CodeRepository: URIRef
    UsageObservation: URIRef
    UsageMeasure: URIRef
    AISystem: URIRef
    Dataset: URIRef
    Organization: URIRef
    Venue: URIRef
    # individuals
    CompareValues: URIRef
    CompareCount: URIRef
    PlainText: URIRef
    MarkdownText: URIRef
    PaperCount: URIRef
    CitationCount: URIRef
    # annotations read by the UI
    displayOrder: URIRef
    shownInComparison: URIRef
    highlightDifferences: URIRef
    differenceBasis: URIRef
    valueFormat: URIRef
    # properties
    field: URIRef
    family: URIRef
    yearOfOrigin: URIRef
    startYear: URIRef
    endYear: URIRef
    attribution: URIRef
    originator: URIRef
    methodType: URIRef
    originalSource: URIRef
    aliases: URIRef
    relatedMethod: URIRef
    relatedCount: URIRef
    summary: URIRef
    arxivId: URIRef
    broaderMethod: URIRef
    implementation: URIRef
    observationOf: URIRef
    measure: URIRef
    observedCount: URIRef
    observationDate: URIRef
    observedIn: URIRef
    developer: URIRef
    author: URIRef
    publicationDate: URIRef
    applicationDomain: URIRef
    learningApproach: URIRef
    parameterCount: URIRef
    trainingCompute: URIRef
    trainingDataset: URIRef
    baseModel: URIRef
    accessibility: URIRef
    introducedIn: URIRef
    introducedWith: URIRef
    country: URIRef
    venue: URIRef


PREFIXES: dict[str, str] = {
    "kg": str(KG._NS),
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "schema": "https://schema.org/",
    "bibo": "http://purl.org/ontology/bibo/",
    "prism": "http://prismstandard.org/namespaces/basic/2.0/",
    "fabio": "http://purl.org/spar/fabio/",
    "prov": "http://www.w3.org/ns/prov#",
    "time": "http://www.w3.org/2006/time#",
    "vann": "http://purl.org/vocab/vann/",
}
"""Prefixes used by queries/, exports and the SPARQL editor."""


def data_prefixes(base_iri: str) -> dict[str, str]:
    """Prefixes of the data's own IRIs under ``base_iri``."""
    kinds = ("method", "field", "family", "person", "source", "scheme", "graph", "system",
             "dataset", "organization", "venue", "domain", "approach")  # fmt: skip
    return {kind: f"{base_iri}{kind}/" for kind in kinds}
