"""Slots the offline planner pulls out of a question: SKU ids, percentages, 折, money (3万, 8千, 12k), ROI,
day counts, dates, comparisons, objectives and creative kinds. Each parser removes what it consumed, so a
number is read once: the 3.5 of 投产比 3.5 is not also a budget.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
EN_NUMBERS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
              "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "fifty": 50}
NUM = r"\d+(?:\.\d+)?"
MONEY_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"  # 6,000 as well as 6000
CN_NUM = r"[零一二两三四五六七八九十]+"
UNIT_MULTIPLIER = {"万": 10_000, "w": 10_000, "千": 1_000, "k": 1_000, "百": 100}
UP = re.compile(r"涨|提|加|上调|贵|raise|increase|\bup\b|hike|higher|more|pricier|dearer", re.I)
# a direction written right after the number ("5% pricier", "10%便宜") is that number's own
_AFTER_UP = re.compile(r"\s*(?:more expensive|pricier|dearer|higher|up\b|贵)", re.I)
_AFTER_DOWN = re.compile(r"\s*(?:cheaper|lower|less\b|off\b|down\b|便宜)", re.I)
DOWN = re.compile(r"降|减|砍|下调|便宜|打折|优惠|cut|lower|reduce|decrease|drop|down|cheaper|less|discount|markdown|"
                  r"mark(?:ed)? down", re.I)

_DATE_PATTERNS = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]?"),
)
_SKU = re.compile(r"(?<![A-Za-z0-9])[sS]\d{2,5}(?!\d)")
# quoted copy, each mark with its own partner; an apostrophe inside a word (I'd, S012's) opens no quote
_PAIRED = re.compile(r"“([^”]{2,})”|\"([^\"]{2,})\"|「([^」]{2,})」|『([^』]{2,})』|‘([^’]{2,})’|【([^】]{2,})】|"
                     r"(?<![A-Za-z0-9])'([^']{2,})'(?![A-Za-z])")
_QUOTED = re.compile(r"[“\"「『‘'【]([^”\"」』’'】]{2,})[”\"」』’'】]")  # marks that do not pair, as some write them
# "will this get flagged by ad law? 顶级奢华 独一无二": after a question about copy, the copy itself
# running out of stock, however it is written: 断货, 卖断了, out of stock, stocks out, stocking out, sells out
# "停掉S043的全站推广", "stop advertising S043", "pause the campaign": the SKU's (or the shop's) budget goes to zero
STOP_ADS = re.compile(r"(?:(?<!不)停(?:掉|了|止)?|关掉|关了|关闭|关停|暂停|撤掉|撤了|撤下)[^，。,;；?？!！]{0,10}?"
                      r"(?:推广|投放|广告|直通车|万相台)|"
                      r"不(?:再)?(?:投|推)(?:广告|推广|了)|停投|停推|(?:推广|投放|广告|计划)(?:全都|全|都|也)?(?:停|关)(?:掉|了)|"
                      r"预算(?:清零|归零|(?:砍|降|调|减)到\s*0(?![\d.]))|"
                      r"\b(?:stop|pause|halt|kill|switch off|turn off)(?:s|ed|ing|ping|ped)?\s+"
                      r"(?:all\s+|the\s+|its\s+|our\s+|s\d{2,5}(?:'s)?\s+)*(?:advertising|promoting|ads?|promos?|promotions?|"
                      r"campaigns?|"
                      r"ad spend)\b|\bno more (?:ads|advertising|ad spend)\b|\bzero (?:the )?(?:ad )?budget\b", re.I)
STOCKOUT = re.compile(r"断货|缺货|没货|售罄|卖断|卖空|out of stock|stock(?:s|ed|ing)? ?outs?|sold out|sells? out|"
                      r"selling out|runs? out|running out", re.I)
# "食品能不能写 降血糖 这三个字": the words asked about, between "can I write" and "these words"
_CAN_WRITE = re.compile(r"(?:能不能|能否|可不可以|可以|能)\s*(?:写|用|说)\s*(\S.{0,30}?)\s*"
                        r"(?:这(?:几|两|三|四|五|六)?个?(?:字|词)|这句话?|这个说法)")
_NAMED_WORDS = re.compile(r"(?:写|用|说|加|带)\s*(?:上|了)?\s*(\S{1,12}?)\s*"
                          r"(?:这?[两三四五六七八九十\d]个字|这几个字|这个词|这种词|这几个词)")
_AFTER_QUESTION = re.compile(r"(?:flag|ad[- ]?law|violat|allowed|legal|compliant|safe|\bok\b|okay|能用|能写|能过|"
                             r"过审|违规|"
                             r"合规|违禁|有问题)[^?？]*[?？]\s*([^?？]{2,}?)\s*$", re.I)
_DISCOUNT = re.compile(r"打?\s*(\d(?:\.\d)?|\d\d|[一二三四五六七八九]{1,2})\s*折")
_PERCENT = re.compile(rf"([+\-]?{NUM})\s*(?:%|个百分点|个点|percent|pct)", re.I)
_TENTHS_SHARE = re.compile(r"(?<![\d.])(\d)\s*成(?![本交功品员])")
_TENTHS = re.compile(r"(\d|[一二三四五六七八九])\s*成")  # 三成 = 30%
_HALF = re.compile(r"一半|(?:by\s+)?half|\bhalve[ds]?\b|减半|腰斩", re.I)  # 砍一半 = -50%
# "一天加到 800 块", "每天预算", "per day": a rate, not a period of one day
_PER_DAY = re.compile(r"(?:每|一)\s*天(?=\s*(?:加|减|花|投|预算|的?预算|少|多|能|[\d¥]))|"
                      r"(?<![\d.])1\s*天(?=\s*(?:少|多))|/\s*(?:天|日)|per day|a day|/day|"
                      r"(?<=[\d万千kK元块])\s*(?:每|一)\s*[天日](?![\d])|(?<=[元块])\s*1\s*[天日](?![\d])",
                      re.I)  # "加到1500一天", "800元一天" (its 一 already a digit): an amount a day
# 投产1:3, roi 1比4: the return per yuan written as a ratio
_ROI_WORD = r"(?:投产比?|(?<![a-z])roi(?![a-z])|(?<![a-z])roas(?![a-z]))"
_ROI_RATIO = re.compile(rf"{_ROI_WORD}[^0-9]{{0,6}}?1\s*[:：比]\s*({NUM})|"
                        rf"(?<![\d.])1\s*[:：比]\s*({NUM})\s*(?:的)?\s*{_ROI_WORD}", re.I)
# a budget for a week or a month, which a plan's daily budget is that sum spread over ("一周推广预算7w", "30k a week")
_BUDGET_OVER = tuple((re.compile(pattern, re.I), days) for pattern, days in (
    (r"(?:一|每|1)\s*(?:周|星期|个星期|礼拜)\s*(?:的)?\s*(?:推广|广告|投放)?\s*(?:总)?\s*(?:预算|推广费|广告费|花费)|"
     r"(?:预算|推广费|广告费)[^，,。;；0-9]{0,4}(?:一|每|1)\s*(?:周|星期)(?!\s*(?:内|里|后))|"
     r"\bweekly (?:ad |promo(?:tion)? )?(?:budget|spend)|(?:budget|spend)\s+(?:of\s+)?[¥$]?[\d.,]+\s*[kw万]?\s*"
     r"(?:a|per|/)\s*(?:week|wk)\b|[\d.,]+\s*[kw万]?\s*(?:a|per|/)\s*(?:week|wk)\b", 7),
    (r"(?:一|每|1)\s*(?:个)?\s*月\s*(?:的)?\s*(?:推广|广告|投放)?\s*(?:总)?\s*(?:预算|推广费|广告费|花费)|"
     r"\bmonthly (?:ad |promo(?:tion)? )?(?:budget|spend)|[\d.,]+\s*[kw万]?\s*(?:a|per|/)\s*(?:month|mo)\b", 30)))
# "blended 3.5", "整体投产3": the shop's ROI over every SKU, which is the plan's target
_ROI_BLENDED = re.compile(rf"(?:blended|overall|portfolio|shop[- ]?wide|整体|全店|综合)\s*(?:{_ROI_WORD})?\s*"
                          rf"(?:of|at|=|:|要|得|做到|达到|不低于)?\s*(\d{{1,2}}(?:\.\d+)?)(?![\d.]|\s*[%万千kw元块])",
                          re.I)
_ROI_AFTER = re.compile(rf"{_ROI_WORD}[^0-9]{{0,14}}?({NUM})", re.I)
_ROI_BEFORE = re.compile(rf"({NUM})\s*(?:的|倍)?\s*(?:target\s+|目标\s*)?{_ROI_WORD}|"
                         # "a 4x return", "4倍回报": the return per yuan of spend
                         rf"({NUM})\s*(?:x|×|倍)\s*(?:的)?\s*(?:return|回报|回本)", re.I)
_COUNT = re.compile(r"(?![1一]\s*份)(\d+|[一两二三四五六七八九十])\s*(?:个|条|版|套|篇|份|句)"
                    r"(?!月|星期|礼拜|\s*(?:字|汉字|字符|词|小时|人))|"
                    # "2 video scripts", "1 product detail page": a kind of copy may sit between the count and its noun
                    r"(\d+)\s+(?:(?:more|new|different|short|catchy|alternative)\s+)?"
                    r"(?:(?:video|product|detail|details|listing)\s+){0,2}(?:titles?|options|versions?|variants|pages?|"
                    r"drafts?|ideas|scripts?|alternatives|candidates|headlines?|takes|choices|picks|selling points|"
                    r"descriptions|"
                    r"captions|slogans|taglines)|"
                    r"\bmake it\s+(\d{1,2})\s*[.!?]?\s*$|"
                    r"(?:give me|gimme|send me|i need|need|i want|want|come up with|draft|write)\s+(\d{1,2})(?!\s*(?:%|"
                    r"percent|"
                    r"days?|weeks?|months?|yuan|rmb|块|元|a day|per day|/|k\b|w\b|[\d.]))\b", re.I)
_DAY_PATTERNS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(rf"(\d+|{CN_NUM})\s*(?:天|日)(?!元)"), 1),
    (re.compile(r"(\d+)\s*days?\b", re.I), 1),
    (re.compile(rf"(\d+|{CN_NUM}|a|one|two|three|four)\s*(?:个)?\s*(?:周|星期|礼拜|weeks?\b|wks?\b)", re.I), 7),
    (re.compile(rf"(\d+|{CN_NUM})\s*个\s*月|(\d+|a|one|two|three|six|twelve)\s+months?\b", re.I), 30),
)
_DAY_WORDS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"(这|本|上|近|过去|最近|前)一?(个)?(周|星期|礼拜)|(this|last|past|previous) week", re.I), 7),
    (re.compile(r"(这个|本|上个|上|近一个|最近一个|过去一个)月|(this|last|past|previous) month", re.I), 30),
    (re.compile(r"季度|quarter", re.I), 90),
    (re.compile(r"fortnight|半个月", re.I), 14),
    (re.compile(r"昨天|昨日|yesterday|今天|today", re.I), 1),
)
_PAIR = re.compile(r"(?<![咱他她])[俩仨]个?")  # not 咱俩, 他俩: the two of us, of them
# a Chinese numeral that counts something (三万, 两千, 十四天, 三点五, 八五折); "一下" or "一样" stay words
_CN_QUANTITY = re.compile(r"(?<![\d.])([零一二两三四五六七八九十]+(?:点[零一二三四五六七八九]+)?)"
                          r"(?=\s*(?:万|千|百|天|日|周|星期|礼拜|个|条|版|折|成|倍|块|元|%))|"
                          r"(?<=投产)比?([零一二两三四五六七八九十]+(?:点[零一二三四五六七八九]+)?)(?![万千百])")
# "投产比不低于三", "roi做到四": a ROI written in words, after the word and what the merchant asks of it
_CN_ROI = re.compile(r"((?:投产比?|(?<![a-z])roi|(?<![a-z])roas)\s*(?:要|得|需要|必须)?\s*"
                     r"(?:不低于|至少|达到|做到|到|保|不少于|最低|高于|大于|在)\s*)"
                     r"([零一二两三四五六七八九十]+(?:点[零一二三四五六七八九]+)?)(?![万千百])", re.I)
_EN_QUANTITY = re.compile(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|fifty)\b"
                          r"(?=\s*(?:percent|%|days?\b|weeks?\b|months?\b|(?:more |new |different |alternative )?"
                          r"(?:(?:video|product|detail|details|listing) ){0,2}"
                          r"(?:titles?\b|drafts?\b|options|versions?\b|variants|ideas|scripts?\b|alternatives|"
                          r"headlines?\b|pages?\b|"
                          r"candidates|selling points|descriptions|captions|slogans|taglines))|"
                          r"\s*[.!?]?\s*$)|(?:(?<=give me )|(?<=gimme )|(?<=need ))(one|two|three|four|five|six|"
                          r"seven|eight|nine|ten)\b", re.I)
# a unit ends the number ("1万roi 3" is 10000 and a ROI); a bare number may not run into letters ("3x", "S12")
_MONEY = re.compile(rf"([¥$])?\s*({MONEY_NUM})\s*(万|w|千|k|百)?\s*(元|块|yuan|rmb)?(?:(?<=[万千百元块])|"
                    rf"(?![A-Za-z0-9]))",
                    re.I)
# 一万五 = 1.5万, 两千五 = 2.5千: a bare digit after the unit is the next place down
_UNIT_TAIL = re.compile(r"(\d+)\s*(万|千)\s*([1-9一二两三四五六七八九])(?![\d.万千百十%天日])")  # 1万1天: a day
# 两万五一天 is 25,000 a day: the 一 of 一天 / 一日 is the day's, not more digits of the tail (it read 五一 as 51)
_TAIL_PER_DAY = re.compile(r"(?<=[万千])\s*([1-9一二两三四五六七八九])(?=一(?:天|日))")
_SHARE = rf"({NUM})\s*(?:%|个点|个百分点|percent)"
# "top 10", "前3", "列前8条": a count of items to show; not 前3天 / 前一周, which are periods
_TOP = re.compile(r"(?:\btop|前|best|worst|bottom)\s*(\d+|[一二两三四五六七八九十]{1,2})(?![\d.]|\s*(?:天|日|周|星期|"
                  r"礼拜|个?月|"
                  r"年|名?次|行|rows?|days?|weeks?|months?))", re.I)


def _limit(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(alternatives), re.I)


def _unit_days(unit: str) -> int:
    """天/day 1, 周/星期/礼拜/week 7, 月/month 30."""
    first = unit.lower()[0]
    return 7 if first in "周星礼w" else 30 if first in "月m" else 1


def _weeks_or_days(match: re.Match[str]) -> int:
    number, unit = [group for group in match.groups() if group][:2]
    return int(number) * _unit_days(unit)


# limits a merchant puts on a plan, read before any other number: "单品不低于 2.5" is no budget
_LIMITS: tuple[tuple[str, re.Pattern[str], object], ...] = (
    ("min_roi_per_sku", _limit(
        rf"(?:单品|单个|每个|每款)\s*(?:sku|商品|款)?[^0-9]{{0,8}}?(?:不低于|至少|别低于|不能低于|最低)\s*"
        rf"(?:要|得|为|是)?\s*({NUM})",
        rf"(?:单品|单个|每个|每款|每个sku|每个商品|每个品)\s*(?:sku|商品|款|品)?\s*(?:的)?\s*(?:投产比?|"
        rf"roi)?\s*(?:都)?\s*"
        rf"(?:要|得|需要|必须)?\s*(?:不低于|至少|别低于|不能低于|最低|最少|不少于|达到|到|高于|大于|>=?)\s*({NUM})",
        rf"(?:单品|单个|每个|每款)\s*(?:sku|商品|款|品)?\s*(?:的)?\s*(?:投产比?|roi)\s*({NUM})\s*(?:以上|起|打底)",
        rf"(?:no|any|each|every|per)\s+(?:single\s+)?(?:sku|product|item)[^0-9]{{0,16}}?"
        rf"(?:below|under|at least|above|of at least|minimum of|min(?:imum)?|floor of|"
        rf">=?)\s*(?:(?:an?\s+)?roi\s*(?:of\s*)?)?({NUM})",
        rf"(?:no|any|each|every|per)\s+(?:single\s+)?(?:sku|product|item)[^0-9]{{0,24}}?({NUM})\s*(?:minimum|min|"
        rf"at least|"
        rf"or (?:more|better|above|higher))",
        rf"(?:min(?:imum)?|floor)\s+(?:roi\s+)?per[- ](?:sku|product|item)\s*(?:roi\s*)?(?:of|at|=|:)?\s*({NUM})",
        rf"per[- ](?:sku|product|item)\s+(?:roi\s+)?(?:floor|min(?:imum)?)\s*(?:of|at|=|:)?\s*({NUM})"),
     lambda m: float(_first(m))),
    ("horizon_days", _limit(rf"(?:接下来|未来|后面|(?:国庆|十一|双十一|双11|双12|618|大促|活动)(?:期间|那)?)\s*"
                            rf"(\d+|{CN_NUM})\s*(?:个)?\s*(天|日|周|星期|礼拜|月)",
                            r"(?:next|coming)\s+(\d+)\s*(days?|weeks?|months?)"),
     lambda m: _int(m.group(1) or m.group(3)) * _unit_days(m.group(2) or m.group(4))),
    ("min_margin", _limit(rf"毛利率?\s*(?:要|得|必须|需要)?\s*(?:别|不要|不能|不得)?\s*"
                          rf"(?:低于|少于|至少|底线|不少于|不低于|最少|最低|起码|保持|保住|守住|高于|大于)\s*"
                          rf"(?:保|要|得|在|是|为|保持|保住|守住|留|留出|留够|留住)?\s*(?:在)?\s*{_SHARE}",
                          rf"毛利率?\s*(?:要|得|必须|需要)?\s*(?:留|留出|留够|留住|保|保持|保住|守住)\s*(?:至少|最少|起码)?\s*"
                          rf"{_SHARE}",
                          rf"(?:至少|最少|起码|不低于|不少于|留|留出|留够|保|保住|守住)\s*{_SHARE}\s*(?:的)?\s*(?:以上)?\s*(?:的)?\s*毛利",
                          rf"(?:at least|a minimum of|minimum of|no less than|not (?:below|under) )\s*{_SHARE}\s*"
                          rf"(?:gross\s+)?margins?",
                          rf"(?:keep|hold|protect|maintain|leave|with)\s+(?:a\s+)?{_SHARE}\s*(?:gross\s+)?margins?",
                          rf"毛利率?\s*{_SHARE}\s*(?:以上|起|打底|是底线|为底线|的底线)",
                          rf"(?:保|守住|保住)\s*(?:住)?\s*{_SHARE}\s*(?:的)?\s*毛利",
                          rf"min(?:imum)?\.?\s+(?:gross\s+)?margins?\s*(?:of|at|=|:|is)?\s*{_SHARE}",
                          rf"margins?\s*(?:floor|minimum|min)\s*(?:of|at|=|:|is)?\s*{_SHARE}",
                          rf"margins?\s*(?:>=|≥|=>|of at least|at least|no less than|not below)\s*{_SHARE}",
                          rf"(?:keep|hold|protect|maintain)\s+(?:the\s+|a\s+|our\s+)?(?:gross\s+)?margins?\s*"
                          rf"(?:at|above|over|of)?\s*(?:least\s*)?{_SHARE}",
                          rf"margins?\s*(?:of\s*)?(?:at least|above|no lower than|not below)\s*{_SHARE}",
                          rf"margins?[^0-9%]{{0,24}}?{_SHARE}\s*or (?:more|above|higher)",
                          # "don't go below 30% margin", "never under a 25% margin"
                          rf"(?:not|n't|never|no)\s+(?:go\s+|drop\s+|fall\s+|let\s+it\s+(?:go|drop|fall)\s+)?"
                          rf"(?:below|under|lower than|less than)\s*(?:a\s+)?{_SHARE}\s*(?:gross\s+)?margin"),
     lambda m: float(_first(m)) / 100),
    ("max_change", _limit(
        rf"(?:调价|改价|价格|调整|变动|幅度|调幅)[^0-9%]{{0,8}}?(?:不超过|别超过|不要超过|最多|以内)\s*{_SHARE}",
        rf"cap(?:ped)?\s+(?:\w+\s+){{0,2}}?at\s*{_SHARE}",
        rf"(?:调价|改价|价格|调整|变动|幅度|调幅|涨跌|涨降)[^0-9%]{{0,8}}?(?:控制在|上限|不能超|不超|最大)\s*{_SHARE}",
        rf"(?:单次|每次|一次|每个|单品)\s*(?:调价|改价|调整|变动|涨跌|调)?[^0-9%]{{0,6}}?(?:不超过|别超过|最多|以内|"
        rf"控制在|上限)\s*{_SHARE}",
        rf"max(?:imum)?\.?\s+(?:price\s+)?(?:change|move|step|adjustment|swing|shift)s?\s*(?:of|at|=|:|is)?\s*{_SHARE}",
        rf"max(?:imum)?\.?\s*{_SHARE}\s*(?:price\s+)?(?:change|move|step|adjustment|swing|shift)",
        rf"(?:change|move|adjust)\w*\s+(?:\w+\s+){{0,3}}?(?:by\s+)?(?:at most|no more than|up to|within|"
        rf"max)\s*{_SHARE}",
        rf"(?:within|at most|up to)\s*{_SHARE}\s*(?:of\s+)?(?:(?:the|current)\s+)?(?:price\s+)?(?:change|move|"
        rf"either way|up or down)",
        rf"(?:最多|顶多|最多只|只|不超过|别超过)\s*(?:能)?\s*(?:动|调|改|变)\s*{_SHARE}",
        rf"{_SHARE}\s*以内", rf"(?:no|not|don'?t|never)\s+(?:\w+\s+){{0,4}}?more than\s*{_SHARE}"),
     lambda m: float(_first(m)) / 100),
    ("lead_time_days", _limit(
        r"(?:(?<![不没别])(?:补货|到货|交货|进货|备货)|交期|货期|生产周期|供应商|工厂|"
        r"(?<!no )(?<!not )(?<!without )(?<!never )(?:reorder|deliver|restock)|supplier|vendor|lead time)[^0-9]{0,24}?"
        r"(\d+)\s*(天|日|周|星期|days?|weeks?)",
        r"(\d+)\s*[- ]?(天|日|周|星期|days?|weeks?)\s*(?:的)?\s*(?:of\s+)?(?:lead[- ]?times?|补货期|补货周期|到货期|"
        r"交期|"
        r"货期|to (?:deliver|restock|arrive|come in))"), _weeks_or_days),
    ("confidence", _limit(rf"(?:有|要|需要|达到)?\s*{_SHARE}\s*(?:的)?\s*(?:把握|信心|置信|可信度|概率)",
                          rf"(?:把握|置信度?|信心|可信度)\s*(?:要|有|达到|在)?\s*{_SHARE}",
                          rf"{_SHARE}\s*(?:confidence|confident|sure|certain(?:ty)?)\b",
                          rf"(?:confidence|certainty)\s*(?:level\s*)?(?:of|at|=|:)?\s*{_SHARE}"),
     lambda m: float(_first(m)) / 100),
    ("stock_units", _limit(r"(?:只有|只剩|仅剩|剩下?|库存)\s*(\d+)\s*(?:件|个|套)",
                           r"(?:only\s+(?:has|have)|just)\s+(\d+)\s+units"), lambda m: int(_first(m))),
    ("max_rows", _limit(r"(?:给我|前|显示|返回)\s*(\d+)\s*(?:行|条)", r"(?:first|top|show|limit)\s+(\d+)\s+rows"),
     lambda m: int(_first(m))),
)
_TARGET_WORD = re.compile(r"(到|至|改成|改为|变成|调成|设为|\bto\b|\bat\b|\bof\b)\s*[¥$]?\s*$", re.I)


class Slots(BaseModel):
    """Everything the planner read from a question; None/empty = not mentioned."""

    model_config = ConfigDict(frozen=True)

    skus: list[str] = []
    percent: float | None = None  # signed: +10 = up 10%
    discount: float | None = None  # 八折 = -20 (percent)
    money: float | None = None  # yuan: a budget or a new price
    target_roi: float | None = None
    days: int | None = None
    start: date | None = None
    end: date | None = None
    compare: Literal["yoy"] | None = None
    objective: Literal["profit", "gmv"] | None = None
    creative_kind: str | None = None
    count: int | None = None
    quoted: str | None = None
    raw_sql: str | None = None
    stockout: bool = False
    stop_ads: bool = False  # the question stops the SKU's (or the shop's) full-site promotion
    about_budget: bool = False
    min_roi_per_sku: float | None = None  # "单品不低于 2.5", "no single SKU below 2.5"
    horizon_days: int | None = None  # "接下来 7 天", "for the next 7 days" of a promotion plan
    min_margin: float | None = None  # "毛利率别低于 25%": a share
    max_change: float | None = None  # "每次调价不超过 10%": a share
    lead_time_days: int | None = None  # "补货要 15 天", "takes 3 weeks to deliver"
    stock_units: int | None = None  # "只剩 200 件", "only has 200 units"
    max_rows: int | None = None  # "给我 50 行", "50 rows"
    changes: dict[str, str] = {}  # one question changing price and budget: {"price": "199", "budget": "+100%"}
    per_sku: dict[str, dict[str, str]] = {}  # each SKU its own change: {"price": {"S041": "+15%"}, "budget": {...}}
    category: str | None = None  # "护肤品的", "for skincare": the category some ad-law rules depend on
    platform: str | None = None  # "抖音上发", "for tmall": the platform whose rules the copy must also meet
    confidence: float | None = None  # "有九成把握就行", "90% confidence is fine": a plan's stated confidence
    price_added: float | None = None  # "涨3块钱", "5 bucks cheaper": yuan on top of today's price, signed
    day: date | None = None  # one day: 昨天 (the data's last day), 前天, 9月28号, 9.25, Sep 27, 2026-09-20
    top: int | None = None  # "top 10", "前3", "列前8条": how many items a list or report shows
    objective_implied: bool = False  # the objective was read from a margin floor alone, not asked for

    def merged(self, newer: Slots) -> Slots:
        """These slots updated by a follow-up's: whatever the follow-up names replaces the old value."""
        changes = {name: getattr(newer, name) for name in type(newer).model_fields
                   if getattr(newer, name) not in (None, [], False)}
        if newer.objective_implied and self.objective is not None:
            changes.pop("objective", None)
            changes.pop("objective_implied", None)
        if "days" in changes or "day" in changes or "start" in changes:
            changes.update(start=newer.start, end=newer.end, day=newer.day,
                           days=newer.days if "day" not in changes or "days" in changes else None)
        if "percent" in changes:
            changes["discount"] = None
        return self.model_copy(update=changes)


