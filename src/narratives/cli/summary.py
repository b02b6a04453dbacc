"""What ``narratives run``, ``evaluate``, ``agreement`` and ``prevalence`` print when they finish."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from narratives.coders.agreement_report import AgreementReport
    from narratives.coders.verification import PrevalenceReport
    from narratives.evaluation import Evaluation
    from narratives.reports.changes import RunChanges
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
    people = int(overall["group_participants"].max()) if len(overall) else 0
    corrected = _corrected_shares(result)
    table = Table("theme", *(["participants"] if people else []), "segments", "share",
                  *(["corrected [95% interval]"] if corrected else []), "documents",
                  title="Themes (participants, then coded segments)" if people else "Themes (coded segments)",
                  caption="share: machine labels; corrected: by the verified random sample" if corrected
                  else "share: machine labels, not verified")
    for row in overall.itertuples():
        confirmed = f" ({row.participants_confirmed} confirmed)" if row.participants_confirmed else ""
        table.add_row(str(row.theme), *([f"{row.participants} of {people}{confirmed}"] if people else []),
                      str(row.segments),
                      f"{row.share:.1%}", *([corrected.get(str(row.theme), "")] if corrected else []),
                      str(row.documents))
    console.print(table)
    if len(overall) and counts["coded_segments"] and not corrected:
        from narratives.prevalence.estimator import planned_sample_size

        need = planned_sample_size(overall["share"], counts["coded_segments"])
        check = ("A coder's check of all of them" if need >= counts["coded_segments"] else
                 f"A coder's check of about {need:,} segments drawn at random")
        console.print(
            f"Shares are the machine's labels, not verified. {check} (narratives export {out} --to xlsx "
            f"--sample-random {need} --out verify.xlsx) gives every theme a 95% interval within ±5 points, whatever "
            "the machine's accuracy: then narratives prevalence.",
            highlight=False, soft_wrap=True,
        )
    candidates = result.topics_frame()
    candidates = candidates[candidates["candidate_new_theme"]]
    if len(candidates):
        console.print("[bold]Candidate new themes[/] (clusters that match no codebook theme):")
        for row in candidates.head(8).itertuples():
            console.print(f"  • cluster {row.cluster} ({row.size} segments): {row.label}", highlight=False)
    _print_coding(result, console)
    console.print(
        f"To teach the coding: narratives export {out} --to xlsx --sample-uncertain 40 --out round.xlsx (the "
        "passages it is least sure of, over every code), fill in the decisions, and run again with --examples "
        "round.xlsx (one --examples per round's file).", highlight=False, soft_wrap=True,
    )
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    if result.corpus.skipped:
        console.print(f"[yellow]Skipped {len(result.corpus.skipped)} file(s):[/]")
        for skipped in result.corpus.skipped:
            console.print(f"  • {skipped.path}: {skipped.reason}", highlight=False, soft_wrap=True)
    warnings = [*result.corpus.warnings, *(f"{d.source}: {w}" for d in result.corpus.documents for w in d.warnings)]
    for warning in warnings:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    timing = ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items())
    peak = max(result.peak_memory_mb.values(), default=0.0)
    console.print(f"Timings: {timing}" + (f"; peak memory {peak:,.0f} MB" if peak else ""), highlight=False)
    console.print(f"\n[bold green]Reports written to {out}/[/]", highlight=False, soft_wrap=True)
    from narratives.reports.writer import REPORT_FILES

    for name in REPORT_FILES:
        console.print(f"  {out / name}", highlight=False, soft_wrap=True)
    console.print(f"\n[bold]Read the report:[/] {(out / 'report.html').resolve().as_uri()}", highlight=False,
                  soft_wrap=True)


def _corrected_shares(result: RunResult) -> dict[str, str]:
    """Theme → "23.1% [17.0%, 29.2%]" from ``run --verified`` (empty without a verified sample)."""
    from narratives.prevalence.table import PPI, interval_text, overall_themes

    if result.prevalence is None:
        return {}
    return {str(r.code): interval_text(r.share, r.low, r.high) if r.method == PPI else "not verified"
            for r in overall_themes(result.prevalence).itertuples()}


def _print_coding(result: RunResult, console: Console) -> None:
    """What the scores mean, what the coders' decisions did, and what moved since the last run."""
    aligner = result.aligner
    if aligner.get("scores"):
        style = "" if aligner.get("calibrated") else "[yellow]"
        console.print(f"{style}Scores:[/] {aligner['scores']}." if style else f"Scores: {aligner['scores']}.",
                      highlight=False, soft_wrap=True)
    reliable = [r for r in aligner.get("reliability", []) if r["precision"] is not None]
    if reliable:
        cells = ", ".join(f"≥{r['threshold']:g}: {r['precision']:.0%} right, {r['coverage']:.0%} of passages"
                          for r in reliable if r["threshold"] in (0.5, 0.7, 0.8, 0.9))
        console.print(f"  Out of fold on the coders' examples: {cells} (examples coders chose are often the clearest "
                      "passages: an upper bound for the rest)", highlight=False, soft_wrap=True)
    coders = result.coders
    if coders.get("passages"):
        none = coders.get("no_code_fits", 0)
        console.print(
            f"Coders' decisions: {coders['codes_standing']:,} codes stand and {coders['codes_rejected']:,} are "
            f"rejected on {coders['passages']:,} passages; their passages keep the coders' codes and never get a "
            "rejected one" + (f"; {none:,} passages no code fits stay unassigned" if none else "") + ".",
            highlight=False, soft_wrap=True,
        )
    check = aligner.get("check")
    if check:
        console.print(round_check_text(check), highlight=False, soft_wrap=True)
        if coders["disagreements"]:
            ties = coders["ties_not_used"]
            console.print(
                f"[yellow]Coders disagree on {len(coders['disagreements'])} (passage, code) pairs[/] "
                f"({ties} ties, not used as evidence; the rest decided by majority); listed in run_manifest.json "
                "under examples.decisions.disagreements.", highlight=False, soft_wrap=True,
            )
    if result.changes is not None:
        console.print(f"[bold]Changed:[/] {result.changes.headline()}; listed in run_manifest.json under changes.",
                      highlight=False, soft_wrap=True)
        shifts = result.changes.largest_shifts()
        if shifts:
            console.print(f"  Largest shifts: {shifts}.", highlight=False, soft_wrap=True)


