"""narratives — offline corpus analysis for migration narratives.

The notebook API is the same set of functions the CLI calls::

    import narratives
    result = narratives.run(["corpora/demo"], "configs/codebooks/physician-migration.yaml",
                            manifest="corpora/demo/manifest.csv")
    result.theme_frequencies(by="country")
    result.quotes("moral-residue")

Names are imported lazily so that ``import narratives`` stays light. Importing it switches off
the telemetry of the libraries it runs (:mod:`narratives.offline`): nothing leaves the machine.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from narratives.about import __version__
from narratives.offline import switch_off_telemetry

switch_off_telemetry()  # before anything imports onnxruntime, which latches its telemetry at import

_EXPORTS = {
    "run": "narratives.pipeline",
    "analyse": "narratives.pipeline",
    "RunResult": "narratives.result",
    "load_config": "narratives.config",
    "RunConfig": "narratives.config",
    "load_corpus": "narratives.loaders",
    "load_document": "narratives.loaders",
    "load_codebook": "narratives.codebook",
    "segment_corpus": "narratives.segment",
    "build_embedder": "narratives.embed",
    "evaluate": "narratives.evaluation",
}

if TYPE_CHECKING:
    from narratives.codebook import load_codebook
    from narratives.config import RunConfig, load_config
    from narratives.embed import build_embedder
    from narratives.evaluation import evaluate
    from narratives.loaders import load_corpus, load_document
    from narratives.pipeline import analyse, run
    from narratives.result import RunResult
    from narratives.segment import segment_corpus

__all__ = [
    "RunConfig",
    "RunResult",
    "__version__",
    "analyse",
    "build_embedder",
    "evaluate",
    "load_codebook",
    "load_config",
    "load_corpus",
    "load_document",
    "run",
    "segment_corpus",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'narratives' has no attribute '{name}'")
    return getattr(import_module(module), name)
