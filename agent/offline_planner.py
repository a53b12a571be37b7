"""The offline model's reading of a question: which tools, in which order, with which arguments (zh and en).

A pure function of the text (and, for a follow-up like "那 S015 呢?", of the previous call). The learned intent
model (shopagent.intent) reads what kind of question it is; below its confidence the keyword families below
may settle it, else the answer is the closest readings as commands. Slot parsers pull SKU ids, percentages,
budgets (3万, 8千, 2k), ROI targets, dates and day counts out of the text, and the intent turns slots into the
tool's arguments. "先…再…" questions are split into steps, one call each, in order.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from shopagent.grounding import chinese_number
from shopagent.intent.data_query import data_query, names_data
from shopagent.planner_slots import STOCKOUT, Slots, cjk, parse_slots

Intent = Literal["diagnose", "promotion", "pricing", "assortment", "whatif", "creative_draft", "creative_check",
                 "sql", "data", "report", "schema", "stock", "reviews", "refused", "hostile", "fraud",
                 "false_compliance", "unsure", "unknown"]
INTENT_TOOL: dict[str, str] = {
    "diagnose": "diagnose", "promotion": "plan_promotion", "pricing": "plan_pricing",
    "assortment": "plan_assortment", "whatif": "whatif", "creative_draft": "creative_draft",
    "creative_check": "creative_check", "sql": "sql", "data": "sql", "stock": "sql", "reviews": "sql",
    "schema": "list_tables", "report": "daily_report",
}


def _words(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


# a statement starts SELECT or WITH name AS (: "with a 10 day lead time" is English, not a CTE
RAW_SQL = _words(r"^\s*(?:select\s|with\s+\w+\s+as\s*\()|```sql|^\s*sql\s*:|"
                 r"(跑|执行|运行|\brun\b|\bexecute\b)\s*(下|一下)?\s*(?:select\s|with\s+\w+\s+as\s*\()|"
                 r"(?<![a-z])select\s.+\sfrom\s")
SCHEMA = _words(r"哪些表|什么表|数据表|表结构|有哪些字段|\bschema\b|which tables|what tables|list (the )?tables|"
                r"table names")
# statements that change data, and attempts to rewrite the agent's instructions: refused, never run
_TABLES = (r"(?:main\.)?(?:products|orders|order_items|traffic|price_history|promotion_daily|inventory_daily|refunds|"
           r"competitor_prices|shop_scores|reviews|brand_profile)\b")
HOSTILE = _words(rf"\b(?:drop\s+table|delete\s+from|truncate(?:\s+table)?|insert\s+into|alter\s+table|update)\s+"
                 rf"(?:if\s+exists\s+)?{_TABLES}|^\s*drop\s+(?:table|database|schema|view)\s|"
                 r";\s*(?:drop|delete|truncate|insert|update|alter)\s|"
                 r"忽略(之前|上面|以上|前面)的?(所有)?(指令|规则|设定|要求)|系统提示(?!音)|忘(?:掉|记)你是|"
                 r"\bforget (?:that )?you(?:'re| are)\b|\byou are now (?:dan|an? )|\bdan\b.{0,20}\bmode\b|"
                 # getting round the platform's own checks: 绕过审核, 躲过平台检测, bypass the review filter
                 r"(?:绕过|绕开|规避|躲过|躲避|逃过|骗过)\S{0,8}(?:审核|检测|风控|过滤|稽查|平台|监管)|"
                 r"\b(?:bypass|evade|get around|circumvent|trick|fool)\b.{0,30}\b(?:filters?|detection|moderation|"
                 r"review(?:s| system)?|checks?|platform|taobao|tmall|algorithm)\b|"
                 r"\bhack(?:ing)?\b|\bddos\b|黑掉|黑进|入侵|攻击.{0,6}(?:店|网站|竞品|对手)|恶意(?:投诉|举报|差评)|"
                 r"ignore (all )?(the )?(previous|prior|above) (instructions|rules)|system prompt|"
                 r"disregard (the|all|your) (rules|instructions)|\bjailbreak")
# faking orders or reviews, praise or smears (刷单, 刷好评, 编差评, 差评师, fake reviews): refused whatever the
# rest of the question says
FRAUD = _words(r"刷单|刷\s*(?:\d+|[几一两三四五六七八九十百千万]+)\s*(?:个|波|些|笔)?\s*(?:单|订单)|"
               r"刷好评|刷差评|刷销量|刷流量|刷评|刷手|差评师|假好评|假评价|假评论|虚假交易|虚假评价|买粉|"
               r"好评返现|(?:编|造|捏造|伪造|代写)\S{0,10}(?:好评|差评|评价|评论|买家秀)|(?:写|弄|搞|来)\S{0,6}(?:五星|"
               r"5星)(?:好评|评价)|"
               r"(?:write|make up|invent|generate|create)\s+(?:me\s+)?(?:\d+\s+|some\s+|a few\s+)?(?:fake\s+)?"
               r"(?:5|five)[- ]star reviews|fake testimonials|"
               r"好评返现|\bfake (?:\w+ ){0,2}(?:reviews?|orders?|ratings?|sales|followers)|"
               r"brush(?:ing)? (?:orders|sales)|\bbuy (?:fake )?(?:reviews|followers|ratings)|astroturf")
# passing copy off as compliant without the ad-law check (就说它合规, 当作过审发出去, "say it's compliant"): refused;
# checking the copy is what shopagent offers instead
FALSE_COMPLIANCE = _words(r"(?:就说|说它|说这|就当|当作|当成|标成|标为|假装)\S{0,4}(?:是)?(?:合规|过审|合法)|"
                          # "你别查了，直接跟我说合规就行", "just tell me it's compliant, no need to check"
                          r"^(?=.*(?:合规|过审|合法|没问题|compliant|legal|approved))(?=.*(?:别查|不用查|不要查|无需查|"
                          r"不必查|别检查|不用检查|别审|不用审|no need to check|don'?t (?:bother )?(?:to )?check|"
                          r"without checking|skip the check))|"
                          r"\b(?:say|claim|pretend|mark|label)\b.{0,12}\b(?:it'?s|it is|as|that it'?s)\s+"
                          r"(?:compliant|legal|approved)\b")
# requests to change or delete the shop's data ("把S003的库存改成500", "delete last month's refunds"): shopagent
# only reads; a what-if ("...会怎样") or a plan is another matter
_DATA_NOUN = (r"(?:库存|成本|价格|售价|原价|订单|评价|评论|差评|好评|数据|记录|销量|退款|退货|访客|流量|分数|评分|"
              r"体验分|dsr|"
              r"stock|inventory|cost|price|orders?|reviews?|records?|data|refunds?|sales|scores?|rows?)")
MODIFY = _words(rf"(?:把|将|给我把|帮我把).{{0,24}}{_DATA_NOUN}.{{0,12}}(?:改成|改为|改到|设为|设成|调成|"
                r"改高|改低|刷高|删掉|删了|删除|清空|清零|抹掉)|"
                rf"(?:改一下|改下|修改|更改|篡改)(?:一下)?.{{0,16}}{_DATA_NOUN}.{{0,4}}(?:为|成|到|改成)\s*\d|"
                rf"(?:删掉|删除|清空|清零|抹掉|删了).{{0,24}}{_DATA_NOUN}|{_DATA_NOUN}.{{0,6}}(?:删掉|删了|删除|清空|"
                rf"清零)|"
                rf"^\s*(?:please\s+|can you\s+|could you\s+)?(?:update|delete|erase|wipe|modify|edit|"
                rf"overwrite)\b(?!\s+(?:me|us)\b).{{0,40}}{_DATA_NOUN}|"
                r"^\s*(?:please\s+|pls\s+|can you\s+|could you\s+)?(?:set|change|make|put)\b.{0,30}"
                r"\b(?:prices?|budgets?|stock)\b.{0,10}\bto\s*[¥$]?\s*\d")
# a question for numbers the data holds as they are (spend, channels, shop scores, rivals' prices): a query,
# read before the promotion and pricing families that share its words
DATA_ASK = _words(r"花了多少|花费多少|烧了多少|各渠道|分渠道|渠道分布|竞品.{0,8}(?:价|卖多少)|对手.{0,4}(?:价|卖多少)|"
                  r"\bdsr\b|店铺评分|体验分|how much did (?:we|i) spend|spent on|by channel|per channel|"
                  r"competitors?'? prices?|(?:competitors?|rivals?) (?:are )?(?:charg|sell)|"
                  r"(?:shop|store)(?:'s)? (?:scores?|ratings?|dsr)|"
                  # "上周卖了多少件", "gmv是多少", "what's the average order value": a number the data holds
                  r"卖了多少|卖出多少|卖了几|多少件|客单价|(?:gmv|销售额|营业额|销量|访客|转化率|退款率|"
                  r"加购)\S{0,4}(?:是|有)多少|"
                  r"how many (?:units|pieces|items|visitors)|units sold|"
                  # "S015 的退款记录", "list refunds over 500 yuan": the rows themselves
                  r"(?:退款|退货|订单|评价|调价|改价|价格|库存)(?:记录|明细|列表|清单)|"
                  r"refund (?:records|details|list)|(?:list|show)(?: me)? (?:the |all |our )?refunds|"
                  # "S003和S004谁卖得好", "what's my best selling product": a ranking the data holds
                  r"(?:谁|哪个|哪款|哪一个)卖得?(?:更)?(?:好|多|最好|最多)|最畅销|卖得最好的|"
                  r"which (?:one |of them )?(?:sells?|sold|is selling) (?:better|more|best|most)|"
                  r"best[- ]sell(?:ing|ers?)|top[- ]sell(?:ing|ers?)|"
                  r"\b(?:top|best|worst|bottom)\s*\d+\s+(?:skus|products|items|sellers|listings)\b|"
                  # "S017退款原因都是啥", "哪些款毛利最低", "S031是什么商品": reasons, margins, the catalogue
                  r"(?:退款|退货)的?(?:原因|理由)|refund reasons|reasons? for (?:the )?(?:refunds|returns)|"
                  r"毛利率?\S{0,3}(?:怎么样|多少|最低|最高|排名|前\d)|(?:最|不)赚钱的|亏钱|亏本|"
                  r"(?:lose|losing|lost) money|(?:most|least) profitable|(?:gross )?margins? (?:of|by|for|per)|"
                  r"(?:商品|产品)(?:列表|清单|信息)|所有的?(?:商品|产品|sku)|是什么(?:商品|产品|东西)|"
                  r"list (?:of )?(?:all )?(?:the |our )?(?:products|skus)|all (?:of )?our products|"
                  r"product (?:list|info|details)|what(?:'s| is) s\d{2,5}\b|"
                  # "在售的有多少款", "how many active skus": the catalogue
                  r"多少个?(?:sku|款|商品|链接)|在售的?(?:商品|款)?(?:有|共|一共|总共)?(?:多少|几)|(?<!所)有在售|哪些在售|"
                  r"how many (?:active |live |listed |different )?(?:skus|products|"
                  r"listings)|average order value|\baov\b|"
                  r"what(?:'s| is| was| are| were) (?:the |our |my )?(?:total |average |daily )?"
                  r"(?:gmv|revenue|sales|conversion|refund|units|visitors|add[- ]to[- ]cart)")
# data the tables hold as they are and no planner reads (orders a day, provinces, price history, the delisted):
# specific enough to settle the question before the model
DATA_FIRST = _words(r"省份|哪个省|各省|分省|\bprovinces?\b|价格历史|历史价格|调价记录|改价记录|调价历史|价格变动记录|"
                    r"price history|"
                    r"哪[几些]天.{0,4}(?:断货|缺货)|(?:断货|缺货)天数|stockout days|days (?:were )?out of stock|"
                    r"which days .{0,16}(?:stock ?outs?|out of stock)|"
                    r"past prices|(?:list|show|history of)\b.{0,20}\bprice changes\b|"
                    r"\bprice changes? (?:since|over|in|during|history|log)\b|"
                    r"已下架|已经下架|delisted (?:skus|products|items)|(?:list|show)\b.{0,12}\bdelisted|"
                    r"\b(?:skus?|products?|items?|listings?) (?:are|were|have been|got) (?:already )?(?:delisted|"
                    r"discontinued|taken down)\b|"
                    r"多少单|几单|多少个?订单|订单数|how many orders|number of orders|order count")
# asking shopagent to act inside the platform: it only reads the shop's data and proposes
BACK_OFFICE = _words(r"登录|千牛|后台|直接(改|调|设)|帮我(去)?(改|调|设置?)(一下)?(价|价格|预算)|"
                     r"\blog ?(?:in|into|on to)\b|\bsign (?:in|into)\b|seller (?:account|center|central|backend)|"
                     r"back[- ]?office|qianniu|\bin the (?:system|backend|store admin)\b")
# asking about copy the question quotes ("这段帮我过一遍：'...'"): words that say "check it" only beside a quote
COPY_CHECK = _words(r"allowed|permitted|acceptable|compliant|can (?:i|we) (?:use|say|write|call)|"
                    r"能写|能用|可以写|可以用|"
                    r"检查|审核|审查|核查|审一?下|查一?下|\bcheck\b|\breview\b|\bscan\b|proofread|vet\b|"
                    r"能不能|过一遍|过一下|把把关|把关|有没有问题|有问题[吗不没么嘛]|有没有毛病|行不行|行吗|能发[吗不]|"
                    r"能上[吗不]|可以发|能过[吗不]|(?:这么|这样)(?:宣传|写|说|打广告)|"
                    r"(?:can|could|may) (?:i|we) (?:claim|advertise)|"
                    r"(?:can|could|may) (?:i|we) (?:publish|post|put|run|go live with|list)|ok to (?:publish|post)|"
                    r"可以吗|ok吗|怎么样|\bok\b|okay|fine|"
                    r"safe|risky|legal")
# "need a title for S010", "want 3 selling points": a kind of copy asked for, whatever claims come with it
NEED_COPY = _words(r"\b(?:need|want|gimme|give me)\s+(?:\d+\s+|some\s+|new\s+|a few\s+|an?\s+)*"
                   r"(?:selling points|titles?|headlines?|taglines?|video scripts?|scripts?|detail pages?|"
                   r"descriptions?)\b")
# 帮我写 asks for a draft; 能写…吗 asks about copy
WRITE = _words(r"(?<![能以])写|起|\bdraft|\bwrite|\brewrite|\bbrainstorm|come up with|need (?:some |new |fresh )?copy|"
               r"\bcopy for\b|" + NEED_COPY.pattern)
CHECK = _words(r"any violations?|violat|get flagged|\blint\b|ad[- ]?law|ad (?:rules|regulations)|"
               r"advertising (?:law|rules)|"
               r"break (?:the |any )?(?:ad |advertising )?rules|pass (?:the )?review|"
               r"(?:banned|prohibited|forbidden|restricted|risky|illegal|sensitive) (?:words?|terms?|phrases?|claims?)|"
               r"safe to (?:use|publish|post|say)|ok(?:ay)? to (?:use|publish|post|say)|"
               r"合规|违规|违禁|广告法|极限词|敏感词|能不能用|能用吗|过审|会被罚|被处罚|能不能写|能写吗|可以写吗|"
               r"(?:检查|查|审|看)一?下[:：]|"
               r"\bcan (?:i|we) (?:say|write|use)\b|allowed to (?:say|write)|compliant|compliance|ad[- ]law|"
               r"check (this|the|my) (copy|text|title)|is this (copy|title) (ok|allowed|legal)|flagged|"
               r"run this (headline|title|copy|slogan)")
DRAFT = _words(r"写|起.{0,2}标题|文案|卖点|脚本|详情页|\bwrite\b|\bdraft\b|selling points?|slogan|video script|"
               r"\brewrite\b|\bbrainstorm\b|need (?:some |new |fresh )?copy|\bcopy for\b|"
               r"(?:title|headline|tagline|copy|name) (?:ideas|options|suggestions|variants)|headlines?\b|taglines?|"
               r"备选|几个标题|标题.{0,4}(?:优化|改一?下|换一?下|建议)|"
               r"标题.{0,8}(重新|再|换)\s*(起|写|拟|想|来)|起几个|"
               r"来\s*(?:\d+|[一两二三四五六七八九十]|几)\s*(?:个|条|版|句|段)\s*(?:标题|卖点|文案|脚本|详情)")
FOLLOW_RIVAL = _words(r"(?:竞品|对手|同行|别人|友商).{0,12}(?:要不要|该不该|需不需要|用不用|是否|要)\s*跟|"
                      r"跟不跟|跟进降价|跟价|"
                      r"\b(?:match|follow)(?:ing)? (?:the |their |a |its |that )?(?:rival|competitor)s?'?s? "
                      r"(?:price|cut|discount)|\b(?:match|follow) (?:the |their |that )?(?:price )?cut")
WHY = _words(r"为什么|为啥|咋回事|怎么回事|什么原因|啥原因|找一?下原因|找找原因|找原因|\bwhy\b|what drove|"
            r"what'?s driving|what caused|\bexplain\b|怎么(?:都|就|突然|一下子)?(?:不|没)|咋(?:都|就)?(?:不|没)")
SPENDING = _words(r"花|投|烧|预算|推广费|广告费|\bspend|\bbudget|allocat|\bsplit\b")
# a move of the shop's numbers, either way: what a diagnosis explains when the question asks why
MOVED = _words(r"\bbump|spike|\bjump|surge|\brose\b|\brise\b|went up|\bup so|涨了|暴涨|猛涨|掉|跌|下滑|下降|差了|"
               r"\bdrop|\bfell\b|\bfall|\bdips?\b|declin|\btank|\bslump|\bdown\b|vs\.? the \d+ before")
SLOW_SELLER = _words(r"卖不动|不好卖|滞销|卖不出去|卖[得的]?很?差|不出单|没(?:有)?出单|没单|出单少|拉不起来|"
                     r"not selling|won'?t sell|slow[- ]?mov|no orders|stopped selling")
WHICH = re.compile(r"哪些|哪几|哪个|哪款|\bwhich\b", re.I)
WHATIF_CUE = _words(r"^\s*(?:sim|scenario|模拟|推演)\s*[:：]|\bscenario\b|能补回|补回来|补得回|能带来多少|能多带来|"
                    r"能拉回|能涨多少|能多赚|"
                    r"how much (?:would|could|will|can) (?:we|it|that|this) (?:gain|lose|recover|add|make)|"
                    r"啥效果|什么效果|效果如何|有啥影响|有什么影响|"
                    r"会怎样|会怎么样|会如何|会怎么|怎么变|如果|假如|要是|假设|会不会|会损失|会少|会多|影响多大|"
                    r"会掉多少|会变成多少|变成多少|多出多少|多卖多少|少卖多少|能卖动?多少|的话|模拟|推演|\bsimulat|"
                    r"what if|what happens|what would happen|would happen|\bif (i|we)\b|\bsuppose\b|impact")
CHANGE = _words(r"翻倍|加倍|减半|\bdoubl|\bhalv|"
                r"涨价|降价|提价|加价|打.{0,2}折|\d(\.\d)?折|卖\s*\d|价格?(改|调)|改成|调到|加到|提到|降到|砍|"
                r"raise|increase|\bcut\b|lower|reduce|goes? up|goes? down|\bdiscount|to ¥?\d|"
                r"(?:priced|price it|sells?|selling|sold) (?:at|for) ¥?\d|"
                # "simulate S033 at 199 yuan": a SKU at a price is a new price for it
                r"\bs\d{2,5}\s+(?:at|@)\s*[¥$]?\s*\d")
PROMOTION = _words(r"预算|投放|推广|投产|\broi\b|\broas\b|budget|ad spend|allocat|分配|怎么分|\bsplit\b|campaign")
ASSORTMENT = _words(r"主推|主打|重点推|重点打|潜力款|动销|\bfeature\b|focus on|worth pushing|(?:what|which) .{0,16}"
                    r"\bto push\b|worth (?:backing|featuring|doubling down)|"
                    r"下架|选品|滞销|清仓|清掉|清货|卖不动|不好卖|淘汰|砍掉哪|砍哪|货盘|商品结构|追单|"
                    # "哪些可以砍掉", "款太多了": which SKUs to cut; "product lineup check": the whole range
                    r"(?:哪些|哪几个|哪几款|什么款)\S{0,6}砍|款\S{0,3}太多|\blineup\b|product mix|range review|"
                    r"which (skus?|products?|items?) (do|should) (i|we) (push|kill)|"
                    r"assortment|discontinu|delist|slow[- ]?mov|dead stock|"
                    r"which (skus?|products?|items?) (to|should) (drop|cut|remove)|"
                    # what to restock or reorder (before a sale, at a lead time) and the dead weight to cut
                    r"补货|备货|补哪些|要补(?:哪|什么|多少)|\brestock|\breorder|\bre-order|\breplenish|"
                    r"拖后腿|要不要砍|该不该砍|dead (?:products?|skus?|items?|weight)|kill (?:them )?off|\bdeadweight")
# what only the assortment plan answers: its push / keep / cut verdicts, dead stock, how much to reorder
ASSORTMENT_OWN = _words(r"死库存|呆滞库存|滞销.{0,4}(?:清单|名单|列表)|\bdead stock\b|push\s*/\s*keep|keep\s*/\s*cut|"
                        r"keep or cut|push,? keep|should (?:i|we) (?:reorder|restock)|how (?:many|much) .{0,24}"
                        r"(?:reorder|restock)|要补多少|补多少货?|该补多少|需要补多少")
PRICE_PLAN_OWN = _words(r"最优价|最佳价|最优售价|改价建议|定价建议|optimal price|best price for|"
                        r"profit-maximi[sz]ing price")
PRICING = _words(r"哪些.{0,6}(?:能|可以|该|要|适合)\s*(?:涨|降|提)价|should .{0,24}\bcost\b|"
                 r"how much should (?:i|we) (?:charge|sell)|what (?:price|to charge)|"
                 r"which .{0,20}(?:raise|increase|cut|lower) .{0,6}prices?|"
                 r"定价|调价|什么价|定多少|多少钱合适|价格|\bprice|pricing|reprice|"
                 # "S018应该卖多少钱", "what should S018 sell for": the price to set
                 r"(?:应该|该|要|可以)(?:卖|标|定)多少|what should .{0,20}\bsell for|"
                 r"underpriced|overpriced|priced too (?:low|high)|定价(?:太|偏)(?:低|高)|卖便宜了|卖贵了|"
                 # "改价", "是不是定低了？要不要涨", and what only a price plan answers
                 r"改价|定[低高]了|要不要(?:涨|降|提)价?|该不该(?:涨|降|提)价?|best price|" + PRICE_PLAN_OWN.pattern)
STOCK = _words(r"库存|还剩|存货|现货|还有多少件|stock level|in stock|on hand|inventory|how (many|much) .*left|"
                r"stock (is )?left")
REVIEWS = _words(r"评价|评论|差评|好评|买家说|买家怎么说|口碑|"
                 r"(?:顾客|客户|用户|消费者|买家)都?(?:怎么说|怎么评价|说什么|说了啥|反馈)|\breviews?\b|"
                 r"(?:people|customers|buyers|shoppers) (?:are )?(?:saying|think|say)|feedback")
# "跟上周同一天比", "vs same day last week": the report's own comparison; "what's on my plate today": its actions
REPORT_OWN = _words(r"上周同一天|上周同期|上周的今天|same (?:week)?day last week|on my plate|to-?do list|"
                    r"today'?s (?:actions|to-?dos?)|今天(?:要|该)(?:做|干)(?:什么|啥|些什么)")
REPORT = _words(r"日报|周报|简报|晨报|早报|播报|经营报告|数据汇总|情况汇总|数据总结|经营总结|daily report|briefing|"
                r"daily summary|daily digest|morning report|\breport\b|" + REPORT_OWN.pattern)
DIAGNOSE = _words(r"went wrong|what'?s wrong|so bad|underperform|gone soft|been soft|sluggish|gmv|销售额|营业额|销量|"
                  r"\bdips?\b|what caused|cause of|\bslump|\btank(?:ed|ing|s)?\b|"
                  r"生意|业绩|流量|转化|为什么|为啥|掉|下滑|下降|跌|少了|诊断|怎么了|表现|"
                  r"原因|分析|咋回事|怎么回事|"
                  r"\bwhy\b|\bdrop|\bfell\b|\bfall|declin|\bdown\b|diagnos|\bsales\b|revenue|what happened|"
                  r"performance|traffic|conversion|how (did|is|was|are) (the |my |our )?(shop|store|sales|business)|"
                  r"shop do\b|how did we do|how (?:are|were) we doing|how was (?:yesterday|today|last week|this week)|"
                  r"卖[得的]?(?:咋样|怎么样|如何)")
FOLLOW_UP = _words(r"呢|^那|^\s*(?:and|also|plus)\b|也来|也要|也给|也出|也看|不变|保持|照旧|\bunchanged\b|"
                   r"same (?:roi|budget|target)|"
                   # "S012也照这样来一份", "do the same for S012", "now selling points for the same sku"
                   r"也照|照这样|照着|照此|一样的|同样|同一?款|这款|the same (?:way|for)|do the same|likewise|"
                   r"same (?:sku|product|item|one)|^\s*now\b|"
                   # "预算砍一半", "double it": the last value changed by a share
                   r"砍一半|减半|翻倍|加倍|\b(?:halve|double|cut|raise|bump|lower) (?:it|that)\b|"
                   r"^\s*same\b|\bsame but\b|^\s*(?:如果是|那如果|再加|多加|追加)|"
                   r"\bassuming\b|前一天|后一天|the day before|previous day|what about|how about|and for|same for|"
                   r"same question|换成|改成|改为|调成|再|instead|"
                   # "拉长到30天看看", "extend it to 60 days": the same question over a longer or shorter period
                   r"拉长|延长|放长|缩短|缩到|\b(?:extend|stretch|widen|shorten|narrow)\b|"
                   # "看未来30天的", "over the next 30 days?": the same question over another horizon
                   r"^\s*(?:看|算|按|模拟)?\s*(?:未来|接下来|之后|往后)\s*\d+\s*(?:天|日|周)\S{0,3}$|"
                   r"^\s*(?:and |what about |how about )?(?:over |for )?the next \d+ days\s*[?？]?\s*$|"
                   r"same thing|again|redo|re-?run|^\s*(?:make it|change it to|and with|with)\b")
WHOLE_SHOP = _words(r"全店|整个店|整店|店铺整体|whole (shop|store)|shop-?wide|the shop overall|all skus")
# "前一天的也来一份", "and the day after?": the answer's day moved by one
DAY_SHIFT = _words(r"(前一天|前一日|the day before|previous day|day earlier)|(后一天|后一日|the day after|next day|"
                   r"day later)")
# "只看S012", "just S003 please", "keep margin above 25%", "as of sep 15", "add another 2k": the last plan narrowed or
# changed, when the question carries a value of its own ("just tell me a joke" carries none)
SLOT_FOLLOW_UP = _words(r"^\s*(?:只|仅)(?:看|投|要|算|做|写|查|推)|^\s*(?:just|only)\b|一起看|也看看|一块看|"
                        r"^\s*(?:try|what about|how about|make it)\b|"
                        r"^\s*(?:as of|keep|hold|cap|limit|without|with)\b|^\s*(?:add|another)\b|\bmore\s*[?？]?\s*$")
# "再加5000", "add another 2k", "3000 more": an amount on top of the last one, not a new one ("加到" is a new one)
ADDED = _words(r"再加|多加|追加|加上|(?<![增])加(?!到|至|成)\s*\d|\badd(?:\s+another)?\b(?!.*\bto\b)|\banother\b|"
               r"\d\s*(?:k|w|千|万)?\s*(?:more|extra)\b")
# an explicit rise: a follow-up's bare "15%" keeps the direction of the change before it unless it says this
UPWARD = _words(r"\+|涨|提|加|升|\braise|\bincrease|\bup\b|\bhigher|\bmore\b")
# "再算一遍", "redo it": the last question again with what this one changes, whatever its words suggest
REDO = _words(r"再算|重新算|再来一遍|再跑|redo|re-?run|same thing|again|instead")
# "S020-S023", "S020到S023", "S020 through S023": every SKU id between, in the first one's width (a range of up to 50)
SKU_RANGE = re.compile(r"(?<![A-Za-z0-9])([sS])(\d{2,5})\s*(?:-|~|～|–|—|到|至|\bthrough\b|\bthru\b)\s*"
                       r"[sS](\d{2,5})(?!\d)")  # both ids written whole: "S012 -15%" is no range
SKU_DASH = re.compile(r"(?<![A-Za-z0-9])([sS])[-_ ](\d{2,5})(?!\d)")
# 前十 / 前五 of a ranked list (not 前一天, the day before)
TOP_NUMERAL = re.compile(r"前([二两三四五六七八九十]|十[一二三四五六七八九]|[二三四五]十)"
                         r"(?=\s*(?:名|个|款|的|位|条|大|sku|商品|宝贝))", re.I)
# common slips of the keyboard in merchants' questions, read as meant
TYPOS = {"头产比": "投产比", "投产率": "投产比", "转换率": "转化率", "日抱": "日报",
         "昨儿个": "昨天", "昨儿": "昨天", "前儿个": "前天", "双十一": "双11", "双十二": "双12"}
# traditional characters of the shop's vocabulary (預算, 投產比, 為什麼), read as the simplified ones
TRADITIONAL = str.maketrans("預產為麼銷額廣價貨庫標題寫單這個週與對點數據報萬幾兩絕錢賣買後臺"
                            "檢查審核違規存費設計劃內轉換營業總",
                            "预产为么销额广价货库标题写单这个周与对点数据报万几两绝钱卖买后台"
                            "检查审核违规存费设计划内转换营业总")


# "先看看为什么掉量，再给个方案", "first ..., then ...": one question, several steps in order
STEP_BREAK = re.compile(r"[，,。；;]?\s*(?:然后|之后|接着|[，,。；;]\s*(?:最后|其次|第[二三四]步|再然后)|"
                        r"[,;.]\s*(?:finally|lastly|and finally)\b,?|(?:写完|做完|弄完|出完|看完)?\s*顺便|"
                        r"[，,。；;？?]\s*(?:另外|还有|同时|以及)\s*(?=[帮给出写做算看查来模拟分定把按推演拿用排列])|"
                        r"[？?]\s*(?=(?:再|帮我|给我|顺便))|"
                        r"再(?=给|帮|出|写|做|算|看|查|来|模拟|分|定|把|按|推演|拿|用|排|列|跑|测|评估|预估|诊断|分析|检查|"
                        r"针对|审)|[，,。；;]\s*再(?!来一遍|算一遍|跑一遍|说一遍)(?=\S)|"
                        # "diagnose last week, plan a 1w budget ...": a comma before another request
                        r"[,;]\s*(?=(?:plan|draft|write|give|split|simulate|show|list|price|suggest)\b)|"
                        r"\band then\b|\s+and also\s+(?=(?:give|plan|write|draft|tell|split|simulate|check|show|"
                        r"run|list|make|do|price|suggest|recommend)\b)|[,;]\s*then\b|\bafter that\b|"
                        r"\bthen\b(?= (?:give|plan|write|draft|tell|"
                        r"split|simulate|check|price|show|run|build|make|do|list|find|diagnose|draft|send|suggest|"
                        r"recommend|what))|[,;?]\s*(?:and|also|plus)\s+(?=(?:what if|what happens|what would|simulate|"
                        r"draft|write|plan|give|check|list|show|tell|run|split|price|diagnose|send|suggest)\b)|"
                        r"[,;?]\s*(?:also|plus)\b)\s*", re.I)
STEP_START = re.compile(r"^\s*(?:先|首先|第一步|first(?:ly)?,?\s)", re.I)
# the model's own intents, as the planner names them
MODEL_INTENT: dict[str, Intent] = {"back_office": "refused", "offtopic": "unknown", "fraud": "fraud"}
SUGGEST_FLOOR = 0.05  # readings less likely than this are not worth offering
NO_CALL = ("unknown", "refused", "hostile", "fraud", "false_compliance", "unsure")


class PlannedCall(BaseModel):
    """One tool call the offline model decided on."""

    model_config = ConfigDict(frozen=True)

    tool: str
    arguments: dict[str, Any]


class Plan(BaseModel):
    """The reading of one question: intent, language, parsed slots and the calls to make, in order."""

    model_config = ConfigDict(frozen=True)

    intent: Intent
    language: Literal["zh", "en"]
    slots: Slots
    calls: list[PlannedCall]
    follow_up: bool = False
    missing: list[str] = []  # what the question leaves out that the tool cannot do without
    confidence: float = 1.0  # the intent model's probability of the intent (1 for a rule that is certain)
    alternatives: list[PlannedCall] = []  # when unsure: the closest readings, most likely first
    steps: list[Plan] = []  # a multi-step question: one plan per step, in order
    asked: str = ""  # the words a data question's query was built from, for a follow-up that changes only the period


def plan(question: str, previous: Plan | None = None, today: date | None = None) -> Plan:
    """Plan the tool calls for `question`; `previous` is the last turn's plan, for follow-ups; `today` is the
    data's last day (dates written without a year are read up to it)."""
    text = unicodedata.normalize("NFKC", question).strip()
    text = text.translate(TRADITIONAL)
    for typo, meant in TYPOS.items():
        text = text.replace(typo, meant)
    text = SKU_RANGE.sub(_sku_range, text)
    text = SKU_DASH.sub(lambda found: found.group(1).upper() + found.group(2), text)  # "S-027" is S027
    text = TOP_NUMERAL.sub(lambda found: f"前{chinese_number(found.group(1)):g}", text)  # 销量前十 = 前10
    parts = [part for part in STEP_BREAK.split(STEP_START.sub("", text)) if part and part.strip(" ，,。.;；")]
    if len(parts) > 1 and not HOSTILE.search(text) and not FALSE_COMPLIANCE.search(text):
        steps = _with_earlier_skus([_plan_one(part, part, None, today) for part in parts], parts)
        tools = [step.calls[0].tool for step in steps if step.calls]
        if (len(tools) == len(steps) and tools.count("whatif") <= 1
                and len({(call.tool, str(call.arguments)) for step in steps for call in step.calls[:1]}) == len(steps)):
            first = steps[0]
            return first.model_copy(update={"calls": [step.calls[0] for step in steps], "steps": steps,
                                            "missing": [m for step in steps for m in step.missing],
                                            "confidence": min(step.confidence for step in steps)})
    return _plan_one(text, question, previous, today)


