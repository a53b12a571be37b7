"""The daily report as one self-contained HTML page for a phone: inline CSS, charts as inline SVG, no network.

Charts are drawn with matplotlib to SVG and embedded in the page. Same data, same bytes: the SVG ids are
salted with a fixed string and prefixed per chart (several SVGs share one document), metadata (which carries
a date and a URL) is switched off, text is drawn as paths in the bundled DejaVu Sans so no font is fetched
or substituted. Chart labels stay ASCII for that reason; Chinese labels live in the HTML around them.
"""

from __future__ import annotations

import io
import re
from html import escape as html_escape

from shopagent.render.charts import signed_yuan
from shopagent.render.report_md import (
    BLOCK_TITLES,
    CHANNEL_LABELS,
    FINDING_LABELS,
    KPI_LABELS,
    MAX_FINDINGS,
    action_line,
    confidence,
    kpi_change,
    kpi_value,
    weekday,
)
from shopagent.tools.daily_report import DailyReport
from shopagent.tools.report_actions import ActionBlock

INK, MUTED, ACCENT, LIGHT, LOSS, GAIN = "#1f2933", "#7b8794", "#2f6fde", "#b9cdf3", "#c8463d", "#2e8b57"
STYLE = """
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#1f2933;font:15px/1.55 -apple-system,BlinkMacSystemFont,"PingFang SC",
"Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Segoe UI",Roboto,sans-serif;-webkit-text-size-adjust:100%}
main{max-width:760px;margin:0 auto;padding:12px}
header h1{font-size:20px;margin:8px 0 0}header p{margin:2px 0 10px;color:#52606d}
section{background:#fff;border-radius:10px;padding:12px 14px;margin:0 0 12px;box-shadow:0 1px 2px rgba(0,0,0,.06)}
h2{font-size:17px;margin:0 0 8px}h3{font-size:15px;margin:14px 0 6px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px;background:none;box-shadow:none;
padding:0}
.card{background:#fff;border-radius:10px;padding:10px 12px;box-shadow:0 1px 2px rgba(0,0,0,.06)}
.card .label{color:#52606d;font-size:13px}.card .value{font-size:20px;font-weight:600;margin:2px 0}
.card .delta{font-size:12px;color:#52606d}
.chart{width:100%;max-width:600px;height:auto;display:block;margin:0 auto}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:13px;white-space:nowrap}
th,td{padding:5px 6px;border-bottom:1px solid #e4e7eb;text-align:right}th:first-child,td:first-child{text-align:left}
ol{padding-left:22px;margin:6px 0}li{margin:0 0 8px}.why{color:#52606d;font-size:13px;display:block}
.loss{color:#c8463d}.gain{color:#2e8b57}.note{color:#52606d;font-size:13px}
.sure{color:#52606d;font-size:12px;white-space:nowrap}
footer{color:#7b8794;font-size:12px;text-align:center;padding:8px 0 20px}
@media (max-width:480px){main{padding:8px}section{padding:10px}table{font-size:12px}
th,td{padding:4px 3px}td:first-child{white-space:normal;min-width:84px}
.card .value{font-size:18px}.cards{grid-template-columns:repeat(2,1fr)}}
"""


