"""Chart specifications drawn with plotly: for the report page and for notebooks.

The figures use a plain white template and the system font stack, carry no plotly
logo, and hold their data inline; nothing they draw fetches anything from a network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from narratives.reports.page.charts import CALLOUT_OFFSETS, BarChart, MapChart

if TYPE_CHECKING:
    import plotly.graph_objects as go

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
ROW_HEIGHT = 26
CONFIG: dict[str, Any] = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
"""plotly.js options for every chart on the page (no logo link, no selection tools)."""


def bar_figure(chart: BarChart) -> go.Figure:
    """Horizontal bars (or a heatmap for many groups), first category at the top."""
    import plotly.graph_objects as go

    fig = go.Figure()
    if chart.heatmap:
        # themes down the side as in every other chart, one column per group
        rows = range(len(chart.categories))
        fig.add_trace(go.Heatmap(
            z=[[s.values[i] for s in chart.series] for i in rows],
            x=[s.name for s in chart.series],
            y=list(chart.categories),
            text=[[f"{s.values[i]:.0f}%<br>({s.texts[i]})" for s in chart.series] for i in rows],
            texttemplate="%{text}",
            customdata=[[s.hovers[i] for s in chart.series] for i in rows],
            hovertemplate="%{customdata}<extra></extra>",
            colorscale="Blues",
            colorbar={"title": {"text": "%"}, "thickness": 12},
            xgap=1, ygap=1,
        ))
        fig.update_yaxes(autorange="reversed", automargin=True)
        fig.update_xaxes(side="top", tickangle=-35, automargin=True)
        longest = max(len(s.name) for s in chart.series)
        height: float = 110 + 44 * len(chart.categories) + 6 * longest
    else:
        for s in chart.series:
            fig.add_trace(go.Bar(
                name=s.name,
                x=list(s.values),
                y=list(chart.categories),
                orientation="h",
                text=list(s.texts),
                textposition="outside",
                cliponaxis=False,
                hovertext=list(s.hovers),
                hoverinfo="text",
                marker={"color": list(s.colours)} if s.colours else None,
            ))
        fig.update_yaxes(autorange="reversed", automargin=True)
        largest = max((max(s.values, default=0) for s in chart.series), default=0) or 1
        fig.update_xaxes(title={"text": chart.value_title}, range=[0, largest * 1.2])  # room for the labels
        bars = len(chart.categories) * max(1, len(chart.series))
        height = 120 + ROW_HEIGHT * bars * (0.8 if len(chart.series) > 1 else 1)
    fig.update_layout(
        template="simple_white",
        font={"family": FONT, "size": 13},
        title={"text": chart.title, "x": 0, "xanchor": "left", "y": 1, "yanchor": "top", "pad": {"t": 12}},
        height=int(max(height, 260)),
        margin={"l": 10, "r": 40, "t": 50 + (30 if 1 < len(chart.series) <= 6 else 0), "b": 40},
        barmode="group",
        bargap=0.25,
        showlegend=len(chart.series) > 1 and not chart.heatmap,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "traceorder": "normal"},
        hoverlabel={"align": "left"},
    )
    return fig


def map_figure(chart: MapChart) -> go.Figure:
    """The topic map: one trace per legend group, candidate new themes marked with stars."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for name, colour in chart.groups:
        part = chart.points[chart.points["group"] == name]
        outliers = name.startswith("outliers")
        fig.add_trace(go.Scatter(
            name=name,
            x=part["x"].tolist(),
            y=part["y"].tolist(),
            mode="markers",
            marker={"color": colour, "size": 5 if outliers else 7, "opacity": 0.5 if outliers else 0.8,
                    "line": {"width": 0}},
            hovertext=part["hover"].tolist(),
            hoverinfo="text",
        ))
    for i, callout in enumerate(chart.callouts):
        dx, dy = CALLOUT_OFFSETS[i % len(CALLOUT_OFFSETS)]
        fig.add_annotation(
            x=callout.x, y=callout.y, text=f"★ {callout.short_label}", showarrow=True, arrowhead=0, ax=dx, ay=dy,
            font={"size": 12, "color": "#111"}, bgcolor="rgba(255,255,255,0.85)", bordercolor="#222",
            borderwidth=1, borderpad=3,
        )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(
        template="simple_white",
        font={"family": FONT, "size": 13},
        title={"text": chart.title, "x": 0, "xanchor": "left"},
        height=720,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"itemsizing": "constant", "title": {"text": "cluster aligned to "}, "orientation": "h",
                "yanchor": "top", "y": -0.01, "x": 0},
        hoverlabel={"align": "left"},
    )
    return fig
