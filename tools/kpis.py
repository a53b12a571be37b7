"""The KPI tree: GMV = visitors x conversion x AOV, shop-wide, by channel and by SKU, with an exact decomposition."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict

from shopagent.tools.panel import ShopPanel
from shopagent.tools.periods import Period
from shopagent.tools.schema import CHANNELS


class Kpis(BaseModel):
    """Shop KPIs of the period and of the comparison period (`_prev`)."""

    model_config = ConfigDict(frozen=True)

    gmv: float
    gmv_prev: float
    visitors: int
    visitors_prev: int
    orders: int
    orders_prev: int
    conversion: float
    conversion_prev: float
    aov: float
    aov_prev: float
    units: int
    units_prev: int
    ad_spend: float
    ad_spend_prev: float
    ad_gmv: float
    ad_gmv_prev: float
    roi: float | None
    roi_prev: float | None
    refund_amount: float
    refund_rate: float
    refund_rate_prev: float


class GmvChange(BaseModel):
    """One branch of the tree: GMV before/after and the part of the change each factor explains."""

    model_config = ConfigDict(frozen=True)

    name: str
    gmv: float
    gmv_prev: float
    visitors: int
    visitors_prev: int
    conversion: float
    conversion_prev: float
    aov: float
    aov_prev: float
    visitors_effect: float
    conversion_effect: float
    aov_effect: float

    @property
    def change(self) -> float:
        return self.gmv - self.gmv_prev


class KpiTree(BaseModel):
    """Shop, channels and SKUs; in every branch the three effects add up to the GMV change."""

    model_config = ConfigDict(frozen=True)

    shop: GmvChange
    channels: list[GmvChange]
    skus: list[GmvChange]


def shapley_effects(before: tuple[float, float, float], after: tuple[float, float, float]) -> tuple[float, ...]:
    """Exact Shapley split of the change of x*y*z into the parts due to x, y and z (they sum to the change)."""
    effects = []
    for index in range(3):
        others = [position for position in range(3) if position != index]
        a, b = others
        delta = after[index] - before[index]
        weight = ((before[a] * before[b] + after[a] * after[b]) / 3
                  + (before[a] * after[b] + after[a] * before[b]) / 6)
        effects.append(delta * weight)
    return tuple(effects)


def gmv_change(name: str, gmv: tuple[float, float], visitors: tuple[float, float],
               orders: tuple[float, float]) -> GmvChange:
    """Decompose one branch. A factor undefined in one period (no orders) takes the other period's value,
    which keeps the product equal to GMV and the decomposition exact."""
    conversion = [orders[i] / visitors[i] if visitors[i] > 0 else None for i in range(2)]
    aov = [gmv[i] / orders[i] if orders[i] > 0 else None for i in range(2)]
    conversion = _fill(conversion)
    aov = _fill(aov)
    before = (visitors[0], conversion[0], aov[0])
    after = (visitors[1], conversion[1], aov[1])
    effects = shapley_effects(before, after)
    # orders without tracked visitors (e.g. an 'other' channel with no traffic rows) cannot be split into factors
    residual = (gmv[1] - gmv[0]) - sum(effects)
    change = round(gmv[1], 2) - round(gmv[0], 2)
    visitors_effect = round(effects[0] + residual, 2)
    conversion_effect = round(effects[1], 2)
    return GmvChange(
        name=name, gmv=round(gmv[1], 2), gmv_prev=round(gmv[0], 2), visitors=int(visitors[1]),
        visitors_prev=int(visitors[0]), conversion=round(conversion[1], 6), conversion_prev=round(conversion[0], 6),
        aov=round(aov[1], 2), aov_prev=round(aov[0], 2), visitors_effect=visitors_effect,
        conversion_effect=conversion_effect,
        # the last part takes the rounding remainder so the three add up to the change to the cent
        aov_effect=round(change - visitors_effect - conversion_effect, 2),
    )


def _fill(values: list[float | None]) -> list[float]:
    if values[0] is None and values[1] is None:
        return [0.0, 0.0]
    if values[0] is None:
        return [values[1], values[1]]  # type: ignore[list-item]
    if values[1] is None:
        return [values[0], values[0]]
    return values  # type: ignore[return-value]


def kpi_tree(panel: ShopPanel, period: Period) -> tuple[Kpis, KpiTree]:
    """Shop KPIs and the GMV decomposition for `period` against its comparison period."""
    current = panel.day_slice(period.start, period.end)
    previous = panel.day_slice(period.compare_start, period.compare_end)

    def pair(array: np.ndarray) -> tuple[float, float]:
        """(comparison period, period) totals of a series whose last axis is days."""
        return float(array[..., previous].sum()), float(array[..., current].sum())

    visitors_by_channel = panel.visitors.sum(axis=0)  # (day, channel)
    gmv = (float(panel.channel_gmv[previous].sum()), float(panel.channel_gmv[current].sum()))
    visitors = (float(visitors_by_channel[previous].sum()), float(visitors_by_channel[current].sum()))
    orders = (float(panel.shop_orders[previous].sum()), float(panel.shop_orders[current].sum()))
    shop = gmv_change("shop", gmv, visitors, orders)
    channels = [
        gmv_change(channel, pair(panel.channel_gmv[:, index]), pair(visitors_by_channel[:, index]),
                   pair(panel.channel_orders[:, index]))
        for index, channel in enumerate(CHANNELS)
    ]
    sku_visitors = panel.total_visitors
    skus = []
    for row, sku_id in enumerate(panel.catalog.sku_ids):
        sku_gmv = pair(panel.gmv[row])
        if sku_gmv == (0.0, 0.0) and pair(sku_visitors[row]) == (0.0, 0.0):
            continue
        skus.append(gmv_change(sku_id, sku_gmv, pair(sku_visitors[row]), pair(panel.orders[row])))
    skus.sort(key=lambda branch: (-abs(branch.change), branch.name))
    units = pair(panel.units)
    ad_spend, ad_gmv = pair(panel.ad_spend), pair(panel.ad_gmv)
    refunds = pair(panel.refund_amount)
    kpis = Kpis(
        gmv=shop.gmv, gmv_prev=shop.gmv_prev, visitors=shop.visitors, visitors_prev=shop.visitors_prev,
        orders=int(orders[1]), orders_prev=int(orders[0]), conversion=shop.conversion,
        conversion_prev=shop.conversion_prev, aov=shop.aov, aov_prev=shop.aov_prev,
        units=int(units[1]), units_prev=int(units[0]), ad_spend=round(ad_spend[1], 2),
        ad_spend_prev=round(ad_spend[0], 2), ad_gmv=round(ad_gmv[1], 2), ad_gmv_prev=round(ad_gmv[0], 2),
        roi=round(ad_gmv[1] / ad_spend[1], 3) if ad_spend[1] > 0 else None,
        roi_prev=round(ad_gmv[0] / ad_spend[0], 3) if ad_spend[0] > 0 else None,
        refund_amount=round(refunds[1], 2),
        refund_rate=round(refunds[1] / gmv[1], 4) if gmv[1] > 0 else 0.0,
        refund_rate_prev=round(refunds[0] / gmv[0], 4) if gmv[0] > 0 else 0.0,
    )
    return kpis, KpiTree(shop=shop, channels=channels, skus=skus)
