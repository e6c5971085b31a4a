"""A grouped bar chart as SVG geometry (the template draws it): two series per day, a
y axis with round money ticks and labels, day labels on the x axis, values in titles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 70, 10, 10, 40


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: str  # "a" or "b"
    day: date
    minor: int


@dataclass(frozen=True)
class Tick:
    y: float
    minor: int


@dataclass(frozen=True)
class Label:
    x: float
    text: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    bottom: float
    right: float
    bars: list[Bar]
    ticks: list[Tick]
    labels: list[Label]


def _step(top: int) -> int:
    """A round tick step (1, 2 or 5 × 10ⁿ cents) giving at most five ticks up to `top`."""
    step = 100
    while True:
        for factor in (1, 2, 5):
            if top <= step * factor * 5:
                return step * factor
        step *= 10


def bar_chart(daily: list[tuple[date, int, int]]) -> Chart:
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    top = max([max(a, b) for _, a, b in daily] + [1])
    step = _step(top)
    ceiling = -(-top // step) * step
    slot = plot_w / max(len(daily), 1)
    bar_w = max(1.0, slot * 0.38)
    bars: list[Bar] = []
    labels: list[Label] = []
    every = max(1, len(daily) // 12)
    for index, (day, a, b) in enumerate(daily):
        x0 = LEFT + index * slot + slot * 0.1
        for offset, series, minor in ((0.0, "a", a), (bar_w, "b", b)):
            height = plot_h * minor / ceiling
            bars.append(Bar(x0 + offset, TOP + plot_h - height, bar_w, height, series, day, minor))
        if index % every == 0:
            labels.append(Label(LEFT + index * slot + slot / 2, day.strftime("%d.%m.")))
    ticks = [
        Tick(TOP + plot_h - plot_h * value / ceiling, value)
        for value in range(0, ceiling + 1, step)
    ]
    return Chart(WIDTH, HEIGHT, LEFT, TOP + plot_h, WIDTH - RIGHT, bars, ticks, labels)
