"""The learned aligner's fitted classifier kept on disk, so a re-run with the same examples skips it.

The key is a sha256 of everything fitting reads: the encoders' identities (the tuned model's
included, which names its training), the codebook's entries and prototype texts, every example
(text, code, accepted, group, question, window) and the settings that change the fit. A hit
restores exactly what fitting computed: the softmax weights, the Platt map, the out-of-fold
reliability table and the multi-label threshold. Entries live in ``<cache_dir>/aligners/<key>.npz``
(:mod:`narratives.npz_store`: a damaged entry is a miss with a note, never an error).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from narratives.align.prototype import prototype_texts
from narratives.align.softmax import SoftmaxModel
from narratives.models import Codebook, Example
from narratives.npz_store import NpzStore

FIT_VERSION = 4
"""Bump when fitting changes what it computes from the same inputs."""
_FIELDS = ("coef", "intercept", "mean", "scale", "prior_scale", "platt", "multi_threshold", "reliability", "note",
           "check")


@dataclass(frozen=True)
class FittedState:
    """What :meth:`~narratives.align.learned.LearnedAligner.fit` computes from its features."""

    model: SoftmaxModel
    platt: tuple[float, float] | None
    multi_threshold: float | None
    reliability: tuple[tuple[float, float | None, float, int], ...]
    calibration_note: str
    check: tuple[int, ...] = ()
    """The round check's fields in order (:class:`~narratives.align.learned.RoundCheck`), when there is one."""


def fit_key(encoders: Sequence[str], codebook: Codebook, examples: Sequence[Example],
            settings: dict[str, object]) -> str:
    """The hex sha256 naming one fit's inputs."""
    digest = hashlib.sha256(json.dumps({"version": FIT_VERSION, "encoders": list(encoders), **settings},
                                       sort_keys=True, default=str).encode())
    for entry in codebook.entries:
        texts = [(p.entry, p.text) for p in prototype_texts(entry)]
        digest.update(json.dumps([entry.id, codebook.top_level(entry.id), texts], ensure_ascii=False).encode())
    for x in examples:
        digest.update(json.dumps([x.text, x.code, x.accepted, x.group, x.question, x.window],
                                 ensure_ascii=False).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


class FitCache:
    """Fitted states by key in ``<directory>/aligners/``; problems met are in :attr:`notes`."""

    def __init__(self, directory: str | Path) -> None:
        self.store = NpzStore(Path(directory) / "aligners", "aligner cache")

    @property
    def notes(self) -> list[str]:
        return self.store.notes

    def get(self, key: str) -> FittedState | None:
        data = self.store.load(key, _FIELDS)
        if data is None:
            return None
        try:
            platt = data["platt"].astype(float)
            threshold = float(data["multi_threshold"])
            rows = tuple((float(t), None if np.isnan(p) else float(p), float(c), int(n))
                         for t, p, c, n in data["reliability"].reshape(-1, 4).tolist())
            return FittedState(
                SoftmaxModel(data["coef"], data["intercept"], data["mean"], data["scale"], float(data["prior_scale"])),
                None if np.isnan(platt).any() else (float(platt[0]), float(platt[1])),
                None if np.isnan(threshold) else threshold, rows, str(data["note"]),
                tuple(int(v) for v in data["check"].tolist()),
            )
        except (ValueError, TypeError, IndexError) as exc:
            self.store.damaged(key, exc)
            return None

    def put(self, key: str, state: FittedState) -> None:
        nan = float("nan")
        self.store.save(
            key, coef=state.model.coef, intercept=state.model.intercept, mean=state.model.mean,
            scale=state.model.scale, prior_scale=np.array(state.model.prior_scale),
            platt=np.array(state.platt if state.platt else (nan, nan)),
            multi_threshold=np.array(nan if state.multi_threshold is None else state.multi_threshold),
            reliability=np.array([(t, nan if p is None else p, c, n) for t, p, c, n in state.reliability],
                                 dtype=np.float64).reshape(-1, 4),
            note=np.array(state.calibration_note),
            check=np.array(state.check, dtype=np.int64),
        )
