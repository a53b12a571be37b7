"""The ad-law checker flags what a regulator or Taobao would flag, where the merchant wrote it."""

from __future__ import annotations

import tomllib
from importlib.resources import files

import pytest
from pydantic import ValidationError

from shopagent.tools.compliance import check_text, fix_text


def _terms(text: str, **kwargs) -> list[tuple[str, str, str]]:
    return [(i.term, i.rule_id, i.severity) for i in check_text(text, **kwargs).issues]


def test_national_level_fabric_is_flagged_where_it_stands():
    result = check_text("高端真丝衬衫国家级面料")

    assert not result.ok
    [issue] = result.issues
    assert (issue.term, issue.start, issue.end) == ("国家级", 6, 9)
    assert issue.rule_id == "absolute" and issue.severity == "violation"
    assert "广告法" in issue.rule
    assert issue.suggestion and "国家级" not in issue.suggestion


def test_json_shape_matches_the_creative_check_contract():
    payload = check_text("高端真丝衬衫国家级面料").model_dump(mode="json")

    assert payload["ok"] is False
    assert {"term", "start", "end", "rule", "suggestion"} <= payload["issues"][0].keys()


@pytest.mark.parametrize(
    "text",
    [
        "最近很火的ins风帆布包",
        "第一次穿就爱上了",
        "最后一天发货 拍下48小时内发出",
        "100%纯棉 亲肤透气",
        "面料成分：棉100%",
        "１００％纯棉 短袖",
        "百分之百桑蚕丝",
        "首次购买立减20元",
        "唯一的缺点就是太好看",  # self-deprecating joke, no claim over competitors
        "最少起订2件 支持混批",  # the shop's own order limit, not a superlative
        "最高可减50元 满199可用",
        "最大承重150kg 折叠凳",
        "建议最好手洗 不可漂白",  # care advice: SAMR's 2023 guidance exempts consumer tips
        "最佳赏味期 开封后7天内",
        "万能胶 强力粘合",  # a product type, not a claim
        "第一时间发货 顺丰包邮",
        "宝宝第一双学步鞋",
        "No.10色号 豆沙色",
        "第十一代 升级款",
        "一级茶叶 正宗西湖龙井",  # national-standard grade
        "防晒衣 UPF50+ 冰丝",  # UV-protective clothing, not a sunscreen
    ],
)
def test_everyday_copy_is_not_flagged(text):
    result = check_text(text)

    assert result.ok and result.issues == []


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("全网最低价 纯棉T恤", "全网最低价"),  # the longest match, once: not 最低价 and 最 as well
        ("最舒适的运动鞋", "最"),  # any 最 + word, even one the lexicon does not name
        ("性价比最高的扫地机", "最"),
        ("最低价19.9元", "最低价"),  # a number after it does not make 最低价 a spec limit
        ("销量第一 保温杯", "销量第一"),
        ("全国销量第1名", "销量第1名"),
        ("宝妈首选 湿巾", "首选"),
        ("100%有效 去黑头", "100%"),
        ("不起球 100%满意", "100%"),
        ("绝对正品", "绝对"),
        ("天猫销量冠军 空气炸锅", "销量冠军"),
        ("行业遥遥领先", "遥遥领先"),
        ("吊打同价位 机械表", "吊打"),
        ("国家机关特供茶叶", "国家机关特供"),
    ],
)
def test_absolute_and_superiority_claims_are_violations(text, term):
    result = check_text(text)

    assert not result.ok
    assert [issue.term for issue in result.issues] == [term]


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("ＮＯ．１人气单品", "ＮＯ．１"),
        ("１００％有效", "１００％"),
        ("ＴＯＰ１爆款", "ＴＯＰ１"),
        ("The Best gift for mom", "The Best"),
        ("BEST EVER 凉席", "BEST EVER"),
        ("№1 好物", "№1"),  # NFKC turns one character into "No"
    ],
)
def test_full_width_and_english_variants_are_reported_as_written(text, term):
    [issue] = check_text(text).issues

    assert issue.term == term
    assert text[issue.start : issue.end] == term


def test_offsets_point_into_the_original_text_when_normalising_changes_length():
    text = "适用-20℃~60℃ ﬁne ㎏级 国家级标准"  # ℃, ﬁ and ㎏ each become two characters under NFKC

    [issue] = check_text(text).issues

    assert (issue.start, issue.end) == (text.index("国家级"), text.index("国家级") + 3)
    assert text[issue.start : issue.end] == issue.term == "国家级"


def test_issues_are_sorted_by_position():
    result = check_text("绝对正品 国家级面料 最便宜")

    assert [i.term for i in result.issues] == ["绝对", "国家级", "最便宜"]
    assert [i.start for i in result.issues] == sorted(i.start for i in result.issues)


def test_medical_claim_in_skincare_is_a_violation():
    result = check_text("消炎祛痘精华 温和不刺激", category="skincare")

    assert not result.ok
    assert _terms("消炎祛痘精华 温和不刺激", category="skincare") == [
        ("消炎", "medical", "violation"),
        ("祛痘", "cosmetic_special", "warning"),
    ]


def test_medical_goods_may_name_a_treatment_but_never_promise_a_cure():
    assert check_text("治疗颈椎病 家用理疗仪", category="medical").ok
    assert check_text("医用级 一次性医用外科口罩", category="医疗器械").ok
    assert _terms("根治颈椎病", category="medical") == [("根治", "efficacy_guarantee", "violation")]
    assert _terms("药妆级面霜", category="medical") == [("药妆级", "medical", "violation")]


