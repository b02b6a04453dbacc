"""A participants table as a paper keeps it ("Table 1"), joined to the speakers of a corpus.

One row per participant: an id column (``participant``, ``participant_id``, ``id``,
``pseudonym``, ``speaker`` or ``name``) and any attributes (``gender``, ``specialty``,
``country``, ``years_abroad`` …). CSV (UTF-8) or ``.xlsx`` (the first sheet). No ``file``
column is needed: rows join to transcripts by speaker label, so a focus group's speakers
each get their own attributes.

A speaker matches a row when its label is the row's id, compared without case and spaces,
with ``Participant 5``, ``Respondent 5``, ``P05`` and ``P5`` the same. A transcript with one
participant speaker whose manifest names its ``participant`` matches that row too. Rows
that match no speaker, and participant speakers that match no row, are listed, never
dropped silently.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from narratives.errors import ManifestError
from narratives.models import Document

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ID_COLUMNS", "ParticipantTable", "SpeakerMatches", "match_speakers", "participant_key", "participant_keys",
           "read_participants"]

ID_COLUMNS = ("participant", "participant_id", "participant id", "id", "pseudonym", "speaker", "name", "code")
_FILE_NAME = re.compile(r"[/\\]|\.(?:txt|md|docx|odt|pdf|html?|vtt|srt)$", re.IGNORECASE)
_NUMBERED = re.compile(r"^(?:p|participant|respondent|interviewee|informant|r)\s*#?\s*0*(\d+)$")


def participant_key(label: str) -> str:
    """A label compared the way people write ids: ``Participant 05`` == ``P5`` == ``p 5``."""
    text = " ".join(str(label).split()).lower()
    numbered = _NUMBERED.match(text)
    return f"p{numbered.group(1)}" if numbered else text.replace(" ", "")


@dataclass(frozen=True)
class ParticipantTable:
    """Rows by :func:`participant_key`: the id as written and the attributes (text)."""

    source: str
    id_column: str
    ids: Mapping[str, str]
    attributes: Mapping[str, Mapping[str, str]]

    def attributes_by_id(self) -> dict[str, Mapping[str, str]]:
        """Attributes by the participant id as the table writes it."""
        return {self.ids[key]: values for key, values in self.attributes.items()}


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        from narratives.safe_files import check_zip

        check_zip(path).close()
        try:
            book = load_workbook(path, read_only=True, data_only=True)
            values = list(book.worksheets[0].iter_rows(values_only=True))
            book.close()
        except Exception as exc:  # openpyxl raises many kinds on damaged files
            raise ManifestError(f"{path}: cannot read the spreadsheet ({exc}); save it again as .xlsx") from None
        if not values:
            return [], []
        header = ["" if h is None else str(h).strip() for h in values[0]]
        return [h for h in header if h], [
            {h: "" if v is None else str(v).strip() for h, v in zip(header, row, strict=False) if h}
            for row in values[1:]
        ]
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ManifestError(f"{path}: not UTF-8 text (byte {exc.start}); save the table as UTF-8 CSV") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]
    return [h.strip() for h in reader.fieldnames or [] if h and h.strip()], rows


def is_participants_table(path: Path) -> bool:
    """A CSV or ``.xlsx`` with a participant id column and no ``file`` column."""
    if path.suffix.lower() not in (".csv", ".xlsx") or not path.is_file():
        return False
    try:
        columns, rows = _rows(path)
    except ManifestError:
        return False
    lowered = {h.lower(): h for h in columns}
    id_column = next((lowered[c] for c in ID_COLUMNS if c in lowered), None)
    if "file" in lowered or id_column is None:
        return False
    # ids that are file names mean a manifest whose file column is misnamed: let its error say so
    return not any(_FILE_NAME.search(row.get(id_column, "")) for row in rows)


def read_participants(path: str | Path) -> ParticipantTable:
    """Read a participants table (see the module docstring).

    Raises:
        ManifestError: the file is missing or unreadable, has no id column, or lists an id twice.
    """
    path = Path(path)
    if not path.is_file():
        raise ManifestError(f"{path}: participants table not found; check the path")
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise ManifestError(f"{path}: a participants table must be .csv or .xlsx")
    header, rows = _rows(path)
    lowered = {h.lower(): h for h in header}
    id_column = next((lowered[c] for c in ID_COLUMNS if c in lowered), None)
    if id_column is None:
        raise ManifestError(
            f"{path}: no participant id column; name one of the columns {', '.join(ID_COLUMNS[:4])} "
            f"(columns are: {', '.join(header) or 'none'})"
        )
    ids: dict[str, str] = {}
    attributes: dict[str, dict[str, str]] = {}
    for line, row in enumerate(rows, start=2):
        given = row.get(id_column, "")
        if not given:
            continue
        key = participant_key(given)
        if key in ids:
            raise ManifestError(f"{path}: row {line}: participant '{given}' is already listed as '{ids[key]}'; "
                                "list each participant once")
        ids[key] = given
        attributes[key] = {k: v for k, v in row.items() if k != id_column and k.lower() != "file" and v}
    return ParticipantTable(str(path), id_column, ids, attributes)


@dataclass(frozen=True)
class SpeakerMatches:
    """Which participant each (document, speaker) is, and what matched nothing."""

    by_speaker: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """``(doc_id, speaker label)`` → the participant's id as the table writes it."""
    unmatched_rows: tuple[str, ...] = ()
    unmatched_speakers: tuple[tuple[str, str], ...] = ()

    def notes(self, table: ParticipantTable) -> list[str]:
        """What the summary says about the join."""
        out = [f"{table.source}: {len(set(self.by_speaker.values()))} of {len(table.ids)} participants matched "
               f"{len(self.by_speaker)} speaker(s) in the transcripts"]
        if self.unmatched_rows:
            out.append(f"{table.source}: {len(self.unmatched_rows)} participant(s) match no speaker in the corpus: "
                       f"{listing(self.unmatched_rows)}; check their ids against the speaker labels")
        if self.unmatched_speakers:
            shown = [f"{speaker} ({doc})" for doc, speaker in self.unmatched_speakers]
            out.append(f"{table.source}: {len(shown)} participant speaker(s) have no row: {listing(shown)}; "
                       "their speech is coded without attributes")
        return out