# a later step that names no SKU ("然后再写两版卖点", "then simulate it stocking out") is about the earlier step's;
# so is any step that points back at it ("再诊断下它", "then get its pricing recommendation")
SKU_STEPS = ("creative_draft", "whatif")
POINTS_BACK = _words(r"它|这个(?:款|品|sku|商品)|该(?:款|品|sku|商品)|这款|同一?款|\b(?:it|its|it's|this sku|that sku|"
                     r"the same sku|same sku|that one|this one|that product|this product)\b")
SKU_TAKING = ("diagnose", "pricing", "data")


def _sku_range(found: re.Match[str]) -> str:
    first, last, width = int(found.group(2)), int(found.group(3)), len(found.group(2))
    if not first < last <= first + 49:
        return found.group(0)
    return " ".join(f"S{number:0{width}d}" for number in range(first, last + 1))


def _with_earlier_skus(steps: list[Plan], texts: list[str]) -> list[Plan]:
    named: list[str] = []
    done = []
    for at, (step, text) in enumerate(zip(steps, texts, strict=True)):
        if step.slots.skus:
            named = step.slots.skus
        elif named and at and (step.intent in SKU_STEPS or (
                step.intent in SKU_TAKING and POINTS_BACK.search(text))):
            slots = step.slots.model_copy(update={"skus": named})
            step = step.model_copy(update={"slots": slots, "calls": [
                PlannedCall(tool=INTENT_TOOL[step.intent], arguments=arguments(step.intent, slots, text))]})
        done.append(step)
    return done


