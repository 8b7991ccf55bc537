"""Fixture ledgers for the ranking benchmark (bench/ranking_bench.py, issue 13 item 3), generated
from a seed by code of their own (not the demo generator, whose problems are the demo's labels):

- ``clean_ledger``: the demo province's grassroots units (codes, names, member counts from
  ``jingshen.demo.orgs``) with a compliant 2025 ledger in the standard template on the 2010
  union chart: no injected problem, so every voucher a rule flags is a false hit.
- ``foreign_ledger``: a new small province-like set of 60-120 units whose books come from an
  ERP export unlike the demo: another header (one amount column with a D/C direction, 收/付/转
  voucher types, numbers like 付-0012, slash dates, thousands separators, GB18030), each unit's
  own chart without a 科目角色 column (deeper codes such as 5030201 会议费), English or mixed
  摘要, system-generated vouchers (制单人 SYSTEM, 审核人 empty on about nine in ten, 附件数 and
  结算方式 empty everywhere), and 1-3 % of vouchers carrying labelled problems (FOREIGN_KINDS).

Each writes its files to a folder and returns a ``Fixture`` with the labels: (单位编码, 会计年度,
会计期间, 凭证字, 凭证号) -> kind. Each unit draws from its own random stream, derived from
(seed, unit code), so the bytes depend only on the seed and the units.

    PYTHONPATH=src python bench/ledgers.py clean|foreign FOLDER [--seed N] [--units N]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import chinese_calendar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

YEAR = 2025
Key = tuple[str, int, int, str, int]  # (org, fiscal_year, period, voucher_type, voucher_no)

# The standard template (docs/formats.md).
STANDARD_HEADER = ["单位编码", "会计年度", "会计期间", "凭证日期", "凭证字", "凭证号", "分录号", "摘要", "科目编码", "科目名称",
                   "借方金额", "贷方金额", "往来单位", "结算方式", "制单人", "审核人", "附件数", "票据号"]
# An ERP export: aliases the importer knows, one amount column with a direction, extra columns it ignores.
FOREIGN_HEADER = ["核算单位编码", "期间", "记账日期", "凭证类别", "凭证编号", "摘要说明", "科目代码", "科目全名", "方向",
                  "本币金额", "币别", "对方单位", "结算方式名称", "录入人", "复核人", "附件张数", "发票号码"]
FOREIGN_ORG_HEADER = ["组织编码", "组织名称", "上级组织编码", "组织层级", "组织性质", "工会会员人数"]
FOREIGN_CHART_HEADER = ["科目代码", "科目名称", "科目类型", "余额方向"]  # no 科目角色, no 上级科目编码

FOREIGN_KINDS = {
    "split_payment": "拆分支付：同一收款方、同一事由，数日内多笔略低于 5,000 / 10,000 元",
    "lookalike_payee": "近似收款方：与常用收款方只差一个字",
    "year_end_adjustment": "期末调账：12 月最后几天的整数调整分录，摘要含糊",
    "gift_card": "购物卡、电商卡、加油卡（中文或英文摘要）",
    "banquet": "宴请、烟酒",
    "duplicate_payment": "重复支付：同一收款方、同一金额、同一发票，数日之内",
    "holiday_posting": "周末或法定节假日记账",
    "large_cash": "超过 1,000 元的现金支付",
}
_FOREIGN_WEIGHTS = {"split_payment": 12, "lookalike_payee": 10, "year_end_adjustment": 10, "gift_card": 14,
                    "banquet": 14, "duplicate_payment": 12, "holiday_posting": 14, "large_cash": 14}


@dataclass
class Fixture:
    name: str
    folder: Path
    orgs: Path
    vouchers: list[Path]
    charts: dict[str, Path]  # unit code -> its own chart, imported with `jingshen import accounts --org`
    labels: dict[Key, str]
    kinds: dict[str, str]
    voucher_count: int = 0
    line_count: int = 0
    units: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Shared building blocks: the official calendar, amounts, names, vouchers.
# ---------------------------------------------------------------------------------------------


class Days:
    """Working days of the official calendar (chinese_calendar: 调休 included) and days off."""

    def __init__(self, year: int):
        first, n = date(year, 1, 1), (date(year + 1, 1, 1) - date(year, 1, 1)).days
        every = [first + timedelta(days=i) for i in range(n)]
        self.work = [d for d in every if chinese_calendar.is_workday(d)]
        self.off = [d for d in every if not chinese_calendar.is_workday(d)]
        self.year = year

    def between(self, rng: random.Random, start: date, end: date) -> date:
        days = [d for d in self.work if start <= d <= end]
        return rng.choice(days)

    def month(self, rng: random.Random, m: int) -> date:
        start = date(self.year, m, 1)
        end = date(self.year + (m == 12), m % 12 + 1, 1) - timedelta(days=1)
        return self.between(rng, start, end)

    def after(self, day: date, n: int) -> date | None:
        later = [d for d in self.work if d > day]
        return later[n - 1] if len(later) >= n else None

    def day_off(self, rng: random.Random, m: int) -> date:
        return rng.choice([d for d in self.off if d.month == m])


@cache
def _days(year: int) -> Days:
    return Days(year)


def _amount(rng: random.Random, low: float, high: float) -> int:
    """Cents, log-uniform in [low, high] 元: whole yuan mostly, sometimes jiao or fen."""
    yuan = math.exp(rng.uniform(math.log(low), math.log(high)))
    r = rng.random()
    if r < 0.55:
        return max(100, round(yuan) * 100)
    if r < 0.85:
        return max(100, round(yuan * 10) * 10)
    return max(100, round(yuan * 100))


def _poisson(rng: random.Random, mean: float) -> int:
    if mean > 40:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    k, p, limit = 0, rng.random(), math.exp(-mean)
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _edits(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


_FAMILY = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜谢邹喻柏水窦章云苏潘葛范彭郎鲁韦昌马苗凤方俞任袁柳鲍史唐费薛雷贺倪汤罗毕郝邬安常乐于傅齐康伍余顾孟黄穆萧尹姚邵汪祁毛狄米贝明臧计成戴宋庞熊纪舒屈项祝董梁杜阮蓝闵季贾路江童颜郭梅盛林钟徐邱骆高夏蔡田胡凌霍万柯卢莫房解应宗丁宣邓洪包左石崔龚程邢裴陆荣翁荀"
_NAME_CHARS = "子文思雨嘉浩宇欣梓涵一晨然佳俊昊睿泽宁琪瑶婧颖诗雅乐安心怡海涛建平国华振兴永红丽萍秀兰志明晓峰春燕伟敏玉芬立新卫东金凤美娟家豪凯航鹏飞书琴慧芳淑英德胜光辉少华宏亮"


def _person(rng: random.Random) -> str:
    given = rng.choice(_NAME_CHARS) + (rng.choice(_NAME_CHARS) if rng.random() < 0.7 else "")
    return rng.choice(_FAMILY) + given


def _people(rng: random.Random, n: int, taken: set[str] | None = None) -> list[str]:
    taken = set() if taken is None else taken
    out = []
    while len(out) < n:
        p = _person(rng)
        if p not in taken:
            taken.add(p)
            out.append(p)
    return out


@dataclass(slots=True)
class Line:
    account: str
    summary: str
    debit: int = 0  # cents
    credit: int = 0
    party: str = ""
    settlement: str = ""
    invoice: str = ""


@dataclass(slots=True)
class Voucher:
    day: date
    lines: list[Line]
    preparer: str = ""
    reviewer: str = ""
    attachments: int | None = None
    vtype: str = "记"
    label: str = ""
    order: float = 0.0
    number: int = 0

    def total(self) -> int:
        return sum(line.debit for line in self.lines)


def _number(vouchers: list[Voucher]) -> list[Voucher]:
    """Date order; numbers from 1 in each month and voucher type, without gaps."""
    vouchers.sort(key=lambda v: (v.day, v.order))
    seq: dict[tuple[int, str], int] = {}
    for v in vouchers:
        k = (v.day.month, v.vtype)
        seq[k] = seq.get(k, 0) + 1
        v.number = seq[k]
    return vouchers


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}" if cents else ""


def _money_sep(cents: int) -> str:
    return f"{cents // 100:,}.{cents % 100:02d}"


# ---------------------------------------------------------------------------------------------
# CLEAN: a compliant year of the demo province's grassroots units.
# ---------------------------------------------------------------------------------------------

CLEAN_ACCOUNTS = {
    "101": "库存现金", "102": "银行存款", "135": "其他应收款", "162": "固定资产", "301": "固定基金",
    "401": "会费收入", "402": "拨缴经费收入", "40301": "回拨补助", "40302": "专项补助", "40305": "送温暖补助",
    "408": "其他收入", "50101": "职工教育费", "50102": "文体活动费", "50103": "宣传活动费", "50104": "其他活动支出",
    "50201": "劳动关系协调费", "50203": "法律援助费", "50204": "困难职工帮扶费", "50205": "送温暖费", "50301": "培训费",
    "50302": "会议费", "50305": "其他业务支出", "50402": "商品和服务支出", "50502": "办公设备购置",
}

_BRANDS = ["恒达", "天润", "金穗", "佳和", "瑞祥", "广源", "新锐", "宏盛", "嘉禾", "和信", "昌隆", "鼎盛", "丰泽", "博远",
           "聚鑫", "盛世", "同心", "华茂", "景程", "汇通", "明轩", "卓远", "长青", "顺和", "百川", "益丰", "晨曦", "东升",
           "启航", "凯旋", "锦程", "信达", "福瑞", "安康", "春晖", "众合", "德润", "泰和", "新梦", "朗月", "青禾", "星河",
           "云帆", "翰墨", "致远", "悦享", "优品", "千禧", "万象", "海纳"]
# Vendor name patterns by kind; {c} city, {d} district, {b} a brand word.
_CLEAN_VENDORS = {
    "office": ["{c}{b}办公用品有限公司", "{d}{b}文具店", "{c}{b}文化用品商行"],
    "supermarket": ["{c}{b}超市有限公司", "{b}生活超市（{d}店）", "{d}{b}便民超市"],
    "sports": ["{c}{b}体育用品有限公司", "{d}{b}运动器材店"],
    "venue": ["{d}{b}羽毛球馆", "{c}{b}体育文化发展有限公司", "{d}{b}篮球公园"],
    "print": ["{c}{b}广告印务有限公司", "{d}{b}图文快印店", "{c}{b}标识制作有限公司"],
    "bookstore": ["{c}{b}书店有限公司", "{d}{b}书苑"],
    "bus": ["{c}{b}汽车租赁有限公司", "{c}{b}客运服务有限公司"],
    "training": ["{c}{b}职业技能培训学校", "{c}{b}教育咨询有限公司"],
    "hotel": ["{c}{b}会议中心", "{c}{b}大酒店有限公司", "{d}{b}会务服务有限公司"],
    "bakery": ["{b}烘焙（{d}店）", "{c}{b}蛋糕坊"],
    "gifts": ["{c}{b}农副产品有限公司", "{c}{b}粮油贸易有限公司", "{d}{b}水果商行", "{c}{b}食品有限公司"],
    "florist": ["{d}{b}花艺店"],
    "photo": ["{c}{b}摄影工作室", "{c}{b}文化传媒有限公司"],
    "cinema": ["{c}{b}影城有限公司"],
    "electronics": ["{c}{b}数码科技有限公司", "{c}{b}电脑经营部"],
    "courier": ["{c}{b}速递有限公司", "{d}{b}快递服务部"],
    "law": ["浙江{b}律师事务所"],
    "audit": ["{c}{b}会计师事务所有限公司"],
    "costume": ["{c}{b}演出服装有限公司"],
}


class _Spend:
    """An everyday item: account, summary templates ({b} branch, {m} month, {n} count), vendor
    kind, amount range in 元 (before the unit's scale), months, weight."""

    def __init__(self, weight, account, summaries, vendor, low, high, months=(), per=None, times=None):
        self.weight, self.account, self.summaries, self.vendor = weight, account, summaries, vendor
        self.low, self.high, self.months, self.per = low, high, months, per  # per: (unit price range, count range)
        self.times = times  # at most this many a year for the unit and for each branch (None: everyday)


_CLEAN_SPEND = [
    _Spend(7, "50102", ["{b}羽毛球活动场地租赁费（{m}月）", "{b}羽毛球场地费"], "venue", 240, 1600),
    _Spend(4, "50102", ["职工篮球赛场地费", "{b}篮球活动场地租用"], "venue", 400, 2400),
    _Spend(4, "50102", ["{b}乒乓球活动用品", "购买乒乓球拍及用球"], "sports", 120, 900),
    _Spend(3, "50102", ["职工之家健身器材购置（哑铃、瑜伽垫）", "职工之家体育器材补充"], "sports", 400, 3800),
    _Spend(4, "50102", ["职工趣味运动会奖品", "{b}拔河比赛奖品", "职工棋类比赛奖品"], "supermarket", 280, 2600),
    _Spend(2, "50102", ["职工合唱团排练指导费", "职工舞蹈队编排指导费"], "person", 600, 2200, times=6),
    _Spend(3, "50102", ["职工观影活动电影票{n}张"], "cinema", 0, 0, per=((32, 48), (20, 160)), times=2),
    _Spend(2, "50102", ["职工书画摄影作品展装裱费", "职工手工作品展布展费"], "print", 300, 1800, times=1),
    _Spend(2, "50102", ["职工春季健步走活动大巴租赁费", "职工踏青活动包车费"], "bus", 800, 3200, (3, 4, 5), times=1),
    _Spend(2, "50102", ["职工秋季登山活动包车费"], "bus", 800, 3200, (10, 11), times=1),
    _Spend(2, "50102", ["职工演出服装租赁费"], "costume", 500, 2000, times=2),
    _Spend(3, "50101", ["职工书屋新购图书{n}册"], "bookstore", 0, 0, per=((28, 65), (10, 80)), times=2),
    _Spend(2, "50101", ["{t}专题讲座讲课费"], "person", 500, 2000, times=3),
    _Spend(2, "50101", ["职工技能竞赛材料费", "职工岗位练兵耗材"], "office", 200, 1800, times=3),
    _Spend(3, "50103", ["{e}宣传横幅制作", "{e}宣传海报印制"], "print", 60, 480),
    _Spend(2, "50103", ["工会宣传栏展板更新", "职工之家文化墙制作"], "print", 300, 2400, times=2),
    _Spend(2, "50103", ["{e}摄影摄像服务费"], "photo", 400, 2200, times=4),
    _Spend(2, "50104", ["职工之家茶叶、饮用水"], "supermarket", 80, 560),
    _Spend(3, "50301", ["工会干部业务培训费（{n}人）", "经审委员业务培训费（{n}人）", "工会财会人员培训费（{n}人）",
                        "女职工委员培训班费用（{n}人）"], "training", 0, 0, per=((180, 680), (2, 12)), times=3),
    _Spend(2, "50302", ["工会委员会会议资料印制", "工会工作座谈会资料印制"], "print", 60, 420),
    _Spend(2, "50302", ["工会委员会会议茶歇", "工会工作座谈会茶歇"], "bakery", 90, 520),
    _Spend(1, "50302", ["工会工作座谈会场地租用"], "hotel", 300, 1600),
    _Spend(6, "50402", ["购买办公用品（{o}）", "办公用品采购（{o}）"], "office", 45, 850),
    _Spend(3, "50402", ["打印机硒鼓、墨盒", "复印纸{n}箱"], "office", 90, 900),
    _Spend(3, "50402", ["{m}月快递费", "寄送工会文件快递费"], "courier", 12, 160),
    _Spend(2, "50402", ["工会文件复印装订费"], "print", 30, 320),
    _Spend(1, "50201", ["集体协商协议文本印制", "劳动关系协调员工作手册印制"], "print", 100, 700, times=1),
    _Spend(1, "50203", ["职工法律咨询服务费", "劳动争议调解法律顾问费"], "law", 800, 4200, times=1),
]
_TOPICS = ["心理健康", "职业健康", "家庭教育", "劳动法律知识", "安全生产", "急救知识", "理财防诈骗"]
_EVENTS = ["职工运动会", "读书月活动", "劳动技能竞赛", "工会会员日", "职工文艺汇演", "安康杯竞赛", "女职工健康讲座"]
_OFFICE = ["笔、本、文件夹", "档案盒、订书机", "签字笔、便签", "文件柜标签、夹子", "计算器、胶水"]
_GIFT_PRICES = (58, 68, 78, 88, 98, 108, 118, 128, 138, 148, 158, 168, 178, 188, 198, 218, 228, 238, 258, 268, 288,
                298, 318, 328, 358, 368, 388)
# (window, festival words, goods, allocation share of the year's festival budget, chance)
_CLEAN_FESTIVALS = [
    ((1, 6), (1, 24), "春节", ["年货礼包", "大米、食用油", "坚果礼盒", "水果礼盒", "腊味礼盒"], 0.36, 1.0),
    ((4, 14), (4, 29), "五一劳动节", ["食用油", "大米"], 0.10, 0.45),
    ((5, 12), (5, 29), "端午节", ["粽子礼盒", "粽子、咸鸭蛋"], 0.16, 0.92),
    ((9, 10), (9, 29), "中秋国庆", ["月饼礼盒", "月饼提货券", "水果礼盒"], 0.28, 0.97),
    ((12, 8), (12, 26), "元旦", ["水果礼盒", "牛奶礼盒", "坚果礼盒"], 0.10, 0.7),
]
_CARE = [  # (rate per member and year, summary template, the unit's standard is one of these amounts)
    (0.015, "会员{p}结婚慰问", (300, 400, 500, 600)),
    (0.012, "会员{p}生育慰问", (300, 400, 500, 600)),
    (0.035, "会员{p}住院慰问", (300, 500, 600, 800, 1000)),
    (0.015, "会员{p}{r}去世慰问", (500, 600, 800, 1000)),
    (0.018, "{p}退休慰问", (500, 600, 800, 1000)),
]
_RELATIVES = ["父亲", "母亲", "配偶", "岳父", "岳母", "公公", "婆婆"]
_HARDSHIP = ["患病住院", "子女就学", "家庭变故", "大病治疗", "单亲家庭"]
_ASSETS = [("打印机", 1300, 3800), ("笔记本电脑", 4200, 7800), ("投影仪", 2600, 6500), ("照相机", 3000, 7600),
           ("音响设备", 2200, 8800), ("多功能一体机", 5200, 14000)]
_MONTH_WEIGHT = (0.85, 0.5, 1.0, 1.05, 1.05, 1.0, 0.8, 0.75, 1.0, 0.95, 1.1, 1.35)
_BANKS = ["中国工商银行", "中国农业银行", "中国建设银行", "中国银行", "交通银行", "浙商银行"]


def _place(code: str) -> tuple[str, str]:
    from jingshen.demo.orgs import CITIES

    cities = list(CITIES.items())
    try:
        city, districts = cities[int(code[2:4]) - 1]
        district = districts[int(code[4:6]) - 1]
    except (ValueError, IndexError):
        return "杭州", "西湖"
    return city, district[:-1] if len(district) > 2 else district


class _CleanUnit:
    def __init__(self, code: str, members: int, name: str, parent: str, seed: int, year: int):
        self.rng = rng = random.Random(f"jingshen-fixture-clean:{seed}:{code}")
        self.code, self.members, self.name, self.parent, self.year = code, max(1, members), name, parent, year
        self.days = _days(year)
        self.city, self.district = _place(code)
        self.street = "街道" in name or "联合" in name
        rich = any(w in name for w in ("供电", "银行", "医院", "大学", "投资"))
        self.wage = rng.uniform(10000, 17000) if rich else rng.uniform(6200, 11500)
        self.employer = name.removesuffix("工会委员会").removesuffix("教育工会").removesuffix("总工会").removesuffix("工会")
        taken: set[str] = set()
        staff = _people(rng, 3, taken)
        self.preparer, self.reviewer = staff[0], staff[1]
        self.second = staff[2] if rng.random() < 0.6 else None  # a second accountant prepares some vouchers
        self.second_share = rng.uniform(0.12, 0.3)
        self.officers = _people(rng, 3, taken)
        self.members_named = _people(rng, min(self.members, 120), taken)
        self.bank = f"{rng.choice(_BANKS)}{self.city}{self.district}支行"
        n_branch = 0 if self.members < 400 else min(8, 2 + self.members // 400)
        self.branches = [f"{w}分会" for w in rng.sample(["机关", "一车间", "二车间", "三车间", "技术中心", "营销中心",
                                                           "后勤保障部", "质量管理部", "生产调度部", "财务部", "离退休"],
                                                          n_branch)]
        self.vendors = self._vendors()
        self.cash_share = rng.uniform(0.1, 0.3)
        self.vouchers: list[Voucher] = []
        self.invoices: set[str] = set()
        self.target = min(1600, max(150, round(25 * self.members ** 0.45 * rng.uniform(0.85, 1.15))))
        self.care_std = {t: rng.choice(amounts) for _, t, amounts in _CARE}

    # -- building blocks ------------------------------------------------------------------

    def _vendors(self) -> dict[str, list[str]]:
        rng, names, out = self.rng, [], {}
        for kind, patterns in _CLEAN_VENDORS.items():
            n = min(len(patterns) + 2, 2 + self.members // 300 + rng.randint(0, 2))
            picked = []
            for _ in range(n * 20):
                if len(picked) == n:
                    break
                cand = rng.choice(patterns).format(c=self.city, d=self.district, b=rng.choice(_BRANDS))
                if all(_edits(cand, other) >= 2 for other in names):  # real suppliers differ by more than a character
                    picked.append(cand)
                    names.append(cand)
            out[kind] = picked
        return out

    def _vendor(self, kind: str) -> str:
        if kind == "person":
            return _person(self.rng)
        names = self.vendors[kind]
        weights = [1 / (i + 1) for i in range(len(names))]  # a favourite supplier, then others
        return self.rng.choices(names, weights)[0]

    def _invoice(self) -> str:
        while True:  # 数电发票: 20 digits, unique within the unit
            no = f"25{self.rng.choice(('33', '33', '31', '11'))}2{self.rng.randrange(10**14, 10**15)}"
            if no not in self.invoices:
                self.invoices.add(no)
                return no

    def _bank_way(self, cents: int) -> str:
        if cents < 100_000:
            return self.rng.choice(("网银", "网银", "转账"))
        return self.rng.choices(("网银", "转账", "支票"), (0.6, 0.3, 0.1))[0]

    def _add(self, day: date, lines: list[Line], attachments: int | None = None) -> Voucher:
        rng = self.rng
        if attachments is None:
            attachments = min(9, 1 + sum(1 for l in lines if l.debit and l.invoice) + rng.randint(0, 2))
        preparer = self.second if self.second and rng.random() < self.second_share else self.preparer
        v = Voucher(day, lines, preparer, self.reviewer, max(1, attachments), order=rng.random())
        self.vouchers.append(v)
        return v

    def _pay(self, day: date, debits: list[Line], payee: str, *, cash: bool = False, summary: str | None = None,
             attachments: int | None = None) -> Voucher:
        total = sum(l.debit for l in debits)
        text = summary or debits[0].summary
        if cash:
            credit = Line("101", text, credit=total, party=payee, settlement="现金")
        else:
            way = self._bank_way(total)
            credit = Line("102", text, credit=total, party=payee, settlement=way)
        return self._add(day, [*debits, credit], attachments)

    def _cashable(self, cents: int, vendor: str) -> bool:
        return cents <= 80_000 and vendor in ("office", "supermarket", "print", "courier", "bakery", "florist",
                                              "sports", "person") and self.rng.random() < self.cash_share

    # -- income -----------------------------------------------------------------------------

    def _income(self) -> int:
        rng, d, y = self.rng, self.days, self.year
        total = 0
        if self.street:
            firms = [f"{self.district}{b}{t}有限公司" for b, t in zip(
                rng.sample(_BRANDS, 12), rng.choices(["五金", "服饰", "物流", "电子", "包装", "商贸", "机械", "印务"], k=12))]
            firms = firms[: rng.randint(6, 12)]
            shares = [rng.uniform(0.5, 2) for _ in firms]
            payers = [(f, s / sum(shares)) for f, s in zip(firms, shares)]
        else:
            payers = [(self.employer, 1.0)]
        bonus = rng.choice((1, 12, 0, 0))
        receipt = rng.randrange(1_000_000, 9_000_000)
        for m in range(1, 13):
            payroll = self.members * self.wage * rng.uniform(0.96, 1.04) * (rng.uniform(1.5, 2.1) if m == bonus else 1)
            for firm, share in payers:
                cents = round(payroll * share * 2)  # 2 % of payroll, in cents
                day = d.between(rng, date(y, m, 8), date(y, m, 25))
                text = f"收到{firm}拨缴{m}月份工会经费"
                receipt += 1
                self._add(day, [Line("102", text, debit=cents, party=firm, settlement=rng.choice(("转账", "网银"))),
                                Line("402", text, credit=cents, party=firm, invoice=f"{receipt:08d}")], 1)
                total += cents
        dues_months = rng.choice((1, 3))
        for m in range(dues_months, 13, dues_months):
            cents = round(self.members * self.wage * 0.5 * dues_months * rng.uniform(0.97, 1.0))
            text = f"收取{m}月份会员会费" if dues_months == 1 else f"收取第{m // 3}季度会员会费"
            party = "会员会费（工资代扣）" if not self.street else "会员个人"
            day = d.between(rng, date(y, m, 5), date(y, m, 26))
            self._add(day, [Line("102", text, debit=cents, party=party, settlement="转账"),
                            Line("401", text, credit=cents, party=party)], 1)
            total += cents
        for q in range(1, 5):
            day = d.after(date(y, q * 3, 20), 1)
            cents = max(100, round(self.members * self.wage * rng.uniform(0.004, 0.02)))
            text = f"{y}年第{q}季度存款利息"
            self._add(day, [Line("102", text, debit=cents, party=self.bank, settlement="转账"),
                            Line("408", text, credit=cents, party=self.bank)], 1)
            total += cents
        if rng.random() < 0.35:
            cents = _amount(rng, 5000, 60000) * max(1, self.members // 500)
            day = d.between(rng, date(y, 4, 1), date(y, 9, 30))
            text = f"收到{self.parent}职工之家建设专项补助"
            self._add(day, [Line("102", text, debit=cents, party=self.parent, settlement="转账"),
                            Line("40302", text, credit=cents, party=self.parent)], 2)
            total += cents
        if rng.random() < 0.3:
            cents = round(total * rng.uniform(0.05, 0.12))
            day = d.between(rng, date(y, 6, 1), date(y, 8, 29))
            text = f"收到{self.parent}{y - 1}年度经费回拨"
            self._add(day, [Line("102", text, debit=cents, party=self.parent, settlement="转账"),
                            Line("40301", text, credit=cents, party=self.parent)], 2)
            total += cents
        return total

    # -- the calendar -------------------------------------------------------------------

    def _festivals(self, income: int) -> None:
        rng, d, y = self.rng, self.days, self.year
        per_member = income / 100 / self.members
        budget = min(1150.0, per_member * rng.uniform(0.18, 0.32))  # a year's festival gifts per member
        for start, end, festival, goods, share, chance in _CLEAN_FESTIVALS:
            if rng.random() > chance:
                continue
            price = max([p for p in _GIFT_PRICES if p <= budget * share * rng.uniform(0.85, 1.0)] or [_GIFT_PRICES[0]])
            heads = self.members - rng.randint(0, max(0, self.members // 30))
            what = rng.choice(goods)
            vendor = self._vendor("gifts")
            day = d.between(rng, date(y, *start), date(y, *end))
            if self.branches:
                cuts = sorted(rng.sample(range(1, heads), len(self.branches) - 1))
                sizes = [b - a for a, b in zip([0, *cuts], [*cuts, heads])]
                lines = [Line("50104", f"{b}{festival}慰问品（{what}）{n}人", debit=n * price * 100, party=vendor,
                              invoice=self._invoice()) for b, n in zip(self.branches, sizes) if n]
                self._pay(day, lines, vendor, summary=f"支付{festival}职工慰问品（{what}）货款，{heads}人×{price}元")
            else:
                text = rng.choice((f"{festival}职工慰问品（{what}）{heads}人", f"发放{festival}慰问品（{what}），{heads}人×{price}元"))
                self._pay(day, [Line("50104", text, debit=heads * price * 100, party=vendor, invoice=self._invoice())],
                          vendor)
        if rng.random() < 0.8:  # 三八节: women members
            heads = max(1, round(self.members * rng.uniform(0.35, 0.65)))
            price = rng.choice((38, 48, 58, 68, 88))
            vendor = self._vendor(rng.choice(("florist", "gifts")))
            what = "鲜花" if "花" in vendor else rng.choice(("护手霜礼盒", "丝巾", "养生茶礼盒"))
            day = d.between(rng, date(y, 3, 3), date(y, 3, 7))
            self._pay(day, [Line("50104", f"三八节女职工慰问品（{what}）{heads}人", debit=heads * price * 100, party=vendor,
                                 invoice=self._invoice())], vendor)

    def _summer(self) -> None:
        """送清凉: drinks and mung beans for every member, once or twice in the hot months."""
        rng, d, y = self.rng, self.days, self.year
        for m in sorted(rng.sample((7, 8), rng.choice((0, 1, 1, 2)))):
            heads = self.members - rng.randint(0, self.members // 25)
            vendor = self._vendor("supermarket")
            cents = heads * _amount(rng, 12, 38)
            self._pay(d.between(rng, date(y, m, 1), date(y, m, 20)),
                      [Line("50104", f"夏季送清凉慰问品（绿豆、饮料）{heads}人", debit=cents, party=vendor,
                            invoice=self._invoice())], vendor)

    def _birthdays(self) -> None:
        rng, d, y = self.rng, self.days, self.year
        price = rng.choice((100, 120, 128, 150, 168, 188, 200, 238, 258, 298))
        bakery = self._vendor("bakery")
        brand = bakery.split("（")[0]
        for m in range(1, 13):
            heads = _poisson(rng, self.members / 12)
            if heads:
                day = d.between(rng, date(y, m, 1), date(y, m, 14))
                text = f"{m}月职工生日蛋糕券（{brand}）{heads}人"
                self._pay(day, [Line("50104", text, debit=heads * price * 100, party=bakery, invoice=self._invoice())],
                          bakery)

    def _care(self) -> None:
        rng, d = self.rng, self.days
        by_month: dict[int, list[Line]] = {}
        for rate, template, _ in _CARE:
            n = min(len(self.members_named), _poisson(rng, self.members * rate))
            for person in rng.sample(self.members_named, n):  # each member at most once a year for each kind
                text = template.format(p=person, r=rng.choice(_RELATIVES))
                line = Line("50104", text, debit=self.care_std[template] * 100, party=person)
                m = rng.randint(1, 12)
                if rng.random() < 0.35:
                    self._pay(d.month(rng, m), [line], person, cash=line.debit <= 100_000 and rng.random() < 0.5,
                              attachments=2)
                else:
                    by_month.setdefault(m, []).append(line)
        for m, lines in sorted(by_month.items()):
            for i in range(0, len(lines), 6):
                batch = lines[i:i + 6]
                payee = batch[0].party if len(batch) == 1 else ""
                text = batch[0].summary if len(batch) == 1 else f"发放{m}月份会员慰问金（{len(batch)}人）"
                self._pay(d.month(rng, m), batch, payee, summary=text, attachments=len(batch) + 1)

    def _hardship(self) -> None:
        rng, d, y = self.rng, self.days, self.year
        needy = rng.sample(self.members_named, max(1, min(len(self.members_named), self.members // 50)))
        warm = [Line("50205", f"春节送温暖慰问 {p}", debit=rng.choice((500, 800, 1000, 1500, 2000)) * 100, party=p)
                for p in needy]
        day = d.between(rng, date(y, 1, 6), date(y, 1, 24))
        for i in range(0, len(warm), 6):
            batch = warm[i:i + 6]
            self._pay(day, batch, batch[0].party if len(batch) == 1 else "",
                      summary=batch[0].summary if len(batch) == 1 else f"发放春节送温暖慰问金（{len(batch)}人）",
                      attachments=len(batch) + 1)
        for m in rng.sample(range(3, 12), rng.randint(0, 3)):
            people = rng.sample(needy, max(1, len(needy) // 3))
            lines = [Line("50204", f"困难职工{p}帮扶（{rng.choice(_HARDSHIP)}）",
                          debit=rng.choice((500, 1000, 1500, 2000, 3000)) * 100, party=p) for p in people]
            for i in range(0, len(lines), 6):
                batch = lines[i:i + 6]
                self._pay(d.month(rng, m), batch, batch[0].party if len(batch) == 1 else "",
                          summary=batch[0].summary if len(batch) == 1 else f"发放困难职工帮扶金（{len(batch)}人）",
                          attachments=len(batch) + 1)

    def _routine(self) -> None:
        rng, d, y = self.rng, self.days, self.year
        size = min(4.0, max(0.4, (self.members / 250) ** 0.5))
        for m in range(1, 13):
            cents = _amount(rng, 4, 40 * size)
            text = f"{m}月账户管理费及网银手续费"
            day = d.between(rng, date(y, m, 18), date(y, m, 28))
            self._add(day, [Line("50305", text, debit=cents, party=self.bank),
                            Line("102", text, credit=cents, party=self.bank, settlement="转账")], 1)
        post = f"中国邮政集团有限公司{self.city}市分公司"
        day = d.between(rng, date(y, 11, 3), date(y, 12, 19))
        self._pay(day, [Line("50103", f"订阅{y + 1}年度《工人日报》等工会报刊", debit=round(_amount(rng, 300, 1400) * size),
                             party=post, invoice=self._invoice())], post)
        hotel = self._vendor("hotel")
        day = self.days.month(rng, rng.choice((3, 4, 12)))
        day = min(day, date(y, 12, 22))
        self._pay(day, [Line("50302", f"召开{y}年度工会会员代表大会会务费", debit=round(_amount(rng, 1500, 6000) * size),
                             party=hotel, invoice=self._invoice())], hotel)
        if rng.random() < 0.3:
            firm = self._vendor("audit")
            day = d.between(rng, date(y, 2, 10), date(y, 4, 30))
            self._pay(day, [Line("50305", f"{y - 1}年度工会经费收支审计服务费", debit=_amount(rng, 2800, 8000), party=firm,
                                 invoice=self._invoice())], firm)
        for _ in range(rng.randint(0, 1 + int(size))):
            item, low, high = rng.choice(_ASSETS)
            vendor = self._vendor("electronics")
            cents = _amount(rng, low, high)
            text = f"购置{item}"
            self._add(d.month(rng, rng.randint(1, 11)), [
                Line("50502", text, debit=cents, party=vendor, invoice=self._invoice()),
                Line("102", text, credit=cents, party=vendor, settlement=self._bank_way(cents)),
                Line("162", f"{text}，增加固定资产", debit=cents, party=vendor),
                Line("301", f"{text}，增加固定基金", credit=cents)], rng.randint(3, 5))

    # -- everyday spending ------------------------------------------------------------

    def _text(self, template: str, month: int, n: int = 0) -> str:
        rng = self.rng
        branch = rng.choice(self.branches) if self.branches and rng.random() < 0.5 else ""
        return template.format(b=branch, m=month, n=n, t=rng.choice(_TOPICS), e=rng.choice(_EVENTS), o=rng.choice(_OFFICE))

    def _spend_line(self, item: _Spend, month: int, scale: float) -> Line:
        rng = self.rng
        if item.per:
            (plow, phigh), (nlow, nhigh) = item.per
            n = rng.randint(nlow, nhigh) if nhigh else max(5, self.members - rng.randint(0, self.members // 20))
            n = max(1, round(n * (scale if nhigh and nhigh > 12 else 1)))
            cents = n * _amount(rng, plow, phigh)
        else:
            n = rng.randint(2, 12)
            cents = _amount(rng, item.low * scale, item.high * scale)
        party = self._vendor(item.vendor)
        invoice = "" if item.vendor == "person" else self._invoice()
        return Line(item.account, self._text(rng.choice(item.summaries), month, n), debit=cents, party=party,
                    invoice=invoice)

    def _everyday(self, budget: int) -> None:
        rng, d = self.rng, self.days
        remaining = max(10, self.target - len(self.vouchers))
        weights = [s.weight for s in _CLEAN_SPEND]
        # the scale that spends about the budget over the remaining vouchers
        mean = sum(w * (((s.per[0][0] + s.per[0][1]) / 2 * ((s.per[1][0] + s.per[1][1]) / 2 or self.members))
                        if s.per else (s.high - s.low) / math.log(s.high / s.low)) for s, w in zip(_CLEAN_SPEND, weights))
        mean /= sum(weights)
        scale = min(4.0, max(0.6, budget / 100 / max(1, remaining) / mean))
        advances = rng.randint(0, 3)
        for _ in range(advances):
            self._advance(scale)
        used = [0] * len(_CLEAN_SPEND)
        caps = [None if s.times is None else s.times * (1 + len(self.branches)) for s in _CLEAN_SPEND]
        while len(self.vouchers) < self.target:
            i = rng.choices(range(len(_CLEAN_SPEND)), weights)[0]
            item = _CLEAN_SPEND[i]
            used[i] += 1
            if caps[i] is not None and used[i] >= caps[i]:
                weights[i] = 0  # done for the year
            months = item.months or range(1, 13)
            m = rng.choices(months, [_MONTH_WEIGHT[x - 1] for x in months])[0]
            line = self._spend_line(item, m, scale)
            self._pay(d.month(rng, m), [line], line.party, cash=self._cashable(line.debit, item.vendor))

    def _advance(self, scale: float) -> None:
        rng, d, y = self.rng, self.days, self.year
        person, event = rng.choice(self.officers), rng.choice(_EVENTS)
        day = d.month(rng, rng.randint(3, 10))
        parts = [Line("50102", f"{event}场地费", debit=_amount(rng, 400, 2000), party=self._vendor("venue"),
                      invoice=self._invoice()),
                 Line("50102", f"{event}奖品", debit=_amount(rng, 300, 2000), party=self._vendor("supermarket"),
                      invoice=self._invoice()),
                 Line("50103", f"{event}宣传横幅", debit=_amount(rng, 60, 400), party=self._vendor("print"),
                      invoice=self._invoice())]
        parts = parts[: rng.randint(2, 3)]
        for p in parts:
            p.debit = max(100, round(p.debit * min(scale, 2.5)))
        spent = sum(p.debit for p in parts)
        advance = max(200_000, math.ceil(spent * rng.uniform(0.95, 1.2) / 100_000) * 100_000)
        text = f"{person}借支{event}活动经费"
        self._add(day, [Line("135", text, debit=advance, party=person),
                        Line("102", text, credit=advance, party=person, settlement="网银")], 2)
        settle_day = d.after(day, rng.randint(4, 18))
        text = f"{person}报销{event}费用，冲销借支"
        lines = list(parts)
        if spent < advance:
            lines.append(Line("101", f"{person}交回借支余款", debit=advance - spent, party=person, settlement="现金"))
        lines.append(Line("135", text, credit=advance, party=person))
        if spent > advance:
            lines.append(Line("102", f"补付{person}{event}垫付款", credit=spent - advance, party=person, settlement="网银"))
        self._add(settle_day, lines)

    # -- the year --------------------------------------------------------------------

    def build(self) -> list[Voucher]:
        income = self._income()
        self._festivals(income)
        self._birthdays()
        self._summer()
        self._care()
        self._hardship()
        self._routine()
        spent = sum(l.debit for v in self.vouchers for l in v.lines if l.account.startswith("5"))
        self._everyday(max(0, round(income * self.rng.uniform(0.82, 0.97)) - spent))
        return _number(self._with_cash(self.vouchers))

    def _with_cash(self, vouchers: list[Voucher]) -> list[Voucher]:
        """Petty cash drawn from the bank, the morning it would otherwise run short."""
        rng, cash, out = self.rng, 0, []
        cheque = rng.randrange(10_000_000, 90_000_000)
        for v in sorted(vouchers, key=lambda v: (v.day, v.order)):
            change = sum(l.debit - l.credit for l in v.lines if l.account == "101")
            if cash + change < 0:
                cents = math.ceil(-(cash + change) / 100_000) * 100_000 + rng.choice((100_000, 200_000, 300_000))
                cheque += 1
                w = Voucher(v.day, [Line("101", "提取备用金", debit=cents, settlement="现金"),
                                    Line("102", "提取备用金", credit=cents, settlement="支票", invoice=f"{cheque:08d}")],
                            self.preparer, self.reviewer, 1, order=v.order - 1e-6)
                out.append(w)
                cash += cents
            out.append(v)
            cash += change
        return out


def _clean_units(units) -> list[tuple[str, int, str, str]]:
    from jingshen.demo.ledger import grassroots_units
    from jingshen.demo.orgs import org_rows

    rows = {r[0]: r for r in org_rows()}
    chosen = grassroots_units() if units is None else units
    return [(code, int(members), name, rows.get(rows.get(code, [None, None, ""])[2], [None, "上级工会"])[1])
            for code, members, name in chosen]


def clean_ledger(folder: Path, seed: int = 2025, units=None, year: int = YEAR) -> Fixture:
    """The demo province's grassroots units (or ``units``: (code, members, name) of some of them)
    with a compliant year: orgs.csv (the demo's org file) and vouchers.csv in the standard template."""
    from jingshen.demo.orgs import write_orgs_csv

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    orgs = write_orgs_csv(folder / "orgs.csv")
    path = folder / "vouchers.csv"
    count = lines = 0
    codes = []
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(STANDARD_HEADER)
        for code, members, name, parent in _clean_units(units):
            codes.append(code)
            for v in _CleanUnit(code, members, name, parent, seed, year).build():
                count += 1
                for n, l in enumerate(v.lines, 1):
                    lines += 1
                    w.writerow([code, year, v.day.month, v.day.isoformat(), v.vtype, v.number, n, l.summary, l.account,
                                CLEAN_ACCOUNTS[l.account], _money(l.debit), _money(l.credit), l.party, l.settlement,
                                v.preparer, v.reviewer, v.attachments, l.invoice])
    fixture = Fixture("clean", folder, orgs, [path], {}, {}, {}, count, lines, codes)
    _write_labels(fixture)
    return fixture


# ---------------------------------------------------------------------------------------------
# FOREIGN: an ERP export of a new province-like set, with labelled problems.
# ---------------------------------------------------------------------------------------------

_F_PROVINCE = ("66", "南川省总工会")
_F_CITIES = {"临江": ["江北区", "江南区", "白沙县"], "青石": ["石门区", "青山区", "桃源县"], "云岭": ["云城区", "岭南县"]}
_F_EMPLOYERS = [
    ("{p}能源化工有限公司", "企业"), ("{p}水泥建材股份有限公司", "企业"), ("{p}汽车零部件有限公司", "企业"),
    ("{p}第二人民医院", "事业单位"), ("{p}妇幼保健院", "事业单位"), ("{p}第三中学", "事业单位"),
    ("{p}高新区管委会", "事业单位"), ("{p}城市建设投资集团有限公司", "企业"), ("{p}智能装备有限公司", "企业"),
    ("{p}现代物流园有限公司", "企业"), ("{p}食品饮料有限公司", "企业"), ("{p}热电有限公司", "企业"),
    ("{p}电子信息产业园有限公司", "企业"), ("{p}职业技术学院", "事业单位"),
]
# Each unit's own chart, two ERP templates; (code, name, category, direction).
_F_CHART_COMMON = [
    ("101", "库存现金", "资产类", "借"), ("102", "银行存款", "资产类", "借"), ("135", "其他应收款", "资产类", "借"),
    ("13501", "员工借款", "资产类", "借"), ("162", "固定资产", "资产类", "借"), ("301", "固定基金", "净资产类", "贷"),
    ("401", "会费收入", "收入类", "贷"), ("402", "拨缴经费收入", "收入类", "贷"), ("403", "上级补助收入", "收入类", "贷"),
    ("40302", "专项补助", "收入类", "贷"), ("408", "其他收入", "收入类", "贷"), ("40801", "利息收入", "收入类", "贷"),
    ("501", "职工活动支出", "支出类", "借"), ("50101", "职工教育费", "支出类", "借"), ("50102", "文体活动费", "支出类", "借"),
    ("5010201", "文艺活动", "支出类", "借"), ("5010202", "体育活动", "支出类", "借"), ("50104", "其他活动支出", "支出类", "借"),
    ("5010401", "节日慰问", "支出类", "借"), ("5010402", "会员慰问", "支出类", "借"), ("5010403", "生日慰问", "支出类", "借"),
    ("502", "维权支出", "支出类", "借"), ("50204", "困难职工帮扶费", "支出类", "借"), ("503", "业务支出", "支出类", "借"),
    ("504", "行政支出", "支出类", "借"), ("50402", "商品和服务支出", "支出类", "借"), ("5040201", "办公费", "支出类", "借"),
    ("5040202", "邮电费", "支出类", "借"), ("5040203", "印刷费", "支出类", "借"), ("505", "资本性支出", "支出类", "借"),
    ("50502", "办公设备购置", "支出类", "借"),
]
_F_CHART_A = [("50301", "培训费", "支出类", "借"), ("50302", "会议费", "支出类", "借"),
              ("50305", "其他业务支出", "支出类", "借"), ("5030501", "银行手续费", "支出类", "借")]
_F_CHART_B = [("50301", "培训及会议", "支出类", "借"), ("5030101", "培训费", "支出类", "借"),
              ("5030201", "会议费", "支出类", "借"), ("50302", "会议费用", "支出类", "借"),
              ("50305", "其他业务支出", "支出类", "借"), ("5030501", "金融手续费", "支出类", "借")]
# Posting accounts by purpose, for each chart template.
_F_POST = {
    "A": {"training": "50301", "meeting": "50302", "bankfee": "5030501"},
    "B": {"training": "5030101", "meeting": "5030201", "bankfee": "5030501"},
}
_F_VENDOR_WORDS = ["宏达", "华信", "鼎新", "联创", "盛源", "恒通", "金诚", "博雅", "新锦", "泰丰", "荣华", "天佑", "嘉利",
                   "永盛", "瑞达", "鸿运", "汇丰", "长丰", "德信", "正元"]
_F_VENDOR_KINDS = {
    "office": "{c}{w}办公设备有限公司", "print": "{c}{w}印务有限公司", "sports": "{c}{w}体育发展有限公司",
    "training": "{c}{w}企业管理咨询有限公司", "hotel": "{c}{w}国际酒店有限公司", "bakery": "{c}{w}食品有限公司",
    "gifts": "{c}{w}商贸有限公司", "electronics": "{c}{w}科技有限公司", "courier": "{c}{w}物流有限公司",
    "travel_bus": "{c}{w}汽车服务有限公司", "books": "{c}{w}图书发行有限公司",
}
# (purpose, account key or code, English/mixed summaries, vendor kind, low, high, weight)
_F_SPEND = [
    ("office", "5040201", ["Payment - office supplies", "Office supplies {m}", "办公用品 office supplies"], "office", 80, 2400, 10),
    ("print", "5040203", ["Printing - union bulletin", "Printing service - 宣传册", "Banner printing"], "print", 60, 1800, 5),
    ("post", "5040202", ["Courier fee", "Express delivery {m}", "Postage"], "courier", 15, 260, 5),
    ("training", "training", ["Staff training fee", "Training - union officers", "Skills training 技能培训"], "training", 800, 6800, 5),
    ("meeting", "meeting", ["Meeting venue - union committee", "Conference room rental", "Meeting materials 会议资料"], "hotel", 300, 3800, 4),
    ("sports", "5010202", ["Sports activity - badminton court", "Basketball tournament venue", "Sports equipment"], "sports", 300, 3200, 6),
    ("arts", "5010201", ["Choir rehearsal costumes", "Cultural activity - performance", "Art exhibition framing"], "print", 300, 2800, 3),
    ("books", "50101", ["Books for staff reading room", "Staff education materials"], "books", 200, 2400, 3),
    ("snacks", "5010401", ["Tea break for staff activity", "Drinks for sports day"], "bakery", 80, 900, 2),
]
_F_FESTIVALS = [((1, 6), (1, 24), "Spring Festival gifts 春节慰问品"), ((5, 12), (5, 29), "Dragon Boat gifts 端午慰问品"),
                ((9, 10), (9, 29), "Mid-Autumn gifts 中秋慰问品")]
# One character swapped for a look-alike payee name.
_LOOKALIKE = {"达": "大", "华": "化", "信": "言", "新": "欣", "创": "刨", "源": "原", "通": "同", "诚": "城", "雅": "亚",
              "锦": "金", "丰": "峰", "荣": "容", "佑": "右", "利": "力", "盛": "胜", "运": "云", "德": "得", "元": "圆",
              "恒": "衡", "鼎": "顶", "联": "连", "博": "搏", "泰": "太", "天": "添", "嘉": "佳", "永": "泳", "瑞": "锐",
              "鸿": "宏", "汇": "会", "长": "常", "正": "政", "宏": "鸿", "金": "今"}


def _foreign_orgs(rng: random.Random, n_units: int) -> tuple[list[list], list[tuple[str, int, str]]]:
    rows = [[_F_PROVINCE[0], _F_PROVINCE[1], "", "省", "工会机关", ""]]
    counties = []
    for ci, (city, districts) in enumerate(_F_CITIES.items(), start=1):
        ccode = f"66{ci:02d}"
        rows.append([ccode, f"{city}市总工会", _F_PROVINCE[0], "市", "工会机关", ""])
        for di, district in enumerate(districts, start=1):
            code = f"{ccode}{di:02d}"
            rows.append([code, f"{city}市{district}总工会", ccode, "县", "工会机关", ""])
            counties.append((code, city, district))
    units = []
    k = 0
    while len(units) < n_units:
        code, city, district = counties[k % len(counties)]
        seq = k // len(counties) + 1
        k += 1
        place = district[:-1] if len(district) > 2 else district
        template, kind = _F_EMPLOYERS[(k * 5 + seq) % len(_F_EMPLOYERS)]
        name = template.format(p=f"{city}{place}" if seq % 2 else place) + "工会委员会"
        members = int(rng.lognormvariate(5.0, 0.8)) + 20
        ucode = f"{code}2{seq:03d}"  # 10 digits: county code, 2, sequence
        rows.append([ucode, name, code, "基层", "基层工会", members])
        units.append((ucode, members, name))
    return rows, units


class _ForeignUnit:
    def __init__(self, code: str, members: int, name: str, seed: int, year: int):
        self.rng = rng = random.Random(f"jingshen-fixture-foreign:{seed}:{code}")
        self.code, self.members, self.name, self.year = code, members, name, year
        self.days = _days(year)
        self.city = name[:2]
        self.template = rng.choice("AB")
        self.post = _F_POST[self.template]
        self.wage = rng.uniform(6500, 14000)
        self.employer = name.removesuffix("工会委员会")
        taken: set[str] = set()
        self.accountants = _people(rng, 2, taken)
        self.staff = _people(rng, 40, taken)
        self.system = rng.choice(("SYSTEM", "系统", "admin_sys"))
        words = rng.sample(_F_VENDOR_WORDS, len(_F_VENDOR_KINDS))
        self.vendors = {kind: p.format(c=self.city, w=w) for (kind, p), w in zip(_F_VENDOR_KINDS.items(), words)}
        self.vouchers: list[Voucher] = []
        self.invoices: set[str] = set()
        self.target = min(900, max(90, round(16 * members ** 0.5 * rng.uniform(0.8, 1.2))))
        self.injected_share = rng.uniform(0.01, 0.03)

    def _invoice(self) -> str:
        while True:
            no = f"{self.rng.randrange(10**19, 10**20)}"
            if no not in self.invoices:
                self.invoices.add(no)
                return no

    def _add(self, day: date, lines: list[Line], vtype: str, label: str = "", manual: bool = False) -> Voucher:
        rng = self.rng
        preparer = rng.choice(self.accountants) if manual or rng.random() < 0.12 else self.system
        reviewer = ""
        if rng.random() < 0.1:
            reviewer = next(a for a in self.accountants if a != preparer)
        v = Voucher(day, lines, preparer, reviewer, None, vtype, label, order=rng.random())
        self.vouchers.append(v)
        return v

    def _pay(self, day: date, account: str, text: str, cents: int, payee: str, *, cash: bool = False,
             label: str = "", invoice: str | None = None) -> Voucher:
        inv = self._invoice() if invoice is None else invoice
        return self._add(day, [Line(account, text, debit=cents, party=payee, invoice=inv),
                               Line("101" if cash else "102", text, credit=cents, party=payee)], "付", label)

    def _income(self) -> None:
        rng, d, y = self.rng, self.days, self.year
        for m in range(1, 13):
            cents = round(self.members * self.wage * rng.uniform(0.97, 1.03) * 2)
            text = rng.choice((f"Union funds remittance {y}-{m:02d} (2%)", f"拨缴经费 {m}月 remittance"))
            self._add(d.between(rng, date(y, m, 5), date(y, m, 20)),
                      [Line("102", text, debit=cents, party=self.employer), Line("402", text, credit=cents, party=self.employer)], "收")
            if m % 3 == 0:
                cents = round(self.members * self.wage * 1.5 * rng.uniform(0.97, 1.0))
                text = f"Membership dues Q{m // 3} 会费"
                self._add(d.between(rng, date(y, m, 5), date(y, m, 25)),
                          [Line("102", text, debit=cents, party=self.employer), Line("401", text, credit=cents, party=self.employer)], "收")
                cents = max(100, round(self.members * self.wage * rng.uniform(0.003, 0.01)))
                text = f"Interest income Q{m // 3}"
                self._add(d.after(date(y, m, 20), 1), [Line("102", text, debit=cents), Line("40801", text, credit=cents)], "收")

    def _spending(self) -> None:
        rng, d, y = self.rng, self.days, self.year
        for m in range(1, 13):
            cents = _amount(rng, 8, 60)
            text = f"Bank charges {y}-{m:02d}"
            self._add(d.between(rng, date(y, m, 21), date(y, m, 28)),
                      [Line(self.post["bankfee"], text, debit=cents), Line("102", text, credit=cents)], "付")
        for start, end, text in _F_FESTIVALS:
            price = rng.choice((98, 128, 158, 168, 198))
            heads = self.members - rng.randint(0, self.members // 20)
            self._pay(d.between(rng, date(y, *start), date(y, *end)), "5010401", f"{text}, {heads} staff",
                      heads * price * 100, self.vendors["gifts"])
        price = rng.choice((120, 150, 200))
        for m in range(1, 13):
            heads = _poisson(rng, self.members / 12)
            if heads:
                self._pay(d.between(rng, date(y, m, 1), date(y, m, 12)), "5010403",
                          f"Birthday cake vouchers {m}月 生日蛋糕券 {heads}人", heads * price * 100, self.vendors["bakery"])
        for _ in range(_poisson(rng, self.members * 0.06)):
            person = rng.choice(self.staff)
            what, cents = rng.choice((("hospitalisation 住院慰问", 50_000), ("wedding 结婚慰问", 50_000),
                                      ("retirement 退休慰问", 80_000)))
            self._add(d.month(rng, rng.randint(1, 12)), [Line("5010402", f"Member care - {what} {person}", debit=cents, party=person),
                                                         Line("102", f"Member care - {what} {person}", credit=cents, party=person)], "付")
        for _ in range(rng.randint(0, 2)):
            cents = _amount(rng, 2500, 7800)
            vendor = self.vendors["electronics"]
            day = d.month(rng, rng.randint(1, 11))
            self._pay(day, "50502", "IT equipment - laptop 笔记本电脑", cents, vendor)
            self._add(day, [Line("162", "Capitalise equipment 固定资产入账", debit=cents, party=vendor),
                            Line("301", "Capitalise equipment 固定资产入账", credit=cents)], "转")
        weights = [s[6] for s in _F_SPEND]
        while len(self.vouchers) < self.target:
            purpose, account, texts, vendor, low, high, _ = rng.choices(_F_SPEND, weights)[0]
            account = self.post.get(account, account)
            m = rng.choices(range(1, 13), _MONTH_WEIGHT)[0]
            text = rng.choice(texts).format(m=f"{y}-{m:02d}")
            self._pay(d.month(rng, m), account, text, _amount(rng, low, high), self.vendors[vendor])

    # -- labelled problems --------------------------------------------------------------

    def _regular_payments(self) -> list[Voucher]:
        return [v for v in self.vouchers if v.vtype == "付" and not v.label and len(v.lines) == 2
                and v.lines[1].account == "102" and v.lines[0].party in self.vendors.values()]

    def _inject(self) -> None:
        rng = self.rng
        wanted = max(1, round(self.target * self.injected_share))
        kinds = rng.choices(list(_FOREIGN_WEIGHTS), list(_FOREIGN_WEIGHTS.values()), k=wanted)
        for kind in sorted(kinds, key=lambda k: k in ("holiday_posting", "duplicate_payment")):
            getattr(self, f"_inject_{kind}")()

    def _inject_split_payment(self) -> None:
        rng, d, y = self.rng, self.days, self.year
        purpose, account, texts, vendor, *_ = rng.choice([s for s in _F_SPEND if s[5] >= 1800])
        account, payee, text = self.post.get(account, account), self.vendors[vendor], rng.choice(texts).format(m="")
        limit = rng.choice((5000, 10000))
        day = d.month(rng, rng.randint(1, 11))
        for _ in range(rng.randint(2, 3)):
            self._pay(day, account, text, _amount(rng, limit * 0.9, limit * 0.998), payee, label="split_payment")
            day = d.after(day, rng.randint(1, 4)) or day

    def _inject_lookalike_payee(self) -> None:
        rng, d = self.rng, self.days
        kind = rng.choice(["office", "print", "training", "hotel", "gifts"])
        real = self.vendors[kind]
        spots = [i for i, ch in enumerate(real) if ch in _LOOKALIKE and i >= 2]
        if not spots:
            return
        i = rng.choice(spots)
        fake = real[:i] + _LOOKALIKE[real[i]] + real[i + 1:]
        purpose = next(s for s in _F_SPEND if s[3] == kind) if any(s[3] == kind for s in _F_SPEND) else _F_SPEND[0]
        account = self.post.get(purpose[1], purpose[1])
        for _ in range(rng.choice((1, 1, 2))):
            self._pay(d.month(rng, rng.randint(1, 12)), account, rng.choice(purpose[2]).format(m=""),
                      _amount(rng, 1800, 9500), fake, label="lookalike_payee")

    def _inject_year_end_adjustment(self) -> None:
        rng, y = self.rng, self.year
        day = rng.choice([date(y, 12, n) for n in range(27, 32)])
        cents = rng.choice((5, 6, 8, 10, 12, 15, 20, 30)) * 100_000
        debit = rng.choice(["5010401", "5040201", self.post["meeting"], "5010202"])
        credit = rng.choice(["102", "13501", "5040201"])
        if credit == debit:
            credit = "102"
        text = rng.choice(("期末调账", "Year-end adjustment", "调整", "Adjustment entry", "期末调整"))
        self._add(day, [Line(debit, text, debit=cents), Line(credit, text, credit=cents)], "转", "year_end_adjustment",
                  manual=True)

    def _inject_gift_card(self) -> None:
        rng, d, y = self.rng, self.days, self.year
        text, payee = rng.choice([
            ("JD E-card for staff", "北京京东世纪贸易有限公司"), ("超市购物卡 Spring Festival", f"{self.city}百佳超市有限公司"),
            ("Shopping cards - Mid-Autumn", f"{self.city}万家购物中心"), ("加油卡 fuel cards for staff", f"中国石化{self.city}分公司"),
            ("Gift cards - year end", f"{self.city}万家购物中心"), ("购物卡（年终慰问）", f"{self.city}百佳超市有限公司")])
        heads = min(self.members, rng.randint(20, 80))
        self._pay(d.month(rng, rng.choice((1, 9, 12))), "5010401", text, heads * rng.choice((200, 300, 500)) * 100, payee,
                  label="gift_card")

    def _inject_banquet(self) -> None:
        rng, d = self.rng, self.days
        text, payee, account = rng.choice([
            ("Business dinner - 宴请 visiting delegation", f"{self.city}望江楼酒家", "5010401"),
            ("Welcome banquet (incl. wine) 招待晚宴", f"{self.city}金樽大酒店有限公司", self.post["meeting"]),
            ("Liquor purchase - 茅台 for reception", f"{self.city}名酒行", "5040201"),
            ("Dinner with inspection team 接待用餐", f"{self.city}聚贤楼餐厅", "5010202")])
        self._pay(d.month(rng, rng.randint(1, 12)), account, text, _amount(rng, 1200, 9000), payee, label="banquet")

    def _inject_duplicate_payment(self) -> None:
        rng = self.rng
        candidates = [v for v in self._regular_payments() if v.lines[0].debit >= 50_000]
        if not candidates:
            return
        original = rng.choice(candidates)
        day = self.days.after(original.day, rng.randint(1, 5))
        if day is None:
            return
        lines = [Line(l.account, l.summary, l.debit, l.credit, l.party, l.settlement, l.invoice) for l in original.lines]
        self._add(day, lines, "付", "duplicate_payment")

    def _inject_holiday_posting(self) -> None:
        rng = self.rng
        candidates = [v for v in self._regular_payments() if v.day.month < 12]
        if candidates:
            v = rng.choice(candidates)
            v.day, v.label = self.days.day_off(rng, v.day.month), "holiday_posting"
            v.preparer = rng.choice(self.accountants)

    def _inject_large_cash(self) -> None:
        rng, d = self.rng, self.days
        day = d.month(rng, rng.randint(1, 12))
        cents = _amount(rng, 1500, 9000)
        text = rng.choice(("Cash payment - activity supplies", "现金支付 activity prizes", "Cash - staff event expenses"))
        withdraw = math.ceil(cents / 100_000) * 100_000
        self._add(day, [Line("101", "Petty cash withdrawal 提取备用金", debit=withdraw),
                        Line("102", "Petty cash withdrawal 提取备用金", credit=withdraw)], "付")
        self._pay(day, self.post.get("5010202", "5010202"), text, cents, rng.choice(self.staff), cash=True,
                  label="large_cash", invoice="")

    def build(self) -> list[Voucher]:
        self._income()
        self._spending()
        self._inject()
        return _number(self.vouchers)


def _chart_rows(template: str, rng: random.Random) -> list[tuple]:
    rows = _F_CHART_COMMON + (_F_CHART_A if template == "A" else _F_CHART_B)
    extra = [("5010203", "职工书屋", "支出类", "借")] if rng.random() < 0.4 else []
    return sorted(rows + extra, key=lambda r: r[0])


def foreign_ledger(folder: Path, seed: int = 2025, units: int | None = None, year: int = YEAR) -> Fixture:
    """The ERP-export ledger of a new province-like set: orgs.csv (an org file with header
    aliases), charts/<code>.csv (each unit's own chart, no 科目角色), vouchers.csv (GB18030)."""
    folder = Path(folder)
    (folder / "charts").mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"jingshen-fixture-foreign:{seed}")
    rows, unit_list = _foreign_orgs(rng, units or rng.randint(60, 120))
    orgs = folder / "orgs.csv"
    with orgs.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(FOREIGN_ORG_HEADER)
        w.writerows(rows)
    charts, labels = {}, {}
    path = folder / "vouchers.csv"
    count = lines = 0
    with path.open("w", encoding="gb18030", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(FOREIGN_HEADER)
        for code, members, name in unit_list:
            unit = _ForeignUnit(code, members, name, seed, year)
            chart = _chart_rows(unit.template, unit.rng)
            names = {c: n for c, n, *_ in chart}
            full = {c: "\\".join(names[p] for p in dict.fromkeys((c[:3], c[:5], c)) if p in names) for c in names}
            charts[code] = folder / "charts" / f"{code}.csv"
            with charts[code].open("w", encoding="utf-8-sig", newline="") as cf:
                cw = csv.writer(cf)
                cw.writerow(FOREIGN_CHART_HEADER)
                cw.writerows(chart)
            for v in unit.build():
                count += 1
                if v.label:
                    labels[(code, year, v.day.month, v.vtype, v.number)] = v.label
                for l in v.lines:
                    lines += 1
                    side, cents = ("D", l.debit) if l.debit else ("C", l.credit)
                    w.writerow([code, v.day.month, f"{v.day.year}/{v.day.month}/{v.day.day}", v.vtype,
                                f"{v.vtype}-{v.number:04d}", l.summary, l.account, full[l.account], side,
                                _money_sep(cents), "CNY", l.party, "", v.preparer, v.reviewer, "", l.invoice])
    fixture = Fixture("foreign", folder, orgs, [path], charts, labels, FOREIGN_KINDS, count, lines,
                      [u[0] for u in unit_list])
    _write_labels(fixture)
    return fixture


def _write_labels(fixture: Fixture) -> None:
    """labels.json beside the files: the kinds and every labelled voucher."""
    data = {"kinds": fixture.kinds, "vouchers": fixture.voucher_count, "lines": fixture.line_count,
            "labels": [[*key, kind] for key, kind in sorted(fixture.labels.items())]}
    (fixture.folder / "labels.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description="Write a fixture ledger (clean or foreign) to a folder.")
    parser.add_argument("which", choices=("clean", "foreign"))
    parser.add_argument("folder")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--units", type=int, help="foreign: number of units (default 60-120 from the seed)")
    args = parser.parse_args()
    if args.which == "clean":
        f = clean_ledger(Path(args.folder), args.seed)
    else:
        f = foreign_ledger(Path(args.folder), args.seed, args.units)
    print(f"{f.name}: {len(f.units)} units, {f.voucher_count} vouchers, {f.line_count} lines, {len(f.labels)} labelled")


if __name__ == "__main__":
    main()
