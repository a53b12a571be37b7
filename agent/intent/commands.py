"""A planned tool call as the shopagent command a merchant can run themselves (for "did you mean")."""

from __future__ import annotations

import shlex
from typing import Any


def command_line(tool: str, arguments: dict[str, Any]) -> str:
    """`shopagent ...` doing what the call would do; <placeholders> where the question left a value out."""
    words = ["shopagent"]
    if tool == "diagnose":
        words.append("diagnose")
        if "start" in arguments:
            words += ["--start", arguments["start"], "--end", arguments["end"]]
        else:
            words += ["--days", str(arguments.get("days", 7))]
        if "compare" in arguments:
            words += ["--compare", arguments["compare"]]
    elif tool == "plan_promotion":
        words += ["plan", "promotion", "--budget", _number(arguments.get("budget"), "<budget>"),
                  "--target-roi", _number(arguments.get("target_roi"), "<roi>")]
        for sku in arguments.get("sku_ids", []):
            words += ["--sku", sku]
    elif tool == "plan_pricing":
        words += ["plan", "pricing"]
        for sku in arguments.get("skus", []):
            words += ["--sku", sku]
        if "min_margin" in arguments:
            words += ["--min-margin", _number(arguments["min_margin"], "")]
    elif tool == "daily_report":
        words += ["report", "daily"] + (["--date", arguments["day"]] if "day" in arguments else [])
    elif tool == "plan_assortment":
        words += ["plan", "assortment"]
    elif tool == "whatif":
        words.append("whatif")
        changes = [(kind, sku, value) for kind in ("price", "budget", "stock")
                   for sku, value in (arguments.get(kind) or {}).items()]
        for kind, sku, value in changes or [("price", "<SKU>", "+10%")]:
            words += [f"--{kind}", f"{sku}={value}"]
    elif tool == "creative_draft":
        words += ["creative", "draft", arguments.get("sku_id", "<SKU>"), "--kind", arguments.get("kind", "title")]
    elif tool == "creative_check":
        words += ["creative", "check", arguments.get("text") or "<copy>"]
    elif tool == "sql":
        words += ["sql", arguments.get("query", "SELECT ...")]
    else:  # list_tables
        words += ["sql", "SELECT table_name FROM information_schema.tables ORDER BY table_name"]
    return " ".join(word if word.startswith("<") else shlex.quote(word) for word in words)


def _number(value: Any, placeholder: str) -> str:
    return placeholder if value is None else f"{value:g}"