def _plan_one(text: str, question: str, previous: Plan | None, today: date | None) -> Plan:
    slots = own = parse_slots(text, original=question, today=today)
    language: Literal["zh", "en"] = "zh" if cjk(text) else "en"
    intent, confidence, ranked = decide(text, slots)
    follow_up = False
    # the same plan again lacking what only the last one gave ("what if the roi target were 4" after a budget
    # plan, "再写个详情页" after drafts for S012): the last plan's slots with this question's changes
    lacks = previous is not None and intent == previous.intent and (
        (intent == "promotion" and own.money is None and previous.slots.money is not None)
        or (intent == "promotion" and own.target_roi is None and previous.slots.target_roi is not None)
        or (intent == "creative_draft" and not own.skus and bool(previous.slots.skus)))
    carries = bool(own.skus or own.money is not None or own.percent is not None or own.days or own.start or own.day
                   or own.min_margin is not None or own.max_change is not None or own.lead_time_days or own.top
                   or own.count or own.target_roi is not None or own.min_roi_per_sku is not None)
    if (previous is not None and previous.intent not in NO_CALL
            and (FOLLOW_UP.search(text) or lacks or (carries and SLOT_FOLLOW_UP.search(text)))
            and (intent in ("unknown", "unsure", previous.intent) or REDO.search(text) or confidence < 0.8
                 or classify(text, slots) == "unknown")
            and intent not in ("hostile", "refused", "fraud", "false_compliance")):
        intent, slots, follow_up, confidence = previous.intent, previous.slots.merged(slots), True, 1.0
        if (own.percent is not None and previous.slots.percent is not None and previous.slots.percent < 0
                < own.percent and not UPWARD.search(text)):  # "what about 15% instead?" after a 10% cut: a 15% cut
            slots = slots.model_copy(update={"percent": -own.percent})
        if (intent == "promotion" and own.money is None and own.percent is not None
                and previous.slots.money is not None):  # "预算砍一半": the last budget, changed by that share
            slots = slots.model_copy(update={"money": round(previous.slots.money * (1 + own.percent / 100), 2),
                                             "percent": None})
        elif (intent == "promotion" and own.money is not None and previous.slots.money is not None
              and ADDED.search(text)):  # "再加5000预算", "add another 2k": on top of the last budget
            slots = slots.model_copy(update={"money": previous.slots.money + own.money})
        shift = DAY_SHIFT.search(text)
        day = previous.slots.day or (previous.slots.end if previous.slots.start == previous.slots.end else None)
        if shift and day is not None:  # "前一天的也来一份": the day before the last answer's day
            moved = day + timedelta(days=-1 if shift.group(1) else 1)
            slots = slots.model_copy(update={"day": moved, "start": None, "end": None, "days": None}
                                     if previous.slots.day else {"start": moved, "end": moved})
    alternatives = []
    if intent == "unsure":
        alternatives = [PlannedCall(tool=INTENT_TOOL[other], arguments=arguments(other, slots, text))
                        for other, probability in ranked if other not in NO_CALL and probability >= SUGGEST_FLOOR][:3]
        if not alternatives:
            intent = "unknown"
    # "那这个月呢" after "上周各渠道访客": the same data question over the new period, unless it names its own
    asked = previous.asked if follow_up and previous is not None and intent == "data" and not names_data(text) else text
    calls = [] if intent in NO_CALL else [
        PlannedCall(tool=INTENT_TOOL[intent], arguments=arguments(intent, slots, asked))]
    if intent == "creative_draft" and len(slots.skus) > 1 and calls:
        # "S041和S042各写两个标题": copy is written for one SKU at a time, so one draft each, in order
        calls = [PlannedCall(tool="creative_draft", arguments={**calls[0].arguments, "sku_id": sku})
                 for sku in slots.skus[:5]]
    if follow_up and intent == "diagnose" and previous is not None:
        # "那 S012 呢?" after a diagnosis: the same diagnosis, about that SKU (and the next follow-up keeps it)
        focus = own.skus or ([] if WHOLE_SHOP.search(text) else [
            sku for call in previous.calls for sku in call.arguments.get("sku_ids", [])])
        shop_wide = {key: value for key, value in calls[0].arguments.items() if key != "sku_ids"}
        calls = [PlannedCall(tool="diagnose", arguments={**shop_wide, "sku_ids": focus} if focus else shop_wide)]
    missing = ["change"] if intent == "whatif" and not (
        slots.stockout or slots.stop_ads or slots.stock_units is not None or slots.changes or _change(slots)) else []
    return Plan(intent=intent, language=language, slots=slots, calls=calls, follow_up=follow_up, missing=missing,
                confidence=confidence, alternatives=alternatives, asked=asked)


