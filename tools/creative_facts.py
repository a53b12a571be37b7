"""Grounded facts for drafting one SKU's copy: its words, attributes, price position and what buyers say.

Everything a draft may claim comes from here, so this is where product data that breaks the ad law is held
back: a title word or selling point the checker flags never enters the facts, and is listed in `withheld`
so the merchant can fix the listing too. Review text is untrusted: it is matched against a fixed list of
themes and only our own label for a theme is passed on, never the buyer's words, so an instruction hidden
in a review cannot reach a template or a model prompt.
"""

from __future__ import annotations

import json
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shopagent.tools.brand import BrandProfile, parse_brand
from shopagent.tools.compliance import check_text
from shopagent.tools.creative_formats import TitleWord, category_group, default_core, segment_title
from shopagent.tools.errors import RequestError, ShopError
from shopagent.tools.store import Shop

PricePosition = Literal["below", "in_line", "above", "unknown"]
PRICE_WINDOW_DAYS = 28
# within ±3% of the competitor's price shoppers see the two offers as the same price
IN_LINE_GAP = 0.03
MIN_MENTIONS = 2  # one buyer's remark is an anecdote, not something to build copy on
TOP_THEMES = 3

# (theme, label, pattern) matched against reviews of 4-5 stars (praise) or 1-3 stars (objections).
_PRAISE = (
    ("soft_fabric", "面料舒服", r"面料.{0,4}舒服|摸着.{0,2}舒服|亲肤|soft"),
    ("true_to_size", "尺码标准", r"尺码标准|尺码合适|true to size|合身"),
    ("slimming", "上身显瘦", r"显瘦"),
    ("color_true", "颜色和图片一致", r"颜色和图片一样|很正|like the photos"),
    ("workmanship", "做工扎实", r"做工不错|做工好|质量稳定|质量不错|great quality"),
    ("keeps_shape", "洗后不变形", r"[没不]变形"),
    ("breathable", "透气", r"透气|breathable"),
    ("value", "性价比高", r"性价比|for the price"),
    ("no_odor", "没有异味", r"没有异味|无异味"),
    ("packaging", "包装用心", r"包装.{0,3}(?:用心|精致)"),
    ("fast_delivery", "发货快", r"物流.{0,2}快|发货快|fast delivery"),
    ("repurchase", "会回购", r"回购|buy again|第二次买"),
    ("gentle", "温和", r"温和|敏感肌.{0,4}没问题|gentle"),
    ("moisturizing", "用后水润", r"水润|补水"),
    ("texture", "质地舒服", r"质地.{0,2}舒服"),
    ("scent", "味道好闻", r"好闻"),
    ("looks_good", "上身好看", r"好看|显气质"),
)
_OBJECTIONS = (
    ("runs_small", "尺码偏小", r"偏小|小一码|拍大一码|runs small"),
    ("runs_large", "尺码偏大", r"偏大|too big|runs large"),
    ("pilling", "起球", r"起球|pill"),
    ("color_diff", "颜色和图片有差异", r"色差|比图片暗|不是图片上的颜色"),
    ("workmanship", "线头、开线", r"线头|做工粗糙|开线"),
    ("thin", "面料偏薄", r"偏薄|a bit thin|面料一般"),
    ("price", "觉得价格偏高", r"有点贵|太贵|expensive"),
    ("slow_delivery", "物流慢", r"物流.{0,2}慢|shipping took|等了一个"),
    ("irritation", "个别肤质不适", r"过敏|泛红|broke me out"),
    ("authenticity", "担心是否正品", r"不是正品|怀疑"),
    ("packaging_damage", "包装破损", r"漏液|破损|压坏"),
    ("strong_scent", "味道偏重", r"味道.{0,2}重"),
    ("greasy", "质地偏油", r"偏油|闷"),
    ("quality", "质量问题", r"质量太差|质量有问题|poor quality"),
    ("deforms", "洗后变形", r"(?<![没不])变形"),
    ("effect_unclear", "效果不明显", r"效果一般|does much"),
)


