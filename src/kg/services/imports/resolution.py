"""Entity resolution: match incoming people, sources, organisations, data sets and venues
with what the store holds before anything is created.

Every store lookup is targeted: the incoming names are turned into keys and sent in
batches to a library query (``queries/resolve-*.rq``) that returns only the resources with
those keys, outside the graphs the import replaces. The whole catalogue is never loaded.

Rules (each merge is reported with the rule that made it):

- **name key** (organisations, data sets, venues, source titles): lower case, letters a–z
  and digits only (``"ImageNet-21k"`` = ``"ImageNet21k"``). The store computes the same
  key in SPARQL, so the lookup is exact.
- **abbreviation alias**: ``"New York University (NYU)"`` is also ``NYU`` and ``New York
  University`` when the part in brackets is the capitals (and digits) of the rest, or the
  rest is the capitals of the part in brackets (``"PDB (Protein Data Bank)"``). A trailing
  bracket that is not an abbreviation (``"Wikipedia (ja)"``, ``"Northeastern University
  (China)"``) is part of the name. A key two different names claim as an alias merges
  neither: ambiguous, reported.
- **people**: same family name (the part before a comma, else the last word; accents
  folded) and compatible given names: each given name equal, or an initial of the other
  (``"Rombach, R."`` = ``Robin Rombach``; ``Aidan Gomez`` = ``Aidan N. Gomez``). One
  compatible person in the store: merged. Several: the one sharing a co-author (a source,
  method or system) with the row's other authors already matched, if exactly one does;
  otherwise the incoming person stays apart and the case is listed as ambiguous.
- **sources**: the same arXiv id, DOI (case-insensitive) or title key (at least 12
  characters), in that order.
- **venues**: a venue's name or alias key, also without a leading "Proceedings of the",
  an edition ("32nd", "2018") and a trailing abbreviation in brackets (one word of two
  capitals or more), and the abbreviation itself ("Advances in Neural Information
  Processing Systems (NIPS)" → ``NIPS``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from kg.namespaces import KG
from kg.queries import MAX_VALUES_PER_PARAMETER
from kg.services.context import Context

MIN_TITLE_KEY = 12
KG_VENUE = str(KG.Venue)
_NOT_KEY = re.compile(r"[^a-z0-9]")
_TRAILING_BRACKET = re.compile(r"^(?P<head>.+?)\s*\((?P<inner>[^()]+)\)\s*$")
_PROCEEDINGS = re.compile(r"^proceedings of (the )?", re.IGNORECASE)
_EDITION = re.compile(r"^((\d+(st|nd|rd|th))|(\d{4}))\s+", re.IGNORECASE)
_CONNECTIVES = {"of", "and", "the", "for", "in", "on", "de", "la", "du", "des", "a", "an"}


# --- keys ------------------------------------------------------------------------------------


def name_key(name: str) -> str:
    """Lower case, a–z and digits only: what ``resolve-labels.rq`` computes in SPARQL."""
    return _NOT_KEY.sub("", name.lower())


def fold(text: str) -> str:
    """Accents folded to ASCII, lower case."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()


def _capitals(text: str) -> str:
    return "".join(c for c in fold_upper(text) if c.isupper() or c.isdigit())


