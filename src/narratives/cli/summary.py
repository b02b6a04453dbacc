"""What ``narratives run`` and ``narratives evaluate`` print when they finish."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from narratives.evaluation import Evaluation
    from narratives.result import RunResult


def print_summary(result: RunResult, out: Path, console: Console) -> None:
    """A short, readable account of the run: corpus, themes, candidates, skipped files, timings."""
    counts = result.counts()
    kinds = Counter(d.kind for d in result.corpus.documents)
    kind_text = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    console.print(
        f"\n[bold]{counts['documents']} documents[/] ({kind_text}) → {counts['segments']:,} segments, "
        f"{counts['coded_segments']:,} coded; {counts['assigned_segments']:,} matched a theme, "
        f"{counts['unassigned_segments']:,} unassigned.",
        highlight=False,
    )
    console.print(
        f"Embeddings: {result.cache.get('embedded', 0):,} computed, {result.cache.get('from_cache', 0):,} "
        f"from cache. Clusters: {counts['clusters']}, of which {counts['candidate_new_themes']} match no theme.",
        highlight=False,
    )
    freq = result.theme_frequencies(by=[])
    overall = freq[(freq["breakdown"] == "overall") & (freq["level"] == "theme")]
    table = Table("theme", "segments", "share", "documents", "speakers", title="Themes (coded segments)")
    for row in overall.itertuples():
        table.add_row(str(row.theme), str(row.segments), f"{row.share:.1%}", str(row.documents), str(row.speakers))
    console.print(table)
    candidates = result.topics_frame()
    candidates = candidates[candidates["candidate_new_theme"]]
    if len(candidates):
        console.print("[bold]Candidate new themes[/] (clusters that match no codebook theme):")
        for row in candidates.head(8).itertuples():
            console.print(f"  • cluster {row.cluster} ({row.size} segments): {row.label}", highlight=False)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    if result.corpus.skipped:
        console.print(f"[yellow]Skipped {len(result.corpus.skipped)} file(s):[/]")
        for skipped in result.corpus.skipped:
            console.print(f"  • {skipped.path}: {skipped.reason}", highlight=False)
    warnings = [*result.corpus.warnings, *(w for d in result.corpus.documents for w in d.warnings)]
    for warning in warnings:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    timing = ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items())
    console.print(f"Timings: {timing}", highlight=False)
    console.print(f"\n[bold green]Reports written to {out}/[/]", highlight=False)
    for name in ("segments.csv", "theme_frequencies.csv", "quotes.csv", "topics.csv", "run_manifest.json"):
        console.print(f"  {out / name}", highlight=False)


def print_evaluation(
    evaluation: Evaluation, console: Console, *, predictions: Path | None = None, out: Path | None = None
) -> None:
    """Headline agreement with intervals at each level, the per-code table, calibration, and files."""
    for level in evaluation.levels:
        console.print(
            f"\n[bold]{level.level} level[/] (n={level.n}): accuracy {level.accuracy}, "
            f"macro-F1 {level.macro_f1}, Cohen's kappa {level.kappa}; coverage {level.coverage:.1%}, "
            f"accuracy among assigned {level.accuracy_assigned:.3f}",
            highlight=False, soft_wrap=True,
        )
    if evaluation.settings.resamples:
        console.print(f"[dim]95% intervals: percentile bootstrap over passages, "
                      f"{evaluation.settings.resamples} resamples, seed {evaluation.settings.seed}[/]",
                      highlight=False)
    for level in evaluation.levels:
        table = Table("code", "precision", "recall", "f1", "support", "predicted", title=f"Per {level.level}")
        for row in level.per_code.itertuples():
            table.add_row(str(row.code), f"{row.precision:.2f}", f"{row.recall:.2f}", f"{row.f1:.2f}",
                          str(row.support), str(row.predicted))
        console.print(table)
    calibration = evaluation.reliability
    console.print(
        f"Calibration: {calibration.headline()}; expected calibration error {calibration.ece:.3f}",
        highlight=False, soft_wrap=True,
    )
    for note in evaluation.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    if predictions is not None:
        console.print(f"Predictions written to {predictions}", highlight=False)
    if out is not None:
        from narratives.evaluation.output import REPORT_FILES

        console.print(f"\n[bold green]Report written to {out}/[/]", highlight=False)
        for name in REPORT_FILES:
            console.print(f"  {out / name}", highlight=False)
