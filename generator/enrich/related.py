"""Related papers by text similarity, with reasons (placeholder until enrichment lands)."""

from __future__ import annotations

from collections.abc import Sequence

from ..config import RelatedConfig
from ..model import Paper


def link_related(papers: Sequence[Paper], settings: RelatedConfig) -> list[Paper]:
    """Return papers with related links (none yet)."""
    return list(papers)
