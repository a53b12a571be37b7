"""Diagnose accuracy against the simulator's planted truth, over many seeds, with a naive baseline beside it.

Run: python bench/bench_diagnose.py [--seeds 20] [--first-seed 1] [--quiet-seeds 5] [--skus 80 --days 180] [--big]
    [--traffic shop,sku]
Every figure is given per traffic mechanism (the planted traffic drop hits one channel of every SKU, or one
SKU's channel: --seeds shops each) and over all of them.
Figures: recall of planted causes (kind + SKU, or kind + channel when shop-wide; a single SKU's traffic
drop needs its SKU and channel), recall in the top 10,
median rank of planted causes, unplanted findings in the top 10, median relative error of impact_gmv,
findings in a quiet shop, and run time. Unplanted findings and quiet-shop findings are also counted without
the price moves the simulator's own counterfactual confirms (bench/unplanted_truth.py): its rivals' prices
walk, and a real rival cut it did not plant is a cause, not a false alarm. The naive baseline ranks SKUs
by |GMV change| and counts a planted SKU-level cause as found when its SKU is in the top 10.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from provenance import provenance
from worlds import world  # bench/ is on sys.path when run as python bench/<name>.py

OUT = Path(__file__).parent / "out" / "diagnose"


def key(kind: str, sku_id: str | None, channel: str | None) -> tuple:
    """What must match for a finding to be the planted cause: a shop-wide one by its channel, a SKU's by its
    SKU, and a SKU's traffic drop by its SKU and channel."""
    if sku_id is None:
        return (kind, channel)
    return (kind, sku_id, channel) if kind == "traffic_drop" else (kind, sku_id)


def score_seed(seed: int, skus: int = 80, days: int = 180, traffic: str = "shop") -> dict:
    from unplanted_truth import UnplantedTruth

    db, truth = world(seed, skus=skus, days=days, mechanisms={"traffic": traffic})
    return {"seed": seed, "traffic": traffic, **score_shop(db, truth.events, UnplantedTruth(truth).confirms)}


def score_shop(db: Path, events: list, confirms=None) -> dict:  # noqa: ANN001 - (kind, sku_id, impact) -> bool
    """Diagnose one shop and score it against its planted causes (objects with kind, sku_id, channel and
    impact_gmv: this simulator's truth events, or another simulator's). `confirms` says whether the
    simulator's own counterfactual confirms an unplanted finding (a real cause it did not plant)."""
    from shopagent.tools.diagnose import MATERIAL_SHARE, diagnose
    from shopagent.tools.store import Shop

    started = time.perf_counter()
    result = diagnose(Shop(db))
    seconds = time.perf_counter() - started
    found = [key(f.kind, f.sku_id, f.channel) for f in result.findings]
    planted = {key(e.kind, e.sku_id, e.channel): e for e in events}
    ranks, errors, missed = [], [], []
    # material = at least 0.25% of the period's GMV: about ¥5,000 on the sample shop's ¥2M fortnight
    material_floor = 0.0025 * result.kpis.gmv
    material = [key_ for key_, event in planted.items() if abs(event.impact_gmv) >= material_floor]
    # the causes diagnose sets out to tell: worth at least its own materiality bar (MATERIAL_SHARE of the
    # period's GMV; price moves and surges under it are left out by design, alt_shop plants many)
    told_floor = MATERIAL_SHARE * result.kpis.gmv
    told = [key_ for key_, event in planted.items() if abs(event.impact_gmv) >= told_floor]
    for planted_key, event in planted.items():
        if planted_key in found:
            rank = found.index(planted_key) + 1
            ranks.append(rank)
            estimate = result.findings[rank - 1].impact_gmv
            if abs(event.impact_gmv) > 0:
                errors.append(abs(estimate - event.impact_gmv) / abs(event.impact_gmv))
        else:
            missed.append(f"{event.kind}:{event.sku_id or event.channel}({event.impact_gmv:+.0f})")
    unplanted_top10 = [item for item in found[:10] if item not in planted]
    confirmed = [item for item, finding in zip(found[:10], result.findings[:10], strict=False)
                 if item not in planted and confirms is not None
                 and confirms(finding.kind, finding.sku_id, finding.impact_gmv)]
    # naive: SKUs ordered by |GMV change|; a planted SKU cause counts if its SKU is in the top 10
    naive_top = [branch.name for branch in result.kpi_tree.skus[:10]]
    sku_events = [event for event in events if event.sku_id]
    return {
        "planted": len(planted), "found": len(ranks), "material": len(material),
        "material_found": sum(key_ in found for key_ in material), "top10": sum(rank <= 10 for rank in ranks),
        "over_bar": len(told), "over_bar_found": sum(key_ in found for key_ in told),
        "over_bar_top10": sum(key_ in found[:10] for key_ in told),
        "ranks": ranks, "unplanted_top10": len(unplanted_top10), "unplanted": [list(item) for item in unplanted_top10],
        "unplanted_top10_unconfirmed": len(unplanted_top10) - len(confirmed),
        "unplanted_confirmed": [list(item) for item in confirmed],
        "impact_errors": errors, "missed": missed, "seconds": seconds,
        "naive_top10": sum(event.sku_id in naive_top for event in sku_events), "sku_events": len(sku_events),
    }