def render_html(report: DailyReport) -> str:
    """The whole report as one HTML document that opens offline (no scripts, fonts or images fetched)."""
    title = f"店铺日报 {report.date}"
    body = [f"<header><h1>店铺日报 Daily report</h1><p>{report.date} {weekday(report.date)}</p></header>",
            _top(report), _cards(report), _trend(report), _channels(report), _diagnosis(report), _actions(report),
            _not_computed(report),
            f"<footer>数据 Data {report.data_start} → {report.data_end} · shopagent report daily</footer>"]
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{_e(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
            + "\n".join(part for part in body if part) + "\n</main>\n</body>\n</html>\n")


def _e(text: str) -> str:
    return html_escape(text, quote=True)


def _section(title: str, *parts: str) -> str:
    return f"<section>\n<h2>{_e(title)}</h2>\n" + "\n".join(part for part in parts if part) + "\n</section>"


def _cards(report: DailyReport) -> str:
    cards = []
    for row in report.kpi_rows:
        deltas = []
        for label, before, change in (("上周同日", row.same_weekday_last_week, row.change_vs_last_week),
                                      ("7日均", row.avg_7d, row.change_vs_avg_7d)):
            shift = kpi_change(row, before, change)
            if shift:
                arrow = "▲" if shift.startswith("+") else "▼" if shift.startswith("-") else ""
                deltas.append(f"{label} {arrow}{_e(shift)}")
        cards.append(f"<div class=\"card\"><div class=\"label\">{_e(KPI_LABELS[row.name])}</div>"
                     f"<div class=\"value\">{_e(kpi_value(row.name, row.value))}</div>"
                     f"<div class=\"delta\">{' · '.join(deltas) or '—'}</div></div>")
    return "<section class=\"cards\">\n" + "\n".join(cards) + "\n</section>"


def _trend(report: DailyReport) -> str:
    average = next((row.avg_7d for row in report.kpi_rows if row.name == "gmv"), None)
    return _section(f"GMV 近{len(report.gmv_trend)}天 trend", trend_chart(report, average))


def _channels(report: DailyReport) -> str:
    rows = "".join(
        f"<tr><td>{_e(CHANNEL_LABELS.get(mix.channel, mix.channel))}</td><td>¥{mix.gmv:,.0f}</td>"
        f"<td>{mix.share:.1%}</td><td>{'—' if mix.share_avg_7d is None else f'{mix.share_avg_7d:.1%}'}</td></tr>"
        for mix in report.channels)
    table = (f"<div class=\"scroll\"><table><tr><th>渠道 channel</th><th>GMV</th><th>占比 share</th>"
             f"<th>7日均 7-day</th></tr>{rows}</table></div>")
    return _section("渠道 Channel mix", channel_chart(report), table)


def _diagnosis(report: DailyReport) -> str:
    period = report.diagnosis_period
    if period is None:
        return ""
    items = []
    for finding in report.findings[:MAX_FINDINGS]:
        where = finding.sku_id or CHANNEL_LABELS.get(finding.channel or "", finding.channel or "全店 shop")
        tone = "loss" if finding.impact_gmv < 0 else "gain"
        items.append(f"<li><b>{_e(FINDING_LABELS[finding.kind])} · {_e(where)}</b> "
                     f"<span class=\"{tone}\">{_e(signed_yuan(finding.impact_gmv))}</span>"
                     f"<span class=\"why\">{_e(finding.summary)}</span></li>")
    findings = f"<ol>{''.join(items)}</ol>" if items else "<p>没有超出日常波动的异常。No cause stands out.</p>"
    if len(report.findings) > MAX_FINDINGS:
        findings += (f"<p class=\"note\">…另有 {len(report.findings) - MAX_FINDINGS} 条 more in the JSON report."
                     "</p>")
    movers = ""
    if report.movers:
        rows = "".join(
            f"<tr><td>{_e(m.sku_id)} {_e(m.title[:12])}</td><td>¥{m.gmv:,.0f}</td><td>{_e(signed_yuan(m.change))}</td>"
            f"<td>{_e(signed_yuan(m.visitors_effect))}</td><td>{_e(signed_yuan(m.conversion_effect))}</td>"
            f"<td>{_e(signed_yuan(m.aov_effect))}</td></tr>" for m in report.movers)
        movers = ("<h3>变化最大的商品 Top movers</h3>" + movers_chart(report)
                  + "<div class=\"scroll\"><table><tr><th>SKU</th><th>GMV</th><th>变化</th><th>访客</th><th>转化</th>"
                  f"<th>客单</th></tr>{rows}</table></div>")
    title = (f"近7天诊断 Diagnosis {period.start:%m-%d} → {period.end:%m-%d} vs "
             f"{period.compare_start:%m-%d} → {period.compare_end:%m-%d}")
    return _section(title, findings, movers)


def _top(report: DailyReport) -> str:
    if not report.top_actions:
        return ""
    items = "".join(f"<li>{_inline(action_line(action))} <span class=\"sure\">{_e(confidence(action))}</span>"
                    f"<span class=\"why\">{_e(action.reason)}</span></li>" for action in report.top_actions)
    return _section(f"今天先做 Top {len(report.top_actions)}", f"<ol>{items}</ol>")


def _actions(report: DailyReport) -> str:
    return _section("今日建议 Today's actions", *(_block(block) for block in report.actions))


def _block(block: ActionBlock) -> str:
    title = f"<h3>{_e(BLOCK_TITLES.get(block.planner, block.planner))}</h3>"
    if block.unavailable:
        return f"{title}<p class=\"note\">暂无 Not available: {_e(block.unavailable)}</p>"
    items = "".join(f"<li>{_inline(action_line(action))}<span class=\"why\">{_e(action.reason)}</span></li>"
                    for action in block.actions)
    parts = [title, f"<p>{_e(block.headline)}</p>"]
    parts += [f"<p class=\"note\">注 Note: {_e(note)}</p>" for note in block.notes]
    if block.curve:
        parts.append(budget_chart(block))
    parts.append(f"<ol>{items}</ol>" if items else "<p class=\"note\">今天无需调整。Nothing to change today.</p>")
    if block.more:
        parts.append(f"<p class=\"note\">…另有 {block.more} 条 more in the planner's own command.</p>")
    if block.set_aside:
        asides = "".join(f"<li><b>{_e(aside.action.sku_id or '')}</b>: {_e(aside.why)}</li>"
                         for aside in block.set_aside)
        parts.append(f"<p class=\"note\">暂缓 Set aside (another part of the report contradicts them):</p>"
                     f"<ul class=\"note\">{asides}</ul>")
    return "\n".join(parts)


def _inline(markdown_line: str) -> str:
    """An action line from the markdown renderer, with its **bold** and escapes turned into HTML."""
    text = re.sub(r"\\(.)", r"\1", markdown_line)
    parts = text.split("**")
    return "".join(f"<b>{_e(part)}</b>" if index % 2 else _e(part) for index, part in enumerate(parts))


def _not_computed(report: DailyReport) -> str:
    if not report.not_computed:
        return ""
    items = "".join(f"<li><b>{_e(gap.part)}</b>: {_e(gap.reason)}</li>" for gap in report.not_computed)
    return _section("未能计算 Not computed", f"<ul>{items}</ul>")


def _figure(height: float = 2.6):
    """A chart 4.8 inches wide with 10 pt labels: on a 390 px phone it is drawn about 1:1, so labels stay ~10 px
    (a 6.4-inch figure shrank them to ~7); the page caps it at 600 px on a desktop."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4.8, height * 0.85))
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(colors=MUTED, labelsize=10)
    for spine in axes.spines.values():
        spine.set_color("#cbd2d9")
    return figure, axes


def _svg(figure, name: str, label: str) -> str:
    """The figure as an inline <svg> element: deterministic bytes, ids unique in the page, no URLs."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": f"shopagent-{name}", "svg.fonttype": "path",
                                "font.family": "DejaVu Sans"}):
        figure.tight_layout(pad=0.4)
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    root_end = svg.index(">") + 1
    # inline SVG in HTML needs no namespace declarations or DOCTYPE (they are the only URLs matplotlib writes);
    # without a fixed width and height the viewBox scales the chart to the phone's width
    root = re.sub(r'\s(xmlns(:xlink)?|width|height)="[^"]*"', "", svg[:root_end])
    root = root.replace("<svg", f"<svg class=\"chart\" role=\"img\" aria-label=\"{_e(label)}\"", 1)
    svg = root + svg[root_end:]
    svg = re.sub(r'id="([^"]+)"', rf'id="{name}-\1"', svg)
    svg = re.sub(r'(href="#|url\(#)([^")]+)', rf"\1{name}-\2", svg)
    return re.sub(r"<!--.*?-->", "", svg, flags=re.S).strip()


