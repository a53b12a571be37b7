"""Simulated shops for the benchmarks, generated once and cached under bench/out/ per simulator version."""

from __future__ import annotations

import hashlib
from pathlib import Path

WORLDS = Path(__file__).parent / "out" / "worlds"


def simulator_version(folder: Path | None = None) -> str:
    """A hash of a simulator's source (this repository's by default): a changed simulator must never be
    measured on stale cached shops."""
    if folder is None:
        from shopagent import sample_shop

        folder = Path(sample_shop.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


def world(seed: int, *, events: str = "planted", skus: int = 80, days: int = 180, traffic: str = "shop"):
    """(database path, hidden truth) of a simulated shop, generating and importing it on first use.

    traffic: shop, sku or draw (the seed picks); a non-default choice is part of the cache path."""
    from shopagent.sample_shop.simulator import generate_shop
    from shopagent.sample_shop.truth import load_truth
    from shopagent.tools.importer import import_folder

    traffic_part = "" if traffic == "shop" else f"-traffic_{traffic}"
    root = WORLDS / f"{simulator_version()}-{events}-{skus}x{days}-seed{seed}{traffic_part}"
    db, truth_path = root / "shop.duckdb", root / "truth.json"
    if not db.exists():
        generate_shop(root / "export", seed=seed, n_skus=skus, n_days=days, events=events, truth_path=truth_path,
                      traffic=traffic)
        import_folder(root / "export", db, replace=True)
    return db, load_truth(truth_path)
