"""What changed: a run's themes against those of the run it replaces (or ``--compare RUN_DIR``).

A new round of ``--examples`` or an edited codebook moves segments between themes; a
researcher must see how many and which before trusting the new numbers. Segments are
matched by ``segment_id`` and text (so a changed segmentation compares only what it kept);
a segment *moved* when its theme (``unassigned`` included) differs, and its subtheme moved
when only the subtheme differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from narratives.errors import InputError
from narratives.reports.spreadsheet import read_csv_frame

__all__ = ["RunChanges", "compare_with"]

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
    """Per theme: segments it had, has now, gained and lost."""

    def headline(self) -> str:
        """One line, e.g. ``29 of 92 coded segments changed theme against results/run-1``."""
        return (
            f"{self.theme_moved:,} of {self.compared:,} coded segments changed theme "
            f"({self.subtheme_moved:,} more changed only subtheme) against {self.compared_with}"
        )

    def as_dict(self) -> dict[str, Any]:
        """For ``run_manifest.json``."""
        return {
            "compared_with": self.compared_with, "segments_compared": self.compared,
            "theme_moved": self.theme_moved, "subtheme_moved": self.subtheme_moved,
            "by_theme": list(self.by_theme), "moves": list(self.moves),
            "moves_listed": len(self.moves),
        }


def compare_with(new: pd.DataFrame, run_dir: Path) -> RunChanges:
    """Compare the coded segments of ``new`` (a ``segments.csv`` frame) with those in ``run_dir``.

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
    columns = ["segment_id", "text", "theme", "subtheme"]
    before = old[old["status"] == "coded"][columns]
    after = new[new["status"] == "coded"][columns].fillna("").astype(str)
    both = after.merge(before, on=["segment_id", "text"], suffixes=("", "_before"))
    theme = both["theme"] != both["theme_before"]
    sub = ~theme & (both["subtheme"] != both["subtheme_before"])
    moved = both[theme | sub]
    moves = tuple(
        {"segment_id": r.segment_id, "from": r.theme_before, "from_subtheme": r.subtheme_before,
         "to": r.theme, "to_subtheme": r.subtheme}
        for r in moved.head(LISTED).itertuples()
    )
    themes = sorted(set(both["theme"]) | set(both["theme_before"]))
    by_theme = tuple(
        {"theme": t, "before": int((both["theme_before"] == t).sum()), "after": int((both["theme"] == t).sum()),
         "gained": int(((both["theme"] == t) & theme).sum()), "lost": int(((both["theme_before"] == t) & theme).sum())}
        for t in themes
    )
    return RunChanges(str(run_dir), len(both), int(theme.sum()), int(sub.sum()), moves, by_theme)