def decide(text: str, slots: Slots) -> tuple[Intent, float, list[tuple[Intent, float]]]:
    """(intent, confidence, every reading ranked): certain rules first, then the model, then the keyword families
    when the model is unsure and they agree with one of its closer readings; else "unsure"."""
    from shopagent.intent.model import confident, read

    for pattern, intent in ((HOSTILE, "hostile"), (FRAUD, "fraud"), (FALSE_COMPLIANCE, "false_compliance"),
                            (RAW_SQL, "sql")):
        if pattern.search(text):
            return intent, 1.0, [(intent, 1.0)]
    if (slots.money is not None and slots.target_roi is not None and not slots.skus and SPENDING.search(text)
            and not WHATIF_CUE.search(text)):  # "每天只想花5000，ROI得到4.5以上": a budget and a target to plan
        return "promotion", 1.0, [("promotion", 1.0)]
    if ASSORTMENT_OWN.search(text) and not WHATIF_CUE.search(text) and not WHY.search(text):
        return "assortment", 1.0, [("assortment", 1.0)]
    if REPORT_OWN.search(text) and not WHATIF_CUE.search(text):
        return "report", 1.0, [("report", 1.0)]
    if DATA_FIRST.search(text) and not WHATIF_CUE.search(text):
        return "data", 1.0, [("data", 1.0)]
    if PRICE_PLAN_OWN.search(text) and not WHATIF_CUE.search(text):  # "S030的最优价是多少": only a plan knows it
        return "pricing", 1.0, [("pricing", 1.0)]
    if FOLLOW_RIVAL.search(text) and not WHATIF_CUE.search(text):
        # "竞品降价了，S043要不要跟": whether to match the rival is a pricing decision, not a look at its prices
        return "pricing", 1.0, [("pricing", 1.0)]
    if slots.stop_ads and (slots.skus or WHATIF_CUE.search(text)) and not WHICH.search(text):
        # "停掉S043的全站推广会怎样", "what if we stop all ads": its budget at zero, simulated; "which SKUs should
        # stop" is a plan's question, not a what-if
        return "whatif", 1.0, [("whatif", 1.0)]
    if MODIFY.search(text) and not WHATIF_CUE.search(text) and not re.search(r"[?？吗呢]\s*$", text):
        # a price is a setting made in the back office (which shopagent does not touch); the rest is data
        setting = BACK_OFFICE.search(text) or re.search(r"价格|售价|原价|\bprices?\b", text, re.I)
        intent = "refused" if setting else "hostile"
        return intent, 1.0, [(intent, 1.0)]
    reading = read(text)
    ranked: list[tuple[Intent, float]] = [(MODEL_INTENT.get(name, name), p) for name, p in reading.ranked]  # type: ignore[misc]
    best, confidence = ranked[0]
    if best in ("data", "stock", "reviews") and slots.creative_kind and WRITE.search(text) and DRAFT.search(text):
        # "针对掉得最多的款写3个标题": a request to write copy, whatever data words come with it
        return "creative_draft", dict(ranked).get("creative_draft", 0.0), ranked
    sure = confident()  # below this calibrated probability the model's reading alone is not enough
    if confidence >= sure:
        return best, confidence, ranked
    rule = classify(text, slots)
    rule = "data" if rule in ("stock", "reviews") and dict(ranked).get("data", 0) > dict(ranked).get(rule, 0) else rule
    # the ad-law words and the data questions' words are specific enough to stand without the model; so is a
    # request to write a kind of copy ("then write selling points addressing them")
    drafting = rule == "creative_draft" and slots.creative_kind is not None and WRITE.search(text)
    diagnosing = rule == "diagnose" and re.search(r"诊断|\bdiagnos", text, re.I)  # "诊断最近30天" names the tool
    # "先做一下货盘分析": the words for the range itself name the assortment plan
    assorting = rule == "assortment" and re.search(r"货盘|选品|商品结构|assortment|lineup", text, re.I)
    if rule in ("creative_check", "data") or drafting or diagnosing or assorting or (
            rule != "unknown" and rule in [name for name, _ in ranked[:3]]):
        return rule, dict(ranked)[rule], ranked
    # a refusal needs to be well ahead of the closest tool reading: "嗯那个怎么弄" is more likely off-topic than a
    # diagnosis, but not so much more that the readings are not worth offering
    closest_tool = next((p for name, p in ranked if name not in NO_CALL), 0.0)
    if best in ("unknown", "hostile", "refused", "fraud") and confidence >= max(sure / 2, 2 * closest_tool):
        return best, confidence, ranked
    return "unsure", confidence, ranked