def cjk(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


_SQL_START = re.compile(r"select\s|with\s+\w+\s+as\s*\(", re.I)  # not "with a 10 day lead time"


def parse_slots(text: str, *, original: str | None = None, today: date | None = None) -> Slots:
    """Read every slot from NFKC-normalised text; copy to check is taken from the `original` words as written,
    and dates without a year are the latest such dates up to `today` (the data's last day)."""
    values: dict[str, object] = {}
    raw = re.sub(r"^\s*sql\s*:\s*|```(sql)?", "", text, flags=re.I).strip()
    statement = re.search(r"(?<![a-z])((?:select\s|with\s+\w+\s+as\s*\()[^，。；\n]*)", raw, re.I)
    if _SQL_START.match(raw) or (statement and re.search(r"\bfrom\b", statement.group(1), re.I)):
        rows = _LIMITS[-1][1].search(text)
        return Slots(raw_sql=(raw if _SQL_START.match(raw) else statement.group(1)).strip(),
                     max_rows=int(_first(rows)) if rows else None)
    written = original or text
    pieces = [_first(found).strip() for found in _PAIRED.finditer(written)] or [
        _first(found).strip() for found in _PAIRED.finditer(text)]
    quoted = _QUOTED.search(written) or _QUOTED.search(text)
    if pieces:  # '写"抗皱""美白"会被罚吗': every quoted piece is copy to check
        values["quoted"] = " ".join(pieces)
    elif quoted:
        values["quoted"] = _first(quoted).strip()
    elif ":" in text or "——" in text or " — " in text:  # the copy after the colon or dash, as written (a
        # full-width comma stays one): "卖点文案过下审核——100%纯羊毛…", "check this — best wool ever"
        written = original if original and re.search(r"[:：]|——| — ", original) else text
        values["quoted"] = re.split(r"[:：]|——| — ", written, maxsplit=1)[1].strip()
    elif _CAN_WRITE.search(original or text):
        values["quoted"] = _CAN_WRITE.search(original or text).group(1).strip()
    elif _NAMED_WORDS.search(original or text):  # "标题里写最好用三个字会被判极限词吗": the words it counts out
        values["quoted"] = _NAMED_WORDS.search(original or text).group(1).strip()
    elif _AFTER_QUESTION.search(original or text):  # "will this get flagged? 顶级奢华 独一无二": the copy after the ask
        values["quoted"] = _AFTER_QUESTION.search(original or text).group(1).strip()
    # numerals become digits only after the copy to check was taken verbatim; the rest reads digits
    text = _PAIR.sub(lambda match: {"俩": "两个", "仨": "三个"}[match.group(0)[0]], text)  # 俩脚本 = 两个脚本
    text = _TAIL_PER_DAY.sub(lambda match: f"{match.group(1)} ", text)
    text = _CN_QUANTITY.sub(lambda match: _cn_digits(match.group(1) or match.group(2)), text)
    text = _CN_ROI.sub(lambda match: match.group(1) + _cn_digits(match.group(2)), text)
    text = _EN_QUANTITY.sub(lambda match: str(EN_NUMBERS[_first(match).lower()]), text)
    text = _TENTHS_SHARE.sub(lambda match: f"{int(match.group(1)) * 10}%", text)  # 两成 = 20%, wherever it is
    text = _UNIT_TAIL.sub(lambda match: f"{match.group(1)}.{CN_DIGITS.get(match.group(3), match.group(3))}"
                                        f"{match.group(2)}", text)
    work = text
    if today is not None:
        work, start, end = _take_yearless_dates(work, today)
        if start is not None:
            values.update(start=start, end=end)
        work = _take_days(work, today, values)
    work = _take(work, _TOP, lambda m: values.setdefault("top", _int(m.group(1))))
    for name, pattern, read in _LIMITS:  # limits first: their numbers are not budgets, prices or changes
        work = _take(work, pattern, lambda m, name=name, read=read: values.setdefault(name, read(m)))
    work, dates = _take_dates(work)
    if dates and "start" not in values:
        values.update(start=min(dates), end=max(dates))
        if len(set(dates)) == 1:
            values.setdefault("day", dates[0])
    values["skus"] = list(dict.fromkeys(sku.upper() for sku in _SKU.findall(work)))
    values["per_sku"] = _per_sku(work, text)
    work = _SKU.sub(_blank, work)
    work = _take(work, _DISCOUNT, lambda m: values.setdefault("discount", -(10 - _discount_value(m.group(1))) * 10))
    values["changes"] = _price_and_budget(work, text)
    work = _take(work, _DOUBLE, lambda m: values.setdefault("percent", 100.0))
    work = _take(work, _PERCENT, lambda m: values.setdefault("percent", _signed(m, text)))
    work = _take(work, _TENTHS, lambda m: values.setdefault("percent", _signed(m, text, scale=10)))
    work = _take(work, _HALF, lambda m: values.setdefault(
        "percent", -50.0 if re.search(r"砍|减|降|腰斩|cut|halve|lower|reduce|drop", text, re.I) else 50.0))
    work = _PER_DAY.sub(_blank, work)
    work = _take(work, _ROI_RATIO, lambda m: values.setdefault("target_roi", float(_first(m))))
    work = _take(work, _ROI_BLENDED, lambda m: values.setdefault("target_roi", float(_first(m))))
    for pattern in (_ROI_AFTER, _ROI_BEFORE):  # "投产比 3.5" first: in "预算 5000 roi 3" the 5000 is no ROI
        if "target_roi" not in values:
            work = _take(work, pattern, lambda m: values.setdefault("target_roi", float(_first(m))),
                         group=1 if pattern is _ROI_AFTER else 0)
    work = _take(work, _COUNT, lambda m: values.setdefault("count", _int(_first(m))))
    for pattern, scale in _DAY_PATTERNS:
        work = _take(work, pattern, lambda m, scale=scale: values.setdefault("days", _int(_first(m)) * scale))
    for pattern, days in _DAY_WORDS:
        if "days" not in values and pattern.search(work):
            values["days"] = days
    work = _take(work, _YUAN_CHANGE, lambda m: values.setdefault("price_added", _yuan_change(m)))
    money = _money(work)
    if money is not None:
        over = next((days for pattern, days in _BUDGET_OVER if pattern.search(text)), 1)
        values["money"] = round(money / over, 2)  # "一周预算7w": 10,000 a day, the rate a plan takes
    low = text.lower()
    if re.search(r"同比|去年|year[- ]over[- ]year|\byoy\b|y/y|last (year|yr)|a year (ago|before)", low):
        values["compare"] = "yoy"
    objective = _OBJECTIVE.search(work.lower()) or _OBJECTIVE.search(low)
    if objective:
        values["objective"] = "profit" if objective.group(1) else "gmv"
        # only a margin floor named it ("毛利率别低于20%"): a follow-up adding that floor keeps the last objective
        values["objective_implied"] = not _OBJECTIVE.search(work.lower())
    for pattern, kind in ((r"标题|title", "title"), (r"卖点|selling point", "selling_points"),
                          (r"详情|detail|description", "detail"), (r"视频|脚本|video|script", "video_script")):
        if re.search(pattern, low):
            values["creative_kind"] = kind
            break
    for pattern, category in _CATEGORIES:
        if re.search(pattern, low):
            values["category"] = category
            break
    platform = _PLATFORM.search(low)
    if platform:
        values["platform"] = next(name for name, found in zip(_PLATFORMS, platform.groups(), strict=True) if found)
    values["stockout"] = bool(STOCKOUT.search(low))
    values["stop_ads"] = bool(STOP_ADS.search(low))
    values["about_budget"] = bool(re.search(r"预算|budget|推广|ad spend|投放|promo", low))
    return Slots(**values)


_OBJECTIVE = re.compile(r"(利润|毛利|赚|profit|margin)|(gmv|销售额|冲量|营业额|revenue|\bsales\b|volume|走.{0,2}量|"
                        r"跑量|冲.{0,2}销量|上量|多卖|sell more|more units)")
_CATEGORIES = ((r"保健品|保健食品|蓝帽子|supplement|health food", "health_food"),
               (r"食品|零食|茶叶|饮料|冲饮|软糖|(?<![a-z])food(?![a-z])|snack|gummies|(?<![a-z])tea(?![a-z])|"
                r"beverage", "food"),
               (r"医疗器械|药品|medical device|pharmacy", "medical"),
               (r"化妆品|美妆|面霜|cosmetic", "cosmetics"),  # the same rules as skincare (tools/data/ad_law.toml)
               (r"护肤|精华|乳液|爽肤水|眼霜|skincare|skin care|serum|face cream|moisturi[sz]er|toner",
                "skincare"), (r"彩妆|口红|粉底|makeup", "makeup"),
               (r"连衣裙|dress", "dress"),
               (r"外套|夹克|羽绒服|棉服|冲锋衣|大衣|jacket|down coat|parka", "jacket"),
               (r"t恤|短袖|t-shirt|tshirt", "tshirt"),
               (r"裤|pants|trousers", "pants"), (r"针织|毛衣|knitwear|sweater", "knitwear"),
               (r"枕头|床品|家纺|家居|pillow|bedding|homeware", "home"))
# "涨3块钱", "便宜5元", "price up 5 bucks", "5 yuan cheaper": a change in yuan, not a new price of 3 or 5 ("降到5元"
# is a new price: 到 follows the verb)
_YUAN = r"(?:块钱?|元|bucks?|yuan|rmb|kuai)"
_YUAN_CHANGE = re.compile(
    rf"(?P<verb>涨|降|加|减|贵|便宜|提|上调|下调|raise[ds]?|increase[ds]?|up|cut|lower|drop|down|reduce[ds]?)"
    rf"(?:\s*(?:价|价格|了|the price|price|it|by))*\s*[¥$]?\s*(?P<value>{NUM})\s*{_YUAN}(?![/每])|"
    rf"[¥$]?\s*(?P<after>{NUM})\s*{_YUAN}\s*(?P<way>more|cheaper|less|off|higher|lower|up|down)\b", re.I)


def _yuan_change(match: re.Match[str]) -> float:
    if match["verb"]:
        return (1 if UP.fullmatch(match["verb"]) or match["verb"].lower().startswith(("raise", "increase"))
                else -1) * float(match["value"])
    return (1 if match["way"].lower() in ("more", "higher", "up") else -1) * float(match["after"])


# the platform a piece of copy is for, by the names the ad-law lexicon knows (tools/data/ad_law.toml)
_PLATFORMS = ("douyin", "kuaishou", "tmall", "taobao")
_PLATFORM = re.compile(r"(抖音|抖店|douyin|tiktok)|(快手|kuaishou)|(天猫|tmall)|(淘宝|taobao)", re.I)
_PRICE_WORD = re.compile(r"价|卖|price", re.I)
_PRICE_VERB = re.compile(r"降到|涨到|卖|定成|priced at|sells? (?:at|for)", re.I)
_BUDGET_WORD = re.compile(r"预算|推广|budget|promo|ad spend", re.I)
# "budget x2", "2倍预算": doubled; not 2倍投产, a ROI of 2
_DOUBLE = re.compile(r"翻倍|翻一倍|加倍|加一倍|double[ds]?|twice|[x×]\s*2(?![\d.])|"
                     r"(?<![\d.])(?:2|两)\s*倍(?!\s*的?\s*(?:投产|roi|roas))", re.I)
_NEW_VALUE = re.compile(rf"(?:改成|改为|调到|调成|降到|涨到|提到|加到|拉到|减到|砍到|涨价到|降价到|提价到|卖|定成|"
                        rf"priced at|"
                        rf"price (?:it )?at|sells? (?:at|for)|to|"
                        rf"(?:budget|price|预算|价格|售价)\s*(?:at|of|is|=|:|为|是)?)"
                        rf"\s*[¥$]?\s*({MONEY_NUM})(?![\d%.])", re.I)


def _price_and_budget(work: str, text: str) -> dict[str, str]:
    """'cut S016's price by 5% and raise its promo budget 30%', 'S019 at 199 and its budget doubled': each change
    goes with the nearest price or budget word before it; empty unless the question changes both."""
    found: list[tuple[int, str]] = [(match.start(), f"{_signed(match, text):+g}%") for match in _PERCENT.finditer(work)]
    found += [(match.start(), "+100%") for match in _DOUBLE.finditer(work)]
    found += [(match.start(), "-50%") for match in _HALF.finditer(work)]
    found += [(match.start(1), f"{float(match.group(1).replace(',', '')):g}") for match in _NEW_VALUE.finditer(work)]
    kinds: dict[str, str] = {}
    for match in _DISCOUNT.finditer(text):  # 打八五折 is a price change whatever word is near it
        kinds.setdefault("price", f"{-(10 - _discount_value(match.group(1))) * 10:+g}%")
    for start, change in sorted(found):
        before = work[:start + 2]
        words = list(_PRICE_WORD.finditer(before)) + list(_BUDGET_WORD.finditer(before))
        nearest = max(words, key=lambda word: word.end(), default=None)
        if nearest is None and _PRICE_VERB.search(work[max(0, start - 12):start]):
            kinds.setdefault("price", change)  # "S040降到59": a new price needs no price word
        elif nearest is not None:
            kinds.setdefault("budget" if nearest.re is _BUDGET_WORD else "price", change)
    return kinds if len(kinds) == 2 else {}


def _per_sku(work: str, text: str) -> dict[str, dict[str, str]]:
    """'S040 ad spend down to 500/day, and S041 price +15%': the change written after each SKU goes with it;
    empty unless two or more SKUs each have their own change."""
    found = list(_SKU.finditer(work))
    if len(found) < 2:
        return {}
    result: dict[str, dict[str, str]] = {}
    for at, match in enumerate(found):
        end = found[at + 1].start() if at + 1 < len(found) else len(work)
        change = _segment_change(work[match.end():end], text, match.end(), end)
        if change is None:
            return {}
        kind, value = change
        result.setdefault(kind, {})[match.group(0).upper()] = value
    return result


def _segment_change(segment: str, text: str, start: int, end: int) -> tuple[str, str] | None:
    """The one change text[start:end] (working copy: `segment`) makes: (price|budget|stock, value)."""
    kind = "budget" if _BUDGET_WORD.search(segment) else "price"
    if STOCKOUT.search(segment):
        return "stock", "0"
    percent = _PERCENT.search(text, start, end) if _PERCENT.search(segment) else None
    if percent:
        return kind, f"{_signed(percent, text):+g}%"
    discount = _DISCOUNT.search(segment)
    if discount and kind == "price":
        return kind, f"{-(10 - _discount_value(discount.group(1))) * 10:+g}%"
    if _DOUBLE.search(segment):
        return kind, "+100%"
    if _HALF.search(segment):
        return kind, "-50%"
    value = _NEW_VALUE.search(segment) or _AT_VALUE.search(segment)  # "S041 at 89 and S042 at 99"
    return (kind, f"{float(value.group(1).replace(',', '')):g}") if value else None


_AT_VALUE = re.compile(rf"^\s*(?:at|@)\s*[¥$]?\s*({MONEY_NUM})(?![\d%.])", re.I)


def _take(text: str, pattern: re.Pattern[str], use, group: int = 0) -> str:
    """Apply `use` to every match of `pattern` and blank the matched part (or one group) out of the text."""
    def blank(match: re.Match[str]) -> str:
        use(match)
        start, end = match.span(group)
        whole_start = match.start()
        inner = match.group(0)
        return inner[:start - whole_start] + " " * (end - start) + inner[end - whole_start:]
    return pattern.sub(blank, text)


def _take_dates(text: str) -> tuple[str, list[date]]:
    dates: list[date] = []
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            try:
                dates.append(date(int(match.group(1)), int(match.group(2)), int(match.group(3))))
            except ValueError:
                continue
        text = pattern.sub(_blank, text)
    return text, dates


MONTHS = {name: number for number, names in enumerate(
    ("jan january", "feb february", "mar march", "apr april", "may", "jun june", "jul july", "aug august",
     "sep sept september", "oct october", "nov november", "dec december"), start=1) for name in names.split()}
_EN_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_YEARLESS_RANGES = (
    # 10号到20号: days of the latest month that has them
    re.compile(r"(?<![\d.月/])()(\d{1,2})\s*[号日]\s*(?:到|至|-|~|—)\s*()(\d{1,2})\s*[号日](?![\d报])"),
    # 9.1到9.15, 9月1日到9月15日, 9/1-9/15: month.day to month.day
    re.compile(r"(?<![\d.])(\d{1,2})[./月](\d{1,2})[日号]?\s*(?:到|至|-|~|—|"
               r"to)\s*(?:(\d{1,2})[./月])?(\d{1,2})[日号]?(?![\d.])"),
    # Jun 1 - Jun 20, June 1 to 20
    re.compile(rf"\b({_EN_MONTH})\.?\s+(\d{{1,2}})\s*(?:-|–|to|through|and|until|till|"
               rf"~)\s*(?:({_EN_MONTH})\.?\s+)?(\d{{1,2}})\b", re.I),
    # between the 1st and the 15th, the 3rd to the 9th: days of the latest month that has them
    re.compile(r"(?:\bthe\s+)?()(\d{1,2})(?:st|nd|rd|th)\s*(?:-|–|to|through|and|until|till|~)\s*(?:the\s+)?()"
               r"(\d{1,2})(?:st|nd|rd|th)\b", re.I),
)
# 9月上旬 (1-10), 中旬 (11-20), 下旬 (21 to the month's end); a bare 上旬 is the data's last month's
_DEKAD = re.compile(r"(?:(?<![\d年])(\d{1,2})\s*月份?\s*|(?<![\d月]))(上|中|下)旬")
_YEARLESS_MONTH = re.compile(rf"(?<![\d年])(\d{{1,2}})\s*月份?(?!\s*\d)|\b(?:in\s+)?({_EN_MONTH})\b(?!\s*\d)", re.I)


def _take_yearless_dates(text: str, today: date) -> tuple[str, date | None, date | None]:
    """A day range or a whole month written without a year: the latest such dates up to `today`."""
    for pattern in _YEARLESS_RANGES:
        match = pattern.search(text)
        if match:
            first_month, first_day, last_month, last_day = match.groups()
            if not first_month:  # 10号到20号: this month's, or the month before when they are still to come
                month = today.month if int(last_day) <= today.day else (today.month - 2) % 12 + 1
                first_month = last_month = str(month)
            first_month = _month_number(first_month)
            last_month = _month_number(last_month) if last_month else first_month
            start, end = _latest(today, first_month, int(first_day)), _latest(today, last_month, int(last_day))
            if start is not None and end is not None:
                if start > end:  # Dec 20 - Jan 5 runs over the new year
                    start = start.replace(year=start.year - 1)
                return text[:match.start()] + " " * len(match.group(0)) + text[match.end():], start, end
    match = _DEKAD.search(text)
    if match:
        month = int(match.group(1)) if match.group(1) else today.month
        first = _latest(today, month, 1) if 1 <= month <= 12 else None
        if first is not None:
            following = date(first.year + (month == 12), month % 12 + 1, 1)
            last = {"上": first.replace(day=10), "中": first.replace(day=20),
                    "下": following - timedelta(days=1)}[match.group(2)]
            start = first.replace(day={"上": 1, "中": 11, "下": 21}[match.group(2)])
            if start <= today:
                return text[:match.start()] + " " * len(match.group(0)) + text[match.end():], start, min(last, today)
    match = _YEARLESS_MONTH.search(text)
    if match:
        month = _month_number(match.group(1) or match.group(2))
        start = _latest(today, month, 1)
        if start is not None:
            following = date(start.year + (month == 12), month % 12 + 1, 1)
            end = min(following.fromordinal(following.toordinal() - 1), today)
            if _SINCE_BEFORE.search(text[:match.start()]) or _SINCE_AFTER.match(text, match.end()):
                end = today  # "since August", "8月以来": that month's first day to the data's last
            return text[:match.start()] + " " * len(match.group(0)) + text[match.end():], start, end
    return text, None, None


# the calendar week before this one (the data's last day is "yesterday"): not "比上周", which compares with it
_EN_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY = re.compile(r"(?:(上一?个?)|(这个?|本)|(?<![每隔]))(?:周|星期|礼拜)([一二三四五六日天])|"
                      r"\b(?:(last|since|from)\s+(?:last\s+)?|(?:on|for)\s+)"
                      r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)
# the days just before a sales festival, whose first day (month, day) ends them: 国庆前一周, 双11前3天
_HOLIDAYS = {"国庆": (10, 1), "十一": (10, 1), "国庆节": (10, 1), "双十一": (11, 11), "双11": (11, 11),  # looked up
             "双十二": (12, 12), "双12": (12, 12), "618": (6, 18), "nationalday": (10, 1),  # with spaces removed
             "goldenweek": (10, 1), "singlesday": (11, 11), "singles'day": (11, 11), "11.11": (11, 11), "6.18": (6, 18)}
_BEFORE_HOLIDAY = re.compile(
    r"(国庆节?|(?<!\d)十一(?!月)|双十一|双11|双十二|双12|(?<!\d)618(?!\d))\s*(?:前|之前|以前)\s*(?:的)?\s*"
    r"(最后[一1]天|那天|前?[一1]天|[一1]\s*(?:周|星期|个星期)|(\d+)\s*天)|"
    r"(?:the\s+)?(day before|eve of|week before)\s+(national day|golden week|singles'? day|11\.11|6\.18)", re.I)
_WEEKEND = re.compile(r"(上一?个?周末|\blast weekend\b|\bover the weekend\b|\bthe weekend\b)|"
                      r"(这个?周末|本周末|\bthis weekend\b)", re.I)
_COMPARED_WITH = re.compile(r"(?:跟|比|和|与|较|对比|相比|\bvs\.?|\bthan|\bto|\bwith|\bagainst)\s*(?:the\s+)?$", re.I)
_WEEK_BEFORE_LAST = re.compile(r"上上(?:个)?(?:周|星期|礼拜)|(?:the )?week before last", re.I)
_LAST_WEEK = re.compile(r"(?<![跟比和与较])(?:上一?个?(?:周|星期|礼拜)(?![一二三四五六日天末])|"
                        r"(?<!than )(?<!vs )(?<!vs\. )(?<!to )(?<!with )(?<!day )"
                        r"\b(?:last|previous|prior) (?:calendar )?week\b)(?![跟比])", re.I)
# calendar periods, "today" being the day after the data's last day: 上个月 / last month is the calendar month
# before today's (09-01..09-30 for data ending 09-30), 本月 / this month runs from the start of today's month to
# the data's last day; not "比上个月", which compares with it
_LAST_MONTH = re.compile(r"(?<![跟比和与较])上一?个?月(?!份?\s*\d|[底初中末])|(?<!than )(?<!vs )(?<!vs\. )(?<!to )"
                         r"(?<!with )\b(?:last|previous|prior) (?:calendar )?month\b", re.I)
_THIS_MONTH = re.compile(r"(?<![跟比和与较])(?:这一?个?月|本月|当月)(?!份?\s*\d|[底初中末])|"
                         r"\bthis (?:calendar )?month\b|month[- ]to[- ]date|\bmtd\b", re.I)
_ONE_DAY = (  # (pattern, days before the data's last day)
    (re.compile(r"大前天|three days ago", re.I), 2),
    (re.compile(r"前天|day before yesterday|2 days ago", re.I), 1),
    (re.compile(r"昨天|昨日|yesterday", re.I), 0),
)
# 9月28号, 9/25, Sep 27, 27 Sep, 28号; a bare 9.25 only where a day is meant (9.25 日报, 截至9.15)
_YEARLESS_DAY = (
    re.compile(r"(?<![\d./年])(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?(?![\d天])"),
    re.compile(r"(?<![\d./:])(\d{1,2})/(\d{1,2})(?![\d/%])"),
    re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})(?=\s*(?:号|日报|的?(?:日报|简报|报告|数据|那天|当天)|report|briefing))|"
               r"(?:截至|截止到?|as of|until|through|on|for)\s*(\d{1,2})\.(\d{1,2})(?![\d.%折倍万千kw])", re.I),
    re.compile(rf"\b({_EN_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b", re.I),
    re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_EN_MONTH})\b", re.I),
    re.compile(r"(?<![\d.月/])(\d{1,2})\s*号"),
    re.compile(r"\bthe (\d{1,2})(?:st|nd|rd|th)\b", re.I),  # "on the 25th": this month's
)


