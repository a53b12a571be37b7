"""The catalog: SKUs with categories, prices, costs, listing texts and their true demand parameters."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from .models import CATEGORIES, ComplianceIssue
from .texts import (
    APPAREL,
    BRAND,
    COLORS_APPAREL,
    COLORS_MAKEUP,
    COMPOSITION,
    SELLING_POINTS_APPAREL,
    SELLING_POINTS_BEAUTY,
    SIZES,
    SIZES_DEFAULT,
    TITLE_PARTS,
    VIOLATIONS_APPAREL,
    VIOLATIONS_BEAUTY,
    gbk_bytes,
)

CATEGORY_WEIGHTS = (0.18, 0.12, 0.16, 0.14, 0.10, 0.16, 0.14)
LIST_PRICE_RANGE = {
    "dress": (159, 599),
    "jacket": (239, 599),
    "tshirt": (79, 199),
    "pants": (129, 399),
    "knitwear": (159, 459),
    "skincare": (89, 399),
    "makeup": (59, 259),
}
ELASTICITY_MEAN = {
    "dress": -1.8,
    "jacket": -1.5,
    "tshirt": -2.4,
    "pants": -2.0,
    "knitwear": -1.7,
    "skincare": -1.3,
    "makeup": -2.2,
}
# search 1.3x, recommend 0.7x, promotion 1.0x, live 1.5x, other 0.8x (CHANNELS order)
CHANNEL_CONVERSION = (1.3, 0.7, 1.0, 1.5, 0.8)
# impressions per visitor by channel (click-through rates of the placements)
CHANNEL_CTR = (0.045, 0.025, 0.03, 0.12, 0.18)
ORGANIC_SHARE = (0.42, 0.33, 0.0, 0.10, 0.15)
TITLE_MAX_CHARS = 30


def round9(price: np.ndarray | float) -> np.ndarray:
    """Round to a shelf price ending in 9 (239, 89, 19.9)."""
    p = np.asarray(price, dtype=np.float64)
    tens = np.maximum(np.round(p / 10.0) * 10.0 - 1.0, 9.0)
    small = np.floor(p) + 0.9
    return np.round(np.where(p >= 20.0, tens, small), 2)


@dataclass
class Catalog:
    """Per-SKU arrays (index i = SKU i) plus the listing texts."""

    sku_ids: list[str]
    category: list[str]
    list_price: np.ndarray
    ref_price: np.ndarray
    unit_cost: np.ndarray
    size: np.ndarray
    elasticity: np.ndarray
    cross: np.ndarray
    tracked: np.ndarray
    cr0: np.ndarray
    shares: np.ndarray
    atc_ratio: np.ndarray
    ctr: np.ndarray
    lead_time: np.ndarray
    refund_rate: np.ndarray
    rating: np.ndarray
    launch: np.ndarray
    delist: np.ndarray
    titles: list[str]
    attributes: list[dict[str, object]]
    materials: list[str]
    compliance: list[ComplianceIssue] = field(default_factory=list)

    @property
    def n(self) -> int:
        """Number of SKUs."""
        return len(self.sku_ids)

    @property
    def is_apparel(self) -> np.ndarray:
        """True for apparel SKUs."""
        return np.array([c in APPAREL for c in self.category])

    def attributes_json(self, i: int) -> str:
        """The attributes column for SKU i."""
        return json.dumps(self.attributes[i], ensure_ascii=False)

    def set_everyday_discount(self, i: int, factor: float) -> None:
        """Make SKU i sell every day at `factor` of its list price (leaves room for a price rise)."""
        self.ref_price[i] = float(round9(self.list_price[i] * factor))


def build_catalog(n_skus: int, n_days: int, rng: np.random.Generator) -> Catalog:
    """Draw SKUs and their true parameters; sku_ids are S001.. zero-padded to the width of n_skus."""
    width = max(3, len(str(n_skus)))
    sku_ids = [f"S{k + 1:0{width}d}" for k in range(n_skus)]
    cat_idx = rng.choice(len(CATEGORIES), size=n_skus, p=CATEGORY_WEIGHTS)
    category = [CATEGORIES[k] for k in cat_idx]
    apparel = np.array([c in APPAREL for c in category])

    lo = np.array([LIST_PRICE_RANGE[c][0] for c in category], dtype=float)
    hi = np.array([LIST_PRICE_RANGE[c][1] for c in category], dtype=float)
    list_price = np.clip(round9(np.exp(rng.uniform(np.log(lo), np.log(hi)))), lo, hi)
    everyday = rng.choice([1.0, 0.9, 0.85, 0.8], size=n_skus, p=[0.35, 0.25, 0.2, 0.2])
    ref_price = np.minimum(round9(list_price * everyday), list_price)
    unit_cost = np.round(list_price * rng.uniform(0.30, 0.60, n_skus), 2)

    elasticity = np.array([ELASTICITY_MEAN[c] for c in category]) + rng.normal(0, 0.4, n_skus)
    elasticity = np.round(np.minimum(elasticity, -0.6), 3)
    tracked = rng.random(n_skus) < 0.7
    cross = np.round(np.where(tracked, rng.uniform(0.3, 1.5, n_skus), 0.0), 3)

    rating = np.round(rng.uniform(4.3, 4.9, n_skus), 2)
    base_cr = np.where(apparel, 0.030, 0.040) * rng.lognormal(0, 0.25, n_skus) * (rating / 4.6) ** 3
    cr0 = np.round(base_cr[:, None] * np.array(CHANNEL_CONVERSION)[None, :], 5)
    alpha = 20.0 * np.array([s for s in ORGANIC_SHARE if s > 0])
    organic = rng.dirichlet(alpha, size=n_skus)
    shares = np.zeros((n_skus, 5))
    shares[:, [0, 1, 3, 4]] = organic
    ctr = np.array(CHANNEL_CTR)[None, :] * rng.lognormal(0, 0.2, (n_skus, 5))

    # heavy-tailed sizes: a few hero SKUs sell far more than the long tail
    size = rng.lognormal(0.0, 1.0, n_skus)
    size /= size.mean()

    launch = -rng.integers(30, 400, n_skus)
    delist = np.full(n_skus, -1)
    order = rng.permutation(n_skus)
    n_new, n_gone = round(0.05 * n_skus), round(0.04 * n_skus)
    new_hi = max(int(0.1 * n_days) + 1, n_days - 49)
    launch[order[:n_new]] = rng.integers(int(0.1 * n_days), new_hi, n_new)
    delist[order[n_new : n_new + n_gone]] = rng.integers(int(0.3 * n_days), n_days - 28, n_gone)

    titles, attributes, materials = _listing_texts(category, rng)
    return Catalog(
        sku_ids=sku_ids,
        category=category,
        list_price=list_price,
        ref_price=ref_price,
        unit_cost=unit_cost,
        size=size,
        elasticity=elasticity,
        cross=cross,
        tracked=tracked,
        cr0=cr0,
        shares=shares,
        atc_ratio=np.round(rng.uniform(1.8, 3.2, n_skus), 3),
        ctr=ctr,
        lead_time=rng.integers(3, 13, n_skus),
        refund_rate=np.round(np.where(apparel, rng.uniform(0.06, 0.15, n_skus), rng.uniform(0.02, 0.05, n_skus)), 4),
        rating=rating,
        launch=launch,
        delist=delist,
        titles=titles,
        attributes=attributes,
        materials=materials,
    )


def _pick(options: tuple[str, ...], rng: np.random.Generator, k: int = 1) -> list[str]:
    idx = rng.choice(len(options), size=min(k, len(options)), replace=False)
    return [options[j] for j in sorted(idx)]


def _listing_texts(
    category: list[str], rng: np.random.Generator
) -> tuple[list[str], list[dict[str, object]], list[str]]:
    titles: list[str] = []
    seen: set[str] = set()
    attributes: list[dict[str, object]] = []
    materials: list[str] = []
    for cat in category:
        parts = TITLE_PARTS[cat]
        for _ in range(30):
            words = [_pick(p, rng)[0] for p in parts]
            prefix = BRAND if rng.random() < 0.9 else ""
            title = prefix + "".join(words)
            while gbk_bytes(title) > 2 * TITLE_MAX_CHARS:
                words.pop()
                title = prefix + "".join(words)
            if title not in seen:
                break
        else:
            title = f"{title}{len(titles) + 1}号"
        seen.add(title)
        titles.append(title)
        material = words[1] if len(words) > 1 else parts[1][0]
        materials.append(material)
        if cat in APPAREL:
            colors = _pick(COLORS_APPAREL, rng, int(rng.integers(2, 5)))
            selling = _pick(SELLING_POINTS_APPAREL, rng, 3)
            composition = COMPOSITION.get(material, material)
        else:
            colors = _pick(COLORS_MAKEUP, rng, int(rng.integers(2, 5))) if cat == "makeup" else ["标准装"]
            selling = _pick(SELLING_POINTS_BEAUTY, rng, 3)
            composition = material
        attributes.append(
            {
                "material": composition,
                "colors": colors,
                "sizes": list(SIZES.get(cat, SIZES_DEFAULT)),
                "selling_points": selling,
            }
        )
    return titles, attributes, materials


def plant_violations(catalog: Catalog, rng: np.random.Generator, *, many: bool) -> None:
    """Lace listings with advertising-law terms: ~40% of SKUs if `many`, else two realistic titles."""
    n = catalog.n
    if many:
        chosen = np.sort(rng.choice(n, size=max(1, round(0.4 * n)), replace=False))
        plans = [(int(i), None) for i in chosen]
    else:
        two = np.sort(rng.choice(n, size=2, replace=False))
        plans = [(int(two[0]), "顶级"), (int(two[1]), "最")]
    for i, wanted in plans:
        pool = VIOLATIONS_APPAREL if catalog.category[i] in APPAREL else VIOLATIONS_BEAUTY
        if wanted is not None:
            picks = [next(v for v in pool if v[0] == wanted)]
            fields = ["title"]
        else:
            k = int(rng.integers(1, 3))
            picks = [pool[j] for j in rng.choice(len(pool), size=k, replace=False)]
            fields = ["title" if rng.random() < 0.6 else "selling_points" for _ in picks]
        for (term, phrase), where in zip(picks, fields, strict=True):
            if where == "title":
                title = catalog.titles[i]
                cut = len(BRAND) if title.startswith(BRAND) else 0
                catalog.titles[i] = title[:cut] + phrase + title[cut:]
            else:
                points = catalog.attributes[i]["selling_points"]
                assert isinstance(points, list)
                points.append(phrase)
            catalog.compliance.append(ComplianceIssue(sku_id=catalog.sku_ids[i], field=where, term=term))
