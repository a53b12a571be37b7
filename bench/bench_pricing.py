"""Elasticities, price recommendations and what-if against the simulator's true demand, over many seeds.

Run: python bench/bench_pricing.py [--seeds 20] [--first-seed 101] [--mechanisms smooth,threshold] [--no-timing]
     [--timing-only]
Every figure is given per rival-price mechanism of the simulated shops (smooth cross-elasticity, or a
threshold at price parity): N seeds each. Figures:
- elasticity MAE and bias (posterior and the SKU's own, unshrunk estimate), 90% interval coverage, share of
  SKUs the data cannot price;
- uplift captured: true profit gain of the recommended prices / true profit gain of the best price the same
  guardrails allow (the simulator's true demand, kink included, over the last week), summed over SKUs in
  yuan per day; also against the unconstrained constant-elasticity optimum for context; and how many
  recommended changes lose profit under the truth;
- what-if: GMV delta per day over the 14 days after `as_of` against the true counterfactual (TrueModel) for
  price rises, price cuts, +10% on SKUs priced just under their rival (the rise crosses it), a stockout
  and a +20% promotion budget, on shops without planted events;
  aggregate relative error sum|pred - true| / sum|true| and how often the 90% interval holds the truth;
- `plan pricing` wall time on 1,000 SKUs x 365 days (in-process and through the CLI).
Shops are cached under bench/out/pricing/, keyed by the simulator's source so a changed simulator rebuilds.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import numpy as np
from provenance import provenance
from worlds import simulator_version, world  # bench/ is on sys.path when run as python bench/<name>.py

OUT = Path(__file__).parent / "out" / "pricing"
HORIZON = 14


def score_elasticities(seed: int, mechanism: str = "smooth") -> dict:
    """Posterior and own estimates against the true elasticities, and the pricing plan's captured uplift."""
    from shopagent.tools.elasticity import estimate_elasticities, load_promo_tags
    from shopagent.tools.panel import data_dates, load_panel
    from shopagent.tools.pricing import plan_pricing
    from shopagent.tools.store import Shop

    db, truth = world(seed, mechanisms={"rival_price": mechanism})
    shop = Shop(db)
    panel = load_panel(shop, *data_dates(shop))
    estimates = estimate_elasticities(panel, tags=load_promo_tags(shop, panel))
    true = {sku.sku_id: sku.elasticity for sku in truth.skus}
    rows = []
    for sku_id, estimate in estimates.items():
        if estimate.status == "estimated":
            low, high = estimate.elasticity_ci
            rows.append((true[sku_id], estimate.elasticity, low, high, estimate.own_elasticity, estimate.own_se))
    started = time.perf_counter()
    plan = plan_pricing(shop)
    seconds = time.perf_counter() - started
    return {"seed": seed, "elasticity": rows, "cannot": sum(e.status != "estimated" for e in estimates.values()),
            "skus": len(estimates), "uplift": uplift(plan, truth), "seconds": seconds,
            "form": plan.method["demand_form"].get("form", ""), "backtest": plan.method["backtest"]}


def uplift(plan, truth) -> dict:
    """True profit gain per day of the plan, of the best guardrailed price and of the unconstrained optimum."""
    from shopagent.sample_shop.truth import TrueModel

    model = TrueModel(truth)
    skus = {sku.sku_id: sku for sku in truth.skus}
    last_days = [truth.end - timedelta(days=k) for k in range(7)]

    def units_of(sku_id: str, price: float) -> float:
        # the SKU's true expected units per day at a regular price, over the last week (weekday mix)
        return statistics.fmean(model.expected_units(sku_id, day, price=price) for day in last_days)

    return uplift_with(plan, units_of, {sku: skus[sku].unit_cost for sku in skus},
                       {sku: skus[sku].elasticity for sku in skus}, truth.paid_price_factor)


