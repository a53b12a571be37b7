"""bench_pricing's elasticity, pricing and what-if figures on alt_shop's shops (bench/alt_shop), whose demand is a
logit choice against a rival rather than a constant elasticity.

Run through bench_family.py: python bench/bench_family.py --bench pricing --simulators alt --seeds 20
The truth, from alt_shop:
- elasticity: the logit's own-price elasticity at the last day's price, -b x (1 - our choice share), without the
  kink at parity (AltTruth.elasticity);
- uplift: true expected units per day over the last week at a price, the shoppers' immediate response at that
  week's traffic, kink included (AltTruth.expected_units), with the product's unit cost;
- what-if: the shop rebuilt from its seed and re-simulated with the change from the day after `as_of`
  (alt_shop.counterfactual), GMV per day over the next 14 days against the run as generated: price rises and
  cuts on five of the 40 best sellers, +10% on SKUs priced just under their rival (the rise crosses it), a
  stockout of the best seller and +20% on every promotion budget; on shops without planted events.
Scored and aggregated with bench_pricing's own functions (uplift_with, aggregate), so the figures sit beside ours.
"""

from __future__ import annotations

import time
from datetime import timedelta

import numpy as np
from bench_heldout import heldout_shop
from bench_pricing import HORIZON, _curves_available, uplift_with


def score_elasticities(seed: int, mechanism: str = "smooth") -> dict:
    """Posterior and own estimates against alt_shop's true elasticities, and the pricing plan's captured uplift."""
    from shopagent.tools.elasticity import estimate_elasticities, load_promo_tags
    from shopagent.tools.panel import data_dates, load_panel
    from shopagent.tools.pricing import plan_pricing
    from shopagent.tools.store import Shop

    db, truth = heldout_shop(seed, mechanisms={"rival_price": mechanism})
    shop = Shop(db)
    panel = load_panel(shop, *data_dates(shop))
    estimates = estimate_elasticities(panel, tags=load_promo_tags(shop, panel))
    skus = truth.data["skus"]
    true = {sku: truth.elasticity(sku) for sku in skus}
    rows = []
    for sku_id, estimate in estimates.items():
        if estimate.status == "estimated":
            low, high = estimate.elasticity_ci
            rows.append((true[sku_id], estimate.elasticity, low, high, estimate.own_elasticity, estimate.own_se))
    started = time.perf_counter()
    plan = plan_pricing(shop)
    seconds = time.perf_counter() - started
    gain = uplift_with(plan, truth.expected_units, {sku: skus[sku]["unit_cost"] for sku in skus}, true)
    return {"seed": seed, "elasticity": rows, "cannot": sum(e.status != "estimated" for e in estimates.values()),
            "skus": len(estimates), "uplift": gain, "seconds": seconds,
            "form": plan.method["demand_form"].get("form", ""), "backtest": plan.method["backtest"]}


def score_whatif(seed: int, mechanism: str = "smooth") -> list[dict]:
    """Predicted vs true GMV delta per day over the HORIZON days after as_of, per scenario."""
    from alt_shop.counterfactual import Counterfactual

    from shopagent.tools.store import Shop
    from shopagent.tools.whatif import whatif

    db, truth = heldout_shop(seed, events="none", mechanisms={"rival_price": mechanism})
    shop = Shop(db)
    world = Counterfactual(truth)
    as_of = truth.last_day - timedelta(days=HORIZON)
    first = as_of + timedelta(days=1)
    baseline = whatif(shop, as_of=as_of, days=HORIZON)
    assert baseline.delta.gmv == 0
    t, drivers = world.day(as_of), world.shop.drivers
    active = [sku for sku, s in world.index.items() if drivers.on_sale[t:, s].all()]
    by_gmv = sorted(active, key=lambda sku: (-world.gmv(sku, first, HORIZON), sku))
    rng = np.random.default_rng(seed)
    picks = [str(sku) for sku in rng.choice(by_gmv[:40], size=5, replace=False)]
    scenarios = [("price +10% x5", {"price": {sku: "+10%" for sku in picks}}, {sku: 1.10 for sku in picks}),
                 ("price -10% x5", {"price": {sku: "-10%" for sku in picks}}, {sku: 0.90 for sku in picks}),
                 ("stockout top SKU", {"stock": {by_gmv[0]: 0}}, None)]
    rival = drivers.competitor_price[t]
    crossing = [sku for sku in by_gmv[:40] if not np.isnan(rival[world.index[sku]])
                and 0.91 * rival[world.index[sku]] < drivers.price[t, world.index[sku]] <= rival[world.index[sku]]][:3]
    scenarios += [("price +10% across the rival", {"price": {sku: "+10%"}}, {sku: 1.10}) for sku in crossing]
    if _curves_available():
        scenarios.append(("budget total +20%", {"budget": {"total": "+20%"}}, "budget"))
    out = []
    for name, changes, factors in scenarios:
        result = whatif(shop, as_of=as_of, days=HORIZON, **changes)
        if factors is None:
            true = -world.gmv(next(iter(changes["stock"])), first, HORIZON)
        elif factors == "budget":
            true = world.budget_change_gmv_delta(1.2, first, HORIZON)
        else:
            true = world.price_change_gmv_delta(factors, first, HORIZON)
        low, high = result.delta_ci["gmv"]
        out.append({"seed": seed, "scenario": name, "predicted": result.delta.gmv, "true": true,
                    "covered": low <= true <= high})
    return out
