"""One small reader per file format; importing this package registers them all.

Third-party parsers (python-docx, odfpy, pypdf, trafilatura, webvtt-py) are imported
inside ``read`` so that importing :mod:`narratives.loaders` stays cheap.
"""

from narratives.loaders.formats import captions, markdown, opendocument, pdf, plain, webpage, word

__all__ = ["captions", "markdown", "opendocument", "pdf", "plain", "webpage", "word"]
