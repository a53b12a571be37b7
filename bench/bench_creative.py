"""Creative drafting over every SKU: compliance and format pass rate, leaks, variety of the variants, speed.

Run: python bench/bench_creative.py [--n 3] [--seed 0] [--out bench/out/creative]

Two shops from the simulator (seed 7): the sample shop, and the same shop with ad-law terms planted in
~40% of its titles and selling points (`generate_shop(..., violations=True)`). For every SKU and every kind
the offline backend drafts n variants, and each draft is re-checked here independently of the pipeline:
  pass        check_text(...).ok with the brand's forbidden list AND no format problem (title bytes,
              must-include words, selling-point length, detail sections, shot timing). Target 100%.
  held back   SKUs whose product data had a phrase the facts left out (the planted violations).
  leaks       drafts containing a product-data phrase the facts held back, or a planted phrase. Target 0.
  repaired    drafts the pipeline had to change (offline templates should need none).
  distinct    mean pairwise Jaccard distance of character bigrams between a SKU's n variants
              (1 = nothing shared, 0 = identical), averaged over SKUs.
  latency     `draft_creative(shop, sku, "title", 3)` end to end (facts from DuckDB + composing + checks),
              per SKU after one warm-up call. Target <= 0.5 s.
Checker precision/recall is measured by bench/bench_compliance.py.
"""

from __future__ import annotations

import argparse
import statistics
import time
from itertools import combinations
from pathlib import Path

from shopagent.sample_shop.simulator import generate_shop
from shopagent.tools.compliance import check_text
from shopagent.tools.creative import draft_creative, draft_offline
from shopagent.tools.creative_facts import creative_facts, load_brand
from shopagent.tools.creative_formats import format_problems
from shopagent.tools.importer import import_folder
from shopagent.tools.store import Shop

KINDS = ("title", "selling_points", "detail", "video_script")
PLANTED_PHRASES = ("顶级面料", "今年最火", "销量第一", "国家级品质", "唯一正品", "100%不起球", "最佳版型",
                   "美白淡斑", "治疗痘痘", "药妆级", "100%有效", "最温和", "全网第一", "顶级修护")


def build(out: Path, name: str, *, violations: bool) -> Shop:
    """The simulated shop imported into DuckDB (reused when already built)."""
    db = out / f"{name}.duckdb"
    if not db.exists():
        generate_shop(out / name, seed=7, violations=violations)
        import_folder(out / name, db, replace=True)
    return Shop(db)


def bigrams(text: str) -> set[str]:
    compact = "".join(text.split())
    return {compact[i : i + 2] for i in range(len(compact) - 1)}


def distance(first: str, second: str) -> float:
    a, b = bigrams(first), bigrams(second)
    return 1 - len(a & b) / len(a | b) if a | b else 0.0


def measure_shop(shop: Shop, *, n: int, seed: int) -> dict[str, dict[str, float]]:
    brand = load_brand(shop)
    with shop.connect() as con:
        skus = [row[0] for row in con.execute("SELECT sku_id FROM products ORDER BY sku_id").fetchall()]
    rows: dict[str, dict[str, float]] = {}
    for kind in KINDS:
        drafts = passed = leaks = repaired = short = held_back = 0
        distances: list[float] = []
        failures: list[str] = []
        for sku_id in skus:
            facts = creative_facts(shop, sku_id, brand=brand)
            result = draft_offline(facts, brand, kind, n, seed=seed)
            texts = [draft.text for draft in result.drafts]
            held_back += bool(facts.withheld)
            short += len(texts) < n
            for draft in result.drafts:
                drafts += 1
                content_problems = format_problems(_content(draft, kind), max_title_bytes=brand.title_max_bytes,
                                                   must_include=brand.must_include)
                ok = check_text(draft.text, category=facts.category, brand_forbidden=brand.forbidden).ok
                passed += ok and not content_problems
                if not ok or content_problems:
                    failures.append(f"{sku_id} {kind}: {draft.text[:40]} {content_problems}")
                leaks += any(phrase in draft.text for phrase in (*facts.withheld, *PLANTED_PHRASES))
                repaired += bool(draft.changes)
            distances.extend(distance(a, b) for a, b in combinations(texts, 2))
        rows[kind] = {"skus": len(skus), "drafts": drafts, "pass": passed / drafts, "leaks": leaks,
                      "repaired": repaired, "short": short, "distinct": statistics.fmean(distances),
                      "held_back": held_back}
        for failure in failures[:5]:
            print("  FAIL", failure)
    return rows


def _content(draft, kind: str):  # noqa: ANN001, ANN202 - a CreativeDraft back into DraftContent
    from shopagent.tools.creative_formats import DraftContent

    return DraftContent(kind=kind, text=draft.text if kind == "title" else "", points=draft.points or [],
                        sections=draft.sections or [], shots=draft.shots or [])


def latency(shop: Shop, *, n: int, seed: int) -> list[float]:
    with shop.connect() as con:
        skus = [row[0] for row in con.execute("SELECT sku_id FROM products ORDER BY sku_id").fetchall()]
    draft_creative(shop, skus[0], "title", n, seed)  # warm-up: templates, lexicon and DuckDB loaded once
    times = []
    for sku_id in skus:
        started = time.perf_counter()
        draft_creative(shop, sku_id, "title", n, seed)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("out") / "creative")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    shops = {"sample": build(args.out, "sample", violations=False),
             "violations": build(args.out, "violations", violations=True)}
    print(f"n={args.n} drafts per SKU and kind, seed {args.seed}")
    print(f"{'shop':<11}{'kind':<16}{'SKUs':>5}{'held back':>10}{'drafts':>8}{'pass':>8}{'leaks':>7}"
          f"{'repaired':>10}{'short':>7}{'distinct':>10}")
    for name, shop in shops.items():
        for kind, row in measure_shop(shop, n=args.n, seed=args.seed).items():
            print(f"{name:<11}{kind:<16}{row['skus']:>5}{row['held_back']:>10}{row['drafts']:>8}{row['pass']:>8.1%}{row['leaks']:>7}"
                  f"{row['repaired']:>10}{row['short']:>7}{row['distinct']:>10.3f}")
    for name, shop in shops.items():
        times = latency(shop, n=args.n, seed=args.seed)
        print(f"latency {name}: n={args.n} titles offline per SKU: median {statistics.median(times) * 1000:.0f} ms, "
              f"p95 {sorted(times)[int(0.95 * len(times)) - 1] * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
              f"({len(times)} SKUs; target <= 500 ms)")
    same = [draft_creative(shops["violations"], "S024", kind, args.n, args.seed).model_dump_json() for kind in KINDS]
    again = [draft_creative(shops["violations"], "S024", kind, args.n, args.seed).model_dump_json() for kind in KINDS]
    print(f"determinism: same seed, same drafts byte for byte: {same == again}")


if __name__ == "__main__":
    main()
