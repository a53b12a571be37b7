"""Self-check of the simulator: planted causes, promotion curves, the quiet shop and determinism.

Run from /work/main/bench:  python -m alt_shop.selfcheck --seed 1 [--skip-none] [--skip-determinism]
"""

import argparse
import csv
import filecmp
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

if __package__ in (None, ""):   # allow `python bench/alt_shop/selfcheck.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "alt_shop"

from alt_shop import generate, load_truth  # noqa: E402

MANDATORY = {"stockout", "price_increase", "price_above_competitor", "promotion_below_target_roi",
             "traffic_drop", "refund_spike", "rating_drop"}


def _rows(export: Path, table: str) -> list[dict]:
    with open(export / f"{table}.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else float("nan")


def _window(rows, start: date, end: date, key="date"):
    return [r for r in rows if start <= date.fromisoformat(r[key][:10]) <= end]


def visible_evidence(export: Path, event: dict, last_day: date) -> str:
    """One line showing the cause in the exported data, before (14 days before start) vs during."""
    kind, sku = event["kind"], event["sku_id"]
    start, end = date.fromisoformat(event["start"]), date.fromisoformat(event["end"])
    pre = (start - timedelta(days=14), start - timedelta(days=1))
    mine = lambda rows: [r for r in rows if r["sku_id"] == sku]  # noqa: E731
    if kind == "stockout":
        inv = mine(_window(_rows(export, "inventory_daily"), start, end))
        zero = sum(int(r["on_hand"]) == 0 for r in inv)
        assert zero >= 2, f"stockout of {sku} has only {zero} empty days"
        return f"on_hand == 0 on {zero} of {len(inv)} days"
    if kind == "price_increase":
        prices = mine(_rows(export, "price_history"))
        before = _mean(float(r["price"]) for r in _window(prices, *pre))
        after = _mean(float(r["price"]) for r in _window(prices, start, end))
        assert after > before, f"price of {sku} did not go up ({before} -> {after})"
        return f"price {before:.2f} -> {after:.2f}"
    if kind == "price_above_competitor":
        ours = {r["date"]: float(r["price"]) for r in mine(_rows(export, "price_history"))}
        comp = mine(_window(_rows(export, "competitor_prices"), start, end))
        above = [ours[r["date"]] > float(r["competitor_price"]) for r in comp]
        assert above and all(above), f"our price of {sku} is not above the competitor's after {start}"
        before = _mean(float(r["competitor_price"]) for r in mine(_window(_rows(export, "competitor_prices"), *pre)))
        return (f"competitor {before:.2f} -> {_mean(float(r['competitor_price']) for r in comp):.2f}, "
                f"ours {ours[comp[-1]['date']]:.2f} (above on {sum(above)}/{len(above)} exported days)")
    if kind == "promotion_below_target_roi":
        promo = mine(_rows(export, "promotion_daily"))
        roi = lambda rows: sum(float(r["ad_gmv"]) for r in rows) / max(sum(float(r["spend"]) for r in rows), 1e-9)  # noqa: E731
        during = _window(promo, start, end)
        target = float(during[-1]["target_roi"])
        assert roi(during) < target, f"delivered ROI of {sku} is not below target"
        return (f"ROI {roi(_window(promo, *pre)):.2f} -> {roi(during):.2f} (target {target:.2f}), "
                f"spend/day {_mean(float(r['spend']) for r in _window(promo, *pre)):.0f} -> "
                f"{_mean(float(r['spend']) for r in during):.0f}")
    if kind in ("traffic_drop", "demand_surge"):
        traffic = _rows(export, "traffic")
        if kind == "traffic_drop":
            pick = lambda r: r["channel"] == event["channel"] and sku in (None, r["sku_id"])  # noqa: E731
        else:
            pick = lambda r: r["sku_id"] == sku  # noqa: E731
        per_day = lambda rows: sum(int(r["visitors"]) for r in rows if pick(r)) / 14  # noqa: E731
        days = min((end - start).days + 1, 14)
        rows = _window(traffic, start, start + timedelta(days=days - 1))
        during = sum(int(r["visitors"]) for r in rows if pick(r)) / days
        return f"visitors/day {per_day(_window(traffic, *pre)):.0f} -> {during:.0f}"
    if kind == "refund_spike":
        refunds = [r for r in mine(_rows(export, "refunds")) if r["reason"] == "quality"]
        before = len(_window(refunds, *pre, key="refunded_at"))
        during = len(_window(refunds, start, end, key="refunded_at"))
        return f"quality refunds {before} in 14 days before -> {during} from start to {end}"
    if kind == "rating_drop":
        reviews = mine(_rows(export, "reviews"))
        before = _mean(int(r["rating"]) for r in _window(reviews, *pre, key="created_at"))
        after = _mean(int(r["rating"]) for r in _window(reviews, start + timedelta(days=4), end, key="created_at"))
        return f"mean review rating {before:.2f} -> {after:.2f} (reviews posted from start+4)"
    if kind == "experience_score_drop":
        scores = _rows(export, "shop_scores")
        before = _mean(float(r["experience_score"]) for r in _window(scores, *pre))
        after = _mean(float(r["experience_score"]) for r in _window(scores, start + timedelta(days=2), end))
        return f"experience score {before:.2f} -> {after:.2f}"
    return ""


def check_planted(out: Path, seed: int) -> None:
    started = time.perf_counter()
    truth = generate(out, seed)
    print(f"seed {seed}: generated in {time.perf_counter() - started:.1f}s, last day {truth.last_day}")
    events, export = truth.events, out / "export"
    assert 6 <= len(events) <= 12, len(events)
    assert MANDATORY <= {e["kind"] for e in events}, "a mandatory kind is missing"
    skus = [e["sku_id"] for e in events if e["sku_id"]]
    assert len(skus) == len(set(skus)), "two causes on one SKU"
    print(f"\n{'kind':28} {'sku':6} {'channel':9} {'start':10} {'end':10} {'impact_gmv':>12}  evidence")
    for e in sorted(events, key=lambda e: -abs(e["impact_gmv"])):
        assert (truth.last_day - date.fromisoformat(e["start"])).days <= 17, e
        evidence = visible_evidence(export, e, truth.last_day)
        print(f"{e['kind']:28} {e['sku_id'] or '-':6} {e['channel'] or '-':9} {e['start']:10} {e['end']:10} "
              f"{e['impact_gmv']:12.2f}  {evidence}")

    loaded = load_truth(out)
    print(f"\n{'sku':6} {'budget':>8} {'target':>6} {'gmv@0.5x':>9} {'gmv@1x':>9} {'gmv@2x':>9} "
          f"{'spend':>8} {'roi@spend':>9} {'max_useful':>10} stock")
    for sku, setting in truth.promoted_skus().items():
        budget, target = setting["daily_budget"], setting["target_roi"]
        gmv = [truth.promo_gmv(sku, k * budget) for k in (0.5, 1.0, 2.0)]
        spend = truth.promo_spend_for_target(sku, target, budget)
        roi = truth.promo_gmv(sku, spend) / spend if spend > 0 else float("nan")
        print(f"{sku:6} {budget:8.0f} {target:6.2f} {gmv[0]:9.1f} {gmv[1]:9.1f} {gmv[2]:9.1f} {spend:8.1f} "
              f"{roi:9.2f} {truth.max_useful_spend(sku):10.0f} {'yes' if truth.in_stock(sku) else 'NO'}")
        assert gmv[0] < gmv[1] < gmv[2], f"promo_gmv of {sku} is not increasing"
        s = loaded._sku(sku)
        inflection = s["spend_scale"] * max((s["spend_shape"] - 1) / s["spend_shape"], 0) ** (1 / s["spend_shape"])
        if 0.5 * budget >= inflection:
            assert gmv[2] - gmv[1] <= 2 * (gmv[1] - gmv[0]) + 1e-9, f"promo_gmv of {sku} is not concave"
        assert 0 <= spend <= budget + 1e-9, f"platform spend {spend} over budget {budget}"
        assert loaded.promo_gmv(sku, budget) == gmv[1] and loaded.promo_spend_for_target(sku, target, budget) == spend
        big = truth.max_useful_spend(sku)
        assert truth.promo_gmv(sku, 2 * big) - truth.promo_gmv(sku, big) <= 0.006 * truth.promo_gmv(sku, big)


def check_quiet(out: Path, seed: int) -> None:
    truth = generate(out, seed, events="none")
    export = out / "export"
    assert truth.events == []
    first = truth.last_day - timedelta(days=27)
    by_sku = defaultdict(set)
    for r in _window(_rows(export, "price_history"), first, truth.last_day):
        by_sku[r["sku_id"]].add((r["price"], r["promo"]))
    assert all(len(v) == 1 for v in by_sku.values()), "a price changed in the last 28 days of a quiet shop"
    settings = defaultdict(set)
    for r in _window(_rows(export, "promotion_daily"), first, truth.last_day):
        settings[r["sku_id"]].add((r["daily_budget"], r["target_roi"]))
    assert all(len(v) == 1 for v in settings.values()), "a promotion setting changed in a quiet shop"
    comp = defaultdict(list)
    for r in _window(_rows(export, "competitor_prices"), first, truth.last_day):
        comp[r["sku_id"]].append(float(r["competitor_price"]))
    for sku, values in comp.items():
        typical = sorted(values)[len(values) // 2]
        assert all(abs(v / typical - 1) <= 0.035 for v in values), f"competitor price of {sku} stepped"
    empty = [r for r in _window(_rows(export, "inventory_daily"), first, truth.last_day) if int(r["on_hand"]) == 0]
    assert not empty, f"{len(empty)} empty-shelf days in the last 28 days of a quiet shop"
    scores = [float(r["experience_score"]) for r in _window(_rows(export, "shop_scores"), first, truth.last_day)]
    print(f"\nquiet shop seed {seed}: no planted causes; last 28 days hold constant prices, settings, "
          f"competitor levels (within 3.5% blips), no empty shelf, score {min(scores):.2f}-{max(scores):.2f}")


def check_determinism(base: Path, seed: int) -> None:
    a, b = base / "det_a", base / "det_b"
    for folder in (a, b):
        generate(folder, seed)
    names = sorted(p.name for p in (a / "export").iterdir())
    match, mismatch, errors = filecmp.cmpfiles(a / "export", b / "export", names, shallow=False)
    assert not mismatch and not errors and filecmp.cmp(a / "truth.json", b / "truth.json", shallow=False)
    print(f"determinism: seed {seed} generated twice, {len(match)} tables and truth.json byte-identical")


def main() -> None:
    """Run every check for one seed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-none", action="store_true")
    parser.add_argument("--skip-determinism", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        check_planted(Path(tmp) / "planted", args.seed)
        if not args.skip_none:
            check_quiet(Path(tmp) / "none", args.seed)
        if not args.skip_determinism:
            check_determinism(Path(tmp), args.seed)
    print("all self-checks passed")


if __name__ == "__main__":
    main()
