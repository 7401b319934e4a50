"""Topics: broad curated areas from `content/taxonomy.yaml` (placeholder until enrichment lands).

For now every paper keeps no curated topic; listing topic lines stay in `source_topics`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..model import Issue, Paper


def assign_topics(papers: Sequence[Paper], root: Path) -> tuple[list[Paper], list[Issue]]:
    """Return papers with topics assigned (none yet) and taxonomy issues."""
    return list(papers), []
