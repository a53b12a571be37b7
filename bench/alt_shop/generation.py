"""generate(): build a shop, plant causes, sample its history, write the export and truth.json."""

import json
from pathlib import Path

import numpy as np

from .aftersales import expected_rating
from .effects import Cause, apply_causes
from .export import write_export
from .history import Shop, build_shop
from .impact import WINDOW_DAYS, calibrate_stockouts, cause_impacts
from .ledger import build_ledger
from .merchant import settle_promotion_targets
from .model import Outcome, simulate
from .planting import plant_causes
from .platform import peak_roi_point
from .prices import draw_parity_kink
from .truth import AltTruth, truth_text


def _r(x: float, digits: int = 4) -> float:
    return round(float(x), digits)


def _empty_days(cause: Cause, history: Outcome, n_days: int) -> int:
    """Days in the last 16 on which the sampled shelf of a stockout SKU was empty."""
    return int((history.on_hand[n_days - 16:, cause.sku] < 0.5).sum())


def _realized_stockout(cause: Cause, history: Outcome, n_days: int) -> None:
    """Report the stockout on the days the exported stock really was zero."""
    on_hand = history.on_hand[:, cause.sku]
    empty = np.flatnonzero(on_hand[cause.params["fail_from"]:] < 0.5) + cause.params["fail_from"]
    if empty.size:
        cause.start = int(empty[0])
        run = np.flatnonzero(np.diff(empty) > 1)
        cause.end = int(empty[run[0]]) if run.size else int(empty[-1])
    cause.magnitude.update(days_out=int(cause.end - cause.start + 1), to_end=bool(cause.end == n_days - 1))


def _enrich(cause: Cause, shop: Shop, drivers, full: Outcome) -> None:
    """Add the sizes that can only be read off the expected run."""
    cat, s, start = shop.catalog, cause.sku, cause.start
    before = slice(max(start - 14, 0), start)
    during = slice(start, cause.end + 1)
    if cause.kind == "promotion_below_target_roi":
        roi = lambda w: full.gmv[w, s, 2].sum() / max(full.spend[w, s].sum(), 1e-9)  # noqa: E731
        cause.magnitude.update(delivered_roi_before=_r(roi(before)), delivered_roi_during=_r(roi(during)))
    elif cause.kind == "traffic_drop":
        cause.magnitude.update(drop=_r(cause.params["drop"]))
    elif cause.kind == "rating_drop":
        after = expected_rating(cat, drivers.bad_share[start])[s]
        cause.magnitude.update(mean_rating_before=_r(cat.mean_rating[s]), mean_rating_after=_r(after),
                               displayed_rating_last_day=_r(full.latent.displayed_rating[-1, s]))
    elif cause.kind == "experience_score_drop":
        cause.magnitude.update(score_before=_r(drivers.experience_score[before].mean()),
                               score_after=_r(drivers.experience_score[start + 2:].mean()),
                               sub_score=["product", "logistics", "service"][cause.params["sub_score"]])


def _demand_truth(cat, drivers, full: Outcome, s: int) -> dict:  # noqa: ANN001 - a Catalog and Drivers
    """What AltTruth.expected_units needs: the logit's terms on the last day and the week's expected units."""
    last = drivers.price.shape[0] - 1
    comp = float(drivers.competitor_price[last, s])
    relative = cat.competitor_ratio[s] if np.isnan(comp) else comp / cat.list_price[s]
    units = full.units[last - 6:last + 1, s].sum(axis=1).mean()
    return {"alpha": _r(cat.alpha[s], 6), "price_sensitivity": _r(cat.price_sensitivity[s], 6),
            "list_price": _r(cat.list_price[s], 2), "unit_cost": _r(cat.unit_cost[s], 2),
            "rival_pull": _r(cat.rival_weight[s] * relative ** (-cat.rival_sensitivity[s]), 8),
            "competitor_price": None if np.isnan(comp) else _r(comp, 2), "units_last_week": _r(units, 6)}


