"""Align segments and clusters to the researcher's codebook.

- :func:`load_codebook` and :func:`slugify` are :mod:`narratives.codebook`'s, kept here because
  ``from narratives.align import load_codebook`` is how the README first showed them.
- :data:`ALIGNERS` is the registry of aligners (``"learned"``, ``"calibrated"``, ``"prototype"``), and
  :func:`build_aligner` makes the one a run's :class:`~narratives.config.AlignConfig`
  names.
"""

from __future__ import annotations

from pathlib import Path

from narratives.align.calibrated import CalibratedAligner, build_calibrated
from narratives.align.learned import LearnedAligner, build_learned
from narratives.align.prototype import NotFittedError, Prototype, PrototypeAligner, build_prototype
from narratives.codebook import load_codebook, slugify
from narratives.config import AlignConfig, EmbedConfig, default_cache_dir
from narratives.registry import Registry
from narratives.types import Aligner

__all__ = [
    "ALIGNERS",
    "CalibratedAligner",
    "LearnedAligner",
    "NotFittedError",
    "Prototype",
    "PrototypeAligner",
    "build_aligner",
    "load_codebook",
    "slugify",
]

ALIGNERS: Registry[Aligner] = Registry("align")
ALIGNERS.register("prototype")(build_prototype)
ALIGNERS.register("calibrated")(build_calibrated)
ALIGNERS.register("learned")(build_learned)


def build_aligner(
    config: AlignConfig, seed: int = 42, *, embed: EmbedConfig | None = None, cache_dir: Path | None = None,
    progress: bool = False,
) -> Aligner:
    """The aligner named by ``config.method``, configured with its thresholds and the
    run's ``seed`` (for fine-tuning, the classifier and calibration folds when examples are
    given). ``embed`` (the run's embedding settings) is how extra models embed, ``cache_dir`` (the
    run's cache) where tuned models and their vectors are kept; ``progress`` shows the fine-tuning bar.

    Raises:
        ConfigError: ``config.method`` is not a registered aligner.
    """
    return ALIGNERS.get(config.method)(config, seed, embed=embed or EmbedConfig(),
                                       cache_dir=cache_dir or default_cache_dir(), progress=progress)
