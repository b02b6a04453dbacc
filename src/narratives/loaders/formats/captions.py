"""Captions: WebVTT (``.vtt``) and SubRip (``.srt``) via webvtt-py.

Zoom and Teams export transcripts as captions. The speaker of a cue is its voice span
(``<v Dr Khan>``) or a ``P5:``-style label at the start of its text; a cue with neither
continues the previous speaker. Consecutive cues of the same speaker are merged into one
turn whose timestamp is the first cue's start. Without any speakers, cues are merged
into paragraphs that end where a cue ends a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from narratives.errors import LoaderError
from narratives.loaders.base import Extracted, Line
from narratives.loaders.decoding import decode_text
from narratives.loaders.turns import match_label


@dataclass
class _Turn:
    speaker: str | None
    timestamp: str
    parts: list[str] = field(default_factory=list)


def cues_to_lines(cues: list[tuple[str, str | None, str]]) -> list[Line]:
    """Merge ``(start, voice, text)`` cues into one :class:`Line` per turn."""
    turns: list[_Turn] = []
    for start, voice, raw in cues:
        text = " ".join(raw.split())
        if not text:
            continue
        speaker = voice.strip() if voice else None
        label = match_label(text, names=True)
        if speaker is None and label is not None:
            speaker, text = label.speaker, text[label.content_start:].strip()
        if speaker is None and turns:
            previous = turns[-1]
            ended = previous.parts[-1].endswith((".", "!", "?", "…"))
            if previous.speaker is not None or not ended:
                previous.parts.append(text)
                continue
        if turns and speaker is not None and turns[-1].speaker == speaker:
            turns[-1].parts.append(text)
            continue
        turns.append(_Turn(speaker, start, [text]))
    lines: list[Line] = []
    for turn in turns:
        body = " ".join(part for part in turn.parts if part)
        if not body:
            continue
        text = f"{turn.speaker}: {body}" if turn.speaker else body
        lines.append(Line(text, speaker=turn.speaker, timestamp=turn.timestamp))
    return lines


class _CaptionReader:
    fmt = "vtt"

    def read(self, path: Path, data: bytes) -> Extracted:
        import webvtt

        text, warnings = decode_text(path, data)
        try:
            if self.fmt == "srt":
                import io

                captions = webvtt.WebVTT.from_buffer(io.StringIO(text), format="srt")
            else:
                captions = webvtt.from_string(text)
            cues = [(c.start, c.voice, c.text) for c in captions.captions]
        except Exception as exc:  # webvtt-py raises MalformedFileError and friends
            raise LoaderError(
                path,
                f"is not a valid {self.fmt.upper()} caption file ({exc}); re-export the captions "
                "or save the transcript as .txt",
            ) from exc
        lines = cues_to_lines(cues)
        return Extracted(tuple(lines), warnings=warnings, hint="transcript")


class VttReader(_CaptionReader):
    """Reads WebVTT captions."""

    fmt = "vtt"


class SrtReader(_CaptionReader):
    """Reads SubRip captions."""

    fmt = "srt"
