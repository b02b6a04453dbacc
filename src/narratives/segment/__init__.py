"""Segmentation: documents in, sentence or passage :class:`~narratives.models.Segment` s out.

Every segment's ``start``/``end`` are character offsets into ``document.text`` such that
``document.text[start:end] == segment.text``.
"""

from narratives.segment.spacy_segmenter import SpacySegmenter, build_segmenter, segment_corpus

__all__ = ["SpacySegmenter", "build_segmenter", "segment_corpus"]
