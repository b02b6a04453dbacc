"""OpenDocument text (``.odt``) via odfpy.

``text:p`` and ``text:h`` elements are read in document order (including those inside
lists, tables and sections); ``text:h`` becomes a heading line. Leading tabs and spaces
used for indentation are dropped.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from narratives.errors import LoaderError
from narratives.loaders.base import Extracted, Line
from narratives.loaders.decoding import normalise


def _walk(node: Any) -> Iterator[Line]:
    from odf import teletype
    from odf.namespaces import TEXTNS

    for child in node.childNodes:
        if child.nodeType != child.ELEMENT_NODE:
            continue
        if child.qname in ((TEXTNS, "p"), (TEXTNS, "h")):
            heading = child.qname[1] == "h"
            first = True
            for raw in normalise(teletype.extractText(child)).split("\n"):
                text = raw.strip()
                if text:
                    yield Line(text, new_paragraph=first, heading=heading)
                    first = False
        elif child.qname != (TEXTNS, "tracked-changes"):
            yield from _walk(child)


class OdtReader:
    """Reads .odt files."""

    def read(self, path: Path, data: bytes) -> Extracted:
        from odf.opendocument import load

        try:
            document = load(io.BytesIO(data))
            lines = tuple(_walk(document.text))
        except Exception as exc:  # odfpy raises zip, XML and key errors on damaged files
            raise LoaderError(
                path,
                f"is not a readable .odt ({type(exc).__name__}: {exc}); open and re-save it in "
                "LibreOffice, or export it as .txt",
            ) from exc
        return Extracted(lines)
