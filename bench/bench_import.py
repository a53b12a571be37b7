"""Import speed: `data import` vs a bare DuckDB read_csv load of the same files, plus peak memory and --help time.

Run: python bench/bench_import.py [--big] [--platform]
Each load runs in its own process so peak memory (ru_maxrss) belongs to that load alone.
With --platform the same shops are also written as 千牛/万相台/售后 downloads (`sample_shop --format qianniu`)
and `data import` of that folder is timed against the same bare load of the contract CSVs, and against a bare read
of the downloads themselves (every file as text tables, no cleaning: the floor for ~4x the bytes), and against a
bare read of only the columns the layouts read (the floor of this design's readers).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from provenance import provenance  # bench/ is on sys.path when run as python bench/<name>.py

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
usage = resource.getrusage(resource.RUSAGE_SELF)
print(time.perf_counter() - start, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
"""

# the downloads themselves read as bare tables, no cleaning and no contract: every CSV as text (a GBK file as latin-1,
# byte for byte, as the importer reads it), every workbook's first sheet through fastexcel into Arrow. The platform
# files of a shop are ~4x the bytes of its contract CSVs (every order row carries the address and item titles), so
# this is the floor a platform import is measured against beside the contract load
BARE_PLATFORM_LOAD = """
import codecs, duckdb, fastexcel, sys, time, resource
from pathlib import Path
folder, db = Path(sys.argv[1]), sys.argv[2]
start = time.perf_counter()
con = duckdb.connect(db)
for n, path in enumerate(sorted(folder.iterdir())):
    if path.suffix == '.csv':
        try:
            codecs.getincrementaldecoder('utf-8')().decode(path.open('rb').read(65536), final=False)
            encoding = 'utf-8'
        except UnicodeDecodeError:
            encoding = 'latin-1'
        con.execute(f"CREATE TABLE t{n} AS SELECT * FROM read_csv(?, all_varchar=true, null_padding=true, "
                    f"ignore_errors=true, encoding='{encoding}')", [str(path)])
    elif path.suffix in ('.xlsx', '.xls'):
        con.register('sheet', fastexcel.read_excel(str(path)).load_sheet(0, header_row=None, dtypes='string'))
        con.execute(f"CREATE TABLE t{n} AS SELECT * FROM sheet")
        con.unregister('sheet')
con.close()
usage = resource.getrusage(resource.RUSAGE_SELF)
print(time.perf_counter() - start, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
"""

# the floor of this design's readers: only the columns the layouts read (the header recognised as the import does),
# parsed by the same readers (DuckDB's CSV reader, calamine through fastexcel) into in-memory tables; the contract
# CSVs beside the downloads too. No cleaning, no checks, nothing written to disk: what `data import` costs above this
# is the cleaning, the checks, the building of the contract tables and writing them
BARE_LAYOUT_COLUMNS_LOAD = """
import csv, duckdb, fastexcel, sys, time, resource
from pathlib import Path
from shopagent.tools.platform_formats import recognise
from shopagent.tools.platform_import import is_candidate
folder = Path(sys.argv[1])
start = time.perf_counter()
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
for n, path in enumerate(sorted(folder.iterdir())):
    if path.suffix == '.csv' and not is_candidate(path):
        con.execute(f"CREATE TABLE t{n} AS SELECT * FROM read_csv(?)", [str(path)])
    elif path.suffix == '.csv':
        head = path.open('rb').read(65536)
        try:
            head.decode('utf-8')
            encoding = 'utf-8'
        except UnicodeDecodeError:
            encoding = 'gb18030'
        rows = list(csv.reader(head.decode(encoding, errors='ignore').lstrip('\ufeff').splitlines()[:30]))
        line = next((i for i, row in enumerate(rows) if recognise(row)[0]), None)
        if line is None:
            continue
        names = [name.strip() or f'_c{i}' for i, name in enumerate(rows[line])]
        used = sorted(set(recognise(rows[line])[0].match(names).values()))
        columns = '{' + ', '.join(f"'{name}': 'VARCHAR'" for name in names) + '}'
        latin, quote = (", encoding='latin-1'" if encoding != 'utf-8' else ''), chr(34)
        con.execute(f"CREATE TABLE t{n} AS SELECT {', '.join(quote + name + quote for name in used)} FROM "
                    f"read_csv(?, auto_detect=false, header=true, skip={line}, delim=',', quote='{quote}', "
                    f"escape='{quote}', columns={columns}{latin})", [str(path)])
    elif path.suffix in ('.xlsx', '.xls'):
        sheet = fastexcel.read_excel(str(path)).load_sheet(0, header_row=None, skip_rows=0, dtypes='string')
        con.register('sheet', sheet)
        con.execute(f"CREATE TABLE t{n} AS SELECT * FROM sheet")
        con.unregister('sheet')
con.close()
usage = resource.getrusage(resource.RUSAGE_SELF)
print(time.perf_counter() - start, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
"""

