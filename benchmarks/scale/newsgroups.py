"""20 Newsgroups posts as a corpus of plain-text documents, cut to a number of sentences.

Each post becomes one ``.txt`` file (``<group>/<split>-<number>.txt``) with its Usenet
headers, quoted lines (``>``) and signature removed, and a ``manifest.csv`` giving each
document its newsgroup (the gold label) as the ``group`` column. Posts are taken in a
seeded random order until the corpus holds at least ``sentences`` sentences (counted
with the same blank spaCy sentencizer ``narratives`` segments with). Beyond the size of
the whole set (about 200k sentences) the posts are repeated as new documents
(``…-r2.txt``), which is what a corpus of reprinted wire stories looks like.
"""

from __future__ import annotations

import csv
import gzip
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
DATA = Path("benchmarks/20newsgroups/20news-bydate.jsonl.gz")
_HEADER = re.compile(r"^[A-Za-z-]+: .*$")
_SIGNATURE = re.compile(r"^(-- ?|_{5,}|-{5,})$")


@dataclass(frozen=True, slots=True)
class Post:
    post_id: str
    group: str
    text: str


def data_file(shared: Path = SHARED) -> Path:
    return shared / DATA


def clean(raw: str) -> str:
    """The body of a post: headers, quoted lines, attributions and the signature removed."""
    head, _, body = raw.partition("\n\n")
    if not all(_HEADER.match(line) or not line.strip() for line in head.splitlines()):
        body = raw  # no header block
    kept: list[str] = []
    for line in body.splitlines():
        stripped = line.strip()
        if _SIGNATURE.match(stripped):
            break
        if stripped.startswith((">", "|", ":")) or re.search(r"\b(writes|wrote):\s*$", stripped):
            continue
        kept.append(line.rstrip())
    text = "\n".join(kept)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def posts(shared: Path = SHARED, split: str | None = None, min_words: int = 5) -> Iterator[Post]:
    """Every post (of ``split``, ``train`` or ``test``, when given) with a body of at least
    ``min_words`` words, in file order."""
    with gzip.open(data_file(shared), "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if split is not None and record["split"] != split:
                continue
            body = clean(record["text"])
            if len(body.split()) >= min_words:
                yield Post(record["id"].replace("/", "-"), record["group"], body)


def build_posts(folder: Path, split: str = "test", *, shared: Path = SHARED) -> dict[str, int]:
    """Every post of ``split`` as one document (``<group>/<id>.txt``) and ``manifest.csv``
    giving its newsgroup as ``group``: the corpus stock BERTopic gets as its documents.

    Returns counts: ``documents`` and ``dropped`` (posts with no body once headers, quotes and
    signature are removed).
    """
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for post in posts(shared, split, min_words=1):
        relative = f"{post.group}/{post.post_id}.txt"
        (folder / post.group).mkdir(exist_ok=True)
        (folder / relative).write_text(post.text + "\n", encoding="utf-8")
        rows.append((relative, post.group))
    with (folder / "manifest.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "group"])
        writer.writerows(rows)
    with gzip.open(data_file(shared), "rt", encoding="utf-8") as handle:
        total = sum(json.loads(line)["split"] == split for line in handle)
    return {"documents": len(rows), "dropped": total - len(rows)}


def _sentences(texts: list[str]) -> list[int]:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.max_length = 5_000_000
    return [sum(1 for s in doc.sents if s.text.strip()) for doc in nlp.pipe(texts, batch_size=256)]


def build(folder: Path, sentences: int, *, seed: int = 0, shared: Path = SHARED) -> dict[str, int]:
    """Write posts into ``folder`` until it holds at least ``sentences`` sentences.

    Returns counts: ``documents``, ``sentences`` (by the sentencizer) and ``repeats``.
    """
    pool = list(posts(shared))
    random.Random(seed).shuffle(pool)
    counts = _sentences([p.text for p in pool])
    folder.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, str]] = []
    total, repeat = 0, 1
    while total < sentences:
        for post, n in zip(pool, counts, strict=True):
            if total >= sentences:
                break
            suffix = "" if repeat == 1 else f"-r{repeat}"
            relative = f"{post.group}/{post.post_id}{suffix}.txt"
            path = folder / relative
            path.parent.mkdir(exist_ok=True)
            path.write_text(post.text + "\n", encoding="utf-8")
            rows.append((relative, post.group))
            total += n
        repeat += 1
    with (folder / "manifest.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "group"])
        writer.writerows(rows)
    return {"documents": len(rows), "sentences": total, "repeats": repeat - 1}