def classify(text: str, slots: Slots) -> Intent:
    """The intent by keyword families, most specific first: the fallback when the model is unsure."""
    for pattern, intent in ((BACK_OFFICE, "refused"), (RAW_SQL, "sql"), (SCHEMA, "schema"),
                            (CHECK, "creative_check")):
        if pattern.search(text):
            return intent
    # "能写…吗", "I want to write '...', allowed?": a question about the quoted copy, even beside a word for writing
    asks = re.search(r"[?？吗]\s*$", text) and not re.search(r"帮我写|给我写|write (?:me|us)\b", text, re.I)
    if slots.quoted and COPY_CHECK.search(text) and (asks or not WRITE.search(text.replace(slots.quoted, ""))):
        return "creative_check"
    if slots.creative_kind and (NEED_COPY.search(text) or (WRITE.search(text) and DRAFT.search(text))):
        return "creative_draft"  # "need selling points for S038, say it's the #1 best seller": copy, whatever it says
    if DATA_ASK.search(text) and not WHATIF_CUE.search(text):
        return "data"
    if DRAFT.search(text) and (slots.skus or not PROMOTION.search(text)):
        return "creative_draft"
    changes = (CHANGE.search(text) or slots.percent is not None or slots.discount is not None
               or slots.stock_units is not None or slots.price_added is not None)
    if (WHATIF_CUE.search(text) and (changes or STOCKOUT.search(text))) or (
            slots.skus and (slots.percent is not None or slots.discount is not None or slots.price_added is not None)
            and CHANGE.search(text) and not re.search(r"该|应该|should|怎么调", text)):
        return "whatif"
    if WHY.search(text) and (SLOW_SELLER.search(text) or MOVED.search(text)):
        # "S012为啥卖不动", "what drove the bump": a diagnosis, not which SKUs to cut or how to budget
        return "diagnose"
    for pattern, intent in ((REPORT, "report"), (PROMOTION, "promotion"), (ASSORTMENT, "assortment"), (STOCK, "stock"),
                            (REVIEWS, "reviews"), (PRICING, "pricing"), (DIAGNOSE, "diagnose")):
        if pattern.search(text):
            return intent
    return "unknown"