def fold_upper(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _initials(text: str) -> str:
    words = [w for w in re.split(r"[\s\-/]+", fold_upper(text)) if w]
    return "".join(w[0].upper() for w in words if w.lower() not in _CONNECTIVES)


def is_abbreviation(short: str, long: str) -> bool:
    """Whether ``short`` abbreviates ``long`` (its capitals and digits, or word initials)."""
    letters = _capitals(short)
    if len(letters) < 2 or len(short.split()) > 1 or len(long.split()) < 2:
        return False
    return letters in (_capitals(long), _initials(long))


def aliases_of(name: str) -> list[str]:
    """Other names a name states itself: the abbreviation in its trailing brackets and the
    name without it, or the long form in brackets after an abbreviation."""
    match = _TRAILING_BRACKET.match(name.strip())
    if not match:
        return []
    head, inner = match["head"].strip(), match["inner"].strip()
    if is_abbreviation(inner, head) or is_abbreviation(head, inner):
        return [head, inner]
    return []


def venue_keys(name: str) -> list[str]:
    """Keys a printed venue name may be known by (see the module's rules)."""
    keys = [name_key(name)]
    bare = _PROCEEDINGS.sub("", name.strip())
    bare = _EDITION.sub("", bare)
    match = _TRAILING_BRACKET.match(bare)
    # A printed venue name ends with the series' abbreviation by convention, also when it
    # leaves words out ("Advances in Neural Information Processing Systems (NIPS)").
    if match and len(match["inner"].split()) == 1 and len(_capitals(match["inner"])) >= 2:
        keys += [name_key(match["head"]), name_key(match["inner"])]
    keys.append(name_key(bare))
    return [k for k in dict.fromkeys(keys) if k]


def title_key(title: str) -> str | None:
    key = name_key(title)
    return key if len(key) >= MIN_TITLE_KEY else None


# --- people ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonName:
    given: tuple[str, ...]
    """Given names and initials, folded (``("r",)`` for "R.")."""
    family: str
    """The family name, folded, letters and digits only."""

    @property
    def key(self) -> str:
        return " ".join((*self.given, self.family))


def parse_person(text: str) -> PersonName | None:
    """ "Robin Rombach", "Rombach, R.", "J.-P. Vert"; None when no family name is left."""
    text = " ".join(text.split())
    if "," in text:
        family, _, given_text = text.partition(",")
    else:
        parts = text.rsplit(" ", 1)
        given_text, family = (parts[0], parts[1]) if len(parts) == 2 else ("", parts[0])
    family_key = _NOT_KEY.sub("", fold(family))
    given = tuple(
        t for t in (_NOT_KEY.sub("", w) for w in re.split(r"[\s.\-]+", fold(given_text))) if t
    )
    if not family_key:
        return None
    return PersonName(given, family_key)


def family_keys(text: str) -> list[str]:
    """The family-name keys ``resolve-persons.rq`` may hold for this name: as the store
    computes it (no folding in SPARQL), and folded."""
    text = " ".join(text.split())
    family = text.partition(",")[0] if "," in text else text.rsplit(" ", 1)[-1]
    return [k for k in dict.fromkeys((name_key(family), _NOT_KEY.sub("", fold(family)))) if k]


def _given_compatible(a: str, b: str) -> bool:
    if a == b:
        return True
    return (len(a) == 1 and b.startswith(a)) or (len(b) == 1 and a.startswith(b))


def compatible(a: PersonName, b: PersonName) -> bool:
    """Same family name and given names that agree as far as both go (initials allowed)."""
    if a.family != b.family or not a.given or not b.given:
        return False
    return all(_given_compatible(x, y) for x, y in zip(a.given, b.given, strict=False))


# --- what resolution reports ---------------------------------------------------------------


@dataclass(frozen=True)
class Resolved:
    """An incoming name merged into a resource: ``incoming → resource`` by ``rule``."""

    kind: str
    incoming: str
    resource: str
    rule: str
    where: str = ""


@dataclass(frozen=True)
class Ambiguous:
    """An incoming name that matched several resources: kept apart, listed."""

    kind: str
    incoming: str
    candidates: tuple[str, ...]
    where: str = ""
    why: str = "several candidates"


@dataclass
class Resolutions:
    resolved: list[Resolved] = field(default_factory=list)
    ambiguous: list[Ambiguous] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = defaultdict(int)
        for item in self.resolved:
            found[item.kind] += 1
        return dict(found)


# --- store lookups ---------------------------------------------------------------------------


def _batches(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), MAX_VALUES_PER_PARAMETER):
        yield items[start : start + MAX_VALUES_PER_PARAMETER]


@dataclass(frozen=True)
class StoredPerson:
    iri: str
    name: str


