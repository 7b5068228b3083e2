"""Linked Data publication: resource descriptions, the ontology's documentation, the dataset.

Every IRI under the base IRI (``method/…``, ``person/…``, ``source/…``, ``field/…``,
``family/…``, ``scheme/…``, ``system/…``, ``dataset/…``, ``organization/…``, ``venue/…``,
``domain/…``, ``approach/…``, ``graph/…``) and the ontology namespace has a description here:
an rdflib graph (from the query library) that the web layer serializes by content
negotiation, and plain data for its HTML page built from the same graph.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal as TypingLiteral

from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, SKOS, VOID
from rdflib.term import Node

from kg.namespaces import KG, ONTOLOGY_IRI, PREFIXES, data_prefixes
from kg.services.context import Context
from kg.services.dumps import DUMPS
from kg.services.jsonld import dumps as json_text
from kg.services.jsonld import graph_document
from kg.services.stats import count_triples
from kg.services.turtle import FORMAT as TURTLE

RdfFormat = TypingLiteral["turtle", "jsonld", "nt", "rdfxml"]
RDF_FORMATS: tuple[RdfFormat, ...] = ("turtle", "jsonld", "nt", "rdfxml")
MEDIA_TYPES: dict[str, str] = {
    "turtle": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
    "rdfxml": "application/rdf+xml",
    "nquads": "application/n-quads",
}
SUFFIXES: dict[str, str] = {"turtle": "ttl", "jsonld": "jsonld", "nt": "nt", "rdfxml": "rdf",
                            "nquads": "nq"}  # fmt: skip
RESOURCE_KINDS = ("method", "person", "source", "field", "family", "scheme", "system",
                  "dataset", "organization", "venue", "domain", "approach")  # fmt: skip
PAGE_PATHS = {"method": "methods", "system": "systems", "dataset": "datasets",
              "organization": "organizations", "venue": "venues"}  # fmt: skip
"""Kinds whose HTML page is not at the IRI's own path: ``method/x`` is shown at ``/methods/x``."""
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SCHEMA = Namespace("https://schema.org/")
LABEL_PROPERTIES = (SKOS.prefLabel, FOAF.name, DCTERMS.title, RDFS.label)


def prefixes(ctx: Context) -> dict[str, str]:
    return {**PREFIXES, **data_prefixes(ctx.settings.base_iri), "void": str(VOID),
            "dcat": str(DCAT), "sd": str(SD)}  # fmt: skip


def serialize(
    ctx: Context,
    graph: Graph,
    fmt: str,
    *,
    first: Sequence[str] = (),
    context_url: str | None = None,
) -> str:
    """A (small) graph in one of the RDF formats; JSON-LD compact with our context, named by
    ``context_url`` (where it is served) or else inline."""
    if fmt == "jsonld":
        document = graph_document(ctx.settings, graph, first=first, context_url=context_url)
        return json_text(document)
    for prefix, namespace in prefixes(ctx).items():
        graph.bind(prefix, namespace, override=True, replace=True)
    name = {"turtle": TURTLE, "nt": "nt", "rdfxml": "xml"}[fmt]
    text = graph.serialize(format=name)
    return text if fmt != "nt" else "".join(sorted(text.splitlines(keepends=True)))


# --- resources ---------------------------------------------------------------------------------


def describe(ctx: Context, iri: str, *, kind: str) -> Graph:
    """A resource's description; empty when the store knows nothing about it."""
    if kind == "method":
        return ctx.store.construct(ctx.queries["describe-methods"].bind(method=[iri]))
    graph = ctx.store.construct(ctx.queries["describe-resource"].bind(resource=iri))
    if len(graph) == 0:
        return graph
    for triple in ctx.store.construct(ctx.queries["describe-references"].bind(resource=iri)):
        graph.add(triple)
    return graph


def describe_ontology(ctx: Context) -> Graph:
    return ctx.store.construct(ctx.queries["graph-triples"].bind(graph=ctx.graph_iri("ontology")))


@dataclass(frozen=True)
class ViewValue:
    text: str
    lang: str | None = None
    href: str | None = None


@dataclass(frozen=True)
class ViewRow:
    property: str
    label: str
    label_lang: str | None
    values: tuple[ViewValue, ...]


