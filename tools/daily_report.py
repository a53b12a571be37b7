"""`report daily`: the morning briefing as one model: the day's KPIs, the week's diagnosis, today's proposed actions.

Everything here is computed from the data's own dates (the report date is the last day of data unless the
caller names one), so the same database always gives the same report. Rendering lives in agent/render.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import date, timedelta
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from shopagent.tools.diagnose import HISTORY_DAYS as DIAGNOSE_HISTORY_DAYS
from shopagent.tools.diagnose import Language, diagnose_panel
from shopagent.tools.elasticity import load_promo_tags
from shopagent.tools.errors import ShopError
from shopagent.tools.findings import Finding
from shopagent.tools.panel import ShopPanel, data_dates, load_panel
from shopagent.tools.periods import Period, resolve_period
from shopagent.tools.report_actions import PLANNERS, Action, ActionBlock, Gap, PlannerInput, tail_panel
from shopagent.tools.report_reconcile import reconcile
from shopagent.tools.schema import CHANNELS
from shopagent.tools.store import Shop

KpiName = Literal["gmv", "visitors", "conversion", "aov", "orders", "ad_spend", "roi", "refund_rate"]
KPI_NAMES: tuple[KpiName, ...] = ("gmv", "visitors", "conversion", "aov", "orders", "ad_spend", "roi", "refund_rate")
DIAGNOSIS_DAYS = 7
TREND_DAYS = 30
TOP_MOVERS = 8
TOP_ACTIONS = 5  # what a merchant acts on in a morning; each planner's own command lists the rest
PLANNER_HISTORY_DAYS = 365  # the longest history a planner reads (pricing's elasticities: a year)
# tables that arrive once a day; a day without rows in one of them means that export is late or missing
DAILY_TABLES = {"orders": "CAST(created_at AS DATE)", "inventory_daily": "date", "price_history": "date",
                "promotion_daily": "date"}
log = logging.getLogger(__name__)


class DayKpis(BaseModel):
    """The day's KPIs with diagnose's names; `_prev` is the same weekday a week earlier (None if not in the data)."""

    model_config = ConfigDict(frozen=True)

    date: date
    compare_date: date | None
    gmv: float
    gmv_prev: float | None
    visitors: int
    visitors_prev: int | None
    orders: int
    orders_prev: int | None
    conversion: float
    conversion_prev: float | None
    aov: float
    aov_prev: float | None
    units: int
    units_prev: int | None
    ad_spend: float
    ad_spend_prev: float | None
    ad_gmv: float
    ad_gmv_prev: float | None
    roi: float | None
    roi_prev: float | None
    refund_amount: float
    refund_rate: float
    refund_rate_prev: float | None


class KpiRow(BaseModel):
    """One KPI of the day beside the same weekday last week and the average day of the 7 days before."""

    model_config = ConfigDict(frozen=True)

    name: KpiName
    value: float | None
    same_weekday_last_week: float | None
    avg_7d: float | None
    change_vs_last_week: float | None  # fraction: 0.05 = +5%
    change_vs_avg_7d: float | None


class TrendPoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    date: date
    gmv: float
    visitors: int
    orders: int


class ChannelMix(BaseModel):
    """A channel's GMV on the day and on the average day of the 7 days before."""

    model_config = ConfigDict(frozen=True)

    channel: str
    gmv: float
    share: float
    gmv_avg_7d: float | None
    share_avg_7d: float | None


class Mover(BaseModel):
    """A SKU whose GMV moved most over the diagnosis week, split into visitors, conversion and AOV."""

    model_config = ConfigDict(frozen=True)

    sku_id: str
    title: str
    gmv: float
    gmv_prev: float
    change: float
    visitors_effect: float
    conversion_effect: float
    aov_effect: float


