"""Enrichment: curated topics, keyphrase tags and related-paper links with reasons.

`enrich()` runs the three steps in order on the de-duplicated papers and returns new copies;
each step is its own module (`topics`, `tags`, `related`). Nothing here reads listings or
writes the site.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..config import Config
from ..model import Issue, Paper
from . import related, tags, topics

__all__ = ["enrich"]


def enrich(papers: Sequence[Paper], config: Config, root: Path) -> tuple[list[Paper], list[Issue]]:
    """Give every paper topics, tags and related links; return papers and issues found."""
    with_topics, issues = topics.assign_topics(papers, root)
    with_tags = tags.assign_tags(with_topics)
    return related.link_related(with_tags, config.related), issues
