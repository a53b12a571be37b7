"""Tiny terminal charts: sparklines and horizontal bars from plain numbers."""

from __future__ import annotations

BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float]) -> str:
    """One character per value, scaled between the series' min and max."""
    if not values:
        return ""
    low, high = min(values), max(values)
    if high == low:
        return BLOCKS[3] * len(values)
    return "".join(BLOCKS[min(int((value - low) / (high - low) * len(BLOCKS)), len(BLOCKS) - 1)] for value in values)


def bar(value: float, largest: float, width: int = 20) -> str:
    """A bar of `width` cells at most, proportional to |value| / largest."""
    if largest <= 0:
        return ""
    cells = round(abs(value) / largest * width)
    return "█" * cells


def signed_yuan(value: float) -> str:
    return f"{'+' if value > 0 else '-' if value < 0 else ''}¥{abs(value):,.0f}"


def pct_change(now: float, before: float) -> str:
    if before == 0:
        return "n/a"
    return f"{(now / before - 1) * 100:+.1f}%"
