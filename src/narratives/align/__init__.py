"""Align segments and clusters to the researcher's codebook.

- :func:`load_codebook` reads and validates a YAML or CSV codebook.
- :data:`ALIGNERS` is the registry of aligners (``"prototype"``, ``"calibrated"``), and
  :func:`build_aligner` makes the one a run's :class:`~narratives.config.AlignConfig`
  names.
"""

from __future__ import annotations

from narratives.align.calibrated import CalibratedAligner, build_calibrated
from narratives.align.codebook import load_codebook, slugify
from narratives.align.examples import load_examples
from narratives.align.prototype import NotFittedError, Prototype, PrototypeAligner, build_prototype
from narratives.config import AlignConfig
from narratives.registry import Registry
from narratives.types import Aligner

__all__ = [
    "ALIGNERS",
    "CalibratedAligner",
    "NotFittedError",
    "Prototype",
    "PrototypeAligner",
    "build_aligner",
    "load_codebook",
    "load_examples",
    "slugify",
]

ALIGNERS: Registry[Aligner] = Registry("align")
ALIGNERS.register("prototype")(build_prototype)
ALIGNERS.register("calibrated")(build_calibrated)


def build_aligner(config: AlignConfig, seed: int = 42) -> Aligner:
    """The aligner named by ``config.method``, configured with its thresholds and the
    run's ``seed`` (for the classifier and calibration folds when examples are given).

    Raises:
        ConfigError: ``config.method`` is not a registered aligner.
    """
    return ALIGNERS.get(config.method)(config, seed)