def uplift_with(plan, units_of, unit_cost: dict[str, float], elasticity: dict[str, float],  # noqa: ANN001
                paid: float = 1.0) -> dict:
    """uplift() with any simulator's truth: units_of(sku_id, price) are its true expected units per day at a
    price, paid the share of the price the shop keeps."""
    from shopagent.tools.pricing import candidate_prices

    rails = plan.guardrails
    totals = {"plan": 0.0, "best": 0.0, "unconstrained": 0.0}
    worse = changed = crossed = crossed_worse = 0
    for rec in plan.recommendations:
        e, cost, p0 = elasticity[rec.sku_id], unit_cost[rec.sku_id], rec.current_price

        def units(price: float, sku_id=rec.sku_id) -> float:
            return units_of(sku_id, price)

        now = units(p0) * (p0 * paid - cost)

        def gain(price: float, now=now, cost=cost, units=units) -> float:
            return units(price) * (price * paid - cost) - now

        floor = cost / (paid * (1 - rails.min_margin))
        low = max(p0 * (1 - rails.max_change), floor, (rec.price_sold_low or p0) * (1 - rails.range_slack))
        high = min(p0 * (1 + rails.max_change), (rec.price_sold_high or p0) * (1 + rails.range_slack))
        best = max(gain(float(p)) for p in candidate_prices(p0, low, high, rails.price_ending))
        got = gain(rec.recommended_price) if rec.status == "change" else 0.0
        totals["plan"] += got
        totals["best"] += best
        if e < -1:
            optimum = cost * e / (paid * (1 + e))
            totals["unconstrained"] += units(p0) * ((optimum * paid - cost) * (optimum / p0) ** e - (p0 * paid - cost))
        changed += rec.status == "change"
        worse += got < 0
        crossed += rec.crosses_rival
        crossed_worse += rec.crosses_rival and got < 0
    return {**totals, "changed": changed, "worse": worse, "crossed": crossed, "crossed_worse": crossed_worse,
            "skus": len(plan.recommendations)}


def score_whatif(seed: int, mechanism: str = "smooth") -> list[dict]:
    """Predicted vs true GMV delta per day over the HORIZON days after as_of, per scenario."""
    from shopagent.sample_shop.truth import TrueModel
    from shopagent.tools.store import Shop
    from shopagent.tools.whatif import whatif

    db, truth = world(seed, events="none", mechanisms={"rival_price": mechanism})
    shop = Shop(db)
    model = TrueModel(truth)
    as_of = truth.end - timedelta(days=HORIZON)
    future = [as_of + timedelta(days=k) for k in range(1, HORIZON + 1)]
    baseline = whatif(shop, as_of=as_of, days=HORIZON)
    assert baseline.delta.gmv == 0
    rng = np.random.default_rng(seed)
    active = [s.sku_id for s in truth.skus if all(model.price(s.sku_id, day) > 0 and model.world.on_sale[
        model.world.index[s.sku_id], truth.day_index(day)] for day in [as_of, *future])]
    by_gmv = sorted(active, key=lambda sku: -sum(model.expected_gmv(sku, day) for day in future))
    picks = [str(sku) for sku in rng.choice(by_gmv[:40], size=5, replace=False)]
    scenarios = [("price +10% x5", {"price": {sku: "+10%" for sku in picks}}, {sku: 1.10 for sku in picks}),
                 ("price -10% x5", {"price": {sku: "-10%" for sku in picks}}, {sku: 0.90 for sku in picks}),
                 ("stockout top SKU", {"stock": {by_gmv[0]: 0}}, None)]
    world_, t = model.world, truth.day_index(as_of)
    # the SKUs a +10% rise takes from at or below their rival's price to above it, one scenario each
    crossing = [sku for sku in by_gmv[:40] if 0.91 * world_.rival[world_.index[sku], t]
                < model.price(sku, as_of) <= world_.rival[world_.index[sku], t]][:3]
    scenarios += [("price +10% across the rival", {"price": {sku: "+10%"}}, {sku: 1.10}) for sku in crossing]
    if _curves_available():
        scenarios.append(("budget total +20%", {"budget": {"total": "+20%"}}, "budget"))
    out = []
    for name, changes, factors in scenarios:
        result = whatif(shop, as_of=as_of, days=HORIZON, **changes)
        if factors is None:
            sku = next(iter(changes["stock"]))
            true = -sum(model.expected_gmv(sku, day) for day in future) / HORIZON
        elif factors == "budget":
            true = _true_budget_delta(model, truth, future, 1.2)
        else:
            # "+10%" applies to the price of every day of the horizon (coupon days included)
            true = sum(model.expected_gmv(sku, day, price=model.price(sku, day) * factor)
                       - model.expected_gmv(sku, day) for sku, factor in factors.items() for day in future) / HORIZON
        low, high = result.delta_ci["gmv"]
        out.append({"seed": seed, "scenario": name, "predicted": result.delta.gmv, "true": true,
                    "covered": low <= true <= high})
    return out


