"""Chinese first: a Chinese shop gets Chinese advice whatever the locale; a setting can say otherwise."""

from __future__ import annotations

import json
import re

import pytest

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def no_language_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHOPAGENT_LANG", raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


def reasons(cli, db) -> list[str]:
    result = cli("plan", "pricing", "--db", db, "--json")
    assert result.exit_code == 0, result.stderr
    return [r["reason"] for r in json.loads(result.stdout)["recommendations"] if r["status"] == "change"]


def test_a_chinese_shop_is_answered_in_chinese_under_the_c_locale(no_language_setting, sample_db, cli):
    found = reasons(cli, sample_db)
    assert found and all(CHINESE.search(reason) for reason in found)


def test_config_or_environment_chooses_english(no_language_setting, sample_db, cli, tmp_path, monkeypatch):
    config = tmp_path / "userconfig"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text('lang = "en"\n', encoding="utf-8")
    assert not any(CHINESE.search(reason.split(":")[0]) for reason in reasons(cli, sample_db))
    (config / "config.toml").write_text('lang = "fr"\n', encoding="utf-8")
    result = cli("plan", "pricing", "--db", sample_db)
    assert result.exit_code == 2 and "config.toml" in result.output


def test_a_chinese_what_if_counts_visitors_whole_and_names_every_kpi_in_chinese(sample_db):
    from shopagent.narration import narrate
    from shopagent.tool_payload import read_payload, tool_payload
    from shopagent.tools.store import Shop
    from shopagent.tools.whatif import whatif
    from shopagent.tools.whatif_changes import parse_assignments

    result = whatif(Shop(sample_db), price=parse_assignments(["S012=+5%"], "price"), budget={}, stock={}, days=14)
    assert not float(result.baseline.visitors).is_integer()  # the model's visitors are fractional
    text = narrate("zh", [("whatif", {"price": {"S012": "+5%"}}, read_payload(tool_payload("whatif", result)))])
    visitors = next(line for line in text.splitlines() if line.startswith("- 访客"))
    assert re.fullmatch(r"- 访客：[\d,]+ → [\d,]+（[+-]?[\d,]+）", visitors), visitors
    assert not re.search(r"[a-z]+_[a-z]+", text), text
