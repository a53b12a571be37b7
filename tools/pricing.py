"""`plan pricing`: per SKU, the price that maximises profit (or GMV) under its price response, within guardrails.

Demand at a new price p, relative to today's regular price p0, is (p / p0) ** elasticity, times
exp(k * (gap(p) - gap(p0))), gap = how far (in log) a price sits above the rival's and k the kink at price
parity, when the shop's history chose the kinked form (tools.elasticity). Candidates are prices that end
the way the shop's prices end, at most `max_change` away from p0, keeping at least `min_margin` of the
price after unit cost, and not far outside the prices the SKU has sold at (where its response was learnt).
The pick maximises the objective at the posterior-mean response; a change worth less than `min_gain` of
the objective is not worth the churn and the price is kept. Intervals follow from the elasticity's and the
kink's standard errors. A rise that takes a SKU from at or below its rival's price to above it must still
pay with the kink at its unfavourable 90% end; one that does not is refused (limited_by "rival_price"), and
one kept with no kink in the model is flagged in its reason.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import date, timedelta
from statistics import NormalDist
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from shopagent.tools.elasticity import ElasticityEstimate, fit_demand, load_promo_tags, why_not_estimated
from shopagent.tools.elasticity_prior import shrink
from shopagent.tools.errors import ShopError, unknown_skus
from shopagent.tools.panel import data_dates, load_panel
from shopagent.tools.store import Shop
from shopagent.tools.whatif_backtest import backtest_demand
from shopagent.tools.whatif_baseline import HISTORY_DAYS, RunRates, run_rates
from shopagent.tools.whatif_changes import RequestError
from shopagent.tools.wording import Language, say

Objective = Literal["profit", "gmv"]
Status = Literal["change", "keep", "cannot_estimate"]
MAX_CHANGE = 0.20
MIN_MARGIN = 0.15  # gross margin after unit cost, as a share of the price paid
RANGE_SLACK = 0.10  # how far beyond the lowest/highest price ever sold a recommendation may go
MIN_GAIN = 0.01
CONFIDENCE = 0.9


class PriceEnding(BaseModel):
    """How the shop's prices end: allowed prices are k * step + offset (step 10, offset 9: 49, 59, 69 ...)."""

    model_config = ConfigDict(frozen=True)

    step: float
    offset: float
    share: float  # share of the shop's regular prices that already end this way
    description: str


class Guardrails(BaseModel):
    """The limits every recommendation respects."""

    model_config = ConfigDict(frozen=True)

    max_change: float
    min_margin: float
    range_slack: float
    min_gain: float
    price_ending: PriceEnding
    # a change must raise the objective with at least this probability under the model's uncertainty
    confidence: float = CONFIDENCE


class PriceRecommendation(BaseModel):
    """One SKU's recommended price, the response it rests on and what the change should bring."""

    model_config = ConfigDict(frozen=True)

    sku_id: str
    title: str
    category: str
    status: Status
    current_price: float
    recommended_price: float
    price_change: float  # recommended / current - 1
    elasticity: float | None
    elasticity_ci: tuple[float, float] | None
    expected_units_change: float | None  # fractions: 0.11 = +11%
    expected_units_change_ci: tuple[float, float] | None
    expected_profit_change: float | None
    expected_profit_change_ci: tuple[float, float] | None
    expected_gmv_change: float | None
    expected_gmv_change_ci: tuple[float, float] | None
    unit_cost: float
    price_sold_low: float | None  # lowest and highest price it sold at in the history used
    price_sold_high: float | None
    margin_now: float  # profit per unit at the current price (after unit cost)
    margin_after: float
    units_per_day: float  # recent in-stock run rate at the current price
    profit_per_day_change: float  # yuan per day, expected
    gmv_per_day_change: float
    limited_by: list[str]  # guardrails that stopped the price going further: max_change, margin, sold_range,
    # rival_price (a rise across the rival's price that would not pay with the kink at its unfavourable end),
    # confidence (kept: the best change is not sure enough to beat today's price)
    rival_price: float | None = None  # the rival's latest price (None: not tracked)
    rival_hinge: float | None = None  # extra elasticity above the rival's price (None: smooth response)
    crosses_rival: bool = False  # the recommended price takes the SKU above its rival's
    reason: str


class PricingPlan(BaseModel):
    """Recommended prices, biggest expected gain first; SKUs the data cannot price come last."""

    model_config = ConfigDict(frozen=True)

    objective: Objective
    as_of: date
    guardrails: Guardrails
    recommendations: list[PriceRecommendation]
    expected: dict[str, int | float]  # profit_per_day_change, gmv_per_day_change over the SKUs changed
    method: dict[str, Any]


