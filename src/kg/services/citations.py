"""A method's original source as BibTeX (written by bibtexparser) and CSL-JSON."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass

from bibtexparser.entrypoint import write_string
from bibtexparser.library import Library
from bibtexparser.model import Entry, Field

from kg.services.context import Context

_LATEX_SPECIALS = re.compile(r"([\\{}&%$#_])")
_PROCEEDINGS = re.compile(r"proceedings|conference|workshop|symposium|\bICLR\b|NeurIPS", re.I)


@dataclass(frozen=True)
class Citation:
    iri: str
    title: str | None
    year: int | None
    authors: tuple[str, ...]
    venue: str | None
    volume: str | None
    issue: str | None
    pages: str | None
    doi: str | None
    url: str | None
    arxiv: str | None
    text: str | None

    @property
    def kind(self) -> str:
        if self.venue and _PROCEEDINGS.search(self.venue):
            return "inproceedings"
        if self.venue:
            return "article"
        return "misc"

    @property
    def key(self) -> str:
        family = self.authors[0].split()[-1] if self.authors else "anonymous"
        word = next((w for w in re.findall(r"[A-Za-z]+", self.title or "") if len(w) > 3), "")
        folded = unicodedata.normalize("NFKD", f"{family}{self.year or ''}{word}")
        return re.sub(r"[^A-Za-z0-9]", "", folded.encode("ascii", "ignore").decode()).lower()


def method_citation(ctx: Context, method_iri: str) -> Citation | None:
    """The method's original source, or None when it has none."""
    result = ctx.store.select(ctx.queries["method-source"].bind(method=method_iri))
    if not result.rows:
        return None
    first = result.rows[0]
    cells = {str(r["cell"]): (str(r["name"]), str(r["next"])) for r in result.rows if "cell" in r}
    authors: list[str] = []
    node = str(first["authors"]) if "authors" in first else ""
    while node in cells and len(authors) < len(cells):
        name, node = cells[node]
        authors.append(name)

    def text(name: str) -> str | None:
        return str(first[name]) if name in first else None

    issued = text("issued")
    return Citation(
        iri=str(first["source"]),
        title=text("title"),
        year=int(issued[:4]) if issued and issued[:4].isdigit() else None,
        authors=tuple(authors),
        venue=text("venue"),
        volume=text("volume"),
        issue=text("issue"),
        pages=text("pages"),
        doi=text("doi"),
        url=text("url"),
        arxiv=text("arxiv"),
        text=text("citation"),
    )


def _latex(value: str) -> str:
    return _LATEX_SPECIALS.sub(r"\\\1", value)


def method_citations(ctx: Context, method_iris: list[str]) -> list[Citation]:
    """The original sources of some methods, each once, in the methods' order."""
    found: dict[str, Citation] = {}
    for iri in method_iris:
        citation = method_citation(ctx, iri)
        if citation is not None:
            found.setdefault(citation.iri, citation)
    return list(found.values())


def to_bibtex_entries(citations: list[Citation]) -> str:
    """Several BibTeX entries; a key used twice gets a letter (``ho2020denoisingb``)."""
    used: dict[str, int] = {}
    entries = []
    for citation in citations:
        key = citation.key
        used[key] = used.get(key, 0) + 1
        if used[key] > 1:
            key += chr(ord("a") + used[key] - 1)
        entries.append(to_bibtex(citation, key=key).strip())
    return "\n\n".join(entries) + "\n"


def to_csl_json_items(citations: list[Citation]) -> str:
    items = [json.loads(to_csl_json(c))[0] for c in citations]
    return json.dumps(items, ensure_ascii=False, indent=2)


def to_bibtex(citation: Citation, *, key: str | None = None) -> str:
    venue_field = {"inproceedings": "booktitle", "article": "journal"}.get(citation.kind)
    candidates: list[tuple[str, str | None]] = [
        ("title", citation.title),
        ("author", " and ".join(citation.authors) or None),
        ("year", str(citation.year) if citation.year else None),
        (venue_field or "howpublished", citation.venue),
        ("volume", citation.volume),
        ("number", citation.issue),
        ("pages", citation.pages.replace("–", "--") if citation.pages else None),
        ("doi", citation.doi),
        ("url", citation.url),
        ("eprint", citation.arxiv),
        ("archiveprefix", "arXiv" if citation.arxiv else None),
    ]
    fields = [Field(name, _latex(value)) for name, value in candidates if value]
    entry = Entry(citation.kind, key or citation.key, fields)
    return str(write_string(Library([entry])))


def to_csl_json(citation: Citation) -> str:
    kinds = {"inproceedings": "paper-conference", "article": "article-journal"}
    item: dict[str, object] = {"id": citation.key, "type": kinds.get(citation.kind, "article")}
    if citation.title:
        item["title"] = citation.title
    if citation.authors:
        item["author"] = [_csl_name(name) for name in citation.authors]
    if citation.year:
        item["issued"] = {"date-parts": [[citation.year]]}
    for key, value in (
        ("container-title", citation.venue),
        ("volume", citation.volume),
        ("issue", citation.issue),
        ("page", citation.pages),
        ("DOI", citation.doi),
        (
            "URL",
            citation.url or (f"https://arxiv.org/abs/{citation.arxiv}" if citation.arxiv else None),
        ),
    ):
        if value:
            item[key] = value
    return json.dumps([item], ensure_ascii=False, indent=2)


def _csl_name(name: str) -> dict[str, str]:
    given, _, family = name.rpartition(" ")
    return {"family": family, "given": given} if given else {"literal": name}
