"""The daily report as markdown: the same content as the HTML page, as tables and short lines a phone can show."""

from __future__ import annotations

from datetime import date

from shopagent.render.charts import signed_yuan
from shopagent.render.common import printable
from shopagent.tools.daily_report import DailyReport, KpiRow
from shopagent.tools.findings import Finding
from shopagent.tools.report_actions import Action, ActionBlock

WEEKDAYS = ("周一 Mon", "周二 Tue", "周三 Wed", "周四 Thu", "周五 Fri", "周六 Sat", "周日 Sun")
KPI_LABELS = {"gmv": "GMV 成交额", "visitors": "访客 visitors", "conversion": "转化率 conversion",
              "aov": "客单价 AOV", "orders": "订单 orders", "ad_spend": "推广花费 ad spend", "roi": "投产比 ROI",
              "refund_rate": "退款率 refund rate"}
CHANNEL_LABELS = {"search": "搜索 search", "recommend": "推荐 recommend", "promotion": "全站推广 promotion",
                  "live": "直播 live", "other": "其他 other"}
FINDING_LABELS = {"stockout": "缺货", "price_increase": "涨价", "price_above_competitor": "高于竞品价",
                  "promotion_below_target_roi": "推广未达投产比", "traffic_drop": "流量下滑",
                  "experience_score_drop": "体验分下降", "refund_spike": "退款激增", "rating_drop": "评分下降",
                  "demand_surge": "需求激增"}
BLOCK_TITLES = {"promotion": "全站推广预算 Promotion budgets", "pricing": "价格 Prices",
                "assortment": "商品 Restock · fix · push · delist"}
PLANNER_COMMANDS = {"promotion": "shopagent plan promotion", "pricing": "shopagent plan pricing",
                    "assortment": "shopagent plan assortment"}
ACTION_LABELS = {"budget": "预算", "price": "调价", "restock": "补货", "fix": "待优化", "push": "加推",
                 "delist": "下架"}
CONFIDENCE_LABELS = {"high": "把握高 high", "medium": "把握中 medium", "low": "把握低 low"}
RATES = {"conversion", "refund_rate"}
MAX_FINDINGS = 8


def render_markdown(report: DailyReport) -> str:
    """The whole report as one markdown document (deterministic: only the data's dates, no clock)."""
    parts = [_header(report), _top(report), _kpis(report), _channels(report), _diagnosis(report), _actions(report),
             _not_computed(report),
             f"---\n数据 Data {report.data_start} → {report.data_end} · shopagent report daily --date {report.date}\n"]
    return "\n".join(part for part in parts if part)


def weekday(day: date) -> str:
    return WEEKDAYS[day.weekday()]


def escape(text: str) -> str:
    """Make free text (titles, reasons) inert in markdown: no accidental bold, links, HTML or table breaks, and
    no terminal control characters for whoever cats the file."""
    text = printable(text)
    for char in "\\`*_[]<>|":
        text = text.replace(char, "\\" + char)
    return text


def kpi_value(name: str, value: float | None) -> str:
    if value is None:
        return "—"
    if name in ("gmv", "ad_spend", "aov"):
        return f"¥{value:,.2f}" if name == "aov" else f"¥{value:,.0f}"
    if name in RATES:
        return f"{value:.2%}"
    if name == "roi":
        return f"{value:.2f}"
    return f"{value:,.0f}"


def kpi_change(row: KpiRow, before: float | None, change: float | None) -> str:
    """A rate moves in percentage points (2.0% -> 2.2% is +0.2pt); everything else in percent."""
    if row.value is None or before is None:
        return ""
    if row.name in RATES:
        return f"{(row.value - before) * 100:+.2f}pt"
    return "" if change is None else f"{change:+.1%}"


def yuan_per_day(value: float | None) -> str:
    return "—" if value is None else f"{signed_yuan(value)}/天"


