"""A deterministic synthetic catalogue of research methods, streamed as Turtle or N-Triples.

    .venv/bin/python -m benchmarks.generate --size 10k -o var/bench/catalogue-10k.ttl
    .venv/bin/python -m benchmarks.generate --size 1m --format nt -o var/bench/catalogue-1m.nt

Sizes: ``10k``, ``100k``, ``1m`` or any number of methods. The same size and ``--seed``
always give the same bytes. The catalogue follows the conventions of ``ontology/README.md``
and ``data/README.md`` so that ``kg load FILE`` and ``kg validate FILE`` accept it:

- relative data IRIs (``method/<slug>``, ``field/<slug>``, ``family/<slug>``,
  ``person/<slug>``, ``source/<slug>``, ``scheme/…``) resolved against ``KG_BASE_IRI`` when
  loaded (Turtle); N-Triples has no relative IRIs, so ``--base`` is written out in full;
- fields and families are SKOS concepts (``kg:Field`` / ``kg:Family``) in their schemes,
  ``skos:broader`` and ``skos:narrower`` both stated, labels in en/th/ja;
- every method: ``skos:prefLabel`` in en (and th/ja for 90 %), ``kg:field``, ``kg:family``,
  a blank ``kg:YearRange`` (start <= end, ``xsd:gYear``), ``kg:attribution``,
  ``kg:originator`` (persons), ``kg:methodType``, ``kg:originalSource``, ``kg:aliases`` (an
  ``rdf:List``) whose members are exactly its ``skos:altLabel`` values, ``kg:relatedMethod``
  to earlier methods (stated once per pair, never to itself) and ``kg:summary``;
- sources: ``dcterms:title``, ``bibo:authorList`` (each author also ``dcterms:creator``),
  ``dcterms:issued``, ``prism:publicationName``, ``bibo:doi`` under the reserved test prefix
  ``10.5555/`` (no real identifier is invented) and ``dcterms:bibliographicCitation``.

About 25 triples per method, everything included (sources, persons and concepts). Written
method by method: memory stays flat whatever the size.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
DEFAULT_BASE = "https://w3id.org/rmkg/"
SEED = 20261122

KG = "https://w3id.org/rmkg/ontology#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
BIBO = "http://purl.org/ontology/bibo/"
PRISM = "http://prismstandard.org/namespaces/basic/2.0/"
SCHEMA = "https://schema.org/"

PREFIXES = {
    "kg": KG, "rdf": RDF, "xsd": XSD, "skos": SKOS, "dcterms": DCTERMS, "foaf": FOAF,
    "bibo": BIBO, "prism": PRISM, "schema": SCHEMA,
    "method": "method/", "field": "field/", "family": "family/", "person": "person/",
    "source": "source/", "scheme": "scheme/",
}  # fmt: skip

# Words with their Thai and Japanese renderings; labels are built from them.
ADJECTIVES = [
    ("Adaptive", "แบบปรับตัว", "適応的"),
    ("Sparse", "แบบเบาบาง", "スパース"),
    ("Bayesian", "แบบเบย์", "ベイズ"),
    ("Robust", "แบบทนทาน", "頑健"),
    ("Hierarchical", "แบบลำดับชั้น", "階層的"),
    ("Stochastic", "แบบสุ่ม", "確率的"),
    ("Contrastive", "แบบเปรียบต่าง", "対照的"),
    ("Recursive", "แบบเวียนเกิด", "再帰的"),
    ("Distributed", "แบบกระจาย", "分散"),
    ("Conditional", "แบบมีเงื่อนไข", "条件付き"),
    ("Variational", "แบบแปรผัน", "変分"),
    ("Spectral", "เชิงสเปกตรัม", "スペクトル"),
    ("Latent", "แฝง", "潜在"),
    ("Multiscale", "หลายสเกล", "マルチスケール"),
    ("Nonparametric", "ไม่อิงพารามิเตอร์", "ノンパラメトリック"),
    ("Sequential", "แบบลำดับ", "逐次"),
    ("Federated", "แบบสหพันธ์", "連合"),
    ("Weighted", "แบบถ่วงน้ำหนัก", "重み付き"),
    ("Regularized", "แบบเรกูลาไรซ์", "正則化"),
    ("Self-supervised", "แบบกำกับตนเอง", "自己教師あり"),
]
NOUNS = [
    ("Diffusion", "การแพร่กระจาย", "拡散"),
    ("Attention", "ความสนใจ", "注意"),
    ("Graph", "กราฟ", "グラフ"),
    ("Kernel", "เคอร์เนล", "カーネル"),
    ("Sequence", "ลำดับ", "配列"),
    ("Tensor", "เทนเซอร์", "テンソル"),
    ("Gradient", "เกรเดียนต์", "勾配"),
    ("Sampling", "การสุ่มตัวอย่าง", "サンプリング"),
    ("Alignment", "การจัดเรียง", "アライメント"),
    ("Regression", "การถดถอย", "回帰"),
    ("Clustering", "การจัดกลุ่ม", "クラスタリング"),
    ("Embedding", "การฝังตัว", "埋め込み"),
    ("Phylogeny", "วิวัฒนาการชาติพันธุ์", "系統"),
    ("Survival", "การอยู่รอด", "生存"),
    ("Contour", "เส้นขอบ", "輪郭"),
    ("Token", "โทเค็น", "トークン"),
]
HEADS = [
    ("Model", "แบบจำลอง", "モデル"),
    ("Estimator", "ตัวประมาณ", "推定量"),
    ("Network", "โครงข่าย", "ネットワーク"),
    ("Sampler", "ตัวสุ่มตัวอย่าง", "サンプラー"),
    ("Test", "การทดสอบ", "検定"),
    ("Algorithm", "อัลกอริทึม", "アルゴリズム"),
    ("Encoder", "ตัวเข้ารหัส", "エンコーダ"),
    ("Filter", "ตัวกรอง", "フィルタ"),
]
TYPES = [
    "Generative model", "Discriminative model", "Statistical test", "Estimator",
    "Optimisation algorithm", "Sequence alignment algorithm", "Regularisation technique",
    "Representation learning method", "Sampling algorithm", "Clustering algorithm",
]  # fmt: skip
VENUES = [
    "Journal of Synthetic Methods", "Proceedings of the Benchmark Conference",
    "Transactions on Generated Research", "Annals of Placeholder Statistics",
]  # fmt: skip
FIRST = [
    "Ada", "Bao", "Chen", "Dana", "Eitan", "Farah", "Goro", "Hana", "Ivan", "Jun", "Kanya",
    "Lena", "Mateo", "Niran", "Olga", "Priya", "Quinn", "Rafael", "Sakura", "Tomas", "Umar",
    "Vera", "Wei", "Ximena", "Yuki", "Zaid",
]  # fmt: skip
LAST = [
    "Arkwright", "Bennet", "Castell", "Dunmore", "Ellery", "Fairholm", "Garrow", "Hallett",
    "Inwood", "Jessop", "Kettering", "Lindqvist", "Marlowe", "Northcott", "Ormsby", "Pell",
    "Quarry", "Rowntree", "Stanhope", "Thwaite", "Underhill", "Vance", "Whitlow", "Yardley",
]  # fmt: skip
FIELD_TOPS = [
    ("Computer science", "วิทยาการคอมพิวเตอร์", "計算機科学"),
    ("Mathematics", "คณิตศาสตร์", "数学"),
    ("Biology", "ชีววิทยา", "生物学"),
    ("Physics", "ฟิสิกส์", "物理学"),
    ("Social science", "สังคมศาสตร์", "社会科学"),
]
FAMILY_TOPS = [
    ("Machine learning", "การเรียนรู้ของเครื่อง", "機械学習"),
    ("Statistical inference", "การอนุมานเชิงสถิติ", "統計的推論"),
    ("Sequence analysis", "การวิเคราะห์ลำดับ", "配列解析"),
    ("Optimisation", "การหาค่าเหมาะที่สุด", "最適化"),
    ("Signal processing", "การประมวลผลสัญญาณ", "信号処理"),
    ("Simulation", "การจำลอง", "シミュレーション"),
]
SUB_FIELDS_PER_TOP = 11  # 5 + 55 = 60 fields
SUB_FAMILIES_PER_TOP = 49  # 6 + 294 = 300 families


def parse_size(text: str) -> int:
    text = text.strip().lower()
    if text in SIZES:
        return SIZES[text]
    if text.endswith("k"):
        return int(float(text[:-1]) * 1_000)
    if text.endswith("m"):
        return int(float(text[:-1]) * 1_000_000)
    return int(text)


def people_count(methods: int) -> int:
    return max(200, methods // 50)


def sources_count(methods: int) -> int:
    return max(1, methods // 5)


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


@dataclass(frozen=True)
class Concept:
    slug: str
    labels: tuple[str, str, str]
    broader: str | None
    narrower: tuple[str, ...]


def _concepts(tops: list[tuple[str, str, str]], per_top: int, noun: str) -> list[Concept]:
    out: list[Concept] = []
    for t, top in enumerate(tops):
        top_slug = f"{noun}-{t + 1:02d}"
        subs: list[Concept] = []
        for s in range(per_top):
            adj = ADJECTIVES[(t * 7 + s) % len(ADJECTIVES)]
            word = NOUNS[(t * 3 + s) % len(NOUNS)]
            subs.append(
                Concept(
                    f"{top_slug}-{s + 1:02d}",
                    (
                        f"{adj[0]} {word[0].lower()} {noun} {t + 1}.{s + 1}",
                        f"{word[1]}{adj[1]} {t + 1}.{s + 1}",
                        f"{adj[2]}{word[2]} {t + 1}.{s + 1}",
                    ),
                    top_slug,
                    (),
                )
            )
        out.append(Concept(top_slug, top, None, tuple(c.slug for c in subs)))
        out.extend(subs)
    return out


FIELDS = _concepts(FIELD_TOPS, SUB_FIELDS_PER_TOP, "field")
FAMILIES = _concepts(FAMILY_TOPS, SUB_FAMILIES_PER_TOP, "family")
LEAF_FIELDS = [c.slug for c in FIELDS if c.broader]
LEAF_FAMILIES = [c.slug for c in FAMILIES if c.broader]


def person_name(i: int) -> tuple[str, str]:
    """(slug, name) of person ``i``: unique, ``firstname-lastname`` style."""
    first = FIRST[i % len(FIRST)]
    last = LAST[(i // len(FIRST)) % len(LAST)]
    generation = i // (len(FIRST) * len(LAST))
    suffix = f" {_roman(generation + 1)}" if generation else ""
    slug = f"{first}-{last}".lower() + (f"-{generation + 1}" if generation else "")
    return slug, f"{first} {last}{suffix}"


def _roman(n: int) -> str:
    out = ""
    for value, numeral in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"),
                           (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"),
                           (4, "IV"), (1, "I")):  # fmt: skip
        while n >= value:
            out += numeral
            n -= value
    return out


def method_slug(i: int, words: tuple[int, int, int, int]) -> str:
    a1, a2, n, h = words
    parts = [ADJECTIVES[a1][0], ADJECTIVES[a2][0], NOUNS[n][0], HEADS[h][0]]
    return "-".join(p.lower() for p in parts) + f"-{i + 1}"


def _mix(seed: int, i: int) -> int:
    """splitmix64 of (seed, i): a method's words depend on its number only."""
    z = (seed * 0x9E3779B97F4A7C15 + i + 1) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return z ^ (z >> 31)