def quiet(seed: int, skus: int = 80, days: int = 180) -> tuple[int, int]:
    from unplanted_truth import UnplantedTruth

    db, truth = world(seed, events="none", skus=skus, days=days)
    return count_findings(db, UnplantedTruth(truth).confirms)


def count_findings(db: Path, confirms=None) -> tuple[int, int]:  # noqa: ANN001 - as in score_shop
    """How many findings diagnose reports on a quiet shop, and how many of them the simulator's own
    counterfactual does not confirm (the false alarms)."""
    from shopagent.tools.diagnose import diagnose
    from shopagent.tools.store import Shop

    findings = diagnose(Shop(db)).findings
    unconfirmed = [f for f in findings if confirms is None or not confirms(f.kind, f.sku_id, f.impact_gmv)]
    return len(findings), len(unconfirmed)


def timing(skus: int, days: int) -> float:
    from shopagent.tools.diagnose import diagnose
    from shopagent.tools.store import Shop

    db, _ = world(1, skus=skus, days=days)
    diagnose(Shop(db))
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        diagnose(Shop(db))
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def summarise(seeds: list[dict]) -> dict:
    """The figures over many scored shops (score_shop's rows)."""
    planted = sum(item["planted"] for item in seeds)
    ranks = [rank for item in seeds for rank in item["ranks"]]
    errors = [error for item in seeds for error in item["impact_errors"]]
    missed: dict[str, int] = {}
    for item in seeds:
        for miss in item["missed"]:
            kind = miss.split(":")[0]
            missed[kind] = missed.get(kind, 0) + 1
    return {
        "seeds": len(seeds),
        "planted_causes": planted,
        "recall": round(len(ranks) / planted, 3),
        "recall_at_10": round(sum(item["top10"] for item in seeds) / planted, 3),
        "material_causes": sum(item["material"] for item in seeds),
        "recall_material": round(sum(item["material_found"] for item in seeds)
                                 / max(sum(item["material"] for item in seeds), 1), 3),
        "causes_over_bar": sum(item.get("over_bar", 0) for item in seeds),
        "recall_over_bar": round(sum(item.get("over_bar_found", 0) for item in seeds)
                                 / max(sum(item.get("over_bar", 0) for item in seeds), 1), 3),
        "recall_at_10_over_bar": round(sum(item.get("over_bar_top10", 0) for item in seeds)
                                       / max(sum(item.get("over_bar", 0) for item in seeds), 1), 3),
        "median_rank": statistics.median(ranks) if ranks else None,
        "unplanted_in_top10_mean": round(statistics.mean(item["unplanted_top10"] for item in seeds), 2),
        "unplanted_in_top10_max": max(item["unplanted_top10"] for item in seeds),
        "unplanted_unconfirmed_in_top10_mean": round(statistics.mean(item["unplanted_top10_unconfirmed"]
                                                                     for item in seeds), 2),
        "unplanted_unconfirmed_in_top10_max": max(item["unplanted_top10_unconfirmed"] for item in seeds),
        "impact_error_median": round(statistics.median(errors), 3) if errors else None,
        "impact_error_p75": round(statistics.quantiles(errors, n=4)[2], 3) if len(errors) > 3 else None,
        "missed_by_kind": missed,
        "naive_sku_recall_at_10": round(sum(item["naive_top10"] for item in seeds)
                                        / sum(item["sku_events"] for item in seeds), 3),
        "diagnose_seconds_sample_median": round(statistics.median(item["seconds"] for item in seeds), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--quiet-seeds", type=int, default=5)
    parser.add_argument("--skus", type=int, default=80, help="SKUs per simulated shop (a different shape of shop)")
    parser.add_argument("--days", type=int, default=180, help="days of history per simulated shop")
    parser.add_argument("--big", action="store_true", help="also time the 1,000-SKU x 365-day shop")
    parser.add_argument("--traffic", default="shop,sku", help="traffic mechanisms to plant, --seeds shops each")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    mechanisms = args.traffic.split(",")
    seeds = [score_seed(seed, args.skus, args.days, traffic) for traffic in mechanisms
             for seed in range(args.first_seed, args.first_seed + args.seeds)]
    summary = summarise(seeds)
    summary["by_traffic"] = {traffic: summarise([item for item in seeds if item["traffic"] == traffic])
                             for traffic in mechanisms}
    if args.quiet_seeds:
        counts = [quiet(seed, args.skus, args.days) for seed in range(101, 101 + args.quiet_seeds)]
        summary["quiet_shop_findings"] = [total for total, _ in counts]
        summary["quiet_shop_findings_unconfirmed"] = [unconfirmed for _, unconfirmed in counts]
    if args.big:
        summary["diagnose_seconds_1000x365"] = round(timing(1000, 365), 2)
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    name = "summary.json" if (args.skus, args.days, args.first_seed, args.traffic) == (80, 180, 1, "shop,sku") else \
        f"summary-{args.skus}x{args.days}-from{args.first_seed}-{args.traffic.replace(',', '+')}.json"
    result = {"summary": summary, "seeds": seeds, "provenance": provenance()}
    (OUT / name).write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
