"""The main job: corpus in, theme reports out. The CLI and the notebook API both call :func:`run`.

Order of work is chosen so that mistakes cost nothing: the codebook, config and output
directory are checked before any file is read, and the manifest columns named for
breakdowns are checked before anything is embedded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from narratives.config import RunConfig, load_config
from narratives.errors import ConfigError, InputError
from narratives.models import Assignment, Codebook, Corpus, Example, Segment
from narratives.reports.atomic import check_output_dir
from narratives.result import RunResult
from narratives.stages import StageMeter
from narratives.types import Aligner, Vectors

if TYPE_CHECKING:
    from narratives.backends import Backend
    from narratives.coders.verification import PrevalenceReport
    from narratives.reports.run_dir import SavedRun

StageCallback = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def _status(segment: Segment, kind: str, config: RunConfig) -> str:
    """``coded``, or why the segment is kept but not coded."""
    if segment.role == "interviewer" and not config.segment.include_interviewer:
        return "interviewer"
    if kind == "transcript" and segment.speaker is None:
        return "outside-turn"  # a transcript's header or notes, not anyone's speech
    if len(segment.text.split()) < config.segment.min_words:
        return "too-short"
    return "coded"


def analyse(
    corpus: Corpus,
    codebook: Codebook,
    config: RunConfig,
    *,
    examples: Sequence[Example] = (),
    progress: bool = False,
    on_stage: StageCallback = _quiet,
    meter: StageMeter | None = None,
    backend: Backend | None = None,
) -> RunResult:
    """Segment, embed, cluster and align an already-loaded corpus.

    ``examples`` are coded passages (a coder's accepted and rejected quotes) that the
    aligner learns from besides the codebook. ``meter`` collects each stage's time and
    peak memory; ``backend`` runs the parallel work (in-process when ``None``).
    """
    from narratives.align import build_aligner
    from narratives.align.decisions import CoderEvidence
    from narratives.align.multilabel import with_clause_themes
    from narratives.align.windows import coding_features, with_corpus_context
    from narratives.backends import LocalBackend
    from narratives.cluster import build_clusterer
    from narratives.cluster.cache import ClusterCache, cluster_key
    from narratives.cluster.jit_cache import cache_compiled_code
    from narratives.cluster.neighbours import with_context
    from narratives.embed import build_embedder
    from narratives.embed.on_backend import on_backend
    from narratives.segment import segment_corpus
    from narratives.segment.cache import SegmentCache, segments_key

    meter = StageMeter() if meter is None else meter
    backend = LocalBackend() if backend is None else backend
    notes: list[str] = []
    cache_dir = config.resolved_cache_dir()
    with meter.stage("segment"):
        on_stage(f"Segmenting {len(corpus.documents)} documents into {config.segment.unit}s")
        segment_cache = SegmentCache(cache_dir)
        segment_key = segments_key(corpus.documents, config.segment)
        found = segment_cache.get(segment_key, corpus.documents)
        if found is None:
            found = segment_corpus(corpus.documents, config.segment, mapper=backend.map)
            segment_cache.put(segment_key, found, corpus.documents)
        segments = tuple(found)
        kinds = {d.doc_id: d.kind for d in corpus.documents}
        status = tuple(_status(s, kinds[s.doc_id], config) for s in segments)
    coded_idx = [i for i, s in enumerate(status) if s == "coded"]
    if not coded_idx:
        from collections import Counter

        why = ", ".join(f"{n} {reason}" for reason, n in sorted(Counter(status).items())) or "no segments at all"
        notes.append(
            f"nothing was coded ({why}), so every count is zero: lower segment.min_words "
            f"(now {config.segment.min_words}), set segment.include_interviewer=true, or check the speaker labels"
        )
    rows = np.full(len(segments), -1, dtype=np.int64)
    rows[coded_idx] = np.arange(len(coded_idx))
    texts = [segments[i].text for i in coded_idx]
    ids = [segments[i].segment_id for i in coded_idx]

    with meter.stage("embed"):
        embedder = on_backend(build_embedder(config.embed, cache_dir), backend)
        on_stage(f"Embedding {len(texts):,} segments with {config.embed.model}")
        embeddings = embedder.embed(texts, progress=progress)
    cache = {"from_cache": embedder.hits, "embedded": embedder.misses}
    if config.embed.runtime == "static":
        notes.append(STATIC_NOTE)

    with meter.stage("cluster"):
        on_stage("Clustering segments into candidate topics")
        context = with_context(embeddings, [segments[i] for i in coded_idx], config.cluster.context_weight)
        clusters_cache = ClusterCache(cache_dir)
        key = cluster_key(context, texts, ids, config.cluster, config.seed)
        cached = clusters_cache.get(key)
        if cached is not None:
            clustered = cached
            notes.append("topics reused from the cluster cache: same vectors, texts and cluster settings")
        else:
            cache_compiled_code(cache_dir / "numba")
            clusterer = build_clusterer(config.cluster, config.seed)
            clustered = clusterer.fit(texts, context, ids, mapper=backend.map)
            clusters_cache.put(key, clustered)
        del context
        notes.extend([*segment_cache.notes, *clusters_cache.notes, *clustered.notes])
    meter.split("cluster", "reduce", clustered.timings.get("reduce", 0.0) + clustered.timings.get("place", 0.0))
    clusters = np.full(len(segments), -1, dtype=np.int64)
    clusters[coded_idx] = clustered.labels
    map_segments = np.asarray(coded_idx, dtype=np.intp)[clustered.map_rows]

    with meter.stage("align"):
        documents = {d.doc_id: d for d in corpus.documents}
        coded_segments = [segments[i] for i in coded_idx]
        evidence = CoderEvidence(examples, codebook)
        learn_from = with_corpus_context(evidence.examples(), coded_segments, documents)
        learned = f" and {len(learn_from):,} coders' decisions" if learn_from else ""
        on_stage(f"Aligning segments and topics to codebook '{codebook.name}'{learned}")
        aligner = build_aligner(config.align, config.seed, embed=config.embed, cache_dir=cache_dir,
                                progress=progress).fit(
            codebook, embedder, examples=learn_from
        )
        if config.align.context_weight > 0:
            on_stage("Embedding each segment's question and surrounding text for context")
        features = coding_features(
            aligner.encoders, coded_segments, documents, config.align.context_weight, window=config.align.window,
            known={embedder.identity: embeddings}, progress=progress,
        )
        coded_assignments = assign_in_chunks(aligner, features, evidence.blocked(texts), backend)
        coded_assignments = evidence.override(coded_assignments, texts)
        if config.align.multi_label:
            on_stage("Coding each segment's clauses for second themes (multi-label)")
            coded_assignments = with_clause_themes(coded_assignments, texts, aligner)
        topic_assignments = aligner.assign_clusters(clustered.labels, features)
        del features
    coders = {**evidence.counts(), "disagreements": [
        {"text": d.text, "code": d.code, "given_by": list(d.given_by), "taken_by": list(d.taken_by),
         "outcome": d.outcome}
        for d in evidence.disagreements
    ]}
    notes.extend(n for n in embedder.cache.notes if n not in notes)
    cache["align_from_cache"] = embedder.hits - cache["from_cache"]
    cache["align_embedded"] = embedder.misses - cache["embedded"]
    assignments: list[Assignment | None] = [None] * len(segments)
    for i, assignment in zip(coded_idx, coded_assignments, strict=True):
        assignments[i] = assignment

    return RunResult(
        config=config,
        corpus=corpus,
        codebook=codebook,
        segments=segments,
        status=status,
        rows=rows,
        embeddings=embeddings,
        clusters=clusters,
        assignments=tuple(assignments),
        topics=clustered.topics,
        topic_assignments=topic_assignments,
        map_segments=map_segments,
        map_xy=clustered.map_xy,
        timings=meter.seconds,
        peak_memory_mb=meter.peak_mb,
        backend=backend.describe(),
        notes=notes,
        model=embedder.describe(),
        cache=cache,
        examples=tuple(examples),
        aligner=aligner.describe(),
        coders=coders,
    )


def run(
    inputs: Sequence[str | Path],
    codebook: str | Path | Codebook,
    *,
    out: str | Path | None = None,
    manifest: str | Path | None = None,
    participants: str | Path | None = None,
    config: RunConfig | str | Path | None = None,
    examples: str | Path | Sequence[str | Path] | Sequence[Example] | None = None,
    compare: str | Path | None = None,
    verified: Sequence[str | Path] = (),
    force: bool = False,
    follow_links: bool = False,
    progress: bool = False,
    on_stage: StageCallback = _quiet,
) -> RunResult:
    """Run the whole pipeline; write the reports to ``out`` when given.

    ``config.backend`` says where the parallel stages run (see :mod:`narratives.backends`);
    the results are the same on every backend.

    Args:
        inputs: files and/or directories of documents.
        codebook: a codebook file (YAML or CSV) or a loaded :class:`Codebook`.
        out: output directory for the reports; ``None`` keeps everything in memory.
        manifest: a corpus manifest (CSV or YAML) joining metadata to files.
        participants: a participants table (CSV or .xlsx, one row per participant id) whose
            attributes join to the transcripts' speakers (:mod:`narratives.loaders.participants`).
        config: a :class:`RunConfig`, a config file path, or ``None`` for defaults.
        examples: coded passages to learn from: a file (a returned sheet or project, or a CSV of
            ``text, code`` and optionally ``decision, recode_to, coder, document``; see
            :mod:`narratives.codebook.coded`), several files (each round's), or :class:`Example`
            records. Each round of decisions improves the next run.
        verified: a coder's verified random sample (from ``narratives export --sample-random`` on
            a run with the same segments): the reports add shares corrected by it, with 95%
            intervals (``prevalence.csv``; :mod:`narratives.prevalence`). Needs ``out``.
        compare: a finished run's folder to compare themes with; by default the run that ``out``
            replaces (with ``force``), if any. The result's ``changes`` say how many segments moved.
        force: replace an existing output directory.
        follow_links: read the files that links inside an input folder point to even when they
            lie outside it (by default such links are skipped, with the reason in the manifest).
        progress: show a progress bar while embedding.
        on_stage: called with a one-line message as each stage starts.

    Returns:
        The :class:`RunResult`, whose DataFrame methods give the same tables as the files.
    """
    from narratives.codebook import load_codebook
    from narratives.codebook.coded import load_examples

    example_files: list[Path] = []
    if isinstance(examples, (str, Path)):
        example_files = [Path(examples)]
    elif examples is not None:
        example_files = [Path(p) for p in examples if isinstance(p, (str, Path))]
    read = [*inputs, *verified, *example_files,
            *(p for p in (codebook, manifest, participants, config) if isinstance(p, (str, Path)))]
    if verified and out is None:
        raise InputError("--verified corrects the shares in the run's reports: give --out too")
    for path in verified:
        if not Path(path).is_file():
            raise InputError(f"{path}: verified file not found; check the path")
    out_dir = check_output_dir(out, force, inputs=read, results_marker="run_manifest.json") if out is not None else None
    meter = StageMeter()
    if not isinstance(config, RunConfig):
        config = load_config(config)
    if not isinstance(codebook, Codebook):
        codebook = load_codebook(codebook)
    coded: tuple[Example, ...] = ()
    if example_files:
        coded = tuple(x for path in example_files for x in load_examples(path, codebook))
    elif examples is not None and not isinstance(examples, (str, Path)):
        coded = tuple(x for x in examples if isinstance(x, Example))
    before = _run_to_compare(compare, out_dir)
    if not inputs:
        raise InputError("no input given: name at least one file or directory of documents")

    from narratives.backends import build_backend

    with build_backend(config.backend) as backend:
        if backend.name != "local":
            info = backend.describe()
            on_stage(f"Loading, segmenting, embedding and coding on {backend.name} "
                     f"({info.get('workers')} workers at {info.get('address')})")
        result = _load_and_analyse(
            inputs, manifest, codebook, config, coded, backend=backend, meter=meter, progress=progress,
            on_stage=on_stage, follow_links=follow_links, participants=participants,
        )
    result.examples_files = tuple(str(p) for p in example_files)
    if before is not None:
        from narratives.reports.changes import compare_with
        from narratives.reports.run_manifest import examples_record

        try:
            result.changes = compare_with(result.segments_frame(), before, codebook=result.codebook,
                                          config=result.config.model_dump(mode="json"),
                                          examples=examples_record(result))
        except InputError as exc:
            if compare is not None:
                raise
            result.notes.append(f"not compared with the run this one replaces: {exc}")
        if result.changes is not None:
            on_stage(result.changes.headline())
    if out_dir is not None:
        from narratives.reports.writer import write_reports

        on_stage(f"Writing reports to {out_dir}")
        written = write_reports(result, out_dir, inputs=inputs, manifest=manifest,
                                correct=_corrector(verified, config.report.by, Path(out_dir)) if verified else None)
        result = replace(result, timings=written.timings, peak_memory_mb=written.peak_memory_mb,
                         prevalence=written.prevalence)
    return result


def _corrector(verified: Sequence[str | Path], by: Sequence[str], out: Path) -> Callable[[SavedRun], PrevalenceReport]:
    """``run --verified``: the shares of the run as written, corrected by the verified sample."""
    from narratives.coders.verification import prevalence_of

    files = [Path(p) for p in verified]
    return lambda saved: replace(prevalence_of(saved, files, by), run_dir=out)


def _run_to_compare(compare: str | Path | None, out_dir: Path | None) -> Path | None:
    """The run folder to compare themes with: ``compare`` (checked now), else the run ``out_dir`` replaces."""
    if compare is not None:
        folder = Path(compare)
        if not (folder / "segments.csv").is_file():
            raise InputError(f"{folder}: --compare needs a folder `narratives run --out` wrote (no segments.csv)")
        return folder
    if out_dir is not None and (out_dir / "segments.csv").is_file():
        return out_dir
    return None


def _load_and_analyse(
    inputs: Sequence[str | Path], manifest: str | Path | None, codebook: Codebook, config: RunConfig,
    examples: Sequence[Example], *, backend: Backend, meter: StageMeter, progress: bool, on_stage: StageCallback,
    follow_links: bool = False, participants: str | Path | None = None,
) -> RunResult:
    from narratives.loaders import load_corpus

    with meter.stage("load"):
        on_stage("Loading documents")
        corpus = load_corpus(list(inputs), manifest=manifest, mapper=backend.map, follow_links=follow_links,
                             participants=participants, cache_dir=config.resolved_cache_dir())
    if not corpus.documents:
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in corpus.skipped[:5])
        raise InputError(
            "no readable documents in the input" + (f" ({reasons})" if reasons else "")
            + ". Supported: .txt .md .docx .odt .pdf .html .vtt .srt"
        )
    known = corpus.metadata_columns()
    missing = [c for c in config.report.by if c not in known]
    if missing:
        raise ConfigError(
            f"report.by names {', '.join(missing)}, which no document has. Metadata columns: "
            f"{', '.join(known) or 'none (give --manifest to add participant attributes)'}"
        )

    return analyse(
        corpus, codebook, config, examples=examples, progress=progress, on_stage=on_stage, meter=meter,
        backend=backend,
    )


STATIC_NOTE = (
    "embed.runtime=static: segments were embedded by a static model distilled from the run's model; its topics "
    "were worse on 20 Newsgroups (NMI 0.281 against 0.434) and it codes zero-shot far worse (usability set 0.141 "
    "against 0.233, benchmarks/README.md). Treat these topics and themes as a first look, and code a study with "
    "the default runtime or coded examples"
)

ALIGN_CHUNK = 10_000
"""Rows of vectors per batch the aligner codes (a fixed size, so backends agree)."""


def assign_in_chunks(
    aligner: Aligner, features: Vectors, blocked: Sequence[frozenset[str]], backend: Backend
) -> list[Assignment]:
    """``aligner.assign`` over fixed chunks of rows, run by ``backend`` (each row is coded alone);
    ``blocked[i]`` names the entries coders rejected for row ``i``."""
    from narratives.backends import batches

    chunks = list(zip(batches(features, ALIGN_CHUNK), batches(list(blocked), ALIGN_CHUNK), strict=True))
    return [a for chunk in backend.map(_assign, aligner, chunks) for a in chunk]


def _assign(aligner: Aligner, chunk: tuple[Vectors, list[frozenset[str]]]) -> list[Assignment]:
    features, blocked = chunk
    return aligner.assign(features, blocked=blocked if any(blocked) else None)
