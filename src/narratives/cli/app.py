"""``narratives`` commands. Each one is a thin layer over a library function.

Heavy modules (torch, BERTopic, spaCy, pandas) are imported inside the commands, so
``narratives --help`` answers at once.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from narratives.cli.failures import friendly_errors, run_as_process

app = typer.Typer(
    name="narratives",
    help="Analyse migration narratives offline: segment, embed, cluster and align interviews, "
    "news and papers to your codebook, and write reports you can verify.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
codebook_app = typer.Typer(help="Check codebook files.", no_args_is_help=True)
models_app = typer.Typer(help="List and verify the embedding models available offline.", no_args_is_help=True)
app.add_typer(codebook_app, name="codebook")
app.add_typer(models_app, name="models")


@app.command()
@friendly_errors
def run(
    inputs: Annotated[list[Path], typer.Argument(help="Files or folders of documents.", show_default=False)],
    codebook: Annotated[Path, typer.Option("--codebook", "-c", help="Codebook file (YAML, CSV or REFI-QDA .qdc).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory for the reports.")],
    manifest: Annotated[
        Path | None, typer.Option("--manifest", "-m", help="Corpus manifest (CSV or YAML) with metadata.")
    ] = None,
    participants: Annotated[
        Path | None,
        typer.Option("--participants", "-p", help="Participants table (CSV or .xlsx: participant, gender, country…), "
                     "joined to the transcripts' speakers."),
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Run configuration (YAML or TOML).")] = None,
    examples: Annotated[
        list[Path] | None,
        typer.Option("--examples", "-e", help="Coders' decisions to learn from: a filled-in sheet, or a CSV of text, "
                     "code[, decision, recode_to, coder]. Repeat it for each round's file."),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override one setting, e.g. --set align.threshold=0.4 (repeatable)."),
    ] = None,
    by: Annotated[
        list[str] | None,
        typer.Option("--by", help="Metadata column to break frequencies down by (repeatable)."),
    ] = None,
    verified: Annotated[
        list[Path] | None, typer.Option("--verified", help="A verified random sample (export --sample-random, "
                                        "filled in): the reports add corrected shares with 95% intervals.")
    ] = None,
    compare: Annotated[
        Path | None,
        typer.Option("--compare", help="A finished run to compare themes with [default: the run --out replaces]."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing output directory.")] = False,
    follow_links: Annotated[
        bool, typer.Option("--follow-links", help="Read files that links in an input folder point to outside it.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the output path.")] = False,
    backend: Annotated[
        str | None,
        typer.Option("--backend", help="Where loading, segmenting, embedding and coding run: local (default) or ray."),
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option("--ray-address", help="A running Ray cluster (auto, ray://HEAD:10001); default: this machine."),
    ] = None,
) -> None:
    """Analyse a corpus and write segments, theme frequencies, quotes, topics and a run manifest."""
    from rich.console import Console

    from narratives.config import load_config
    from narratives.pipeline import run as run_pipeline

    overrides = list(set_ or [])
    if by:
        overrides.append(f"report.by=[{', '.join(by)}]")
    if backend is not None:
        overrides.append(f"backend.name={backend}")
    if ray_address is not None:
        overrides.append(f"backend.ray_address={ray_address}")
        if backend is None:
            overrides.append("backend.name=ray")
    cfg = load_config(config, overrides)
    console = Console(stderr=True)

    def stage(message: str) -> None:
        if not quiet:
            console.print(f"[cyan]•[/] {message}", highlight=False)

    result = run_pipeline(
        inputs, codebook, out=out, manifest=manifest, participants=participants, config=cfg, examples=examples,
        compare=compare, verified=verified or (), force=force,
        follow_links=follow_links, progress=not quiet and sys.stderr.isatty(), on_stage=stage,
    )
    if quiet:
        typer.echo(str(out))
        return
    from narratives.cli.summary import print_summary

    print_summary(result, out, Console())


@app.command()
@friendly_errors
def evaluate(
    gold: Annotated[Path, typer.Argument(help="CSV of human-coded passages.", show_default=False)],
    codebook: Annotated[Path, typer.Option("--codebook", "-c", help="Codebook file (YAML, CSV or REFI-QDA .qdc).")],
    examples: Annotated[
        Path | None,
        typer.Option("--examples", "-e", help="Coded examples to fit on; the gold file itself means cross-validation."),
    ] = None,
    folds: Annotated[
        int | None,
        typer.Option("--folds", min=2, help="Cross-validation folds when --examples is the gold file [5]."),
    ] = None,
    group_column: Annotated[
        str | None, typer.Option("--group-column", help="Column naming the document/session; folds hold it out whole.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write predictions, per-code, confusion, reliability, summary.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --out directory.")] = False,
    predictions: Annotated[
        Path | None, typer.Option("--predictions", "-p", help="Write text, gold, predicted, score here.")
    ] = None,
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", min=0, help="Bootstrap resamples for the 95% intervals (0: none).")
    ] = 1000,
    text_column: Annotated[str | None, typer.Option("--text-column", help="Column with the passage.")] = None,
    code_column: Annotated[str | None, typer.Option("--code-column", help="Column with the human code.")] = None,
    id_column: Annotated[
        str | None,
        typer.Option("--id-column", help="Rows sharing this column's value are one unit with several codes."),
    ] = None,
    question_column: Annotated[
        str | None, typer.Option("--question-column", help="Column saying what each unit answers (codes per question).")
    ] = None,
    documents: Annotated[
        list[Path] | None,
        typer.Option("--documents", help="Transcripts the passages come from: code each in its context (repeatable)."),
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Run configuration (YAML or TOML).")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Override one setting (repeatable).")] = None,
) -> None:
    """Code human-coded passages and report agreement (accuracy, macro-F1, kappa with 95% intervals; for
    multi-label gold, micro- and macro-F1 over code sets), per-code scores, a confusion matrix and score
    calibration; optionally cross-validated."""
    from rich.console import Console

    from narratives.cli.summary import print_evaluation
    from narratives.config import load_config
    from narratives.evaluation import evaluate as run_evaluate

    cfg = load_config(config, list(set_ or []))
    result = run_evaluate(
        gold, codebook, examples=examples, folds=folds, group_column=group_column,
        text_column=text_column, code_column=code_column, id_column=id_column, question_column=question_column,
        documents=documents or (), config=cfg, resamples=bootstrap,
        predictions_out=predictions, out=out, force=force, progress=sys.stderr.isatty(),
    )
    print_evaluation(result, Console(), predictions=predictions, out=out)


@app.command()
@friendly_errors
def report(
    run_dir: Annotated[
        Path, typer.Argument(help="A run's output directory (narratives run --out).", show_default=False)
    ],
    figures: Annotated[
        bool, typer.Option("--figures/--no-figures", help="Also redraw figures/*.png and *.svg for papers.")
    ] = True,
) -> None:
    """Rebuild report.html (and its figures) from a finished run's folder, without recomputing anything."""
    from narratives.reports.page.build import write_report

    written = write_report(run_dir, figures=figures)
    typer.echo(f"wrote {written.page}")
    if written.figures:
        typer.echo(f"wrote {len(written.figures)} figures in {written.figures[0].parent}")
    typer.echo(f"open it: {written.page.resolve().as_uri()}")


