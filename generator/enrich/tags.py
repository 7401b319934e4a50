"""Tags: fine-grained keyphrases from title and abstract (placeholder until enrichment lands)."""

from __future__ import annotations

from collections.abc import Sequence

from ..model import Paper


def assign_tags(papers: Sequence[Paper]) -> list[Paper]:
    """Return papers with tags assigned (none yet)."""
    return list(papers)
