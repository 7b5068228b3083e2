"""The venue a source's address names: where a paper is published, read from the address
of a venue's own proceedings site (``papers.nips.cc``, ``openaccess.thecvf.com/content_CVPR_…``,
``aclanthology.org/P16-…``).

Neither shipped source has a venue field: the Papers with Code dump gives a paper's title
and address (``source_url``, ``paper.url``), Epoch AI's table its title and link. What names
a venue is the address of a paper on the proceedings site of one series, so that is the only
venue an import states. The rules below are exactly those hosts and paths; every other
address names none:

- arXiv, bioRxiv, OpenReview, Semantic Scholar, DOIs and publishers' sites: a preprint or
  a landing page, not the series (the curated catalogue links a source to arXiv only when
  the paper was never published elsewhere, which a record cannot tell);
- PMLR (``proceedings.mlr.press``) holds many conferences' proceedings, told apart only by
  volume number: no rule guesses them;
- workshops (CVF ``…_workshops``, ``…W``; ACL Anthology ``W…`` and named workshops) and
  "Findings" volumes are venues of their own that the curated catalogue does not hold.

The printed name a rule gives (an abbreviation such as ``NeurIPS``) is matched with the
stored venues by ``Resolver.venues`` (names and aliases of ``data/venues.ttl``: "NIPS" =
"NeurIPS"). A name no stored venue has stays unlinked, counted in the import's notes: an
import never mints a venue.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_NEURIPS_HOSTS = {"papers.nips.cc", "proceedings.neurips.cc", "papers.neurips.cc", "nips.cc"}
_CVF = re.compile(r"^/content(?:_|/)(?P<venue>cvpr|iccv|eccv|wacv)_?\d{4}(?P<rest>[^/]*)/", re.I)
_ECVA = re.compile(r"^/papers/eccv_\d{4}/", re.I)
_ACL_NEW = re.compile(r"^/(?P<year>\d{4})\.(?P<venue>[a-z]+)-[a-z0-9]+\.\d+", re.I)
_ACL_OLD = re.compile(r"^/(?P<letter>[A-Z])\d{2}-\d{4}")
ACL_VENUES = {"acl": "ACL", "naacl": "NAACL", "emnlp": "EMNLP", "eacl": "EACL",
              "coling": "COLING", "conll": "CoNLL", "tacl": "TACL", "lrec": "LREC",
              "cl": "Computational Linguistics"}  # fmt: skip
"""ACL Anthology venue identifiers of new-style ids (``2020.acl-main.362``)."""
ACL_LETTERS = {"P": "ACL", "N": "NAACL", "D": "EMNLP", "E": "EACL", "C": "COLING", "K": "CoNLL",
               "Q": "TACL", "L": "LREC", "J": "Computational Linguistics"}  # fmt: skip
"""The letter of an old-style ACL Anthology id (``P16-2038``); ``W`` (workshops) names none."""


def venue_of_address(url: str | None) -> str | None:
    """The printed name of the venue whose proceedings site ``url`` is on, or None."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https"):
        return None
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = parts.path
    if host in _NEURIPS_HOSTS:
        return "NeurIPS" if host != "nips.cc" or path.lower().startswith("/paper") else None
    if host == "openaccess.thecvf.com":
        cvf = _CVF.match(path)
        if cvf and not cvf["rest"]:  # "_workshops", "W": a workshop's proceedings
            return cvf["venue"].upper()
        return None
    if host == "ecva.net":
        return "ECCV" if _ECVA.match(path) else None
    if host == "aclanthology.org":
        new = _ACL_NEW.match(path)
        if new:
            return ACL_VENUES.get(new["venue"].lower())
        old = _ACL_OLD.match(path)
        return ACL_LETTERS.get(old["letter"]) if old else None
    if host in ("icml.cc", "proceedings.icml.cc"):
        return "ICML"
    if host == "ijcai.org":
        return "IJCAI" if path.lower().startswith("/proceedings/") else None
    if host in ("aaai.org", "ojs.aaai.org"):
        lowered = path.lower()
        is_aaai = "/aaai/" in lowered or re.match(r"^/papers/\d+-aaai\d", lowered)
        return "AAAI" if is_aaai else None
    if host == "jmlr.org":
        return "JMLR" if path.lower().startswith("/papers/") else None
    if host == "kdd.org":
        return "KDD" if re.match(r"^/kdd\d{4}/", path.lower()) else None
    return None