class Resolver:
    """Targeted lookups against the store, outside the graphs an import replaces."""

    def __init__(self, ctx: Context, replaced: Iterable[str]) -> None:
        self.ctx = ctx
        self.replaced = sorted(replaced) or [ctx.graph_iri("none")]
        self.import_prefix = ctx.graph_iri("import-")

    def _select(self, name: str, **params: object) -> list[dict[str, str]]:
        query = self.ctx.queries[name].bind(replaced=self.replaced, **params)
        return [{k: str(v) for k, v in row.items()} for row in self.ctx.store.select(query).rows]

    def existing(self, iris: Iterable[str]) -> set[str]:
        """Which of ``iris`` some graph outside the replaced ones describes."""
        found: set[str] = set()
        for batch in _batches(sorted(set(iris))):
            found |= {row["resource"] for row in self._select("resolve-existing", resource=batch)}
        return found

    def labels(self, cls: str, keys: Iterable[str]) -> dict[str, set[str]]:
        """Name key -> the resources of ``cls`` with a label or alias of that key."""
        found: dict[str, set[str]] = defaultdict(set)
        for batch in _batches(sorted({k for k in keys if k})):
            for row in self._select("resolve-labels", cls=cls, key=batch):
                found[row["key"]].add(row["resource"])
        return found

    def venues(self, names: Iterable[str]) -> dict[str, tuple[str | None, tuple[str, ...]]]:
        """Printed venue name -> (the venue, or None; the venues it matched when several)."""
        wanted = {n: venue_keys(n) for n in set(names)}
        stored = self.labels(KG_VENUE, {k for keys in wanted.values() for k in keys})
        result: dict[str, tuple[str | None, tuple[str, ...]]] = {}
        for name, keys in wanted.items():
            found = sorted(set().union(*(stored.get(k, set()) for k in keys)))
            result[name] = (found[0], ()) if len(found) == 1 else (None, tuple(found))
        return result

    def persons(self, families: Iterable[str]) -> dict[str, list[StoredPerson]]:
        """Family key -> the people of that family name."""
        found: dict[str, set[StoredPerson]] = defaultdict(set)
        keys = sorted({f for f in families if f})
        if not keys:
            return {}
        for row in self._select("resolve-persons", families=f" {' '.join(keys)} "):
            found[row["family"]].add(StoredPerson(row["person"], row["name"]))
        return {k: sorted(v, key=lambda p: p.iri) for k, v in found.items()}

    def coauthors(self, people: Iterable[str]) -> dict[str, set[str]]:
        """Person -> the people sharing a source, method or system with them."""
        found: dict[str, set[str]] = defaultdict(set)
        for batch in _batches(sorted(set(people))):
            for row in self._select("resolve-coauthors", person=batch):
                found[row["person"]].add(row["coauthor"])
        return found

    def sources(
        self, arxiv: Iterable[str], doi: Iterable[str], titles: Iterable[str]
    ) -> dict[tuple[str, str], set[tuple[bool, str]]]:
        """("arxiv"|"doi"|"title", key) -> (not curated, source) of the sources with that
        arXiv id, DOI or title key (a curated source sorts first)."""
        wanted = [
            *(("arxiv", a) for a in sorted(set(arxiv))),
            *(("doi", d.lower()) for d in sorted(set(doi))),
            *(("title", t) for t in sorted(set(titles))),
        ]
        found: dict[tuple[str, str], set[tuple[bool, str]]] = defaultdict(set)
        for batch in _batches([f"{kind}\x1f{key}" for kind, key in wanted]):
            pairs = [item.split("\x1f", 1) for item in batch]
            params = {
                kind: [key for k, key in pairs if k == kind] or [""]
                for kind in ("arxiv", "doi", "title")
            }
            for row in self._select("resolve-sources", **params):
                imported = row["graph"].startswith(self.import_prefix)
                found[(row["kind"], row["key"])].add((imported, row["source"]))
        return found

    def source_methods(self, sources: Iterable[str]) -> dict[str, set[str]]:
        """Source -> the methods whose original source it is."""
        found: dict[str, set[str]] = defaultdict(set)
        for batch in _batches(sorted(set(sources))):
            for row in self._select("resolve-source-methods", source=batch):
                found[row["source"]].add(row["method"])
        return found


def resolve_person(
    name: PersonName,
    candidates: Sequence[StoredPerson],
    evidence: set[str] | None = None,
) -> tuple[str | None, str, tuple[str, ...]]:
    """(the stored person, the rule, the candidates left undecided) for an incoming name.

    The same name, or the same first given name in full with compatible others, merges
    when one person has it. A match through initials alone ("K He" and "Kaiming He"), or
    several candidates, needs co-authorship: ``evidence`` holds the candidates that share a
    co-author with the people the row's other authors were matched to, and exactly one of
    them must. Otherwise nothing is merged and the candidates are returned (listed)."""
    same: list[str] = []
    full: list[str] = []
    initials: list[str] = []
    for person in candidates:
        parsed = parse_person(person.name)
        if parsed is None:
            continue
        if parsed.key == name.key:
            same.append(person.iri)
        elif compatible(parsed, name):
            first = (parsed.given[0], name.given[0])
            (full if first[0] == first[1] and len(first[0]) > 1 else initials).append(person.iri)
    if len(same) == 1:
        return same[0], "same name", ()
    if not same and len(full) == 1:
        return full[0], "same family and first name, compatible middle names or initials", ()
    pool = same or full or initials
    supported = [p for p in pool if p in (evidence or set())]
    if len(supported) == 1:
        return supported[0], "compatible name and a shared co-author", ()
    return None, "", tuple(sorted(pool))
