"""Full-site promotion planner against the simulator's true curves: share of the true optimum, ROI held, forecast error.

Run: python bench/bench_promotion.py [--seeds 20] [--skus 80] [--days 180] [--no-timing]

For each seeded shop and three settings (60% and 120% of today's spend at the usual target ROI, 250% at a
target 40% higher, where the ROI floor binds) the plan's daily budgets and suggested target ROIs are run
through the platform's true rule (TrueModel.promo_spend_for_target) and scored with the true curves
(TrueModel.promo_gmv) on the last day. The oracle maximises true GMV with spends set directly, subject to
the budget and the blended ROI, solved on a fine grid by the same Lagrangian plus a greedy finish, over:
- every SKU in stock that is promoted on the last day or has ad spend in the history the planner reads (the
  optimum: a campaign paused before the last day is the merchant's to restart, and the planner may fund it);
- the SKUs the planner may fund: eligible and with promotion history (separates planning from policy);
- those SKUs within the spends their data support, half the least to twice the most they usually spend.
Baselines: today's spend mix scaled to the budget, and an equal split over the same SKUs (both spent in full).
Shops come from the benches' shared cache (bench/worlds.py); results go to bench/out/promotion/ (gitignored).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
from provenance import provenance  # bench/ is on sys.path when run as python bench/<name>.py

OUT = Path(__file__).parent / "out" / "promotion"
Z80 = 1.2816  # the 90% normal quantile: an 80% interval is 2 x Z80 standard deviations wide
SETTINGS = (("60% of spend", 0.6, 1.0), ("120% of spend", 1.2, 1.0), ("250% of spend, target +40%", 2.5, 1.4))


def ensure_world(seed: int, skus: int, days: int, ad: str | None = None) -> Path:
    """A shop's folder (shop.duckdb and truth.json inside), from the benches' shared cache keyed by the
    simulator's source, so a changed simulator is never measured on stale shops. ad: the ad mechanism."""
    from worlds import world  # bench/ is on sys.path when run as python bench/<name>.py

    db, _ = world(seed, skus=skus, days=days, mechanisms=None if ad is None else {"ad": ad})
    return db.parent


def oracle(gmv_of, skus: list[str], top: dict[str, float], budget: float, target: float,
           bottom: dict[str, float] | None = None) -> float:
    """Best true GMV with spends set directly: max sum g_i(s_i), sum s_i <= budget, sum g_i >= target x sum s_i."""
    if not skus:
        return 0.0
    grid = np.array([np.concatenate([[0.0], np.geomspace((bottom or {}).get(sku, 1.0), top[sku], 240)])
                     for sku in skus])
    value = np.array([[gmv_of(sku, s) for s in row] for sku, row in zip(skus, grid, strict=True)])
    rows = np.arange(len(skus))

    def pick(threshold: float) -> np.ndarray:
        return (value - threshold * grid).argmax(axis=1)

    def fits(cell: np.ndarray) -> bool:
        return grid[rows, cell].sum() <= budget + 1e-9

    def roi_ok(cell: np.ndarray) -> bool:
        return value[rows, cell].sum() >= target * grid[rows, cell].sum() - 1e-9

    def lowest(ok) -> float:  # noqa: ANN001
        if ok(pick(0.0)):
            return 0.0
        lo, hi = 0.0, float((value[:, 1:] / grid[:, 1:]).max()) + 1
        for _ in range(60):
            mid = (lo + hi) / 2
            lo, hi = (lo, mid) if ok(pick(mid)) else (mid, hi)
        return hi

    cell = pick(max(lowest(fits), lowest(roi_ok)))
    for _ in range(2000):  # greedy finish: the dual leaves budget on the table where curves are S-shaped
        left = budget - grid[rows, cell].sum()
        gain = value - value[rows, cell][:, None]
        cost = grid - grid[rows, cell][:, None]
        ok = (cost > 0) & (cost <= left) & (gain > 0)
        best = None
        for flat in np.argsort(-np.where(ok, gain / np.where(cost > 0, cost, 1), -np.inf), axis=None)[:50]:
            r, c = np.unravel_index(flat, ok.shape)
            if not ok[r, c]:
                break
            trial = cell.copy()
            trial[r] = c
            if roi_ok(trial):
                best = trial
                break
        if best is None:
            break
        cell = best
    return float(value[rows, cell].sum())