def action_line(action: Action) -> str:
    """`S065 title: ¥150 → ¥510/天 · GMV +¥1,348/天`: the change and its expected impact, no reason."""
    name = f"**{escape(action.sku_id or '')}** {escape(_short(action.title or '', 18))}".strip()
    change = ""
    if action.unit == "yuan_per_day":
        change = f"¥{action.current or 0:,.0f} → ¥{action.proposed or 0:,.0f}/天"
        if action.target_roi is not None:
            before = "—" if action.current_target_roi is None else f"{action.current_target_roi:g}"
            change += f", 投产比 {before} → {action.target_roi:g}"
    elif action.unit == "yuan":
        change = f"¥{action.current or 0:,.2f} → ¥{action.proposed or 0:,.2f}"
    elif action.quantity is not None:
        on_hand = "" if action.current is None else f"库存 {action.current:,.0f}, "
        change = f"{on_hand}补 {action.quantity:,} 件"
    impact = []
    if action.expected_gmv_per_day is not None:
        impact.append(f"GMV {yuan_per_day(action.expected_gmv_per_day)}")
    if action.expected_profit_per_day is not None:
        impact.append(f"利润 profit {yuan_per_day(action.expected_profit_per_day)}")
    return " · ".join(part for part in (f"{ACTION_LABELS[action.kind]} {name}", change, *impact) if part)


def confidence(action: Action) -> str:
    return CONFIDENCE_LABELS.get(action.confidence or "", "")


def _top(report: DailyReport) -> str:
    """The few actions to take first, across planners, biggest value first, each with how sure it is."""
    if not report.top_actions:
        return ""
    lines = [f"## 今天先做 Top {len(report.top_actions)}", ""]
    for number, action in enumerate(report.top_actions, start=1):
        sure = confidence(action)
        lines.append(f"{number}. {action_line(action)}" + (f" · {sure}" if sure else ""))
    return "\n".join(lines) + "\n"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _header(report: DailyReport) -> str:
    gmv = next(row for row in report.kpi_rows if row.name == "gmv")
    lines = [f"# 店铺日报 Daily report · {report.date} {weekday(report.date)}", ""]
    summary = f"GMV {kpi_value('gmv', gmv.value)}"
    if gmv.change_vs_last_week is not None:
        summary += f" · 比上周同日 vs last {weekday(report.date)[-3:]} {gmv.change_vs_last_week:+.1%}"
    if gmv.change_vs_avg_7d is not None:
        summary += f" · 比7日均 vs 7-day avg {gmv.change_vs_avg_7d:+.1%}"
    lines.append(f"> {summary}")
    if report.findings:
        top = report.findings[0]
        lines += ["", f"> 最大原因 Top cause: {_finding_label(top)} {signed_yuan(top.impact_gmv)}"]
    available = [block for block in report.actions if not block.unavailable and block.actions]
    if available:
        lines += ["", "> 今日建议 Actions: " + " · ".join(
            f"{BLOCK_TITLES[block.planner].split()[0]} {len(block.actions) + block.more}" for block in available)]
    # separate quotes: consecutive '>' lines would run together into one paragraph
    return "\n".join(lines) + "\n"


