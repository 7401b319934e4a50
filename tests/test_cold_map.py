"""The map's 2-D layout is kept on disk by a digest of its inputs: a new process with the same
sampled papers reuses it (without scikit-learn); other papers, or no on-disk cache, compute."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from generator import papermap
from generator.cache import BuildCache
from generator.sources import read_listings

from .conftest import LISTINGS, REPO


@pytest.fixture(scope="module")
def texts() -> tuple[str, ...]:
    """Title and abstract of every entry of the sample listings, as the map samples them."""
    return tuple(f"{p.title}. {p.abstract}" for listing in read_listings(LISTINGS)
                 for p in listing.papers)


@pytest.fixture
def projections(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Sizes of the layouts computed from now on (each call is a new process's first map)."""
    computed: list[int] = []
    real = papermap.project

    def counted(texts: tuple[str, ...]) -> np.ndarray:
        computed.append(len(texts))
        return real(texts)

    monkeypatch.setattr(papermap, "project", counted)
    papermap._remembered_projection.cache_clear()
    yield computed
    papermap._remembered_projection.cache_clear()


def _layout(texts: tuple[str, ...]) -> np.ndarray:
    papermap._remembered_projection.cache_clear()  # as a new process
    return papermap._remembered_projection(texts)


def test_a_new_process_reuses_the_kept_layout(tmp_path: Path, texts: tuple[str, ...],
                                              projections: list[int]) -> None:
    with BuildCache(tmp_path).keeping():
        first = _layout(texts)
        again = _layout(texts)
    assert projections == [len(texts)]
    assert again.tobytes() == first.tobytes() and again.shape == (len(texts), 2)


def test_other_texts_are_laid_out_afresh(tmp_path: Path, texts: tuple[str, ...],
                                         projections: list[int]) -> None:
    with BuildCache(tmp_path).keeping():
        _layout(texts)
        fewer = texts[:-1]
        assert _layout(fewer).shape == (len(fewer), 2)
        assert projections == [len(texts), len(fewer)]
        _layout(texts)  # the one before is kept too: an edit undone costs nothing
    assert projections == [len(texts), len(fewer)]


def test_without_an_on_disk_cache_nothing_is_kept(tmp_path: Path, texts: tuple[str, ...],
                                                  projections: list[int]) -> None:
    with BuildCache(tmp_path).keeping():  # an earlier build...
        pass
    BuildCache(tmp_path)  # ...a cache made, no build running...
    with BuildCache(None).keeping():  # ...then a build that keeps nothing
        _layout(texts)
    _layout(texts)
    assert projections == [len(texts), len(texts)]
    assert not (tmp_path / ".litreview-cache" / "kept").exists()


def test_the_key_follows_the_texts_and_the_libraries(
        texts: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    key = papermap.projection_key(texts)
    assert papermap.projection_key(texts[:1] + (texts[1] + " ",) + texts[2:]) != key
    assert papermap.projection_key((texts[0] + texts[1],) + texts[2:]) != key
    monkeypatch.setattr(papermap.metadata, "version", lambda name: "0.0-other")
    assert papermap.projection_key(texts) != key


def test_a_kept_layout_is_drawn_without_scikit_learn(tmp_path: Path,
                                                     texts: tuple[str, ...]) -> None:
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from generator import papermap\n"
        "from generator.cache import BuildCache\n"
        "from generator.sources import read_listings\n"
        f"texts = tuple(f'{{p.title}}. {{p.abstract}}' for listing in read_listings("
        f"Path({str(LISTINGS)!r})) for p in listing.papers)\n"
        f"with BuildCache(Path({str(tmp_path)!r})).keeping():\n"
        "    xy = papermap._remembered_projection(texts)\n"
        "print(len(xy), 'sklearn' in sys.modules)\n")
    runs = [subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                           text=True, check=True).stdout.split() for _ in range(2)]
    assert runs == [[str(len(texts)), "True"], [str(len(texts)), "False"]]