class SimulatorTruth:
    """What the scoring needs from a simulator's truth, here from this repository's simulator (another
    simulator's adapter offers the same five methods)."""

    def __init__(self, folder: Path) -> None:
        from shopagent.sample_shop.truth import TrueModel, load_truth

        self.truth = load_truth(folder / "truth.json")
        self.model = TrueModel(self.truth)
        self.last = self.truth.end

    def promoted(self) -> set[str]:
        return {s.sku_id for s in self.truth.skus if s.promo is not None and s.promo.plan_end >= self.last}

    def in_stock(self, sku: str) -> bool:
        return self.model.in_stock(sku, self.last)

    def top_spend(self, sku: str) -> float:
        """A spend past which the true curve is flat: the oracle's search grid ends there."""
        promo = next(s.promo for s in self.truth.skus if s.sku_id == sku)
        return 6.0 * max(promo.daily_budget.values)

    def gmv(self, sku: str, spend: float) -> float:
        return self.model.promo_gmv(sku, spend)

    def spend_for_target(self, sku: str, target_roi: float, budget: float) -> float:
        return self.model.promo_spend_for_target(sku, target_roi, budget)


def score_world(folder: Path, confidence: float | None = None, history_days: int | None = None) -> list[dict]:
    truth = SimulatorTruth(folder)
    rows = score_shop(folder / "shop.duckdb", truth, f"seed{seed_of(folder)}", confidence, history_days)
    return [{**row, "mechanism": truth.truth.mechanisms.get("ad", "clicks")} for row in rows]


