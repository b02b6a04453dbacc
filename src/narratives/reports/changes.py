"""What changed and why: a run against the run it replaces, ``--compare RUN_DIR``, or
``narratives diff RUN_A RUN_B``.

A new round of ``--examples`` or an edited codebook moves segments between themes; a
researcher must see how many and which before trusting the new numbers, and keep the record
(reflexive thematic analysis asks for this audit trail of the codebook's evolution). Segments
are matched by ``segment_id`` and text (so a changed segmentation compares only what it kept);
a segment *moved* when its theme (``unassigned`` included) differs, and its subtheme moved
when only the subtheme differs. The why: codebook entries added, removed or reworded (field by
field), the examples given, and the settings that differ.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from narratives.errors import InputError
from narratives.models import Codebook
from narratives.spreadsheet import read_csv_frame

__all__ = ["RunChanges", "codebook_changes", "compare_with", "diff_runs", "setting_changes", "write_diff"]

ENTRY_FIELDS = ("label", "definition", "parent", "include", "exclude", "keywords", "examples")
"""The fields of a codebook entry compared between runs."""
NOT_RESULTS = ("cache", "embed.batch_size", "embed.threads", "embed.device")
"""Settings that change where or how fast work runs, never what it finds: not listed."""

LISTED = 500
"""At most this many moved segments are listed in the run manifest (all are counted)."""


@dataclass(frozen=True)
class RunChanges:
    """Counts and the moved segments, old run first."""

    compared_with: str
    compared: int
    theme_moved: int
    subtheme_moved: int
    moves: tuple[dict[str, Any], ...]
    by_theme: tuple[dict[str, Any], ...]
    """Per theme: segments it had, has now, gained and lost, and its share before and after."""
    codebook: tuple[dict[str, Any], ...] = ()
    """Entries added, removed or reworded: ``change``, ``id``, ``fields``, ``before``, ``after``."""
    settings: tuple[dict[str, Any], ...] = ()
    """Settings that differ: ``setting``, ``before``, ``after``."""
    examples: dict[str, Any] | None = None
    """The examples before and after (source, accepted, rejected), when they differ."""

    def largest_shifts(self, n: int = 3) -> str:
        """The ``n`` themes whose share moved most, e.g. ``moral-residue 7.8% → 33.1% (+84, -2)``."""
        moved = sorted((t for t in self.by_theme if t["gained"] or t["lost"]),
                       key=lambda t: -abs(t["share_after"] - t["share_before"]))[:n]
        return "; ".join(f"{t['theme']} {t['share_before']:.1%} → {t['share_after']:.1%} (+{t['gained']:,}, "
                         f"-{t['lost']:,})" for t in moved)

    def headline(self) -> str:
        """One line, e.g. ``29 of 92 coded segments changed theme against results/run-1``."""
        return (
            f"{self.theme_moved:,} of {self.compared:,} coded segments changed theme "
            f"({self.subtheme_moved:,} more changed only subtheme) against {self.compared_with}"
        )

    def reasons(self) -> list[str]:
        """Why, one line each: codebook entries, examples, settings (empty when nothing differs)."""
        out = []
        for c in self.codebook:
            fields = f" ({', '.join(c['fields'])})" if c["change"] == "reworded" else ""
            out.append(f"codebook: {c['id']} {c['change']}{fields}")
        if self.examples:
            b, a = self.examples["before"], self.examples["after"]
            out.append(f"examples: {b.get('accepted', 0)} accepted / {b.get('rejected', 0)} rejected "
                       f"({b.get('source') or 'none'}) → {a.get('accepted', 0)} / {a.get('rejected', 0)} "
                       f"({a.get('source') or 'none'})")
        out += [f"setting: {s['setting']} {s['before']!r} → {s['after']!r}" for s in self.settings]
        return out

    def as_dict(self) -> dict[str, Any]:
        """For ``run_manifest.json``."""
        return {
            "compared_with": self.compared_with, "segments_compared": self.compared,
            "theme_moved": self.theme_moved, "subtheme_moved": self.subtheme_moved,
            "by_theme": list(self.by_theme), "moves": list(self.moves),
            "moves_listed": len(self.moves),
            "codebook": list(self.codebook), "settings": list(self.settings), "examples": self.examples,
            "reasons": self.reasons(),
        }


def codebook_changes(before: Codebook, after: Codebook) -> tuple[dict[str, Any], ...]:
    """Entries added, removed, or reworded (the fields in :data:`ENTRY_FIELDS` that differ), by id."""
    old = {e.id: e for e in before.entries}
    new = {e.id: e for e in after.entries}
    out: list[dict[str, Any]] = []
    for entry_id in [*old, *(i for i in new if i not in old)]:
        if entry_id not in new:
            out.append({"change": "removed", "id": entry_id, "fields": [], "before": old[entry_id].label, "after": ""})
        elif entry_id not in old:
            out.append({"change": "added", "id": entry_id, "fields": [], "before": "", "after": new[entry_id].label})
        else:
            fields = [f for f in ENTRY_FIELDS if getattr(old[entry_id], f) != getattr(new[entry_id], f)]
            if fields:
                out.append({"change": "reworded", "id": entry_id, "fields": fields,
                            "before": {f: _plain(getattr(old[entry_id], f)) for f in fields},
                            "after": {f: _plain(getattr(new[entry_id], f)) for f in fields}})
    return tuple(out)


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def setting_changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """Settings (dotted keys of two ``config`` dicts) whose values differ, except :data:`NOT_RESULTS`."""
    old, new = _renamed(_flatten(before)), _renamed(_flatten(after))
    return tuple({"setting": k, "before": old.get(k), "after": new.get(k)}
                 for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k) and k not in NOT_RESULTS)


RENAMED = {"embed.backend": "embed.runtime", "embed.cache_dir": "cache"}
"""Settings under their old names (in the manifests of older runs) → their names now."""


def _renamed(flat: dict[str, Any]) -> dict[str, Any]:
    return {RENAMED.get(k, k): v for k, v in flat.items()}


def _flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _example_summary(examples: dict[str, Any] | None) -> dict[str, Any]:
    examples = examples or {}
    return {k: examples.get(k) for k in ("source", "sha256", "accepted", "rejected")}


def compare_with(new: pd.DataFrame, run_dir: Path, *, codebook: Codebook | None = None,
                 config: dict[str, Any] | None = None, examples: dict[str, Any] | None = None,
                 listed: int | None = LISTED) -> RunChanges:
    """Compare the coded segments of ``new`` (a ``segments.csv`` frame) with those in ``run_dir``;
    with the new run's ``codebook``, ``config`` and ``examples`` (as its run manifest has them),
    also say what differs between the two runs' inputs. ``listed``: at most this many moves are
    kept (``None``: all).

    Raises:
        InputError: ``run_dir`` has no readable ``segments.csv``.
    """
    path = run_dir / "segments.csv"
    if not path.is_file():
        raise InputError(f"{run_dir}: no segments.csv to compare with; give a folder `narratives run --out` wrote")
    try:
        old = read_csv_frame(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read to compare with ({exc}); give another run folder") from None
    wanted = {"segment_id", "text", "theme", "subtheme", "status"}
    if not wanted <= set(old.columns):
        raise InputError(f"{path}: lacks {', '.join(sorted(wanted - set(old.columns)))}; not a run's segments.csv")
    columns = ["segment_id", "doc_id", "text", "theme", "subtheme"]
    before = old[old["status"] == "coded"].reindex(columns=columns, fill_value="")
    after = new[new["status"] == "coded"].reindex(columns=columns, fill_value="").fillna("").astype(str)
    both = after.merge(before, on=["segment_id", "doc_id", "text"], suffixes=("", "_before"))
    theme = both["theme"] != both["theme_before"]
    sub = ~theme & (both["subtheme"] != both["subtheme_before"])
    moved = both[theme | sub]
    moves = tuple(
        {"segment_id": r.segment_id, "from": r.theme_before, "from_subtheme": r.subtheme_before,
         "to": r.theme, "to_subtheme": r.subtheme, **({"doc_id": r.doc_id, "text": r.text} if listed is None else {})}
        for r in (moved if listed is None else moved.head(listed)).itertuples()
    )
    themes = sorted(set(both["theme"]) | set(both["theme_before"]))
    total = max(len(both), 1)
    by_theme = tuple(
        {"theme": t, "before": int((both["theme_before"] == t).sum()), "after": int((both["theme"] == t).sum()),
         "gained": int(((both["theme"] == t) & theme).sum()), "lost": int(((both["theme_before"] == t) & theme).sum()),
         "share_before": round(int((both["theme_before"] == t).sum()) / total, 4),
         "share_after": round(int((both["theme"] == t).sum()) / total, 4)}
        for t in themes
    )
    why: dict[str, Any] = {}
    manifest = _old_manifest(run_dir)
    if codebook is not None and (run_dir / "codebook.yaml").is_file():
        from narratives.codebook import load_codebook

        with contextlib.suppress(InputError):  # a copy this version cannot read: segments are still compared
            why["codebook"] = codebook_changes(load_codebook(run_dir / "codebook.yaml"), codebook)
    if config is not None and manifest.get("config"):
        why["settings"] = setting_changes(manifest["config"], config)
    if examples is not None and _example_summary(manifest.get("examples")) != _example_summary(examples):
        why["examples"] = {"before": _example_summary(manifest.get("examples")), "after": _example_summary(examples)}
    return RunChanges(str(run_dir), len(both), int(theme.sum()), int(sub.sum()), moves, by_theme, **why)


def _old_manifest(run_dir: Path) -> dict[str, Any]:
    import json

    try:
        data = json.loads((run_dir / "run_manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def diff_runs(run_a: Path, run_b: Path) -> RunChanges:
    """``narratives diff``: what changed from ``run_a`` to ``run_b`` and why, every move listed."""
    from narratives.reports.run_dir import load_run

    later = load_run(run_b)
    return compare_with(later.segments, run_a, codebook=later.codebook, config=later.manifest.get("config") or {},
                        examples=later.manifest.get("examples") or {}, listed=None)


def write_diff(changes: RunChanges, out: Path) -> Path:
    """``diff.json`` (everything) and ``moved_segments.csv`` (one row per moved segment), written whole."""
    import json

    from narratives.reports.atomic import staged_directory
    from narratives.spreadsheet import write_csv_frame

    columns = ["segment_id", "doc_id", "from", "from_subtheme", "to", "to_subtheme", "text"]
    with staged_directory(out) as staging:
        (staging / "diff.json").write_text(
            json.dumps(changes.as_dict(), indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
        write_csv_frame(pd.DataFrame(list(changes.moves), columns=columns), staging / "moved_segments.csv",
                        index=False)
    return out
