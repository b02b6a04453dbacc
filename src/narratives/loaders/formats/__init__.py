"""One small reader per file format, and the one table of which reader reads which suffix.

The table is written out here rather than filled by decorators on import, so the readers
import nothing back from this package (as spaCy moved its registrations out of decorators).
Third-party parsers (python-docx, odfpy, pypdf, trafilatura, webvtt-py) are imported
inside ``read`` so that importing :mod:`narratives.loaders` stays cheap.
"""

from __future__ import annotations

from pathlib import Path

from narratives.errors import ConfigError, LoaderError
from narratives.loaders.base import FormatReader
from narratives.loaders.formats.captions import SrtReader, VttReader
from narratives.loaders.formats.markdown import MarkdownReader
from narratives.loaders.formats.opendocument import OdtReader
from narratives.loaders.formats.pdf import PdfReader
from narratives.loaders.formats.plain import PlainTextReader
from narratives.loaders.formats.webpage import HtmlReader
from narratives.loaders.formats.word import DocxReader
from narratives.registry import Registry

__all__ = ["READERS", "reader_for", "supported_suffixes"]

_TABLE: dict[str, type[FormatReader]] = {
    ".txt": PlainTextReader, ".text": PlainTextReader,
    ".md": MarkdownReader, ".markdown": MarkdownReader,
    ".docx": DocxReader,
    ".odt": OdtReader,
    ".pdf": PdfReader,
    ".html": HtmlReader, ".htm": HtmlReader, ".xhtml": HtmlReader,
    ".vtt": VttReader,
    ".srt": SrtReader,
}

READERS: Registry[FormatReader] = Registry("loader")
"""Readers by lower-case file suffix (``".txt"``), from the table above."""
for _suffix, _reader in _TABLE.items():
    READERS.register(_suffix)(_reader)


def supported_suffixes() -> tuple[str, ...]:
    """The file suffixes a reader is registered for, sorted."""
    return READERS.names()


def reader_for(path: Path) -> FormatReader:
    """The reader for ``path``'s suffix; :class:`LoaderError` naming the supported ones."""
    suffix = path.suffix.lower()
    try:
        factory = READERS.get(suffix)
    except ConfigError:
        shown = suffix or "(no suffix)"
        raise LoaderError(
            path,
            f"unsupported file type '{shown}'; convert it to one of {', '.join(READERS.names())} "
            "or move it out of the input folder",
        ) from None
    return factory()
