"""The seeded UMAP's spectral start carries no last-bit noise (the cause of one input giving two clusterings)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

umap_module = pytest.importorskip("umap.umap_")

from narratives.cluster.seeded_umap import START_DECIMALS, SeededUMAP, rounded_start  # noqa: E402


def _blobs() -> np.ndarray:
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(3, 12)) * 4
    return np.vstack([c + rng.normal(size=(60, 12)) for c in centres]).astype(np.float32)


def test_starts_differing_in_their_last_bits_become_identical() -> None:
    # as measured on the newsgroup posts: the same start, with 1e-17-sized noise in near-zero coordinates
    base = np.array([[0.0, 1.0], [0.25, -0.5], [2.0, 1e-17]], dtype=np.float32)
    noisy = base.copy()
    noisy[0, 0], noisy[2, 1] = 6.6e-17, 0.0
    assert not np.array_equal(base, noisy)
    a = rounded_start(lambda: base)()
    b = rounded_start(lambda: noisy)()
    assert np.array_equal(a, b)
    assert a.dtype == np.float32
    assert np.array_equal(a, np.round(base.astype(np.float64), START_DECIMALS).astype(np.float32))


def test_the_fit_starts_from_the_rounded_spectral_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    starts: list[np.ndarray] = []
    spectral = umap_module.spectral_layout
    scale = umap_module.noisy_scale_coords

    def recording_scale(coords, *args, **kwargs):  # what the optimisation starts from, before UMAP's own noise
        starts.append(np.array(coords))
        return scale(coords, *args, **kwargs)

    monkeypatch.setattr(umap_module, "noisy_scale_coords", recording_scale)
    data = _blobs()
    SeededUMAP(n_neighbors=10, n_components=2, random_state=1, n_jobs=1).fit(data)
    assert umap_module.spectral_layout is spectral, "the fit must put UMAP's own spectral layout back"
    umap_module.UMAP(n_neighbors=10, n_components=2, random_state=1, n_jobs=1).fit(data)
    rounded, raw = starts
    assert np.array_equal(rounded, np.round(raw.astype(np.float64), START_DECIMALS).astype(raw.dtype))
    assert not np.array_equal(rounded, raw), "the stock start has digits beyond the rounding"


def test_same_seed_same_embedding_and_the_fitted_map_travels() -> None:
    data = _blobs()
    first = SeededUMAP(n_neighbors=10, n_components=3, random_state=7, n_jobs=1)
    second = SeededUMAP(n_neighbors=10, n_components=3, random_state=7, n_jobs=1)
    assert np.array_equal(first.fit_transform(data), second.fit_transform(data))
    copy = pickle.loads(pickle.dumps(first))  # the Ray backend sends the fitted map to its workers
    assert np.array_equal(copy.transform(data[:20]), first.transform(data[:20]))
