"""The statistics page's chart: views and downloads per day as pairs of bars, computed here so
the template only writes ``<rect>`` elements with presentation attributes (the CSP forbids
inline styles), in the house style of the moderation dashboard's chart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

#: The chart's size in its own units (it scales to the page's width).
CHART_WIDTH, CHART_HEIGHT = 600, 200
_LEFT, _RIGHT, _TOP, _BOTTOM = 36, 8, 12, 28


@dataclass(frozen=True)
class DayUse:
    """One day's uses of one material."""

    day: date
    views: int = 0
    downloads: int = 0


@dataclass(frozen=True)
class Bar:
    kind: str  #: "view" or "download"
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Column:
    """One day: its two bars, and whether the day is written under them."""

    day: date
    bars: tuple[Bar, ...]
    #: Today and every seventh day before it.
    labelled: bool
    #: The middle of the day's slot (where its label goes).
    middle: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    baseline: float
    top: float
    left: float
    #: The highest count of any day (the scale; at least 1).
    scale: int
    columns: tuple[Column, ...]


def chart(days: Sequence[DayUse]) -> Chart:
    """Views and downloads side by side per day, on one scale."""
    scale = max([d.views for d in days] + [d.downloads for d in days] + [1])
    plot_height = CHART_HEIGHT - _TOP - _BOTTOM
    baseline = float(CHART_HEIGHT - _BOTTOM)
    slot = (CHART_WIDTH - _LEFT - _RIGHT) / max(len(days), 1)
    width = round(slot * 0.4, 2)
    columns = []
    for index, day in enumerate(days):
        start = _LEFT + index * slot + slot * 0.1
        bars = []
        for offset, (kind, count) in enumerate((("view", day.views),
                                                ("download", day.downloads))):
            height = round(plot_height * count / scale, 2)
            bars.append(Bar(kind, count, round(start + offset * width, 2),
                            round(baseline - height, 2), width, height))
        columns.append(Column(day.day, tuple(bars), (len(days) - 1 - index) % 7 == 0,
                              round(_LEFT + index * slot + slot / 2, 2)))
    return Chart(CHART_WIDTH, CHART_HEIGHT, baseline, float(_TOP), float(_LEFT), scale,
                 tuple(columns))
