"""Daily report generation time on the sample shop and on a 1,000-SKU x 365-day shop.

Run: python bench/bench_report.py [--repeat 3] [--skip-big]
Figures: the CLI end to end (`shopagent report daily --format html --out ...`, a fresh process as cron runs
it: imports, one history load, diagnosis, the three planners, four SVG charts), the same in-process, and
where the time goes (load, KPIs + diagnosis, each planner, markdown, HTML). Wall and CPU seconds: the CPU
figure is steadier when other work shares the machine. Targets: <= 3 s (sample), <= 10 s (1,000 x 365).
What the merchant is handed: each planner's proposals, those the report set aside as contradicting another
part of it (by rule), and the lines the plan commands print at 80 columns with their default --top and with
--top 0 (everything).
Shops are generated once and cached under bench/out/report/ (gitignored).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from provenance import provenance  # bench/ is on sys.path when run as python bench/<name>.py

OUT = Path(__file__).parent / "out" / "report"
TARGETS = {"sample": 3.0, "big": 10.0}


def shop(name: str, **options) -> Path:
    from shopagent.sample_shop.simulator import generate_shop
    from shopagent.tools.importer import import_folder

    root = OUT / name
    db = root / "shop.duckdb"
    if not db.exists():
        print(f"generating {name} ({options or 'defaults'}) into {root} ...", file=sys.stderr)
        generate_shop(root / "export", **options)
        import_folder(root / "export", db, replace=True)
    return db


def timed(action) -> tuple[object, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def cli_seconds(db: Path, repeat: int) -> list[float]:
    command = [str(Path(sys.executable).with_name("shopagent")), "report", "daily", "--db", str(db), "--wait", "0"]
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(repeat):
            started = time.perf_counter()
            subprocess.run([*command, "--out", str(Path(folder) / "report.html")], check=True, capture_output=True)
            runs.append(time.perf_counter() - started)
    return runs


def stages(db: Path) -> dict[str, tuple[float, float]]:
    """Wall and CPU seconds of each part, run the way daily_report runs them."""
    from shopagent.render.report_html import render_html
    from shopagent.render.report_md import render_markdown
    from shopagent.tools.daily_report import PLANNER_HISTORY_DAYS, daily_report
    from shopagent.tools.panel import data_dates, load_panel
    from shopagent.tools.report_actions import PLANNERS, PlannerInput
    from shopagent.tools.store import Shop

    store = Shop(db)
    first, last = data_dates(store)
    parts: dict[str, tuple[float, float]] = {}
    history, *parts["load history"] = timed(
        lambda: load_panel(store, max(first, last - timedelta(days=PLANNER_HISTORY_DAYS - 1)), last))
    report, *parts["kpis + diagnosis (incl. its own load)"] = timed(lambda: daily_report(store, planners=()))
    request = PlannerInput(day=last, history=history)
    for name, planner in PLANNERS.items():
        _, *parts[f"planner: {name}"] = timed(lambda planner=planner: planner(store, request))
    full, *parts["daily_report (all)"] = timed(lambda: daily_report(store))
    _, *parts["render markdown"] = timed(lambda: render_markdown(full))
    _, *parts["render html (4 charts)"] = timed(lambda: render_html(full))
    return parts


def merchant_view(db: Path) -> dict:
    """Proposals per planner, the ones set aside by rule, and the plan commands' output length at 80 columns."""
    import os

    from shopagent.tools.daily_report import daily_report
    from shopagent.tools.store import Shop

    report = daily_report(Shop(db))
    planners = {block.planner: {"proposals": len(block.actions) + block.more + len(block.set_aside),
                                "listed": len(block.actions), "set_aside": dict(Counter(
                                    aside.rule for aside in block.set_aside))} for block in report.actions}
    promotion = next(block for block in report.actions if block.planner == "promotion").expected
    commands = {"plan assortment": ["plan", "assortment"], "plan pricing": ["plan", "pricing"],
                "plan promotion": ["plan", "promotion", "--budget", f"{promotion.get('total_budget', 5000):g}",
                                   "--target-roi", f"{promotion.get('target_roi', 3):g}"]}
    shopagent = str(Path(sys.executable).with_name("shopagent"))
    lines = {}
    for label, args in commands.items():
        for top in ("default", "0"):
            extra = [] if top == "default" else ["--top", "0"]
            done = subprocess.run([shopagent, *args, *extra, "--db", str(db)], check=True, capture_output=True,
                                  text=True, env={**os.environ, "COLUMNS": "80", "SHOPAGENT_LANG": "zh"})
            lines[f"{label} (--top {top})"] = len(done.stdout.splitlines())
    return {"planners": planners, "top_actions": [f"{a.kind} {a.sku_id}" for a in report.top_actions],
            "lines_at_80_columns": lines}


def bench(name: str, db: Path, repeat: int) -> dict:
    from shopagent.render.report_html import render_html
    from shopagent.tools.daily_report import daily_report
    from shopagent.tools.store import Shop

    in_process = [timed(lambda: render_html(daily_report(Shop(db))))[1:] for _ in range(repeat)]
    runs = cli_seconds(db, repeat)
    parts = stages(db)
    return {"shop": name, "cli_seconds": [round(run, 2) for run in runs],
            "cli_median": round(statistics.median(runs), 2),
            "in_process_wall": round(statistics.median(run[0] for run in in_process), 2),
            "in_process_cpu": round(statistics.median(run[1] for run in in_process), 2), "target": TARGETS[name],
            "stages": {key: [round(value, 2) for value in pair] for key, pair in parts.items()},
            "merchant_view": merchant_view(db)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-big", action="store_true")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    shops = {"sample": shop("sample", seed=7)}
    if not args.skip_big:
        shops["big"] = shop("k1000x365", seed=7, n_skus=1000, n_days=365)
    results = [bench(name, db, args.repeat) for name, db in shops.items()]
    for result in results:
        verdict = "ok" if result["cli_median"] <= result["target"] else "OVER TARGET"
        print(f"\n{result['shop']}: CLI {result['cli_median']:.2f} s median of {result['cli_seconds']} "
              f"(target <= {result['target']:g} s: {verdict}); in-process {result['in_process_wall']:.2f} s wall, "
              f"{result['in_process_cpu']:.2f} s CPU")
        for stage, (wall, cpu) in result["stages"].items():
            print(f"  {stage:<40} {wall:6.2f} s wall {cpu:6.2f} s CPU")
        view = result["merchant_view"]
        for planner, counts in view["planners"].items():
            print(f"  {planner:<12} {counts['proposals']:5} proposed, {counts['listed']} listed, set aside: "
                  f"{counts['set_aside'] or 'none'}")
        print(f"  top actions: {', '.join(view['top_actions'])}")
        for command, count in view["lines_at_80_columns"].items():
            print(f"  {command:<40} {count:6} lines at 80 columns")
    (OUT / "results.json").write_text(json.dumps({"results": results, "provenance": provenance()}, indent=2),
                                      encoding="utf-8")


if __name__ == "__main__":
    main()