def method_words(seed: int, i: int) -> tuple[int, int, int, int]:
    """Indices into ADJECTIVES, ADJECTIVES, NOUNS, HEADS for method ``i`` (two different
    adjectives); a pure function, so related links can name earlier methods."""
    z = _mix(seed, i)
    a1 = z % len(ADJECTIVES)
    a2 = (a1 + 1 + (z >> 8) % (len(ADJECTIVES) - 1)) % len(ADJECTIVES)
    return a1, a2, (z >> 16) % len(NOUNS), (z >> 24) % len(HEADS)


# --- writers ------------------------------------------------------------------------------


class Writer:
    """Turtle (relative IRIs, prefixed names) or N-Triples (absolute IRIs) statements."""

    def __init__(self, out: TextIO, fmt: str, base: str) -> None:
        self.out, self.fmt, self.base = out, fmt, base
        self.triples = 0
        self._bnode = 0

    def iri(self, kind: str, slug: str) -> str:
        """A data resource: ``method:<slug>`` in Turtle, ``<base/method/slug>`` in N-Triples."""
        return f"{kind}:{slug}" if self.fmt == "turtle" else f"<{self.base}{kind}/{slug}>"

    def term(self, curie: str) -> str:
        if self.fmt == "turtle":
            return curie
        prefix, local = curie.split(":", 1)
        return f"<{PREFIXES[prefix]}{local}>"

    def header(self, comment: str) -> None:
        if self.fmt == "turtle":
            self.out.write("".join(f"# {line}\n" for line in comment.splitlines()))
            self.out.write("\n")
            for prefix, ns in PREFIXES.items():
                self.out.write(f"@prefix {prefix + ':':<9}<{ns}> .\n")
            self.out.write("\n")
        else:
            self.out.write("".join(f"# {line}\n" for line in comment.splitlines()))

    def resource(self, subject: str, props: list[tuple[str, list[str]]]) -> None:
        """One subject with its (predicate, objects) pairs; objects already serialised."""
        self.triples += sum(len(objs) for _, objs in props)
        if self.fmt == "turtle":
            body = " ;\n    ".join(f"{p} {' , '.join(objs)}" for p, objs in props)
            self.out.write(f"{subject}\n    {body} .\n\n")
        else:
            lines = []
            for p, objs in props:
                pt = self.term(p) if p != "a" else f"<{RDF}type>"
                lines.extend(f"{subject} {pt} {o} .\n" for o in objs)
            self.out.write("".join(lines))

    # Values ---------------------------------------------------------------------------------

    def lit(self, text: str, lang: str | None = None, datatype: str | None = None) -> str:
        if lang:
            return f'"{_esc(text)}"@{lang}'
        if datatype:
            return f'"{_esc(text)}"^^{self.term(datatype)}'
        return f'"{_esc(text)}"'

    def cls(self, curie: str) -> str:
        return self.term(curie)

    def bnode_year_range(self, start: int, end: int) -> str:
        """A ``kg:YearRange`` node; in N-Triples its three triples are written right away."""
        self.triples += 3
        s, e = (
            self.lit(f"{start:04d}", datatype="xsd:gYear"),
            self.lit(f"{end:04d}", datatype="xsd:gYear"),
        )
        if self.fmt == "turtle":
            return f"[ a kg:YearRange ; kg:startYear {s} ; kg:endYear {e} ]"
        self._bnode += 1
        b = f"_:y{self._bnode}"
        self.out.write(
            f"{b} <{RDF}type> {self.term('kg:YearRange')} .\n"
            f"{b} {self.term('kg:startYear')} {s} .\n{b} {self.term('kg:endYear')} {e} .\n"
        )
        return b

    def rdf_list(self, members: list[str]) -> str:
        """An ``rdf:List`` of already serialised members: ``( … )`` in Turtle."""
        self.triples += 2 * len(members)
        if self.fmt == "turtle":
            return f"( {' '.join(members)} )"
        nil = f"<{RDF}nil>"
        if not members:
            return nil
        self._bnode += 1
        names = [f"_:l{self._bnode}x{k}" for k in range(len(members))]
        lines = []
        for k, (name, member) in enumerate(zip(names, members, strict=True)):
            rest = names[k + 1] if k + 1 < len(names) else nil
            lines.append(f"{name} <{RDF}first> {member} .\n{name} <{RDF}rest> {rest} .\n")
        self.out.write("".join(lines))
        return names[0]


