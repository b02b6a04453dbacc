"""Writing one section of ``benchmarks/README.md``, shared by the benchmark scripts."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parent / "README.md"


def replace_section(heading: str, body: str, readme: Path = README) -> None:
    """Put ``heading`` + ``body`` in place of that section (up to the next ``## ``), or append it."""
    content = readme.read_text(encoding="utf-8")
    section = f"{heading}\n\n{body.rstrip()}\n"
    if heading in content:
        head, rest = content.split(heading, 1)
        tail = rest.split("\n## ", 1)
        content = head + section + ("\n## " + tail[1] if len(tail) > 1 else "")
    else:
        content = content.rstrip("\n") + "\n\n" + section
    readme.write_text(content, encoding="utf-8")
