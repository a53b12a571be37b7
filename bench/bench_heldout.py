"""Diagnose and the promotion planner on shops from a second simulator, bench/alt_shop, written by a session
that never saw this repository's code or simulator: other demand, promotion, review and refund mechanics.

Run: python bench/bench_heldout.py [--seeds 10] [--first-seed 1] [--quiet-seeds 4] [--skus 60 --days 150]
    [--diagnose-only] [--traffic shop,sku] [--ad-mechanism clicks|value|both|cpc|underdelivery]
Scored exactly as bench_diagnose.py and bench_promotion.py score this repository's simulator (same functions),
so the figures sit side by side. Shops are cached under bench/out/heldout/, keyed by alt_shop's source.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import bench_diagnose
import bench_promotion
from provenance import provenance
from worlds import simulator_version

BENCH = Path(__file__).parent
OUT = BENCH / "out" / "heldout"


def heldout_shop(seed: int, *, events: str = "planted", skus: int = 60, days: int = 150,
                 mechanisms: dict[str, str] | None = None):
    """(database path, alt_shop truth) of one held-out shop, generated and imported on first use (mechanisms: e.g.
    {"ad": "value", "traffic": "sku"}, part of the cached path; None is the original shop)."""
    from alt_shop import generate, load_truth

    from shopagent.tools.importer import import_folder

    chosen = "".join(f"-{key}={value}" for key, value in sorted((mechanisms or {}).items()))
    folder = OUT / "shops" / f"{simulator_version(BENCH / 'alt_shop')}-{events}-{skus}x{days}{chosen}-seed{seed}"
    db = folder / "shop.duckdb"
    if not db.exists():
        generate(folder, seed, n_skus=skus, n_days=days, events=events, mechanisms=mechanisms)
        import_folder(folder / "export", db, replace=True)
    return db, load_truth(folder)


class HeldoutPromotionTruth:
    """alt_shop's truth behind the five methods bench_promotion.score_shop asks for."""

    def __init__(self, truth) -> None:  # noqa: ANN001
        self.truth = truth

    def promoted(self) -> set[str]:
        return set(self.truth.promoted_skus())

    def in_stock(self, sku: str) -> bool:
        return self.truth.in_stock(sku)

    def top_spend(self, sku: str) -> float:
        return self.truth.max_useful_spend(sku)

    def gmv(self, sku: str, spend: float) -> float:
        return self.truth.promo_gmv(sku, spend)

    def spend_for_target(self, sku: str, target_roi: float, budget: float) -> float:
        return self.truth.promo_spend_for_target(sku, target_roi, budget)


def planted_events(truth) -> list[SimpleNamespace]:  # noqa: ANN001
    return [SimpleNamespace(kind=event["kind"], sku_id=event.get("sku_id"), channel=event.get("channel"),
                            impact_gmv=float(event["impact_gmv"])) for event in truth.events]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--quiet-seeds", type=int, default=4)
    parser.add_argument("--skus", type=int, default=60)
    parser.add_argument("--days", type=int, default=150)
    parser.add_argument("--diagnose-only", action="store_true", help="skip the promotion planner (minutes a seed)")
    parser.add_argument("--ad-mechanism", default=None, choices=("clicks", "value", "both", "cpc", "underdelivery"),
                        help="alt_shop's ad mechanism (default: the original shop); figures are per mechanism")
    parser.add_argument("--traffic", default="shop", help="traffic mechanisms to plant (shop,sku), --seeds shops "
                        "each; the promotion planner runs on the first only")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    mechanisms = args.traffic.split(",")
    diagnosed, planned = [], []
    for traffic, seed in [(traffic, seed) for traffic in mechanisms
                          for seed in range(args.first_seed, args.first_seed + args.seeds)]:
        chosen = {"traffic": traffic, **({} if args.ad_mechanism is None else {"ad": args.ad_mechanism})}
        db, truth = heldout_shop(seed, skus=args.skus, days=args.days, mechanisms=chosen)
        scored = {"seed": seed, "traffic": traffic, **bench_diagnose.score_shop(db, planted_events(truth))}
        diagnosed.append(scored)
        print(f"{traffic} seed {seed}: found {scored['found']}/{scored['planted']}, top 10 {scored['top10']}, "
              f"unplanted in top 10 {scored['unplanted']}, missed {scored['missed']}", flush=True)
        if args.diagnose_only or traffic != mechanisms[0]:
            continue
        for row in bench_promotion.score_shop(db, HeldoutPromotionTruth(truth), f"seed{seed}"):
            row["mechanism"] = truth.data.get("mechanisms", {}).get("ad", "clicks")
            planned.append(row)
            print(f"  {row['setting']:<27} of optimum {row['ratio']:.3f}  ROI {row['true_roi']:.2f}/"
                  f"{row['target_roi']:.2f} {'ok' if row['roi_held'] else 'MISSED'}  forecast "
                  f"{row['forecast_bias']:+.1%}  status quo {row['status_quo_ratio']:.3f}", flush=True)
    quiet = []
    for seed in range(101, 101 + args.quiet_seeds):
        db, _ = heldout_shop(seed, events="none", skus=args.skus, days=args.days)
        quiet.append(bench_diagnose.count_findings(db)[0])
    by_traffic = {traffic: bench_diagnose.summarise([item for item in diagnosed if item["traffic"] == traffic])
                  for traffic in mechanisms}
    result = {"diagnose": {**bench_diagnose.summarise(diagnosed), "quiet_shop_findings": quiet,
                           "by_traffic": by_traffic},
              "promotion": bench_promotion.summarise(planned),
              "promotion_by_mechanism": bench_promotion.summarise_by_mechanism(planned),
              "diagnose_seeds": diagnosed, "promotion_rows": planned,
              "provenance": provenance()}
    traffic_part = "" if args.traffic == "shop" else f"-{args.traffic.replace(',', '+')}"
    only = "-diagnose" if args.diagnose_only else ""
    ad_part = "" if args.ad_mechanism is None else "-ad=" + args.ad_mechanism
    name = f"results-{args.skus}x{args.days}-from{args.first_seed}{traffic_part}{ad_part}{only}.json"
    (OUT / name).write_text(
        json.dumps(result, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    print(json.dumps({key: result[key] for key in ("diagnose", "promotion")}, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