class ReviewTheme(BaseModel):
    """Something several buyers said, as our own short label (never the buyer's words)."""

    model_config = ConfigDict(frozen=True)

    theme: str
    label: str
    mentions: int
    share: float  # of the reviews on that side (4-5 stars for praise, 1-3 for objections)


class PriceFacts(BaseModel):
    """Our price against the lowest comparable offer, averaged over the last days with both."""

    model_config = ConfigDict(frozen=True)

    our_price: float | None
    competitor_price: float | None
    gap: float | None  # our / competitor - 1
    position: PricePosition


class CreativeFacts(BaseModel):
    """What a draft for one SKU may say, all of it from the shop's data and already ad-law clean."""

    model_config = ConfigDict(frozen=True)

    sku_id: str
    title: str  # as listed, for reference only: drafts are built from `title_words`
    category: str
    group: str  # apparel, beauty or general: which templates apply
    core_keyword: str
    title_words: list[TitleWord]
    material: str | None
    colors: list[str]
    sizes: list[str]
    selling_points: list[str]
    price: PriceFacts
    review_count: int
    rating: float | None
    praise: list[ReviewTheme]
    objections: list[ReviewTheme]
    withheld: list[str]  # product-data phrases left out because the checker flags them

    def words(self, role: str) -> list[str]:
        return [word.word for word in self.title_words if word.role == role]


def load_brand(shop: Shop) -> BrandProfile:
    """The shop's brand profile (imported from brand.toml), or the neutral default voice."""
    with shop.connect() as con:
        row = con.execute("SELECT toml FROM brand_profile LIMIT 1").fetchone()
    if row is None:
        return BrandProfile()
    profile, problems = parse_brand(row[0])
    if profile is None:
        raise ShopError(f"the stored brand profile is invalid ({problems[0].describe()}); re-import brand.toml",
                        file="brand.toml")
    return profile


def brand_word(brand: BrandProfile) -> str:
    """The brand as it goes into copy: a must-include word that names it (栖木), else its name's first word."""
    for word in brand.must_include:
        if word and word in brand.name:
            return word
    return brand.name.split()[0] if brand.name.split() else ""


def creative_facts(shop: Shop, sku_id: str, *, brand: BrandProfile | None = None) -> CreativeFacts:
    """Collect the grounded, ad-law-clean facts a draft for `sku_id` may use."""
    brand = brand or load_brand(shop)
    with shop.connect() as con:
        product = con.execute("SELECT title, category, attributes FROM products WHERE sku_id = ?", [sku_id]).fetchone()
        if product is None:
            known = [row[0] for row in con.execute("SELECT sku_id FROM products ORDER BY sku_id LIMIT 5").fetchall()]
            raise RequestError(f"there is no SKU {sku_id!r} in the shop; SKU ids look like {', '.join(known)}; "
                            "list them with `shopagent sql \"SELECT sku_id, title FROM products\"`")
        prices = con.execute(
            f"""SELECT avg(p.price), avg(c.competitor_price)
                FROM price_history p JOIN competitor_prices c USING (date, sku_id)
                WHERE sku_id = ? AND date > (SELECT max(date) FROM price_history WHERE sku_id = ?)
                                           - INTERVAL {PRICE_WINDOW_DAYS} DAY""", [sku_id, sku_id]).fetchone()
        last_price = con.execute("SELECT price FROM price_history WHERE sku_id = ? ORDER BY date DESC LIMIT 1",
                                 [sku_id]).fetchone()
        reviews = con.execute("SELECT rating, text FROM reviews WHERE sku_id = ? ORDER BY created_at, review_id",
                              [sku_id]).fetchall()
    title, category, attributes_json = product
    attributes = _attributes(attributes_json, sku_id)
    clean = _Cleaner(category, brand)
    words = clean.title_words(title)
    cores = [word.word for word in words if word.role == "core"]
    material = clean.phrase(str(attributes.get("material") or "")) or None
    ratings = [int(rating) for rating, _ in reviews]
    return CreativeFacts(
        sku_id=sku_id, title=title, category=category, group=category_group(category),
        core_keyword=cores[-1] if cores else default_core(category),
        title_words=[word for word in words if word.role != "core" or word.word == (cores[-1] if cores else "")],
        material=material,
        colors=[color for color in map(clean.phrase, _strings(attributes.get("colors"))) if color],
        sizes=[size for size in map(clean.phrase, _strings(attributes.get("sizes"))) if size],
        selling_points=[point for point in map(clean.phrase, _strings(attributes.get("selling_points"))) if point],
        price=_price_facts(prices, last_price),
        review_count=len(reviews),
        rating=round(sum(ratings) / len(ratings), 2) if ratings else None,
        praise=_themes(_PRAISE, [text for rating, text in reviews if rating >= 4]),
        objections=_themes(_OBJECTIONS, [text for rating, text in reviews if rating <= 3]),
        withheld=clean.withheld,
    )


