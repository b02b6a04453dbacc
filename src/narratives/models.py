"""Typed, immutable records passed between pipeline stages.

Stages exchange these records and NumPy arrays, never a shared DataFrame. Offsets are
always character offsets into :attr:`Document.text` (Python ``str`` indices), so for
every segment ``document.text[segment.start:segment.end] == segment.text``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

DocumentKind = Literal["transcript", "news", "paper", "other"]
DOCUMENT_KINDS: tuple[DocumentKind, ...] = ("transcript", "news", "paper", "other")

BlockKind = Literal["paragraph", "turn", "heading"]
SpeakerRole = Literal["interviewer", "participant", "speaker"]
SegmentUnit = Literal["sentence", "passage"]

UNASSIGNED = "unassigned"
"""Theme id given to a segment or cluster whose best score is below the threshold."""


@dataclass(frozen=True, slots=True)
class Block:
    """A span of a document's text: a paragraph, a heading, or one speaker turn.

    For a turn, ``start``/``end`` cover what was *said* (the label such as ``P5:`` or
    ``[00:12:31] Interviewer:`` lies before ``start``), and ``speaker`` is the label as
    written (``"P5"``, ``"Interviewer"``, ``"Dr Khan"``). ``role`` tells the segmenter
    whether the turn is the interviewer's (kept, but excluded from coding by default).
    """

    start: int
    end: int
    kind: BlockKind = "paragraph"
    speaker: str | None = None
    role: SpeakerRole | None = None
    timestamp: str | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """One input file after loading and cleaning.

    ``text`` is the cleaned text the toolkit analyses and every offset points into.
    ``blocks`` partition the meaningful parts of ``text`` (paragraphs, headings, turns),
    in order and without overlap. ``metadata`` holds manifest columns (participant
    attributes for transcripts; outlet and date for news) as strings.
    """

    doc_id: str
    text: str
    kind: DocumentKind
    title: str
    source: str
    blocks: tuple[Block, ...]
    metadata: Mapping[str, str] = field(default_factory=dict)
    sha256: str = ""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """An input file that could not be used, and why (shown in the summary and manifest)."""

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class Corpus:
    """What the loaders return: documents in a stable order, plus files skipped."""

    documents: tuple[Document, ...]
    skipped: tuple[SkippedFile, ...] = ()
    warnings: tuple[str, ...] = ()
    participants: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Participant id → attributes, from a participants table (``--participants``)."""
    speaker_ids: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """``(doc_id, speaker label)`` → the participant id that speaker was matched to."""
    participants_source: str | None = None
    """The participants table's path, when one was joined."""

    def speaker_metadata(self, document: Document, speaker: str | None) -> Mapping[str, str]:
        """The document's metadata, with the speaker's participant id and attributes over it."""
        participant = self.speaker_ids.get((document.doc_id, speaker)) if speaker else None
        if participant is None:
            return document.metadata
        return {**document.metadata, "participant": participant, **self.participants.get(participant, {})}

    def metadata_columns(self) -> list[str]:
        """Every metadata column of the documents and the participants table, sorted."""
        keys = {k for d in self.documents for k in d.metadata}
        keys.update(k for attributes in self.participants.values() for k in attributes)
        if self.speaker_ids:
            keys.add("participant")
        return sorted(keys)


@dataclass(frozen=True, slots=True)
class Segment:
    """A unit of text that is embedded, clustered and coded.

    ``segment_id`` is stable for the same input and settings: ``{doc_id}:s0007`` for the
    eighth sentence, ``{doc_id}:p0003`` for the fourth passage. ``block`` indexes into
    :attr:`Document.blocks`.
    """

    segment_id: str
    doc_id: str
    unit: SegmentUnit
    index: int
    block: int
    start: int
    end: int
    text: str
    speaker: str | None = None
    role: SpeakerRole | None = None


