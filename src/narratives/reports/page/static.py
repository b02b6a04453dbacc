"""The report's charts as PNG and SVG files for papers, drawn with matplotlib.

Same specifications as the page (:mod:`.charts`), so the numbers match. Files are
reproducible: the SVG carries no date and a fixed id salt, the PNG no software stamp.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from narratives.reports.page.charts import CALLOUT_OFFSETS, BarChart, MapChart

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DPI = 200
WIDTH_IN = 8.0


def save_figures(charts: Sequence[BarChart | MapChart], directory: Path) -> list[Path]:
    """Write ``{key}.png`` and ``{key}.svg`` for each chart into ``directory``; return the paths."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    written = []
    with plt.rc_context({"svg.hashsalt": "narratives", "font.size": 9, "axes.spines.top": False,
                         "axes.spines.right": False}):
        for chart in charts:
            fig = _map(chart) if isinstance(chart, MapChart) else _heatmap(chart) if chart.heatmap else _bars(chart)
            for suffix, metadata in ((".png", {"Software": None}), (".svg", {"Date": None})):
                path = directory / f"{chart.key}{suffix}"
                fig.savefig(path, dpi=DPI, bbox_inches="tight", metadata=metadata)
                written.append(path)
            plt.close(fig)
    return written


def _bars(chart: BarChart) -> Figure:
    import matplotlib.pyplot as plt
    import numpy as np

    n_series = len(chart.series)
    rows = len(chart.categories)
    height = 1.0 + rows * (0.32 if n_series == 1 else 0.22 * n_series + 0.1)
    fig, ax = plt.subplots(figsize=(WIDTH_IN, height))
    positions = np.arange(rows)
    bar_height = 0.75 / n_series
    largest = max((max(s.values, default=0) for s in chart.series), default=0) or 1
    for i, s in enumerate(chart.series):
        offsets = positions - 0.375 + bar_height * (i + 0.5)
        colours = list(s.colours) if s.colours else None
        bars = ax.barh(offsets, s.values, height=bar_height * 0.92, color=colours, label=s.name)
        for bar, text in zip(bars, s.texts, strict=True):
            ax.text(bar.get_width() + largest * 0.01, bar.get_y() + bar.get_height() / 2, text,
                    va="center", fontsize=7 if n_series > 1 else 8)
    ax.set_yticks(positions, list(chart.categories))
    ax.invert_yaxis()
    ax.set_xlim(0, largest * 1.22)
    ax.set_xlabel(chart.value_title)
    ax.set_title(f"{chart.title}\n", loc="left", fontsize=11, fontweight="bold")
    ax.text(0, 1.01, chart.subtitle, transform=ax.transAxes, fontsize=8, color="#555")
    if n_series > 1:
        ax.legend(frameon=False, fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def _heatmap(chart: BarChart) -> Figure:
    import matplotlib.pyplot as plt
    import numpy as np

    # themes down the side, one column per group, as on the page
    values = np.array([s.values for s in chart.series], dtype=float).T
    fig, ax = plt.subplots(figsize=(max(WIDTH_IN, 3.5 + 0.55 * len(chart.series)), 1.8 + 0.42 * len(chart.categories)))
    image = ax.imshow(values, cmap="Blues", aspect="auto", vmin=0)
    limit = values.max() or 1
    for c, s in enumerate(chart.series):
        for r, text in enumerate(s.texts):
            ax.text(c, r, f"{values[r, c]:.0f}%\n({text})", ha="center", va="center", fontsize=6.5,
                    color="white" if values[r, c] > 0.6 * limit else "#222")
    ax.set_xticks(range(len(chart.series)), [s.name for s in chart.series], rotation=35, ha="left")
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(chart.categories)), list(chart.categories))
    ax.set_xlabel(f"{chart.title}: {chart.subtitle}", fontsize=8, loc="left")
    fig.colorbar(image, ax=ax, fraction=0.03, pad=0.01, label="%")
    fig.tight_layout()
    return fig


def _map(chart: MapChart) -> Figure:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(WIDTH_IN, WIDTH_IN * 0.85))
    for name, colour in chart.groups:
        part = chart.points[chart.points["group"] == name]
        outliers = name.startswith("outliers")
        ax.scatter(part["x"], part["y"], s=4 if outliers else 9, c=colour, alpha=0.5 if outliers else 0.85,
                   linewidths=0, label=name)
    for i, callout in enumerate(chart.callouts):
        dx, dy = CALLOUT_OFFSETS[i % len(CALLOUT_OFFSETS)]
        ax.annotate(f"★ {callout.short_label}", (callout.x, callout.y), xytext=(dx, -dy), textcoords="offset points",
                    fontsize=7, bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": "#222", "lw": 0.6},
                    arrowprops={"arrowstyle": "-", "lw": 0.6, "patchA": None})  # the label's box hides the line's end
    ax.set_axis_off()
    ax.set_title(f"{chart.title}\n", loc="left", fontsize=11, fontweight="bold")
    ax.text(0, 1.01, chart.subtitle, transform=ax.transAxes, fontsize=7, color="#555")
    ax.legend(frameon=False, fontsize=7, markerscale=1.5, loc="upper left", bbox_to_anchor=(0, 0), ncol=2)
    fig.tight_layout()
    return fig
