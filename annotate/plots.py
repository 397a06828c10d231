"""Plots as SVG text, for the report page and the dataset card (one look, one owner).

matplotlib draws on a bare `Figure` (no pyplot, no global figure state, no GUI backend)
and is imported only when a plot is drawn, so commands that draw nothing never load it.
The SVG is deterministic: a fixed hash salt for its element ids and no date in its
metadata, so the same figures give the same bytes and an export stays byte-identical.
Every data mark (bar, line) carries an id `<name>-data-<n>`, which the browser test counts.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

# Colour-blind-safe (Okabe-Ito), in a fixed order so series keep their colour.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
SVG_RC = {
    "svg.fonttype": "none",  # text stays text: small, selectable, drawn by the viewer's font
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _date_axis(ax: Any, days: Sequence[date]) -> None:
    """Ticks on whole days (a week or a month apart on long spans), counts as integers."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, DayLocator
    from matplotlib.ticker import MaxNLocator

    locator = DayLocator() if len(days) <= 14 else AutoDateLocator(minticks=3, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if days:
        ax.set_xlim(_num(days[0]) - 0.6, _num(days[-1]) + 0.6)


def _num(day: date) -> float:
    from matplotlib.dates import date2num

    return float(date2num(day))


def _figure(width: float = 7.0, height: float = 3.0, ncols: int = 1) -> tuple[Any, list[Any]]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, list(axes)


def to_svg(fig: Any, name: str) -> str:
    """The figure as an `<svg>` element (no XML prolog: it is embedded in HTML or saved).

    The hash salt is the plot's name, so several plots on one page never share an id.
    """
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({**SVG_RC, "svg.hashsalt": f"annotate-{name}"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    # the RDF block names matplotlib's version only: without it the bytes do not change
    # when matplotlib is upgraded and nothing is drawn differently
    return re.sub(r"\s*<metadata>.*?</metadata>", "", text[text.index("<svg") :], flags=re.S)


def count_marks(svg: str, name: str) -> int:
    """How many data marks a plot drew (0 means an empty plot)."""
    return len(re.findall(rf'id="{re.escape(name)}-data-\d+"', svg))


class _Marks:
    """Numbers the data marks of one plot (bars of height 0 are not data)."""

    def __init__(self, name: str) -> None:
        self.name, self.n = name, 0

    def tag(self, artist: Any, value: float | None = 1, zero_is_data: bool = False) -> None:
        if value or (zero_is_data and value is not None):
            artist.set_gid(f"{self.name}-data-{self.n}")
            self.n += 1


def plain(text: str) -> str:
    """A user's string drawn as it is: `$` would start mathtext, a leading `_` hides a
    legend entry."""
    text = text.replace("$", r"\$")
    return "\u200b" + text if text.startswith("_") else text


def grouped_bars(
    ax: Any,
    marks: _Marks,
    categories: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    ylabel: str,
    ylim: tuple[float, float] | None = None,
    values_shown: bool = False,
) -> None:
    """One group of bars per category, one bar per series; None draws no bar, says n/a.

    `values_shown`: each bar is labelled with its value, and a 0 is data (an agreement of
    0 is a finding; an empty count is not).
    """
    n = max(len(series), 1)
    width = 0.8 / n
    for i, (name, values) in enumerate(series.items()):
        xs = [c + (i - (n - 1) / 2) * width for c in range(len(categories))]
        drawn = [(x, v) for x, v in zip(xs, values, strict=True) if v is not None]
        bars = ax.bar(
            [x for x, _ in drawn],
            [v for _, v in drawn],
            width,
            label=plain(name),
            color=PALETTE[i % len(PALETTE)],
        )
        for bar, (_x, v) in zip(bars, drawn, strict=True):
            marks.tag(bar, v, zero_is_data=values_shown)
        if values_shown:
            ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=2)
        for x, v in zip(xs, values, strict=True):
            if v is None:
                ax.text(x, 0, "n/a", ha="center", va="bottom", fontsize=7, color="#666")
    ax.set_xticks(range(len(categories)), [plain(c) for c in categories])
    ax.set_ylabel(ylabel)
    if ylim:
        ax.set_ylim(*ylim)
    else:
        from matplotlib.ticker import MaxNLocator

        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if len(series) > 1:
        ax.legend(frameon=False, fontsize=8)


def label_distribution(
    name: str,
    splits: Sequence[str],
    entity_labels: Sequence[str],
    entity_counts: Mapping[str, Mapping[str, int]],
    stance_labels: Sequence[str],
    stance_counts: Mapping[str, Mapping[str, int]],
) -> str:
    """Entity spans per label and stances per label, one bar per split (two panels)."""
    fig, (left, right) = _figure(8.0, 3.0, ncols=2)
    marks = _Marks(name)
    for ax, labels, counts, what in (
        (left, entity_labels, entity_counts, "entity spans"),
        (right, stance_labels, stance_counts, "stances"),
    ):
        series = {s: [counts.get(label, {}).get(s, 0) for label in labels] for s in splits}
        grouped_bars(ax, marks, labels, series, what)
        ax.set_title(f"{what.capitalize()} per label and split")
    return to_svg(fig, name)


def per_day(name: str, days: Sequence[date], counts: Mapping[str, Sequence[int]]) -> str:
    """Articles annotated per day, stacked per annotator, and the running total of articles
    with at least one human annotation (a line on the second axis)."""
    fig, (ax,) = _figure(8.0, 3.2)
    marks = _Marks(name)
    bottom = [0] * len(days)
    for i, (who, values) in enumerate(counts.items()):
        bars = ax.bar(
            days, values, 0.8, bottom=bottom, label=plain(who), color=PALETTE[i % len(PALETTE)]
        )
        for bar, v in zip(bars, values, strict=True):
            marks.tag(bar, v)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_ylabel("articles annotated that day")
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    _date_axis(ax, days)
    return to_svg(fig, name)


def cumulative(name: str, days: Sequence[date], totals: Sequence[int], ylabel: str) -> str:
    """A running total as a step line with its points marked."""
    fig, (ax,) = _figure(8.0, 2.6)
    marks = _Marks(name)
    (line,) = ax.step(days, totals, where="post", color=PALETTE[0], marker="o", markersize=3)
    marks.tag(line)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, max([*totals, 1]) * 1.1)
    _date_axis(ax, days)
    return to_svg(fig, name)


def bars(
    name: str,
    categories: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    ylabel: str,
    title: str = "",
    ylim: tuple[float, float] | None = None,
    values_shown: bool = False,
) -> str:
    """Grouped bars in one panel."""
    fig, (ax,) = _figure(max(4.0, min(8.0, 1.2 * len(categories) + 2)), 2.8)
    marks = _Marks(name)
    grouped_bars(ax, marks, categories, series, ylabel, ylim, values_shown)
    if title:
        ax.set_title(title)
    return to_svg(fig, name)


def outcomes(
    name: str, categories: Sequence[str], series: Mapping[str, Sequence[int]], xlabel: str
) -> str:
    """One horizontal bar per category, stacked per outcome (long names stay readable)."""
    fig, (ax,) = _figure(8.0, max(1.6, 0.32 * len(categories) + 1.0))
    marks = _Marks(name)
    ys = list(range(len(categories)))[::-1]  # the first category on top
    left = [0] * len(categories)
    for i, (outcome, values) in enumerate(series.items()):
        bars = ax.barh(
            ys, values, 0.7, left=left, label=plain(outcome), color=PALETTE[i % len(PALETTE)]
        )
        for bar, v in zip(bars, values, strict=True):
            marks.tag(bar, v)
        left = [a + v for a, v in zip(left, values, strict=True)]
    ax.set_yticks(ys, [plain(c) for c in categories])
    ax.set_xlabel(xlabel)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(frameon=False, fontsize=8, loc="lower right", ncols=len(series))
    return to_svg(fig, name)


def learning_curve(
    name: str,
    points: Sequence[tuple[int, float, str]],
    reference: Sequence[tuple[int, float]],
    xlabel: str,
    ylabel: str,
    reference_label: str,
) -> str:
    """One marked point per model (x, y, its short name) joined in x order, and a dashed
    reference line (the rules on the same articles); a log x axis over a wide range."""
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    fig, (ax,) = _figure(8.0, 3.2)
    marks = _Marks(name)
    ordered = sorted(points, key=lambda p: (p[0], p[1]))
    if reference:
        ref = sorted(reference)
        ax.plot(
            [x for x, _ in ref],
            [y for _, y in ref],
            linestyle="--",
            color="#666666",
            marker="x",
            markersize=4,
            label=plain(reference_label),
        )
    ax.plot([x for x, _, _ in ordered], [y for _, y, _ in ordered], color=PALETTE[0], lw=1.2)
    for i, (x, y, label) in enumerate(ordered):
        (point,) = ax.plot([x], [y], "o", color=PALETTE[0], markersize=6, zorder=3)
        if i == 0:
            point.set_label(plain("trained model"))
        marks.tag(point)
        ax.annotate(
            plain(label),
            (x, y),
            textcoords="offset points",
            xytext=(0, 7),
            ha="center",
            fontsize=7,
            color="#333333",
        )
    xs = [x for x, _, _ in ordered]
    if xs and min(xs) > 0 and max(xs) / min(xs) >= 10:
        ax.set_xscale("log")
        ax.set_xticks(sorted(set(xs)))  # the training sizes themselves, not powers of ten
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlim(min(xs) / 1.3, max(xs) * 1.3)
    elif xs:
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        pad = (max(xs) - min(xs)) * 0.08 or max(1.0, min(xs) * 0.2)
        ax.set_xlim(max(0.0, min(xs) - pad), max(xs) + pad)
    ax.set_ylim(0, 1.08)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    return to_svg(fig, name)