def arguments(intent: Intent, slots: Slots, text: str = "") -> dict[str, Any]:
    """The canonical arguments of the intent's tool, from the parsed slots."""
    if intent == "diagnose":  # "S012 这周为啥掉了": a question naming SKUs diagnoses those SKUs
        return {**_period(slots), **({"sku_ids": slots.skus} if slots.skus else {})}
    if intent == "report":  # 昨天的日报: the data's last day; 前天 the one before; "top 10": ten items
        day = slots.day or (slots.end if slots.end and slots.start == slots.end else None)
        return _present(day=day.isoformat() if day else None, top=slots.top or slots.count)  # "动作列10个"
    if intent == "promotion":
        # "只投 S017" / "for S001 only": SKUs named in a budget question limit the plan to them
        return _present(budget=slots.money, target_roi=slots.target_roi, sku_ids=slots.skus or None,
                        min_roi_per_sku=slots.min_roi_per_sku, horizon_days=slots.horizon_days, as_of=_as_of(slots),
                        confidence=slots.confidence)
    if intent == "pricing":
        return _present(skus=slots.skus or None, objective=slots.objective, min_margin=slots.min_margin,
                        max_change=slots.max_change, as_of=_as_of(slots))
    if intent == "assortment":
        return _present(lead_time_days=slots.lead_time_days, as_of=_as_of(slots))
    if intent == "whatif":
        return _whatif(slots)
    if intent == "creative_draft":
        return _present(sku_id=slots.skus[0] if slots.skus else None, kind=slots.creative_kind or "title",
                        n=slots.count)
    if intent == "creative_check":
        return _present(text=slots.quoted or "", category=slots.category, platform=slots.platform)
    if intent == "sql":
        return _present(query=slots.raw_sql or "", max_rows=slots.max_rows)
    if intent == "data":
        start, end = (slots.start, slots.end) if slots.start else (slots.day, slots.day)
        return {"query": data_query(text, skus=slots.skus, count=slots.top or slots.count, days=slots.days,
                                    start=start, end=end, amount=slots.money)}
    if intent == "stock":
        return {"query": stock_query(slots.skus, text)}
    if intent == "reviews":
        return {"query": reviews_query(slots.skus)}
    return {}


