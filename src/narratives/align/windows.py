"""What a segment was said in answer to, and around: context for coding.

A sentence such as "Difficult, but written down." says little alone; the question it
answers ("How does promotion work in the UK?") and the sentences around it say more. A
segment is coded on ``normalise(x + w * question + w * window)``, where ``x`` is the
segment's own embedding, ``question`` embeds the last interviewer turn before it (in a
transcript; zero elsewhere) and ``window`` embeds up to ``WINDOW_CHARS`` characters of
its turn or paragraph either side of it.

Measured on the usability think-aloud set (1,000 coded passages, 22 codes,
leave-one-session-out over P1–P9, calibrated aligner with examples): accuracy 0.485
without context, 0.543 with ``w = 0.5``; zero-shot it changes little (0.235 → 0.259).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from narratives.models import Document, Example, Segment
from narratives.types import BLEND_ROWS, Embedder, Vectors

WINDOW_CHARS = 300
"""Characters of the enclosing turn or paragraph kept on each side of the segment."""
QUESTION_CHARS = 300
"""Characters kept from the end of the interviewer's preceding turn."""


def _block_of(document: Document, start: int) -> int | None:
    for i, block in enumerate(document.blocks):
        if block.start <= start < block.end:
            return i
    return None


def question_and_window(document: Document, start: int, end: int) -> tuple[str | None, str]:
    """The interviewer turn before the span's block (if any) and a window around the span."""
    index = _block_of(document, start)
    if index is None:
        return None, document.text[start:end]
    block = document.blocks[index]
    lo, hi = max(block.start, start - WINDOW_CHARS), min(block.end, end + WINDOW_CHARS)
    window = " ".join(document.text[lo:hi].split())
    if block.role == "interviewer":
        return None, window
    for previous in reversed(document.blocks[:index]):
        if previous.kind == "turn" and previous.role == "interviewer":
            return " ".join(document.text[previous.start : previous.end][-QUESTION_CHARS:].split()), window
    return None, window


def with_question_and_window(
    embeddings: Vectors,
    segments: Sequence[Segment],
    documents: dict[str, Document],
    embedder: Embedder,
    weight: float,
    *,
    window: str = "text",
    progress: bool = False,
) -> Vectors:
    """Segment vectors blended with their question and window embeddings (rows follow ``segments``).

    ``window="text"`` embeds each window's text; ``window="segments"`` averages the vectors
    of the segments inside the window instead (:func:`segment_windows`), which embeds
    nothing more than the questions.
    """
    if weight <= 0 or not segments:
        return embeddings
    pairs = [question_and_window(documents[s.doc_id], s.start, s.end) for s in segments]
    windows = segment_windows(embeddings, segments) if window == "segments" else None
    return blend_question_and_window(embeddings, pairs, embedder, weight, windows=windows, progress=progress)


def segment_windows(embeddings: Vectors, segments: Sequence[Segment]) -> Vectors:
    """For each row, the mean vector of the rows of its block that lie within ``WINDOW_CHARS``
    of it (itself included): the text window, built from vectors already computed.

    Rows follow ``segments``, whose segments of one block must be in text order (as the
    segmenter gives them).
    """
    out = np.empty_like(embeddings, dtype=np.float32)
    blocks: dict[tuple[str, int], list[int]] = {}
    for i, segment in enumerate(segments):
        blocks.setdefault((segment.doc_id, segment.block), []).append(i)
    for rows in blocks.values():
        starts = np.array([segments[i].start for i in rows])
        ends = np.array([segments[i].end for i in rows])
        sums = np.zeros((len(rows) + 1, embeddings.shape[1]), dtype=np.float64)
        np.cumsum(embeddings[rows], axis=0, dtype=np.float64, out=sums[1:])
        first = np.searchsorted(ends, starts - WINDOW_CHARS, side="right")  # first row ending inside
        stop = np.searchsorted(starts, ends + WINDOW_CHARS, side="left")  # first row starting beyond
        out[rows] = ((sums[stop] - sums[first]) / (stop - first)[:, None]).astype(np.float32)
    return out


def blend_question_and_window(
    embeddings: Vectors,
    pairs: Sequence[tuple[str | None, str]],
    embedder: Embedder,
    weight: float,
    *,
    windows: Vectors | None = None,
    progress: bool = False,
) -> Vectors:
    """``normalise(x + weight * question + weight * window)`` for each row and its ``(question, window)``;
    the window texts are embedded unless their vectors are given as ``windows``."""
    if windows is None:
        windows = embedder.embed([w for _, w in pairs], progress=progress)
    asked = sorted({q for q, _ in pairs if q})
    question_rows = {q: i for i, q in enumerate(asked)}
    questions = embedder.embed(asked) if asked else np.zeros((0, embeddings.shape[1]), dtype=np.float32)
    question_of = np.array([question_rows[q] if q else -1 for q, _ in pairs], dtype=np.int64)
    out = np.empty(embeddings.shape, dtype=np.float32)
    for lo in range(0, len(embeddings), BLEND_ROWS):  # row by row in effect; chunks bound the float64 copies
        hi = min(lo + BLEND_ROWS, len(embeddings))
        blended = embeddings[lo:hi].astype(np.float64) + weight * windows[lo:hi].astype(np.float64)
        for i in np.flatnonzero(question_of[lo:hi] >= 0):
            blended[i] += weight * questions[question_of[lo + i]]
        blended /= np.maximum(np.linalg.norm(blended, axis=1, keepdims=True), 1e-12)
        out[lo:hi] = blended
    return out