SHOPAGENT_LOAD = """
import sys, time, resource
from pathlib import Path
from shopagent.tools.importer import import_folder
start = time.perf_counter()
import_folder(Path(sys.argv[1]), Path(sys.argv[2]), replace=True)
usage = resource.getrusage(resource.RUSAGE_SELF)
print(time.perf_counter() - start, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
"""


def ensure_shop(name: str, skus: int, days: int) -> Path:
    folder = OUT / name
    if not (folder / "order_items.csv").exists():
        from shopagent.sample_shop.simulator import generate_shop

        started = time.perf_counter()
        generate_shop(folder, seed=7, n_skus=skus, n_days=days)
        print(f"generated {name} ({skus} SKUs x {days} days) in {time.perf_counter() - started:.1f} s")
    return folder


def ensure_platform(contract: Path) -> Path:
    folder = contract.with_name(contract.name + "_qianniu")
    if not (folder / "products.csv").exists():
        from shopagent.sample_shop.platform_writer import write_platform_shop

        started = time.perf_counter()
        write_platform_shop(contract, folder)
        print(f"wrote {folder.name} in {time.perf_counter() - started:.1f} s")
    return folder


def timed_load(script: str, folder: Path, db: Path) -> tuple[float, float, float]:
    """(wall seconds, peak MiB, CPU seconds of all threads): on a shared machine the CPU time says what the
    load cost, the wall time also what the other processes took."""
    db.unlink(missing_ok=True)
    completed = subprocess.run([sys.executable, "-c", script, str(folder), str(db)], capture_output=True,
                               text=True, check=True)
    seconds, peak_kib, cpu = completed.stdout.strip().splitlines()[-1].split()
    return float(seconds), int(peak_kib) / 1024, float(cpu)


def measure(folder: Path, repeats: int, imported: Path | None = None) -> dict:
    """Bare read_csv of the contract CSVs in `folder` vs `data import` of `imported` (default: the same folder)."""
    lines = sum(1 for _ in (folder / "order_items.csv").open()) - 1
    bare = [timed_load(BARE_LOAD, folder, OUT / "bare.duckdb") for _ in range(repeats)]
    ours = [timed_load(SHOPAGENT_LOAD, imported or folder, OUT / "ours.duckdb") for _ in range(repeats)]
    bare_s = statistics.median(run[0] for run in bare)
    ours_s = statistics.median(run[0] for run in ours)
    bare_cpu = statistics.median(run[2] for run in bare)
    ours_cpu = statistics.median(run[2] for run in ours)
    figures = {"order_lines": lines, "bare_read_csv_s": round(bare_s, 2), "shopagent_import_s": round(ours_s, 2),
               "ratio": round(ours_s / bare_s, 2), "bare_cpu_s": round(bare_cpu, 1),
               "import_cpu_s": round(ours_cpu, 1), "cpu_ratio": round(ours_cpu / bare_cpu, 2),
               "load_average": os.getloadavg()[0], "bare_peak_mib": round(max(run[1] for run in bare)),
               "import_peak_mib": round(max(run[1] for run in ours))}
    if imported is not None:
        downloads = [timed_load(BARE_PLATFORM_LOAD, imported, OUT / "bare_platform.duckdb") for _ in range(repeats)]
        downloads_s = statistics.median(run[0] for run in downloads)
        downloads_cpu = statistics.median(run[2] for run in downloads)
        floor = [timed_load(BARE_LAYOUT_COLUMNS_LOAD, imported, OUT / "unused.duckdb") for _ in range(repeats)]
        floor_cpu = statistics.median(run[2] for run in floor)
        figures |= {"bare_parse_of_layout_columns_cpu_s": round(floor_cpu, 1),
                    "floor_cpu_ratio": round(floor_cpu / bare_cpu, 2),
                    "import_cpu_ratio_to_floor": round(ours_cpu / floor_cpu, 2)}
        figures |= {"download_bytes_vs_contract": round(_bytes(imported) / _bytes(folder), 2),
                    "bare_read_of_downloads_s": round(downloads_s, 2),
                    "ratio_to_bare_downloads": round(ours_s / downloads_s, 2),
                    "bare_read_of_downloads_cpu_s": round(downloads_cpu, 1),
                    "cpu_ratio_to_bare_downloads": round(ours_cpu / downloads_cpu, 2)}
    return figures


def _bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.iterdir() if path.suffix in (".csv", ".xlsx", ".xls"))


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
    parser.add_argument("--platform", action="store_true", help="also import the shops as platform downloads")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    shops = [("sample (80x180)", ensure_shop("sample", 80, 180), args.repeats)]
    if args.big:
        shops.append(("big (1000x365)", ensure_shop("big", 1000, 365), max(1, args.repeats - 1)))
    results: dict[str, object] = {}
    for label, folder, repeats in shops:
        results[label] = measure(folder, repeats)
        if args.platform:
            results[label + " as 千牛/万相台 downloads"] = measure(folder, repeats, ensure_platform(folder))
    results["--help"] = help_time()
    results["provenance"] = provenance()
    print(json.dumps(results, indent=2, ensure_ascii=False))
    (OUT / "import.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
