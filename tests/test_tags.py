"""Tags: normalisation, boilerplate rejection, corpus-level merging, display, tag pages."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from bs4 import BeautifulSoup

from generator.build import BuildReport
from generator.enrich.corpus import merge_map, phrase_key
from generator.enrich.display import Display, merged_forms, word_forms
from generator.enrich.tags import completeness, overlaps
from generator.enrich.text import chunks_of, phrases


def candidates(text: str) -> list[str]:
    """Every candidate tag phrase of a text."""
    return [p for chunk in chunks_of(text) for p in phrases(chunk)]


@pytest.mark.parametrize("variants, key", [
    pytest.param(["LLMs", "LLM", "llms"], "llm", id="acronym-plural"),
    pytest.param(["Large Language Models", "large-language models", "large language model"],
                 "large language model", id="case-plural-hyphen"),
    pytest.param(["Sparse Autoencoders", "sparse auto-encoders", "sparse autoencoder"],
                 "sparse autoencoder", id="prefix-hyphen"),
    pytest.param(["fine-tuning", "Fine tuning"], "fine tuning", id="hyphen-space"),
    pytest.param(["Self-Supervised Learning", "self supervised learning",
                  "selfsupervised learning"], "selfsupervised learning", id="prefix-words"),
    pytest.param(["Click-Through Rate Predictions", "click-through rate prediction"],
                 "click-through rate prediction", id="function-word-compound"),
    pytest.param(["Mixture-of-Experts", "mixture of experts"], "mixture of expert", id="of"),
    pytest.param(["queries", "Query"], "query", id="ies-plural"),
    pytest.param(["analysis", "Analysis"], "analysis", id="not-a-plural"),
])
def test_spelling_variants_share_one_key(variants: list[str], key: str) -> None:
    assert {phrase_key(v) for v in variants} == {key}


@pytest.mark.parametrize("text", [
    pytest.param("this paper", id="this-paper"),
    pytest.param("state of the art", id="state-of-the-art-spaced"),
    pytest.param("state-of-the-art", id="state-of-the-art"),
    pytest.param("we propose", id="we-propose"),
    pytest.param("results show", id="results-show"),
    pytest.param("et al.", id="et-al"),
    pytest.param("In this paper, we propose a novel method that achieves state-of-the-art "
                 "results.", id="sentence"),
    pytest.param("Extensive experiments demonstrate the effectiveness of our approach.",
                 id="experiments"),
    pytest.param("Code is available at https://github.com/x/y.", id="code-url"),
    pytest.param("multi- and cross-", id="prefixes-alone"),
    pytest.param("data-driven and task-specific", id="generic-suffix-compounds"),
])
def test_boilerplate_gives_no_tag_candidates(text: str) -> None:
    assert candidates(text) == []


@pytest.mark.parametrize("text, kept, dropped", [
    pytest.param("Transformer-based models", "transformer", "based", id="based"),
    pytest.param("distance-aware ranking", "distance aware ranking", "aware ranking",
                 id="suffix-never-starts"),
    pytest.param("the attention heads learned by it", "attention head", "head learned",
                 id="participle-never-ends"),
])
def test_phrase_edges(text: str, kept: str, dropped: str) -> None:
    found = candidates(text)
    assert kept in found and dropped not in found, found


@pytest.mark.parametrize("text, wanted", [
    pytest.param("We study sparse autoencoders.", "sparse autoencoder", id="sae"),
    pytest.param("Mixture-of-Experts layers", "mixture of expert", id="moe"),
    pytest.param("for click-through rate prediction", "click-through rate prediction",
                 id="ctr"),
    pytest.param("functional MRI (fMRI) data", "fmri", id="acronym"),
])
def test_real_terms_are_candidates(text: str, wanted: str) -> None:
    assert wanted in candidates(text)


def test_merge_map_joins_acronyms_aliases_and_spellings() -> None:
    vocabulary = ["fine tuning", "finetuning", "llm", "large language model", "art", "sam"]
    df = np.array([5, 9, 40, 20, 3, 50])
    tokens = Counter({"LLMs": 30, "LLM": 10, "llm": 1, "art": 3, "SAM": 60})
    merges = merge_map(vocabulary, df, {"llm": (("large", "language", "model"), 12),
                                        "art": (("adaptive", "resonance", "theory"), 2),
                                        "sam": (("scanning", "acoustic", "microscopy"), 2)},
                       {"moe": "mixture of expert"}, tokens)
    assert merges["llm"] == "large language model"
    assert merges["fine tuning"] == "finetuning"  # the more common spelling wins
    assert merges["moe"] == "mixture of expert"
    assert "art" not in merges  # written in lower case: a word, not the acronym ART
    assert "sam" not in merges  # 2 definitions among 50 users: not everyone's "SAM"


def test_word_forms_of_slices_merge_into_those_of_the_whole() -> None:
    from generator.enrich.text import tokenize

    from .test_related import sample_papers

    counts = [Counter(tokenize(p.abstract)) for p in sample_papers()]
    half = len(counts) // 2
    first, second = sum(counts[:half], Counter()), sum(counts[half:], Counter())
    whole, joined = word_forms(first + second), merged_forms([word_forms(first),
                                                              word_forms(second)])
    assert joined.forms == whole.forms and joined.hyphens == whole.hyphens
    assert any(len(forms) > 1 for forms in whole.forms.values()) and whole.hyphens


def test_display_uses_writers_plural_capitals_and_hyphens() -> None:
    tokens = Counter({"autoencoders": 9, "autoencoder": 2, "fMRI": 12, "Gaussian": 20,
                      "click-through": 5, "rate": 30, "sparse": 10})
    show = Display(word_forms(tokens), {"large language model": "large language models"})
    assert show("sparse autoencoder") == "sparse autoencoders"
    assert show("autoencoder sparse") == "autoencoder sparse"  # plural only for the last word
    assert show("fmri") == "fMRI"
    assert show("gaussian") == "Gaussian"
    assert show("click-through rate") == "click-through rate"
    assert show("large language model") == "large language models"


def test_parts_of_longer_terms_are_not_terms() -> None:
    vocabulary = ["large language", "large language model", "language model", "sparse",
                  "sparse autoencoder", "autoencoder"]
    df = np.array([50, 48, 60, 30, 10, 12])
    whole = dict(zip(vocabulary, completeness(vocabulary, df), strict=True))
    assert whole["large language"] == 0 and whole["large language model"] == 1
    assert whole["sparse"] == 1 and whole["sparse autoencoder"] == 1


@pytest.mark.parametrize("a, b, overlap", [
    pytest.param("autoencoder", "sparse autoencoder", True, id="contained"),
    pytest.param("representation learning", "contrastive learning", False, id="head-word"),
    pytest.param("fmri", "brain decoding", False, id="disjoint"),
])
def test_overlapping_tags(a: str, b: str, overlap: bool) -> None:
    assert overlaps(a, b) is overlap


def _papers(default_site: tuple[Path, BuildReport]) -> list[dict]:
    return json.loads((default_site[0] / "papers.json").read_text(encoding="utf-8"))


BOILERPLATE = {"paper", "propose", "proposed", "novel", "state of the art", "state-of-the-art",
               "results", "result", "show", "method", "approach", "experiments", "this", "we"}


def test_sample_papers_get_three_to_eight_informative_tags(default_site) -> None:
    papers = _papers(default_site)
    counts = Counter(len(p["tags"]) for p in papers)
    assert max(counts) <= 8
    assert sum(n for k, n in counts.items() if k >= 3) >= 0.95 * len(papers), counts
    tags = [t for p in papers for t in p["tags"]]
    assert not {t.lower() for t in tags} & BOILERPLATE
    assert sum(" " in t or "-" in t for t in tags) >= 0.4 * len(tags)  # many multi-word terms
    for p in papers:
        assert len({t.lower() for t in p["tags"]}) == len(p["tags"])


@pytest.mark.parametrize("title, tag", [
    pytest.param("Decomposing The Dark Matter of Sparse Autoencoders", "sparse autoencoders",
                 id="sae"),
    pytest.param("FinalMLP: An Enhanced Two-Stream MLP Model for CTR Prediction",
                 "click-through rate prediction", id="ctr-acronym-written-out"),
    pytest.param("How Does Information Bottleneck Help Deep Learning?", "information bottleneck",
                 id="ib"),
])
def test_known_papers_carry_their_real_terms(default_site, title: str, tag: str) -> None:
    paper = next(p for p in _papers(default_site) if p["title"] == title)
    assert tag in paper["tags"], paper["tags"]


def test_only_tags_of_two_papers_get_pages_and_the_index_counts_them(default_site) -> None:
    site = default_site[0]
    papers = _papers(default_site)
    carried = Counter(t for p in papers for t in p["tags"])
    index = BeautifulSoup((site / "tags/index.html").read_text(encoding="utf-8"), "html.parser")
    listed = {li.a.get_text(): int(li.find(class_="count").get_text())
              for li in index.select("ul.term-list li")}
    assert listed == {t: n for t, n in carried.items() if n >= 2}
    single = next(t for t, n in carried.items() if n == 1)
    paper = next(p for p in papers if single in p["tags"])
    page = BeautifulSoup((site / f"papers/{paper['slug']}/index.html").read_text("utf-8"),
                         "html.parser")
    chip = next(c for c in page.select(".chip") if c.get_text() == single)
    assert chip.name == "span"  # shown, but no page to link to


def test_tag_page_lists_co_occurring_tags_with_counts(default_site) -> None:
    site = default_site[0]
    papers = _papers(default_site)
    tagged = [p for p in papers if "sparse autoencoders" in p["tags"]]
    page = BeautifulSoup((site / "tags/sparse-autoencoders/index.html").read_text("utf-8"),
                         "html.parser")
    assert len(page.select("ol.paper-list li")) == len(tagged)
    also = page.find("h2", string="Also tagged").find_next("ul").find_all("li")
    for li in also:
        name, count = li.a.get_text(), int(li.find(class_="count").get_text())
        assert count == sum(name in p["tags"] for p in tagged) and count >= 2