def listing(items: Sequence[str], shown: int = 8) -> str:
    """``a, b, c and 5 more``: the first ``shown`` items, and how many others."""
    return ", ".join(items[:shown]) + (f" and {len(items) - shown} more" if len(items) > shown else "")


def match_speakers(documents: Iterable[Document], table: ParticipantTable) -> SpeakerMatches:
    """Join the participant speakers of ``documents`` to ``table`` (rules in the module docstring)."""
    by_speaker: dict[tuple[str, str], str] = {}
    unmatched: list[tuple[str, str]] = []
    for document in documents:
        speakers = list(dict.fromkeys(
            b.speaker for b in document.blocks if b.kind == "turn" and b.speaker and b.role == "participant"
        ))
        named = document.metadata.get("participant")
        for speaker in speakers:
            key = participant_key(speaker)
            if key not in table.ids and named and len(speakers) == 1:
                key = participant_key(named)
            if key in table.ids:
                by_speaker[(document.doc_id, speaker)] = table.ids[key]
            else:
                unmatched.append((document.doc_id, speaker))
    heard = set(by_speaker.values())
    rows = tuple(given for given in table.ids.values() if given not in heard)
    return SpeakerMatches(by_speaker, rows, tuple(unmatched))


def participant_keys(coded: pd.DataFrame) -> pd.Series:
    """One participant key per coded segment (``None`` for news, papers and unnamed speech).

    The manifest's ``participant`` value when a transcript has one participant speaker;
    otherwise ``doc_id · speaker``."""
    import pandas as pd

    keys = pd.Series([None] * len(coded), index=coded.index, dtype=object)
    speech = coded[(coded["kind"] == "transcript") & coded["speaker"].notna()]
    if speech.empty:
        return keys
    own = speech["doc_id"].astype(str) + " · " + speech["speaker"].astype(str)
    if "participant" in speech.columns:
        speakers_per_doc = speech.groupby("doc_id")["speaker"].transform("nunique")
        named = speech["participant"].notna() & (speakers_per_doc == 1)
        own = own.where(~named, speech["participant"].astype(str))
    keys.loc[speech.index] = own
    return keys


def attribute_groups(coded: pd.DataFrame, column: str) -> pd.Series:
    """The group of each coded segment in a breakdown by ``column``: its value; where it has none, the
    participants without one (``(no country)``) are kept apart from the text of papers and news, which
    no participant spoke (``(paper text)``, ``(news text)``): pooled, they read as one group of people."""
    values = coded[column].fillna("").astype(str).str.strip()
    spoken = coded["kind"].astype(str).eq("transcript")
    missing = values.eq("")
    return values.where(~missing, ("(" + coded["kind"].astype(str) + " text)").where(~spoken, f"(no {column})"))