def _curves_available() -> bool:
    try:
        import shopagent.tools.promotion_curves  # noqa: F401
    except ImportError:
        return False
    return True


def _true_budget_delta(model, truth, future, factor: float) -> float:
    total = 0.0
    world_ = model.world
    for sku in truth.skus:
        if sku.promo is None:
            continue
        row = world_.index[sku.sku_id]
        for day in future:
            t = truth.day_index(day)
            if not world_.in_plan[row, t]:
                continue
            spend = model.promo_spend_for_target(sku.sku_id, float(world_.target_roi[row, t]),
                                                 float(world_.budget[row, t]) * factor, day=day)
            total += model.expected_gmv(sku.sku_id, day, promo_spend=spend) - model.expected_gmv(sku.sku_id, day)
    return total / len(future)


def timing() -> dict:
    """`plan pricing` on 1,000 SKUs x 365 days: in-process (imports warm) and the CLI end to end."""
    from shopagent.tools.pricing import plan_pricing
    from shopagent.tools.store import Shop

    db, _ = world(7, skus=1000, days=365)
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        plan = plan_pricing(Shop(db))
        runs.append(time.perf_counter() - started)
    started = time.perf_counter()
    executable = Path(sys.executable).parent / "shopagent"
    subprocess.run([str(executable), "plan", "pricing", "--db", str(db), "--json"], check=True, capture_output=True)
    cli = time.perf_counter() - started
    return {"in_process_seconds": runs, "cli_seconds": cli, "skus_priced": len(plan.recommendations)}


def summarise(seeds: list[int], mechanism: str) -> dict:
    """Every figure over `seeds` shops of one rival-price mechanism."""
    elastic = [score_elasticities(seed, mechanism) for seed in seeds]
    return aggregate(elastic, [case for seed in seeds for case in score_whatif(seed, mechanism)])