def _concept_block(w: Writer, c: Concept, kind: str, cls: str, scheme: str) -> None:
    en, th, ja = c.labels
    props: list[tuple[str, list[str]]] = [
        ("a", [w.cls(cls)]),
        ("skos:prefLabel", [w.lit(en, "en"), w.lit(th, "th"), w.lit(ja, "ja")]),
        ("skos:inScheme", [w.iri("scheme", scheme)]),
    ]
    if c.broader is None:
        props.append(("skos:topConceptOf", [w.iri("scheme", scheme)]))
        props.append(("skos:narrower", [w.iri(kind, n) for n in c.narrower]))
    else:
        props.append(("skos:broader", [w.iri(kind, c.broader)]))
    w.resource(w.iri(kind, c.slug), props)


def generate(out: TextIO, methods: int, *, fmt: str = "turtle", seed: int = SEED,
             base: str = DEFAULT_BASE) -> int:  # fmt: skip
    """Write the catalogue of ``methods`` methods; returns the number of triples."""
    if fmt not in ("turtle", "nt"):
        raise ValueError(f"unknown format {fmt!r}")
    rng = random.Random(seed)
    w = Writer(out, fmt, base)
    w.header(
        f"kg benchmark catalogue: {methods} synthetic methods (benchmarks/generate.py, seed {seed}).\n"
        "Synthetic data for performance tests; every name, DOI (reserved test prefix 10.5555)\n"
        "and text is made up. Relative IRIs resolve against KG_BASE_IRI."
    )
    # Concept schemes, fields and families.
    for scheme, label, tops, kind in (
        ("fields", ("Fields of research (synthetic)", "สาขาวิชาการวิจัย (สังเคราะห์)", "研究分野（合成）"), FIELDS, "field"),
        ("families", ("Families of methods (synthetic)", "ตระกูลของวิธีการ (สังเคราะห์)", "手法の系統（合成）"), FAMILIES, "family"),
    ):  # fmt: skip
        w.resource(
            w.iri("scheme", scheme),
            [
                ("a", [w.cls("skos:ConceptScheme")]),
                ("skos:prefLabel", [w.lit(label[0], "en"), w.lit(label[1], "th"), w.lit(label[2], "ja")]),
                ("skos:hasTopConcept", [w.iri(kind, c.slug) for c in tops if c.broader is None]),
            ],
        )  # fmt: skip
    for c in FIELDS:
        _concept_block(w, c, "field", "kg:Field", "fields")
    for c in FAMILIES:
        _concept_block(w, c, "family", "kg:Family", "families")
    # People.
    n_people = people_count(methods)
    for p in range(n_people):
        slug, name = person_name(p)
        w.resource(
            w.iri("person", slug), [("a", [w.cls("kg:Person")]), ("foaf:name", [w.lit(name)])]
        )

    n_sources = sources_count(methods)
    per_source = methods / n_sources
    written_sources = 0
    for i in range(methods):
        words = method_words(seed, i)
        a1, a2, n, h = words
        slug = method_slug(i, words)
        number = i + 1
        en = f"{ADJECTIVES[a1][0]} {ADJECTIVES[a2][0].lower()} {NOUNS[n][0].lower()} {HEADS[h][0].lower()} {number}"
        th = f"{HEADS[h][1]}{NOUNS[n][1]}{ADJECTIVES[a1][1]}{ADJECTIVES[a2][1]} {number}"
        ja = f"{ADJECTIVES[a1][2]}{ADJECTIVES[a2][2]}{NOUNS[n][2]}{HEADS[h][2]} {number}"
        start = 1900 + int(125 * rng.random() ** 0.35)  # skewed towards recent years
        end = min(2025, start + (0 if rng.random() < 0.7 else rng.randint(1, 3)))
        people = [rng.randrange(n_people) for _ in range(2)]
        if people[0] == people[1]:
            people[1] = (people[1] + 1) % n_people
        source = min(int(i / per_source), n_sources - 1)
        # A source is written just before the first method citing it (methods of one source
        # are consecutive), its authors being that method's originators.
        if source == written_sources:
            written_sources += 1
            _source_block(w, rng, source, people, start, end, words)
        acronym = "".join(
            x[0] for x in (ADJECTIVES[a1][0], ADJECTIVES[a2][0], NOUNS[n][0], HEADS[h][0])
        ).upper()
        aliases = [f"{acronym}-{number}"]
        if rng.random() < 0.4:
            aliases.append(f"{NOUNS[n][0].lower()} {HEADS[h][0].lower()} variant {number}")
        if rng.random() < 0.2:
            aliases.append(f"{ADJECTIVES[a1][0].lower()} {NOUNS[n][0].lower()} {number}")
        alias_literals = [w.lit(a, "en") for a in aliases]
        labels = [w.lit(en, "en")]
        if rng.random() < 0.9:
            labels += [w.lit(th, "th"), w.lit(ja, "ja")]
        related: list[int] = []
        if i > 0:
            # Mostly near neighbours (same era, same family) and now and then any earlier one.
            for _ in range(1 if rng.random() < 0.8 else 2):
                j = (
                    i - 1 - min(i - 1, int(rng.expovariate(1 / 50)))
                    if rng.random() < 0.8
                    else rng.randrange(i)
                )
                if j != i and j not in related:
                    related.append(j)
        last_names = [person_name(p)[1].split(" ")[1] for p in people]
        props: list[tuple[str, list[str]]] = [
            ("a", [w.cls("kg:Method")]),
            ("skos:prefLabel", labels),
            ("skos:altLabel", alias_literals),
            ("kg:field", [w.iri("field", LEAF_FIELDS[(n * 7 + a1 + i // 997) % len(LEAF_FIELDS)])]),
            (
                "kg:family",
                [
                    w.iri(
                        "family",
                        LEAF_FAMILIES[(h * 37 + a2 * 3 + n + i // 331) % len(LEAF_FAMILIES)],
                    )
                ],
            ),
            ("kg:yearOfOrigin", [w.bnode_year_range(start, end)]),
            (
                "kg:attribution",
                [w.lit(f"{last_names[0]} and {last_names[1]} ({acronym}), {start}", "en")],
            ),
            ("kg:originator", [w.iri("person", person_name(p)[0]) for p in people]),
            ("kg:methodType", [w.lit(TYPES[(a1 + h) % len(TYPES)], "en")]),
            ("kg:originalSource", [w.iri("source", f"s{source + 1}")]),
            ("kg:aliases", [w.rdf_list(alias_literals)]),
        ]
        if related:
            props.append(
                (
                    "kg:relatedMethod",
                    [w.iri("method", method_slug(j, method_words(seed, j))) for j in related],
                )
            )
        props.append(("kg:summary", [w.lit(_summary(rng, words, start), "en")]))
        w.resource(w.iri("method", slug), props)
    return w.triples


def _summary(rng: random.Random, words: tuple[int, int, int, int], start: int) -> str:
    a1, a2, n, h = words
    noun, head = NOUNS[n][0].lower(), HEADS[h][0].lower()
    a, b = ADJECTIVES[a1][0].lower(), ADJECTIVES[a2][0].lower()
    data = rng.choice(
        ["images", "sequences", "survey responses", "genomes", "time series", "graphs"]
    )
    return (
        f"A {a} {head} that combines {b} {noun} updates with a {rng.choice(['greedy', 'convex', 'sampled', 'two-stage'])} "
        f"search, introduced around {start} for {data}. It trades a little accuracy for "
        f"{rng.choice(['speed', 'memory', 'robustness', 'interpretability'])} and is usually judged against "
        f"the plain {noun} {head} it extends."
    )


def _source_block(w: Writer, rng: random.Random, source: int, people: list[int], start: int,
                  end: int, words: tuple[int, int, int, int]) -> None:  # fmt: skip
    a1, a2, n, h = words
    slugs = [person_name(p)[0] for p in people]
    names = [person_name(p)[1] for p in people]
    title = f"{ADJECTIVES[a1][0]} {NOUNS[n][0].lower()} {HEADS[h][0].lower()}s: a synthetic study {source + 1}"
    venue = VENUES[source % len(VENUES)]
    doi = f"10.5555/kgbench.{source + 1}"
    authors = ", ".join(f"{nm.split(' ')[1]}, {nm[0]}." for nm in names[:-1])
    authors += f", & {names[-1].split(' ')[1]}, {names[-1][0]}."
    citation = f"{authors} ({end}). {title}. {venue}, {1 + source % 40}, {source % 900 + 1}–{source % 900 + 12}."
    w.resource(
        w.iri("source", f"s{source + 1}"),
        [
            ("a", [w.cls("kg:Source")]),
            ("dcterms:title", [w.lit(title, "en")]),
            ("bibo:authorList", [w.rdf_list([w.iri("person", s) for s in slugs])]),
            ("dcterms:creator", [w.iri("person", s) for s in slugs]),
            ("dcterms:issued", [w.lit(f"{end:04d}", datatype="xsd:gYear")]),
            ("prism:publicationName", [w.lit(venue, "en")]),
            ("bibo:doi", [w.lit(doi)]),
            ("dcterms:bibliographicCitation", [w.lit(citation)]),
        ],
    )


def method_slugs(methods: int, seed: int = SEED) -> Iterator[str]:
    """The method ids (slugs) of a catalogue, in order, without generating it."""
    for i in range(methods):
        yield method_slug(i, method_words(seed, i))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="10k", help="10k, 100k, 1m or a number of methods")
    parser.add_argument("--format", choices=["turtle", "nt"], default="turtle")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--base", default=DEFAULT_BASE, help="base IRI written into N-Triples")
    parser.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    methods = parse_size(args.size)
    started = time.perf_counter()
    if args.output is None:
        triples = generate(sys.stdout, methods, fmt=args.format, seed=args.seed, base=args.base)
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.output.with_name(args.output.name + ".part")
        with tmp.open("w", encoding="utf-8", buffering=1 << 20) as out:
            triples = generate(out, methods, fmt=args.format, seed=args.seed, base=args.base)
        tmp.replace(args.output)
    print(
        f"{methods} methods, {triples} triples ({triples / methods:.1f} per method) "
        f"in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
