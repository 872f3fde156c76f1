"""The units chart: units authorized by therapy across a benefit year, against the annual limit.

Pure geometry for a server-rendered SVG: each therapy is a band of a stacked step chart of
cumulative units (a step where a pre-certification starts), under a line at the limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from precert.rules.facts import Authorization

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 44, 150, 16, 34
# Distinct in hue and in lightness, so the bands differ in grey too; the legend names each.
COLOURS = ("#0b5cad", "#7fb3e6", "#b35c00", "#e0b070", "#1b6e3a")


@dataclass(frozen=True, slots=True)
class Band:
    key: str
    label: str
    units: int
    colour: str
    points: str  # SVG polygon points
    legend_y: float


@dataclass(frozen=True, slots=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    bands: tuple[Band, ...]
    limit: int
    limit_y: float
    total: int
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    today_x: float | None
    description: str
    used: int = 0
    used_points: str = ""  # SVG polyline points of the cumulative units used on claims


def units_chart(
    *,
    first: date,
    last: date,
    limit: int,
    therapies: Sequence[tuple[str, str]],
    held: Sequence[Authorization],
    today: date,
    used: Sequence[tuple[date, int]] = (),
) -> Chart:
    """Lay out the chart of `held` (the year's authorizations) for the year `first`..`last`."""
    days = (last - first).days + 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    in_year = sorted((a for a in held if first <= a.start_date <= last), key=lambda a: a.start_date)
    total = sum(a.units for a in in_year)
    used_in_year = sorted((on, units) for on, units in used if first <= on <= last)
    used_total = sum(units for _, units in used_in_year)
    top_value = max(limit, total, used_total)
    step = max(1, _nice_step(top_value))
    y_max = (top_value // step + 1) * step

    def x(on: date) -> float:
        return round(LEFT + plot_w * (on - first).days / days, 1)

    def y(units: float) -> float:
        return round(TOP + plot_h * (1 - units / y_max), 1)

    changes = sorted({a.start_date for a in in_year})
    # Cumulative units of each therapy after each change, stacked in the policy's order.
    stacked: list[list[int]] = []
    below = [0] * len(changes)
    for key, _ in therapies:
        running, series = 0, []
        for i, on in enumerate(changes):
            running += sum(a.units for a in in_year if a.therapy == key and a.start_date == on)
            series.append(below[i] + running)
        stacked.append(series)
        below = series

    def edge(series: list[int]) -> list[tuple[float, float]]:
        points = [(x(first), y(0))]
        previous = 0
        for on, value in zip(changes, series, strict=True):
            points += [(x(on), y(previous)), (x(on), y(value))]
            previous = value
        points.append((x(last + timedelta(days=1)), y(previous)))
        return points

    bands = []
    floor = edge([0] * len(changes))
    for index, ((key, label), series) in enumerate(zip(therapies, stacked, strict=True)):
        ceiling = edge(series)
        polygon = ceiling + list(reversed(floor))
        units = sum(a.units for a in in_year if a.therapy == key)
        bands.append(
            Band(
                key,
                label,
                units,
                COLOURS[index % len(COLOURS)],
                " ".join(f"{px},{py}" for px, py in polygon),
                round(TOP + plot_h * 0.45 + 20 * index, 1),
            )
        )
        floor = ceiling

    x_ticks = []
    month = date(first.year, first.month, 1)
    while month <= last:
        if month >= first:
            x_ticks.append(Tick(x(month), month.strftime("%b")))
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    y_ticks = tuple(Tick(y(v), str(v)) for v in range(0, y_max + 1, step))
    figures = ", ".join(f"{b.label} {b.units}" for b in bands)
    description = (
        f"Units authorized in the benefit year {first} to {last}: {figures}; "
        f"{total} of the {limit}-unit limit, {max(limit - total, 0)} remaining; "
        f"{used_total} used on claims."
    )
    running, line = 0, [(x(first), y(0))]
    for on, units in used_in_year:
        line += [(x(on), y(running)), (x(on), y(running + units))]
        running += units
    line.append((x(last + timedelta(days=1)), y(running)))
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        bottom=HEIGHT - BOTTOM,
        bands=tuple(bands),
        limit=limit,
        limit_y=y(limit),
        total=total,
        x_ticks=tuple(x_ticks),
        y_ticks=y_ticks,
        today_x=x(today) if first <= today <= last else None,
        description=description,
        used=used_total,
        used_points=" ".join(f"{px},{py}" for px, py in line),
    )


def _nice_step(top: int) -> int:
    """Return a round tick step giving four to six ticks up to `top`."""
    for step in (1, 2, 5, 10, 20, 30, 50, 100, 200, 250, 500, 1000):
        if top / step <= 5:
            return step
    return top // 5