class DailyReport(BaseModel):
    """The daily briefing: KPIs, the last 7 days' diagnosis, today's proposed actions and what could not be done."""

    model_config = ConfigDict(frozen=True)

    date: date
    data_start: date
    data_end: date
    kpis: DayKpis
    kpi_rows: list[KpiRow]
    gmv_trend: list[TrendPoint]
    channels: list[ChannelMix]
    diagnosis_period: Period | None
    findings: list[Finding]
    movers: list[Mover]
    top_actions: list[Action]  # the day's few most valuable actions across planners, contradictions removed
    actions: list[ActionBlock]
    not_computed: list[Gap]


def daily_report(shop: Shop, *, day: date | None = None, lang: Language = "en", top: int = TOP_ACTIONS,
                 planners: tuple[str, ...] = tuple(PLANNERS),
                 progress: Callable[[str], None] | None = None) -> DailyReport:
    """Build the daily briefing for `day` (default: the last day of data): KPIs, diagnosis, proposed actions.

    `progress`, when given, is told the name of each step as it starts (the CLI shows it on stderr)."""
    step = progress or (lambda _name: None)
    first, last = data_dates(shop)
    day = day or last
    gaps = check_day(shop, day, first, last)
    period: Period | None = None
    diagnosis_from = day - timedelta(days=TREND_DAYS - 1)
    try:
        period = resolve_period(first_date=first, last_date=day, days=DIAGNOSIS_DAYS)
        diagnosis_from = max(first, period.compare_start - timedelta(days=DIAGNOSE_HISTORY_DAYS))
    except ShopError as error:
        gaps.append(Gap(part="diagnosis", reason=f"the last {DIAGNOSIS_DAYS} days cannot be diagnosed: {error}"))
    # one load serves the report and every planner: each takes the tail its own command would load
    needed = max((day - diagnosis_from).days + 1, TREND_DAYS, PLANNER_HISTORY_DAYS if planners else 0)
    step("load")
    history = exact_money(load_panel(shop, max(first, day - timedelta(days=needed - 1)), day))
    kpis, rows = day_kpis(history, day)
    if kpis.compare_date is None:
        gaps.append(Gap(part="kpis", reason=f"{day - timedelta(days=7)} (the same weekday last week) is before the "
                                            f"data starts on {first}; the comparisons are left blank"))
    findings: list[Finding] = []
    movers: list[Mover] = []
    if period is not None:
        step("diagnose")
        recent = tail_panel(history, (day - diagnosis_from).days + 1)
        diagnosis = diagnose_panel(recent, period, lang=lang, tags=load_promo_tags(shop, recent))
        findings = diagnosis.findings
        titles = dict(zip(history.catalog.sku_ids, history.catalog.titles, strict=True))
        movers = [Mover(sku_id=branch.name, title=titles[branch.name], gmv=branch.gmv, gmv_prev=branch.gmv_prev,
                        change=round(branch.change, 2), visitors_effect=branch.visitors_effect,
                        conversion_effect=branch.conversion_effect, aov_effect=branch.aov_effect)
                  for branch in diagnosis.kpi_tree.skus[:TOP_MOVERS]]
        gaps.extend(Gap(part="diagnosis", reason=f"not checked: {note}") for note in diagnosis.skipped)
    request = PlannerInput(day=day, history=history, lang=lang)
    blocks, top_actions = reconcile(proposed_actions(shop, request, planners, step), findings, history, top=top,
                                    lang=lang)
    gaps.extend(Gap(part=block.planner, reason=block.unavailable) for block in blocks if block.unavailable)
    return DailyReport(
        date=day, data_start=first, data_end=last, kpis=kpis, kpi_rows=rows, gmv_trend=gmv_trend(history, day),
        channels=channel_mix(history, day), diagnosis_period=period, findings=findings, movers=movers,
        top_actions=top_actions, actions=blocks, not_computed=gaps,
    )