def score_shop(db: Path, truth, name: str, confidence: float | None = None,  # noqa: ANN001
               history_days: int | None = None) -> list[dict]:
    """The plan at each setting, scored with the true curves and against the oracle and two baselines.

    `history_days` shows the planner only the shop's last days, as a merchant who has just started would have
    (the settings' budgets still come from the last week's spend)."""
    from shopagent.tools.panel import data_dates, load_panel
    from shopagent.tools.promotion_backtest import backtest
    from shopagent.tools.promotion_curves import competitor_response, fit_response_curves
    from shopagent.tools.promotion_optimiser import MAX_EXTRAPOLATION
    from shopagent.tools.promotion_plan import HISTORY_DAYS, plan_from_panel
    from shopagent.tools.store import Shop

    shop = Shop(db)
    first, last = data_dates(shop)
    panel = load_panel(shop, max(first, last - timedelta(days=HISTORY_DAYS - 1)), last)
    seen = panel if history_days is None else load_panel(shop, max(first, last - timedelta(days=history_days - 1)),
                                                          last)
    competitor = competitor_response(seen, len(seen.days))
    curves = fit_response_curves(seen, as_of=last, seed=0, competitor=competitor)
    check = backtest(seen, len(seen.days), 0, competitor)  # the plan's self-check, once for the three settings
    end = len(panel.days)
    out = panel.stockout()
    index = panel.catalog.index()
    promoted = truth.promoted()
    current = {sku: float(panel.ad_spend[index[sku], end - 7:end].mean()) for sku in sorted(promoted)}
    current = {sku: spend for sku, spend in current.items() if spend > 0}
    total = sum(current.values())
    usual = sum(current[sku] * panel.target_roi[index[sku], end - 1] for sku in current) / total
    # the optimum may fund every SKU the planner could: those promoted today and those with ad spend anywhere in the
    # history it reads (a campaign paused before the last day is still the merchant's to restart, and the plan does)
    advertised = {sku for sku, row in seen.catalog.index().items() if seen.ad_spend[row].sum() > 0}
    candidates = sorted(sku for sku in promoted | advertised if truth.in_stock(sku) and not out[index[sku], end - 1])
    top = {sku: truth.top_spend(sku) for sku in candidates}

    def gmv_of(sku: str, spend: float) -> float:
        return truth.gmv(sku, spend) if spend > 0 else 0.0

    rows = []
    for setting, multiple, lift in SETTINGS:
        budget, target = round(total * multiple, -1), round(usual * lift, 2)
        options = {} if confidence is None else {"confidence": confidence}
        plan = plan_from_panel(seen, as_of=last, budget=budget, target_roi=target, curves=curves, self_check=check,
                               **options)
        true_spend = true_gmv = gmv_if_spent = 0.0
        for allocation in plan.allocations:
            if allocation.daily_budget <= 0:
                continue
            spend = truth.spend_for_target(allocation.sku_id, allocation.target_roi, allocation.daily_budget)
            true_spend += spend
            true_gmv += gmv_of(allocation.sku_id, spend)
            gmv_if_spent += gmv_of(allocation.sku_id, allocation.daily_budget)
        eligible = [a.sku_id for a in plan.allocations if a.eligible and a.sku_id in curves and a.sku_id in top]
        usual_spend = {sku: (min(curves[sku].spend_low, curves[sku].current_spend),
                             max(curves[sku].spend_high, curves[sku].current_spend)) for sku in eligible}
        supported_top = {sku: min(top[sku], MAX_EXTRAPOLATION * high) for sku, (_, high) in usual_spend.items()}
        supported_bottom = {sku: max(1.0, low / MAX_EXTRAPOLATION) for sku, (low, _) in usual_spend.items()}
        best = oracle(gmv_of, candidates, top, budget, target)
        best_eligible = oracle(gmv_of, eligible, top, budget, target)
        best_supported = oracle(gmv_of, eligible, supported_top, budget, target, supported_bottom)
        funded = [sku for sku in current if sku in candidates]
        share = sum(current[sku] for sku in funded)
        quo_gmv = sum(gmv_of(sku, budget * current[sku] / share) for sku in funded)
        # today's mix as the merchant would really keep it: the SKUs the planner must not fund (out of stock, below
        # cost, undercut...) stopped, the rest scaled to the budget; the plan's own do-no-harm check compares this
        kept = [sku for sku in funded if sku in eligible]
        kept_share = sum(current[sku] for sku in kept)
        kept_gmv = sum(gmv_of(sku, budget * current[sku] / kept_share) for sku in kept) if kept_share else 0.0
        equal_gmv = sum(gmv_of(sku, budget / len(funded)) for sku in funded)
        # the plan's own standard deviation, from its 80% interval: forecast_z is how many of them the truth fell off
        forecast_sd = (plan.expected.gmv_high - plan.expected.gmv_low) / (2 * Z80)
        rows.append({
            "shop": name, "setting": setting, "budget": budget, "target_roi": target,
            "plan_budget": sum(a.daily_budget for a in plan.allocations), "true_spend": true_spend,
            "true_gmv": true_gmv, "true_roi": true_gmv / true_spend if true_spend else 0.0,
            "oracle_gmv": best, "ratio": true_gmv / best if best else 0.0,
            "ratio_eligible": true_gmv / best_eligible if best_eligible else 0.0,
            "ratio_supported": true_gmv / best_supported if best_supported else 0.0,
            "ratio_if_budget_spent": gmv_if_spent / best if best else 0.0,
            "roi_held": bool(true_spend == 0 or true_gmv >= target * true_spend - 1e-6),
            "forecast_error": abs(plan.expected.gmv - true_gmv) / true_gmv if true_gmv else 0.0,
            "forecast_bias": plan.expected.gmv / true_gmv - 1 if true_gmv else 0.0,
            "forecast_z": (true_gmv - plan.expected.gmv) / forecast_sd if forecast_sd > 0 else 0.0,
            "status_quo_ratio": quo_gmv / best if best else 0.0,
            "status_quo_roi_held": bool(quo_gmv >= target * budget),
            "eligible_mix_ratio": kept_gmv / best if best else 0.0,
            "eligible_mix_roi_held": bool(kept and kept_gmv >= target * budget),
            "equal_ratio": equal_gmv / best if best else 0.0, "equal_roi_held": bool(equal_gmv >= target * budget),
            "unspent": plan.unspent_budget, "fallback": plan.fallback or "none",
            "band_covers": bool(true_spend == 0 or plan.expected.gmv_low <= true_gmv <= plan.expected.gmv_high),
            "backtest_mape": check.mape, "backtest_total_error": check.total_error,
            "backtest_coverage": check.coverage, "backtest_extra_sd": check.extra_sd,
            "backtest_sku_sd": getattr(check, "sku_sd", None), "backtest_shift": getattr(check, "shift", None),
            "backtest_bias": check.bias,
        })
    return rows


