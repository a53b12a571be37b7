"""Human output a merchant can read: whole figures at 80 columns (stacked rows), a table when there is room."""

from __future__ import annotations

import json
import re

import pytest
from rich.cells import cell_len


@pytest.mark.parametrize("args", [["plan", "pricing", "--top", "3"], ["plan", "assortment", "--top", "2"],
                                  ["plan", "promotion", "--budget", "5000", "--target-roi", "3", "--top", "3"],
                                  ["diagnose", "--days", "7"], ["whatif", "--price", "S012=+5%"]])
def test_plans_fit_80_columns_with_every_sku_and_figure_whole(args, sample_db, runner):
    from shopagent.cli import app

    result = runner.invoke(app, [*args, "--db", str(sample_db)], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines and max(cell_len(line) for line in lines) <= 80
    assert not re.search(r"S\d*…|¥[\d,]*…", result.stdout)  # no SKU id or amount squeezed to an ellipsis
    # wide tables are stacked; a table that fits stays a table, with no cell cut short
    assert not re.search(r"…\s*[│┃]", result.stdout)
    if "--top" in args:
        assert "--top 0 lists them all" in " ".join(result.stdout.split())


def test_top_lists_that_many_price_rows_and_a_wide_terminal_gets_a_table(sample_db, runner):
    from shopagent.cli import app

    result = runner.invoke(app, ["plan", "pricing", "--top", "3", "--db", str(sample_db)], env={"COLUMNS": "220"})
    assert result.exit_code == 0, result.stderr
    plan = json.loads(runner.invoke(app, ["plan", "pricing", "--db", str(sample_db), "--json"]).stdout)
    changes = [r["sku_id"] for r in plan["recommendations"] if r["status"] == "change"]
    rows = re.findall(r"^│ (S\d+) ", result.stdout, re.M)
    assert rows == changes[:3]
    assert f"… {len(plan['recommendations']) - 3} more SKUs" in result.stdout
