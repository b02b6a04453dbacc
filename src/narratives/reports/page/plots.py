"""Figures for notebooks: the report's charts as plotly figures that render in Jupyter.

Mixed into :class:`~narratives.result.RunResult` and
:class:`~narratives.reports.run_dir.SavedRun`, so a fresh run and a run read back from
its folder draw the same charts::

    result.plot_theme_frequencies(by="country")
    result.plot_topic_map()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from narratives.errors import ConfigError
from narratives.reports.page import charts

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from narratives.reports.page.tables import ReportTables


class Plots:
    """``plot_*`` methods over :meth:`report_tables`, which the host class provides."""

    def report_tables(self) -> ReportTables:
        raise NotImplementedError

    def plot_theme_frequencies(
        self, by: str | None = None, level: Literal["theme", "subtheme"] = "theme"
    ) -> go.Figure:
        """Coded segments per theme (or subtheme); ``by`` = ``"kind"`` or a manifest column
        gives each theme's share within each group instead."""
        from narratives.reports.page.interactive import bar_figure

        tables = self.report_tables()
        if by is None:
            chart = charts.theme_chart(tables) if level == "theme" else charts.subtheme_chart(tables)
            if chart is None:
                raise ConfigError("this run's codebook has no subthemes; plot level='theme' instead")
            return bar_figure(chart)
        if level != "theme":
            raise ConfigError("by= breaks down themes only; call plot_theme_frequencies(level='subtheme') alone")
        columns = ["kind", *tables.metadata_columns()]
        if by not in columns:
            raise ConfigError(f"cannot break frequencies down by '{by}'; columns: {', '.join(columns)}")
        breakdown = charts.breakdown_chart(tables, by)
        if breakdown is None:
            raise ConfigError(f"'{by}' has fewer than two groups to compare among the coded segments (groups of "
                              "people need at least 3 participants each, or together as 'other')")
        return bar_figure(breakdown)

    def plot_participants(self) -> go.Figure:
        """How many interview participants mention each theme."""
        from narratives.reports.page.interactive import bar_figure

        chart = charts.participant_chart(self.report_tables())
        if chart is None:
            raise ConfigError("no interview participants in this run (no transcript speech was coded)")
        return bar_figure(chart)

    def plot_topic_map(self) -> go.Figure:
        """The clusters in 2-D, coloured by aligned theme; candidate new themes starred."""
        from narratives.reports.page.interactive import map_figure

        chart = charts.topic_map_chart(self.report_tables())
        if chart is None:
            raise ConfigError("this run has no topic map (too few segments were clustered)")
        return map_figure(chart)