def seed_of(folder: Path) -> str:
    return folder.name.rsplit("seed", 1)[-1]


def timing(skus: int, days: int, seed: int, repeats: int = 3) -> dict:
    """Seconds for plan_promotion (load, fit, eligibility, optimise, budget curve), and for the whole CLI call."""
    from shopagent.tools.promotion_plan import plan_promotion
    from shopagent.tools.store import Shop

    folder = ensure_world(seed, skus, days)
    shop = Shop(folder / "shop.duckdb")
    budget = 4000.0 * skus / 80
    tool = []
    for _ in range(repeats):
        started = time.perf_counter()
        plan_promotion(shop, budget=budget, target_roi=3.0)
        tool.append(time.perf_counter() - started)
    command = [sys.executable, "-c", "from shopagent.cli import main; main()", "plan", "promotion", "--budget",
               str(budget), "--target-roi", "3", "--db", str(folder / "shop.duckdb"), "--json"]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return {"skus": skus, "days": days, "tool_seconds": min(tool), "tool_median": statistics.median(tool),
            "cli_seconds": time.perf_counter() - started}


def summarise_by_mechanism(rows: list[dict]) -> dict:
    """The summary per ad mechanism (rows without one count as "clicks", the original world)."""
    mechanisms = sorted({row.get("mechanism", "clicks") for row in rows})
    return {mechanism: summarise([row for row in rows if row.get("mechanism", "clicks") == mechanism])
            for mechanism in mechanisms}


