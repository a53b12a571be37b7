"""`shopagent sql`: read-only, one statement, no file or network access, capped rows."""

from __future__ import annotations

import json

import pytest

from tests.test_import import imported


@pytest.fixture
def mini_db(cli, mini_folder, tmp_path):
    db = tmp_path / "shop.duckdb"
    assert imported(cli, mini_folder, db).exit_code == 0
    return db


def test_a_select_returns_row_objects_as_json(cli, mini_db):
    result = cli("sql", "SELECT sku_id, list_price FROM products ORDER BY sku_id", "--db", mini_db, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == [{"sku_id": "S001", "list_price": 99.0},
                                         {"sku_id": "S002", "list_price": 199.0}]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("DELETE FROM orders", "only read-only SELECT"),
        ("UPDATE products SET list_price = 1", "only read-only SELECT"),
        ("SELECT 1; DROP TABLE orders", "one statement at a time"),
        ("SELECT * FROM read_csv('/etc/passwd')", "cannot read files"),
        ("COPY orders TO '/tmp/leak.csv'", "only read-only SELECT"),
        ("ATTACH '/tmp/other.duckdb' AS other", "only read-only SELECT"),
        ("SET enable_external_access = true", "only read-only SELECT"),
    ],
)
def test_writes_extra_statements_and_file_access_are_refused(cli, mini_db, query, message):
    from tests.conftest import file_digest

    before = file_digest(mini_db)
    result = cli("sql", query, "--db", mini_db)
    assert result.exit_code == 1
    assert message in result.stderr
    assert file_digest(mini_db) == before


def test_rows_are_capped(cli, mini_db):
    result = cli("sql", "SELECT * FROM range(50)", "--db", mini_db, "--json", "--max-rows", "10")
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)) == 10
    assert "first 10 rows" in result.stderr


def test_a_long_query_is_stopped(cli, mini_db):
    result = cli("sql", "SELECT count(*) FROM range(100000000000) a", "--db", mini_db, "--timeout", "0.2")
    assert result.exit_code == 1
    assert "stopped" in result.stderr


def test_a_missing_database_says_how_to_build_one(cli, tmp_path):
    result = cli("sql", "SELECT 1", "--db", tmp_path / "nope.duckdb")
    assert result.exit_code == 1
    assert "data init --sample" in result.stderr


def test_terminal_escape_sequences_in_shop_text_never_reach_the_terminal(cli, mini_db):
    query = "SELECT 'nice' || chr(27) || ']0;pwned' || chr(7) || chr(27) || '[2J dress' || chr(8238) AS title"
    human = cli("sql", query, "--db", mini_db)
    assert human.exit_code == 0
    assert "\x1b" not in human.stdout and "\x07" not in human.stdout and "\u202e" not in human.stdout
    assert "nice" in human.stdout and "dress" in human.stdout
    as_json = cli("sql", query, "--db", mini_db, "--json")
    assert "\x1b" in json.loads(as_json.stdout)[0]["title"]  # data stays exact in JSON, escaped by the encoder


def test_one_huge_value_cannot_flood_the_output(cli, mini_db):
    result = cli("sql", "SELECT repeat('面料', 100000) AS text", "--db", mini_db, "--json")
    assert result.exit_code == 0
    text = json.loads(result.stdout)[0]["text"]
    assert len(text) < 25_000 and "more characters" in text
    assert "were cut" in result.stderr
