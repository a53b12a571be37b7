"""`data import` / `data check`: valid shops load; bad folders are refused whole with precise locations."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tests.conftest import file_digest, write_folder


def imported(cli, folder: Path, db: Path, *extra: str):
    return cli("data", "import", folder, "--db", db, *extra)


def row_counts(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        return {table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in sorted(tables)}


def test_a_valid_folder_imports_every_table_and_keeps_extra_columns(cli, mini_folder, tmp_path):
    db = tmp_path / "shop.duckdb"
    result = imported(cli, mini_folder, db, "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["rows"]["orders"] == 3 and report["rows"]["reviews"] == 2
    assert report["extra_columns"] == {"products": ["supplier"]}
    assert "refunds" in report["absent_optional_tables"]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT supplier FROM products WHERE sku_id = 'S001'").fetchone() == ("杭州一厂",)
        assert con.execute("SELECT text FROM reviews WHERE review_id = 'R1'").fetchone() == ("面料很舒服,\n会回购",)
        assert "栖木" in con.execute("SELECT toml FROM brand_profile").fetchone()[0]
        assert con.execute("SELECT typeof(unit_price) FROM order_items LIMIT 1").fetchone() == ("DECIMAL(18,2)",)


def rejected(cli, folder: Path, tmp_path: Path):
    """Import a bad folder into an existing database; assert it is refused and the file is unchanged."""
    db = tmp_path / "shop.duckdb"
    good = write_folder(tmp_path / "good", _other_day())
    assert imported(cli, good, db).exit_code == 0
    before = file_digest(db)
    result = imported(cli, folder, db, "--json")
    assert result.exit_code == 1
    assert file_digest(db) == before, "a rejected import changed the database"
    assert not list(tmp_path.glob(".shop.duckdb.import-*")), "scratch files left behind"
    return json.loads(result.stdout), result.stderr


def _other_day() -> dict[str, list[str]]:
    """A valid shop with the same SKUs on an earlier day, so the mini folder appends cleanly."""
    from tests.conftest import MINI_SHOP

    return {
        name: [lines[0]] + [line.replace("2026-03-0", "2026-02-0").replace("O", "X", 1) if name != "products"
                            else line for line in lines[1:]]
        for name, lines in MINI_SHOP.items() if name != "reviews"
    }


def only_example(document: dict, rule: str) -> dict:
    groups = [group for group in document["groups"] if group["rule"] == rule]
    assert groups, f"no '{rule}' problem in {[group['rule'] for group in document['groups']]}"
    return groups[0]["examples"][0]


def test_the_mini_folder_appends_to_an_earlier_day(cli, mini_folder, tmp_path):
    db = tmp_path / "shop.duckdb"
    assert imported(cli, write_folder(tmp_path / "good", _other_day()), db).exit_code == 0
    result = imported(cli, mini_folder, db)
    assert result.exit_code == 0, result.stderr
    assert row_counts(db)["orders"] == 6


@pytest.mark.parametrize(
    ("table", "line_index", "new_line", "rule", "column", "reason_part"),
    [
        ("order_items", 2, "O2,S002,-3,199.00", "negative", "quantity", "negative"),
        ("traffic", 3, "2026-03-02,S001,search,100,110,12", "visitors above impressions", "visitors", "impressions"),
        ("order_items", 3, "O3,S999,1,199.00", "unknown reference", "sku_id", "products"),
        ("orders", 1, "O1,yesterday,C1,search,浙江", "not a timestamp", "created_at", "YYYY-MM-DD"),
        ("price_history", 2, "2026-03-01,S002,¥199,", "not a number", "price", "not a number"),
        ("products", 2, "S002,针织开衫,knitwear,2026-01-01,199.00,250.00,active,,x", "cost not below price",
         "unit_cost", "below list_price"),
        ("promotion_daily", 1, "2026-03-02,S002,100.00,3.0,130.00,2000,40,1,199.00", "spend above budget",
         "spend", "10%"),
        ("traffic", 4, "2026-03-02,S002,tv,400,40,4", "unknown value", "channel", "search"),
        ("order_items", 1, "O404,S001,1,89.00", "unknown reference", "order_id", "orders"),
        ("reviews", 2, "R2,S002,2026-03-02 10:00:00,7,too good", "out of range", "rating", "<= 5"),
        ("products", 1, "S001,云朵棉T恤,tshirt,2026-01-01,99.00,40.00,active,{not json,x", "not a JSON object",
         "attributes", "JSON object"),
    ],
)
def test_a_bad_value_is_refused_with_file_line_and_column(cli, mini_tables, tmp_path, table, line_index, new_line,
                                                          rule, column, reason_part):
    mini_tables[table][line_index] = new_line
    document, stderr = rejected(cli, write_folder(tmp_path / "bad", mini_tables), tmp_path)
    example = only_example(document, rule)
    assert example["file"] == f"{table}.csv"
    assert example["column"] == column
    assert reason_part in example["reason"]
    # lines count records as a spreadsheet shows them: R1's quoted line break does not shift R2
    assert example["row"] == line_index + 1
    assert f"{table}.csv" in stderr and "unchanged" in stderr


def test_duplicate_keys_in_a_file_name_both_lines(cli, mini_tables, tmp_path):
    mini_tables["inventory_daily"].append("2026-03-01,S001,7,0")
    document, _ = rejected(cli, write_folder(tmp_path / "bad", mini_tables), tmp_path)
    example = only_example(document, "duplicate key")
    assert example["file"] == "inventory_daily.csv" and example["row"] == 6 and "repeats line 2" in example["reason"]


def test_overlapping_days_are_refused_when_appending(cli, mini_folder, tmp_path):
    document, _ = rejected(cli, write_folder(tmp_path / "again", _other_day()), tmp_path)
    example = only_example(document, "already imported")
    assert "--replace" in example["reason"]


def test_replace_loads_the_shop_again(cli, mini_folder, tmp_path):
    db = tmp_path / "shop.duckdb"
    assert imported(cli, mini_folder, db).exit_code == 0
    assert imported(cli, mini_folder, db).exit_code == 1
    assert imported(cli, mini_folder, db, "--replace").exit_code == 0
    assert row_counts(db)["orders"] == 3


def test_a_missing_required_column_and_file_are_both_listed(cli, mini_tables, tmp_path):
    mini_tables["traffic"] = [line.rsplit(",", 1)[0] for line in mini_tables["traffic"]]
    folder = write_folder(tmp_path / "bad", mini_tables)
    (folder / "inventory_daily.csv").unlink()
    document, _ = rejected(cli, folder, tmp_path)
    assert only_example(document, "missing column")["column"] == "add_to_cart"
    assert "inventory_daily" in only_example(document, "missing file")["reason"]


def test_empty_and_header_only_files_are_refused_in_a_new_shop(cli, mini_tables, tmp_path):
    folder = write_folder(tmp_path / "bad", mini_tables)
    (folder / "orders.csv").write_text("")
    (folder / "promotion_daily.csv").write_text(mini_tables["promotion_daily"][0] + "\n")
    result = cli("data", "check", folder, "--json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    files = {group["file"]: group["examples"][0]["reason"]
             for group in document["groups"] if group["rule"] == "empty file"}
    assert "is empty" in files["orders.csv"] and "no data rows" in files["promotion_daily.csv"]


def test_a_malformed_csv_line_is_located(cli, mini_tables, tmp_path):
    mini_tables["traffic"][2] += ",999"
    document, _ = rejected(cli, write_folder(tmp_path / "bad", mini_tables), tmp_path)
    example = only_example(document, "malformed line")
    assert example["file"] == "traffic.csv" and example["row"] == 3


def test_gbk_exports_are_read_and_undecodable_bytes_are_located(cli, mini_tables, tmp_path):
    folder = write_folder(tmp_path / "gbk", mini_tables)
    (folder / "products.csv").write_bytes("\n".join(mini_tables["products"]).encode("gbk") + b"\n")
    (folder / "orders.csv").write_bytes(b"\xef\xbb\xbf" + "\n".join(mini_tables["orders"]).encode("utf-8") + b"\n")
    db = tmp_path / "gbk.duckdb"
    result = imported(cli, folder, db, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["encodings"]["products.csv"] == "gb18030"
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT title FROM products WHERE sku_id = 'S002'").fetchone() == ("针织开衫",)
    (folder / "traffic.csv").write_bytes(b"\n".join(line.encode() for line in mini_tables["traffic"][:3])
                                         + b"\n2026-03-02,S002,promotion,400,40,4\x81\xff\n")
    document, _ = rejected(cli, folder, tmp_path)
    example = only_example(document, "unreadable file")
    assert example["file"] == "traffic.csv" and example["row"] == 4 and "GBK" in example["reason"]


def test_many_bad_rows_are_counted_but_only_a_few_listed(cli, mini_tables, tmp_path):
    mini_tables["order_items"] += [f"O1,S001,-{n},10.00" for n in range(1, 1001)]
    result = cli("data", "check", write_folder(tmp_path / "bad", mini_tables), "--json")
    group = next(group for group in json.loads(result.stdout)["groups"] if group["rule"] == "negative")
    assert group["count"] == 1000 and len(group["examples"]) == 5
    assert "995 more" in result.stderr


def test_an_invalid_brand_profile_is_refused(cli, mini_folder, tmp_path):
    (mini_folder / "brand.toml").write_text('name = "栖木"\nmust_include = "栖木"\n')
    document, _ = rejected(cli, mini_folder, tmp_path)
    assert only_example(document, "invalid brand profile")["column"] == "must_include"


def test_parquet_files_import_like_csv(cli, mini_folder, tmp_path):
    with duckdb.connect() as con:
        source = mini_folder / "orders.csv"
        con.execute(f"COPY (SELECT * FROM read_csv('{source}')) TO '{mini_folder / 'orders.parquet'}' (FORMAT parquet)")
    source.unlink()
    db = tmp_path / "pq.duckdb"
    result = imported(cli, mini_folder, db, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["encodings"]["orders.parquet"] == "parquet"
    assert row_counts(db)["orders"] == 3


def test_a_crash_while_writing_leaves_the_database_as_it_was(cli, mini_folder, tmp_path, monkeypatch):
    db = tmp_path / "shop.duckdb"
    assert imported(cli, write_folder(tmp_path / "good", _other_day()), db).exit_code == 0
    before = file_digest(db)

    def killed(*_args, **_kwargs):
        raise KeyboardInterrupt("killed before the swap")

    monkeypatch.setattr("shopagent.tools.importer.os.replace", killed)
    with pytest.raises(KeyboardInterrupt):
        from shopagent.tools.importer import import_folder

        import_folder(mini_folder, db)
    assert file_digest(db) == before
    assert row_counts(db)["orders"] == 3


def test_data_check_touches_no_database(cli, mini_folder, tmp_path):
    result = cli("data", "check", mini_folder)
    assert result.exit_code == 0 and "is valid" in result.stdout
    assert not (tmp_path / "userdata").exists()


def test_lines_added_to_an_order_already_imported_are_refused(cli, mini_tables, tmp_path):
    mini_tables["order_items"].append("X1,S002,1,199.00")  # X1 came with the earlier day's export
    document, _ = rejected(cli, write_folder(tmp_path / "late_line", mini_tables), tmp_path)
    example = only_example(document, "already imported")
    assert example["file"] == "order_items.csv" and example["column"] == "order_id" and example["value"] == "X1"


def test_an_unreadable_orders_file_does_not_bury_its_own_problem_under_references(cli, mini_tables, tmp_path):
    folder = write_folder(tmp_path / "bad_orders", mini_tables)
    (folder / "orders.csv").write_bytes(b"order_id,created_at,customer_id,channel\n"
                                        b"O1,2026-03-01 10:00:00,C1,\xff\xfe\n")
    result = cli("data", "check", folder, "--json")
    rules = {(group["file"], group["rule"]) for group in json.loads(result.stdout)["groups"]}
    assert ("orders.csv", "unreadable file") in rules
    assert ("order_items.csv", "unknown reference") not in rules


def test_building_the_sample_never_silently_overwrites_a_shop(cli, mini_folder, tmp_path, monkeypatch):
    import shopagent.location

    db = tmp_path / "real.duckdb"
    assert imported(cli, mini_folder, db).exit_code == 0
    before = file_digest(db)
    built = []
    monkeypatch.setattr(shopagent.location, "build_sample_shop", lambda target, seed: built.append(target))
    result = cli("data", "init", "--sample", "--db", db)
    assert result.exit_code == 1 and "--replace" in result.stderr
    assert file_digest(db) == before and not built


def test_data_check_with_a_database_finds_what_an_append_would_refuse(cli, mini_folder, tmp_path):
    db = tmp_path / "shop.duckdb"
    assert imported(cli, mini_folder, db).exit_code == 0
    assert cli("data", "check", mini_folder).exit_code == 0  # on its own the folder is fine
    again = cli("data", "check", mini_folder, "--db", db, "--json")
    assert again.exit_code == 1
    assert any(group["rule"] == "already imported" for group in json.loads(again.stdout)["groups"])


@pytest.mark.parametrize("machine_zone", ["UTC", "America/New_York"])
def test_parquet_instants_import_as_china_time_on_any_machine(cli, mini_folder, tmp_path, monkeypatch, machine_zone):
    monkeypatch.setenv("TZ", machine_zone)
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT order_id, CAST(created_at AS TIMESTAMP) AT TIME ZONE 'Asia/Shanghai' AS created_at, "
                    f"customer_id, channel, province FROM read_csv('{mini_folder / 'orders.csv'}')) "
                    f"TO '{mini_folder / 'orders.parquet'}' (FORMAT parquet)")
    (mini_folder / "orders.csv").unlink()
    db = tmp_path / "tz.duckdb"
    assert imported(cli, mini_folder, db).exit_code == 0
    with duckdb.connect(str(db), read_only=True) as con:
        assert str(con.execute("SELECT created_at FROM orders WHERE order_id = 'O1'").fetchone()[0]) == \
            "2026-03-01 10:00:00"
