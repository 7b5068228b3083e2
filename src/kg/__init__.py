"""kg: a knowledge graph of research methods."""

from __future__ import annotations

__version__ = "0.1.0"