_SINCE_BEFORE = re.compile(r"(?:\bsince|\bstarting|\bfrom|自从?|从)\s*(?:the\s+)?$", re.I)
_SINCE_AFTER = re.compile(r"\s*(?:以来|至今|到现在|到今天|开始|起(?!来)|onwards?\b|till now|to date)", re.I)


def _take_days(work: str, today: date, values: dict[str, object]) -> str:
    """上周 / last week (the calendar week before the data's last week), 昨天 / 前天 / 9月28号 / Sep 27 (one day):
    read into `values` and blanked from the text."""
    if "start" not in values:
        week = _WEEK_BEFORE_LAST.search(work)
        if week and _COMPARED_WITH.search(work[:week.start()]):  # "上周跟上上周比": the week compared with, blanked;
            work = work[:week.start()] + " " * len(week.group(0)) + work[week.end():]  # 上周 before it is the period
            named = re.search(r"上一?个?(?:周|星期|礼拜)(?![一二三四五六日天])|\blast week\b", work[:week.start()],
                              re.I)
            if named and today.weekday() != 6:
                monday = today - timedelta(days=today.weekday() + 7)
                values.update(start=monday, end=monday + timedelta(days=6), days=7)
                work = work[:named.start()] + " " * len(named.group(0)) + work[named.end():]
        elif week:
            monday = today - timedelta(days=today.weekday() + 14)
            values.update(start=monday, end=monday + timedelta(days=6), days=7)
            work = work[:week.start()] + " " * len(week.group(0)) + work[week.end():]
        week = None if "start" in values else _LAST_WEEK.search(work)
        if week:
            monday = today - timedelta(days=today.weekday())
            if today.weekday() == 6:  # a Sunday is the end of its own week: "last week" is that one
                monday = today - timedelta(days=6)
                values.update(start=monday, end=today)
            else:
                values.update(start=monday - timedelta(days=7), end=monday - timedelta(days=1))
            values["days"] = 7
            work = work[:week.start()] + " " * len(week.group(0)) + work[week.end():]
    weekend = _WEEKEND.search(work) if "start" not in values else None
    if weekend:  # 上周末 / last weekend: the Saturday and Sunday before this week; 这周末 this week's, if begun
        saturday = today - timedelta(days=today.weekday()) + timedelta(days=5 - (7 if weekend.group(1) else 0))
        if saturday <= today:
            values.update(start=saturday, end=min(saturday + timedelta(days=1), today))
            work = work[:weekend.start()] + " " * len(weekend.group(0)) + work[weekend.end():]
    if "start" not in values:
        work = _take_calendar_period(work, today, values)
    holiday = _BEFORE_HOLIDAY.search(work)
    if holiday and "start" not in values and "day" not in values:  # 国庆前最后一天, 国庆前一周, the week before 618
        name, before, days = (holiday.group(1) or holiday.group(5), holiday.group(2) or holiday.group(4),
                              holiday.group(3))
        month, day = _HOLIDAYS[re.sub(r"\s", "", name.lower())]
        first = _latest(today + timedelta(days=1), month, day)  # the festival's latest start the data can precede
        eve = first - timedelta(days=1) if first is not None else None
        if eve is not None:
            span = 1 if re.search(r"[一1]天|那天|day before|eve", before, re.I) else (_int(days) if days else 7)
            if span == 1:
                values["day"] = eve
            else:
                values.update(start=eve - timedelta(days=span - 1), end=eve)
            return work[:holiday.start()] + " " * len(holiday.group(0)) + work[holiday.end():]
    weekday = _WEEKDAY.search(work)
    if weekday:  # 上周五, 这周一, last Friday: a day of a calendar week
        zh_last, zh_this, zh_day, en_last, en_day = weekday.groups()
        index = "一二三四五六日天".index(zh_day) if zh_day else _EN_DAYS.index(en_day.lower()[:3])
        monday = today - timedelta(days=today.weekday())
        if zh_day:
            chosen = monday + timedelta(days=min(index, 6) - (7 if zh_last else 0))
            if chosen > today and not zh_this:  # a bare 周五 still to come this week is last week's
                chosen -= timedelta(days=7)
        else:  # "last Friday": the latest Friday before the data's last day; "on Tuesday" the latest up to it
            chosen = today - timedelta(days=(today.weekday() - index) % 7 or (7 if en_last else 0))
        if chosen <= today:
            since = re.match(r"(?:since|from)\b", weekday.group(0), re.I)
            if since or _SINCE_BEFORE.search(work[:weekday.start()]) or _SINCE_AFTER.match(work, weekday.end()):
                values.setdefault("start", chosen)  # "since Monday", "周一以来": that day to the last
                values.setdefault("end", today)
            else:
                values.setdefault("day", chosen)
            return work[:weekday.start()] + " " * len(weekday.group(0)) + work[weekday.end():]
    for pattern, back in _ONE_DAY:
        found = pattern.search(work)
        if found:
            values.setdefault("day", today - timedelta(days=back))
            if back == 0:
                values.setdefault("days", 1)
            return work[:found.start()] + " " * len(found.group(0)) + work[found.end():]
    for at, pattern in enumerate(_YEARLESS_DAY):
        found = pattern.search(work)
        if not found:
            continue
        groups = [group for group in found.groups() if group]
        if at == 4:
            groups = groups[::-1]
        month, day = (today.month, int(groups[0])) if at >= len(_YEARLESS_DAY) - 2 else (
            _month_number(groups[0]), int(groups[1]))
        if not (1 <= month <= 12):
            continue
        written = _latest(today, month, day)
        if written is not None:
            if _SINCE_BEFORE.search(work[:found.start()]) or _SINCE_AFTER.match(work, found.end()):
                values.setdefault("start", written)  # "since the 20th", "9月20号以来": that day to the last
                values.setdefault("end", today)
            else:
                values.setdefault("day", written)
            return work[:found.start()] + " " * len(found.group(0)) + work[found.end():]
    return work


