"""`whatif`: one simulator for price, budget and stock changes, built from the fitted parts of the planners.

Baseline = each SKU's recent run rate (its in-stock days of the last four weeks). A price change moves
conversion on every channel by (new / old) ** elasticity (tools.elasticity); a budget change moves the
platform's spend and the attributed GMV along the SKU's full-site promotion curve
(tools.promotion_curves); a stock level caps the units the horizon can sell, and once the shelf is empty
the platform demotes the item (organic visitors fall by the factor seen on the shop's own stockout days)
and paid delivery stops. Intervals come from the parameters' uncertainty: run rates (day-to-day
variation), elasticities (their posterior) and promotion curves (their posterior draws), drawn jointly.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from shopagent.tools.elasticity import ElasticityEstimate, PromoTags, estimate_elasticities, load_promo_tags
from shopagent.tools.errors import ShopError
from shopagent.tools.panel import ShopPanel, data_dates, load_panel
from shopagent.tools.schema import CHANNELS
from shopagent.tools.store import Shop

RUN_RATE_DAYS = 28
HISTORY_DAYS = 365
DRAWS = 200
LEVEL = 0.90
PROMOTION = CHANNELS.index("promotion")
ORGANIC = [index for index, channel in enumerate(CHANNELS) if channel != "promotion"]
ChangeKind = Literal["price", "budget", "stock"]
KPI_NAMES = ("gmv", "visitors", "orders", "conversion", "aov", "units", "ad_spend", "ad_gmv", "roi", "profit")


class RequestError(ShopError):
    """The request itself is wrong (unknown SKU, malformed change): the CLI exits 2 with this message."""


class Change(BaseModel):
    """One requested change, as typed and as understood."""

    model_config = ConfigDict(frozen=True)

    kind: ChangeKind
    target: str  # a sku_id, or "total" for the shop's whole promotion budget
    text: str
    relative: float | None = None  # +0.05 for "+5%"
    absolute: float | None = None  # 129 for "=129"


_VALUE = re.compile(r"^\s*(?P<value>[+-]?\d+(?:\.\d+)?)\s*(?P<pct>%?)\s*$")
EXAMPLES = {"price": "S001=+5% or S001=129", "budget": "S001=800 or total=+20%", "stock": "S001=0"}


def parse_assignments(texts: list[str], kind: ChangeKind) -> dict[str, str]:
    """`["S001=+5%", "S002=129"]` (the CLI's repeated option) as {"S001": "+5%", "S002": "129"}."""
    out: dict[str, str] = {}
    for text in texts:
        target, sign, value = text.partition("=")
        if not sign or not target.strip() or not value.strip():
            raise RequestError(f"--{kind} {text!r} is not understood; write it like {EXAMPLES[kind]}")
        if target.strip() in out:
            raise RequestError(f"--{kind} is given twice for {target.strip()}; give one change per SKU")
        out[target.strip()] = value.strip()
    return out


def parse_changes(*, price: Mapping[str, str | float] | None = None, budget: Mapping[str, str | float] | None = None,
                  stock: Mapping[str, str | float] | None = None) -> list[Change]:
    """Understand {"S001": "+5%"} / {"S001": 129} / {"total": "+20%"} / {"S001": 0}; RequestError if malformed."""
    changes: list[Change] = []
    for kind, given in (("price", price), ("budget", budget), ("stock", stock)):
        for target, value in sorted((given or {}).items()):
            changes.append(_change(kind, str(target).strip(), str(value).strip()))
    return changes


def _change(kind: ChangeKind, target: str, value: str) -> Change:
    text = f"{target}={value}"
    match = _VALUE.match(value)
    if not match:
        raise RequestError(f"--{kind} {text!r} is not understood; write it like {EXAMPLES[kind]}")
    number, pct, signed = float(match["value"]), match["pct"] == "%", match["value"][0] in "+-"
    if target.lower() == "total":
        if kind != "budget":
            raise RequestError(f"--{kind} {text!r}: 'total' only works with --budget (e.g. total=+20%)")
        target = "total"
    if kind == "stock":
        if number < 0:
            raise RequestError(f"--stock {text!r}: stock cannot be negative; {target}=0 is an empty shelf")
        if pct or signed or number != int(number):
            raise RequestError(f"--stock {text!r}: give the units on hand as a whole number, e.g. {target}=0")
        return Change(kind=kind, target=target, text=text, absolute=number)
    if pct:
        if number / 100 <= -1:
            raise RequestError(f"--{kind} {text!r} would make the {kind} zero or negative")
        return Change(kind=kind, target=target, text=text, relative=number / 100)
    if number < 0:
        raise RequestError(f"--{kind} {text!r}: a {kind} cannot be negative; for a cut write it in %, "
                           f"e.g. {target}={number:+g}%")
    if signed:
        raise RequestError(f"--{kind} {text!r}: write a change in % ({target}={number:+g}%) or the new {kind} "
                           f"in yuan ({target}={number:g})")
    if kind == "price" and number == 0:
        raise RequestError(f"--price {text!r}: a price must be above zero")
    return Change(kind=kind, target=target, text=text, absolute=number)


@dataclass
class RunRates:
    """Each SKU's recent daily averages over its in-stock days: the baseline of every what-if."""

    as_of: date
    days_in_stock: np.ndarray  # (sku,)
    units: np.ndarray  # per day
    orders: np.ndarray
    gmv: np.ndarray
    visitors: np.ndarray  # (sku, channel) per day
    ad_spend: np.ndarray
    ad_gmv: np.ndarray
    log_se: np.ndarray  # standard error of log(units per day) from day-to-day variation
    price: np.ndarray  # the regular (untagged) price now
    paid_factor: np.ndarray  # price paid / price shown (extra coupons), per SKU
    on_hand: np.ndarray  # units at the end of as_of (NaN without inventory rows)
    daily_budget: np.ndarray  # promotion budget on as_of, NaN if not in the plan
    target_roi: np.ndarray
    on_sale: np.ndarray  # (sku,) bool: active and priced on as_of
    basket: float  # shop orders / SKU order lines: a two-SKU order is one order


def regular_price(panel: ShopPanel, tags: PromoTags, end: int) -> np.ndarray:
    """Each SKU's latest price on a day without a promotion tag, up to day index `end` (exclusive)."""
    price = panel.price[:, :end]
    plain = np.isfinite(price) & (tags.codes[:, :end] == 0)
    seen = np.isfinite(price)
    pick = np.where(plain.any(axis=1)[:, None], plain, seen)
    last = end - 1 - np.argmax(pick[:, ::-1], axis=1)
    return np.where(pick.any(axis=1), price[np.arange(price.shape[0]), last], np.nan)


def run_rates(panel: ShopPanel, tags: PromoTags, *, as_of: date, days: int = RUN_RATE_DAYS) -> RunRates:
    """Daily run rates over the in-stock days of the last `days` days up to `as_of`."""
    end = (as_of - panel.days[0]).days + 1
    if not 0 < end <= len(panel.days):
        raise ShopError(f"{as_of} is outside the loaded data ({panel.days[0]}..{panel.days[-1]})")
    start = max(0, end - days)
    out = panel.stockout()
    window = np.zeros(panel.units.shape, dtype=bool)
    window[:, start:end] = True
    selling = window & ~out & np.isfinite(panel.price)
    # a SKU that was out most of the window: its last in-stock weeks say more than a handful of days
    thin = selling.sum(axis=1) < 7
    if thin.any():
        wide = np.zeros_like(window)
        wide[:, max(0, end - 3 * days):end] = True
        selling[thin] = (wide & ~out & np.isfinite(panel.price))[thin]
    count = selling.sum(axis=1)
    n = np.maximum(count, 1)

    def per_day(values: np.ndarray) -> np.ndarray:
        return np.where(selling, values, 0.0).sum(axis=1) / n

    units = per_day(panel.units)
    daily = np.where(selling, panel.units, 0.0)
    spread = np.sqrt(np.maximum(((daily - units[:, None]) ** 2 * selling).sum(axis=1) / np.maximum(count - 1, 1),
                                units))  # never below Poisson noise
    log_se = np.where((units > 0) & (count > 1), spread / np.sqrt(n) / np.maximum(units, 1e-9), 0.0)
    shown = np.where(selling, np.nan_to_num(panel.price) * panel.units, 0.0).sum(axis=1)
    gmv = per_day(panel.gmv)
    paid_factor = np.where(shown > 0, gmv * n / np.where(shown > 0, shown, 1.0), 1.0)
    visitors = np.where(selling[:, :, None], panel.visitors, 0.0).sum(axis=1) / n[:, None]
    last = end - 1
    sku_orders = panel.orders[:, start:end].sum()
    basket = float(panel.shop_orders[start:end].sum() / sku_orders) if sku_orders > 0 else 1.0
    active = np.array([status == "active" for status in panel.catalog.status])
    return RunRates(
        as_of=as_of, days_in_stock=count, units=units, orders=per_day(panel.orders), gmv=gmv, visitors=visitors,
        ad_spend=per_day(panel.ad_spend), ad_gmv=per_day(panel.ad_gmv), log_se=log_se,
        price=regular_price(panel, tags, end), paid_factor=np.clip(paid_factor, 0.5, 1.0),
        on_hand=panel.on_hand[:, last], daily_budget=panel.daily_budget[:, last],
        target_roi=panel.target_roi[:, last], on_sale=active & np.isfinite(panel.price[:, last]), basket=basket)


def stockout_traffic_factor(panel: ShopPanel) -> float:
    """Organic visitors on stockout days / on in-stock days of the same SKUs: how hard the platform demotes."""
    out = panel.stockout() & np.isfinite(panel.price)
    organic = panel.visitors[:, :, ORGANIC].sum(axis=2)
    rows = np.flatnonzero(out.any(axis=1) & (~out & np.isfinite(panel.price)).any(axis=1))
    if rows.size == 0:
        return 1.0  # the shop never ran out: no evidence of a demotion, so none is assumed
    expected = actual = 0.0
    for row in rows:
        days = np.flatnonzero(out[row])
        selling = np.flatnonzero(~out[row] & np.isfinite(panel.price[row]))
        # compare with the in-stock days closest in time (the SKU's level drifts over a season)
        near = selling[np.argsort(np.abs(selling[:, None] - days[None, :]).min(axis=1), kind="stable")[:28]]
        expected += organic[row, near].mean() * days.size
        actual += organic[row, days].sum()
    return float(np.clip(actual / expected, 0.0, 1.0)) if expected > 0 else 1.0


@dataclass(frozen=True)
class Drift:
    """How far a run rate strays over the next `horizon` days: a shop-wide part and a SKU's own part (log sd)."""

    common: float = 0.0
    own: float = 0.0


def run_rate_drift(panel: ShopPanel, *, end: int, horizon: int, days: int = RUN_RATE_DAYS) -> Drift:
    """Back-test the run rate on the shop's own history: log(next `horizon` days / trailing `days` days).

    The part shared by all SKUs on the same date (season, platform traffic) and each SKU's own part are
    separated, and the Poisson-like noise of both means is subtracted, so what is left is real drift.
    """
    selling = ~panel.stockout()[:, :end] & np.isfinite(panel.price[:, :end])
    units = np.where(selling, panel.units[:, :end], 0.0)
    shared, own_parts = [], []
    for origin in range(days, end - horizon + 1, 7):
        before, after = slice(origin - days, origin), slice(origin, origin + horizon)
        n1, n2 = selling[:, before].sum(axis=1), selling[:, after].sum(axis=1)
        s1, s2 = units[:, before].sum(axis=1), units[:, after].sum(axis=1)
        ok = (n1 >= 14) & (n2 >= max(horizon // 2, 1)) & (s1 >= 20)
        if ok.sum() < 3:
            continue
        m1, m2 = s1[ok] / n1[ok], (s2[ok] + 0.5) / n2[ok]
        daily = units[ok][:, before]
        spread = np.where(selling[ok][:, before], (daily - m1[:, None]) ** 2, 0.0).sum(axis=1) / np.maximum(
            n1[ok] - 1, 1)
        dispersion = np.maximum(spread / np.maximum(m1, 1e-9), 1.0)  # variance / mean of daily units
        noise = dispersion * (1 / (m1 * n1[ok]) + 1 / (m2 * n2[ok]))
        ratio = np.log(m2 / m1)
        weight = 1 / noise
        centre = float(np.sum(weight * ratio) / weight.sum())
        shared.append((centre, 1 / float(weight.sum())))
        own_parts.extend(((ratio - centre) ** 2 - noise).tolist())
    if len(shared) < 3:
        return Drift()
    centres = np.array([c for c, _ in shared])
    common = max(float(np.var(centres, ddof=1)) - float(np.mean([v for _, v in shared])), 0.0)
    return Drift(common=math.sqrt(common), own=math.sqrt(max(float(np.mean(own_parts)), 0.0)))


class WhatIfKpis(BaseModel):
    """Shop KPIs per day over the horizon, named as in `diagnose`."""

    model_config = ConfigDict(frozen=True)

    gmv: float
    visitors: float
    orders: float
    conversion: float
    aov: float
    units: float
    ad_spend: float
    ad_gmv: float
    roi: float | None
    profit: float  # GMV minus unit cost of the units and ad spend (before refunds)


class SkuOutcome(BaseModel):
    """What the scenario does to one SKU it touches (per day over the horizon)."""

    model_config = ConfigDict(frozen=True)

    sku_id: str
    changes: list[str]
    price_before: float
    price_after: float
    elasticity: float | None
    elasticity_source: Literal["estimated", "category", "none"]
    gmv_before: float
    gmv_after: float
    gmv_delta_ci: tuple[float, float]
    units_before: float
    units_after: float
    ad_spend_before: float
    ad_spend_after: float
    days_in_stock: float  # of the horizon's days, how many the SKU can still sell on


class WhatIf(BaseModel):
    """Baseline (recent run rate), scenario and their difference, per day over the next `days` days."""

    model_config = ConfigDict(frozen=True)

    as_of: date
    days: int
    changes: list[Change]
    baseline: WhatIfKpis
    scenario: WhatIfKpis
    delta: WhatIfKpis
    scenario_ci: dict[str, tuple[float, float]]  # 90% intervals from parameter uncertainty
    delta_ci: dict[str, tuple[float, float]]
    skus: list[SkuOutcome]
    assumptions: list[str]
    method: dict[str, str | float]


def whatif(shop: Shop, *, price: dict[str, str] | None = None, budget: dict[str, str] | None = None,
           stock: dict[str, int | str] | None = None, days: int = 14, as_of: date | None = None,
           seed: int = 0) -> WhatIf:
    """Simulate price, promotion-budget and stock changes against the recent run rate, with 90% intervals.

    Args:
        price: New prices by SKU: {"S001": "+5%"} (a change) or {"S001": "129"} (a new price in yuan).
        budget: Daily full-site promotion budgets: {"S001": "800"} (yuan), {"S001": "+20%"}, {"total": "+20%"}.
        stock: Units available over the horizon, no restock: {"S001": 0} is a stockout from tomorrow.
        days: Horizon in days; KPIs are per day over it.
        as_of: Last day of data the baseline uses (default: the data's last day).
        seed: Seed of the parameter draws behind the intervals.
    """
    changes = parse_changes(price=price, budget=budget, stock=stock)
    if not 1 <= days <= 365:
        raise RequestError(f"--days must be between 1 and 365 (got {days})")
    first, last = data_dates(shop)
    as_of = as_of or last
    if not first <= as_of <= last:
        raise ShopError(f"{as_of} is outside the data, which runs {first}..{last}")
    panel = load_panel(shop, max(first, as_of - timedelta(days=HISTORY_DAYS - 1)), as_of)
    _check_targets(changes, panel)
    tags = load_promo_tags(shop, panel)
    rates = run_rates(panel, tags, as_of=as_of)
    needs_price = any(change.kind == "price" for change in changes)
    estimates = estimate_elasticities(panel, tags=tags) if needs_price else {}
    curves = {}
    if any(change.kind == "budget" for change in changes):
        from shopagent.tools.promotion_curves import fit_response_curves

        curves = fit_response_curves(panel, as_of=as_of, seed=seed)
    end = (as_of - panel.days[0]).days + 1
    return simulate(panel, rates, changes, estimates=estimates, curves=curves, days=days,
                    demotion=stockout_traffic_factor(panel), drift=run_rate_drift(panel, end=end, horizon=days),
                    seed=seed)


def _check_targets(changes: list[Change], panel: ShopPanel) -> None:
    index = panel.catalog.index()
    for change in changes:
        if change.target == "total":
            continue
        if change.target not in index:
            raise RequestError(f"--{change.kind} {change.text!r}: unknown SKU {change.target!r}; list SKUs with "
                                "`shopagent sql \"SELECT sku_id, title FROM products ORDER BY sku_id\"`")
        row = index[change.target]
        if panel.catalog.status[row] != "active" or not np.isfinite(panel.price[row, -1]):
            raise RequestError(f"--{change.kind} {change.text!r}: {change.target} is not on sale on "
                                f"{panel.days[-1]}, so it has no baseline to change")


@dataclass
class _Budget:
    """Changes in spend, attributed GMV and clicks per day from a budget change: column 0 expected, then draws."""

    spend: np.ndarray
    gmv: np.ndarray
    clicks: np.ndarray


def simulate(panel: ShopPanel, rates: RunRates, changes: list[Change], *, estimates: dict[str, ElasticityEstimate],
             curves: dict, days: int, demotion: float, drift: Drift = Drift(), seed: int = 0,
             draws: int = DRAWS) -> WhatIf:
    """Baseline and scenario from fitted parts; column 0 of every array is the expected value, then `draws` draws."""
    catalog = panel.catalog
    n = len(catalog.sku_ids)
    rng = np.random.default_rng(seed)
    z_rate, z_elasticity = rng.standard_normal((n, draws)), rng.standard_normal((n, draws))
    z_common = rng.standard_normal(draws)
    # a run rate is a forecast: besides the noise of a four-week mean, levels drift (season, platform
    # traffic) by as much as the shop's own history shows, partly together and partly SKU by SKU
    spread = np.sqrt(rates.log_se**2 + drift.own**2)[:, None]
    log_level = spread * z_rate + drift.common * z_common[None, :]
    noise = np.exp(log_level - 0.5 * (spread**2 + drift.common**2))
    level = np.concatenate([np.ones((n, 1)), noise], axis=1)
    base = {"units": rates.units, "orders": rates.orders, "gmv": rates.gmv, "ad_spend": rates.ad_spend,
            "ad_gmv": rates.ad_gmv, "paid_visitors": rates.visitors[:, PROMOTION],
            "organic_visitors": rates.visitors[:, ORGANIC].sum(axis=1)}
    base = {name: values[:, None] * level for name, values in base.items()}
    keep = rates.on_sale
    assumptions = [f"Baseline: each SKU's average day over its in-stock days in the {RUN_RATE_DAYS} days to "
                   f"{rates.as_of}; SKUs stay in stock (usual restocking) unless --stock says otherwise."]

    price_after = rates.price.copy()
    sources: dict[int, tuple[float | None, str]] = {}
    volume = np.ones((n, draws + 1))
    for change in (c for c in changes if c.kind == "price"):
        row = catalog.index()[change.target]
        new = rates.price[row] * (1 + change.relative) if change.relative is not None else change.absolute
        price_after[row] = round(float(new), 2)
        mean, sd, source = _elasticity_for(estimates[change.target])
        sources[row] = (mean, source)
        if source == "category":
            assumptions.append(f"{change.target}: its own price history cannot identify an elasticity, so the "
                               f"category's typical {mean:.2f} (sd {sd:.2f}) is used; hence the wide interval.")
        x = math.log(price_after[row] / rates.price[row])
        volume[row, 0] = math.exp(mean * x + 0.5 * (sd * x) ** 2)
        volume[row, 1:] = np.exp((mean + sd * z_elasticity[row]) * x)
    if any(c.kind == "price" for c in changes):
        assumptions.append("A new price moves conversion on every channel by (new / old) ** elasticity; visitors "
                           "and the platform's promotion spend stay as they were.")
    value = volume * (price_after / np.where(rates.price > 0, rates.price, 1.0))[:, None]

    extra = _budget_changes(changes, rates, catalog.sku_ids, curves, draws)
    if extra:
        assumptions.append("A budget acts through the platform's target-ROI rule: spend only rises while the "
                           "SKU's target ROI still holds, along its fitted full-site promotion curve.")
    d_spend, d_gmv, d_clicks = (np.zeros((n, draws + 1)) for _ in range(3))
    for row, budget in extra.items():
        d_spend[row], d_gmv[row], d_clicks[row] = budget.spend, budget.gmv, budget.clicks
    unit_value = np.where(rates.gmv > 0, rates.units / np.where(rates.gmv > 0, rates.gmv, 1.0),
                          1 / np.maximum(rates.price * rates.paid_factor, 1e-9))[:, None]
    line_value = np.where(rates.gmv > 0, rates.orders / np.where(rates.gmv > 0, rates.gmv, 1.0),
                          unit_value[:, 0])[:, None]
    scenario = {
        "units": (base["units"] + d_gmv * unit_value) * volume,
        "orders": (base["orders"] + d_gmv * line_value) * volume,
        "gmv": (base["gmv"] + d_gmv) * value,
        "ad_gmv": (base["ad_gmv"] + d_gmv) * value,
        "ad_spend": base["ad_spend"] + d_spend,
        "paid_visitors": base["paid_visitors"] + d_clicks,
        "organic_visitors": base["organic_visitors"].copy(),
    }
    in_stock = np.ones((n, draws + 1))
    for change in (c for c in changes if c.kind == "stock"):
        row = catalog.index()[change.target]
        demand = scenario["units"][row] * days
        in_stock[row] = np.where(demand > 0, np.clip(change.absolute / np.where(demand > 0, demand, 1), 0, 1), 1)
    if any(c.kind == "stock" for c in changes):
        assumptions.append(f"With --stock no restock arrives within the {days} days; once the shelf is empty the "
                           f"platform demotes the item (organic visitors x{demotion:.2f}, as on this shop's own "
                           "stockout days) and paid delivery stops.")
    for name in ("units", "orders", "gmv", "ad_gmv", "ad_spend", "paid_visitors"):
        scenario[name] = scenario[name] * in_stock
    scenario["organic_visitors"] = scenario["organic_visitors"] * (in_stock + (1 - in_stock) * demotion)

    cost = catalog.unit_cost[:, None]
    before = _totals(base, keep, cost, rates.basket)
    after = _totals(scenario, keep, cost, rates.basket)
    touched = sorted({catalog.index()[c.target] for c in changes if c.target != "total"} | set(extra))
    skus = [_sku_outcome(catalog.sku_ids[row], [c.text for c in changes if c.target in (catalog.sku_ids[row],
                                                                                         "total")],
                         row, rates, price_after, sources, base, scenario, in_stock, days) for row in touched]
    return WhatIf(
        as_of=rates.as_of, days=days, changes=changes, baseline=_kpis(before, 0), scenario=_kpis(after, 0),
        delta=_delta(before, after), scenario_ci=_intervals(after), delta_ci=_intervals(after, before),
        skus=skus, assumptions=assumptions,
        method={"baseline": f"in-stock run rate over the last {RUN_RATE_DAYS} days",
                "price": "constant-elasticity response of conversion (tools.elasticity)",
                "budget": "full-site promotion response curves (tools.promotion_curves)",
                "stock": "units capped by stock over the horizon; demotion after a sell-out",
                "intervals": "run-rate noise and drift (back-tested on the shop's history), elasticity "
                             "posteriors, promotion-curve posterior draws, drawn jointly",
                "drift_common": round(drift.common, 4), "drift_own": round(drift.own, 4),
                "interval_level": LEVEL, "draws": float(draws), "seed": float(seed)},
    )


def _elasticity_for(estimate: ElasticityEstimate) -> tuple[float, float, str]:
    if estimate.status == "estimated" and estimate.elasticity is not None and estimate.elasticity_se is not None:
        return estimate.elasticity, estimate.elasticity_se, "estimated"
    if estimate.category_elasticity is not None and estimate.category_sd is not None:
        return estimate.category_elasticity, estimate.category_sd, "category"
    raise ShopError(f"cannot simulate a price change for {estimate.sku_id}: {estimate.reason}; and the shop has too "
                    "few SKUs with a measured elasticity to borrow one")


def _budget_changes(changes: list[Change], rates: RunRates, sku_ids: list[str], curves: dict,
                    draws: int) -> dict[int, _Budget]:
    """Per SKU row: the change in spend, attributed GMV and clicks when its daily budget changes."""
    budgets = [c for c in changes if c.kind == "budget"]
    if not budgets:
        return {}
    from shopagent.tools.promotion_curves import CurveArrays

    index = {sku_id: row for row, sku_id in enumerate(sku_ids)}
    new_budget: dict[int, float] = {}
    total = next((c for c in budgets if c.target == "total"), None)
    in_plan = [row for row in range(len(sku_ids)) if np.isfinite(rates.daily_budget[row]) and rates.on_sale[row]
               and sku_ids[row] in curves]
    if total is not None:
        if not in_plan:
            raise ShopError(f"no SKU is in the full-site promotion plan on {rates.as_of}; nothing to scale")
        factor = (1 + total.relative if total.relative is not None
                  else total.absolute / float(sum(rates.daily_budget[row] for row in in_plan)))
        new_budget.update({row: float(rates.daily_budget[row]) * factor for row in in_plan})
    for change in (c for c in budgets if c.target != "total"):
        row = index[change.target]
        if change.target not in curves:
            raise ShopError(f"{change.target} has no full-site promotion history, so its response to a budget is "
                            "unknown; run it for two weeks at a small budget first")
        now = float(np.nan_to_num(rates.daily_budget[row]))
        if change.relative is not None and now == 0:
            raise ShopError(f"{change.target} is not in the promotion plan on {rates.as_of}; give a budget in yuan, "
                            f"e.g. {change.target}=300")
        new_budget[row] = now * (1 + change.relative) if change.relative is not None else float(change.absolute)
    out = {}
    for row, budget in sorted(new_budget.items()):
        curve = curves[sku_ids[row]]
        arrays = CurveArrays.of([curve])
        target = rates.target_roi[row]
        if not np.isfinite(target):
            raise ShopError(f"{sku_ids[row]} has no target ROI on {rates.as_of}; set one in the plan first")
        before = np.nan_to_num(rates.daily_budget[row])
        spend0 = arrays.platform_spend(np.array([before]), np.array([target]))[0]
        spend1 = arrays.platform_spend(np.array([budget]), np.array([target]))[0]
        take = np.arange(spend0.size) % draws
        gmv0 = np.diagonal(arrays.gmv(spend0[None, :])[0])
        gmv1 = np.diagonal(arrays.gmv(spend1[None, :])[0])
        clicks = (gmv1 - gmv0) / np.maximum(arrays.value[0], 1e-12)
        column = np.zeros((3, draws + 1))
        for position, series in enumerate((spend1 - spend0, gmv1 - gmv0, clicks)):
            column[position, 0] = series.mean()
            column[position, 1:] = np.resize(series[take], draws)
        out[row] = _Budget(spend=column[0], gmv=column[1], clicks=column[2])
    return out


def _totals(parts: dict[str, np.ndarray], keep: np.ndarray, cost: np.ndarray, basket: float) -> dict[str, np.ndarray]:
    """Shop totals per day for every column (expected, then draws)."""
    total = {name: values[keep].sum(axis=0) for name, values in parts.items()}
    total["visitors"] = total.pop("paid_visitors") + total.pop("organic_visitors")
    total["orders"] = total["orders"] * basket
    total["profit"] = total["gmv"] - (parts["units"] * cost)[keep].sum(axis=0) - total["ad_spend"]
    return total


def _ratios(total: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    def safe(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.where(b > 0, a / np.where(b > 0, b, 1.0), 0.0)

    return {**total, "conversion": safe(total["orders"], total["visitors"]), "aov": safe(total["gmv"], total["orders"]),
            "roi": safe(total["ad_gmv"], total["ad_spend"])}


def _kpis(total: dict[str, np.ndarray], column: int) -> WhatIfKpis:
    values = _ratios(total)
    pick = {name: float(values[name][column]) for name in KPI_NAMES}
    return WhatIfKpis(**{name: round(value, 6 if name == "conversion" else 3 if name == "roi" else 2)
                         for name, value in pick.items()} | {"roi": round(pick["roi"], 3) if
                                                             float(total["ad_spend"][column]) > 0 else None})


def _delta(before: dict[str, np.ndarray], after: dict[str, np.ndarray]) -> WhatIfKpis:
    a, b = _kpis(after, 0), _kpis(before, 0)
    fields = {name: round(getattr(a, name) - getattr(b, name), 6 if name == "conversion" else 2)
              for name in KPI_NAMES if name != "roi"}
    roi = round(a.roi - b.roi, 3) if a.roi is not None and b.roi is not None else None
    return WhatIfKpis(**fields, roi=roi)


def _intervals(after: dict[str, np.ndarray],
               before: dict[str, np.ndarray] | None = None) -> dict[str, tuple[float, float]]:
    """5th and 95th percentiles over the draws, of the scenario or of scenario minus baseline."""
    a = _ratios(after)
    b = _ratios(before) if before is not None else None
    out = {}
    for name in KPI_NAMES:
        series = a[name][1:] - (b[name][1:] if b is not None else 0.0)
        low, high = np.quantile(series, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
        digits = 6 if name == "conversion" else 3 if name == "roi" else 2
        out[name] = (round(float(low), digits), round(float(high), digits))
    return out


def _sku_outcome(sku_id: str, texts: list[str], row: int, rates: RunRates, price_after: np.ndarray,
                 sources: dict[int, tuple[float | None, str]], base: dict[str, np.ndarray],
                 scenario: dict[str, np.ndarray], in_stock: np.ndarray, days: int) -> SkuOutcome:
    elasticity, source = sources.get(row, (None, "none"))
    delta = scenario["gmv"][row, 1:] - base["gmv"][row, 1:]
    low, high = np.quantile(delta, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    return SkuOutcome(
        sku_id=sku_id, changes=texts, price_before=round(float(rates.price[row]), 2),
        price_after=round(float(price_after[row]), 2), elasticity=elasticity, elasticity_source=source,
        gmv_before=round(float(base["gmv"][row, 0]), 2), gmv_after=round(float(scenario["gmv"][row, 0]), 2),
        gmv_delta_ci=(round(float(low), 2), round(float(high), 2)),
        units_before=round(float(base["units"][row, 0]), 2), units_after=round(float(scenario["units"][row, 0]), 2),
        ad_spend_before=round(float(base["ad_spend"][row, 0]), 2),
        ad_spend_after=round(float(scenario["ad_spend"][row, 0]), 2),
        days_in_stock=round(float(in_stock[row, 0]) * days, 1))
