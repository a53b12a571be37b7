"""Shared fixtures: an isolated data directory, a small valid export folder, the sample shop."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shopagent.cli import app

MINI_SHOP = {
    "products": [
        "sku_id,title,category,launch_date,list_price,unit_cost,status,attributes,supplier",
        'S001,云朵棉T恤,tshirt,2026-01-01,99.00,40.00,active,"{""material"": ""棉""}",杭州一厂',
        "S002,针织开衫,knitwear,2026-01-01,199.00,80.00,active,,宁波二厂",
    ],
    "price_history": [
        "date,sku_id,price,promo",
        "2026-03-01,S001,89.00,coupon",
        "2026-03-01,S002,199.00,",
        "2026-03-02,S001,99.00,",
        "2026-03-02,S002,199.00,",
    ],
    "traffic": [
        "date,sku_id,channel,impressions,visitors,add_to_cart",
        "2026-03-01,S001,search,1000,100,10",
        "2026-03-01,S002,search,500,50,5",
        "2026-03-02,S001,search,1100,110,12",
        "2026-03-02,S002,promotion,400,40,4",
    ],
    "orders": [
        "order_id,created_at,customer_id,channel,province",
        "O1,2026-03-01 10:00:00,C1,search,浙江",
        "O2,2026-03-01 11:00:00,C2,search,",
        "O3,2026-03-02 20:30:00,C1,promotion,江苏",
    ],
    "order_items": [
        "order_id,sku_id,quantity,unit_price",
        "O1,S001,1,89.00",
        "O2,S002,2,199.00",
        "O3,S002,1,199.00",
    ],
    "promotion_daily": [
        "date,sku_id,daily_budget,target_roi,spend,impressions,clicks,ad_orders,ad_gmv",
        "2026-03-02,S002,100.00,3.0,95.00,2000,40,1,199.00",
    ],
    "inventory_daily": [
        "date,sku_id,on_hand,inbound",
        "2026-03-01,S001,10,0",
        "2026-03-01,S002,5,0",
        "2026-03-02,S001,9,0",
        "2026-03-02,S002,2,0",
    ],
    "reviews": [
        "review_id,sku_id,created_at,rating,text",
        'R1,S001,2026-03-02 09:00:00,5,"面料很舒服,\n会回购"',
        "R2,S002,2026-03-02 10:00:00,2,size runs small",
    ],
}
BRAND_TOML = 'name = "栖木 QIMU"\nvoice = "温柔、克制"\nmust_include = ["栖木"]\nforbidden = ["爆款"]\n'


def write_folder(folder: Path, tables: dict[str, list[str]], brand: str | None = BRAND_TOML) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in tables.items():
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if brand is not None:
        (folder / "brand.toml").write_text(brand, encoding="utf-8")
    return folder


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session", autouse=True)
def english_locale() -> None:
    """Output language follows the locale; tests read English unless they ask for --lang zh, whatever the
    developer's shell says (session-wide, so module-scoped fixtures see it too)."""
    saved = {name: os.environ.pop(name, None) for name in ("LC_ALL", "LC_MESSAGES", "LANG", "SHOPAGENT_LANG")}
    os.environ["LANG"] = "C.UTF-8"
    os.environ["SHOPAGENT_LANG"] = "en"  # a Chinese shop's data would otherwise choose zh (commands.options)
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own data and config directories and no model credentials or database from the
    developer's shell."""
    monkeypatch.setenv("SHOPAGENT_DATA_DIR", str(tmp_path / "userdata"))
    monkeypatch.setenv("SHOPAGENT_CONFIG_DIR", str(tmp_path / "userconfig"))
    monkeypatch.delenv("SHOPAGENT_DB", raising=False)
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL", "OPENAI_ORG_ID"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def mini_tables() -> dict[str, list[str]]:
    return {name: list(lines) for name, lines in MINI_SHOP.items()}


@pytest.fixture
def mini_folder(tmp_path: Path, mini_tables: dict[str, list[str]]) -> Path:
    return write_folder(tmp_path / "export", mini_tables)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def cli(runner: CliRunner):
    """Invoke the real CLI in-process; returns the click Result (exit_code, stdout, stderr)."""

    def invoke(*args: str):
        return runner.invoke(app, [str(arg) for arg in args])

    return invoke


class World:
    """A simulated shop imported into DuckDB, with the simulator's hidden truth beside it."""

    def __init__(self, db: Path, folder: Path, truth) -> None:
        self.db = db
        self.folder = folder
        self.truth = truth


def build_world(root: Path, **options) -> World:
    from shopagent.sample_shop.simulator import generate_shop
    from shopagent.tools.importer import import_folder

    folder = root / "export"
    truth = generate_shop(folder, **options)
    db = root / "shop.duckdb"
    import_folder(folder, db, replace=True)
    return World(db, folder, truth)


def edited_world(world: World, root: Path, table: str, edit) -> World:
    """A copy of `world` whose export table `table` had `edit(row)` applied to every row (it changes the row
    in place), imported into its own database: the same shop with one realistic defect."""
    import csv
    import shutil

    from shopagent.tools.importer import import_folder

    folder = root / "export"
    shutil.copytree(world.folder, folder)
    path = folder / f"{table}.csv"
    with path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    for row in rows:
        edit(row)
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    db = root / "shop.duckdb"
    import_folder(folder, db, replace=True)
    return World(db, folder, world.truth)


@pytest.fixture(scope="session")
def sample_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """The default sample shop (seed 7) with its planted events, generated and imported once per session."""
    return build_world(tmp_path_factory.mktemp("sample"), seed=7)


@pytest.fixture(scope="session")
def sample_db(sample_world: World) -> Path:
    return sample_world.db


@pytest.fixture(scope="session")
def quiet_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """A shop with no planted events: only ordinary day-to-day noise."""
    return build_world(tmp_path_factory.mktemp("quiet"), seed=11, events="none")
