"""Every benchmark figure per mechanism on both simulators: one command, one table per bench.

Run: python bench/bench_family.py --bench promotion,diagnose,pricing --simulators sample,alt --seeds 20
    [--first-seed N] [--mechanisms all | value,cpc | traffic=sku,rival_price=threshold] [--quiet-seeds 5]
    [--jobs 1]
--mechanisms: each bench takes the ones that are its own and runs all of its own when none is given.
Each shop draws its mechanics (issues 22 and 23): the promotion bench plants an ad mechanism (clicks, value,
both, cpc, underdelivery), the diagnose bench a traffic drop shop-wide or on one SKU's channel (and a rival
priced as a threshold), the pricing bench the rival's price as smooth or threshold. A mechanism without "="
sets the bench's own key (ad, traffic, rival_price). Shops are scored with the single-simulator benches'
own functions (bench_promotion.score_shop, bench_diagnose.score_shop, bench_pricing's scorers), from the
shared caches (bench/worlds.py for ours, bench_heldout.heldout_shop for alt_shop), at the sizes those benches
use: 80 SKUs x 180 days on ours, 60 x 150 on alt_shop. Rows = simulator x mechanism, columns = the issues'
targets. Results go to bench/out/family/<bench>-<simulators>-seeds<N>-from<first>-<code>.json (gitignored), where
<code> is the hash below: a run of other code (main before and after a change) does not overwrite it.
Each shop's scores are also kept as they finish, under bench/out/family/units/<code>/, where <code> is a hash of
the code that scores them (agent/, tools/, prompts/, bench/): a stopped run started again with the same code
scores only the shops it had not finished, and any change to the code scores every shop again. --fresh ignores
what is kept.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path

from provenance import provenance  # bench/ is on sys.path when run as python bench/<name>.py

OUT = Path(__file__).parent / "out" / "family"
SIMULATORS = ("sample", "alt")
KEY = {"promotion": "ad", "diagnose": "traffic", "pricing": "rival_price"}
ALL = {"promotion": ("clicks", "value", "both", "cpc", "underdelivery"),
       "diagnose": ("traffic=shop", "traffic=sku", "rival_price=threshold"),
       "pricing": ("smooth", "threshold")}
FIRST_SEED = {"promotion": 100, "diagnose": 1, "pricing": 101}
QUIET_FIRST_SEED = 101


def mechanism_dict(bench: str, spec: str) -> dict[str, str]:
    """"cpc" -> {"ad": "cpc"}; "rival_price=threshold" -> {"rival_price": "threshold"} (diagnose shops keep
    a shop-wide traffic drop unless told otherwise)."""
    key, _, value = spec.rpartition("=")
    chosen = {key or KEY[bench]: value}
    return {"traffic": "shop", **chosen} if bench == "diagnose" else chosen


def mechanisms_for(bench: str, given: str) -> list[str]:
    """The mechanisms of --mechanisms that belong to this bench (its own names, or key=value with its key; the
    diagnose bench takes any key=value), all of its own when none does."""
    chosen = [spec for spec in given.split(",") if spec in ALL[bench] or spec.split("=")[0] == KEY[bench]
              or ("=" in spec and bench == "diagnose")]
    return chosen or list(ALL[bench])


# one unit of work: (bench, simulator, mechanism spec, seed) -> rows; module-level so a process pool can run it
def run_unit(unit: tuple[str, str, str, int]) -> dict:
    bench, simulator, spec, seed = unit
    started = time.perf_counter()
    error = None
    try:
        rows = {"promotion": _promotion, "diagnose": _diagnose, "pricing": _pricing,
                "quiet": _quiet}[bench](simulator, spec, seed)
    except Exception as exc:  # noqa: BLE001 - a tool that crashes on a shop is a figure, not the end of the run
        import traceback

        rows, error = [], "".join(traceback.format_exception(exc)[-3:])
    return {"bench": bench, "simulator": simulator, "mechanism": spec, "seed": seed, "rows": rows,
            "seconds": time.perf_counter() - started, "error": error}


def _promotion(simulator: str, spec: str, seed: int) -> list[dict]:
    import bench_promotion

    mechanisms = mechanism_dict("promotion", spec)
    if simulator == "sample":
        ad = None if mechanisms["ad"] == "clicks" else mechanisms["ad"]  # the original world keeps its cached path
        return bench_promotion.score_world(bench_promotion.ensure_world(seed, 80, 180, ad))
    from bench_heldout import HeldoutPromotionTruth, heldout_shop

    # the same cached shops as bench_heldout.py (its shops always name their traffic mechanism)
    chosen = {"traffic": "shop", **({} if mechanisms["ad"] == "clicks" else mechanisms)}
    db, truth = heldout_shop(seed, mechanisms=chosen)
    return bench_promotion.score_shop(db, HeldoutPromotionTruth(truth), f"seed{seed}")


def _diagnose(simulator: str, spec: str, seed: int) -> list[dict]:
    import bench_diagnose

    mechanisms = mechanism_dict("diagnose", spec)
    if simulator == "sample":
        from unplanted_truth import UnplantedTruth
        from worlds import world

        db, truth = world(seed, mechanisms=mechanisms)
        return [bench_diagnose.score_shop(db, truth.events, UnplantedTruth(truth).confirms)]
    from bench_heldout import heldout_shop, planted_events

    db, truth = heldout_shop(seed, mechanisms=mechanisms)
    return [bench_diagnose.score_shop(db, planted_events(truth))]


def _quiet(simulator: str, spec: str, seed: int) -> list[dict]:
    import bench_diagnose

    if simulator == "sample":
        total, unconfirmed = bench_diagnose.quiet(seed)
    else:
        from bench_heldout import heldout_shop

        db, _ = heldout_shop(seed, events="none")
        total, unconfirmed = bench_diagnose.count_findings(db)
    return [{"findings": total, "unconfirmed": unconfirmed}]


def _pricing(simulator: str, spec: str, seed: int) -> list[dict]:
    import bench_pricing

    mechanism = mechanism_dict("pricing", spec)["rival_price"]
    if simulator == "sample":
        return [{"elastic": bench_pricing.score_elasticities(seed, mechanism),
                 "whatif": bench_pricing.score_whatif(seed, mechanism)}]
    import bench_pricing_alt

    return [{"elastic": bench_pricing_alt.score_elasticities(seed, mechanism),
             "whatif": bench_pricing_alt.score_whatif(seed, mechanism)}]


def code_fingerprint() -> str:
    """A hash of every file the scores depend on: the package, its prompts, the simulators and the benches (their
    outputs aside)."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for folder in ("agent", "tools", "prompts", "sample_shop", "bench"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and "out" not in path.relative_to(root).parts and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def kept_unit(unit: tuple[str, str, str, int], folder: Path) -> Path:
    bench, simulator, spec, seed = unit
    return folder / f"{bench}-{simulator}-{spec.replace('=', '_')}-seed{seed}.json"