def _as_of(slots: Slots) -> str | None:
    """The last day of data a plan judges: a day the question names (截至9月15号, as of 2026-09-20)."""
    day = slots.day or (slots.end if slots.start and slots.start == slots.end else None)
    return day.isoformat() if day else None


def _period(slots: Slots) -> dict[str, Any]:
    args: dict[str, Any] = {}
    if slots.start and slots.end:
        args.update(start=slots.start.isoformat(), end=slots.end.isoformat())
    elif slots.days:
        args["days"] = slots.days
    elif slots.day:  # 9月28号: that day against the day before
        args.update(start=slots.day.isoformat(), end=slots.day.isoformat())
    if slots.compare:
        args["compare"] = slots.compare
    return args


def _whatif(slots: Slots) -> dict[str, Any]:
    targets = slots.skus or ["total"]
    args: dict[str, Any] = {}
    change = _change(slots)
    if slots.per_sku:
        args.update({kind: {sku: int(value) if kind == "stock" else value for sku, value in changes.items()}
                     for kind, changes in slots.per_sku.items()})
    elif slots.stop_ads:
        args["budget"] = {sku: "0" for sku in targets}
    elif slots.stockout:
        args["stock"] = {sku: 0 for sku in slots.skus}
    elif slots.stock_units is not None and slots.skus:
        args["stock"] = {sku: slots.stock_units for sku in slots.skus}
    elif slots.changes:
        args.update({kind: {sku: change for sku in targets} for kind, change in slots.changes.items()})
    elif change is not None:
        args["budget" if slots.about_budget else "price"] = {sku: change for sku in targets}
    if slots.days or slots.horizon_days:
        args["days"] = slots.days or slots.horizon_days
    return args


