"""Where the shop database lives: --db, $SHOPAGENT_DB, or the sample shop built on first use."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shopagent.tools.importer import ImportReport
    from shopagent.tools.store import Shop

SAMPLE_SEED = 7


def data_dir() -> Path:
    """The user data directory ($SHOPAGENT_DATA_DIR overrides it, e.g. in tests)."""
    override = os.environ.get("SHOPAGENT_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir("shopagent", appauthor=False))


def sample_db_path() -> Path:
    return data_dir() / "sample_shop.duckdb"


def build_sample_shop(database: Path, *, seed: int = SAMPLE_SEED) -> ImportReport:
    """Generate the seeded sample shop and import it into `database`, replacing what was there."""
    import tempfile

    from shopagent.sample_shop.simulator import generate_shop
    from shopagent.tools.importer import import_folder

    with tempfile.TemporaryDirectory(prefix="shopagent-sample-") as folder:
        generate_shop(Path(folder), seed=seed)
        return import_folder(Path(folder), database, replace=True)


def open_shop(db: Path | None) -> Shop:
    """The shop the command works on; with no --db the sample shop is built once and reused."""
    from shopagent.tools.store import Shop

    if db is not None:
        return Shop(db)
    path = sample_db_path()
    if not path.exists():
        print(f"Building the sample shop into {path} (first use)...", file=sys.stderr)
        build_sample_shop(path)
    return Shop(path)