@app.command()
@friendly_errors
def export(
    run_dir: Annotated[
        Path, typer.Argument(help="A run's output directory (narratives run --out).", show_default=False)
    ],
    to: Annotated[str, typer.Option("--to", "-t", help="qdpx (REFI-QDA project), qdc (codebook), xlsx or csv.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write (one per coder with --coders).")],
    coders: Annotated[
        str | None, typer.Option("--coders", help="Comma-separated coder names: one file each, own shuffled order.")
    ] = None,
    blind: Annotated[bool, typer.Option("--blind", help="Hide the machine's proposal and score.")] = False,
    units: Annotated[
        str, typer.Option("--units", help="quotes (the run's candidate quotes) or assigned (every coded segment).")
    ] = "quotes",
    sample: Annotated[
        int | None, typer.Option("--sample", min=1, help="At most N units, spread over codes.")
    ] = None,
    sample_random: Annotated[
        int | None, typer.Option("--sample-random", min=1, help="A uniform random sample of N coded segments "
                                 "(unassigned ones included), to verify for `narratives prevalence`.")
    ] = None,
    strata: Annotated[
        str | None, typer.Option("--strata", help="With --sample-random: draw within each value of this "
                                 "metadata column, in proportion.")
    ] = None,
    sample_uncertain: Annotated[
        int | None, typer.Option("--sample-uncertain", min=1, help="The N coded segments the aligner is least "
                                 "sure of, spread over codes and documents: to judge for the next --examples.")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed for sampling and shuffles (default: the run's).")
                    ] = None,
    deidentify: Annotated[
        bool, typer.Option("--deidentify", help="Replace names of people, places, institutions with [PERSON] etc.")
    ] = False,
    names: Annotated[
        Path | None, typer.Option("--names", help="Your list of names to replace (one per line).")
    ] = None,
    deidentify_map: Annotated[
        Path | None, typer.Option("--deidentify-map", help="Write the replacement map here (keep it private).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace existing files.")] = False,
) -> None:
    """Export candidate quotes for human coders: a REFI-QDA project for NVivo, ATLAS.ti, MAXQDA or
    QualCoder, a spreadsheet with drop-downs, a CSV, or the codebook as .qdc."""
    from narratives.coders.export import export_run

    who = [c.strip() for c in (coders or "").split(",") if c.strip()]
    result = export_run(
        run_dir, to.lower().lstrip("."), out, coders=who, blind=blind, units=units,  # type: ignore[arg-type]
        sample=sample, sample_random=sample_random, strata=strata, sample_uncertain=sample_uncertain, seed=seed,
        deidentify=deidentify, names=names,
        deidentify_map=deidentify_map, force=force,
    )
    what = ("codebook" if to.lower().lstrip(".") == "qdc" else
            f"a random sample of {result.sample.n} of {result.sample.population} coded segments, seed "
            f"{result.sample.seed}" if result.sample else
            f"the {result.units} coded segments it is least sure of, over every code" if sample_uncertain is not None
            else f"{result.units} candidate quotes")
    for path in result.files:
        typer.echo(f"wrote {path} ({what})")
    if deidentify:
        kept = f"; map in {result.map_file} (keep it private or delete it)" if result.map_file else ""
        typer.echo(f"de-identified: {result.replacements} names replaced{kept}")


@app.command()
@friendly_errors
def agreement(
    decisions: Annotated[
        list[Path], typer.Argument(help="Filled-in .xlsx/.csv files or .qdpx projects.", show_default=False)
    ],
    run_dir: Annotated[
        Path | None, typer.Option("--run", help="The run the quotes came from (its proposals and codebook).")
    ] = None,
    codebook: Annotated[
        Path | None, typer.Option("--codebook", "-c", help="Codebook, when --run is not given.")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the report's tables here.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --out directory.")] = False,
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", min=0, help="Bootstrap resamples for 95% intervals.")
    ] = 1000,
) -> None:
    """Agreement between coders and with the machine (percent, Cohen's kappa, Krippendorff's alpha,
    Gwet's AC1, with 95% intervals), the machine's precision, and the disagreements."""
    from rich.console import Console

    from narratives.cli.summary import print_agreement
    from narratives.coders.agreement_report import measure_agreement
    from narratives.reports.atomic import check_output_dir

    target = check_output_dir(out, force) if out is not None else None
    report = measure_agreement(decisions, run_dir=run_dir, codebook_path=codebook, reps=bootstrap)
    if target is not None:
        report.write(target)
    print_agreement(report, Console(), out=target)


@app.command()
@friendly_errors
def prevalence(
    run_dir: Annotated[
        Path, typer.Argument(help="A run's output directory (narratives run --out).", show_default=False)
    ],
    verified: Annotated[
        list[Path], typer.Option("--verified", help="A verified random sample: the filled-in file(s) of "
                                 "`export --sample-random`, or a CSV with segment_id and code.", show_default=False)
    ],
    by: Annotated[
        list[str] | None, typer.Option("--by", help="Also per group of this metadata column (repeatable).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write prevalence.csv and prevalence.json here.")
                   ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --out directory.")] = False,
) -> None:
    """Theme shares corrected by a coder's verified random sample, with 95% intervals
    (prediction-powered inference): what to report instead of the machine's raw counts."""
    from rich.console import Console

    from narratives.cli.summary import print_prevalence
    from narratives.coders.verification import measure_prevalence
    from narratives.reports.atomic import check_output_dir

    target = check_output_dir(out, force) if out is not None else None
    report = measure_prevalence(run_dir, verified, by or ())
    if target is not None:
        report.write(target)
    print_prevalence(report, Console(), out=target)


@app.command()
@friendly_errors
def diff(
    run_a: Annotated[Path, typer.Argument(help="The earlier run's output directory.", show_default=False)],
    run_b: Annotated[Path, typer.Argument(help="The later run's output directory.", show_default=False)],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write diff.json and moved_segments.csv here.")
                   ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --out directory.")] = False,
) -> None:
    """What changed between two runs and why: codebook entries added, removed or reworded, examples,
    settings, and the segments whose theme moved, with counts and shares per theme before and after."""
    from rich.console import Console

    from narratives.cli.summary import print_diff
    from narratives.reports.atomic import check_output_dir
    from narratives.reports.changes import diff_runs

    target = check_output_dir(out, force) if out is not None else None
    changes = diff_runs(run_a, run_b)
    if target is not None:
        from narratives.reports.changes import write_diff

        write_diff(changes, target)
    print_diff(changes, Console(), out=target)


@codebook_app.command("validate")
@friendly_errors
def codebook_validate(
    path: Annotated[Path, typer.Argument(help="Codebook file (YAML, CSV or REFI-QDA .qdc).", show_default=False)],
) -> None:
    """Check a codebook and list its themes and subthemes."""
    from rich.console import Console
    from rich.tree import Tree

    from narratives.codebook import load_codebook

    book = load_codebook(path)
    tree = Tree(f"[bold]{book.name}[/] — {len(book.themes)} themes, {len(book.entries) - len(book.themes)} subthemes")
    for theme in book.themes:
        branch = tree.add(f"[bold]{theme.id}[/]  {theme.label}")
        for sub in book.subthemes(theme.id):
            branch.add(f"{sub.id}  {sub.label}")
    console = Console()
    console.print(tree)
    console.print(f"[green]✓[/] {path} is a valid codebook", highlight=False, soft_wrap=True)


@models_app.command("list")
@friendly_errors
def models_list() -> None:
    """List the embedding models known offline and whether each is installed."""
    from rich.console import Console
    from rich.table import Table

    from narratives.embed import list_models

    table = Table("name", "package", "version", "installed")
    for info in list_models():
        table.add_row(info.name, info.package, info.version or "", "yes" if info.installed else "no")
    Console().print(table)


@models_app.command("verify")
@friendly_errors
def models_verify(
    name: Annotated[str, typer.Argument(help="Model name or local path.")] = "all-MiniLM-L6-v2",
) -> None:
    """Check a model's files against the sha256 hashes pinned in models/."""
    from rich.console import Console

    from narratives.embed import verify_model

    resolved = verify_model(name)
    Console().print(
        f"[green]✓[/] {resolved.name}: {len(resolved.files)} files verified "
        f"(model.safetensors sha256 {resolved.sha256}) at {resolved.path}", highlight=False,
    )


def main() -> None:
    """Console-script entry point; warnings print as one line each, without source lines."""
    import warnings

    def one_line(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
        sys.stderr.write(f"warning: {message}\n")

    warnings.showwarning = one_line
    run_as_process(app)
