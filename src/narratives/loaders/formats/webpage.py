"""Web pages (``.html``, ``.htm``): the article, not the navigation.

trafilatura extracts the main text (as Markdown, so headings survive); when it finds
nothing — very short or unusual pages — a simple fallback keeps ``<h1>``–``<h3>``,
``<p>`` and ``<li>`` text outside ``nav``/``header``/``footer``/``aside``. The title is
``og:title``, else ``<title>``. Web pages are hinted as news.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from narratives.errors import LoaderError
from narratives.loaders.base import Extracted, Line
from narratives.loaders.decoding import decode_text, normalise
from narratives.loaders.formats.markdown import markdown_to_lines

_SKIP = {"nav", "header", "footer", "aside", "script", "style", "noscript", "form", "button", "menu"}
_KEEP = {"h1": True, "h2": True, "h3": True, "p": False, "li": False, "blockquote": False}


def _title(tree: Any) -> str | None:
    for xpath in ("//meta[@property='og:title']/@content", "//meta[@name='og:title']/@content",
                  "//title/text()"):
        found = [str(v).strip() for v in tree.xpath(xpath) if str(v).strip()]
        if found:
            return " ".join(found[0].split())
    return None


def fallback_lines(tree: Any) -> list[Line]:
    """Headings, paragraphs and list items outside page chrome, in document order."""
    lines: list[Line] = []
    for element in tree.iter(*_KEEP):
        if any(ancestor.tag in _SKIP for ancestor in element.iterancestors()):
            continue
        text = " ".join(normalise(element.text_content()).split())
        if text:
            lines.append(Line(text, heading=_KEEP[element.tag]))
    return lines


class HtmlReader:
    """Reads saved web pages."""

    def read(self, path: Path, data: bytes) -> Extracted:
        import lxml.html
        import trafilatura

        html, decoded = decode_text(path, data)
        warnings = list(decoded)
        try:  # huge_tree: libxml2 otherwise drops everything nested deeper than 255 elements
            tree = lxml.html.fromstring(html, parser=lxml.html.HTMLParser(huge_tree=True))
        except Exception as exc:  # lxml raises ParserError / XMLSyntaxError on non-HTML
            raise LoaderError(path, f"is not readable HTML ({exc}); save the page again as HTML") from exc
        extracted = trafilatura.extract(html, output_format="markdown", include_comments=False,
                                        include_tables=False) or ""
        lines = markdown_to_lines(normalise(extracted)) if extracted.strip() else fallback_lines(tree)
        if not lines:
            lines = [Line(text) for text in flat_text(html)]
            if lines:
                warnings.append("the page's structure could not be read (nested too deeply, or no paragraphs); "
                                "its text was taken without headings")
        return Extracted(tuple(lines), title=_title(tree), warnings=tuple(warnings), soft_wrapped=True,
                         hint="news")


def flat_text(html: str) -> list[str]:
    """Every run of text outside scripts, styles and page chrome, by Python's own HTML parser
    (no depth limit): the last resort when lxml and trafilatura find no paragraphs."""
    from html.parser import HTMLParser

    class _Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.skip = 0
            self.texts: list[str] = []

        def handle_starttag(self, tag: str, attrs: object) -> None:
            self.skip += tag in _SKIP or tag == "title"

        def handle_endtag(self, tag: str) -> None:
            if (tag in _SKIP or tag == "title") and self.skip:
                self.skip -= 1

        def handle_data(self, data: str) -> None:
            text = " ".join(normalise(data).split())
            if text and not self.skip:
                self.texts.append(text)

    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.texts
