"""Geometry of the report's line charts; the template draws it as inline SVG (no script, works offline)."""
from __future__ import annotations

from dataclasses import dataclass, field

PALETTE = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#57606a")
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 530, 190, 48, 12, 12, 28


@dataclass
class Series:
    name: str
    color: str
    points: str                       # "x,y x,y ..." for <polyline>
    dots: list[tuple[float, float, str]]  # x, y, tooltip


@dataclass
class Chart:
    title: str
    width: int = WIDTH
    height: int = HEIGHT
    series: list[Series] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    x_labels: list[tuple[float, str]] = field(default_factory=list)
    plot: tuple[int, int, int, int] = (LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM)


def _range(values: list[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    pad = max((high - low) * 0.1, 0.01)
    return max(low - pad, 0.0), min(high + pad, 1.0) if high <= 1.0 else high + pad


def line_chart(title: str, nights: list[str], series: dict[str, dict[str, float]]) -> Chart:
    """Rates (0..1) of each named series per night, the nights in order; a night without a value is a gap."""
    chart = Chart(title)
    x0, y0, x1, y1 = chart.plot
    values = [v for per_night in series.values() for v in per_night.values()]
    if not nights or not values:
        return chart
    low, high = _range(values)
    step = (x1 - x0) / max(len(nights) - 1, 1)
    xs = {night: x0 + i * step if len(nights) > 1 else (x0 + x1) / 2 for i, night in enumerate(nights)}

    def y(v: float) -> float:
        return round(y1 - (v - low) / ((high - low) or 1) * (y1 - y0), 1)

    for i, (name, per_night) in enumerate(sorted(series.items(), key=lambda kv: (kv[0] != "all", kv[0]))):
        dots = [(round(xs[n], 1), y(per_night[n]), f"{name} {n}: {per_night[n]:.1%}") for n in nights if n in per_night]
        chart.series.append(Series(name, PALETTE[i % len(PALETTE)], " ".join(f"{x},{yy}" for x, yy, _ in dots), dots))
    chart.y_ticks = [(y(v), f"{v:.0%}" if high - low > 0.05 else f"{v:.1%}") for v in (low, (low + high) / 2, high)]
    shown = nights if len(nights) <= 6 else nights[:: max(len(nights) // 5, 1)]
    chart.x_labels = [(round(xs[n], 1), n[5:]) for n in shown]
    return chart