def exact_money(panel: ShopPanel) -> ShopPanel:
    """GMV back to whole cents. It is a sum of DECIMAL cents, but load_panel adds order lines up as floats in the
    order DuckDB returns them, which changes from run to run; the last-bit noise that leaves would otherwise
    flip a rounded figure now and then, and the same data must give the same report, byte for byte."""
    return dataclasses.replace(panel, gmv=np.round(panel.gmv, 2), channel_gmv=np.round(panel.channel_gmv, 2))


def check_day(shop: Shop, day: date, first: date, last: date) -> list[Gap]:
    """Refuse a day the data does not cover; list the daily exports that are missing on that day."""
    if day > last:
        raise ShopError(f"data for {day} has not arrived yet: the shop's data ends on {last}. Import that day's "
                        "export (`shopagent data import DIR`) and run the report again")
    if day < first:
        raise ShopError(f"{day} is before the shop's data, which starts on {first}")
    gaps = []
    with shop.connect() as con:
        if not con.execute("SELECT count(*) FROM traffic WHERE date = ?", [day]).fetchone()[0]:
            raise ShopError(f"data for {day} is missing: the traffic table has no rows for that day (the data runs "
                            f"{first}..{last}). Import that day's export and run the report again")
        for table, day_sql in DAILY_TABLES.items():
            has_day, has_any = con.execute(
                f"SELECT count(*) FILTER (WHERE {day_sql} = ?) > 0, count(*) > 0 FROM {table}", [day]).fetchone()
            if has_any and not has_day:
                gaps.append(Gap(part="data", reason=f"{table} has no rows for {day}: that export may be late; "
                                                    "the figures that use it are understated"))
    return gaps


class _Totals(BaseModel):
    gmv: float
    visitors: float
    orders: float
    units: float
    ad_spend: float
    ad_gmv: float
    refunds: float

    def value(self, name: KpiName, days: int = 1) -> float | None:
        """A KPI over these totals; amounts are per day, ratios are ratios of the sums (a quiet day weighs less)."""
        ratios = {
            "conversion": round(self.orders / self.visitors, 6) if self.visitors > 0 else 0.0,
            "aov": round(self.gmv / self.orders, 2) if self.orders > 0 else 0.0,
            "roi": round(self.ad_gmv / self.ad_spend, 3) if self.ad_spend > 0 else None,
            "refund_rate": round(self.refunds / self.gmv, 4) if self.gmv > 0 else 0.0,
        }
        if name in ratios:
            return ratios[name]
        return round(float(getattr(self, name)) / days, 2)


def _totals(panel: ShopPanel, days: slice) -> _Totals:
    # the same sums as kpis.kpi_tree, so the day's figures match `diagnose` over the same day
    return _Totals(gmv=float(panel.channel_gmv[days].sum()), visitors=float(panel.visitors[:, days].sum()),
                   orders=float(panel.shop_orders[days].sum()), units=float(panel.units[:, days].sum()),
                   ad_spend=float(panel.ad_spend[:, days].sum()), ad_gmv=float(panel.ad_gmv[:, days].sum()),
                   refunds=float(panel.refund_amount[:, days].sum()))


