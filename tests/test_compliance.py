"""The ad-law checker flags what a regulator or Taobao would flag, where the merchant wrote it."""

from __future__ import annotations

import json
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


# --- issue 25: families, normalisation, exemptions, severity ------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "category", "term", "rule_id"),
    [
        ("招财进宝貔貅手串", "home", "招财进宝", "superstition"),
        ("大师开光 葫芦挂件", None, "大师开光", "superstition"),
        ("镇宅 铜麒麟摆件", "home", "镇宅", "superstition"),
        ("祖传秘方 膏药贴", None, "祖传秘方", "false_claim"),
        ("宫廷秘制桃酥", "food", "宫廷秘制", "false_claim"),
        ("神效去污膏", "home", "神效", "false_claim"),
        ("量子能量杯", "home", "量子能量", "false_claim"),
        ("万人疯抢 卫衣", "apparel", "万人疯抢", "pressure"),
        ("抢疯了 拖鞋", None, "抢疯了", "pressure"),
        ("错过就没机会了 直播福利", None, "错过就没机会了", "pressure"),
        ("明天就涨价 电风扇", None, "明天就涨价", "pressure"),
        ("缓解头痛 按摩枕", "home", "缓解头痛", "medical"),
        ("适合哮喘人群 净化器", "electronics", "哮喘", "medical"),
        ("止咳化痰 枇杷膏", "food", "止咳化痰", "medical"),
        ("抗敏修护精华", "cosmetics", "抗敏", "cosmetic_banned"),
        ("干细胞面霜", "cosmetics", "干细胞", "cosmetic_banned"),
        ("淡化妊娠纹 身体乳", "cosmetics", "妊娠纹", "cosmetic_banned"),
        ("溶脂霜", "cosmetics", "溶脂", "cosmetic_banned"),
        ("瘦脸面膜", "cosmetics", "瘦脸", "cosmetic_banned"),
        ("祛斑霜 淡化黄褐斑", "cosmetics", "黄褐斑", "medical"),
        ("护肝解酒 葛根茶", "food", "护肝", "health_claim"),
        ("增强免疫力 维C软糖", "food", "增强免疫力", "health_claim"),
        ("清热解毒 凉茶", "food", "清热解毒", "medical"),
        ("养胃小米", "food", "养胃", "food_function"),
        ("增强免疫力 蛋白粉", "health_food", "增强免疫力", "health_food_claim"),
        ("Clinically proven to cure acne", "cosmetics", "Clinically proven", "medical"),
        ("Lowers blood pressure naturally", "food", "Lowers blood pressure", "medical"),
        ("The best phone case", None, "The best", "absolute"),
        ("Cheapest price online", None, "Cheapest", "absolute"),
        ("Last chance! Only 3 left", None, "Last chance", "pressure"),
        ("Brings good luck to your home", "home", "Brings good luck", "superstition"),
    ],
)
def test_each_family_is_a_violation_naming_its_rule_and_source(text, category, term, rule_id):
    result = check_text(text, category=category)

    assert not result.ok
    issue = next(issue for issue in result.issues if issue.term == term)
    assert (issue.rule_id, issue.severity) == (rule_id, "violation")
    assert issue.why and issue.source and issue.suggestion
    fixed, _ = fix_text(text, category=category)
    assert check_text(fixed, category=category).ok


@pytest.mark.parametrize(
    ("text", "term", "rule_id"),
    [
        ("頂級工藝 真皮錢包", "頂級", "absolute"),  # traditional characters, through OpenCC's t2s
        ("國家領導人推薦 茶葉", "國家領導人推薦", "state_name"),
        ("無效退款 面膜", "無效退款", "efficacy_guarantee"),
        ("第壹品牌 保温杯", "第壹品牌", "absolute"),  # financial numeral 壹 for 一
        ("第①品牌 保温杯", "第①品牌", "absolute"),  # a circled digit for 一
        ("1OO%纯天然 蜂蜜", "1OO%", "absolute"),  # letter O for zero
        ("l00%有效 驱蚊液", "l00%", "absolute"),  # letter l for one
        ("N0.1 热卖", "N0.1", "absolute"),  # zero for the letter O
        ("唯l正品", "唯l", "absolute"),
        ("绝/对舒适 乳胶枕", "绝/对", "absolute"),  # a slash inside the word
        ("最\u200b好用的洗碗机", "最\u200b好", "absolute"),  # a zero-width space inside it
        ("蕞好用的拖把", "蕞好", "absolute"),  # homophones of 最
        ("醉便宜的充电宝", "醉便宜", "absolute"),
        ("弟一品牌 牙刷", "弟一品牌", "absolute"),
        ("绝dui正品", "绝dui", "absolute"),  # pinyin inside Chinese copy
        ("最hao用的锅", "最hao", "absolute"),
        ("ＴＨＥ ＢＥＳＴ 蓝牙音箱", "ＴＨＥ ＢＥＳＴ", "absolute"),  # full width, case-folded English
        ("BEST QUALITY headphones", "BEST QUALITY", "absolute"),
        ("аnti-inflammatory cream", "аnti-inflammatory", "medical"),  # a Cyrillic а
    ],
)
def test_each_disguise_is_undone_and_reported_where_the_merchant_wrote_it(text, term, rule_id):
    result = check_text(text)

    assert not result.ok
    issue = next(issue for issue in result.issues if issue.rule_id == rule_id)
    assert text[issue.start : issue.end] == issue.term == term


