"""Import speed: `data import` vs a bare DuckDB read_csv load of the same files, plus peak memory and --help time.

Run: python bench/bench_import.py [--big] [--skus 1000 --days 365]
Each load runs in its own process so peak memory (ru_maxrss) belongs to that load alone.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).parent / "out"

BARE_LOAD = """
import duckdb, sys, time, resource
from pathlib import Path
folder, db = Path(sys.argv[1]), sys.argv[2]
start = time.perf_counter()
con = duckdb.connect(db)
for path in sorted(folder.glob('*.csv')):
    con.execute(f"CREATE TABLE {path.stem} AS SELECT * FROM read_csv('{path}')")
con.close()
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

SHOPAGENT_LOAD = """
import sys, time, resource
from pathlib import Path
from shopagent.tools.importer import import_folder
start = time.perf_counter()
import_folder(Path(sys.argv[1]), Path(sys.argv[2]), replace=True)
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def ensure_shop(name: str, skus: int, days: int) -> Path:
    folder = OUT / name
    if not (folder / "order_items.csv").exists():
        from shopagent.sample_shop.simulator import generate_shop

        started = time.perf_counter()
        generate_shop(folder, seed=7, n_skus=skus, n_days=days)
        print(f"generated {name} ({skus} SKUs x {days} days) in {time.perf_counter() - started:.1f} s")
    return folder


def timed_load(script: str, folder: Path, db: Path) -> tuple[float, float]:
    db.unlink(missing_ok=True)
    completed = subprocess.run([sys.executable, "-c", script, str(folder), str(db)], capture_output=True,
                               text=True, check=True)
    seconds, peak_kib = completed.stdout.strip().splitlines()[-1].split()
    return float(seconds), int(peak_kib) / 1024


def measure(folder: Path, repeats: int) -> dict:
    lines = sum(1 for _ in (folder / "order_items.csv").open()) - 1
    bare = [timed_load(BARE_LOAD, folder, OUT / "bare.duckdb") for _ in range(repeats)]
    ours = [timed_load(SHOPAGENT_LOAD, folder, OUT / "ours.duckdb") for _ in range(repeats)]
    bare_s = statistics.median(run[0] for run in bare)
    ours_s = statistics.median(run[0] for run in ours)
    return {"order_lines": lines, "bare_read_csv_s": round(bare_s, 2), "shopagent_import_s": round(ours_s, 2),
            "ratio": round(ours_s / bare_s, 2), "bare_peak_mib": round(max(run[1] for run in bare)),
            "import_peak_mib": round(max(run[1] for run in ours))}


def help_time(repeats: int = 7) -> dict:
    probe = ("import sys,time; t=time.perf_counter(); from shopagent.cli import app\n"
             "try:\n app(['--help'])\nexcept SystemExit:\n pass\n"
             "heavy=[m for m in ('duckdb','numpy','pandas','langchain','langchain_core','openai')\n"
             "       if m in sys.modules]\n"
             "print(time.perf_counter()-t, ','.join(heavy), file=sys.stderr)")
    wall = []
    heavy = ""
    for _ in range(repeats):
        started = time.perf_counter()
        completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
        wall.append(time.perf_counter() - started)
        heavy = completed.stderr.split()[1] if len(completed.stderr.split()) > 1 else ""
    return {"help_wall_s_median": round(statistics.median(wall), 3), "heavy_modules_imported": heavy or "none"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--big", action="store_true", help="also the 1,000-SKU x 365-day shop")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    results = {"sample (80x180)": measure(ensure_shop("sample", 80, 180), args.repeats)}
    if args.big:
        results["big (1000x365)"] = measure(ensure_shop("big", 1000, 365), max(1, args.repeats - 1))
    results["--help"] = help_time()
    print(json.dumps(results, indent=2, ensure_ascii=False))
    (OUT / "import.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