def run_kept(job: tuple[tuple[str, str, str, int], str]) -> dict:
    """run_unit, reading and writing the scores kept for this code (a crash is never kept)."""
    unit, folder = job
    path = kept_unit(unit, Path(folder))
    if folder and path.exists():
        return {**json.loads(path.read_text(encoding="utf-8")), "kept": True}
    result = run_unit(unit)
    if folder and result["error"] is None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_text(json.dumps(result, ensure_ascii=False, default=str), encoding="utf-8")
        partial.replace(path)
    return result


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def summarise_promotion(rows: list[dict]) -> dict:
    import bench_promotion

    summary = bench_promotion.summarise(rows)
    short = {name: key for (name, _, _), key in zip(bench_promotion.SETTINGS, ("60", "120", "250"), strict=True)}
    out: dict = {"shops": len({row["shop"] for row in rows})}
    for name, figures in summary.items():
        out[f"of_optimum_{short[name]}"] = figures["of_optimum"]
        out[f"of_optimum_{short[name]}_min"] = figures["of_optimum_min"]
    # do no harm: the plan's true GMV against today's mix scaled to the budget, in points of the optimum, where
    # that mix holds the target (spent in full, it may not: then it is no option the plan could have taken)
    # that mix holds the target (spent in full, it may not: then it is no option the plan could have taken). Today's
    # mix is the one the merchant would keep: the SKUs the planner must not fund stopped (as the planner's own
    # do-no-harm check reads it); the mix that goes on funding them too is kept beside it (rows of older runs
    # have only that one)
    kept = [row["ratio"] - row["eligible_mix_ratio"] for row in rows if row.get("eligible_mix_roi_held")]
    out["worst_vs_todays_mix_points"] = 100 * min(kept) if kept else None
    fair = [row["ratio"] - row["status_quo_ratio"] for row in rows if row["status_quo_roi_held"]]
    out["worst_vs_full_mix_points"] = 100 * min(fair) if fair else None
    out["roi_held"] = _mean([float(row["roi_held"]) for row in rows])
    out["forecast_error"] = _mean([row["forecast_error"] for row in rows])
    out["band80_coverage"] = _mean([float(row["band_covers"]) for row in rows])
    out["fell_back"] = _mean([float(row["fallback"] == "todays_mix") for row in rows])
    out["by_setting"] = summary
    return out