def _change(slots: Slots) -> str | None:
    """'+10%' for a relative change, '129' for a new absolute value, None when the question gives neither."""
    percent = slots.percent if slots.percent is not None else slots.discount
    if percent is not None:
        return f"{percent:+g}%"
    if slots.price_added is not None and not slots.about_budget:
        return f"{slots.price_added:+g}元"
    return f"{slots.money:g}" if slots.money is not None else None


_BELOW = _words(r"(?:低于|少于|不足|小于|不到|below|under|less than|fewer than)\s*(\d+)\s*(?:件|个|units?)?")


def stock_query(skus: list[str], text: str = "") -> str:
    """The last week of stock for the SKUs named, or the SKUs with least stock on the last day (those under a
    number the question names: "库存低于100")."""
    if skus:
        return ("SELECT date, sku_id, on_hand, inbound FROM inventory_daily WHERE sku_id IN ("
                + ", ".join(f"'{sku}'" for sku in skus) + ") ORDER BY date DESC, sku_id LIMIT 14")
    below = _BELOW.search(text)
    if below:
        return ("SELECT sku_id, on_hand FROM inventory_daily WHERE date = (SELECT max(date) FROM inventory_daily) "
                f"AND on_hand < {int(below.group(1))} ORDER BY on_hand, sku_id")
    return ("SELECT sku_id, on_hand FROM inventory_daily WHERE date = (SELECT max(date) FROM inventory_daily) "
            "ORDER BY on_hand, sku_id LIMIT 10")


def reviews_query(skus: list[str]) -> str:
    """The latest reviews of the SKUs named, or of the whole shop."""
    where = "WHERE sku_id IN (" + ", ".join(f"'{sku}'" for sku in skus) + ") " if skus else ""
    return (f"SELECT created_at, sku_id, rating, text FROM reviews {where}"
            "ORDER BY created_at DESC, review_id DESC LIMIT 10")


def _present(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}
