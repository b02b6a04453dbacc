"""The real sentence-transformers embedder (loads the packaged model once per session)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from narratives.embed import ResolvedModel, SentenceTransformerEmbedder
from narratives.embed.sentence_transformers import offline_hub

TEXTS = [
    "I left Lagos because the hospital had no equipment and the pay came months late.",
    "My registration exams in the UK took two years and cost most of my savings.",
    "We miss our parents, and the children ask every week when we are going home.",
    "The weather here is cold.",
]


@pytest.mark.slow
def test_vectors_are_384d_float32_unit_rows(st_embedder: SentenceTransformerEmbedder) -> None:
    assert st_embedder.loaded and st_embedder.load_seconds is not None
    vectors = st_embedder.embed(TEXTS)
    assert vectors.shape == (len(TEXTS), 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert st_embedder.dimension == 384


@pytest.mark.slow
def test_rows_follow_input_order_and_are_deterministic(st_embedder: SentenceTransformerEmbedder) -> None:
    forward = st_embedder.embed(TEXTS)
    backward = st_embedder.embed(TEXTS[::-1])
    np.testing.assert_allclose(backward[::-1], forward, atol=1e-5)
    assert np.array_equal(st_embedder.embed(TEXTS), forward)


@pytest.mark.slow
def test_a_text_alone_matches_the_same_text_inside_a_batch(st_embedder: SentenceTransformerEmbedder) -> None:
    batch = st_embedder.embed(TEXTS)
    alone = np.vstack([st_embedder.embed([text]) for text in TEXTS])
    assert np.array_equal(alone, batch)  # bit for bit: fixed-shape batches


@pytest.mark.slow
def test_similar_sentences_are_closer_than_unrelated_ones(st_embedder: SentenceTransformerEmbedder) -> None:
    a, b, c = st_embedder.embed(
        [
            "I moved abroad because doctors are paid so little at home.",
            "Low salaries for physicians pushed me to emigrate.",
            "The weather here is cold.",
        ]
    )
    assert float(a @ b) > float(a @ c) + 0.2


def test_offline_mode_is_scoped_to_the_load(monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants as hub_constants

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "0")
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", False)
    with offline_hub():
        assert hub_constants.is_offline_mode()
        assert os.environ["HF_HUB_OFFLINE"] == os.environ["TRANSFORMERS_OFFLINE"] == "1"
    assert not hub_constants.is_offline_mode()
    assert "HF_HUB_OFFLINE" not in os.environ
    assert os.environ["TRANSFORMERS_OFFLINE"] == "0"


@pytest.mark.slow
def test_progress_bar_goes_to_stderr(
    st_embedder: SentenceTransformerEmbedder, capsys: pytest.CaptureFixture[str]
) -> None:
    vectors = st_embedder.embed(TEXTS * 5, progress=True)
    captured = capsys.readouterr()
    assert vectors.shape == (20, 384)
    assert captured.out == ""
    assert "Embedding 20 segments" in captured.err


def test_identity_and_empty_input_do_not_load_the_model(packaged_model: ResolvedModel) -> None:
    embedder = SentenceTransformerEmbedder(packaged_model)
    assert embedder.identity == f"{packaged_model.identity}+fixed16"  # weights and batching scheme
    assert embedder.embed([]).shape == (0, 384)
    assert not embedder.loaded


def test_a_bare_string_is_refused(packaged_model: ResolvedModel) -> None:
    embedder = SentenceTransformerEmbedder(packaged_model)
    with pytest.raises(TypeError, match="not a single string"):
        embedder.embed("one text")  # a str is a Sequence[str]: only a runtime check catches it
    assert not embedder.loaded


def test_a_texts_vector_does_not_depend_on_what_it_is_embedded_with(packaged_model: ResolvedModel) -> None:
    """Same input, same output, whatever the cache holds: a vector must not depend on its batch."""
    texts = [
        "The salary never came on time.", "We waited for the stipend for months.",
        "My mother asks every Sunday when I am coming back.", "The licensing exam fees were enormous.",
        "I felt guilty leaving my patients.", "There was no equipment in the ward.",
        "Recognition matters more than money.", "The visa took a year.", "I miss home.",
        "The night shifts were endless and unpaid.", "Nobody listened to junior doctors.",
        "Abroad, the hours are regulated and the work is respected.",
    ] * 3
    texts = [f"{t} ({i})" for i, t in enumerate(texts)]
    embedder = SentenceTransformerEmbedder(packaged_model, batch_size=4)
    together = embedder.embed(texts)
    reversed_order = list(reversed(range(len(texts))))
    assert np.array_equal(embedder.embed([texts[i] for i in reversed_order]), together[reversed_order])
    assert np.array_equal(embedder.embed(texts[5:17:3]), together[5:17:3])


def test_a_pickled_embedder_carries_settings_not_weights(st_embedder: SentenceTransformerEmbedder) -> None:
    """What a Ray worker receives: a few KB, which loads its own model and gives the same vectors."""
    import pickle

    text = ["The salary did not cover the rent."]
    vector = st_embedder.embed(text)
    blob = pickle.dumps(st_embedder)
    copy = pickle.loads(blob)
    assert st_embedder.loaded and not copy.loaded
    assert len(blob) < 10_000
    assert np.array_equal(copy.embed(text), vector)


def test_a_worker_with_fewer_threads_gives_the_same_vectors(st_embedder: SentenceTransformerEmbedder) -> None:
    """A Ray worker starts with 1 torch thread; 1 and 2 threads differ in the last bits, which UMAP
    magnifies into different clusters. The pickled copy embeds with the sender's thread count."""
    import os
    import pickle

    import torch

    if (os.cpu_count() or 1) < 2:
        pytest.skip("needs 2 cores for the thread counts to differ")
    texts = [f"The visa took a year, case {n}." for n in range(40)]  # short texts: every one differed
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        vectors = st_embedder.embed(texts)
        copy = pickle.loads(pickle.dumps(st_embedder))
        torch.set_num_threads(1)  # as in a worker process
        assert np.array_equal(copy.embed(texts), vectors)
        assert torch.get_num_threads() == 1  # the worker's own setting is left as it was
    finally:
        torch.set_num_threads(before)