def _take_calendar_period(work: str, last_day: date, values: dict[str, object]) -> str:
    """上个月 / last month and 本月 / this month as calendar periods into `values`, blanked from the text; a month
    today has started that holds no data yet (data ending on a month's last day) is left to the 30 days it also
    means."""
    today = last_day + timedelta(days=1)
    month_start = today.replace(day=1)
    periods = ((_LAST_MONTH, (month_start - timedelta(days=1)).replace(day=1), month_start - timedelta(days=1)),
               (_THIS_MONTH, month_start, last_day))
    for pattern, start, end in periods:
        found = pattern.search(work)
        if found and start <= end:
            values.update(start=start, end=end, days=(end - start).days + 1)
            return work[:found.start()] + " " * len(found.group(0)) + work[found.end():]
    return work


def _month_number(written: str) -> int:
    return int(written) if written.isdigit() else MONTHS[written.lower().rstrip(".")]


def _latest(today: date, month: int, day: int) -> date | None:
    """The latest month/day on or before `today`."""
    try:
        candidate = date(today.year, month, day)
    except ValueError:
        return None
    return candidate if candidate <= today else candidate.replace(year=today.year - 1)


def _blank(match: re.Match[str]) -> str:
    """Spaces as long as the match: offsets into the working text stay offsets into the question."""
    return " " * len(match.group(0))


