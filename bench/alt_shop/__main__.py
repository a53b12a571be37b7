"""python -m alt_shop --seed N --out DIR [--skus 60 --days 150 --events planted|none]"""

import argparse
import time
from pathlib import Path

from . import generate


def main() -> None:
    """Generate one shop from the command line."""
    parser = argparse.ArgumentParser(prog="python -m alt_shop", description="Generate an independent test shop.")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--skus", type=int, default=60)
    parser.add_argument("--days", type=int, default=150)
    parser.add_argument("--events", choices=["planted", "none"], default="planted")
    args = parser.parse_args()
    started = time.perf_counter()
    truth = generate(args.out, args.seed, n_skus=args.skus, n_days=args.days, events=args.events)
    print(f"wrote {args.out / 'export'} and {args.out / 'truth.json'}: last day {truth.last_day}, "
          f"{len(truth.events)} planted causes, {len(truth.promoted_skus())} promoted SKUs, "
          f"{time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
