"""`whatif`: one simulator for price, budget and stock changes, built from the fitted parts of the planners.

Baseline = each SKU's recent run rate (its in-stock days of the last four weeks). A price change moves
conversion on every channel by (new / old) ** elasticity (tools.elasticity), and by the kink at the
rival's price for the part of the move above it when the shop's history chose the kinked form; a budget change moves the
platform's spend and the attributed GMV along the SKU's full-site promotion curve
(tools.promotion_curves); a stock level caps the units the horizon can sell, and once the shelf is empty
the platform demotes the item (organic visitors fall by the factor seen on the shop's own stockout days)
and paid delivery stops. Intervals come from the parameters' uncertainty: run rates (day-to-day
variation), elasticities (their posterior) and promotion curves (their posterior draws), drawn jointly.
Where the parts live: the requested changes in `whatif_changes`, run rates, drift and demotion in
`whatif_baseline`, the reported KPIs and intervals in `whatif_results`; this module combines them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from shopagent.tools.elasticity import ElasticityEstimate, fit_demand, load_promo_tags
from shopagent.tools.elasticity_prior import shrink
from shopagent.tools.errors import ShopError
from shopagent.tools.panel import ShopPanel, data_dates, load_panel
from shopagent.tools.store import Shop
from shopagent.tools.whatif_backtest import NO_BACKTEST, Backtest, backtest_demand
from shopagent.tools.whatif_baseline import (
    HISTORY_DAYS,
    ORGANIC,
    PROMOTION,
    RUN_RATE_DAYS,
    Drift,
    RunRates,
    run_rate_drift,
    run_rates,
    stockout_traffic_factor,
)
from shopagent.tools.whatif_changes import Change, RequestError, check_targets, parse_changes
from shopagent.tools.whatif_results import (
    LEVEL,
    WhatIf,
    kpi_delta,
    kpi_intervals,
    kpis_at,
    shop_totals,
    sku_outcome,
)
from shopagent.tools.whatif_rival import above_rival_change, rival_moves

DRAWS = 200
NO_DRIFT = Drift()  # run rates taken as they are, as when the history is too short to back-test


def whatif(shop: Shop, *, price: dict[str, str] | None = None, budget: dict[str, str] | None = None,
           stock: dict[str, int | str] | None = None, days: int = 14, as_of: date | None = None,
           seed: int = 0) -> WhatIf:
    """Simulate price, promotion-budget and stock changes against the recent run rate, with 90% intervals.

    Args:
        price: New prices by SKU: {"S001": "+5%"} (a change), {"S001": "+3元"} (a change in yuan) or
            {"S001": "129"} (a new price in yuan).
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
    check_targets(changes, panel)
    tags = load_promo_tags(shop, panel)
    rates = run_rates(panel, tags, as_of=as_of)
    needs_price = any(change.kind == "price" for change in changes)
    fit = fit_demand(panel, tags=tags)
    estimates = shrink(fit, panel) if needs_price else {}
    curves = {}
    if any(change.kind == "budget" for change in changes):
        from shopagent.tools.promotion_curves import fit_response_curves

        curves = fit_response_curves(panel, as_of=as_of, seed=seed)
    end = (as_of - panel.days[0]).days + 1
    result = simulate(panel, rates, changes, estimates=estimates, curves=curves, days=days,
                      demotion=stockout_traffic_factor(panel), drift=run_rate_drift(panel, end=end, horizon=days),
                      seed=seed, backtest=backtest_demand(panel, tags, kink=bool(fit.form and fit.form.kinked)),
                      rival_paths=rival_moves(panel, end=end, days=days))
    if needs_price and fit.form is not None:
        result.method["demand_form"] = fit.form.describe()
    return result


@dataclass
class _Budget:
    """Changes in spend, attributed GMV and clicks per day from a budget change: column 0 expected, then draws."""

    spend: np.ndarray
    gmv: np.ndarray
    clicks: np.ndarray
    stopped: bool = False  # the budget went to 0: exact, not along the curve


