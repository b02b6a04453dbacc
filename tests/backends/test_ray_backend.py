"""The Ray backend against a local Ray instance with 2 CPUs, started by the test.

What a user would notice: a run on Ray writing different results from a run on their
laptop. The demo corpus is run on Ray with an empty embedding cache (so the workers
really load the model and embed) and its output files must equal the local run's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'ray>=2.40')")

from narratives.backends.ray_backend import RayBackend  # noqa: E402

pytestmark = pytest.mark.slow

OUTPUT_FILES = ("segments.csv", "topics.csv", "theme_frequencies.csv", "quotes.csv", "topic_map.csv",
                "documents.jsonl", "codebook.yaml")


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """A local instance started as a run starts it (loopback only, usage statistics off); the runs join it."""
    with RayBackend(workers=2):
        yield


def test_map_keeps_order_and_sends_shared_once_per_worker(local_ray: None) -> None:
    backend = RayBackend(workers=2)
    items = [np.full(3, i, dtype=np.float64) for i in range(9)]
    results = backend.map(np.add, np.arange(3.0), items)  # a function the workers can import
    assert [r.tolist() for r in results] == [[i, i + 1, i + 2] for i in range(9)]
    assert backend.map(np.add, np.arange(3.0), []) == []
    assert backend.describe() == {"name": "ray", "address": "local", "workers": 2}
    assert sum(backend.received()) <= 2  # (fn, shared) reached each of the 2 actors once at most
    again = backend.map(np.add, np.arange(3.0), items)  # the same work again: the same actors, nothing re-sent
    assert [r.tolist() for r in again] == [r.tolist() for r in results]
    assert sum(backend.received()) <= 2
    other = backend.map(np.multiply, np.full(3, 2.0), items)
    assert [r.tolist() for r in other] == [[2 * i] * 3 for i in range(9)]
    assert len(backend.received()) == 2  # one pool for every map
    backend.close()


def test_demo_on_ray_equals_local(local_ray: None, demo_run, repo_dir: Path, tmp_path: Path) -> None:
    import json

    import narratives

    _, local_out = demo_run
    config = narratives.load_config(
        repo_dir / "configs" / "demo.yaml",
        [f"cache={tmp_path / 'empty-cache'}", "backend.name=ray", "backend.workers=2"],
    )
    result = narratives.run(
        [repo_dir / "corpora" / "demo"], repo_dir / "configs" / "codebooks" / "physician-migration.yaml",
        manifest=repo_dir / "corpora" / "demo" / "manifest.csv", config=config, out=tmp_path / "ray-out",
    )
    assert result.backend["name"] == "ray"
    assert result.cache["embedded"] > 1000  # the workers embedded the corpus; nothing came from a cache
    for name in OUTPUT_FILES:
        assert (tmp_path / "ray-out" / name).read_bytes() == (local_out / name).read_bytes(), name
    manifest = json.loads((tmp_path / "ray-out" / "run_manifest.json").read_text())
    assert manifest["backend"]["name"] == "ray"
    assert set(manifest["timings_seconds"]) >= {"load", "segment", "embed", "align", "report"}
