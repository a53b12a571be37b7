"""Byte-for-byte fingerprints of what the merchant sees: reports, plans, what-ifs and answers, as text and JSON.

Run: python bench/golden_outputs.py [--out FILE] [--compare FILE] [--keep DIR]

Builds the sample shop in a fresh data directory, runs a fixed list of commands (human output and --json,
zh and en) through the installed `shopagent`, and prints one line per command: its name, exit code and the
sha256 of its stdout. Two uses:
- a refactor that must not change outputs (issue 27): write the fingerprints before (--out before.txt),
  compare after (--compare before.txt); the script exits 1 and names every command whose bytes changed;
- determinism: two runs on the same code must print the same lines.
--keep DIR keeps each command's stdout there, to diff what changed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

# (name, arguments): every decision command, both renderings, both languages, the agent's offline answers
COMMANDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("report-md", ("report", "daily")),
    ("report-md-en", ("report", "daily", "--lang", "en")),
    ("report-json", ("report", "daily", "--format", "json")),
    ("report-html", ("report", "daily", "--format", "html")),
    ("diagnose", ("diagnose", "--days", "7")),
    ("diagnose-json", ("diagnose", "--days", "14", "--json")),
    ("diagnose-yoy-en", ("diagnose", "--days", "7", "--compare", "previous", "--lang", "en")),
    ("promotion", ("plan", "promotion", "--budget", "3000", "--target-roi", "3")),
    ("promotion-json", ("plan", "promotion", "--budget", "3000", "--target-roi", "3", "--json")),
    ("promotion-high-json", ("plan", "promotion", "--budget", "12000", "--target-roi", "4", "--json")),
    ("pricing", ("plan", "pricing")),
    ("pricing-json", ("plan", "pricing", "--json")),
    ("pricing-gmv-en", ("plan", "pricing", "--objective", "gmv", "--lang", "en")),
    ("assortment", ("plan", "assortment")),
    ("assortment-json", ("plan", "assortment", "--json")),
    ("whatif-price-json", ("whatif", "--price", "S001=+10%", "--json")),
    ("whatif-budget", ("whatif", "--budget", "total=+20%")),
    ("whatif-stock-json", ("whatif", "--stock", "S003=0", "--days", "14", "--json")),
    ("creative-title-json", ("creative", "draft", "S001", "--kind", "title", "--n", "3", "--json")),
    ("creative-video", ("creative", "draft", "S003", "--kind", "video_script")),
    ("creative-check-json", ("creative", "check", "全网最低价，第一品牌，国家级品质", "--json")),
    ("sql-json", ("sql", "SELECT sku_id, title FROM products ORDER BY sku_id LIMIT 5", "--json")),
    ("ask-diagnose", ("ask", "为什么这周 GMV 掉了?")),
    ("ask-promotion-json", ("ask", "预算5000一天 roi 3 怎么分", "--json")),
    ("ask-en", ("ask", "which SKUs should I restock?")),
)


def run_all(data_dir: Path, keep: Path | None) -> list[str]:
    """One 'name exit sha256' line per command, run in order against a sample shop built in data_dir."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("OPENAI_", "SHOPAGENT_"))} | {"SHOPAGENT_DATA_DIR": str(data_dir),
                                                              "COLUMNS": "120", "NO_COLOR": "1"}
    cli = [sys.executable, "-c", "from shopagent.cli import main; main()"]
    built = subprocess.run([*cli, "data", "init", "--sample"], env=env, capture_output=True)
    if built.returncode:
        raise SystemExit(f"building the sample shop failed:\n{built.stderr.decode(errors='replace')}")
    lines = []
    for name, arguments in COMMANDS:
        done = subprocess.run([*cli, *arguments], env=env, capture_output=True)
        if keep is not None:
            (keep / f"{name}.out").write_bytes(done.stdout)
        lines.append(f"{name} {done.returncode} {hashlib.sha256(done.stdout).hexdigest()}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the fingerprints here")
    parser.add_argument("--compare", type=Path, help="fingerprints of an earlier run: exit 1 if any differ")
    parser.add_argument("--keep", type=Path, help="keep each command's stdout in this folder")
    args = parser.parse_args()
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="shopagent-golden-") as data_dir:
        lines = run_all(Path(data_dir), args.keep)
    text = "\n".join(lines) + "\n"
    if args.out is not None:
        args.out.write_text(text, encoding="utf-8")
    print(text, end="")
    if args.compare is None:
        return 0
    before = dict(line.split(" ", 1) for line in args.compare.read_text(encoding="utf-8").splitlines() if line)
    after = dict(line.split(" ", 1) for line in lines)
    changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    for name in changed:
        print(f"changed: {name}: {before.get(name, '(missing)')} -> {after.get(name, '(missing)')}", file=sys.stderr)
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
