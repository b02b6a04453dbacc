"""Speaker turns in transcripts: label shapes, roles, and the turn blocks.

Recognised labels at the start of a line, optionally after a timestamp
(``[00:12:31] P5:``, ``00:12:31 P5:``, ``(12:31) P5:``), or followed by one the way
transcription services write them, with the text on the next line (Otter, Teams and Zoom:
``Ayesha Malik  0:09``, ``[Ayesha Malik] 10:01:23``; Rev: ``Bilal Ahmed (00:00:09):``, also
with the text after the colon):

* *standard* labels — ``P5``, ``Participant 3``, ``Speaker 2``, ``Respondent 4``,
  ``Interviewer``, ``Moderator``, ``Facilitator``, ``Researcher``, ``Int``, ``I``, ``R``,
  ``Q``, ``A``, ``Question``, ``Answer``;
* *names* — one to three capitalised words, optionally after a title (``Dr Khan``).

A document is a transcript when at least two lines carry labels that recur and those
lines are a good share of the text (30 %, or at least four standard-label turns), or when
standard labels name both an interviewer and a participant (``Interviewer:`` … ``P1:``,
even once each).
This keeps ``Note: the clinic ...`` or ``Time: 3pm`` in an article from becoming a
turn. Once a document is a transcript, only standard labels, recurring names and the
interviewers named in the manifest start turns; any other line continues the turn
before it, so ``[Urdu: ...]`` translations and stage directions stay inside the turn.

Usability think-aloud transcripts have a second shape: the moderator's task lines
start with a task number (``1``, ``1.a``, ``c.ii``), the participant's talk is
unlabelled, stage directions are in parentheses, and ``MODERATOR:`` marks the odd
interjection. That shape is used when there are three or more task lines plus a
moderator label or a stage direction.

Roles: ``interviewer`` for Interviewer/I/Int/Moderator/Facilitator/Researcher/Q/Question
(with or without a number) and for manifest-named interviewers; ``participant`` otherwise.
When no label says who asks (``Speaker 1``/``Speaker 2``), :func:`infer_interviewer`
picks the speaker whose turns are mostly short questions, if there clearly is one.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from narratives.loaders.base import Line
from narratives.loaders.headings import looks_like_heading
from narratives.models import Block, SpeakerRole

_TIME = r"\d{1,2}(?::\d{2}){1,2}(?:[.,]\d{1,3})?"
_TIMESTAMP = rf"(?:\[(?P<ts1>{_TIME})\]|\((?P<ts2>{_TIME})\)|(?P<ts3>\d{{1,2}}:\d{{2}}:\d{{2}}(?:[.,]\d{{1,3}})?))"
_STANDARD_WORDS = (r"Participant|Respondent|Speaker|Interviewee|Informant|Interviewer|Moderator|"
                   r"Facilitator|Researcher|Question|Answer")
_STANDARD = rf"(?:P\s?\d{{1,3}}|(?:{_STANDARD_WORDS})(?:\s?#?\d{{1,3}})?|Int|IV|IE|I|R|Q|A)"
_NAME = r"(?:(?:Dr|Mr|Mrs|Ms|Miss|Prof)\.?\s+)?[A-Z][\w'’\-]*(?:\s+[A-Z][\w'’\-]*){0,2}"
_LABEL = re.compile(rf"^(?:{_TIMESTAMP}\s*[-–]?\s*)?(?P<label>{_STANDARD}|{_NAME})\s*:(?=\s|$)\s*")
# Services that put the time after the name, the text on the next line or after a colon:
# Otter, Teams and Zoom downloads ("Ayesha Malik  0:09", "[Ayesha Malik] 10:01:23") and Rev
# ("Bilal Ahmed (00:00:09):", also followed by the text on the same line).
_HEADER = re.compile(
    rf"^(?:\[(?P<bracketed>{_STANDARD}|{_NAME})\]|(?P<label>{_STANDARD}|{_NAME}))"
    rf"(?:\s+(?P<plain>{_TIME})|\s*\((?P<paren>{_TIME})\))\s*(?P<colon>:)?\s*"
)
# NVivo's shapes put the time (or a timespan, "0:00:07.1 - 0:00:14.1") first: NVivo Transcription's text
# export ("00:00:07 Speaker 2", the text on the next line), and its import tables saved as text, the
# columns joined by tabs (read as spaces) or commas ("0:00:07.1 - 0:00:14.1  Speaker 2  The salary ...").
TIMESPAN = rf"{_TIME}(?:\s*[-–]\s*{_TIME})?"
"""A time, or a timespan as NVivo writes it (``0:00:07.1 - 0:00:14.1``)."""
_SPAN_FIRST = rf"^(?:\[(?P<t1>{TIMESPAN})\]|\((?P<t2>{TIMESPAN})\)|#?(?P<t3>{TIMESPAN})#?)"
_SPOKEN = (r"(?:P\s?\d{1,3}|(?:Participant|Respondent|Speaker|Interviewee|Informant)\s?#?\d{1,3}|"
           r"Interviewer|Moderator|Facilitator|Researcher)")
_TIME_FIRST = (
    re.compile(rf"{_SPAN_FIRST}\s*[-–]?\s*(?P<label>{_STANDARD}|{_NAME})\s*$"),  # the text on the next line
    re.compile(rf"{_SPAN_FIRST}\s*[,;]\s*(?P<label>{_STANDARD}|{_NAME})\s*[,;]\s*(?=\S)"),  # delimited columns
    re.compile(rf"{_SPAN_FIRST}\s+(?P<label>{_SPOKEN})\s+(?=\S)"),  # tab-separated columns, read as spaces
)
_STARTS_WITH_TIME = re.compile(rf"{_SPAN_FIRST}(?:\s|,|;|$)")
_STANDARD_FULL = re.compile(rf"{_STANDARD}", re.IGNORECASE)
_INTERVIEWER = {"interviewer", "i", "int", "iv", "moderator", "mod", "facilitator", "researcher",
                "q", "question"}
# Capitalised words that end in a colon in ordinary prose, never speakers.
_NOT_SPEAKERS = {
    "note", "notes", "nb", "time", "date", "location", "place", "venue", "keywords", "keyword",
    "abstract", "title", "source", "sources", "subject", "re", "example", "figure", "fig", "table",
    "published", "updated", "tags", "tag", "category", "duration", "transcript", "interview",
    "recording", "summary", "background", "aim", "aims", "objective", "objectives", "methods",
    "results", "conclusion", "conclusions", "tel", "phone", "email", "e-mail", "fax", "address",
    "website", "url", "doi", "isbn", "issn", "copyright", "correspondence", "author", "authors",
    "editor", "photo", "image", "credit", "caption", "warning", "update", "edit", "step", "task",
    "reference", "references", "read", "share", "follow", "also", "see", "definition", "key",
    "important", "tip", "caution", "examples", "total", "age", "gender",
    "specialty", "country", "status", "purpose", "design", "setting", "findings", "implications",
}
_TASK = re.compile(r"^(?P<num>\d{1,2}(?:\.(?:[a-z]{1,4}|\d{1,2}))*|[a-z]\.[ivx]{1,5})[.)]?\s+(?=\S)")
_STAGE = re.compile(r"^\([^()]*\)[.!]?$")


@dataclass(frozen=True, slots=True)
class Label:
    """A speaker label found at the start of a line."""

    speaker: str
    content_start: int
    timestamp: str | None
    standard: bool

    @property
    def key(self) -> str:
        """The label compared case- and space-insensitively (``P 5`` == ``p5``)."""
        return re.sub(r"\s+", "", self.speaker).lower()


def has_standard_label(lines: Iterable[str]) -> bool:
    """Whether any line starts with a standard speaker label (``P1:``, ``Interviewer:``, ``Q:``)."""
    return any((label := match_label(line, names=False)) is not None and label.standard for line in lines)


def match_label(line: str, *, names: bool = True) -> Label | None:
    """The speaker label at the start of ``line``, or ``None``.

    ``content_start`` is where what was said begins (after the label and spaces).
    """
    found = _LABEL.match(line)
    if found is not None:
        speaker = found.group("label")
        timestamp = found.group("ts1") or found.group("ts2") or found.group("ts3")
    elif (found := _HEADER.match(line)) is not None:
        # the name and time alone on the line, or (Rev) followed by a colon and the text
        if found.end() < len(line) and not found.group("colon"):
            return None
        speaker = found.group("bracketed") or found.group("label")
        timestamp = found.group("plain") or found.group("paren")
    else:
        found = next((m for pattern in _TIME_FIRST if (m := pattern.match(line)) is not None), None)
        if found is None:
            return None
        speaker = found.group("label")
        timestamp = span_start(found.group("t1") or found.group("t2") or found.group("t3"))
    speaker = " ".join(speaker.split())
    standard = _STANDARD_FULL.fullmatch(speaker) is not None
    if not standard and (not names or speaker.lower() in _NOT_SPEAKERS):
        return None
    return Label(speaker, found.end(), timestamp, standard)


def span_start(span: str) -> str:
    """The start of a :data:`TIMESPAN` (the time itself for a single time)."""
    return re.split(r"\s*[-–]\s*", span)[0]


def timed_lines(lines: Iterable[str]) -> int:
    """How many lines start with a time or a timespan (``00:00:07``, ``0:00:07.1 - 0:00:14.1``)."""
    return sum(1 for line in lines if _STARTS_WITH_TIME.match(line))


def role_of(speaker: str, interviewers: Iterable[str] = ()) -> SpeakerRole:
    """``interviewer`` for interviewer-like labels and manifest-named interviewers."""
    key = re.sub(r"[\s#]*\d+$", "", speaker.strip()).lower()
    named = {" ".join(name.split()).lower() for name in interviewers}
    return "interviewer" if key in _INTERVIEWER or " ".join(speaker.split()).lower() in named else "participant"


def _labels(lines: Sequence[Line]) -> list[Label | None]:
    labels: list[Label | None] = []
    for line in lines:
        if line.speaker is not None:
            start = len(line.speaker) + 1
            start += len(line.text[start:]) - len(line.text[start:].lstrip())
            labels.append(Label(line.speaker, start, line.timestamp, True))
        else:
            labels.append(match_label(line.text))
    return labels


def _accepted_keys(labels: Sequence[Label | None], n_lines: int, interviewers: Iterable[str],
                   forced: bool) -> set[str] | None:
    """Keys of labels that start turns, or ``None`` when the text is not a label transcript."""
    found = [label for label in labels if label is not None]
    counts = Counter(label.key for label in found)
    named = {re.sub(r"\s+", "", name).lower() for name in interviewers}
    accepted = {label.key for label in found if label.standard or counts[label.key] >= 2 or label.key in named}
    recurring = sum(n for key, n in counts.items() if n >= 2)
    turns = sum(1 for label in found if label.key in accepted)
    standard = sum(1 for label in found if label.standard)
    if forced and turns >= 1:
        return accepted
    if recurring >= 2 and (turns >= 0.3 * n_lines or standard >= 4):
        return accepted
    roles = {role_of(label.speaker, interviewers) for label in found if label.standard or label.key in named}
    if roles == {"interviewer", "participant"}:  # one question and one answer: still an interview
        return accepted
    return None


def _task_shape(lines: Sequence[Line], labels: Sequence[Label | None]) -> bool:
    """Think-aloud shape: numbered task lines outnumber labelled lines (see module docstring)."""
    tasks = sum(1 for line in lines if _TASK.match(line.text))
    labelled = sum(1 for label in labels if label is not None)
    moderator = any(label is not None and role_of(label.speaker) == "interviewer" for label in labels)
    stage = any(_STAGE.match(line.text) for line in lines)
    return tasks >= 3 and tasks > labelled and (moderator or stage) and tasks <= 0.6 * len(lines)


@dataclass
class _Open:
    start: int | None
    end: int
    speaker: str | None
    timestamp: str | None


def build_transcript(lines: Sequence[Line], *, interviewers: Sequence[str] = (),
                     forced: bool = False) -> tuple[str, list[Block]] | None:
    """Text and blocks of a transcript, or ``None`` when ``lines`` hold no speaker turns.

    The text is the lines joined by newlines, labels kept verbatim. Each turn block
    covers only what was said: from after the label to the end of its last line.
    ``forced`` (the manifest says *transcript*) accepts any single recognised label.
    """
    if not lines:
        return None
    labels = _labels(lines)
    tasks = _task_shape(lines, labels)
    captions = any(line.timestamp is not None for line in lines)
    accepted = _accepted_keys(labels, len(lines), interviewers, forced)
    if accepted is None and (tasks or captions):
        accepted = {label.key for label in labels if label is not None and label.standard}
    if accepted is None:
        return None

    text_parts: list[str] = []
    blocks: list[Block] = []
    offset = 0
    current: _Open | None = None

    def close() -> None:
        nonlocal current
        if current is not None and current.start is not None and current.end > current.start:
            role = role_of(current.speaker, interviewers) if current.speaker else None
            blocks.append(Block(current.start, current.end, "turn" if current.speaker else "paragraph",
                                current.speaker, role, current.timestamp))
        current = None

    for line, label in zip(lines, labels, strict=True):
        text = line.text
        end = offset + len(text)
        task = _TASK.match(text) if tasks else None
        if label is not None and label.key in accepted:
            close()
            start = offset + label.content_start if label.content_start < len(text) else None
            current = _Open(start, end, label.speaker, label.timestamp)
        elif task is not None:
            close()
            current = _Open(offset + task.end(), end, "Moderator", None)
        elif tasks and _STAGE.match(text):
            close()
        elif line.timestamp is not None and line.speaker is None:  # caption text without voices
            close()
            current = _Open(offset, end, None, line.timestamp)
        elif current is not None and current.speaker is not None and not (
            tasks and role_of(current.speaker) == "interviewer"
        ):
            current.end = end
            if current.start is None:
                current.start = offset
        elif tasks:
            close()
            current = _Open(offset, end, "Participant", None)
        else:
            close()
            heading = line.heading or looks_like_heading(text)
            blocks.append(Block(offset, end, "heading" if heading else "paragraph"))
        text_parts.append(text)
        offset = end + 1
    close()
    text = "\n".join(text_parts)
    return text, infer_interviewer(text, blocks)


_PARTICIPANT_LABEL = re.compile(r"^(?:p|participant|r|respondent|interviewee)\s*\d*$", re.IGNORECASE)


def infer_interviewer(text: str, blocks: list[Block]) -> list[Block]:
    """Mark the interviewer in a transcript whose labels do not say who asks.

    Auto-transcripts label turns ``Speaker 1:``/``Speaker 2:``. When no turn already has
    the interviewer role, the one speaker whose turns are mostly questions (at least
    half end in ``?``, 0.3 more than any other speaker's) and shorter on average than
    everyone else's is taken as the interviewer. Participant-style labels (``P5``,
    ``Respondent 2``) are never chosen. Otherwise the blocks are returned unchanged.
    """
    turns = [b for b in blocks if b.kind == "turn" and b.speaker]
    if len(turns) < 4 or any(b.role == "interviewer" for b in turns):
        return blocks
    stats: dict[str, list[tuple[bool, int]]] = {}
    for block in turns:
        said = text[block.start : block.end].rstrip()
        stats.setdefault(block.speaker or "", []).append((said.endswith("?"), len(said.split())))
    if len(stats) < 2:
        return blocks
    question_share = {s: sum(q for q, _ in v) / len(v) for s, v in stats.items()}
    mean_words = {s: sum(n for _, n in v) / len(v) for s, v in stats.items()}
    asker = max(question_share, key=lambda s: question_share[s])
    others = [s for s in stats if s != asker]
    if (
        _PARTICIPANT_LABEL.match(asker.strip())
        or question_share[asker] < 0.5
        or any(question_share[asker] - question_share[o] < 0.3 for o in others)
        or any(mean_words[asker] >= mean_words[o] for o in others)
    ):
        return blocks
    return [replace(b, role="interviewer") if b.kind == "turn" and b.speaker == asker else b for b in blocks]
