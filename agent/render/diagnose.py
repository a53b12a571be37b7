"""Human output of `diagnose`: KPIs with the GMV trend, the KPI tree, findings largest first."""

from __future__ import annotations

from rich.table import Table

from shopagent.render.charts import bar, pct_change, signed_yuan, sparkline
from shopagent.render.common import escape, print_rows, stdout
from shopagent.render.report_md import FINDING_LABELS
from shopagent.tools.diagnose import Diagnosis
from shopagent.tools.kpis import GmvChange

CHANNEL_NAMES = {"search": "搜索 search", "recommend": "推荐 recommend", "promotion": "全站推广 promotion",
                 "live": "直播 live", "other": "其他 other"}


def print_diagnosis(diagnosis: Diagnosis, *, top_skus: int = 10) -> None:
    period, kpis = diagnosis.period, diagnosis.kpis
    stdout.print(f"[bold]GMV 诊断[/]  {period.start} → {period.end}  vs  {period.compare_start} → {period.compare_end}")
    half = len(diagnosis.daily_gmv) // 2
    stdout.print(f"GMV by day  {sparkline(diagnosis.daily_gmv[:half])} │ {sparkline(diagnosis.daily_gmv[half:])}")
    summary = Table("KPI", "before", "now", "change", box=None)
    rows = [
        ("GMV", f"¥{kpis.gmv_prev:,.0f}", f"¥{kpis.gmv:,.0f}", pct_change(kpis.gmv, kpis.gmv_prev)),
        ("visitors 访客", f"{kpis.visitors_prev:,}", f"{kpis.visitors:,}",
         pct_change(kpis.visitors, kpis.visitors_prev)),
        ("conversion 转化率", f"{kpis.conversion_prev:.2%}", f"{kpis.conversion:.2%}",
         pct_change(kpis.conversion, kpis.conversion_prev)),
        ("AOV 客单价", f"¥{kpis.aov_prev:,.2f}", f"¥{kpis.aov:,.2f}", pct_change(kpis.aov, kpis.aov_prev)),
        ("orders 订单", f"{kpis.orders_prev:,}", f"{kpis.orders:,}", pct_change(kpis.orders, kpis.orders_prev)),
        ("ad spend 推广花费", f"¥{kpis.ad_spend_prev:,.0f}", f"¥{kpis.ad_spend:,.0f}",
         pct_change(kpis.ad_spend, kpis.ad_spend_prev)),
        ("ROI 投产比", _roi(kpis.roi_prev), _roi(kpis.roi), ""),
        ("refund rate 退款率", f"{kpis.refund_rate_prev:.1%}", f"{kpis.refund_rate:.1%}", ""),
    ]
    for row in rows:
        summary.add_row(*row)
    stdout.print(summary)
    _tree_table("GMV change by channel: visitors x conversion x AOV", diagnosis.kpi_tree.channels,
                names=CHANNEL_NAMES, shop=diagnosis.kpi_tree.shop)
    _tree_table(f"Top {top_skus} SKU movers", diagnosis.kpi_tree.skus[:top_skus])
    _print_findings(diagnosis)


def _roi(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _tree_table(title: str, branches: list[GmvChange], *, names: dict[str, str] | None = None,
                shop: GmvChange | None = None) -> None:
    rows = []
    for branch in [*branches, *([shop] if shop else [])]:
        label = (names or {}).get(branch.name, branch.name)
        rows.append((escape(label if branch is not shop else "shop 全店"), f"¥{branch.gmv_prev:,.0f}",
                     f"¥{branch.gmv:,.0f}", signed_yuan(branch.change), signed_yuan(branch.visitors_effect),
                     signed_yuan(branch.conversion_effect), signed_yuan(branch.aov_effect)))
    print_rows(("", "GMV before", "GMV now", "change", "from visitors", "from conversion", "from AOV"), rows,
               title=title, heading=1, free_text=False)


def _print_findings(diagnosis: Diagnosis) -> None:
    if not diagnosis.findings:
        stdout.print("[green]No cause stands out beyond day-to-day noise.[/] 没有超出日常波动的异常。")
    else:
        largest = max(abs(finding.impact_gmv) for finding in diagnosis.findings)
        rows = []
        for number, finding in enumerate(diagnosis.findings, start=1):
            colour = "red" if finding.impact_gmv < 0 else "green"
            rows.append((str(number), f"{FINDING_LABELS[finding.kind]} {finding.kind.replace('_', ' ')}",
                         escape(finding.sku_id or finding.channel or "shop"),
                         f"[{colour}]{signed_yuan(finding.impact_gmv)}[/]",
                         f"[{colour}]{bar(finding.impact_gmv, largest, 12)}[/]", sparkline(finding.trend),
                         escape(finding.summary)))
        print_rows(("#", "cause", "SKU / channel", "impact", "", "trend", "summary"), rows, title="Findings 原因")
    for note in diagnosis.skipped:
        stdout.print(f"[dim]Not checked 未检查: {escape(note)}[/]")