def round_check_text(check: dict[str, Any]) -> str:
    """What a round of decisions did to coding, out of fold on the decisions (rich markup)."""
    n, before, after = check["decisions"], check["codebook_right"], check["learned_right"]
    text = (f"Checked on the coders' {n:,} decided passages, each coded by a model that did not see it: the codebook "
            f"alone codes {before:,} as the coders did, the learned coding {after:,} ({check['fixed']:,} fixed, "
            f"{check['broke']:,} broken)")
    if check["verdict"] == "worse":
        text = (f"[yellow]{text}: this round made coding worse on passages like the decided ones.[/] Check the "
                "decisions for slips, or decide more passages (export --sample-uncertain) before trusting the shares")
    elif check["verdict"] == "no clear difference":
        text += ": no clear difference yet"
    text += "."
    if check["contradicted"]:
        text += (f" The learned model still codes {check['contradicted']:,} decided passages otherwise "
                 "(they keep the coders' codes).")
    return text


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
    for sets in evaluation.sets:
        console.print(
            f"\n[bold]{sets.level} level, code sets[/] (n={sets.n}): micro-F1 {sets.micro_f1}, "
            f"macro-F1 {sets.macro_f1}, exact match {sets.exact_match}; codes per unit: gold "
            f"{sets.gold_per_unit:.2f}, predicted {sets.predicted_per_unit:.2f}",
            highlight=False, soft_wrap=True,
        )
    if evaluation.settings.resamples and evaluation.sets:
        console.print(f"[dim]95% intervals: percentile bootstrap over units, "
                      f"{evaluation.settings.resamples} resamples, seed {evaluation.settings.seed}[/]",
                      highlight=False)
    for level in (*evaluation.levels, *evaluation.sets):
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
    console.print(f"Scores: {evaluation.settings.aligner.get('scores', '')}", highlight=False, soft_wrap=True)
    table = Table("score ≥", "units", "coverage", "right (precision)", title="Pick a threshold")
    for row in evaluation.thresholds.itertuples():
        precision = "-" if row.precision is None or row.precision != row.precision else f"{row.precision:.0%}"
        table.add_row(f"{row.threshold:g}", str(row.units), f"{row.coverage:.0%}", precision)
    console.print(table)
    for note in evaluation.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    if predictions is not None:
        console.print(f"Predictions written to {predictions}", highlight=False, soft_wrap=True)
    if out is not None:
        from narratives.evaluation.output import EVALUATION_FILES

        console.print(f"\n[bold green]Report written to {out}/[/]", highlight=False, soft_wrap=True)
        for name in EVALUATION_FILES:
            console.print(f"  {out / name}", highlight=False, soft_wrap=True)


def _interval(row: object, name: str) -> str:
    value, low, high = (getattr(row, name), getattr(row, f"{name}_low"), getattr(row, f"{name}_high"))
    if value is None or value != value:  # None or nan
        return "n/a"
    if low is None or low != low:
        return f"{value:.3f}"
    return f"{value:.3f} [{low:.2f}, {high:.2f}]"