def plan_pricing(shop: Shop, *, skus: list[str] | None = None, objective: Objective = "profit",
                 as_of: date | None = None, max_change: float = MAX_CHANGE, min_margin: float = MIN_MARGIN,
                 range_slack: float = RANGE_SLACK, min_gain: float = MIN_GAIN, lang: Language = "en") -> PricingPlan:
    """Recommend a price per SKU that maximises profit or GMV under its estimated price response.

    Args:
        skus: SKU ids to price, e.g. ["S012", "S015"]; None = every SKU on sale.
        objective: profit (毛利, after unit cost) or gmv (销售额).
        as_of: Last day of data to use (default: the data's last day).
        max_change: Largest price change per step, as a fraction (0.2 = 20%).
        min_margin: Smallest margin after unit cost a price must keep, as a share of the price paid.
        range_slack: How far beyond the lowest and highest price ever sold a price may go (0.1 = 10%).
        min_gain: Smallest expected gain (share of the objective) worth a price change.
        lang: Language of each recommendation's reason, zh or en.
    """
    if objective not in ("profit", "gmv"):
        raise RequestError(f"objective must be profit or gmv, not {objective!r}")
    if not 0 < max_change < 1:
        raise RequestError(f"max_change must be between 0 and 1 (got {max_change})")
    if not 0 <= min_margin < 1:
        raise RequestError(f"min_margin must be between 0 and 1 (got {min_margin})")
    first, last = data_dates(shop)
    as_of = as_of or last
    if not first <= as_of <= last:
        raise ShopError(f"{as_of} is outside the data, which runs {first}..{last}")
    panel = load_panel(shop, max(first, as_of - timedelta(days=HISTORY_DAYS - 1)), as_of)
    known = set(panel.catalog.sku_ids)
    unknown = [sku for sku in (skus or []) if sku not in known]
    if unknown:
        raise unknown_skus(unknown, known)
    tags = load_promo_tags(shop, panel)
    fit = fit_demand(panel, tags=tags)
    estimates = shrink(fit, panel)
    rates = run_rates(panel, tags, as_of=as_of)
    backtest = backtest_demand(panel, tags, kink=bool(fit.form and fit.form.kinked))
    plan = price_plan(panel.catalog.sku_ids, panel.catalog.titles, panel.catalog.unit_cost, estimates, rates,
                      skus=skus, objective=objective, lang=lang, interval_scale=max(backtest.interval_scale, 1.0),
                      guardrails=Guardrails(max_change=max_change, min_margin=min_margin, range_slack=range_slack,
                                            min_gain=min_gain, price_ending=price_ending(rates.price[rates.on_sale])))
    plan.method["demand_form"] = fit.form.describe() if fit.form else {}
    plan.method["backtest"] = backtest.describe()
    return plan


