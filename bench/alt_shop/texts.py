"""Chinese listing titles, attributes and review snippets for the simulated shop."""

import json

import numpy as np

TITLE_PARTS = {
    "dress": (["夏季新款", "法式复古", "温柔风", "气质通勤", "小个子"], ["碎花", "纯色", "格纹", "波点", "印花"],
              ["雪纺", "棉麻", "醋酸", "天丝"], "连衣裙", ["女收腰显瘦", "中长款", "V领长裙", "方领泡泡袖"]),
    "tshirt": (["2025新款", "基础款", "宽松百搭", "ins风"], ["纯色", "字母印花", "条纹", "刺绣"],
               ["纯棉", "新疆长绒棉", "冰丝棉"], "短袖T恤", ["女上衣", "圆领打底衫", "落肩半袖"]),
    "jeans": (["高腰", "春秋新款", "显瘦", "复古"], ["直筒", "阔腿", "微喇", "哈伦"],
              ["弹力牛仔", "水洗牛仔", "棉质牛仔"], "牛仔裤", ["女长裤", "九分裤", "拖地裤"]),
    "jacket": (["秋冬新款", "通勤", "小香风", "韩版"], ["短款", "中长款", "双排扣", "翻领"],
               ["羊毛混纺", "粗花呢", "西装面料", "灯芯绒"], "外套", ["女上衣", "西装外套", "夹克"]),
    "sun_shirt": (["夏季", "户外", "轻薄", "新款"], ["连帽", "立领", "短款", "长款"],
                  ["冰丝", "凉感面料", "锦纶"], "防晒衣", ["女UPF50+外套", "透气防晒服", "骑行罩衫"]),
    "skincare": (["补水保湿", "修护舒缓", "提亮肤色", "紧致"], ["玻尿酸", "烟酰胺", "积雪草", "神经酰胺"],
                 ["精华液", "精华水", "乳液"], "", ["30ml", "50ml", "100ml"]),
    "sunscreen": (["清爽不油腻", "水感", "轻薄", "户外"], ["SPF50+", "PA++++", "物理化学双效"],
                  ["防晒霜", "防晒乳", "防晒喷雾"], "", ["50ml", "60g", "150ml"]),
    "lipstick": (["丝绒雾面", "水光", "显白", "滋润"], ["豆沙色", "枫叶红", "奶茶色", "番茄红"],
                 ["口红", "唇釉", "唇泥"], "", ["3.5g", "礼盒装", "小样"]),
    "mask": (["补水保湿", "清洁", "舒缓", "熬夜急救"], ["玻尿酸", "泥膜", "冻干粉", "积雪草"],
             ["面膜", "贴片面膜", "睡眠面膜"], "", ["10片装", "5片装", "100g"]),
}

COLORS = ["黑色", "白色", "杏色", "雾蓝", "浅粉", "燕麦色", "酒红", "墨绿"]
SIZES = ["S", "M", "L", "XL"]
APPAREL_POINTS = ["垂感好", "不易起皱", "显瘦版型", "透气舒适", "百搭", "亲肤面料"]
BEAUTY_POINTS = ["温和不刺激", "清爽好吸收", "敏感肌可用", "持久", "便携", "无酒精"]
SKIN_TYPES = ["干皮", "油皮", "混合皮", "敏感肌", "中性皮"]

GOOD = {
    "apparel": ["面料很舒服", "尺码标准，上身好看", "颜色和图片一样", "做工精细，没有线头", "版型很正，显瘦",
                "物流很快，包装完好", "性价比很高", "第二次回购了", "穿着很透气", "客服很耐心"],
    "beauty": ["用起来很清爽", "吸收很快，不油腻", "保湿效果不错", "包装精致", "味道好闻", "回购好几次了",
               "用了一周皮肤状态变好", "质地很细腻", "发货快，日期新鲜", "不闷痘"],
}
MIDDLE = {
    "apparel": ["还行吧，一般般", "有点薄", "颜色比图片暗一点", "尺码偏大，建议拍小一码", "有点线头，能接受"],
    "beauty": ["效果一般", "有点黏", "味道有点重", "用着还行，没有惊喜", "量有点少"],
}
BAD = {
    "apparel": ["质量太差了，起球严重", "线头很多，做工粗糙", "洗一次就掉色", "和图片完全不一样", "面料很廉价",
                "这批做工明显变差了", "开线了，不推荐"],
    "beauty": ["用了过敏，脸上起红点", "质地和以前买的不一样", "瓶子漏了", "完全没效果", "搓泥很严重",
               "这批味道不对"],
}
ENGLISH = {5: "Great quality, fast shipping.", 4: "Fits well, would buy again.", 3: "It's okay.",
           2: "Not as described.", 1: "Poor quality, very disappointed."}
DEFAULT_REVIEW = "此用户没有填写评价。"


def listing_title(category: str, rng: np.random.Generator) -> str:
    """A Taobao-style listing title stitched from category word lists."""
    lead, style, material, noun, tail = TITLE_PARTS[category]
    words = [rng.choice(lead), rng.choice(style), rng.choice(material), noun, rng.choice(tail)]
    return "".join(str(w) for w in words)


def listing_attributes(category: str, is_beauty: bool, rng: np.random.Generator) -> str:
    """The attributes JSON object for a listing."""
    if is_beauty:
        attrs = {"skin_type": sorted(rng.choice(SKIN_TYPES, 2, replace=False).tolist()),
                 "selling_points": sorted(rng.choice(BEAUTY_POINTS, 3, replace=False).tolist())}
    else:
        attrs = {"material": str(rng.choice(TITLE_PARTS[category][2])),
                 "colors": sorted(rng.choice(COLORS, 3, replace=False).tolist()),
                 "sizes": SIZES, "selling_points": sorted(rng.choice(APPAREL_POINTS, 3, replace=False).tolist())}
    return json.dumps(attrs, ensure_ascii=False, sort_keys=True)


def review_text(rating: int, is_beauty: bool, u: float, pick: float) -> str:
    """Short review text for a rating; u and pick are uniform draws that choose the style and the phrase."""
    if u < 0.08:
        return DEFAULT_REVIEW
    if u < 0.11:
        return ENGLISH[rating]
    kind = "beauty" if is_beauty else "apparel"
    pool = GOOD[kind] if rating >= 4 else MIDDLE[kind] if rating == 3 else BAD[kind]
    first = pool[int(pick * len(pool))]
    if u > 0.7:
        second = pool[int((pick * 7.31) % 1 * len(pool))]
        if second != first:
            return f"{first}，{second}"
    return first
