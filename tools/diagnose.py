"""`diagnose`: why GMV moved between two periods, cause by cause, largest first."""

from __future__ import annotations

import tomllib
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shopagent.prompts import load_prompt
from shopagent.tools.detect_channel import detect_sku_traffic_drops
from shopagent.tools.detect_context import DetectContext
from shopagent.tools.detect_price import (
    MATERIAL_SHARE,
    PriceResponse,
    detect_competitor_cuts,
    detect_price_increases,
    price_response,
)
from shopagent.tools.detect_promotion import detect_promotion_shortfalls
from shopagent.tools.detect_shop import detect_experience_drop, detect_traffic_drops
from shopagent.tools.detect_sku import detect_demand_surges, detect_rating_drops, detect_refund_spikes, detect_stockouts
from shopagent.tools.elasticity import PromoTags, load_promo_tags
from shopagent.tools.findings import Candidate, Finding
from shopagent.tools.kpis import Kpis, KpiTree, kpi_tree
from shopagent.tools.panel import ShopPanel, data_dates, load_panel
from shopagent.tools.periods import Compare, Period, resolve_period
from shopagent.tools.stats import FAMILY_ALPHA
from shopagent.tools.store import Shop

Language = Literal["zh", "en"]
# extra days loaded before the comparison period: slow signals (ratings, refund rates) and the price response
HISTORY_DAYS = 90

# (detector, optional table it needs); price causes and ratings run separately because they share the price model
DETECTORS = (
    (detect_stockouts, None),
    (detect_refund_spikes, "refunds"),
    (detect_demand_surges, None),
    (detect_traffic_drops, None),
    (detect_sku_traffic_drops, None),
    (detect_experience_drop, "shop_scores"),
    (detect_promotion_shortfalls, "promotion_daily"),
)
NEEDS = {"refunds": "refund_spike", "shop_scores": "experience_score_drop",
         "competitor_prices": "price_above_competitor", "reviews": "rating_drop",
         "promotion_daily": "promotion_below_target_roi"}


class Diagnosis(BaseModel):
    """The answer to 为什么 GMV 变了: KPIs, the KPI tree, and findings sorted by |impact_gmv|."""

    model_config = ConfigDict(frozen=True)

    period: Period
    kpis: Kpis
    kpi_tree: KpiTree
    findings: list[Finding]
    skipped: list[str]
    daily_gmv: list[float]  # shop GMV per day over the comparison period then the period
    method: dict[str, str | float]


def diagnose(shop: Shop, *, days: int | None = None, start: date | None = None, end: date | None = None,
             compare: Compare = "previous", lang: Language = "en") -> Diagnosis:
    """Explain why GMV moved between two periods, largest cause first."""
    first, last = data_dates(shop)
    period = resolve_period(first_date=first, last_date=last, days=days, start=start, end=end, compare=compare)
    load_from = max(first, period.compare_start - timedelta(days=HISTORY_DAYS))
    panel = load_panel(shop, load_from, period.end)
    return diagnose_panel(panel, period, lang=lang, tags=load_promo_tags(shop, panel))


def diagnose_panel(panel: ShopPanel, period: Period, *, lang: Language = "en",
                   tags: PromoTags | None = None) -> Diagnosis:
    """The diagnosis over an already-loaded panel (the daily report reuses its panel; `tags` are the promo
    tags of price_history, which sharpen the price model)."""
    kpis, tree = kpi_tree(panel, period)
    context = DetectContext.build(panel, period)
    skipped = [f"{NEEDS[table]}: no {table} table" for table in NEEDS if not panel.tables_present.get(table, False)]
    candidates: list[Candidate] = []
    for detector, needs in DETECTORS:
        if needs is None or panel.tables_present.get(needs, False):
            candidates.extend(detector(context))
    candidates.extend(_price_and_rating_causes(context, price_response(panel, tags)))
    candidates = _material(_fold_bad_reviews_into_refund_spikes(candidates), panel, context)
    templates = tomllib.loads(load_prompt("findings.toml"))[lang]
    findings = [_worded(candidate, panel, templates, context) for candidate in candidates]
    findings.sort(key=lambda finding: (-abs(finding.impact_gmv), finding.kind, finding.sku_id or "",
                                       finding.channel or ""))
    daily = _both_periods(panel.gmv.sum(axis=0), context)
    return Diagnosis(
        period=period, kpis=kpis, kpi_tree=tree, findings=findings, skipped=skipped, daily_gmv=daily,
        method={"family_alpha": FAMILY_ALPHA,
                "noise_control": "each kind of finding is tested against day-to-day variation; thresholds are "
                                 "Bonferroni-adjusted for the number of SKUs or channels tested (promotion "
                                 "shortfalls: Benjamini-Hochberg over every campaign's scans)",
                "material_share": MATERIAL_SHARE,
                "counterfactual": "SKU effects are measured against the rest of the shop over the same days"},
    )