def _yuan_axis(axes, axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter

    def short(value: float, _position: float) -> str:
        size = abs(value)
        return f"{value / 1e6:.1f}M" if size >= 1e6 else f"{value / 1e3:.0f}k" if size >= 1e3 else f"{value:.0f}"

    (axes.yaxis if axis == "y" else axes.xaxis).set_major_formatter(FuncFormatter(short))


def trend_chart(report: DailyReport, average: float | None) -> str:
    """Daily GMV bars, the report day in the accent colour, the 7-day average as a dashed line."""
    figure, axes = _figure()
    points = report.gmv_trend
    colours = [ACCENT if point.date == report.date else LIGHT for point in points]
    axes.bar(range(len(points)), [point.gmv for point in points], color=colours, width=0.8)
    if average is not None:
        axes.axhline(average, color=INK, linestyle="--", linewidth=1)
        axes.annotate("7-day avg", (0, average), xytext=(2, 3), textcoords="offset points", fontsize=9, color=INK)
    ticks = list(range(len(points) - 1, -1, -7))[::-1]
    axes.set_xticks(ticks, [f"{points[tick].date:%m-%d}" for tick in ticks])
    _yuan_axis(axes)
    axes.set_ylabel("GMV (CNY)", color=MUTED, fontsize=10)
    return _svg(figure, "trend", f"GMV per day, {points[0].date} to {points[-1].date}")


def channel_chart(report: DailyReport) -> str:
    """Each channel's share of GMV on the day beside its share on the average day of the week before."""
    figure, axes = _figure(2.4)
    channels = report.channels
    positions = list(range(len(channels)))
    axes.barh([p + 0.2 for p in positions], [mix.share * 100 for mix in channels], height=0.4, color=ACCENT,
              label=f"{report.date:%m-%d}")
    if all(mix.share_avg_7d is not None for mix in channels):
        axes.barh([p - 0.2 for p in positions], [(mix.share_avg_7d or 0) * 100 for mix in channels], height=0.4,
                  color=LIGHT, label="7-day avg")
    axes.set_yticks(positions, [mix.channel for mix in channels])
    axes.invert_yaxis()
    axes.set_xlabel("share of GMV (%)", color=MUTED, fontsize=10)
    axes.legend(frameon=False, fontsize=9, loc="lower right")
    return _svg(figure, "channels", "Share of GMV by channel")


def movers_chart(report: DailyReport) -> str:
    """The SKUs whose GMV moved most over the diagnosis week, losses left in red, gains right in green."""
    figure, axes = _figure(0.5 + 0.28 * len(report.movers))
    movers = report.movers
    axes.barh(range(len(movers)), [mover.change for mover in movers],
              color=[LOSS if mover.change < 0 else GAIN for mover in movers], height=0.6)
    axes.set_yticks(range(len(movers)), [mover.sku_id for mover in movers])
    axes.invert_yaxis()
    axes.axvline(0, color="#cbd2d9", linewidth=1)
    _yuan_axis(axes, "x")
    axes.set_xlabel("GMV change, 7 days vs the 7 before (CNY)", color=MUTED, fontsize=10)
    return _svg(figure, "movers", "GMV change of the top movers")


def budget_chart(block: ActionBlock) -> str:
    """The shop's budget -> expected GMV curve (best split at each budget) with today's split marked."""
    figure, axes = _figure()
    axes.plot([point.budget for point in block.curve], [point.gmv for point in block.curve], color=ACCENT,
              marker="o", markersize=3, linewidth=1.5, label="best split")
    if block.current_point is not None:
        axes.plot([block.current_point.budget], [block.current_point.gmv], "o", color=LOSS, markersize=6,
                  label="today's split")
    _yuan_axis(axes)
    _yuan_axis(axes, "x")
    axes.set_xlabel("total daily budget (CNY)", color=MUTED, fontsize=10)
    axes.set_ylabel("attributed GMV / day", color=MUTED, fontsize=10)
    axes.legend(frameon=False, fontsize=9, loc="lower right")
    return _svg(figure, "budget", "Full-site promotion: expected GMV by total daily budget")