def price_ending(prices: np.ndarray) -> PriceEnding:
    """The most common way the shop's prices end (last yuan digit and cents), if most prices share it."""
    prices = prices[np.isfinite(prices) & (prices >= 20)]
    if prices.size == 0:
        return PriceEnding(step=1.0, offset=0.0, share=0.0, description="whole yuan")
    cents = np.round(prices * 100).astype(np.int64)
    digit_cents = Counter(zip((cents // 100 % 10).tolist(), (cents % 100).tolist(), strict=True))
    (digit, cent), count = max(digit_cents.items(), key=lambda item: (item[1], item[0]))
    if count / prices.size >= 0.5:
        shown = f"{digit}" if cent == 0 else f"{digit}.{cent:02d}"
        return PriceEnding(step=10.0, offset=digit + cent / 100, share=round(count / prices.size, 3),
                           description=f"ends in {shown} (like {int(prices[0] // 10) * 10 + digit + cent / 100:g})")
    cent, count = max(Counter((cents % 100).tolist()).items(), key=lambda item: (item[1], item[0]))
    if count / prices.size >= 0.5:
        return PriceEnding(step=1.0, offset=cent / 100, share=round(count / prices.size, 3),
                           description="whole yuan" if cent == 0 else f"ends in .{cent:02d}")
    return PriceEnding(step=0.1, offset=0.0, share=0.0, description="any price to the 0.1 yuan")


def candidate_prices(current: float, low: float, high: float, ending: PriceEnding) -> np.ndarray:
    """Prices with the shop's ending in [low, high], plus the current price (keeping it is always allowed)."""
    if high >= low:
        first = math.ceil((low - ending.offset) / ending.step - 1e-9)
        last = math.floor((high - ending.offset) / ending.step + 1e-9)
        grid = np.round(np.arange(first, last + 1) * ending.step + ending.offset, 2)
        grid = grid[grid > 0]
    else:
        grid = np.array([])
    return np.unique(np.append(grid, round(current, 2)))


def price_plan(sku_ids: list[str], titles: list[str], unit_cost: np.ndarray,
               estimates: dict[str, ElasticityEstimate], rates: RunRates, *, skus: list[str] | None,
               objective: Objective, guardrails: Guardrails, lang: Language = "en",
               interval_scale: float = 1.0) -> PricingPlan:
    """The plan from already-fitted parts (the benchmark calls this with its own shops).

    interval_scale widens the intervals of the expected changes (the back-test's, when it says the model's
    forecasts miss by more than its intervals claim; never below 1)."""
    wanted = set(skus) if skus else None
    recommendations = []
    for row, sku_id in enumerate(sku_ids):
        if (wanted is not None and sku_id not in wanted) or not rates.on_sale[row]:
            continue
        recommendations.append(_recommend(sku_id, titles[row], float(unit_cost[row]), estimates[sku_id], rates,
                                          row, objective, guardrails, lang, interval_scale))
    if wanted is not None:
        missing = sorted(wanted - {r.sku_id for r in recommendations})
        if missing:
            raise RequestError(f"{', '.join(missing)} not on sale on {rates.as_of}; only SKUs on sale can be priced")
    gain = "profit_per_day_change" if objective == "profit" else "gmv_per_day_change"
    recommendations.sort(key=lambda r: (r.status == "cannot_estimate", -getattr(r, gain), r.sku_id))
    changed = [r for r in recommendations if r.status == "change"]
    return PricingPlan(
        objective=objective, as_of=rates.as_of, guardrails=guardrails, recommendations=recommendations,
        expected={"skus_changed": len(changed),
                  "profit_per_day_change": round(sum(r.profit_per_day_change for r in changed), 2),
                  "gmv_per_day_change": round(sum(r.gmv_per_day_change for r in changed), 2)},
        method={"demand": "units = run rate x (price / current price) ** elasticity, per SKU, x exp(kink x change "
                          "in log(price / rival's price) above 0) when the shop's history chose the kinked form",
                "elasticity": "Poisson log-log model per SKU with shop-wide day and promo-tag effects, traffic "
                              "by channel, competitor price; HC3 errors; empirical-Bayes shrinkage to category",
                "choice": "the allowed price with the highest objective at the posterior-mean elasticity among "
                          "those that beat today's price with probability >= guardrails.confidence",
                "backtest_use": "interval_scale > 1 widens the intervals of the expected changes",
                "interval_level": 0.90},
    )


def _recommend(sku_id: str, title: str, cost: float, estimate: ElasticityEstimate, rates: RunRates, row: int,
               objective: Objective, rails: Guardrails, lang: Language, interval_scale: float) -> PriceRecommendation:
    current = round(float(rates.price[row]), 2)
    paid = float(rates.paid_factor[row])
    units = float(rates.units[row])
    margin_now = current * paid - cost
    base = dict(sku_id=sku_id, title=title, category=estimate.category, current_price=current, unit_cost=cost,
                price_sold_low=estimate.price_low, price_sold_high=estimate.price_high,
                margin_now=round(margin_now, 2), units_per_day=round(units, 2))
    if estimate.status != "estimated" or estimate.elasticity is None:
        return PriceRecommendation(
            status="cannot_estimate", recommended_price=current, price_change=0.0, elasticity=None,
            elasticity_ci=None, expected_units_change=None, expected_units_change_ci=None,
            expected_profit_change=None, expected_profit_change_ci=None, expected_gmv_change=None,
            expected_gmv_change_ci=None, margin_after=round(margin_now, 2), profit_per_day_change=0.0,
            gmv_per_day_change=0.0, limited_by=[],
            reason=say(lang, "pricing", "cannot_estimate", current=current, sku=sku_id,
                       why=why_not_estimated(lang, days=estimate.days_used, units=estimate.units_used,
                                             price_days=estimate.price_days_off_usual, usual_price=current)
                       or say(lang, "elasticity", "not_fitted")), **base)
    elasticity = estimate.elasticity
    floor = cost / (paid * (1 - rails.min_margin))
    bounds = {"max_change": (current * (1 - rails.max_change), current * (1 + rails.max_change)),
              "margin": (floor, math.inf),
              "sold_range": ((estimate.price_low or current) * (1 - rails.range_slack),
                             (estimate.price_high or current) * (1 + rails.range_slack))}
    low = max(bound[0] for bound in bounds.values())
    high = min(bound[1] for bound in bounds.values())
    prices = candidate_prices(current, low, high, rails.price_ending)
    log_units = np.array([estimate.log_units_change(float(p), current) for p in prices])
    volume = np.exp(log_units)
    per_unit = prices * paid - cost if objective == "profit" else prices * paid
    now = margin_now if objective == "profit" else current * paid
    value = per_unit * volume
    keep = int(np.flatnonzero(prices == current)[0])
    allowed = np.ones(prices.size, dtype=bool)
    crossing = np.array([estimate.crosses_rival(float(p), current) for p in prices])
    if crossing.any() and estimate.rival_hinge is not None:
        # across the rival's price the kink is the model's least certain part: the rise must pay at its bad end
        bad_end = estimate.rival_hinge - Z90 * (estimate.rival_hinge_se or 0.0)
        doubt = per_unit * np.exp([estimate.log_units_change(float(p), current, hinge=bad_end) for p in prices])
        allowed = ~crossing | (doubt - value[keep] >= rails.min_gain * abs(now))
    # do no harm: a new price must beat today's at the stated confidence under the response's own
    # uncertainty (elasticity and kink errors, widened by the back-test), not only at the posterior mean
    sure = _chance_of_gain(estimate, prices, current, per_unit, now, log_units, interval_scale) >= rails.confidence
    sure[keep] = True
    best_mean = int(np.argmax(np.where(allowed, value, -np.inf)))
    best = int(np.argmax(np.where(allowed & sure, value, -np.inf)))
    gain = value[best] - value[keep]
    if prices[best] == current or gain < rails.min_gain * abs(now):
        best = keep
    unsure = best == keep and best_mean != keep and value[best_mean] - value[keep] >= rails.min_gain * abs(now)
    price = float(prices[best])
    mean_log = float(log_units[best])
    spread = Z90 * interval_scale * _log_units_sd(estimate, price, current)
    units_change = _interval(lambda shift: math.exp(mean_log + shift) - 1, spread)
    profit_ratio = (price * paid - cost) / margin_now if margin_now > 0 else None
    profit_change = (_interval(lambda shift: profit_ratio * math.exp(mean_log + shift) - 1, spread)
                     if profit_ratio is not None else (None, None))
    gmv_change = _interval(lambda shift: price / current * math.exp(mean_log + shift) - 1, spread)
    new_units = units * math.exp(mean_log)
    profit_day = new_units * (price * paid - cost) - units * margin_now
    gmv_day = new_units * price * paid - units * current * paid
    limited = _limits(price, current, prices, value, bounds, rails, best)
    # the own-price response alone would have crossed the rival's price: the kink (or its doubt) stopped it
    own_only = per_unit * np.exp(elasticity * np.log(prices / current))
    if crossing[int(np.argmax(own_only))] and not crossing[best] and estimate.rival_hinge is not None:
        limited.append("rival_price")
    if unsure:
        limited.append("confidence")
    status: Status = "keep" if price == current else "change"
    return PriceRecommendation(
        status=status, recommended_price=price, price_change=round(price / current - 1, 4),
        elasticity=elasticity, elasticity_ci=estimate.elasticity_ci,
        expected_units_change=units_change[0], expected_units_change_ci=units_change[1],
        expected_profit_change=profit_change[0], expected_profit_change_ci=profit_change[1],
        expected_gmv_change=gmv_change[0], expected_gmv_change_ci=gmv_change[1],
        margin_after=round(price * paid - cost, 2), profit_per_day_change=round(profit_day, 2),
        gmv_per_day_change=round(gmv_day, 2), limited_by=limited, rival_price=estimate.rival_price,
        rival_hinge=estimate.rival_hinge, crosses_rival=estimate.crosses_rival(price, current),
        reason=_reason(sku_id, status, current, price, elasticity, estimate, units_change[0], profit_change[0],
                       gmv_change[0], objective, limited, rails, floor, lang), **base)


Z90 = NormalDist().inv_cdf(0.95)


def _chance_of_gain(estimate: ElasticityEstimate, prices: np.ndarray, current: float, per_unit: np.ndarray,
                    now: float, log_units: np.ndarray, interval_scale: float) -> np.ndarray:
    """P(objective at each price > objective today) with log units ~ Normal(mean, sd) from the response's errors.

    The objective rises iff log units change > log(today's value per unit / the price's), exactly."""
    sd = np.array([interval_scale * _log_units_sd(estimate, float(p), current) for p in prices])
    with np.errstate(divide="ignore", invalid="ignore"):
        needed = np.where(per_unit > 0, np.log(np.where(per_unit > 0, now / per_unit, 1.0)), np.inf) if now > 0 \
            else np.where(per_unit > 0, -np.inf, np.inf)
        margin = log_units - needed
        z = np.where(sd > 0, margin / np.where(sd > 0, sd, 1.0), np.where(margin > 0, np.inf, -np.inf))
    normal = NormalDist()
    return np.array([normal.cdf(v) if math.isfinite(v) else float(v > 0) for v in np.nan_to_num(z, nan=-np.inf)])


def _log_units_sd(estimate: ElasticityEstimate, price: float, current: float) -> float:
    """Standard error of log(units at `price` / units now): the elasticity's and the kink's, independent."""
    x = math.log(price / current)
    variance = ((estimate.elasticity_se or 0.0) * x) ** 2
    if estimate.rival_hinge is not None and estimate.rival_price:
        gap = (max(math.log(price / estimate.rival_price), 0.0) - max(math.log(current / estimate.rival_price), 0.0))
        variance += ((estimate.rival_hinge_se or 0.0) * gap) ** 2
    return math.sqrt(variance)


def _interval(change, spread: float) -> tuple[float, tuple[float, float]]:
    """The change at the posterior mean and its 90% interval (the change is monotone in log units)."""
    ends = sorted((change(-spread), change(spread)))
    return round(change(0.0), 4), (round(ends[0], 4), round(ends[1], 4))


def _limits(price: float, current: float, prices: np.ndarray, value: np.ndarray, bounds: dict, rails: Guardrails,
            best: int) -> list[str]:
    """Guardrails the chosen price sits against, in the direction the objective wanted to go."""
    if best != int(np.argmax(value)) or price == current:
        return []
    wants_up = best == prices.size - 1 and price >= current
    wants_down = best == 0 and price <= current
    limited = []
    for name, (low, high) in bounds.items():
        if wants_up and high < math.inf and high - price < rails.price_ending.step + 1e-9:
            limited.append(name)
        elif wants_down and price - low < rails.price_ending.step + 1e-9:
            limited.append(name)
    return limited


def _reason(sku_id: str, status: Status, current: float, price: float, elasticity: float,
            estimate: ElasticityEstimate, units_change: float, profit_change: float | None, gmv_change: float,
            objective: Objective, limited: list[str], rails: Guardrails, floor: float, lang: Language) -> str:
    low, high = estimate.elasticity_ci or (elasticity, elasticity)
    feel = say(lang, "pricing", "feel_strong" if elasticity < -1.5 else "feel_moderate" if elasticity <= -1
               else "feel_weak")
    response = say(lang, "pricing", "response", sku=sku_id, feel=feel, loss=abs(elasticity), low=abs(high),
                   high=abs(low))
    if estimate.prior_weight is not None and estimate.prior_weight > 0.6:
        response += say(lang, "pricing", "borrowed")
    if estimate.rival_hinge and estimate.rival_price and max(price, current) > estimate.rival_price:
        response += say(lang, "pricing", "kink", rival=estimate.rival_price, extra=abs(estimate.rival_hinge))
    if status == "keep":
        text = say(lang, "pricing", "keep", current=current, response=response, min_gain=rails.min_gain,
                   goal=say(lang, "pricing", "goal_profit" if objective == "profit" else "goal_gmv"))
        if "rival_price" in limited:
            text += say(lang, "pricing", "limit_rival_price", rival=estimate.rival_price)
        if "confidence" in limited:
            text = say(lang, "pricing", "keep_unsure", current=current, response=response,
                       confidence=rails.confidence)
        return text
    effect = say(lang, "pricing", "effect_units", change=units_change)
    if profit_change is not None:
        effect += say(lang, "pricing", "effect_profit", change=profit_change)
    effect += say(lang, "pricing", "effect_gmv", change=gmv_change)
    text = say(lang, "pricing", "change", verb=say(lang, "pricing", "raise" if price > current else "cut"),
               current=current, price=price, step=price / current - 1, response=response, effect=effect)
    limits = {"max_change": {"max_change": rails.max_change},
              "margin": {"floor": floor, "min_margin": rails.min_margin}, "sold_range": {},
              "rival_price": {"rival": estimate.rival_price}}
    text += "".join(say(lang, "pricing", f"limit_{name}", **limits[name]) for name in limited)
    if estimate.crosses_rival(price, current) and not estimate.rival_hinge:
        text += say(lang, "pricing", "crosses_no_kink", rival=estimate.rival_price)
    return text
