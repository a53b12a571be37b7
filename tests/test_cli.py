"""The command surface: fast --help without heavy imports, usage errors exit 2."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("duckdb", "numpy", "pandas", "langchain", "langchain_core", "openai", "httpx", "scipy")


def test_help_imports_no_heavy_module():
    probe = (
        "import sys\n"
        "from shopagent.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print('HEAVY:' + ','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert completed.stdout.splitlines()[-1] == "HEAVY:"


def test_subcommand_help_is_light_too():
    probe = (
        "import sys\n"
        "from shopagent.cli import app\n"
        "for args in (['data', '--help'], ['sql', '--help']):\n"
        "    try:\n        app(args)\n    except SystemExit:\n        pass\n"
        f"print('HEAVY:' + ','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
    )
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert completed.stdout.splitlines()[-1] == "HEAVY:"


def test_a_usage_error_exits_2(cli):
    assert cli("sql").exit_code == 2
    assert cli("data", "import").exit_code == 2
    assert cli("no-such-command").exit_code == 2


def test_data_init_without_sample_is_a_usage_error(cli):
    result = cli("data", "init")
    assert result.exit_code == 2
    assert "--sample" in result.output


def test_help_shows_no_type_beside_a_flag(cli):
    result = cli("plan", "pricing", "--help")
    assert result.exit_code == 0
    assert "<bool>" not in result.output and "--json" in result.output


def test_shell_completion_is_offered(cli):
    assert "--install-completion" in cli("--help").output


def test_data_columns_prints_the_contract(cli):
    from shopagent.tools.schema import TABLES_BY_NAME

    result = cli("data", "columns", "order_items")
    assert result.exit_code == 0, result.output
    for column in TABLES_BY_NAME["order_items"].columns:
        assert f"  {column.name} " in result.output
    assert "no thousands separator" in result.output and "must be in orders.order_id" in result.output
    every = json.loads(cli("data", "columns", "--json").stdout)
    assert [table["table"] for table in every] == list(TABLES_BY_NAME)
    unknown = cli("data", "columns", "sales")
    assert unknown.exit_code == 2 and "products, price_history" in " ".join(unknown.output.split())


def test_a_db_that_is_not_a_database_is_a_clear_error(cli, tmp_path):
    csv = tmp_path / "orders.csv"
    csv.write_text("order_id,created_at\nO1,2026-03-01 10:00:00\n", encoding="utf-8")
    result = cli("diagnose", "--db", csv)
    assert result.exit_code == 1
    message = " ".join(result.stderr.split())
    assert "is a CSV file, not a shop database" in message and "shopagent data import DIR" in message
    assert "Catalog Error" not in message and "Traceback" not in message