def _kpis(report: DailyReport) -> str:
    day = weekday(report.date)[-3:]
    lines = ["## 核心指标 KPIs", "", f"| 指标 KPI | {report.date:%m-%d} | 上周同日 last {day} | 7日均 7-day avg |",
             "|---|--:|--:|--:|"]
    for row in report.kpi_rows:
        cells = [kpi_value(row.name, row.value)]
        for before, change in ((row.same_weekday_last_week, row.change_vs_last_week),
                               (row.avg_7d, row.change_vs_avg_7d)):
            shift = kpi_change(row, before, change)
            cells.append(kpi_value(row.name, before) + (f" ({shift})" if shift else ""))
        lines.append(f"| {KPI_LABELS[row.name]} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _channels(report: DailyReport) -> str:
    lines = ["## 渠道 Channels", "", "| 渠道 channel | GMV | 占比 share | 7日均占比 7-day share |", "|---|--:|--:|--:|"]
    for mix in report.channels:
        average = "—" if mix.share_avg_7d is None else f"{mix.share_avg_7d:.1%}"
        lines.append(f"| {CHANNEL_LABELS.get(mix.channel, mix.channel)} | ¥{mix.gmv:,.0f} | {mix.share:.1%} | "
                     f"{average} |")
    return "\n".join(lines) + "\n"


def _finding_label(finding: Finding) -> str:
    where = finding.sku_id or CHANNEL_LABELS.get(finding.channel or "", finding.channel or "全店 shop")
    return f"{FINDING_LABELS[finding.kind]} {finding.kind.replace('_', ' ')} · {escape(where)}"


def _diagnosis(report: DailyReport) -> str:
    period = report.diagnosis_period
    if period is None:
        return ""
    lines = [f"## 近7天诊断 Diagnosis · {period.start:%m-%d} → {period.end:%m-%d} vs "
             f"{period.compare_start:%m-%d} → {period.compare_end:%m-%d}", ""]
    if not report.findings:
        lines.append("没有超出日常波动的异常。No cause stands out beyond day-to-day noise.")
    for number, finding in enumerate(report.findings[:MAX_FINDINGS], start=1):
        lines.append(f"{number}. **{_finding_label(finding)}** {signed_yuan(finding.impact_gmv)}: "
                     f"{escape(finding.summary)}")
    if len(report.findings) > MAX_FINDINGS:
        lines.append(f"\n…另有 {len(report.findings) - MAX_FINDINGS} 条 more: "
                     f"`shopagent diagnose --start {period.start} --end {period.end}`")
    if report.movers:
        lines += ["", "### 变化最大的商品 Top movers (7 days)", "",
                  "| SKU | GMV | 变化 change | 访客 visitors | 转化 conversion | 客单 AOV |",
                  "|---|--:|--:|--:|--:|--:|"]
        for mover in report.movers:
            lines.append(f"| {escape(mover.sku_id)} {escape(_short(mover.title, 12))} | ¥{mover.gmv:,.0f} | "
                         f"{signed_yuan(mover.change)} | {signed_yuan(mover.visitors_effect)} | "
                         f"{signed_yuan(mover.conversion_effect)} | {signed_yuan(mover.aov_effect)} |")
    return "\n".join(lines) + "\n"


def _actions(report: DailyReport) -> str:
    lines = ["## 今日建议 Today's actions", ""]
    for block in report.actions:
        lines += _block(block, report)
    return "\n".join(lines)


def _block(block: ActionBlock, report: DailyReport) -> list[str]:
    lines = [f"### {BLOCK_TITLES.get(block.planner, block.planner)}", ""]
    if block.unavailable:
        return [*lines, f"暂无 Not available: {escape(block.unavailable)}", ""]
    lines += [escape(block.headline), ""]
    if block.notes:
        lines += [*(f"- 注 Note: {escape(note)}" for note in block.notes), ""]
    if not block.actions:
        return [*lines, "今天无需调整。Nothing to change today.", ""]
    for number, action in enumerate(block.actions, start=1):
        lines.append(f"{number}. {action_line(action)}  ")
        lines.append(f"   {escape(action.reason)}")
    if block.more:
        lines.append(f"\n…另有 {block.more} 条 more: `{_command(block, report)}`")
    if block.set_aside:
        lines += ["", "暂缓 Set aside (其他部分与之矛盾 another part of the report contradicts them):"]
        lines += [f"- {ACTION_LABELS[aside.action.kind]} **{escape(aside.action.sku_id or '')}**: {escape(aside.why)}"
                  for aside in block.set_aside]
    return [*lines, ""]


def _command(block: ActionBlock, report: DailyReport) -> str:
    command = PLANNER_COMMANDS.get(block.planner, "")
    if block.planner == "promotion" and "total_budget" in block.expected:
        command += f" --budget {block.expected['total_budget']:g} --target-roi {block.expected['target_roi']:g}"
    return command


def _not_computed(report: DailyReport) -> str:
    if not report.not_computed:
        return ""
    lines = ["## 未能计算 Not computed", ""]
    lines += [f"- **{escape(gap.part)}**: {escape(gap.reason)}" for gap in report.not_computed]
    return "\n".join(lines) + "\n"