def aggregate(elastic: list[dict], cases: list[dict]) -> dict:
    """The figures over many shops' score_elasticities and score_whatif results (any simulator's)."""
    report: dict = {}
    rows = np.array([row for result in elastic for row in result["elasticity"]])
    true, post, low, high, own, own_se = rows.T
    per_seed_mae = [float(np.mean([abs(r[1] - r[0]) for r in result["elasticity"]])) for result in elastic]
    per_seed_cov = [float(np.mean([r[2] <= r[0] <= r[3] for r in result["elasticity"]])) for result in elastic]
    captured = [r["uplift"]["plan"] / r["uplift"]["best"] for r in elastic if r["uplift"]["best"] > 0]
    report["elasticity"] = {
        "skus": int(rows.shape[0]), "cannot_estimate": sum(r["cannot"] for r in elastic),
        "mae": float(np.mean(np.abs(post - true))), "bias": float(np.mean(post - true)),
        "coverage_90": float(np.mean((low <= true) & (true <= high))),
        "mae_per_seed_range": [min(per_seed_mae), max(per_seed_mae)],
        "coverage_per_seed_range": [min(per_seed_cov), max(per_seed_cov)],
        "own_mae": float(np.mean(np.abs(own - true))), "own_bias": float(np.mean(own - true)),
        "own_z_sd": float(np.std((own - true) / own_se)),
        "mean_interval_width": float(np.mean(high - low)),
    }
    plan_total = sum(r["uplift"]["plan"] for r in elastic)
    best_total = sum(r["uplift"]["best"] for r in elastic)
    report["uplift"] = {
        "captured_of_guardrailed_best": plan_total / best_total,
        "captured_per_seed_median": statistics.median(captured), "captured_per_seed_min": min(captured),
        "captured_of_unconstrained": plan_total / sum(r["uplift"]["unconstrained"] for r in elastic),
        "true_gain_per_day_yuan": plan_total / len(elastic), "best_gain_per_day_yuan": best_total / len(elastic),
        "skus_changed": sum(r["uplift"]["changed"] for r in elastic),
        "changes_that_lose_profit": sum(r["uplift"]["worse"] for r in elastic),
        "skus_priced": sum(r["uplift"]["skus"] for r in elastic),
        "losing_share_of_skus": (sum(r["uplift"]["worse"] for r in elastic)
                                 / sum(r["uplift"]["skus"] for r in elastic)),
        "changes_across_the_rival": sum(r["uplift"]["crossed"] for r in elastic),
        "changes_across_the_rival_that_lose": sum(r["uplift"]["crossed_worse"] for r in elastic),
        "plan_seconds_80x180_median": statistics.median(r["seconds"] for r in elastic),
    }
    whatif_report = {}
    for name in sorted({case["scenario"] for case in cases}):
        mine = [case for case in cases if case["scenario"] == name]
        errors = [abs(c["predicted"] - c["true"]) / abs(c["true"]) for c in mine if c["true"] != 0]
        size = sum(abs(c["true"]) for c in mine)
        whatif_report[name] = {
            "aggregate_error": sum(abs(c["predicted"] - c["true"]) for c in mine) / size,
            "median_error": statistics.median(errors), "max_error": max(errors),
            "bias": sum(c["predicted"] - c["true"] for c in mine) / size,
            "interval_coverage": sum(c["covered"] for c in mine) / len(mine), "cases": len(mine)}
    whatif_report["all"] = {
        "aggregate_error": sum(abs(c["predicted"] - c["true"]) for c in cases) / sum(abs(c["true"]) for c in cases),
        "median_error": statistics.median(abs(c["predicted"] - c["true"]) / abs(c["true"]) for c in cases
                                          if c["true"] != 0),
        "interval_coverage": sum(c["covered"] for c in cases) / len(cases)}
    report["whatif"] = whatif_report
    report["demand_form_chosen"] = dict(Counter(r["form"] for r in elastic))
    report["backtest_median"] = {name: statistics.median(r["backtest"][name] for r in elastic
                                                         if r["backtest"][name] is not None)
                                 for name in ("mape", "bias", "interval_coverage", "interval_scale")}
    report["whatif_cases"] = cases
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=101)
    parser.add_argument("--mechanisms", default="smooth,threshold", help="rival-price mechanisms, comma-separated")
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--timing-only", action="store_true")
    args = parser.parse_args()
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    report: dict = {"seeds": seeds, "simulator": simulator_version(), "mechanisms": args.mechanisms}
    if not args.timing_only:
        report["by_mechanism"] = {mechanism: summarise(seeds, mechanism) for mechanism in args.mechanisms.split(",")}
    if not args.no_timing:
        report["timing_1000x365"] = timing()
    report["provenance"] = provenance()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "report.json").write_text(json.dumps(report, indent=2, default=float), encoding="utf-8")
    shown = {**report, "by_mechanism": {name: {key: value for key, value in part.items() if key != "whatif_cases"}
                                            for name, part in report.get("by_mechanism", {}).items()}}
    print(json.dumps(shown, indent=2,
                     default=lambda v: round(float(v), 4) if isinstance(v, float) and math.isfinite(v) else str(v)))


if __name__ == "__main__":
    main()