def summarise_diagnose(rows: list[dict]) -> dict:
    import bench_diagnose

    summary = bench_diagnose.summarise(rows)
    return {"shops": summary["seeds"], "recall": summary["recall"], "recall_at_10": summary["recall_at_10"],
            # the same over the causes worth diagnose's own materiality bar (0.05% of the period's GMV)
            "recall_over_bar": summary["recall_over_bar"], "recall_at_10_over_bar": summary["recall_at_10_over_bar"],
            "unplanted_top10_mean": summary["unplanted_in_top10_mean"],
            "unplanted_top10_max": summary["unplanted_in_top10_max"],
            # the same without the ones the simulator's own counterfactual confirms as real (ours only: alt_shop
            # can rebuild only shops without planted causes, so on alt this equals the raw count)
            "unplanted_unconfirmed_top10_max": summary["unplanted_unconfirmed_in_top10_max"],
            "seconds_median": summary["diagnose_seconds_sample_median"],
            "missed_by_kind": summary["missed_by_kind"], "summary": summary}


def summarise_pricing(rows: list[dict]) -> dict:
    import bench_pricing

    report = bench_pricing.aggregate([row["elastic"] for row in rows], [c for row in rows for c in row["whatif"]])
    crossing = report["whatif"].get("price +10% across the rival", {})
    return {"shops": len(rows), "elasticity_mae": report["elasticity"]["mae"],
            "coverage_90": report["elasticity"]["coverage_90"],
            "uplift_share": report["uplift"]["captured_of_guardrailed_best"],
            "losing_share_of_skus": report["uplift"]["losing_share_of_skus"],
            "whatif_error": report["whatif"]["all"]["aggregate_error"],
            "whatif_error_crossing": crossing.get("aggregate_error"), "crossing_cases": crossing.get("cases", 0),
            "report": {key: value for key, value in report.items() if key != "whatif_cases"}}