@dataclass(frozen=True)
class ResourceView:
    iri: str
    kind: str
    label: str
    label_lang: str | None
    types: tuple[ViewValue, ...]
    rows: tuple[ViewRow, ...]
    references: tuple[ViewRow, ...]


def local_href(ctx: Context, iri: str) -> str | None:
    """Where an IRI is shown: our own page for the base IRI and the ontology, else http(s)."""
    base = ctx.settings.base_iri
    if iri.startswith(base):
        rest = iri[len(base) :]
        kind, _, slug = rest.partition("/")
        if kind in PAGE_PATHS and slug and "/" not in slug:
            return f"/{PAGE_PATHS[kind]}/{slug}"
        return "/" + rest
    if iri.startswith(ONTOLOGY_IRI):
        return "/ontology" + iri[len(ONTOLOGY_IRI) :]
    if iri.startswith(("http://", "https://")):
        return iri
    return None


def _best_label(graph: Graph, node: Node, lang: str) -> Literal | None:
    found: list[Literal] = [
        o for p in LABEL_PROPERTIES for o in graph.objects(node, p) if isinstance(o, Literal)
    ]
    for wanted in (lang, "en", None):
        for literal in found:
            if literal.language == wanted or (wanted is None and literal.language is None):
                return literal
    return found[0] if found else None


