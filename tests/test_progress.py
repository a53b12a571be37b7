"""Progress of long work goes to stderr, step by step, and never under --json."""

from __future__ import annotations

import pytest


@pytest.fixture
def forced(monkeypatch: pytest.MonkeyPatch) -> None:
    """Progress as a terminal would get it, in the plain-lines form a non-terminal stderr gets when forced."""
    monkeypatch.setenv("SHOPAGENT_PROGRESS", "1")


def test_the_report_says_each_step_on_stderr(forced, sample_db, cli, tmp_path):
    result = cli("report", "daily", "--db", sample_db, "--lang", "en", "--out", tmp_path / "today.md")
    assert result.exit_code == 0, result.stderr
    steps = [line.split(": ", 1)[1].rsplit(" (", 1)[0] for line in result.stderr.splitlines()
             if line.startswith("Daily report: ")]
    assert steps == ["loading the shop's history", "diagnosing the last 7 days", "re-splitting the promotion budgets",
                     "pricing every SKU", "checking stock and the range", "writing the report", "done"]


@pytest.mark.parametrize("args", [["report", "daily", "--format", "json"], ["plan", "pricing", "--json"],
                                  ["diagnose", "--json"]])
def test_no_progress_under_json(forced, args, sample_db, cli):
    result = cli(*args, "--db", sample_db)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.lstrip().startswith("{")


def test_no_progress_when_stderr_is_not_a_terminal(sample_db, cli):
    result = cli("plan", "assortment", "--db", sample_db, "--top", "1")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""


def test_the_chat_tool_line_counts_the_seconds(monkeypatch: pytest.MonkeyPatch):
    import time

    from rich.console import Console

    from shopagent.render.progress import Elapsed

    line = Elapsed("⚙ plan_promotion(budget=5000) …")
    console = Console(record=True, width=80)
    started = line.started
    monkeypatch.setattr(time, "monotonic", lambda: started + 6.4)
    console.print(line)
    assert console.export_text().strip() == "⚙ plan_promotion(budget=5000) … 6.4s"


def test_an_import_says_it_is_working_and_is_silent_under_json(forced, mini_folder, cli, tmp_path):
    shown = cli("data", "import", mini_folder, "--db", tmp_path / "a.duckdb")
    assert shown.exit_code == 0, shown.stderr
    assert "Importing: reading, checking and loading the files" in shown.stderr
    quiet = cli("data", "import", mini_folder, "--db", tmp_path / "b.duckdb", "--json")
    assert quiet.exit_code == 0, quiet.stderr
    assert quiet.stderr == "" and quiet.stdout.lstrip().startswith("{")