def _money(text: str) -> float | None:
    """A budget or price: numbers with 万/千/k or a currency word count; bare numbers under 50 are counts."""
    found: list[tuple[float, bool, int]] = []
    for match in _MONEY.finditer(text):
        currency, number, unit, word = match.groups()
        value = float(number.replace(",", "")) * UNIT_MULTIPLIER.get((unit or "").lower(), 1)
        marked = bool(currency or unit or word)
        if marked or value >= 50:
            targeted = bool(_TARGET_WORD.search(text[:match.start()]))
            found.append((value, targeted, match.start()))
    if not found:
        return None
    targeted = [value for value, is_target, _ in found if is_target]
    return targeted[-1] if targeted else max(value for value, _, _ in found)


def _signed(match: re.Match[str], text: str, scale: float = 1.0) -> float:
    """The percentage, negative when the nearest direction word before it (or else after it) says down."""
    written = match.group(1)
    value = float(CN_DIGITS.get(written, written)) * scale
    if written.startswith(("+", "-")):
        return value
    if _AFTER_DOWN.match(text, match.end()):
        return -value
    if _AFTER_UP.match(text, match.end()):
        return value
    before = list(UP.finditer(text[:match.start()])) + list(DOWN.finditer(text[:match.start()]))
    if before:
        nearest = max(before, key=lambda found: found.end())
        return -value if nearest.re is DOWN else value
    after_down, after_up = DOWN.search(text, match.end()), UP.search(text, match.end())
    if after_down and (not after_up or after_down.start() < after_up.start()):
        return -value
    return value