def _sku_truth(shop: Shop, drivers, full: Outcome, history: Outcome, delivery: np.ndarray) -> dict:
    cat, last = shop.catalog, shop.n_days - 1
    out = {}
    for s, sku_id in enumerate(cat.sku_ids):
        alive = bool(drivers.on_sale[last, s])
        out[sku_id] = {
            "on_sale": alive,
            "in_stock": alive and bool(history.on_hand[last, s] > 0),
            "price": _r(drivers.price[last, s], 2),
            "daily_budget": _r(drivers.daily_budget[last, s], 2) if alive else 0.0,
            "target_roi": _r(drivers.target_roi[last, s], 2) if alive else 0.0,
            "clicks_max": _r(cat.clicks_max[s] * drivers.paid_supply_slow[last, s], 6) if alive else 0.0,
            "spend_scale": _r(cat.spend_scale[s], 6),
            "spend_shape": _r(cat.spend_shape[s], 6),
            "spend_peak": _r(cat.spend_peak[s], 6),
            "value_per_click": _r(full.value_per_click[last, s], 6),
            "platform_value_per_click": _r(full.latent.belief[last, s], 6),
            "value_slope": 0.0 if cat.value_slope is None else _r(cat.value_slope[s], 6),
            "value_ref": 1.0 if cat.value_ref is None else _r(cat.value_ref[s], 6),
            "parity_kink": _r(cat.parity_kink[s], 3) if cat.parity_kink is not None else 0.0,
            "click_form": cat.click_form,
            "value_depth": 0.0 if cat.value_depth is None else _r(cat.value_depth[s], 6),
            "delivery_mean": _r(delivery[s], 6),
            **_demand_truth(cat, drivers, full, s),
        }
    return out


# how attributed GMV bends with spend: "clicks" (Weibull clicks at a steady value per click, the original shop);
# "value": the Weibull clicks, and the marginal paid clicks convert worse (a power of spend); "both": stronger
# click saturation and value per click falling with the share of the paid audience bought; "cpc": a bid ladder,
# each click dearer as the day's spend rises, at a steady value; "underdelivery": the original curves, and on
# thin-auction days the platform spends only part of what its rule wants
AD_MECHANISMS = ("clicks", "value", "both", "cpc", "underdelivery")
THIN_SHARE = (0.35, 0.8)   # share of the planned spend delivered on a thin-auction day, uniform


def _thin_auction_days(shop: Shop, seed: int) -> np.ndarray:
    """The underdelivery mechanism: multiply each day's spend by the delivered share (1 on normal days); each
    SKU's auction runs thin on a share of days drawn per SKU, in spells (a thin day is followed by another
    with probability 0.5). Returns each SKU's expected delivered share (what the platform spends on average)."""
    rng = np.random.default_rng([seed, 0xAD, 3])
    D, S = shop.drivers.spend_noise.shape
    rate = rng.uniform(0.08, 0.3, size=S)            # long-run share of thin days
    start = rate * 0.5 / (1.0 - rate + 0.5 * rate)   # entry probability giving that long-run share with stay 0.5
    thin = np.zeros((D, S), bool)
    thin[0] = rng.random(S) < rate
    for t in range(1, D):
        stay = rng.random(S) < 0.5
        thin[t] = np.where(thin[t - 1], stay, rng.random(S) < start)
    shop.drivers.spend_noise *= np.where(thin, rng.uniform(*THIN_SHARE, size=(D, S)), 1.0)
    return 1.0 - rate * (1.0 - sum(THIN_SHARE) / 2)


