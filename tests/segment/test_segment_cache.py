"""A re-run of the same corpus reuses its segment boundaries, and never reuses stale ones."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from narratives.config import SegmentConfig
from narratives.models import Block, Document
from narratives.segment import segment_corpus
from narratives.segment.cache import SegmentCache, segments_key

TEXT = (
    "Interviewer: Why did you go?\n\n"
    "P1: The pay was an insult. We had no gloves on the ward [laughs]. My mother cried at the airport.\n"
)


def _documents() -> list[Document]:
    question = TEXT.index("Why")
    answer = TEXT.index("The pay")
    blocks = (
        Block(question, question + len("Why did you go?"), "turn", "Interviewer", "interviewer"),
        Block(answer, len(TEXT) - 1, "turn", "P1", "participant"),
    )
    return [
        Document("int-p1", TEXT, "transcript", "P1", "p1.txt", blocks),
        Document("ed-1", "Doctors leave. Nurses follow them. Wards close.", "editorial", "Ed", "ed.txt",
                 (Block(0, 47),)),
    ]


@pytest.mark.parametrize("unit", ["sentence", "passage"])
def test_a_hit_gives_exactly_what_segmenting_gives(tmp_path: Path, unit: str) -> None:
    documents, config = _documents(), SegmentConfig(unit=unit)  # type: ignore[arg-type]
    segmented = segment_corpus(documents, config)
    cache = SegmentCache(tmp_path)
    key = segments_key(documents, config)
    assert cache.get(key, documents) is None
    cache.put(key, segmented, documents)
    assert cache.get(key, documents) == segmented
    assert [s.speaker for s in segmented][:1] == ["Interviewer"]


def test_anything_segmentation_reads_changes_the_key() -> None:
    documents, config = _documents(), SegmentConfig()
    key = segments_key(documents, config)
    edited = [dataclasses.replace(documents[0], text=TEXT.replace("insult", "outrage")), documents[1]]
    renamed = [dataclasses.replace(documents[0], doc_id="int-p2"), documents[1]]
    relabelled = [documents[0], dataclasses.replace(documents[1], blocks=(Block(0, 47, "turn", "P9", "participant"),))]
    variants = [
        segments_key(edited, config),
        segments_key(renamed, config),
        segments_key(relabelled, config),
        segments_key(documents[::-1], config),
        segments_key(documents, SegmentConfig(unit="passage")),
        segments_key(documents, SegmentConfig(passage_sentences=2)),
    ]
    assert key == segments_key(_documents(), SegmentConfig())
    assert len({key, *variants}) == len(variants) + 1


def test_an_unreadable_entry_is_a_miss(tmp_path: Path) -> None:
    documents, config = _documents(), SegmentConfig()
    cache = SegmentCache(tmp_path)
    key = segments_key(documents, config)
    cache.put(key, segment_corpus(documents, config), documents)
    assert cache.get(key, documents[:1]) is None  # fewer documents than the entry names
    (tmp_path / "segments" / f"{key}.npz").write_bytes(b"not an npz file")
    assert cache.get(key, documents) is None