def _price_and_rating_causes(context: DetectContext, response: PriceResponse) -> list[Candidate]:
    """Price moves valued through the price model; a rating drop on the same SKU gets only what they leave."""
    price_causes = detect_price_increases(context, response)
    if context.panel.tables_present.get("competitor_prices", False):
        price_causes += detect_competitor_cuts(context, response)
    explained: dict[int, float] = {}
    for candidate in price_causes:
        explained[candidate.row] = explained.get(candidate.row, 0.0) + candidate.impact_gmv
    ratings = detect_rating_drops(context, explained) if context.panel.tables_present.get("reviews", False) else []
    return price_causes + ratings


def _material(candidates: list[Candidate], panel: ShopPanel, context: DetectContext) -> list[Candidate]:
    """Causes that brought GMV (a demand surge) only when worth MATERIAL_SHARE of the period's shop GMV, the
    price detectors' own bar: good news leaves the merchant nothing to fix, so it is told only when it
    explains part of the GMV move, and a list of ¥500 surges buries the causes that do. Problems (a bad
    batch's refunds, falling stars, a stockout) are told whatever their size once beyond noise: each is
    something to fix before it grows."""
    floor = MATERIAL_SHARE * float(panel.gmv[:, context.current].sum())
    return [candidate for candidate in candidates if candidate.impact_gmv <= 0 or candidate.impact_gmv >= floor]


def _fold_bad_reviews_into_refund_spikes(candidates: list[Candidate]) -> list[Candidate]:
    """A SKU whose refunds spiked and whose ratings fell has one problem, not two: buyers who return a faulty
    item are the ones who leave one-star reviews, so the rating drop is the refund spike's echo. It is
    reported once, as the refund spike (the direct measure), with the ratings in its evidence."""
    spikes = {candidate.row: candidate for candidate in candidates if candidate.kind == "refund_spike"}
    folded = []
    for candidate in candidates:
        if candidate.kind == "rating_drop" and candidate.row in spikes:
            spike = spikes[candidate.row]
            # lost sales are other money than refunds: kept beside the spike's cost, not added to it
            spike.evidence.update(rating_before=candidate.evidence["rating_before"],
                                  rating_after=candidate.evidence["rating_after"],
                                  rating_drop_gmv=candidate.impact_gmv)
            continue
        folded.append(candidate)
    return folded


def _both_periods(series, context: DetectContext) -> list[float]:
    """A daily series over the comparison period followed by the period (they need not touch: yoy)."""
    return [round(float(value), 2) for part in (context.previous, context.current) for value in series[part]]


def _worded(candidate: Candidate, panel: ShopPanel, templates: dict, context: DetectContext) -> Finding:
    sku_id = title = None
    trend_source = panel.gmv.sum(axis=0)
    if candidate.row is not None:
        sku_id = panel.catalog.sku_ids[candidate.row]
        title = panel.catalog.titles[candidate.row]
        trend_source = panel.gmv[candidate.row]
    fields = dict(candidate.evidence)
    if candidate.kind == "promotion_below_target_roi":
        note = templates["compensation_yes" if fields["compensation_may_apply"] else "compensation_no"]
        fields["compensation_note"] = note.format(**fields)
    if candidate.kind == "traffic_drop":
        # "fell 33.9%", not "fell -33.9%", which reads as a rise
        change = "change_vs_expected_pct" if candidate.row is not None else "change_vs_other_channels_pct"
        fields["fall_pct" if candidate.row is not None else "fall_vs_other_channels_pct"] = abs(fields[change])
    if candidate.kind == "refund_spike":
        reason = fields.get("refund_reason")
        fields["reason_note"] = templates["reason_note"].format(
            reason=templates["refund_reasons"].get(reason, reason)) if reason else ""
        fields["rating_note"] = templates["rating_note"].format(**fields) if "rating_after" in fields else ""
    template = templates[candidate.kind]
    if candidate.kind == "traffic_drop" and candidate.row is not None:
        template = templates["traffic_drop_sku"]
    if candidate.kind == "experience_score_drop" and candidate.impact_gmv == 0:
        template = templates["experience_score_drop_unmeasured"]
    summary = template.format(
        sku=sku_id or "", title=title or "", impact=candidate.impact_gmv, impact_abs=abs(candidate.impact_gmv),
        impact_yuan=f"{'-' if candidate.impact_gmv < 0 else '+'}¥{abs(candidate.impact_gmv):,.0f}",
        channel=templates["channels"].get(candidate.channel or "", candidate.channel or ""), **fields)
    return Finding(kind=candidate.kind, sku_id=sku_id, channel=candidate.channel, impact_gmv=candidate.impact_gmv,
                   summary=summary, evidence=candidate.evidence, title=title, z_score=candidate.z_score,
                   trend=_both_periods(trend_source, context))
