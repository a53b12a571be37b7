"""Command line: python -m shopagent.sample_shop OUT_DIR [--seed N] [--skus N] [--days N] ..."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m shopagent.sample_shop",
        description="Write a seeded sample shop (DATA_CONTRACT CSV files) and optionally its hidden truth.",
        epilog="Example: python -m shopagent.sample_shop shop80 --truth shop80_truth.json",
    )
    parser.add_argument("out_dir", type=Path, help="folder to write the CSV files and brand.toml into")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--skus", type=int, default=80, help="number of SKUs (default 80)")
    parser.add_argument("--days", type=int, default=180, help="number of days (default 180)")
    parser.add_argument("--end-date", type=date.fromisoformat, default=date(2026, 9, 30), help="last day, YYYY-MM-DD")
    parser.add_argument("--quiet-shop", action="store_true", help="plant no events (ordinary noise only)")
    parser.add_argument("--violations", action="store_true", help="advertising-law terms in ~40%% of SKUs")
    parser.add_argument("--truth", type=Path, default=None, help="write the hidden truth JSON here")
    parser.add_argument("--format", choices=("contract", "qianniu", "pdd"), default="contract",
                        help="contract: DATA_CONTRACT CSV files (default); qianniu: the 千牛/万相台/售后 exports a "
                             "merchant downloads, beside contract files for what no platform exports; pdd: the "
                             "拼多多 order export and 推广 report, likewise")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Generate a sample shop from command-line arguments."""
    args = _parser().parse_args(argv)
    from .simulator import generate_shop

    started = time.perf_counter()
    scratch = tempfile.TemporaryDirectory(prefix="sample-shop-") if args.format != "contract" else None
    contract = Path(scratch.name) if scratch else args.out_dir
    try:
        truth = generate_shop(
            contract,
            seed=args.seed,
            n_skus=args.skus,
            n_days=args.days,
            end_date=args.end_date,
            events="none" if args.quiet_shop else "planted",
            truth_path=args.truth,
            violations=args.violations,
        )
        if scratch:
            from .platform_writer import write_platform_shop

            write_platform_shop(contract, args.out_dir, args.format)
    except ValueError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2
    finally:
        if scratch:
            scratch.cleanup()
    seconds = time.perf_counter() - started
    lines = truth.summary.order_lines if truth.summary else 0
    print(
        f"Wrote {args.out_dir}: {len(truth.skus)} SKUs, {truth.n_days} days ({truth.start} to {truth.end}), "
        f"{lines:,} order lines, {len(truth.events)} planted events in {seconds:.1f}s"
    )
    if args.truth:
        print(f"Truth: {args.truth}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