def with_corpus_context(
    examples: Sequence[Example], segments: Sequence[Segment], documents: dict[str, Document]
) -> list[Example]:
    """``examples`` with the question and window they have in the corpus, so an example is learned
    from in the context it will be coded in: a segment's own when the example is one, else where
    its text is found in the documents (its group's document first; the others only for corpora
    under ``SCAN_CHARS`` characters). Examples found nowhere keep their own words alone."""
    from dataclasses import replace

    from narratives.align.decisions import passage_key

    where = {passage_key(s.text): s for s in reversed(segments)}
    pending = [i for i, x in enumerate(examples) if x.window is None and passage_key(x.text) not in where]
    everything = list(documents.values())
    scan = everything if sum(len(d.text) for d in everything) <= SCAN_CHARS else []
    found = {}
    for i in pending:
        hint = examples[i].group
        pool = [documents[hint]] if hint in documents else []
        (found[i],) = locate([examples[i].text], pool + scan, [hint])
    out = []
    for i, example in enumerate(examples):
        segment = where.get(passage_key(example.text))
        if example.window is not None:
            out.append(example)
            continue
        context = (question_and_window(documents[segment.doc_id], segment.start, segment.end)
                   if segment is not None else found.get(i))
        if context is None:
            out.append(example)
            continue
        question, window = context
        out.append(replace(example, question=example.question or question, window=window))
    return out


SCAN_CHARS = 20_000_000
"""Corpora up to this many characters are searched whole for examples that are not one of their segments."""


def locate(
    texts: Sequence[str], documents: Sequence[Document], hints: Sequence[str] = ()
) -> list[tuple[str | None, str] | None]:
    """Each passage's question and window in ``documents``, found by its opening words (up to 60
    characters); ``hints[i]`` may name the passage's file (``P2_GMT20211119.odt``) or document id
    to look in first. ``None`` for a passage not found."""
    from pathlib import PurePath

    by_name: dict[str, list[Document]] = {}
    for d in documents:
        for name in {d.doc_id, PurePath(d.source).name, PurePath(d.source).stem}:
            by_name.setdefault(name, []).append(d)
    out: list[tuple[str | None, str] | None] = []
    for i, text in enumerate(texts):
        passage = " ".join(text.split())
        hint = hints[i] if i < len(hints) else ""
        found = None
        for d in [*by_name.get(hint, []), *documents]:
            at = d.text.find(passage[:60])
            if at >= 0:
                found = question_and_window(d, at, at + len(passage))
                break
        out.append(found)
    return out


def coding_features(
    encoders: Sequence[Embedder],
    segments: Sequence[Segment],
    documents: dict[str, Document],
    weight: float,
    *,
    window: str = "text",
    known: dict[str, Vectors] | None = None,
    progress: bool = False,
) -> Vectors:
    """The rows an aligner codes: for each of its ``encoders``, the segments' vectors blended with
    their question and window (:func:`with_question_and_window`), the encoders side by side.

    ``known`` maps an encoder's identity to vectors of the segments' texts already computed
    (the run's embeddings), so they are not looked up again.
    """
    parts = []
    for encoder in encoders:
        vectors = (known or {}).get(encoder.identity)
        if vectors is None:
            vectors = encoder.embed([s.text for s in segments], progress=progress)
        parts.append(with_question_and_window(vectors, segments, documents, encoder, weight, window=window,
                                              progress=progress))
    return parts[0] if len(parts) == 1 else np.hstack(parts).astype(np.float32)


def example_features(encoders: Sequence[Embedder], examples: Sequence[Example], weight: float) -> Vectors:
    """Features of coded examples, made as :func:`coding_features` makes a segment's: blended with the
    example's question and window where it has them (its text alone stands for a missing window)."""
    pairs = [(x.question, x.window or x.text) for x in examples]
    texts = [x.text for x in examples]
    parts = []
    for encoder in encoders:
        vectors = encoder.embed(texts)
        parts.append(blend_question_and_window(vectors, pairs, encoder, weight) if weight > 0 else vectors)
    return parts[0] if len(parts) == 1 else np.hstack(parts).astype(np.float32)


def plain_features(encoders: Sequence[Embedder], texts: Sequence[str]) -> Vectors:
    """Features of texts coded on their own words (clauses, gold passages without context)."""
    parts = [encoder.embed(list(texts)) for encoder in encoders]
    return parts[0] if len(parts) == 1 else np.hstack(parts).astype(np.float32)
