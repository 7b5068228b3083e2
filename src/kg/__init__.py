"""kg: a knowledge graph of research methods."""

from __future__ import annotations

__version__ = "0.1.0"

DISTRIBUTION = "rmkg"
"""The name kg is published under on the Python package index (``kg`` itself is taken)."""