@dataclass(frozen=True, slots=True)
class Theme:
    """A codebook entry: a theme (``parent is None``) or a subtheme of ``parent``."""

    id: str
    label: str
    definition: str
    parent: str | None = None
    keywords: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    include: str = ""
    exclude: str = ""
    group: bool = False
    """A folder of codes (a QDA tool's parent code, e.g. "Question 1 themes") with no definition of
    its own: its subthemes are coded, it never is on its own."""
    question: str = ""
    """The question this code answers (a survey's or interview guide's question, as the coded file's
    question column writes it); empty: any question. A subtheme takes its theme's."""


@dataclass(frozen=True, slots=True)
class Assignment:
    """A theme proposed for one segment or cluster, with the score behind it.

    ``theme`` is a top-level theme id or :data:`UNASSIGNED`; ``subtheme`` is one of that
    theme's subtheme ids or ``None``. ``score`` is in [0, 1]; higher means surer.
    ``best_theme`` keeps the nearest theme even when it fell below the threshold, so a
    researcher can see what was almost chosen.
    """

    theme: str
    subtheme: str | None
    score: float
    best_theme: str | None = None
    best_subtheme: str | None = None
    also: tuple[tuple[str, float], ...] = ()
    """Further themes that also pass the threshold (multi-label), as ``(theme id, score)``."""
    coded_by: str = "machine"
    """``machine``, or ``coder`` when a coder's decision on this very passage set the code."""


@dataclass(frozen=True, slots=True)
class Example:
    """A coded passage used as evidence for a code: a coder's accepted (or rejected) quote.

    ``code`` is a codebook entry id (theme or subtheme). ``accepted=False`` records that a
    coder rejected ``code`` for this text (negative evidence). ``group`` names the unit
    examples come in (a document or session), so cross-validation can hold whole groups out.
    """

    text: str
    code: str
    accepted: bool = True
    group: str = ""
    source: str = ""
    coder: str = ""
    """Who decided (a coder's name or file); each coder's last word on a passage counts once."""
    question: str | None = None
    """What the passage answers (the interviewer's turn before it), when known."""
    window: str | None = None
    """The text around the passage (itself included), when known; see :mod:`narratives.align.windows`."""


@dataclass(frozen=True, slots=True)
class Topic:
    """A cluster of segments found by the clusterer (``cluster == -1`` is the outlier bin)."""

    cluster: int
    size: int
    label: str
    keywords: tuple[str, ...]
    representative_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Quote:
    """A candidate quotation for a theme, traceable to file, speaker and offsets."""

    theme: str
    subtheme: str | None
    rank: int
    segment_id: str
    doc_id: str
    source: str
    speaker: str | None
    start: int
    end: int
    text: str
    score: float
    context_before: str
    context_after: str


@dataclass(frozen=True, slots=True)
class Codebook:
    """A researcher's codebook: top-level themes and their subthemes, in file order.

    Built and validated by :func:`narratives.align.load_codebook`; ids are unique across
    themes and subthemes, and every subtheme's ``parent`` is a top-level theme.
    """

    name: str
    entries: tuple[Theme, ...]
    source: str = ""
    sha256: str = ""
    description: str = ""
    notes: tuple[str, ...] = ()
    """What loading decided that the file did not say (e.g. a parent kept as a group of codes)."""

    @property
    def themes(self) -> tuple[Theme, ...]:
        """Top-level themes, in file order."""
        return tuple(t for t in self.entries if t.parent is None)

    def subthemes(self, theme_id: str) -> tuple[Theme, ...]:
        """Subthemes of ``theme_id``, in file order (empty for a theme without any)."""
        return tuple(t for t in self.entries if t.parent == theme_id)

    def get(self, theme_id: str) -> Theme:
        """The entry with id ``theme_id``; ``KeyError`` naming the known ids otherwise."""
        for entry in self.entries:
            if entry.id == theme_id:
                return entry
        known = ", ".join(t.id for t in self.entries)
        raise KeyError(f"no codebook entry '{theme_id}'; known ids: {known}")

    def top_level(self, entry_id: str) -> str:
        """The top-level theme id of an entry (itself if it is a theme)."""
        entry = self.get(entry_id)
        return entry.parent or entry.id