def print_agreement(report: AgreementReport, console: Console, *, out: Path | None = None) -> None:
    """Pairwise agreement, alpha, the machine's precision, and how many disagreements."""
    console.print(f"\n[bold]{report.units} units[/], coders: {', '.join(report.coders)}", highlight=False)
    table = Table("rater A", "rater B", "level", "units", "% agreement", "Cohen's kappa", "Gwet's AC1",
                  title="Agreement on units both raters coded (95% bootstrap intervals)")
    for row in report.pairs.itertuples():
        table.add_row(row.rater_a, row.rater_b, row.level, str(row.units_both_coded),
                      _interval(row, "percent_agreement"), _interval(row, "cohen_kappa"), _interval(row, "gwet_ac1"))
    console.print(table)
    for key, value in report.alpha.items():
        console.print(f"Krippendorff's alpha ({key.replace('_', ' ')}): {value}", highlight=False)
    overall = report.precision[report.precision["proposed_code"] == "(all)"] if len(report.precision) else None
    if overall is not None:
        for row in overall.itertuples():
            if row.judged:
                console.print(f"Machine precision judged by {row.coder}: {row.accepted}/{row.judged} accepted "
                              f"({row.precision:.0%}); right theme {row.theme_precision:.0%}", highlight=False)
    console.print(f"Disagreements: {len(report.disagreements)} units", highlight=False)
    if len(report.not_compared):
        reasons = report.not_compared["reason"].str.split(":").str[0].value_counts()
        console.print(f"Not compared: {len(report.not_compared)} coding(s) no other rater made ("
                      + "; ".join(f"{n} on {why}" for why, n in reasons.items())
                      + "); listed in not_compared.csv with --out, and kept as examples", highlight=False,
                      soft_wrap=True)
    if out is not None:
        console.print(f"\n[bold green]Report written to {out}/[/] (pairs, per_code, precision, disagreements, "
                      "not_compared, examples.csv for --examples, summary.json)", highlight=False, soft_wrap=True)


def print_prevalence(report: PrevalenceReport, console: Console, *, out: Path | None = None) -> None:
    """Overall theme shares: the machine's, the corrected one with its interval, and what would narrow it."""
    from narratives.prevalence.table import PPI, THIN, interval_text, overall_themes

    verified = report.verified
    console.print(f"\n[bold]{len(verified.codes)} verified segments[/] by {', '.join(verified.coders)} "
                  f"({verified.sample or 'sample not recorded'})", highlight=False)
    table = Table("theme", "segments", "machine", "corrected [95% interval]", "verified", "participants",
                  title="Share of coded segments per theme, corrected by the verified random sample")
    for row in overall_themes(report.prevalence.table).itertuples():
        corrected = (interval_text(row.share, row.low, row.high) if row.method == PPI
                     else f"{row.share:.1%} (machine labels, not verified)")
        people = (f"{row.participants} of {row.group_participants} (≥{row.participants_verified} verified)"
                  if row.group_participants else "")
        few = " (few: read the interval)" if 0 < row.n_verified < THIN else ""
        table.add_row(str(row.code), f"{row.n_segments:,}", f"{row.machine_share:.1%}", corrected,
                      f"{row.n_verified}{few}", people)
    console.print(table)
    widest = report.prevalence.widest
    if widest:
        n = widest["n_for_5_points"]
        console.print(f"Widest interval: {widest['code']} ±{float(widest['half_width']):.1%} "  # type: ignore[arg-type]
                      f"on {widest['n_verified']} verified segments; about {n} verified at random would bring it "
                      "under ±5 points.", highlight=False, soft_wrap=True)
    console.print("Participants: the machine's count, and at least how many mention the theme in a verified "
                  "segment; a sample of segments cannot estimate their share.", highlight=False, soft_wrap=True)
    for note in verified.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False, soft_wrap=True)
    if out is not None:
        console.print(f"\n[bold green]Written to {out}/[/] (prevalence.csv, prevalence.json)", highlight=False)


def print_diff(changes: RunChanges, console: Console, *, out: Path | None = None, shown: int = 10) -> None:
    """The headline, why, the themes before and after, and the first moved segments."""
    console.print(f"\n[bold]{changes.headline()}[/]", highlight=False, soft_wrap=True)
    reasons = changes.reasons()
    for line in reasons or ["no codebook entry, example or setting differs (a new model or package version?)"]:
        console.print(f"  • {line}", highlight=False, soft_wrap=True)
    table = Table("theme", "before", "after", "gained", "lost", "share before → after",
                  title="Coded segments per theme (segments in both runs)")
    for t in changes.by_theme:
        table.add_row(str(t["theme"]), str(t["before"]), str(t["after"]), str(t["gained"]), str(t["lost"]),
                      f"{t['share_before']:.1%} → {t['share_after']:.1%}")
    console.print(table)
    for move in changes.moves[:shown]:
        text = str(move.get("text", ""))
        before = "/".join(str(v) for v in (move["from"], move["from_subtheme"]) if v)
        after = "/".join(str(v) for v in (move["to"], move["to_subtheme"]) if v)
        console.print(f"  {move['segment_id']}: {before} → {after}  "
                      f"[dim]{text[:90]}{'…' if len(text) > 90 else ''}[/]", highlight=False, soft_wrap=True)
    if len(changes.moves) > shown:
        console.print(f"  … {len(changes.moves) - shown:,} more moved segments"
                      + (" in moved_segments.csv" if out else " (--out writes them all)"), highlight=False)
    if out is not None:
        console.print(f"\n[bold green]Written to {out}/[/] (diff.json, moved_segments.csv)", highlight=False)
