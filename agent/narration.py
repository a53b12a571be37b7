"""The offline model's voice: tool results narrated through the templates in prompts/, numbers copied, not made.

Every number shown is formatted from a value in the tool result the model received (never computed from two
of them), so the grounding guard finds each one. Shop text (titles, reviews) is shown inside 「」/“” quotes.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from typing import Any

from shopagent.prompts import load_prompt
from shopagent.tool_payload import unfence

MONEY_KEYS = ("gmv", "aov", "spend", "ad_spend", "ad_gmv", "profit", "gross_profit", "margin", "revenue", "budget",
              "price", "refund_amount", "cost")
RATE_KEYS = ("conversion", "refund_rate", "ctr", "rate")
WHOLE_KEYS = ("visitors", "orders", "units", "impressions", "clicks")  # people and orders are counted whole
MAX_ROWS = 10


@cache
def template(name: str, language: str) -> dict[str, str]:
    """The parts ([name] -> text) of one language section of prompts/<name>.md."""
    parts: dict[str, dict[str, list[str]]] = {}
    current_language = current_part = None
    for line in load_prompt(f"{name}.md").splitlines():
        if line.startswith("<!--"):
            continue
        heading = re.fullmatch(r"--- (\w+) ---", line.strip())
        part = re.fullmatch(r"\[([\w.]+)\]", line.strip())
        if heading:
            current_language = heading.group(1)
            parts[current_language] = {}
        elif part and current_language:
            current_part = part.group(1)
            parts[current_language][current_part] = []
        elif current_language and current_part:
            parts[current_language][current_part].append(line)
    return {key: "\n".join(lines).strip() for key, lines in parts[language].items()}


def narrate(language: str, calls: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> str:
    """The answer for a turn: one section per (tool name, arguments, payload)."""
    sections = []
    for tool, arguments, payload in calls:
        if not payload.get("ok"):
            text = template("narrate_data", language)["error"]
            error = merchant_error(language, payload.get("error", "unknown error"))
            sections.append(text.format(tool=tool, error=error))
            continue
        narrator = NARRATORS.get(tool, _generic)
        sections.append(narrator(language, payload.get("result", {}), arguments, tool))
    return "\n\n".join(section for section in sections if section)


@cache
def _error_wordings(language: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    entries = tomllib.loads(load_prompt("tool_errors.toml")).get(language, [])
    return tuple((re.compile(entry["pattern"]), entry["text"]) for entry in entries)


def merchant_error(language: str, message: str) -> str:
    """A tool's (English) error in the merchant's language, through prompts/tool_errors.toml; a message no
    entry words keeps its English."""
    for pattern, text in _error_wordings(language):
        found = pattern.search(message)
        if found:
            return text.format(**found.groupdict())
    return message


def capabilities(language: str) -> str:
    return template("offline_messages", language)["capabilities"]


def unavailable(language: str, tool: str, available: list[str]) -> str:
    parts = template("offline_messages", language)
    return parts["unavailable"].format(tool=tool, alternatives=", ".join(f"`{name}`" for name in available))


def missing(language: str, tool: str, names: list[str]) -> str:
    parts = template("offline_messages", language)
    needed = "；".join(parts.get(f"missing.{name}", name) for name in names)
    example = parts.get(f"example.{tool}", parts["example.default"])
    return parts["missing"].format(missing=needed, example=example)


def _diagnose(language: str, result: dict, arguments: dict, _tool: str) -> str:
    parts = template("narrate_diagnose", language)
    period, kpis = result["period"], result["kpis"]
    focus = arguments.get("sku_ids") or []  # a follow-up about some SKUs: their GMV change and causes only
    if focus:
        branches = {branch.get("name"): branch for branch in result.get("kpi_tree", {}).get("skus", [])}
        lines = [_sku_change(parts, period, sku, branches.get(sku)) for sku in focus]
    else:
        lines = [_gmv_change(parts, "headline", period, kpis)]
    findings = [finding for finding in result.get("findings", []) if "kind" in finding]
    if not findings:
        lines.append(parts["sku.no_findings"].format(skus="、".join(focus) if language == "zh" else ", ".join(focus))
                     if focus else parts["no_findings"])
    else:
        lines.append(parts["causes"])
        lines.extend(parts["finding"].format(rank=rank, summary=unfence(finding["summary"]))
                     for rank, finding in enumerate(findings[:5], start=1))
        channels = tomllib.loads(load_prompt("findings.toml"))[language]["channels"]
        actions = []
        for finding in findings[:3]:
            action = parts.get(f"action.{finding['kind']}", "").format(
                sku=finding.get("sku_id") or "", channel=channels.get(finding.get("channel") or "", ""))
            if action and action not in actions:
                actions.append(action)
        lines.append(parts["actions"] + "\n" + "\n".join(actions))
    flags = "".join(f" --{key} {value}" for key, value in arguments.items() if key != "sku_ids")
    lines.append(parts["closing"].format(flags=flags))
    return "\n\n".join(lines)


def _gmv_change(parts: dict[str, str], headline: str, period: dict, kpis: dict, **names: str) -> str:
    """The headline (shop or SKU) and its visitors, conversion and AOV, before and after."""
    gmv, before = kpis["gmv"], kpis["gmv_prev"]
    direction = parts["up" if gmv > before else "down" if gmv < before else "flat"]
    return "\n\n".join([
        parts[headline].format(direction=direction, gmv=yuan(gmv), gmv_prev=yuan(before), **period, **names),
        parts["kpis"].format(visitors=count(kpis["visitors"]), visitors_prev=count(kpis["visitors_prev"]),
                             conversion=pct(kpis["conversion"]), conversion_prev=pct(kpis["conversion_prev"]),
                             aov=yuan(kpis["aov"], 2), aov_prev=yuan(kpis["aov_prev"], 2))])


def _sku_change(parts: dict[str, str], period: dict, sku: str, branch: dict | None) -> str:
    if branch is None:  # neither sold nor had visitors in either period, so the KPI tree leaves it out
        return parts["sku.quiet"].format(sku=sku, **period)
    return _gmv_change(parts, "sku.headline", period, branch, sku=sku)


def _daily_report(language: str, result: dict, arguments: dict, _tool: str) -> str:
    parts = template("narrate_daily_report", language)
    kpis = result["kpis"]
    previous = {key: kpis.get(f"{key}_prev") for key in ("gmv", "visitors", "conversion", "aov", "roi")}
    lines = [parts["headline"].format(
        date=result["date"], compare_date=kpis.get("compare_date") or "—", gmv=yuan(kpis["gmv"], 2),
        gmv_prev="—" if previous["gmv"] is None else yuan(previous["gmv"], 2), visitors=count(kpis["visitors"]),
        visitors_prev="—" if previous["visitors"] is None else count(previous["visitors"]),
        conversion=pct(kpis["conversion"]), conversion_prev="—" if previous["conversion"] is None
        else pct(previous["conversion"]), aov=yuan(kpis["aov"], 2),
        aov_prev="—" if previous["aov"] is None else yuan(previous["aov"], 2))]
    if kpis.get("ad_spend"):
        lines.append(parts["ads"].format(ad_spend=yuan(kpis["ad_spend"], 2), ad_gmv=yuan(kpis["ad_gmv"], 2),
                                         roi=ratio(kpis.get("roi")), roi_prev=ratio(previous["roi"])))
    findings = [finding for finding in result.get("findings", []) if "summary" in finding]
    if findings:
        lines.append(parts["causes"] + "\n" + "\n".join(
            parts["finding"].format(rank=rank, summary=unfence(finding["summary"]))
            for rank, finding in enumerate(findings[:3], start=1)))
    headlines = [block["headline"] for block in result.get("actions", []) if block.get("headline")]
    if headlines:
        lines.append(parts["actions"] + "\n" + "\n".join(parts["action"].format(headline=unfence(headline))
                                                          for headline in headlines))
    lines.append(parts["closing"].format(date=result["date"]))
    return "\n\n".join(lines)


def _promotion(language: str, result: dict, arguments: dict, _tool: str) -> str:
    parts = template("narrate_plan_promotion", language)
    expected = result.get("expected", {})
    lines = [parts["headline"].format(budget=yuan(result["budget"]), target_roi=ratio(result["target_roi"]),
                                      spend=yuan(expected.get("spend", 0)), gmv=yuan(expected.get("gmv", 0)),
                                      roi=ratio(expected.get("roi", 0)))]
    if result.get("fallback_reason"):  # do no harm: the plan kept today's mix, and says why
        lines.append(unfence(str(result["fallback_reason"])))
    funded = [row for row in result.get("allocations", []) if (row.get("daily_budget") or 0) > 0]
    if funded:
        rows = [parts["row"].format(sku_id=row["sku_id"], daily_budget=yuan(row["daily_budget"]),
                                    expected_gmv=yuan(row.get("expected_gmv", 0)),
                                    expected_roi=ratio(row.get("expected_roi", 0))) for row in funded[:8]]
        lines.append(parts["table"] + "\n" + "\n".join(rows))
        # the payload cuts long lists; funded_skus is the plan's own count
        total = result.get("funded_skus", len(funded))
        if total > len(rows):
            lines.append(parts["more"].format(count=total - len(rows)))
    left_out = [row["sku_id"] for row in result.get("allocations", [])
                if "sku_id" in row and (row.get("daily_budget") or 0) <= 0]
    if left_out and arguments.get("sku_ids"):
        # the merchant named these SKUs: say why each one gets nothing
        reasons = {row["sku_id"]: unfence(str(row.get("reason") or "")) for row in result.get("allocations", [])
                   if "sku_id" in row}
        lines.append("\n".join(parts["left_out_reason"].format(sku_id=sku, reason=reasons.get(sku, ""))
                               for sku in left_out[:10]))
    elif left_out:
        lines.append(parts["left_out"].format(skus=", ".join(left_out[:10])))
    lines.append(parts["closing"])
    return "\n\n".join(lines)


def _pricing(language: str, result: dict, _arguments: dict, _tool: str) -> str:
    parts = template("narrate_plan_pricing", language)
    recommendations = [row for row in result.get("recommendations", [])
                       if "sku_id" in row and row.get("recommended_price") != row.get("current_price")]
    objective = {"zh": {"profit": "利润", "gmv": "GMV"}}.get(language, {}).get(result.get("objective"),
                                                                              result.get("objective", ""))
    rows = [parts["row"].format(
        sku_id=row["sku_id"], current_price=yuan(row["current_price"], 2),
        recommended_price=yuan(row["recommended_price"], 2), expected_units_change=signed_pct(
            row.get("expected_units_change", 0)), expected_profit_change=signed_pct(
            row.get("expected_profit_change", 0)), reason=unfence(str(row.get("reason", "")))).strip()
        for row in recommendations[:8]] or [parts["none"]]
    # the suggested follow-up uses the tool's own recommended price, never a number made up for the example
    example = recommendations[0]["sku_id"] if recommendations else "S001"
    price = yuan(recommendations[0]["recommended_price"], 2) if recommendations else ""
    closing = parts["closing"].format(example=example, price=price) if recommendations else ""
    return "\n\n".join(part for part in [parts["headline"].format(objective=objective), "\n".join(rows), closing]
                       if part)


def _whatif(language: str, result: dict, arguments: dict, _tool: str) -> str:
    parts = template("narrate_whatif", language)
    baseline, scenario, delta = (result.get(key, {}) for key in ("baseline", "scenario", "delta"))
    described = ", ".join(f"{name} {target}={value}" for name, changes in arguments.items()
                          if isinstance(changes, dict) for target, value in changes.items())
    rows = [parts["row"].format(kpi=parts.get(f"kpi.{key}", key), baseline=_kpi(key, baseline[key]),
                                value=_kpi(key, scenario[key]), delta=_kpi(key, delta[key], signed=True))
            for key in scenario if key in baseline and key in delta and _number(scenario[key])]
    return "\n\n".join([parts["headline"].format(scenario=described or "—"), "\n".join(rows), parts["closing"]])


def _assortment(language: str, result: dict, _arguments: dict, _tool: str) -> str:
    parts = template("narrate_plan_assortment", language)
    counts = result.get("counts", {})
    named = "，".join if language == "zh" else ", ".join
    lines = [parts["headline"].format(as_of=result.get("as_of"), window_days=result.get("window_days"), counts=named(
        parts["count"].format(action=parts.get(f"action.{action}", action), n=n) for action, n in counts.items()))]
    skus = [row for row in result.get("skus", []) if "sku_id" in row]
    for action in ("delist", "fix", "restock", "push"):
        rows = [row for row in skus if row.get("action") == action][:5]
        if rows:
            more = counts.get(action, len(rows)) - len(rows)
            lines.append(parts["group"].format(action=parts.get(f"action.{action}", action)) + "\n" + "\n".join(
                parts["row"].format(sku_id=row["sku_id"], reason=unfence(str((row.get("reasons") or [""])[0])))
                for row in rows) + ("\n" + parts["more"].format(count=more) if more > 0 else ""))
    lines.append(parts["closing"])
    return "\n\n".join(lines)


def _creative_draft(language: str, result: dict, _arguments: dict, _tool: str) -> str:
    parts = template("narrate_creative", language)
    kind = parts.get(f"kind.{result.get('kind')}", str(result.get("kind", "")))
    lines = [parts["drafts"].format(sku_id=result.get("sku_id", ""), kind=kind)]
    for rank, draft in enumerate(result.get("drafts", []), start=1):
        compliance = draft.get("compliance", {})
        verdict = parts["compliant"] if compliance.get("ok", True) else parts["not_compliant"].format(
            terms=", ".join(unfence(str(issue.get("term", ""))) for issue in compliance.get("issues", [])))
        text = quote(draft.get("text", ""), language)
        lines.append(parts["draft"].format(rank=rank, text=text, verdict=verdict))
    return "\n".join(lines)


def _creative_check(language: str, result: dict, _arguments: dict, _tool: str) -> str:
    parts = template("narrate_creative", language)
    issues = result.get("issues", [])
    if result.get("ok") and not issues:
        return parts["check_ok"]
    lines = [parts["check_issues"].format(count=len(issues))]
    lines.extend(parts["issue"].format(term=unfence(issue["term"]), rule=issue["rule"],
                                       suggestion=issue.get("suggestion", "")) for issue in issues if "term" in issue)
    return "\n".join(lines)


def _sql(language: str, result: dict, _arguments: dict, _tool: str) -> str:
    parts = template("narrate_data", language)
    rows = [row for row in result.get("rows", []) if "more_items_not_shown" not in row]
    if not rows:
        return parts["no_rows"]
    columns = result.get("columns") or list(rows[0])
    truncated = result.get("truncated") or len(rows) > MAX_ROWS or len(rows) < len(result.get("rows", []))
    lines = [parts["rows"].format(shown=min(len(rows), MAX_ROWS), truncated=parts["truncated"] if truncated else ""),
             "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    quoted = False
    for row in rows[:MAX_ROWS]:
        cells = []
        for column in columns:
            value = row.get(column)
            if isinstance(value, str) and value.startswith("⟦"):
                cells.append(quote(value, language).replace("|", "\\|").replace("\n", " "))
                quoted = True
            else:
                cells.append("" if value is None else str(value))
        lines.append("| " + " | ".join(cells) + " |")
    if quoted:
        lines.append("\n" + parts["quoted"])
    return "\n".join(lines)


def _tables(language: str, result: dict, _arguments: dict, _tool: str) -> str:
    parts = template("narrate_data", language)
    lines = [parts["tables"].format(first_date=result.get("first_date"), last_date=result.get("last_date"))]
    lines.extend(parts["table"].format(name=table["name"], rows=count(table["rows"]),
                                       columns=", ".join(table["columns"][:10]))
                 for table in result.get("tables", []) if "name" in table)
    return "\n".join(lines)


def _generic(language: str, result: dict, _arguments: dict, tool: str) -> str:
    """Any tool without its own narrator: its scalar fields and the first rows of its lists, as reported."""
    lines = [template("narrate_data", language)["generic"].format(tool=tool)]
    for key, value in result.items():
        if isinstance(value, list):
            lines.append(f"- {key}: {len(value)}")
            for item in value[:5]:
                if isinstance(item, dict):
                    scalars = ", ".join(f"{k}={_plain(v, language)}" for k, v in item.items()
                                        if not isinstance(v, dict | list))
                    lines.append(f"  - {scalars}")
        elif not isinstance(value, dict):
            lines.append(f"- {key}: {_plain(value, language)}")
    return "\n".join(lines)


NARRATORS = {"diagnose": _diagnose, "daily_report": _daily_report, "plan_promotion": _promotion,
             "plan_pricing": _pricing, "whatif": _whatif, "plan_assortment": _assortment,
             "creative_draft": _creative_draft, "creative_check": _creative_check, "sql": _sql,
             "list_tables": _tables}


def quote(value: str, language: str) -> str:
    """Shop text shown as a quotation (the grounding guard ignores numbers inside quoted shop data)."""
    text = unfence(value)
    return f"「{text}」" if language == "zh" else f"“{text}”"


def _plain(value: Any, language: str) -> str:
    return quote(value, language) if isinstance(value, str) and value.startswith("⟦") else str(value)


def _kpi(key: str, value: float, signed: bool = False) -> str:
    if any(key.endswith(rate) for rate in RATE_KEYS):
        shown = pct(value)
        return shown.lstrip("-") if shown.lstrip("-") == "0.00%" else ("+" if signed and value > 0 else "") + shown
    sign = "+" if signed and value > 0 else ""
    if any(key.endswith(whole) for whole in WHOLE_KEYS):
        whole = round(value)
        return ("+" if signed and whole > 0 else "") + count(whole)
    if any(key.endswith(money) for money in MONEY_KEYS):
        decimals = 2 if abs(value) < 1000 else 0
        return ("+" if signed and value > 0 else "-" if value < 0 else "") + "¥" + yuan(abs(value), decimals)
    return sign + (count(value) if float(value).is_integer() else f"{value:,.2f}")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def yuan(value: float, decimals: int = 0) -> str:
    return f"{value:,.{decimals}f}"


def count(value: float) -> str:
    return f"{value:,.0f}"


def pct(fraction: float) -> str:
    return f"{fraction * 100:.2f}%"


def signed_pct(fraction: float | None) -> str:
    return "—" if fraction is None else f"{fraction * 100:+.1f}%"


def ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"