def test_disguise_folding_leaves_ordinary_words_and_numbers_alone():
    assert check_text("醉蟹 绍兴特产").ok  # 醉 is only 最 before a word 最 would qualify
    assert check_text("第12届 设计展 第12名 i7处理器 no1ce").ok  # 1 is 一 after 第 only when no digit follows
    assert check_text("红色/黑色 两色可选 男/女同款").ok


EXEMPTIONS = {
    "self_comparison": ("本店销量最高的一款 小白鞋", "全网销量最高的一款 小白鞋"),
    "time_limited_fact": ("近30天本店销量第一 保温杯", "销量第一 保温杯"),
    "ranking_with_source": ("2024年度天猫店铺销量第一（数据来源：生意参谋）", "天猫店铺销量第一"),
    "consumer_tip": ("最好冷藏保存 开封后尽快食用", "最好吃的零食"),
    "order_and_spec": ("最低-20℃也能正常使用", "最低价 电暖器"),
    "standard_grade": ("特级初榨橄榄油 一级压榨花生油", "顶级橄榄油"),
    "official_title": ("国家级非遗 手工油纸伞", "国家级工艺 油纸伞"),
    "model_number": ("色号No.1 正红色口红", "No.1 正红色口红"),
    "serial_code": ("唯一防伪码 扫码验真", "唯一正品 扫码验真"),
    "composition": ("原料：100%生牛乳", "100%纯天然 生牛乳"),
    "product_name": ("招财猫摆件 陶瓷存钱罐", "招财 陶瓷存钱罐"),
    "not_a_claim": ("防晒衣 UPF50+", "防晒乳 SPF50 妆网备字2023"),
    "special_use_registered": ("美白精华 国妆特字G20230456", "美白精华 妆网备字2023000123"),
    "health_food_disclaimer": ("增强免疫力 蛋白粉 本品不能代替药物", "增强免疫力 蛋白粉"),
    "health_food_function": ("辅助降血脂 鱼油 本品不能代替药物", "降血脂 鱼油 本品不能代替药物"),
}


@pytest.mark.parametrize(("exemption", "lawful", "unlawful"), [(k, *v) for k, v in EXEMPTIONS.items()])
def test_each_exemption_excuses_its_context_and_only_that(exemption, lawful, unlawful):
    category = {"special_use_registered": "cosmetics", "not_a_claim": "cosmetics", "health_food_disclaimer":
                "health_food", "health_food_function": "health_food"}.get(exemption)

    assert check_text(lawful, category=category).ok, exemption
    assert not check_text(unlawful, category=category).ok, exemption


def test_every_exemption_in_the_lexicon_has_a_test():
    lexicon = tomllib.loads(files("shopagent.tools").joinpath("data", "ad_law.toml").read_text("utf-8"))

    assert set(lexicon["exemptions"]) == set(EXEMPTIONS)


@pytest.mark.parametrize(
    "text",
    ["Composition: 100% cotton", "电量显示100% 充电宝", "Our lightest down jacket yet", "Best before: see the lid",
     "For best results, apply to clean skin", "第一步：清洁 第二步：涂抹", "最多连接5台设备", "#1号色 粉底液"],
)
def test_facts_and_usage_tips_in_english_and_chinese_pass(text):
    assert check_text(text).ok


def test_special_use_claims_follow_the_registration_the_copy_shows():
    assert _terms("美白精华", category="cosmetics") == [("美白", "cosmetic_special", "warning")]
    assert _terms("美白精华 妆网备字2023000123", category="cosmetics") == [
        ("美白", "cosmetic_special_filed", "violation")]
    assert _terms("美白精华 国妆特字G20230456", category="cosmetics") == []
    assert _terms("防晒乳 SPF50", category="特殊化妆品") == []


def test_health_food_may_claim_its_function_with_the_disclaimer_but_never_a_cure():
    disclaimer = " 本品不能代替药物"
    assert check_text("增强免疫力 蛋白粉" + disclaimer, category="保健食品").ok
    assert _terms("增强免疫力 蛋白粉", category="health_food") == [
        ("增强免疫力", "health_food_claim", "violation")]
    assert not check_text("治疗糖尿病 降糖胶囊" + disclaimer, category="health_food").ok
    assert _terms("增强免疫力 软糖" + disclaimer, category="food") == [("增强免疫力", "health_claim", "violation")]
    assert _terms("可以代替药物 保健品", category="health_food")[0][1] == "medical"


def test_check_through_the_cli_reports_traditional_characters_at_their_offsets(cli):
    result = cli("creative", "check", "頂級真絲 無效退款", "--json")

    assert result.exit_code == 1
    issues = json.loads(result.stdout)["issues"]
    assert [(i["term"], i["start"], i["end"]) for i in issues] == [("頂級", 0, 2), ("無效退款", 5, 9)]
    assert all(i["why"] and i["source"] for i in issues)


def test_cli_platform_decides_whether_pressure_selling_blocks_publishing(cli):
    assert cli("creative", "check", "万人疯抢 卫衣").exit_code == 1
    assert cli("creative", "check", "万人疯抢 卫衣", "--platform", "law").exit_code == 0
    assert cli("creative", "check", "万人疯抢 卫衣", "--platform", "ebay").exit_code == 2