def test_whitening_is_a_warning_to_check_registration_not_a_violation():
    result = check_text("美白精华液 烟酰胺")

    assert result.ok
    [issue] = result.issues
    assert (issue.term, issue.rule_id, issue.severity) == ("美白", "cosmetic_special", "warning")
    assert "注册证" in issue.suggestion


def test_category_decides_whether_whitening_is_a_cosmetic_or_a_food_claim():
    assert _terms("美白精华", category="Skincare") == [("美白", "cosmetic_special", "warning")]
    assert _terms("美白丸", category="food") == [("美白", "food_function", "violation")]
    assert _terms("美白丸", category="apparel") == []


def test_pressure_selling_is_a_violation_on_taobao_and_a_warning_under_the_law_alone():
    text = "再不抢就没了！仅剩3件"

    for platform in (None, "tmall", "抖音"):
        assert _terms(text, platform=platform) == [
            ("再不抢就没了", "pressure", "violation"),
            ("仅剩3件", "pressure", "violation"),
        ]
    assert check_text(text, platform="law").ok
    assert {i.severity for i in check_text(text, platform="law").issues} == {"warning"}
    with pytest.raises(ValueError, match="taobao"):
        check_text(text, platform="ebay")


def test_latest_model_is_a_warning_but_latest_technology_a_violation():
    assert _terms("最新款 春季西装") == [("最新", "absolute", "warning")]
    assert _terms("最新技术 净化器") == [("最新技术", "absolute", "violation")]
    assert _terms("最新鲜的水果") == [("最新鲜", "absolute", "violation")]


def test_brand_forbidden_words_are_violations_even_inside_allowed_phrases():
    text = "100%纯棉 联名款 INS风"

    result = check_text(text, brand_forbidden=["联名", "ins", "  "])

    assert not result.ok
    assert [(i.term, i.start, i.end, i.rule_id) for i in result.issues] == [
        ("联名", 7, 9, "brand_forbidden"),
        ("INS", 11, 14, "brand_forbidden"),
    ]
    assert "联名" in result.issues[0].suggestion
    assert _terms(text, brand_forbidden=["纯棉"]) == [("纯棉", "brand_forbidden", "violation")]


@pytest.mark.parametrize(
    "text",
    [
        "国家级面料 全网最低价 NO.1 绝对正品 最舒适",
        "消炎祛痘 7天见效 美白淡斑",
        "宝妈首选 销量第一 100%有效 the best",
        "降血压降血糖 苦瓜茶",
        "第绝对一名",  # deleting 绝对 leaves 第一名, which the next round rewrites
    ],
)
def test_fixed_text_passes_the_check(text):
    fixed, changed = fix_text(text, category="skincare")

    assert check_text(fixed, category="skincare").ok
    assert changed and all(issue.severity == "violation" for issue in changed)


def test_fix_repeats_until_a_deletion_leaves_no_new_violation():
    fixed, changed = fix_text("第绝对一名")

    assert fixed == "热销"
    assert [issue.term for issue in changed] == ["绝对", "第一名"]


def test_fix_rewrites_with_the_suggestion_and_keeps_warnings():
    fixed, changed = fix_text("最好的面料 国家级工艺 美白精华 正品 NO.1 热卖", brand_forbidden=["热卖"])

    assert fixed == "很好的面料 高品质工艺 美白精华 正品"
    assert [issue.term for issue in changed] == ["最好", "国家级", "NO.1", "热卖"]
    assert fix_text("纯棉短袖 舒适透气") == ("纯棉短袖 舒适透气", [])


def test_every_replacement_in_the_lexicon_is_itself_compliant():
    lexicon = tomllib.loads(files("shopagent.tools").joinpath("data", "ad_law.toml").read_text("utf-8"))
    for rule_id, rule in lexicon["rules"].items():
        for entry in rule.get("terms", []):
            replacement = entry.get("replace", entry["suggest"].split(" / ")[0])
            assert check_text(replacement).ok, (rule_id, entry)


def test_results_are_frozen():
    issue = check_text("国家级面料").issues[0]

    with pytest.raises(ValidationError):
        issue.term = "别的"  # type: ignore[misc]


@pytest.mark.parametrize(
    "text, term",
    [
        ("顶 级桑蚕丝睡衣", "顶 级"),  # a space inside the word
        ("全网最·好用的眉笔", "全网最"),  # a middle dot inside it
        ("全网zui低价 吹风机", "全网zui低价"),  # pinyin for 最
        ("中国\u200b第一 保温杯", "中国\u200b第一"),  # a zero-width space
    ],
)
def test_a_banned_word_in_disguise_is_found_and_reported_as_written(text, term):
    [issue] = check_text(text).issues

    assert issue.severity == "violation"
    assert text[issue.start : issue.end] == issue.term == term
    fixed, _ = fix_text(text)
    assert check_text(fixed).ok and term not in fixed


def test_spaces_between_ordinary_words_do_not_make_a_banned_word():
    assert check_text("超值 最近上新 纯棉T恤").ok
    assert check_text("第一 视角运动相机").ok


def test_antibacterial_claims_are_violations_on_cosmetics_and_warnings_elsewhere():
    assert _terms("杀菌控油洗面奶", category="skincare") == [("杀菌", "cosmetic_antibacterial", "violation")]
    assert _terms("除螨仪 紫外线杀菌") == [("杀菌", "antibacterial", "warning")]
    assert _terms("碘伏消毒液 皮肤伤口消毒", category="medical") == []


@pytest.mark.parametrize("text", ["国家免检产品 保温杯", "中国驰名商标 布鞋", "国家领导人同款 围巾",
                                  "三甲医院医生推荐 血压计", "全网独家 实木餐桌", "永久不褪色 床单"])
def test_endorsements_and_guarantees_are_violations(text):
    assert not check_text(text).ok