def summarise(rows: list[dict]) -> dict:
    summary = {}
    for name, _, _ in SETTINGS:
        part = [row for row in rows if row["setting"] == name]
        if not part:
            continue

        def mean(key: str, part: list[dict] = part) -> float:
            return statistics.mean(row[key] for row in part)

        summary[name] = {
            "shops": len(part),
            "of_optimum": mean("ratio"), "of_optimum_min": min(r["ratio"] for r in part),
            "of_eligible_optimum": mean("ratio_eligible"),
            "of_supported_optimum": mean("ratio_supported"),
            "of_supported_optimum_min": min(r["ratio_supported"] for r in part),
            "roi_held": mean("roi_held"),
            "forecast_error": mean("forecast_error"), "forecast_error_max": max(r["forecast_error"] for r in part),
            "forecast_bias": mean("forecast_bias"),
            # 1 when the plan's uncertainty is honest; below 1 it is wider than its errors, above it too sure
            "forecast_z_spread": statistics.mean(row["forecast_z"] ** 2 for row in part) ** 0.5,
            "status_quo_of_optimum": mean("status_quo_ratio"), "status_quo_roi_held": mean("status_quo_roi_held"),
            "equal_split_of_optimum": mean("equal_ratio"), "equal_split_roi_held": mean("equal_roi_held"),
            "fell_back_to_todays_mix": statistics.mean(row["fallback"] == "todays_mix" for row in part),
            # the stated 80% range of the plan's GMV holds the true GMV in this share of plans (target 0.75-0.90)
            "band_coverage": mean("band_covers"),
            "backtest_total_error": statistics.mean(row["backtest_total_error"] or 0.0 for row in part),
            "backtest_extra_sd": mean("backtest_extra_sd"),
        }
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=100)
    parser.add_argument("--skus", type=int, default=80)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--timing-only", default=None, metavar="SKUSxDAYS",
                        help="only time plan promotion on one shop of this size, e.g. 1000x365 (no scoring)")
    parser.add_argument("--confidence", type=float, default=None,
                        help="plan at this ROI confidence instead of the planner's default (to measure the trade-off)")
    parser.add_argument("--history-days", type=int, default=None,
                        help="show the planner only the last N days, as a merchant who has just started has")
    parser.add_argument("--mechanisms", default="clicks",
                        help="comma-separated ad mechanisms, --seeds shops each (clicks, value, both, cpc, "
                             "underdelivery, or all)")
    args = parser.parse_args()
    if args.timing_only:
        skus, days = (int(part) for part in args.timing_only.lower().split("x"))
        entry = timing(skus, days, 1 if skus > 80 else 7)
        print(f"plan on {skus} SKUs x {days} days: tool {entry['tool_seconds']:.2f} s (median "
              f"{entry['tool_median']:.2f} s), whole CLI call {entry['cli_seconds']:.2f} s")
        return 0
    from shopagent.sample_shop.promotion import AD_MECHANISMS

    mechanisms = AD_MECHANISMS if args.mechanisms == "all" else tuple(args.mechanisms.split(","))
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    for mechanism, seed in ((m, s) for m in mechanisms for s in range(args.first_seed, args.first_seed + args.seeds)):
        # the original world keeps its cached path (and its figures) when asked for by default
        ad = None if mechanism == "clicks" else mechanism
        for row in score_world(ensure_world(seed, args.skus, args.days, ad), args.confidence, args.history_days):
            rows.append(row)
            print(f"{mechanism:>13} {row['shop']:>8} {row['setting']:<27} of optimum {row['ratio']:.3f}, eligible "
                  f"{row['ratio_eligible']:.3f}, supported {row['ratio_supported']:.3f}  ROI {row['true_roi']:.2f}"
                  f"/{row['target_roi']:.2f} {'ok' if row['roi_held'] else 'MISSED'}  forecast "
                  f"{row['forecast_bias']:+.1%}  status quo {row['status_quo_ratio']:.3f}  equal "
                  f"{row['equal_ratio']:.3f}", flush=True)
    result = {"summary": summarise(rows), "by_mechanism": summarise_by_mechanism(rows), "rows": rows,
              "provenance": provenance()}
    if not args.no_timing:
        result["timing"] = [timing(80, 180, 7), timing(1000, 365, 1)]
    name = "results.json" if (args.first_seed, args.confidence, args.history_days, args.mechanisms) == (
        100, None, None, "clicks") else (f"results-from{args.first_seed}-confidence{args.confidence}-history"
                                         f"{args.history_days}-{args.mechanisms.replace(',', '+')}.json")
    (OUT / name).write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    for mechanism, summary in result["by_mechanism"].items():
        for name, figures in summary.items():
            print(f"\n{mechanism}, {name}:")
            for key, value in figures.items():
                print(f"  {key:<26} {value:.3f}" if isinstance(value, float) else f"  {key:<26} {value}")
    for entry in result.get("timing", []):
        print(f"\nplan on {entry['skus']} SKUs x {entry['days']} days: tool {entry['tool_seconds']:.2f} s "
              f"(median {entry['tool_median']:.2f} s), whole CLI call {entry['cli_seconds']:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