class _Cleaner:
    """Holds back product-data phrases the checker flags (violations and warnings) and remembers them."""

    def __init__(self, category: str, brand: BrandProfile) -> None:
        self.category = category
        self.brand = brand
        self.withheld: list[str] = []

    def phrase(self, text: str) -> str:
        text = text.strip()
        if text and check_text(text, category=self.category, brand_forbidden=self.brand.forbidden).issues:
            self._withhold(text)
            return ""
        return text

    def title_words(self, title: str) -> list[TitleWord]:
        """The title's words minus the brand (drafts add it back) and minus every word touching a flagged span."""
        for word in sorted({brand_word(self.brand), *self.brand.must_include, *self.brand.name.split()}, key=len,
                           reverse=True):
            if word:
                title = title.replace(word, " ")
        spans = [(issue.start, issue.end, issue.severity) for issue in
                 check_text(title, category=self.category, brand_forbidden=self.brand.forbidden).issues]
        kept: list[TitleWord] = []
        at = 0
        for word in segment_title(title):
            start = title.index(word.word, at)
            at = start + len(word.word)
            touching = [severity for low, high, severity in spans if low < at and start < high]
            # a warning on the product noun itself (防晒乳) is what the product is, so it stays and is shown;
            # anything else flagged is held back
            if touching and not (word.role == "core" and "violation" not in touching):
                self._withhold(word.word)
            else:
                kept.append(word)
        return kept

    def _withhold(self, text: str) -> None:
        if text not in self.withheld:
            self.withheld.append(text)


def _attributes(text: str | None, sku_id: str) -> dict:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        raise ShopError(f"the attributes of {sku_id} are not valid JSON; fix them and re-import",
                        file="products.csv", column="attributes") from None
    return value if isinstance(value, dict) else {}


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [part for part in re.split(r"[,，、/;；]", value) if part.strip()]
    if isinstance(value, list):
        return [str(item) for item in value if str(item).strip()]
    return []


def _price_facts(averages: tuple | None, last_price: tuple | None) -> PriceFacts:
    ours = float(last_price[0]) if last_price and last_price[0] is not None else None
    if not averages or averages[0] is None or not averages[1]:
        return PriceFacts(our_price=ours, competitor_price=None, gap=None, position="unknown")
    our_average, competitor = float(averages[0]), float(averages[1])
    gap = our_average / competitor - 1
    position: PricePosition = "below" if gap < -IN_LINE_GAP else "above" if gap > IN_LINE_GAP else "in_line"
    return PriceFacts(our_price=ours, competitor_price=round(competitor, 2), gap=round(gap, 4), position=position)


def _themes(catalogue: tuple[tuple[str, str, str], ...], texts: list[str]) -> list[ReviewTheme]:
    if not texts:
        return []
    found = []
    for order, (theme, label, pattern) in enumerate(catalogue):
        compiled = re.compile(pattern, re.IGNORECASE)
        mentions = sum(1 for text in texts if compiled.search(text or ""))
        if mentions >= MIN_MENTIONS:
            found.append((-mentions, order, ReviewTheme(theme=theme, label=label, mentions=mentions,
                                                        share=round(mentions / len(texts), 3))))
    return [theme for *_, theme in sorted(found, key=lambda item: item[:2])][:TOP_THEMES]
