"""Loaders stage: files (and an optional manifest) → :class:`~narratives.models.Corpus`.

One small reader per format (:mod:`narratives.loaders.formats`), chosen by file suffix
from :data:`READERS`; format-blind steps after it: speaker turns (:mod:`.turns`), kind
inference (:mod:`.kinds`), furniture removal (:mod:`.furniture`), paragraphs and offsets
(:mod:`.paragraphs`). Heavy parsers are imported only when a file of their format is read.
"""

from narratives.loaders.base import Extracted, FormatReader, Line
from narratives.loaders.corpus import load_corpus
from narratives.loaders.corpus_manifest import ManifestEntry, read_manifest
from narratives.loaders.document import load_document
from narratives.loaders.formats import READERS, supported_suffixes

__all__ = [
    "READERS",
    "Extracted",
    "FormatReader",
    "Line",
    "ManifestEntry",
    "load_corpus",
    "load_document",
    "read_manifest",
    "supported_suffixes",
]
