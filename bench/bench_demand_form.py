"""Which price response the shop's own history chooses (smooth or a kink at the rival's price), and how the
demand model's back-test scores, on both simulators, per rival-price mechanism.

Run: python bench/bench_demand_form.py [--seeds 5] [--first-seed 101] [--simulators sample,alt]
Figures per simulator and mechanism: share of shops whose held-out fit chose the kink (it should on
threshold shops and should not on smooth ones), the mean kink estimated there, and the back-test's
median MAPE, bias and interval coverage. alt_shop has no per-SKU true elasticity, so its pricing and
what-if accuracy are not measured here (bench_pricing.py does that on the sample simulator).
Shops are cached under bench/out/, keyed by each simulator's source and the mechanism.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from provenance import provenance
from worlds import simulator_version, world  # bench/ is on sys.path when run as python bench/<name>.py

BENCH = Path(__file__).parent
OUT = BENCH / "out" / "demand_form"


def alt_world(seed: int, mechanism: str) -> Path:
    """The database of one alt_shop shop without planted events, generated and imported on first use."""
    from alt_shop import generate

    from shopagent.tools.importer import import_folder

    folder = OUT / "alt" / f"{simulator_version(BENCH / 'alt_shop')}-none-seed{seed}-rival_{mechanism}"
    db = folder / "shop.duckdb"
    if not db.exists():
        generate(folder, seed, events="none", mechanisms={"rival_price": mechanism})
        import_folder(folder / "export", db, replace=True)
    return db


def score(db: Path) -> dict:
    from shopagent.tools.elasticity import fit_demand, load_promo_tags
    from shopagent.tools.elasticity_prior import shrink
    from shopagent.tools.panel import data_dates, load_panel
    from shopagent.tools.store import Shop
    from shopagent.tools.whatif_backtest import backtest_demand

    shop = Shop(db)
    panel = load_panel(shop, *data_dates(shop))
    tags = load_promo_tags(shop, panel)
    fit = fit_demand(panel, tags=tags)
    kinks = [e.rival_hinge for e in shrink(fit, panel).values() if e.rival_hinge is not None]
    backtest = backtest_demand(panel, tags, kink=bool(fit.form and fit.form.kinked)).describe()
    return {"kinked": bool(fit.form and fit.form.kinked), "mean_kink": statistics.fmean(kinks) if kinks else None,
            **{name: backtest[name] for name in ("mape", "bias", "interval_coverage", "interval_scale")}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=101)  # development seeds; 200+ are kept for validation
    parser.add_argument("--simulators", default="sample,alt")
    args = parser.parse_args()
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    report: dict = {"seeds": seeds}
    for simulator in args.simulators.split(","):
        for mechanism in ("smooth", "threshold"):
            rows = [score(world(seed, events="none", mechanisms={"rival_price": mechanism})[0] if simulator == "sample"
                          else alt_world(seed, mechanism)) for seed in seeds]

            def median(name: str, rows=rows) -> float | None:
                values = [row[name] for row in rows if row[name] is not None]
                return round(statistics.median(values), 4) if values else None

            report[f"{simulator}/{mechanism}"] = {
                "kink_chosen_share": sum(row["kinked"] for row in rows) / len(rows),
                "mean_kink_where_chosen": median("mean_kink"), "backtest_mape_median": median("mape"),
                "backtest_bias_median": median("bias"), "backtest_coverage_median": median("interval_coverage"),
                "backtest_interval_scale_median": median("interval_scale"), "shops": rows}
    report["provenance"] = provenance()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(json.dumps({key: {k: v for k, v in value.items() if k != "shops"} if isinstance(value, dict) else value
                      for key, value in report.items() if key != "provenance"}, indent=2))


if __name__ == "__main__":
    main()