def simulate(panel: ShopPanel, rates: RunRates, changes: list[Change], *, estimates: dict[str, ElasticityEstimate],
             curves: dict, days: int, demotion: float, drift: Drift = NO_DRIFT, seed: int = 0,
             draws: int = DRAWS, backtest: Backtest = NO_BACKTEST, rival_paths: np.ndarray | None = None) -> WhatIf:
    """Baseline and scenario from fitted parts; column 0 of every array is the expected value, then `draws` draws.

    The back-test's interval_scale calibrates the run rates' spread (what it measures: forecasts of units at
    the prices that happened); the price response's spread is only ever widened by it, never narrowed.
    rival_paths: the rival's log price moves over the horizon (`whatif_rival.rival_moves`); None holds it still.
    """
    catalog = panel.catalog
    n = len(catalog.sku_ids)
    rng = np.random.default_rng(seed)
    z_rate, z_elasticity = rng.standard_normal((n, draws)), rng.standard_normal((n, draws))
    z_common = rng.standard_normal(draws)
    z_hinge = rng.standard_normal((n, draws))
    # one rival path per draw, shared by every SKU: festival cuts move the shop's rivals together
    path_of_draw = (rng.integers(0, max(rival_paths.shape[0], 1), size=draws) if rival_paths is not None
                    else np.zeros(draws, dtype=int))
    rival_paths = rival_paths if rival_paths is not None else np.zeros((0, days))
    # a run rate is a forecast: besides the noise of a four-week mean, levels drift (season, platform
    # traffic) by as much as the shop's own history shows, partly together and partly SKU by SKU
    calibrated, widen = backtest.interval_scale, max(backtest.interval_scale, 1.0)
    spread = calibrated * np.sqrt(rates.log_se**2 + drift.own**2)[:, None]
    common = calibrated * drift.common
    log_level = spread * z_rate + common * z_common[None, :]
    noise = np.exp(log_level - 0.5 * (spread**2 + common**2))
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
        new = (rates.price[row] * (1 + change.relative) if change.relative is not None
               else rates.price[row] + change.added if change.added is not None else change.absolute)
        if new <= 0:
            raise RequestError(f"--price {change.text!r} would take {change.target} from "
                               f"¥{rates.price[row]:,.2f} to zero or below")
        price_after[row] = round(float(new), 2)
        mean, sd, source = _elasticity_for(estimates[change.target])
        sd *= widen
        sources[row] = (mean, source)
        if source == "category":
            assumptions.append(f"{change.target}: its own price history cannot identify an elasticity, so the "
                               f"category's typical {mean:.2f} (sd {sd:.2f}) is used; hence the wide interval.")
        low, high = estimates[change.target].price_low, estimates[change.target].price_high
        if low and high and not low * (1 - SOLD_RANGE_SLACK) <= price_after[row] <= high * (1 + SOLD_RANGE_SLACK):
            # a constant elasticity is a local fact: far outside the prices sold at, the forecast is a guess
            assumptions.append(f"Warning: {change.target} at ¥{price_after[row]:,.2f} is far outside the prices it "
                               f"has sold at (¥{low:,.2f}-¥{high:,.2f}); the price response is extrapolated and this "
                               "forecast is unreliable.")
        estimate = estimates[change.target]
        old, new = float(rates.price[row]), float(price_after[row])
        x = math.log(new / old)
        hinge, hinge_sd, gaps = 0.0, 0.0, np.zeros((1, 1))
        if estimate.rival_hinge is not None and estimate.rival_price:
            hinge, hinge_sd = estimate.rival_hinge, widen * (estimate.rival_hinge_se or 0.0)
            gaps = above_rival_change(new, old, estimate.rival_price, rival_paths)
            if estimate.crosses_rival(new, old):
                held = ("its own moves over the horizon drawn from how this shop's rivals moved over "
                        f"{days}-day spells" if rival_paths.shape[0] else
                        f"the competitor's price held there for the {days} days: its own moves are not forecast")
                assumptions.append(f"{change.target}: ¥{new:,.2f} is above the competitor's ¥"
                                   f"{estimate.rival_price:,.2f}; this shop's shoppers leave faster once a SKU is "
                                   f"dearer than its rival (kink {hinge:.2f}), which this forecast counts, with "
                                   f"{held}.")
        elif estimate.crosses_rival(new, old):
            assumptions.append(f"{change.target}: ¥{new:,.2f} is above the competitor's ¥{estimate.rival_price:,.2f}; "
                               "the shop's history shows no extra loss there, so none is assumed.")
        # the kink acts day by day, on the days the rival's price (as it moves) is under ours; each draw takes
        # one of the rival's paths, the expected value averages over all of them
        kinked = np.exp(hinge * gaps + 0.5 * (hinge_sd * gaps) ** 2).mean()
        volume[row, 0] = math.exp(mean * x + 0.5 * (sd * x) ** 2) * float(kinked)
        path = gaps[path_of_draw % gaps.shape[0]]
        volume[row, 1:] = np.exp((mean + sd * z_elasticity[row]) * x) * np.exp(
            (hinge + hinge_sd * z_hinge[row])[:, None] * path).mean(axis=1)
    if any(c.kind == "price" for c in changes):
        assumptions.append("A new price moves conversion on every channel by (new / old) ** elasticity; visitors "
                           "and the platform's promotion spend stay as they were.")
    value = volume * (price_after / np.where(rates.price > 0, rates.price, 1.0))[:, None]

    extra = _budget_changes(changes, rates, catalog.sku_ids, curves, draws)
    if extra:
        assumptions.append("A budget acts through the platform's target-ROI rule: spend only rises while the "
                           "SKU's target ROI still holds, along its fitted full-site promotion curve.")
    if any(budget.stopped for budget in extra.values()):
        assumptions.append("A stopped campaign (budget 0) spends nothing and loses all the GMV attributed to it: the "
                           "most it can lose, since some of those buyers may still find the SKU unpaid.")
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
    before = shop_totals(base, keep, cost, rates.basket, rates.refund_share)
    after = shop_totals(scenario, keep, cost, rates.basket, rates.refund_share)
    touched = sorted({catalog.index()[c.target] for c in changes if c.target != "total"} | set(extra))
    skus = [sku_outcome(catalog.sku_ids[row], [c.text for c in changes if c.target in (catalog.sku_ids[row],
                                                                                        "total")],
                        row, rates, price_after, sources, base, scenario, in_stock, days) for row in touched]
    skus = [_with_rival(outcome, estimates.get(outcome.sku_id)) if outcome.price_after != outcome.price_before
            else outcome for outcome in skus]
    return WhatIf(
        as_of=rates.as_of, days=days, changes=changes, baseline=kpis_at(before, 0), scenario=kpis_at(after, 0),
        delta=kpi_delta(before, after), scenario_ci=kpi_intervals(after), delta_ci=kpi_intervals(after, before),
        skus=skus, assumptions=assumptions,
        method={"baseline": f"in-stock run rate over the last {RUN_RATE_DAYS} days",
                "price": "constant-elasticity response of conversion, with the kink at the rival's price when the "
                         "shop's history chose it (tools.elasticity)",
                "budget": "full-site promotion response curves (tools.promotion_curves)",
                "stock": "units capped by stock over the horizon; demotion after a sell-out",
                "intervals": "run-rate noise and drift (back-tested on the shop's history), elasticity "
                             "posteriors, promotion-curve posterior draws, drawn jointly",
                "drift_common": round(drift.common, 4), "drift_own": round(drift.own, 4),
                "interval_level": LEVEL, "draws": draws, "seed": seed, "backtest": backtest.describe()},
    )


SOLD_RANGE_SLACK = 0.2  # within 20% of the lowest and highest price sold at, the fitted response still holds


def _with_rival(outcome, estimate: ElasticityEstimate | None):
    if estimate is None or not estimate.rival_price:
        return outcome
    return outcome.model_copy(update={"rival_price": estimate.rival_price, "rival_hinge": estimate.rival_hinge,
                                      "crosses_rival": estimate.crosses_rival(outcome.price_after,
                                                                              outcome.price_before)})


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
        if budget == 0:  # a stopped campaign spends nothing and its attributed sales go with it, exactly
            stop = [np.full(draws + 1, -float(v)) for v in (rates.ad_spend[row], rates.ad_gmv[row],
                                                           rates.visitors[row, PROMOTION])]
            out[row] = _Budget(spend=stop[0], gmv=stop[1], clicks=stop[2], stopped=True)
            continue
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

