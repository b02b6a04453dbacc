"""PDF (``.pdf``) via pypdf's text layer.

PDF text comes as laid-out lines, so this reader rebuilds paragraphs:

* running headers and footers — a short line among the first or last two of a page that
  recurs (digits ignored) on at least half of the pages — are dropped, and so are bare
  page numbers (``12``, ``Page 3 of 10``, ``- 4 -``);
* a line that ends a sentence and is clearly shorter than the text width ends a
  paragraph; any other line continues it, also across a page break;
* ``develop-`` / ``ment`` is rejoined (:attr:`Extracted.dehyphenate`).

A PDF without a text layer (a scan) is refused with advice to OCR it.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from pathlib import Path

from narratives.errors import LoaderError
from narratives.loaders.base import Extracted, Line
from narratives.loaders.decoding import normalise

_PAGE_NUMBER = re.compile(r"^(?:page\s*)?[-–—]?\s*\d{1,4}\s*[-–—]?(?:\s*(?:of|/)\s*\d{1,4})?$", re.IGNORECASE)
_SENTENCE_END = (".", "!", "?", ":", '"', "”", "’", ")")


def _key(line: str) -> str:
    return re.sub(r"\d+", "#", line.lower()).strip()


def drop_page_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Remove running headers/footers and page numbers from each page's lines."""
    edge = 2
    counts: Counter[str] = Counter()
    for lines in pages:
        # running headers and footers are short; body text at a page edge is not furniture
        edges = lines[:edge] + lines[-edge:]
        counts.update({_key(line) for line in edges if len(line) <= 90 and len(line.split()) >= 2})
    threshold = max(2, (len(pages) + 1) // 2)
    repeated = {key for key, n in counts.items() if n >= threshold} if len(pages) >= 2 else set()
    cleaned: list[list[str]] = []
    for lines in pages:
        keep: list[str] = []
        for i, line in enumerate(lines):
            at_edge = i < edge or i >= len(lines) - edge
            if at_edge and (_key(line) in repeated or _PAGE_NUMBER.match(line)):
                continue
            keep.append(line)
        cleaned.append(keep)
    return cleaned


def pages_to_lines(pages: list[list[str]]) -> list[Line]:
    """Turn page lines into :class:`Line` records with paragraph boundaries."""
    flat = [line for page in pages for line in page]
    long_lines = sorted(len(line) for line in flat if len(line) > 20)
    width = long_lines[len(long_lines) * 3 // 4] if long_lines else 80
    out: list[Line] = []
    ended = True
    for line in flat:
        out.append(Line(line, new_paragraph=ended))
        short = len(line) < 0.8 * width
        ended = short and (line.endswith(_SENTENCE_END) or len(line.split()) <= 12)
    return out


class PdfReader:
    """Reads the text layer of a PDF."""

    def read(self, path: Path, data: bytes) -> Extracted:
        from pypdf import PdfReader as _Reader

        try:
            reader = _Reader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise LoaderError(path, "is an encrypted PDF; remove the password and load it again")
            texts = [page.extract_text() or "" for page in reader.pages]
            meta_title = (reader.metadata.title if reader.metadata else None) or None
        except LoaderError:
            raise
        except ImportError as exc:
            raise LoaderError(path, f"needs a package that is not installed to read it ({exc}); "
                              "reinstall narratives (pip install -e .) to get it") from exc
        except Exception as exc:  # pypdf raises many error types on damaged files
            if type(exc).__name__ == "DependencyError":  # pypdf: AES needs the cryptography package
                raise LoaderError(path, f"is encrypted with AES, which needs the cryptography package ({exc}); "
                                  "pip install cryptography, or remove the encryption") from exc
            raise LoaderError(
                path,
                f"is not a readable PDF ({type(exc).__name__}: {exc}); re-export or re-save it as PDF",
            ) from exc
        pages = [[ln.strip() for ln in normalise(text).split("\n") if ln.strip()] for text in texts]
        if not any(pages):
            raise LoaderError(path, "no text layer (scanned PDF?) — run OCR first (e.g. ocrmypdf) "
                              "and load the OCR'd PDF")
        lines = pages_to_lines(drop_page_furniture(pages))
        title = str(meta_title).strip() if meta_title else None
        return Extracted(tuple(lines), title=title or None, soft_wrapped=True, dehyphenate=True)
