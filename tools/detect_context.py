"""What every detector needs: the panel cut into periods, stockout days, and the shop's own trend as a control."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources

import numpy as np

from shopagent.tools.panel import ShopPanel
from shopagent.tools.periods import Period

ORGANIC = (0, 1, 3, 4)  # search, recommend, live, other: the channels the merchant does not buy
BASELINE_DAYS = 28  # conversion effects are measured against up to four weeks before the period


def platform_rules() -> dict:
    """The configurable platform rules (compensation threshold ...) from tools/data/platform_rules.toml."""
    text = resources.files("shopagent.tools").joinpath("data/platform_rules.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@dataclass
class DetectContext:
    panel: ShopPanel
    period: Period
    current: slice
    previous: slice
    history: slice  # every loaded day before the period (a longer baseline for slow signals)
    baseline: slice  # the weeks just before the period: the baseline for conversion effects
    out: np.ndarray  # (sku, day) stockout days
    rules: dict
    effective_visitors: np.ndarray  # (sku, day) visitors weighted by their channel's GMV per visitor
    channel_weight: np.ndarray  # (channel,) that weight: a channel's GMV per visitor over the shop's average

    @classmethod
    def build(cls, panel: ShopPanel, period: Period) -> DetectContext:
        current = panel.day_slice(period.start, period.end)
        baseline = slice(max(0, current.start - BASELINE_DAYS), current.start)
        weight = _channel_weight(panel, baseline)
        return cls(panel=panel, period=period, current=current,
                   previous=panel.day_slice(period.compare_start, period.compare_end),
                   history=slice(0, current.start), baseline=baseline, out=panel.stockout(),
                   rules=platform_rules(), effective_visitors=_effective_visitors(panel, weight),
                   channel_weight=weight)

    def days(self, part: slice) -> list[str]:
        return [day.isoformat() for day in self.panel.days[part]]

    def in_stock_sum(self, array: np.ndarray, part: slice) -> np.ndarray:
        """Per-SKU totals over the days of `part` the SKU could be sold."""
        return np.where(self.out[:, part], 0.0, array[:, part]).sum(axis=1)

    def gmv_per_visitor_ratio(self) -> tuple[np.ndarray, float]:
        """Per-SKU mix-adjusted GMV per visitor (in-stock days, now / baseline) and its shop-wide median,
        the control that keeps seasonality and shop-wide shifts from being blamed on one SKU."""
        visitors = self.effective_visitors
        gpv_now = _safe_ratio(self.in_stock_sum(self.panel.gmv, self.current),
                              self.in_stock_sum(visitors, self.current))
        gpv_before = _safe_ratio(self.in_stock_sum(self.panel.gmv, self.baseline),
                                 self.in_stock_sum(visitors, self.baseline))
        ratio = _safe_ratio(gpv_now, gpv_before)
        enough = (self.in_stock_sum(self.panel.orders, self.current) >= 20) & \
                 (self.in_stock_sum(self.panel.orders, self.baseline) >= 20) & np.isfinite(ratio) & (ratio > 0)
        return ratio, float(np.median(ratio[enough])) if enough.any() else 1.0

    def organic_visitor_ratio(self) -> float:
        """Median over SKUs of organic visitors now / before: seasonality and shop-wide swings."""
        organic = self.panel.visitors[:, :, ORGANIC].sum(axis=2)
        now = self.in_stock_sum(organic, self.current)
        before = self.in_stock_sum(organic, self.previous)
        enough = (now >= 100) & (before >= 100)
        return float(np.median(now[enough] / before[enough])) if enough.any() else 1.0

    def shop_day_index(self) -> np.ndarray:
        """Daily GMV of the SKUs that were in stock all along, scaled to mean 1: the shop's rhythm by day."""
        steady = ~self.out.any(axis=1)
        daily = self.panel.gmv[steady].sum(axis=0) if steady.any() else self.panel.gmv.sum(axis=0)
        window = daily[self.previous.start:self.current.stop]
        mean = window.mean() if window.size and window.mean() > 0 else 1.0
        return daily / mean


def _channel_weight(panel: ShopPanel, baseline: slice) -> np.ndarray:
    """Each channel's shop-wide GMV per visitor over the baseline, relative to the shop's average visitor.

    Channels convert very differently (search shoppers intend to buy; recommend shoppers browse), so a drop
    in a low-converting channel raises raw conversion everywhere. Weighting visitors by channel keeps such a
    mix shift from hiding (or faking) a real change in how well a SKU sells to the visitors it gets.
    """
    channel_visitors = panel.visitors[:, baseline, :].sum(axis=(0, 1))
    channel_gmv = panel.channel_gmv[baseline].sum(axis=0)
    total = channel_gmv.sum() / channel_visitors.sum() if channel_visitors.sum() > 0 else 1.0
    return np.where(channel_visitors > 0, channel_gmv / np.maximum(channel_visitors, 1) / (total or 1.0), 1.0)


def _effective_visitors(panel: ShopPanel, weight: np.ndarray) -> np.ndarray:
    """Visitors weighted by their channel's GMV per visitor (`_channel_weight`)."""
    return (panel.visitors * weight[None, None, :]).sum(axis=2)


def _safe_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan)