def _discount_value(written: str) -> float:
    """八折 -> 8, 八五折 / 85折 -> 8.5, 8.5折 -> 8.5."""
    if all(char in CN_DIGITS for char in written):
        written = "".join(str(CN_DIGITS[char]) for char in written)
    if len(written) == 2 and written.isdigit():
        return int(written) / 10
    return float(written)


def _cn_digits(written: str | None) -> str:
    """三 -> 3, 十四 -> 14, 三点五 -> 3.5, 八五 -> 85 (as in 八五折)."""
    if not written:
        return ""
    whole, _, fraction = written.partition("点")
    if "十" in whole or len(whole) == 1:
        digits = str(_int(whole))
    else:
        digits = "".join(str(CN_DIGITS[char]) for char in whole)
    return digits + ("." + "".join(str(CN_DIGITS[char]) for char in fraction) if fraction else "")


def _first(match: re.Match[str]) -> str:
    return next(group for group in match.groups() if group)


def _int(written: str) -> int:
    """12, 十四, 两, three -> an int."""
    if written.isdigit():
        return int(written)
    if written.lower() in EN_NUMBERS:
        return EN_NUMBERS[written.lower()]
    if "十" in written:
        tens, _, units = written.partition("十")
        return (CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (CN_DIGITS.get(units, 0) if units else 0)
    return CN_DIGITS.get(written, 1)
