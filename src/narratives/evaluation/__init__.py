"""Agreement between the aligner and human coders (``narratives evaluate``).

Modules: :mod:`~narratives.evaluation.gold` reads coded CSVs, :mod:`~.folds` splits them
for cross-validation, :mod:`~.metrics` and :mod:`~.reliability` score predictions,
:mod:`~.core` runs an evaluation and :mod:`~.output` writes its report.
"""

from narratives.evaluation.core import evaluate
from narratives.evaluation.records import Estimate, Evaluation, EvaluationSettings, LevelScores, Reliability

__all__ = ["Estimate", "Evaluation", "EvaluationSettings", "LevelScores", "Reliability", "evaluate"]