SUMMARISE = {"promotion": summarise_promotion, "diagnose": summarise_diagnose, "pricing": summarise_pricing}
COLUMNS = {
    "promotion": [("shops", "shops", "{:d}"), ("of_optimum_60", "opt 60%", "{:.3f}"),
                  ("of_optimum_120", "opt 120%", "{:.3f}"), ("of_optimum_250", "opt 250%", "{:.3f}"),
                  ("worst_vs_todays_mix_points", "vs mix, worst (pts)", "{:+.1f}"),
                  ("worst_vs_full_mix_points", "vs mix incl. ineligible", "{:+.1f}"),
                  ("roi_held", "ROI held", "{:.2f}"),
                  ("forecast_error", "fcst err", "{:.3f}"), ("band80_coverage", "80% band", "{:.2f}")],
    "diagnose": [("shops", "shops", "{:d}"), ("recall", "recall", "{:.3f}"), ("recall_at_10", "recall@10", "{:.3f}"),
                 ("recall_over_bar", "recall >= bar", "{:.3f}"), ("recall_at_10_over_bar", "@10 >= bar", "{:.3f}"),
                 ("unplanted_top10_mean", "unplanted top10 mean", "{:.2f}"),
                 ("unplanted_top10_max", "max", "{:d}"),
                 ("unplanted_unconfirmed_top10_max", "max not confirmed real", "{:d}"),
                 ("seconds_median", "s/shop", "{:.2f}")],
    "pricing": [("shops", "shops", "{:d}"), ("elasticity_mae", "elast MAE", "{:.3f}"),
                ("coverage_90", "90% cov", "{:.3f}"), ("uplift_share", "uplift", "{:.3f}"),
                ("losing_share_of_skus", "losing SKUs", "{:.3f}"), ("whatif_error", "what-if err", "{:.3f}"),
                ("whatif_error_crossing", "crossing err", "{:.3f}")],
}
TARGETS = {
    "promotion": "targets: opt >= 0.95 at 60% and 120%, >= 0.85 at 250%; never > 1 pt below today's mix (its "
                 "SKUs the planner may fund, where it holds the target); ROI held 1.00; forecast error <= 0.10; "
                 "80% band covers 0.75-0.90",
    "diagnose": "targets: recall >= 0.95, recall@10 >= 0.90, unplanted in the top 10 <= 2 per shop, quiet shops <= 2 "
                "findings (\">= bar\": over the planted causes worth diagnose's materiality bar, 0.05% of GMV)",
    "pricing": "targets: elasticity MAE <= 0.25, 90% coverage 0.85-0.95, uplift >= 0.8, losing SKUs <= 0.05, "
               "what-if error <= 0.15 (also crossing the rival)",
}