def _compact(iri: str, namespaces: Mapping[str, str]) -> str:
    for prefix, namespace in sorted(namespaces.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def resource_view(
    ctx: Context,
    graph: Graph,
    iri: str,
    *,
    kind: str,
    lang: str,
    property_labels: Mapping[str, str],
) -> ResourceView:
    """The description as rows for a page; ``property_labels`` names the standard terms."""
    namespaces = prefixes(ctx)
    subject = URIRef(iri)

    def label_of_property(p: URIRef) -> tuple[str, str | None]:
        literal = _best_label(graph, p, lang)
        if str(p) in property_labels:
            return property_labels[str(p)], lang
        if literal is not None:
            return str(literal), literal.language
        return _compact(str(p), namespaces), None

    def value(node: Node, predicate: URIRef) -> list[ViewValue]:
        if isinstance(node, Literal):
            text = str(node)
            if predicate == URIRef("http://purl.org/ontology/bibo/doi"):
                return [ViewValue(text, href=f"https://doi.org/{text}")]
            if predicate == KG.arxivId:
                return [ViewValue(text, href=f"https://arxiv.org/abs/{text}")]
            return [ViewValue(text, node.language)]
        if isinstance(node, BNode):
            if (node, RDF.first, None) in graph:
                return [v for item in Collection(graph, node) for v in value(item, predicate)]
            start, end = graph.value(node, KG.startYear), graph.value(node, KG.endYear)
            if start is not None:
                years = str(start) if end is None or str(end) == str(start) else f"{start}–{end}"
                return [ViewValue(years)]
            return [ViewValue("[…]")]
        label = _best_label(graph, node, lang)
        text = str(label) if label is not None else _compact(str(node), namespaces)
        return [ViewValue(text, label.language if label is not None else None,
                          local_href(ctx, str(node)))]  # fmt: skip

    rows: dict[URIRef, list[ViewValue]] = defaultdict(list)
    types: list[ViewValue] = []
    for p, o in sorted(graph.predicate_objects(subject), key=lambda po: (str(po[0]), str(po[1]))):
        assert isinstance(p, URIRef)
        if p == RDF.type:
            types.extend(value(o, p))
        elif p not in LABEL_PROPERTIES or kind == "source":
            rows[p].extend(value(o, p))
    references: dict[URIRef, list[ViewValue]] = defaultdict(list)
    for s, p in sorted(graph.subject_predicates(subject), key=lambda sp: (str(sp[1]), str(sp[0]))):
        assert isinstance(p, URIRef)
        if s != subject and isinstance(s, URIRef):
            references[p].extend(value(s, p))
    label = _best_label(graph, subject, lang)

    def as_rows(found: Mapping[URIRef, list[ViewValue]]) -> tuple[ViewRow, ...]:
        built = []
        for p, values in found.items():
            text, text_lang = label_of_property(p)
            built.append(ViewRow(str(p), text, text_lang, tuple(values)))
        return tuple(sorted(built, key=lambda r: r.label.lower()))

    return ResourceView(
        iri=iri,
        kind=kind,
        label=str(label) if label is not None else iri.rsplit("/", 1)[-1],
        label_lang=label.language if label is not None else None,
        types=tuple(types),
        rows=as_rows(rows),
        references=as_rows(references),
    )


# --- the ontology ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TermLink:
    text: str
    href: str | None
    lang: str | None = None


@dataclass(frozen=True)
class OntologyTerm:
    id: str
    iri: str
    label: str
    label_lang: str | None
    labels: tuple[tuple[str, str], ...]
    comment: str | None
    comment_lang: str | None
    characteristics: tuple[str, ...]
    parents: tuple[TermLink, ...]
    domain: tuple[TermLink, ...]
    range: tuple[TermLink, ...]
    annotations: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class OntologySection:
    kind: str
    terms: tuple[OntologyTerm, ...]


@dataclass(frozen=True)
class OntologyDoc:
    iri: str
    title: str
    title_lang: str | None
    description: str | None
    version: str | None
    version_iri: str | None
    licence: str | None
    prefix: str | None
    namespace: str | None
    sections: tuple[OntologySection, ...]


SECTION_KINDS = (
    ("class", OWL.Class),
    ("object", OWL.ObjectProperty),
    ("datatype", OWL.DatatypeProperty),
    ("annotation", OWL.AnnotationProperty),
    ("individual", OWL.NamedIndividual),
)
CHARACTERISTICS = {
    str(OWL.SymmetricProperty): "symmetric",
    str(OWL.FunctionalProperty): "functional",
    str(OWL.TransitiveProperty): "transitive",
}


def ontology_doc(ctx: Context, *, lang: str) -> OntologyDoc:
    """The ontology's terms from ``ontology-terms.rq``, labels in ``lang`` (English fallback)."""
    result = ctx.store.select(
        ctx.queries["ontology-terms"].bind(graph=ctx.graph_iri("ontology"), lang=lang)
    )
    facts: dict[str, dict[str, list[dict[str, Node]]]] = defaultdict(lambda: defaultdict(list))
    for row in result.rows:
        facts[str(row["term"])][str(row["relation"])].append(row)
    namespaces = prefixes(ctx)

    def literals(term: str, relation: URIRef) -> list[Literal]:
        return [r["value"] for r in facts[term][str(relation)] if isinstance(r["value"], Literal)]

    def pick(found: list[Literal]) -> Literal | None:
        for wanted in (lang, "en"):
            for literal in found:
                if literal.language == wanted:
                    return literal
        return found[0] if found else None

    def links(term: str, relation: URIRef) -> tuple[TermLink, ...]:
        out = []
        for r in facts[term][str(relation)]:
            iri = str(r["value"])
            label = r.get("valueLabel")
            text = str(label) if label is not None else _compact(iri, namespaces)
            href = local_href(ctx, iri)
            out.append(TermLink(text, href, str(r.get("valueLabelLang", "")) or None))
        return tuple(sorted(out, key=lambda link: link.text.lower()))

    sections = []
    for kind, owl_type in SECTION_KINDS:
        terms = []
        for term in sorted(facts):
            types = {str(r["value"]) for r in facts[term][str(RDF.type)]}
            if str(owl_type) not in types or "#" not in term:
                continue
            if kind == "individual" and str(OWL.Class) in types:
                continue
            label = pick(literals(term, RDFS.label))
            comment = pick(literals(term, RDFS.comment))
            annotations = tuple(
                (_compact(relation, namespaces), str(r["value"]))
                for relation in sorted(facts[term])
                if relation.startswith(str(KG))
                for r in facts[term][relation]
            )
            terms.append(
                OntologyTerm(
                    id=term.rsplit("#", 1)[-1],
                    iri=term,
                    label=str(label) if label is not None else term.rsplit("#", 1)[-1],
                    label_lang=label.language if label is not None else None,
                    labels=tuple(
                        sorted((lit.language or "", str(lit)) for lit in literals(term, RDFS.label))
                    ),
                    comment=str(comment) if comment is not None else None,
                    comment_lang=comment.language if comment is not None else None,
                    characteristics=tuple(
                        sorted(CHARACTERISTICS[t] for t in types if t in CHARACTERISTICS)
                    ),  # fmt: skip
                    parents=links(term, RDFS.subClassOf) + links(term, RDFS.subPropertyOf),
                    domain=links(term, RDFS.domain),
                    range=links(term, RDFS.range),
                    annotations=annotations,
                )
            )
        sections.append(OntologySection(kind, tuple(terms)))

    def first(relation: URIRef) -> Node | None:
        rows = facts[ONTOLOGY_IRI][str(relation)]
        return rows[0]["value"] if rows else None

    title = pick(literals(ONTOLOGY_IRI, DCTERMS.title))
    description = pick(literals(ONTOLOGY_IRI, DCTERMS.description))
    vann = "http://purl.org/vocab/vann/"

    def text(node: Node | None) -> str | None:
        return None if node is None else str(node)

    return OntologyDoc(
        iri=ONTOLOGY_IRI,
        title=str(title) if title is not None else ONTOLOGY_IRI,
        title_lang=title.language if title is not None else None,
        description=text(description),
        version=text(first(OWL.versionInfo)),
        version_iri=text(first(OWL.versionIRI)),
        licence=text(first(DCTERMS.license)),
        prefix=text(first(URIRef(vann + "preferredNamespacePrefix"))),
        namespace=text(first(URIRef(vann + "preferredNamespaceUri"))),
        sections=tuple(sections),
    )


# --- the dataset ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphInfo:
    iri: str
    name: str
    title: str
    triples: int
    subjects: int
    licence: str | None
    credit: str | None
    curated: bool


@dataclass(frozen=True)
class ExampleResource:
    class_label: str
    iri: str
    label: str
    href: str | None


@dataclass(frozen=True)
class DumpLink:
    label: str
    media_type: str
    url: str


@dataclass(frozen=True)
class DatasetView:
    iri: str
    title: str
    quads: int
    graphs: tuple[GraphInfo, ...]
    classes: tuple[tuple[str, int], ...]
    examples: tuple[ExampleResource, ...]
    sparql: str
    dumps: tuple[DumpLink, ...]
    licence: str


def dataset_iri(ctx: Context) -> str:
    return f"{ctx.settings.base_iri}dataset"


def dump_url(ctx: Context, suffix: str) -> str:
    return f"{ctx.settings.base_iri}dumps/catalogue.{suffix}"


def curated_graphs(ctx: Context) -> set[str]:
    """Graphs loaded from the curated catalogue (``data/``) and the ontology: CC BY 4.0."""
    data = Path(ctx.settings.data_dir)
    names = {p.stem for p in data.iterdir() if p.suffix == ".ttl"} if data.is_dir() else set()
    return {ctx.graph_iri(n) for n in names | {"ontology"}}


_DATASET_CACHE = "publication.dataset-view"


def dataset_view(ctx: Context, *, lang: str) -> DatasetView:
    """The dataset's statistics, graphs, examples and dumps (cached per store version)."""
    views = ctx.version_cache(_DATASET_CACHE)
    cached = views.get(lang)
    if isinstance(cached, DatasetView):
        return cached
    curated = curated_graphs(ctx)
    graph_prefix = ctx.graph_iri("")
    graphs = []
    for row in ctx.store.select(ctx.queries["dataset-graphs"].bind()).rows:
        iri = str(row["graph"])
        is_curated = iri in curated
        name = iri.removeprefix(graph_prefix)
        graphs.append(
            GraphInfo(
                iri=iri,
                name=name,
                title=str(row["title"]) if "title" in row else name,
                triples=int(str(row["triples"])),
                subjects=int(str(row["subjects"])),
                licence=str(row["licence"])
                if "licence" in row
                else (CC_BY if is_curated else None),
                credit=str(row["credit"]) if "credit" in row else None,
                curated=is_curated,
            )
        )
    classes = ctx.store.select(ctx.queries["stats-classes"].bind())
    class_counts = tuple((str(r["class"]), int(str(r["resources"]))) for r in classes.rows)
    examples: dict[str, ExampleResource] = {}
    for row in ctx.store.select(ctx.queries["example-resources"].bind(lang=lang)).rows:
        if "resource" not in row or str(row["class"]) in examples:
            continue
        iri = str(row["resource"])
        examples[str(row["class"])] = ExampleResource(
            class_label=str(row["class"]).rsplit("#", 1)[-1],
            iri=iri,
            label=str(row.get("label", iri)),
            href=local_href(ctx, iri),
        )
    view = DatasetView(
        iri=dataset_iri(ctx),
        title=ctx.settings.site_name,
        # distinct triples: a statement two graphs make is one triple of the dataset
        quads=count_triples(ctx),
        graphs=tuple(graphs),
        classes=class_counts,
        examples=tuple(examples.values()),
        sparql=f"{ctx.settings.base_iri}sparql",
        dumps=tuple(DumpLink(d.label, d.media_type, dump_url(ctx, d.suffix)) for d in DUMPS),
        licence=CC_BY,
    )
    views[lang] = view
    return view


def dataset_graph(ctx: Context, view: DatasetView) -> Graph:
    """The VoID + DCAT description of the dataset and of each named graph."""
    g = Graph()
    dataset = URIRef(view.iri)
    g.add((dataset, RDF.type, VOID.Dataset))
    g.add((dataset, RDF.type, DCAT.Dataset))
    g.add((dataset, DCTERMS.title, Literal(view.title, lang="en")))
    g.add((dataset, DCTERMS.description, Literal(
        "Research methods (field, family, year of origin, originators, type, original source, "
        "aliases, related methods, summary) as linked data.", lang="en")))  # fmt: skip
    g.add((dataset, DCTERMS.license, URIRef(view.licence)))
    g.add((dataset, FOAF.homepage, URIRef(ctx.settings.base_iri)))
    g.add((dataset, VOID.uriSpace, Literal(ctx.settings.base_iri)))
    g.add((dataset, VOID.vocabulary, URIRef(ONTOLOGY_IRI)))
    g.add((dataset, VOID.sparqlEndpoint, URIRef(view.sparql)))
    g.add((dataset, VOID.triples, Literal(view.quads, datatype=XSD.integer)))
    g.add((dataset, VOID.feature, URIRef("http://www.w3.org/ns/formats/N-Quads")))
    service = URIRef(view.sparql)
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCAT.endpointURL, service))
    g.add((service, DCAT.servesDataset, dataset))
    g.add((dataset, DCAT.accessService, service))
    for dump in view.dumps:
        url = URIRef(dump.url)
        g.add((dataset, VOID.dataDump, url))
        g.add((dataset, DCAT.distribution, url))
        g.add((url, RDF.type, DCAT.Distribution))
        g.add((url, DCAT.downloadURL, url))
        g.add(
            (
                url,
                DCAT.mediaType,
                URIRef(f"https://www.iana.org/assignments/media-types/{dump.media_type}"),
            )
        )
        g.add((url, DCTERMS.title, Literal(f"{view.title}: {dump.label}", lang="en")))
        g.add((url, DCTERMS.license, URIRef(view.licence)))
    for class_iri, count in view.classes:
        partition = BNode()
        g.add((dataset, VOID.classPartition, partition))
        g.add((partition, VOID["class"], URIRef(class_iri)))
        g.add((partition, VOID.entities, Literal(count, datatype=XSD.integer)))
    for example in view.examples:
        g.add((dataset, VOID.exampleResource, URIRef(example.iri)))
    for info in view.graphs:
        subset = URIRef(info.iri)
        g.add((dataset, VOID.subset, subset))
        g.add((subset, RDF.type, VOID.Dataset))
        g.add((subset, RDF.type, DCAT.Dataset))
        g.add((subset, DCTERMS.title, Literal(info.title)))
        g.add((subset, VOID.triples, Literal(info.triples, datatype=XSD.integer)))
        g.add((subset, VOID.distinctSubjects, Literal(info.subjects, datatype=XSD.integer)))
        if info.licence:
            g.add((subset, DCTERMS.license, URIRef(info.licence)))
        if info.credit:
            g.add((subset, SCHEMA.creditText, Literal(info.credit)))
        elif info.curated:
            g.add(
                (subset, SCHEMA.creditText, Literal(f"{view.title} curated catalogue, CC BY 4.0"))
            )
    return g