def day_kpis(panel: ShopPanel, day: date) -> tuple[DayKpis, list[KpiRow]]:
    """The day's KPIs, the same weekday last week, and the average day of the 7 days before."""
    today = _totals(panel, panel.day_slice(day, day))
    week_ago = day - timedelta(days=7)
    earlier = week_ago >= panel.days[0]
    last_week = _totals(panel, panel.day_slice(week_ago, week_ago)) if earlier else None
    week = _totals(panel, panel.day_slice(week_ago, day - timedelta(days=1))) if earlier else None

    def prev(name: KpiName) -> float | None:
        return last_week.value(name) if last_week else None

    kpis = DayKpis(
        date=day, compare_date=week_ago if earlier else None, gmv=round(today.gmv, 2), gmv_prev=prev("gmv"),
        visitors=int(today.visitors), visitors_prev=int(last_week.visitors) if last_week else None,
        orders=int(today.orders), orders_prev=int(last_week.orders) if last_week else None,
        conversion=today.value("conversion"), conversion_prev=prev("conversion"), aov=today.value("aov"),
        aov_prev=prev("aov"), units=int(today.units), units_prev=int(last_week.units) if last_week else None,
        ad_spend=round(today.ad_spend, 2), ad_spend_prev=prev("ad_spend"), ad_gmv=round(today.ad_gmv, 2),
        ad_gmv_prev=round(last_week.ad_gmv, 2) if last_week else None, roi=today.value("roi"), roi_prev=prev("roi"),
        refund_amount=round(today.refunds, 2), refund_rate=today.value("refund_rate"),
        refund_rate_prev=prev("refund_rate"),
    )
    rows = []
    for name in KPI_NAMES:
        value, before = today.value(name), prev(name)
        average = week.value(name, days=7) if week else None
        rows.append(KpiRow(name=name, value=value, same_weekday_last_week=before, avg_7d=average,
                           change_vs_last_week=_change(value, before), change_vs_avg_7d=_change(value, average)))
    return kpis, rows


def _change(value: float | None, before: float | None) -> float | None:
    if value is None or before is None or before == 0:
        return None
    return round(value / before - 1, 4)


def gmv_trend(panel: ShopPanel, day: date, days: int = TREND_DAYS) -> list[TrendPoint]:
    """Shop GMV, visitors and orders per day for the `days` days ending on `day` (fewer if the data is younger)."""
    start = max(panel.days[0], day - timedelta(days=days - 1))
    span = panel.day_slice(start, day)
    gmv = panel.channel_gmv[span].sum(axis=1)
    visitors = panel.visitors[:, span].sum(axis=(0, 2))
    orders = panel.shop_orders[span]
    return [TrendPoint(date=start + timedelta(days=offset), gmv=round(float(gmv[offset]), 2),
                       visitors=int(visitors[offset]), orders=int(orders[offset])) for offset in range(len(gmv))]


def channel_mix(panel: ShopPanel, day: date) -> list[ChannelMix]:
    """Each channel's GMV and share on the day and on the average day of the week before, in contract order."""
    today = panel.channel_gmv[panel.day_slice(day, day)].sum(axis=0)
    week_ago = day - timedelta(days=7)
    week = (panel.channel_gmv[panel.day_slice(week_ago, day - timedelta(days=1))].sum(axis=0) / 7
            if week_ago >= panel.days[0] else None)

    def share(values: np.ndarray, index: int) -> float:
        total = float(values.sum())
        return round(float(values[index]) / total, 4) if total > 0 else 0.0

    return [ChannelMix(channel=channel, gmv=round(float(today[index]), 2), share=share(today, index),
                       gmv_avg_7d=round(float(week[index]), 2) if week is not None else None,
                       share_avg_7d=share(week, index) if week is not None else None)
            for index, channel in enumerate(CHANNELS)]


def proposed_actions(shop: Shop, request: PlannerInput, planners: tuple[str, ...],
                     step: Callable[[str], None] = lambda _name: None) -> list[ActionBlock]:
    """One block per planner, in a fixed order; a planner that is missing or fails says why instead of crashing."""
    blocks = []
    for name in planners:
        step(name)
        try:
            blocks.append(PLANNERS[name](shop, request))
        except ShopError as error:
            blocks.append(ActionBlock.missing(name, f"the {name} planner could not run: {error.message}"))
        except (ImportError, AttributeError) as error:
            # a planner still being written (module or function not there yet) is a gap, not a crash
            blocks.append(ActionBlock.missing(name, f"the {name} planner is not available: {error}"))
        except Exception as error:  # noqa: BLE001 - the report must still go out; the traceback goes to the log
            log.warning("the %s planner failed while building the daily report", name, exc_info=True)
            blocks.append(ActionBlock.missing(name, f"the {name} planner failed: {type(error).__name__}: {error}"))
    return blocks