def table(bench: str, summaries: dict[tuple[str, str], dict]) -> str:
    """One row per simulator x mechanism, the target columns."""
    header = ["simulator", "mechanism", *(label for _, label, _ in COLUMNS[bench]), "crashed"]
    lines = []
    for (simulator, spec), summary in summaries.items():
        cells = [simulator, spec]
        for key, _, fmt in COLUMNS[bench]:
            value = summary.get(key)
            cells.append("-" if value is None else fmt.format(value))
        cells.append(str(summary["crashed"]))
        lines.append(cells)
    widths = [max(len(str(row[i])) for row in [header, *lines]) for i in range(len(header))]
    text = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
            for row in [header, *lines]]
    return "\n".join([f"== {bench} ==", *text, TARGETS[bench]])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", default="promotion,diagnose,pricing", help="comma-separated: promotion, diagnose, "
                        "pricing")
    parser.add_argument("--simulators", default="sample,alt", help="comma-separated: sample (ours), alt (alt_shop)")
    parser.add_argument("--seeds", type=int, default=20, help="shops per simulator and mechanism")
    parser.add_argument("--first-seed", type=int, default=None, help="default: the single-simulator bench's own")
    parser.add_argument("--mechanisms", default="all", help="comma-separated mechanisms of each bench, or all")
    parser.add_argument("--quiet-seeds", type=int, default=5, help="diagnose: shops without planted causes")
    parser.add_argument("--quiet-first-seed", type=int, default=QUIET_FIRST_SEED, help="diagnose: the first of them")
    parser.add_argument("--jobs", type=int, default=1, help="processes (the machine is shared: keep it low)")
    parser.add_argument("--fresh", action="store_true", help="score every shop again, ignoring kept scores")
    args = parser.parse_args()
    benches = args.bench.split(",")
    simulators = args.simulators.split(",")
    for name in benches:
        if name not in KEY:
            parser.error(f"unknown bench {name!r}; choose from {', '.join(KEY)}")
    for name in simulators:
        if name not in SIMULATORS:
            parser.error(f"unknown simulator {name!r}; choose from {', '.join(SIMULATORS)}")
    OUT.mkdir(parents=True, exist_ok=True)
    units, specs = [], {}
    for bench in benches:
        specs[bench] = mechanisms_for(bench, args.mechanisms)
        first = FIRST_SEED[bench] if args.first_seed is None else args.first_seed
        units += [(bench, simulator, spec, seed) for simulator in simulators for spec in specs[bench]
                  for seed in range(first, first + args.seeds)]
        if bench == "diagnose":
            units += [("quiet", simulator, "none", seed) for simulator in simulators
                      for seed in range(args.quiet_first_seed, args.quiet_first_seed + args.quiet_seeds)]
    started = time.perf_counter()
    code = code_fingerprint()
    kept = "" if args.fresh else str(OUT / "units" / code)
    jobs = [(unit, kept) for unit in units]
    done = []
    if args.jobs > 1:
        from multiprocessing import get_context

        with get_context("spawn").Pool(args.jobs) as pool:
            for result in pool.imap(run_kept, jobs):
                done.append(result)
                _progress(result, len(done), len(units), started)
    else:
        for job in jobs:
            done.append(run_kept(job))
            _progress(done[-1], len(done), len(units), started)
    wall = time.perf_counter() - started
    for bench in benches:
        summaries = {}
        for simulator in simulators:
            for spec in specs[bench]:
                rows = [row for result in done if (result["bench"], result["simulator"], result["mechanism"])
                        == (bench, simulator, spec) for row in result["rows"]]
                crashed = [result["seed"] for result in done if result["error"] and (
                    result["bench"], result["simulator"], result["mechanism"]) == (bench, simulator, spec)]
                summaries[(simulator, spec)] = {**(SUMMARISE[bench](rows) if rows else {"shops": 0}),
                                                "crashed": len(crashed), "crashed_seeds": crashed}
        quiet = {}
        if bench == "diagnose":
            quiet = {simulator: [row["findings"] if result["rows"] else "crashed" for result in done
                                 if (result["bench"], result["simulator"]) == ("quiet", simulator)
                                 for row in (result["rows"] or [None])] for simulator in simulators}
        seconds = {f"{simulator}/{spec}": sum(r["seconds"] for r in done if (r["bench"], r["simulator"], r["mechanism"])
                                              == (bench, simulator, spec)) for simulator, spec in summaries}
        payload = {"bench": bench, "seeds": args.seeds, "first_seed": FIRST_SEED[bench] if args.first_seed is None
                   else args.first_seed, "wall_seconds_whole_run": wall, "seconds_by_row": seconds,
                   "summary": {f"{simulator}/{spec}": figures for (simulator, spec), figures in summaries.items()},
                   "quiet_shop_findings": quiet,
                   "units": [r for r in done if r["bench"] == bench or (bench == "diagnose" and r["bench"] == "quiet")],
                   "provenance": provenance()}
        name = f"{bench}-{'+'.join(simulators)}-seeds{args.seeds}-from{payload['first_seed']}-{code}.json"
        (OUT / name).write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
        print("\n" + table(bench, summaries))
        for simulator, counts in quiet.items():
            print(f"quiet shops ({simulator}): findings {counts}")
        print(f"-> {OUT / name}")
    print(f"\nwall time {wall:.0f} s for {len(units)} shops ({args.jobs} job(s))")
    return 0


def _progress(result: dict, count: int, total: int, started: float) -> None:
    print(f"[{count}/{total} {time.perf_counter() - started:.0f}s] {result['bench']} {result['simulator']} "
          f"{result['mechanism']} seed {result['seed']}: {result['seconds']:.1f}s"
          f"{' (kept from an earlier run of this code)' if result.get('kept') else ''}", flush=True)
    if result["error"]:
        print("  CRASHED: " + result["error"].strip().replace("\n", "\n  "), flush=True)


if __name__ == "__main__":
    sys.exit(main())