def build_world(seed: int, n_skus: int, n_days: int, events: str, mechanisms: dict[str, str] | None):
    """The shop, its planted causes, each SKU's expected delivered share of the planned ad spend, the ad and
    rival mechanisms chosen, and the seed of the sampled history: everything generate() draws before it
    simulates (a counterfactual rebuilds the same world from here)."""
    ad = (mechanisms or {}).get("ad", "clicks")
    if ad == "draw":
        ad = AD_MECHANISMS[int(np.random.default_rng([seed, 0xAD]).integers(len(AD_MECHANISMS)))]
    if ad not in AD_MECHANISMS:
        raise ValueError(f"mechanisms['ad'] must be 'draw' or one of {', '.join(AD_MECHANISMS)}, not {ad!r}")
    if events not in ("planted", "none"):
        raise ValueError(f"events must be 'planted' or 'none', not {events!r}")
    if n_days < 90 or n_skus < 20:
        raise ValueError("use at least 90 days and 20 SKUs so every planted cause has room and candidates")
    world_seed, cause_seed, sample_seed = np.random.SeedSequence(seed).spawn(3)
    shop = build_shop(np.random.default_rng(world_seed), seed, n_skus, n_days, "ladder" if ad == "cpc" else "weibull")
    delivery = np.ones(n_skus)
    if ad == "value":
        extra = np.random.default_rng([seed, 0xAD, 1])
        shop.catalog.value_slope = extra.uniform(0.2, 0.45, size=n_skus)
        shop.catalog.value_ref = shop.catalog.spend_scale.copy()
    elif ad == "both":
        extra = np.random.default_rng([seed, 0xAD, 2])
        shop.catalog.spend_shape = np.minimum(shop.catalog.spend_shape, extra.uniform(0.7, 1.05, size=n_skus))
        shop.catalog.spend_peak = peak_roi_point(shop.catalog.spend_shape)
        shop.catalog.value_depth = extra.uniform(0.25, 0.5, size=n_skus)
    elif ad == "underdelivery":
        delivery = _thin_auction_days(shop, seed)
    rival, kink = draw_parity_kink(seed, n_skus, (mechanisms or {}).get("rival_price", "smooth"))
    shop.catalog.parity_kink = kink if rival == "threshold" else None
    settle_promotion_targets(shop)
    traffic = (mechanisms or {}).get("traffic", "shop")
    causes = plant_causes(shop, np.random.default_rng(cause_seed), traffic) if events == "planted" else []
    calibrate_stockouts(shop, causes)
    return shop, causes, delivery, ad, rival, sample_seed




def generate(folder: Path, seed: int, n_skus: int = 60, n_days: int = 150, events: str = "planted",
             mechanisms: dict[str, str] | None = None) -> AltTruth:
    """Generate one shop into folder/export/ and folder/truth.json; events is "planted" or "none".

    mechanisms: "ad": "clicks" (the original shop, the default), one of AD_MECHANISMS, or "draw" (by the seed);
    "rival_price": "smooth" (the logit's pull of the rival only, the default), "threshold" (a kink at parity too)
    or "draw";
    "traffic": "shop" (the default), "sku" or "draw" (planting.traffic_mechanism).
    """
    folder = Path(folder)
    shop, causes, delivery, ad, rival, sample_seed = build_world(seed, n_skus, n_days, events, mechanisms)
    for attempt in range(4):
        drivers = apply_causes(shop.drivers, causes)
        full = simulate(shop, drivers)
        sample_rng = np.random.default_rng(sample_seed)
        history = simulate(shop, drivers, rng=sample_rng, latent=full.latent)
        # the sampled shelf may outlast the expected one; fail the supplier earlier until it empties visibly
        late = [c for c in causes if c.kind == "stockout" and _empty_days(c, history, n_days) < 2]
        if not late or attempt == 3:
            break
        for cause in late:
            cause.params["fail_from"] -= 3
    ledger = build_ledger(shop, drivers, history.lines, sample_rng)
    write_export(folder / "export", shop, drivers, history, ledger)

    impacts = cause_impacts(shop, causes, full)
    for cause in causes:
        if cause.kind == "stockout":
            _realized_stockout(cause, history, n_days)
        _enrich(cause, shop, drivers, full)
    ids = shop.catalog.sku_ids
    data = {
        "seed": seed, "n_skus": n_skus, "n_days": n_days, "events_mode": events,
        "first_day": shop.dates[0].isoformat(), "last_day": shop.dates[-1].isoformat(),
        "impact_window_days": WINDOW_DAYS,
        "mechanisms": {"ad": ad, "rival_price": rival,
                       "traffic": next(("sku" if c.sku is not None else "shop" for c in causes
                                        if c.kind == "traffic_drop"), "none")},
        "events": [{"kind": c.kind, "sku_id": None if c.sku is None else ids[c.sku], "channel": c.channel,
                    "start": shop.dates[c.start].isoformat(), "end": shop.dates[c.end].isoformat(),
                    "impact_gmv": round(impact, 2), "magnitude": c.magnitude}
                   for c, impact in zip(causes, impacts, strict=True)],
        "skus": _sku_truth(shop, drivers, full, history, delivery),
    }
    text = truth_text(data)
    (folder / "truth.json").write_text(text, encoding="utf-8")
    return AltTruth(json.loads(text))
