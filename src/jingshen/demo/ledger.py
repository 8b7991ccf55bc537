"""The demo ledger: one fiscal year of accounting vouchers (记账凭证) for every grassroots unit
of the demo province, on the 2010 union chart of accounts, reproducible from a seed.

Each unit draws from its own random stream, derived from (seed, unit code), so a unit's books
do not depend on which other units are generated. Volume follows member count (about 800 to
5,000 journal lines a unit, some 300,000 for the whole demo province); money follows a payroll
estimated from member count and the kind of employer.

What a grassroots union's books hold: the employer's monthly remittance (拨缴经费, 2 % of
payroll) and members' dues, an occasional subsidy from the union above, bank interest; festival
gifts and birthday cakes, sports and cultural activities, care for members (weddings, births,
illness, bereavement, retirement), hardship help and 送温暖, training, meetings, office costs,
a few fixed assets (with the 固定资产/固定基金 mirror entry), cash drawn for petty payments, staff
advances settled later. Spending follows the festival calendar and peaks in December; postings
fall on working days of the official calendar (调休 included).

A small share of vouchers (about 1.5 % overall, from 0.6 % to 5 % by unit) carries the
problems an audit should find: see ANOMALY_KINDS. The CSV has no flag column; `unit_vouchers`
keeps the injected kind on each voucher (`Voucher.anomaly`) as ground truth for tests and rules.
"""

from __future__ import annotations

import bisect
import csv
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Callable, Iterable, Iterator, NamedTuple

from jingshen.demo.orgs import CITIES, org_rows

VOUCHER_HEADER = ["单位编码", "会计年度", "会计期间", "凭证日期", "凭证字", "凭证号", "分录号", "摘要", "科目编码", "科目名称",
                  "借方金额", "贷方金额", "往来单位", "结算方式", "制单人", "审核人", "附件数", "票据号"]

# Every account the generator posts to, with its name in the 2010 chart (《工会会计制度》).
ACCOUNTS = {
    "101": "库存现金",
    "102": "银行存款",
    "135": "其他应收款",
    "162": "固定资产",
    "301": "固定基金",
    "401": "会费收入",
    "402": "拨缴经费收入",
    "40302": "专项补助",
    "40304": "帮扶补助",
    "40305": "送温暖补助",
    "408": "其他收入",
    "50101": "职工教育费",
    "50102": "文体活动费",
    "50103": "宣传活动费",
    "50104": "其他活动支出",
    "50201": "劳动关系协调费",
    "50203": "法律援助费",
    "50204": "困难职工帮扶费",
    "50205": "送温暖费",
    "50301": "培训费",
    "50302": "会议费",
    "50305": "其他业务支出",
    "50402": "商品和服务支出",
    "50502": "办公设备购置",
}
CASH, BANK, RECEIVABLE, FIXED_ASSET, FIXED_FUND = "101", "102", "135", "162", "301"

# The problems injected for auditors to find, each a kind of Voucher.anomaly.
ANOMALY_KINDS = {
    "shopping_card": "购物卡、加油卡、代金券、电商卡（摘要或往来单位）",
    "cash_handout": "以现金发放过节费、慰问金",
    "hospitality": "宴请、烟酒、聚餐",
    "holiday_posting": "周末或法定节假日记账",
    "large_cash": "超过 1,000 元的现金支付",
    "split_payment": "拆分支付：同一收款方金额略低于 5,000 / 10,000 元",
    "duplicate_payment": "重复支付：同一收款方、同一金额、数日之内",
    "round_supermarket": "超市、商场整数大额支付",
    "self_review": "制单人即审核人，或无审核人",
    "vague_summary": "摘要含糊（调账、其他、支付费用）",
}
# Relative frequency of each kind among injected vouchers.
_ANOMALY_WEIGHTS = {
    "shopping_card": 14, "cash_handout": 6, "hospitality": 12, "holiday_posting": 12, "large_cash": 12,
    "split_payment": 5, "duplicate_payment": 8, "round_supermarket": 10, "self_review": 11, "vague_summary": 10,
}
# Share of a unit's vouchers that carry a problem, by risk tier, and how common each tier is.
_RISK_TIERS = [(0.006, 0.55), (0.018, 0.30), (0.05, 0.15)]

# Journal lines per unit: _LINES_SCALE * members ** _LINES_POWER within the bounds; cash withdrawals
# and copied vouchers come on top, so that a unit ends with 800 to 5,000 lines.
_LINES_SCALE, _LINES_POWER, _MIN_LINES, _MAX_LINES = 203, 0.4, 800, 4880

# ---------------------------------------------------------------------------------------------
# Calendar: the official working-day calendar and the festival windows in which units spend.
# ---------------------------------------------------------------------------------------------


class _YearSpec(NamedTuple):
    holidays: list[tuple[tuple[int, int], tuple[int, int]]]  # statutory days off, (month, day) ranges
    makeup_workdays: list[tuple[int, int]]  # weekend days worked instead (调休)
    windows: dict[str, tuple[tuple[int, int], tuple[int, int]]]  # when festival spending happens


_YEARS = {
    # 国务院办公厅关于2025年部分节假日安排的通知
    2025: _YearSpec(
        holidays=[((1, 1), (1, 1)), ((1, 28), (2, 4)), ((4, 4), (4, 6)), ((5, 1), (5, 5)),
                  ((5, 31), (6, 2)), ((10, 1), (10, 8))],
        makeup_workdays=[(1, 26), (2, 8), (4, 27), (9, 28), (10, 11)],
        windows={  # 春节 1-29, 元宵 2-12, 端午 5-31, 中秋 10-6; gifts are bought before the day
            "春节": ((1, 6), (1, 24)),
            "元宵": ((2, 10), (2, 14)),
            "三八": ((3, 3), (3, 7)),
            "五一": ((4, 21), (4, 30)),
            "端午": ((5, 19), (6, 6)),
            "金秋助学": ((8, 11), (9, 5)),
            "中秋国庆": ((9, 15), (9, 30)),
            "元旦": ((12, 15), (12, 31)),
        },
    ),
}


class _Calendar:
    """Working days (调休 included), days off, and the festival windows of one year."""

    def __init__(self, year: int):
        spec = _YEARS.get(year)
        if spec is None:
            raise ValueError(f"没有 {year} 年的节假日安排（已有：{sorted(_YEARS)}）")
        off: set[date] = set()
        for (m1, d1), (m2, d2) in spec.holidays:
            day = date(year, m1, d1)
            while day <= date(year, m2, d2):
                off.add(day)
                day += timedelta(days=1)
        makeup = {date(year, m, d) for m, d in spec.makeup_workdays}
        days = [date(year, 1, 1) + timedelta(days=i) for i in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)]
        is_workday = {d: d in makeup or (d.weekday() < 5 and d not in off) for d in days}
        self.holidays = off
        self.workdays = [d for d in days if is_workday[d]]
        self._workdays_in = {m: [d for d in self.workdays if d.month == m] for m in range(1, 13)}
        self._days_off_in = {m: [d for d in days if d.month == m and not is_workday[d]] for m in range(1, 13)}
        self.windows = {name: (date(year, *start), date(year, *end)) for name, (start, end) in spec.windows.items()}

    def workday(self, rng: random.Random, month: int) -> date:
        return rng.choice(self._workdays_in[month])

    def workday_between(self, rng: random.Random, start: date, end: date) -> date:
        lo = bisect.bisect_left(self.workdays, start)
        hi = bisect.bisect_right(self.workdays, end)
        return self.workdays[rng.randrange(lo, hi)]

    def workday_in(self, rng: random.Random, window: str) -> date:
        return self.workday_between(rng, *self.windows[window])

    def workday_on_or_after(self, day: date) -> date | None:
        i = bisect.bisect_left(self.workdays, day)
        return self.workdays[i] if i < len(self.workdays) else None

    def workdays_after(self, day: date, n: int) -> date | None:
        """The n-th working day after `day`, or None past the year's end."""
        i = bisect.bisect_right(self.workdays, day) + n - 1
        return self.workdays[i] if i < len(self.workdays) else None

    def day_off(self, rng: random.Random, month: int) -> date:
        """A weekend day or statutory holiday in the month, holidays preferred when there are some."""
        days = self._days_off_in[month]
        holidays = [d for d in days if d in self.holidays]
        return rng.choice(holidays if holidays and rng.random() < 0.5 else days)


@cache
def _calendar(year: int) -> _Calendar:
    return _Calendar(year)


# ---------------------------------------------------------------------------------------------
# People and counterparties.
# ---------------------------------------------------------------------------------------------

_SURNAMES = ("王陈张李吴周徐金朱胡沈杨黄林俞钱方刘郑何叶蒋许孙马潘应姚邵汪程蔡楼冯丁童韩傅赵章陆曹袁施宋毛董"
             "严卢谢吕鲍葛陶戴余顾唐范孔裘")
_GIVEN = ["建国", "丽华", "志强", "秀英", "伟", "芳", "敏", "静", "磊", "洋", "娟", "婷", "军", "杰", "涛", "明", "超",
          "霞", "平", "刚", "桂英", "玉兰", "海燕", "晓东", "晓燕", "雪梅", "国平", "文杰", "佳怡", "子涵", "浩然", "雨婷",
          "俊杰", "欣怡", "建华", "红梅", "志明", "丽娟", "美玲", "卫东", "永强", "春燕", "秋萍", "慧敏", "振华", "雅琴",
          "德明", "晓峰", "燕", "勇", "鑫", "琳", "斌", "颖", "浩", "倩", "凯", "莉", "宇航", "思远", "梦洁", "海军",
          "利民", "金花", "益民", "伟强", "少华", "建军", "旭东", "丹丹"]


def _person(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + rng.choice(_GIVEN)


def _people(rng: random.Random, n: int) -> list[str]:
    names: list[str] = []
    while len(names) < n:
        name = _person(rng)
        if name not in names:
            names.append(name)
    return names


# Counterparty name patterns by kind; {c} is the city, {d} the district (short forms).
_VENDORS = {
    "supermarket": ["{c}联惠超市有限公司", "惠客多超市（{d}店）", "{c}家家福购物中心有限公司", "{d}百汇生活超市"],
    "mall": ["{c}万隆商厦有限公司", "{c}银都购物广场"],
    "bakery": ["金麦穗烘焙（{d}店）", "麦香坊烘焙（{d}店）", "甜心坊烘焙（{d}店）", "可颂屋烘焙（{d}店）"],
    "fruit": ["{d}果满园水果商行", "{c}鲜果汇农产品有限公司"],
    "grain": ["{c}丰收粮油贸易有限公司", "{d}五谷香粮油店"],
    "food": ["{c}知味食品有限公司", "{c}江南味道食品有限公司"],
    "florist": ["{d}花语鲜花店", "{c}绿野花艺工作室"],
    "venue": ["{d}全民健身中心", "{c}奥体体育发展有限公司", "{d}文体中心"],
    "badminton": ["{d}飞羽羽毛球馆", "{c}凌云羽毛球俱乐部有限公司"],
    "sports": ["{c}健动体育用品商店", "{d}运动之家体育用品店"],
    "ecommerce": ["北京京东世纪贸易有限公司", "苏宁易购集团股份有限公司"],
    "office": ["{c}文汇办公用品有限公司", "{d}晨曦文具店"],
    "electronics": ["{c}华通数码科技有限公司", "{c}联创电器有限公司"],
    "print": ["{c}彩虹图文快印有限公司", "{d}金点子广告制作部"],
    "bookstore": ["{c}新华书店", "{c}博文书城有限公司"],
    "cinema": ["{c}星光影城有限公司", "{d}万象影城"],
    "bus": ["{c}顺达旅游客运有限公司", "{c}安途汽车租赁有限公司"],
    "training": ["{c}市职工学校", "{c}新知职业技能培训学校", "浙江省工会干部培训中心"],
    "hotel": ["{c}国际大酒店有限公司", "{d}会议中心", "{c}迎宾馆"],
    "photo": ["{c}光影摄影工作室", "{d}时光影像工作室"],
    "media": ["{c}启明文化传媒有限公司"],
    "costume": ["{c}霓裳演出服装租赁店"],
    "fitness": ["{d}悦动瑜伽馆", "{c}活力健身俱乐部有限公司"],
    "post": ["中国邮政集团有限公司{c}市分公司"],
    "courier": ["{c}快捷速递服务部", "{d}速达快递代办点"],
    "water": ["{c}清泉饮用水有限公司"],
    "law": ["浙江明理律师事务所", "{c}正平律师事务所"],
    "audit_firm": ["{c}正信会计师事务所有限公司", "{c}天衡会计师事务所有限公司"],
    "restaurant": ["{d}聚福楼餐厅", "{c}金悦大酒店有限公司", "{d}望江楼酒家"],
    "liquor": ["{d}名烟名酒商行", "{c}茅香烟酒店"],
    "gas": ["中国石化销售股份有限公司浙江{c}石油分公司"],
}
# Kinds of counterparty a union may pay in cash for a small purchase.
_CASH_VENDORS = {"supermarket", "bakery", "fruit", "florist", "sports", "office", "print", "bookstore", "courier",
                 "water", "person"}
_BANKS = ["中国工商银行", "中国农业银行", "中国建设银行", "中国银行", "交通银行"]

# Monthly payroll per member (元) by kind of employer, matched on the unit name.
_WAGES = [("供电", 15000, 19000), ("银行", 15000, 20000), ("医院", 12000, 16000), ("大学", 13000, 17000),
          ("中学", 11000, 14000), ("小学", 10500, 13500), ("学校", 10000, 13000), ("监督管理局", 11500, 14000),
          ("建设投资", 11000, 15000), ("电子科技", 9000, 12000), ("疗休养", 9000, 11000), ("文化宫", 7500, 9500),
          ("街道", 6000, 7500)]
_DEFAULT_WAGE = (6500, 8500)
# Member enterprises of a 联合基层工会 (street union), each remitting for its own staff.
_ENTERPRISE_WORDS = ["恒达", "华盛", "永兴", "鑫源", "兴业", "瑞丰", "宏图", "安泰", "诚信", "金利", "天成", "佳美"]
_ENTERPRISE_TRADES = ["五金", "服饰", "餐饮管理", "物业服务", "商贸", "电器", "包装", "印务", "家政服务", "汽车维修"]
# Branches (分会) that hold their own activities, by kind of employer, matched on the unit name;
# a street union's branches are its member enterprises.
_SCHOOL_BRANCHES = ["语文教研组", "数学教研组", "英语教研组", "行政后勤分会", "退休教师分会"]
_BRANCHES = [
    ("医院", ["内科分会", "外科分会", "护理分会", "医技分会", "行政后勤分会"]),
    ("大学", ["机械学院分工会", "信息学院分工会", "人文学院分工会", "机关分工会", "后勤分工会", "离退休分工会"]),
    ("学校", _SCHOOL_BRANCHES),
    ("中学", _SCHOOL_BRANCHES),
    ("小学", ["语文教研组", "数学教研组", "综合教研组", "行政后勤分会"]),
    ("供电", ["运检分会", "营销分会", "调控分会", "机关分会"]),
    ("银行", ["营业部分会", "公司业务部分会", "个人金融部分会", "机关分会"]),
    ("公交", ["一车队分会", "二车队分会", "三车队分会", "保修厂分会", "机关分会"]),
    ("监督管理局", ["机关分会", "稽查分会", "市场所分会"]),
]
_DEFAULT_BRANCHES = ["一车间分会", "二车间分会", "技术部分会", "销售部分会", "行政部分会"]

# ---------------------------------------------------------------------------------------------
# What units spend on. Amounts (元) are for a mid-sized unit; each unit scales them to its means.
# ---------------------------------------------------------------------------------------------


class _Item(NamedTuple):
    weight: int
    account: str
    summary: str
    vendor: str  # a _VENDORS kind, or "person" for a payment to an individual
    low: float
    high: float
    months: tuple[int, ...] = ()  # empty: any month


_PURCHASES = [
    _Item(6, "50102", "职工篮球赛场地租赁费", "venue", 400, 1500),
    _Item(6, "50102", "职工羽毛球活动场地费", "badminton", 200, 900),
    _Item(4, "50102", "职工乒乓球比赛用品", "sports", 150, 700),
    _Item(4, "50102", "购买篮球、足球等体育器材", "sports", 300, 1500),
    _Item(5, "50102", "职工趣味运动会奖品", "supermarket", 400, 2000),
    _Item(3, "50102", "职工健步走活动饮用水及补给", "supermarket", 100, 500),
    _Item(2, "50102", "职工合唱团演出服装租赁费", "costume", 500, 1800),
    _Item(2, "50102", "职工书画摄影展布展费", "print", 500, 2000),
    _Item(3, "50102", "职工观影活动电影票", "cinema", 400, 2000),
    _Item(3, "50102", "职工瑜伽兴趣班教练费", "fitness", 600, 2000),
    _Item(2, "50102", "职工春季踏青活动大巴租赁费", "bus", 800, 2500, (3, 4, 5)),
    _Item(2, "50102", "职工秋季登山活动大巴租赁费", "bus", 800, 2500, (10, 11)),
    _Item(2, "50102", "职工拔河比赛奖品", "supermarket", 300, 1200),
    _Item(2, "50102", "职工棋牌比赛奖品", "supermarket", 200, 900),
    _Item(3, "50101", "职工书屋图书采购", "bookstore", 300, 2000),
    _Item(2, "50101", "职工技能比武活动材料费", "print", 200, 1200),
    _Item(2, "50101", "职工心理健康讲座讲课费", "person", 500, 1500),
    _Item(1, "50101", "劳模工匠讲堂场地费", "hotel", 600, 2000),
    _Item(3, "50103", "工会宣传横幅制作费", "print", 80, 400),
    _Item(2, "50103", "职工之家宣传展板制作", "print", 300, 1200),
    _Item(2, "50103", "工会活动摄影摄像服务费", "photo", 500, 2000),
    _Item(1, "50103", "工会微信公众号推文设计费", "media", 300, 1200),
    _Item(3, "50104", "夏季送清凉慰问品（饮料、西瓜）", "supermarket", 600, 2500, (7, 8)),
    _Item(2, "50104", "职工之家饮用水、茶叶", "supermarket", 100, 500),
    _Item(3, "50301", "工会干部业务培训费", "training", 600, 2500),
    _Item(1, "50301", "经审委员业务培训费", "training", 500, 1800),
    _Item(1, "50301", "工会财务人员培训费", "training", 400, 1500),
    _Item(1, "50301", "女职工委员培训班费用", "training", 400, 1500),
    _Item(2, "50302", "工会委员会会议茶歇费", "hotel", 150, 600),
    _Item(1, "50302", "工会工作座谈会场地费", "hotel", 300, 1200),
    _Item(6, "50402", "购买办公用品", "office", 80, 600),
    _Item(4, "50402", "购买打印纸、墨盒", "ecommerce", 100, 600),
    _Item(3, "50402", "快递费", "courier", 15, 120),
    _Item(2, "50402", "复印装订费", "print", 30, 300),
    _Item(1, "50402", "职工之家桶装水", "water", 80, 300),
    _Item(1, "50201", "集体协商资料印制费", "print", 100, 600),
    _Item(1, "50203", "职工法律咨询服务费", "law", 1000, 3000),
]


class _Part(NamedTuple):
    account: str
    item: str
    vendor: str
    low: float
    high: float


class _Event(NamedTuple):
    """An activity whose costs one organiser pays and then reimburses (报销) in one voucher."""
    weight: int
    title: str
    parts: list[_Part]


def _event(weight: int, title: str, *parts: tuple[str, str, str, float, float]) -> _Event:
    return _Event(weight, title, [_Part(*part) for part in parts])


_EVENTS = [
    _event(5, "职工羽毛球比赛", ("50102", "场地费", "badminton", 300, 1200), ("50102", "用球", "sports", 100, 500),
           ("50102", "奖品", "supermarket", 300, 1500), ("50104", "饮用水", "supermarket", 40, 200)),
    _event(4, "职工篮球联赛", ("50102", "场地费", "venue", 500, 1800), ("50102", "裁判费", "person", 300, 900),
           ("50102", "奖杯奖牌", "sports", 200, 900), ("50104", "饮用水", "supermarket", 50, 200)),
    _event(4, "职工趣味运动会", ("50102", "场地费", "venue", 500, 2000), ("50102", "奖品", "supermarket", 500, 2500),
           ("50103", "宣传横幅", "print", 80, 300), ("50104", "饮用水", "supermarket", 50, 300)),
    _event(3, "职工读书分享会", ("50101", "图书", "bookstore", 300, 1500), ("50103", "宣传海报", "print", 50, 300),
           ("50104", "茶歇", "bakery", 100, 500)),
    _event(3, "工会干部培训班", ("50301", "培训费", "training", 800, 3000), ("50301", "资料印制费", "print", 100, 500),
           ("50301", "交通费", "bus", 300, 1200)),
    _event(3, "职工健步走活动", ("50102", "大巴租赁费", "bus", 600, 2000), ("50102", "饮用水及补给", "supermarket", 100, 500),
           ("50103", "横幅制作", "print", 60, 250)),
    _event(2, "职工摄影比赛", ("50102", "奖品", "supermarket", 300, 1500), ("50103", "作品冲印", "print", 100, 600),
           ("50103", "展板制作", "print", 200, 900)),
    _event(2, "工会委员会会议", ("50302", "场地租用", "hotel", 300, 1200), ("50302", "资料印制", "print", 50, 300),
           ("50302", "茶歇", "bakery", 100, 400)),
    _event(2, "职工亲子活动", ("50102", "场馆门票", "venue", 300, 1500), ("50102", "手工材料", "office", 100, 500),
           ("50104", "饮用水及点心", "supermarket", 80, 300)),
    _event(2, "职工技能竞赛", ("50101", "竞赛材料", "office", 200, 1000), ("50101", "获奖职工奖品", "supermarket", 300, 1500),
           ("50103", "横幅制作", "print", 60, 250)),
]


class _Festival(NamedTuple):
    window: str
    gifts: list[tuple[str, str]]  # (summary, vendor kind); one or two are bought
    prices: tuple[int, ...]  # per head, 元
    chance: float  # share of units that mark the festival with gifts
    women_only: bool = False
    event: _Event | None = None  # an activity some units hold
    event_chance: float = 0.0


_FESTIVALS = [
    _Festival("春节", [("春节慰问品（年货礼包）", "supermarket"), ("春节慰问品（大米、食用油）", "grain"),
                     ("支付春节慰问品费用（蛋糕券）", "bakery"), ("春节慰问品（水果礼盒）", "fruit")],
              (128, 158, 168, 198, 238, 268, 298), 1.0),
    _Festival("元宵", [], (), 0.0, event_chance=0.5,
              event=_event(1, "元宵节猜灯谜活动", ("50102", "奖品", "supermarket", 300, 1200),
                           ("50103", "灯笼及场地布置", "print", 200, 800))),
    _Festival("三八", [("三八节女职工慰问品（鲜花）", "florist"), ("三八节女职工慰问品（丝巾）", "ecommerce"),
                     ("三八节女职工慰问品（护手霜礼盒）", "ecommerce")],
              (58, 68, 88, 98, 128), 0.9, women_only=True, event_chance=0.7,
              event=_event(1, "三八节职工活动", ("50102", "插花手工材料", "florist", 300, 1200),
                           ("50102", "活动场地费", "venue", 300, 1000), ("50104", "茶歇", "bakery", 100, 400))),
    _Festival("五一", [("五一劳动节慰问品（食用油）", "grain")], (58, 68, 88, 98, 128), 0.5),
    _Festival("端午", [("端午节慰问品（粽子、咸鸭蛋）", "food"), ("端午节慰问品（粽子礼盒）", "food")],
              (68, 88, 98, 128, 158), 0.95, event_chance=0.4,
              event=_event(1, "端午节包粽子活动", ("50102", "粽叶糯米等材料", "supermarket", 200, 800),
                           ("50103", "活动布置", "print", 100, 400))),
    _Festival("中秋国庆", [("中秋节慰问品（月饼提货券）", "bakery"), ("中秋节慰问品（水果礼盒）", "fruit"),
                       ("国庆节慰问品（大米、食用油）", "grain")],
              (128, 158, 168, 198, 218, 268), 1.0, event_chance=0.4,
              event=_event(1, "中秋游园猜灯谜活动", ("50102", "奖品", "supermarket", 300, 1500),
                           ("50103", "场地布置", "print", 200, 800), ("50104", "茶歇", "bakery", 100, 400))),
    _Festival("元旦", [("元旦慰问品（水果礼盒）", "fruit"), ("元旦慰问品（坚果礼盒）", "supermarket")],
              (88, 98, 128, 158, 198), 0.9, event_chance=0.6,
              event=_event(1, "迎新年职工联欢会", ("50102", "场地及音响租赁", "venue", 800, 3000),
                           ("50102", "节目道具服装", "costume", 300, 1500), ("50102", "抽奖奖品", "supermarket", 500, 2500),
                           ("50104", "茶歇", "bakery", 200, 800))),
]

# Care for members (50104): how often per member and year, and the amounts the unit's rules allow.
# Amounts within the default caps of JS-GIFT-002 (the 2018 Anhui standard: 600 yuan for a wedding or
# a birth, 1,000 for illness, a relative's death or retirement): the demo's ordinary books comply,
# only the injected problems should be found.
_CARE = [
    (0.012, "职工结婚慰问", (300, 400, 500, 600)),
    (0.012, "职工生育慰问", (400, 500, 600)),
    (0.030, "职工住院慰问", (300, 500, 800, 1000)),
    (0.015, "职工直系亲属去世慰问", (500, 800, 1000)),
    (0.015, "退休职工慰问", (500, 800, 1000)),
]
_HARDSHIP_REASONS = ["患病住院", "子女就学", "家庭变故", "重大疾病", "单亲家庭", "配偶失业"]
_ASSETS = [("打印机", 1200, 3500), ("笔记本电脑", 4500, 7500), ("投影仪", 2500, 6000), ("台式电脑", 3500, 6000),
           ("照相机", 3000, 8000), ("音响设备", 2000, 8000), ("复印一体机", 6000, 15000)]
# Filler spending by month (seasonality on top of the festival calendar): a thin February, a December peak.
_MONTH_WEIGHTS = (0.8, 0.45, 1.0, 1.1, 1.1, 1.0, 0.75, 0.7, 1.0, 0.95, 1.15, 1.6)
_NUMERALS = "一二三四五六七八九十"


def _mean_log_uniform(low: float, high: float) -> float:
    return (high - low) / math.log(high / low)


class _Option(NamedTuple):
    """One way of spending in the everyday mix: a purchase, a reimbursed event or an advance."""
    kind: str  # "purchase", "event" or "advance"
    what: _Item | _Event
    weight: float
    amount: float  # expected, 元, before the unit's scaling
    lines: float  # expected journal lines


def _filler_options() -> list[_Option]:
    shares = {"purchase": 0.63, "event": 0.33, "advance": 0.04}
    purchases = sum(i.weight for i in _PURCHASES)
    events = sum(e.weight for e in _EVENTS)
    options = [_Option("purchase", i, shares["purchase"] * i.weight / purchases, _mean_log_uniform(i.low, i.high), 2)
               for i in _PURCHASES]
    for e in _EVENTS:
        parts = (len(e.parts) + 2) / 2  # a voucher carries 2..n of the event's parts
        amount = parts * sum(_mean_log_uniform(p.low, p.high) for p in e.parts) / len(e.parts)
        options.append(_Option("event", e, shares["event"] * e.weight / events, amount, parts + 1))
        # the advance voucher (2 lines) and its settlement (parts, a cash line, the receivable)
        options.append(_Option("advance", e, shares["advance"] * e.weight / events, amount, parts + 4))
    return options


_FILLER_OPTIONS = _filler_options()
# How strongly a unit leans to cheap (tilt > 0) or dear (tilt < 0) items when its means per
# journal line are below or above the typical unit's. Items under 200 元 lean no further, so
# that no book fills up with courier fees.
_TILTS = (-0.5, 0.0, 0.5, 1.0, 1.5)


def _tilted_mix(tilt: float) -> tuple[list[float], float, float]:
    """Option weights leaning by amount, with the expected amount and lines of one voucher."""
    weights = [o.weight * (max(o.amount, 200) / 500) ** -tilt for o in _FILLER_OPTIONS]
    total = sum(weights)
    amount = sum(w * o.amount for w, o in zip(weights, _FILLER_OPTIONS)) / total
    lines = sum(w * o.lines for w, o in zip(weights, _FILLER_OPTIONS)) / total
    return weights, amount, lines


# ---------------------------------------------------------------------------------------------
# Vouchers.
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Line:
    account: str
    summary: str
    debit: int = 0  # cents
    credit: int = 0  # cents
    party: str = ""  # 往来单位
    settlement: str = ""  # 结算方式, on cash and bank lines
    ref: str = ""  # 票据号: invoice, cheque or receipt number


@dataclass(slots=True)
class Voucher:
    day: date
    lines: list[Line]
    preparer: str
    reviewer: str
    attachments: int
    kind: str  # what produced it: "remittance", "purchase", "event", "festival", ...
    anomaly: str = ""  # an ANOMALY_KINDS key when a problem was injected
    number: int = 0  # 凭证号, given once the year is complete
    order: float = field(default=0.0, repr=False)  # tie-break within a day

    def total(self) -> int:
        return sum(line.debit for line in self.lines)


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}" if cents else ""


def _cents(rng: random.Random, yuan: float) -> int:
    """An amount as found on invoices: mostly whole yuan, sometimes jiao, now and then fen."""
    r = rng.random()
    if yuan >= 100 and r < 0.7:
        cents = round(yuan) * 100
    elif r < 0.88:
        cents = round(yuan * 10) * 10
    else:
        cents = round(yuan * 100)
    return max(cents, 100)


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _poisson(rng: random.Random, mean: float) -> int:
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


@cache
def _directory() -> dict[str, tuple[str, str]]:
    """Demo units: code -> (name, parent code). Higher levels are the same for every seed."""
    return {row[0]: (row[1], row[2]) for row in org_rows()}


def _employer(union_name: str) -> str:
    for suffix in ("工会委员会", "教育工会", "工会"):
        if union_name.endswith(suffix):
            return union_name[: -len(suffix)]
    return union_name


def _place(code: str) -> tuple[str, str]:
    """(city, district) of a demo unit, from its code; Hangzhou for province-level units."""
    cities = list(CITIES.items())
    try:
        city, districts = cities[int(code[2:4]) - 1]
        district = districts[int(code[4:6]) - 1]
    except (ValueError, IndexError):
        return "杭州", "西湖"
    return city, district[:-1] if len(district) > 2 else district


# ---------------------------------------------------------------------------------------------
# One unit's year.
# ---------------------------------------------------------------------------------------------


class _UnitLedger:
    """Builds one unit's vouchers for one year: income first, then the calendar of festivals and
    care, then everyday spending up to the unit's volume, then the injected problems; finally the
    vouchers are put in date order, cash is drawn where it would run out, and numbers given."""

    def __init__(self, code: str, members: int, name: str | None, year: int, seed: int):
        self.rng = rng = random.Random(f"jingshen-ledger:{seed}:{code}")
        self.code, self.members, self.year = code, max(int(members), 1), year
        self.cal = _calendar(year)
        directory = _directory()
        name = name or directory.get(code, (f"{code}工会委员会", ""))[0]
        parent = directory.get(directory.get(code, ("", ""))[1], ("上级工会", ""))[0]
        self.name, self.parent = name, parent
        self.city, self.district = _place(code)
        self.is_street_union = "街道" in name or "联合" in name
        low, high = next(((lo, hi) for word, lo, hi in _WAGES if word in name), _DEFAULT_WAGE)
        self.wage = rng.uniform(low, high)
        self.bank = f"{rng.choice(_BANKS)}{self.city}{self.district}支行"
        if "农村商业银行" in name:
            self.bank = _employer(name)
        self.employers = self._employers()
        if self.is_street_union:
            self.branches = [firm.removeprefix(self.district)[:-4] + "分会" for firm, _ in self.employers]
        else:
            self.branches = next((b for word, b in _BRANCHES if word in name), _DEFAULT_BRANCHES)

        staff = _people(rng, rng.choice((2, 3, 3)))
        self.preparers, self.reviewer = staff[:-1], staff[-1]
        self.officers = _people(rng, 4)  # committee members who organise activities and take advances
        self.members_named = _people(rng, min(self.members, 80))
        self.hardship = _people(rng, max(1, min(30, round(self.members / 60))))
        self.vendors = {  # the one or two regular suppliers of each kind
            kind: [p.format(c=self.city, d=self.district) for p in rng.sample(patterns, min(2, len(patterns)))]
            for kind, patterns in _VENDORS.items()
        }
        self.women_share = rng.uniform(0.35, 0.7)
        self.cash_share = rng.uniform(0.1, 0.35)
        self.settlements = rng.choice([(0.7, 0.25, 0.05), (0.5, 0.35, 0.15), (0.3, 0.5, 0.2)])  # 网银, 转账, 支票
        self.risk = rng.choices([rate for rate, _ in _RISK_TIERS], [w for _, w in _RISK_TIERS])[0]
        self.target_lines = min(_MAX_LINES, max(_MIN_LINES, round(_LINES_SCALE * self.members ** _LINES_POWER)))
        self.vouchers: list[Voucher] = []
        self.lines = 0
        self.income = 0  # the year's income in cents, known once _income has run
        self.scale = 1.0  # multiplies everyday spending; set from the unit's budget in _filler

    # -- building blocks -----------------------------------------------------------------

    def _vendor(self, kind: str) -> str:
        if kind == "person":
            return _person(self.rng)
        names = self.vendors[kind]
        return names[0] if len(names) == 1 or self.rng.random() < 0.7 else names[1]

    def _invoice(self) -> str:
        return f"{self.rng.randrange(10_000_000, 100_000_000):08d}"

    def _bank_settlement(self, cents: int) -> str:
        if cents >= 5_000_000:
            return "转账"
        if cents < 100_000:  # no one writes a cheque for a courier bill
            return "网银" if self.rng.random() < 0.8 else "转账"
        return self.rng.choices(("网银", "转账", "支票"), self.settlements)[0]

    def _add(self, day: date, lines: list[Line], kind: str, attachments: int | None = None,
             anomaly: str = "") -> Voucher:
        rng = self.rng
        preparer = self.preparers[0] if len(self.preparers) == 1 or rng.random() < 0.8 else self.preparers[1]
        if attachments is None:
            attachments = min(8, sum(1 for line in lines if line.debit) + rng.randint(0, 3))
        voucher = Voucher(day, lines, preparer, self.reviewer, attachments, kind, anomaly, order=rng.random())
        self.vouchers.append(voucher)
        self.lines += len(lines)
        return voucher

    def _pay(self, day: date, debits: list[Line], payee: str, kind: str, *, cash: bool = False,
             summary: str | None = None, anomaly: str = "", attachments: int | None = None,
             settlement: str | None = None) -> Voucher:
        """Expense lines paid in one sum from the bank account or the cash box."""
        total = sum(line.debit for line in debits)
        if cash:
            credit = Line(CASH, summary or debits[0].summary, credit=total, party=payee, settlement="现金")
        else:
            credit = Line(BANK, summary or debits[0].summary, credit=total, party=payee,
                          settlement=settlement or self._bank_settlement(total))
        return self._add(day, [*debits, credit], kind, attachments, anomaly)

    def _expense(self, account: str, summary: str, cents: int, party: str, invoice: bool = True) -> Line:
        return Line(account, summary, debit=cents, party=party, ref=self._invoice() if invoice else "")

    def _scaled(self, low: float, high: float) -> int:
        """An everyday amount at the unit's scale, never far below what the thing costs anywhere."""
        return _cents(self.rng, max(_log_uniform(self.rng, low, high) * self.scale, low * 0.6))

    def _can_pay_cash(self, vendor_kind: str, cents: int) -> bool:
        return vendor_kind in _CASH_VENDORS and cents < 80_000 and self.rng.random() < self.cash_share

    # -- income --------------------------------------------------------------------------

    def _employers(self) -> list[tuple[str, float]]:
        """Who remits the 2 % and for what share of the members' payroll."""
        if not self.is_street_union:
            return [(_employer(self.name), 1.0)]
        rng, names = self.rng, []
        count = rng.randint(4, 8)
        while len(names) < count:
            name = f"{self.district}{rng.choice(_ENTERPRISE_WORDS)}{rng.choice(_ENTERPRISE_TRADES)}有限公司"
            if name not in names:
                names.append(name)
        weights = [rng.uniform(0.3, 3) for _ in names]
        return [(name, w / sum(weights)) for name, w in zip(names, weights)]

    def _income(self) -> None:
        rng = self.rng
        dues = rng.choice(("monthly", "quarterly", "with_remittance"))
        bonus_month = rng.choice((1, 1, 12, 0))  # the payroll carrying the year-end bonus, if any
        for month in range(1, 13):
            payroll = self.members * self.wage * rng.uniform(0.97, 1.03)
            if month == bonus_month:
                payroll *= rng.uniform(1.4, 2.2)
            self._remittance(month, payroll, with_dues=dues == "with_remittance")
            if dues == "monthly":
                self._dues(month, f"收取{month}月份会员会费（工资代扣）", months=1)
            elif dues == "quarterly" and month % 3 == 0:
                self._dues(month, f"收取第{month // 3}季度会员会费", months=3)
        for quarter in range(1, 5):  # interest is settled on the 20th of a quarter's last month
            day = self.cal.workday_on_or_after(date(self.year, quarter * 3, 21))
            cents = max(100, round(self.members * self.wage * rng.uniform(0.005, 0.03)))
            summary = f"第{quarter}季度银行存款利息"
            self._add(day, [Line(BANK, summary, debit=cents, party=self.bank, settlement="转账"),
                            Line("408", summary, credit=cents, party=self.bank)], "interest", 1)
        if rng.random() < 0.5:
            day = self.cal.workday_between(rng, date(self.year, 4, 1), date(self.year, 7, 31))
            cents = _cents(rng, rng.choice((1, 2, 3, 5)) * 10000 * min(3.0, max(0.3, (self.members / 300) ** 0.5)))
            self._subsidy(day, "40302", f"收到{self.parent}拨付职工之家建设专项补助", cents)
        if rng.random() < 0.4:
            day = self.cal.workday_between(rng, date(self.year, 6, 1), date(self.year, 8, 29))
            cents = len(self.hardship) * rng.choice((500, 800, 1000)) * 100
            self._subsidy(day, "40304", f"收到{self.parent}拨付困难职工帮扶补助", cents)

    def _remittance(self, month: int, payroll: float, with_dues: bool) -> None:
        """拨缴经费: 2 % of the month's payroll from the employer (from each member enterprise of a
        street union, some of them late), with the month's dues when the payroll office sends both."""
        rng = self.rng
        day = self.cal.workday_between(rng, date(self.year, month, 10), date(self.year, month, 25))
        credits = [Line("402", f"收到{firm}拨缴{month}月份工会经费", credit=round(payroll * share * 2), party=firm)
                   for firm, share in self.employers if not (self.is_street_union and rng.random() < 0.25)]
        if with_dues and credits:
            credits.append(Line("401", f"收取{month}月份会员会费（工资代扣）", credit=self._monthly_dues(),
                                party=credits[0].party))
        for batch in _chunks(credits, 5):
            parties = {line.party for line in batch}
            summary = batch[0].summary if len(batch) == 1 else f"收到{month}月份工会经费"
            head = Line(BANK, summary, debit=sum(line.credit for line in batch),
                        party=batch[0].party if len(parties) == 1 else "", settlement=rng.choice(("转账", "网银")))
            self._add(day, [head, *batch], "remittance", attachments=len(batch))

    def _monthly_dues(self) -> int:
        """会费: 0.5 % of a month's wage per member, in cents, a few members short."""
        return round(self.members * self.wage * 0.5 * self.rng.uniform(0.97, 1.0))

    def _dues(self, month: int, summary: str, months: int) -> None:
        rng = self.rng
        day = self.cal.workday_between(rng, date(self.year, month, 5), date(self.year, month, 28))
        cents = self._monthly_dues() * months
        party = "会员个人" if self.is_street_union else self.employers[0][0]
        self._add(day, [Line(BANK, summary, debit=cents, party=party, settlement=rng.choice(("转账", "网银"))),
                        Line("401", summary, credit=cents, party=party)], "dues", 1)

    def _subsidy(self, day: date, account: str, summary: str, cents: int) -> None:
        self._add(day, [Line(BANK, summary, debit=cents, party=self.parent, settlement="转账"),
                        Line(account, summary, credit=cents, party=self.parent)], "subsidy", 1)

    def _income_total(self) -> int:
        return sum(line.credit for v in self.vouchers for line in v.lines if line.account[0] == "4")

    @property
    def means(self) -> float:
        """The year's income per member against a typical unit's (about 2,600 元)."""
        return self.income / 100 / self.members / 2600

    def _spent(self) -> int:
        return sum(line.debit for v in self.vouchers for line in v.lines if line.account[0] == "5")

    # -- the calendar: festivals, birthdays, care, hardship --------------------------------

    def _affordable(self, prices: tuple[int, ...]) -> list[int]:
        """The per-head prices a unit of these means picks from (prices in rising order)."""
        return [p for p in prices if p <= prices[-1] * self.means] or [prices[0]]

    def _festivals(self) -> None:
        rng = self.rng
        for festival in _FESTIVALS:
            if festival.gifts and rng.random() < festival.chance:
                heads = self.members - rng.randint(0, self.members // 40)
                if festival.women_only:
                    heads = max(1, round(self.members * self.women_share))
                gifts = 2 if len(festival.gifts) > 1 and self.means > 0.9 and rng.random() < 0.4 else 1
                for summary, vendor in rng.sample(festival.gifts, gifts):
                    price = rng.choice(self._affordable(festival.prices))
                    payee = self._vendor(vendor)
                    batches = 1 if heads < 600 else rng.randint(2, 4)
                    for b, batch in enumerate(self._split_heads(heads, batches)):
                        label = f"{summary}{batch}人" + (f"×{price}元" if rng.random() < 0.5 else "")
                        if batches > 1:
                            label += f"（第{_NUMERALS[b]}批）"
                        day = self.cal.workday_in(rng, festival.window)
                        self._pay(day, [self._expense("50104", label, batch * price * 100, payee)], payee, "festival")
            if festival.event and rng.random() < festival.event_chance:
                self._reimburse(self.cal.workday_in(rng, festival.window), festival.event, kind="festival")

    def _split_heads(self, heads: int, batches: int) -> list[int]:
        cuts = sorted(self.rng.sample(range(1, heads), batches - 1)) if batches > 1 else []
        bounds = [0, *cuts, heads]
        return [b - a for a, b in zip(bounds, bounds[1:])]

    def _birthdays(self) -> None:
        rng = self.rng
        price = rng.choice(self._affordable((100, 128, 150, 168, 198, 200, 258, 300)))
        bakery = self._vendor("bakery")
        brand = bakery.split("（")[0]
        for month in range(1, 13):
            heads = _poisson(rng, self.members / 12)
            if heads == 0:
                continue
            summary = f"职工生日蛋糕券（{brand}）{month}月{heads}人"
            day = self.cal.workday_between(rng, date(self.year, month, 1), date(self.year, month, 12))
            self._pay(day, [self._expense("50104", summary, heads * price * 100, bakery)], bakery, "birthday")

    def _care(self) -> None:
        """Gifts on members' weddings, births, illness, bereavement and retirement: small ones
        in cash when they happen, the others transferred to members' cards once a month."""
        rng = self.rng
        by_month: dict[int, list[Line]] = defaultdict(list)
        for rate, summary, amounts in _CARE:
            for _ in range(_poisson(rng, self.members * rate)):
                month, person = rng.randint(1, 12), rng.choice(self.members_named)
                line = self._expense("50104", f"{summary} {person}", rng.choice(amounts) * 100, person, invoice=False)
                if line.debit < 100_000 and rng.random() < 0.4:
                    self._pay(self.cal.workday(rng, month), [line], person, "care", cash=True, attachments=1)
                else:
                    by_month[month].append(line)
        for month, lines in sorted(by_month.items()):
            self._pay_members(lines, f"{month}月份职工慰问金", lambda m=month: self.cal.workday(rng, m), "care")

    def _hardship_help(self) -> None:
        """送温暖 before the Spring Festival (partly funded by the union above), help during the
        year, and 金秋助学 for members' children starting university."""
        rng = self.rng

        def grant(account: str, summary: str, person: str, amounts: tuple[int, ...]) -> Line:
            return self._expense(account, f"{summary} {person}", rng.choice(amounts) * 100, person, invoice=False)

        warm = [grant("50205", "春节送温暖慰问", p, (500, 800, 1000, 1500, 2000)) for p in self.hardship]
        self._pay_members(warm, "春节送温暖慰问金", lambda: self.cal.workday_in(rng, "春节"), "hardship")
        funded = round(sum(line.debit for line in warm) * rng.uniform(0.4, 1.0) / 100_000) * 100_000
        if funded:
            day = self.cal.workday_between(rng, date(self.year, 1, 2), date(self.year, 1, 10))
            self._subsidy(day, "40305", f"收到{self.parent}拨付送温暖补助资金", funded)
        for month in rng.sample(range(3, 12), rng.randint(1, 3)):
            people = rng.sample(self.hardship, max(1, len(self.hardship) // 3))
            help_lines = [grant("50204", "困难职工帮扶", p, (500, 800, 1000, 1500, 2000, 3000)) for p in people]
            for line in help_lines:
                line.summary += f"（{rng.choice(_HARDSHIP_REASONS)}）"
            self._pay_members(help_lines, "困难职工帮扶金", lambda m=month: self.cal.workday(rng, m), "hardship")
        students = rng.sample(self.hardship, len(self.hardship) // 4)
        aid = [grant("50204", "金秋助学", p, (1000, 2000, 3000)) for p in students]
        for line in aid:
            line.summary += "（子女考入大学）"
        self._pay_members(aid, "金秋助学金", lambda: self.cal.workday_in(rng, "金秋助学"), "hardship")

    def _pay_members(self, lines: list[Line], title: str, pick_day: Callable[[], date], kind: str) -> None:
        """Grants to named members, transferred to their cards up to five to a voucher."""
        for batch in _chunks(lines, 5):
            summary = batch[0].summary if len(batch) == 1 else f"发放{title}（{len(batch)}人）"
            payee = batch[0].party if len(batch) == 1 else ""
            self._pay(pick_day(), batch, payee, kind, summary=summary, attachments=min(8, len(batch) + 1),
                      settlement="网银")

    # -- the yearly round: bank charges, subscriptions, assembly, audit, equipment -------

    def _yearly_round(self) -> None:
        rng, cal = self.rng, self.cal
        size = min(5.0, max(0.3, (self.members / 200) ** 0.5))
        for month in range(1, 13):
            cents = _cents(rng, rng.uniform(5, 40) * min(3, size))
            day = cal.workday_between(rng, date(self.year, month, 20), date(self.year, month, 28))
            summary = f"{month}月银行账户管理费及转账手续费"
            line = self._expense("50305", summary, cents, self.bank, invoice=False)
            self._add(day, [line, Line(BANK, summary, credit=cents, party=self.bank, settlement="转账")], "fee", 1)
        post = self._vendor("post")
        day = cal.workday_between(rng, date(self.year, 11, 1), date(self.year, 12, 20))
        cents = _cents(rng, rng.uniform(400, 1500) * size)
        self._pay(day, [self._expense("50103", f"订阅{self.year + 1}年度工会报刊", cents, post)], post, "purchase")
        hotel = self._vendor("hotel")
        day = cal.workday(rng, rng.choice((3, 4, 12)))
        cents = _cents(rng, rng.uniform(1500, 5000) * size)
        self._pay(day, [self._expense("50302", "召开工会会员代表大会会务费", cents, hotel)], hotel, "purchase")
        if rng.random() < 0.3:
            firm = self._vendor("audit_firm")
            day = cal.workday_between(rng, date(self.year, 2, 10), date(self.year, 4, 30))
            self._pay(day, [self._expense("50305", f"{self.year - 1}年度工会财务收支审计服务费",
                                          _cents(rng, rng.uniform(3000, 8000)), firm)], firm, "purchase")
        for _ in range(max(1, _poisson(rng, size * 1.5))):
            self._fixed_asset(cal.workday(rng, rng.randint(1, 12)))

    def _fixed_asset(self, day: date) -> None:
        rng = self.rng
        item, low, high = rng.choice(_ASSETS)
        count = rng.choice((1, 1, 1, 2, 3)) if self.members >= 200 else 1
        cents = _cents(rng, rng.uniform(low, high)) * count
        summary = f"购买{item}" + (f"{count}台" if count > 1 else "")
        vendor = self._vendor(rng.choice(("ecommerce", "electronics")))
        settlement = self._bank_settlement(cents)
        self._add(day, [
            self._expense("50502", summary, cents, vendor),
            Line(BANK, summary, credit=cents, party=vendor, settlement=settlement),
            Line(FIXED_ASSET, f"{summary}，增加固定资产", debit=cents, party=vendor),
            Line(FIXED_FUND, f"{summary}，增加固定基金", credit=cents),
        ], "asset", rng.randint(3, 5))

    # -- everyday spending ----------------------------------------------------------------

    def _filler(self) -> None:
        """Purchases, reimbursed activities and advances, until the unit's volume is reached.
        The mix leans to cheap or dear items, and amounts are scaled, so that the year's
        spending lands near the year's income."""
        rng = self.rng
        budget = max(0.0, self._income_total() * rng.uniform(0.85, 1.0) - self._spent()) / 100
        remaining = max(1, self.target_lines - self.lines)

        def scale_for(tilt: float) -> float:
            _, amount, lines = _tilted_mix(tilt)
            return budget / (remaining / lines * amount)

        tilt = min(_TILTS, key=lambda t: abs(math.log(max(scale_for(t), 1e-6))))
        weights, _, _ = _tilted_mix(tilt)
        self.scale = min(10.0, max(0.3, scale_for(tilt)))
        while self.lines < self.target_lines:
            option = rng.choices(_FILLER_OPTIONS, weights)[0]
            if option.kind == "purchase":
                months = option.what.months or range(1, 13)
                month = rng.choices(months, [_MONTH_WEIGHTS[m - 1] for m in months])[0]
                self._purchase(month, option.what)
            else:
                month = rng.choices(range(1, 13), _MONTH_WEIGHTS)[0]
                if option.kind == "event":
                    self._reimburse(self.cal.workday(rng, month), option.what)
                else:
                    self._advance(month, option.what)

    def _by_branch(self, title: str, chance: float) -> str:
        """Some activities are a branch's (分会) own: that is why a large union books so many."""
        return f"{self.rng.choice(self.branches)}{title}" if self.rng.random() < chance else title

    def _purchase(self, month: int, item: _Item) -> Voucher:
        rng = self.rng
        cents = self._scaled(item.low, item.high)
        payee = self._vendor(item.vendor)
        summary = self._by_branch(item.summary, 0.3) if item.account.startswith("501") else item.summary
        line = self._expense(item.account, summary, cents, payee, invoice=item.vendor != "person")
        return self._pay(self.cal.workday(rng, month), [line], payee, "purchase",
                         cash=self._can_pay_cash(item.vendor, cents))

    def _event_lines(self, event: _Event, title: str) -> list[Line]:
        rng = self.rng
        chosen = sorted(rng.sample(range(len(event.parts)), rng.randint(2, len(event.parts))))
        lines = []
        for part in (event.parts[i] for i in chosen):
            cents = self._scaled(part.low, part.high)
            lines.append(self._expense(part.account, f"{title}{part.item}", cents, self._vendor(part.vendor),
                                       invoice=part.vendor != "person"))
        return lines

    def _reimburse(self, day: date, event: _Event, kind: str = "event") -> Voucher:
        rng = self.rng
        title = event.title if kind == "festival" else self._by_branch(event.title, 0.5)
        lines = self._event_lines(event, title)
        organiser = rng.choice(self.officers)
        cash = sum(line.debit for line in lines) < 80_000 and rng.random() < self.cash_share
        return self._pay(day, lines, organiser, kind, cash=cash, summary=f"报销{title}费用")

    def _advance(self, month: int, event: _Event) -> None:
        """An officer draws an advance (借支) for an activity and settles it some weeks later,
        returning the balance in cash or being paid the difference. December advances may
        still be open at the year's end."""
        rng = self.rng
        person = rng.choice(self.officers)
        day = self.cal.workday(rng, month)
        title = self._by_branch(event.title, 0.5)
        lines = self._event_lines(event, title)
        spent = sum(line.debit for line in lines)
        advance = max(50_000, math.ceil(spent * rng.uniform(0.9, 1.25) / 50_000) * 50_000)
        summary = f"{person}借支{title}经费"
        self._add(day, [Line(RECEIVABLE, summary, debit=advance, party=person),
                        Line(BANK, summary, credit=advance, party=person, settlement=self._bank_settlement(advance))],
                  "advance", 1)
        settle_day = self.cal.workdays_after(day, rng.randint(5, 25))
        if settle_day is None:
            return
        summary = f"{person}报销{title}费用，冲销借支"
        settle = [*lines]
        if spent < advance:
            settle.append(Line(CASH, f"{person}退回借支余款", debit=advance - spent, party=person, settlement="现金"))
        settle.append(Line(RECEIVABLE, summary, credit=advance, party=person))
        if spent > advance:  # the difference paid in cash, or by transfer when it is large
            extra = spent - advance
            via, settlement = (CASH, "现金") if extra < 100_000 else (BANK, "网银")
            settle.append(Line(via, f"补付{person}{title}费用", credit=extra, party=person, settlement=settlement))
        self._add(settle_day, settle, "settlement")

    # -- problems for the audit to find ----------------------------------------------------

    def _plan_anomalies(self) -> list[str]:
        """The kinds of problem this unit's year will carry, about `risk` of its vouchers."""
        rng = self.rng
        wanted = max(1, round(self.target_lines / 2.45 * self.risk + rng.uniform(-0.5, 0.5)))  # ~2.45 lines a voucher
        return rng.choices(list(_ANOMALY_WEIGHTS), list(_ANOMALY_WEIGHTS.values()), k=wanted)

    def _inject(self, kinds: list[str]) -> None:
        for kind in kinds:
            getattr(self, f"_inject_{kind}")()

    def _festival_day(self) -> tuple[str, date]:
        window = self.rng.choice(("春节", "端午", "中秋国庆", "元旦"))
        return window, self.cal.workday_in(self.rng, window)

    def _some_members(self) -> int:
        """Head count of a handout: the whole of a small union, a favoured group of a large one."""
        return self.members if self.members < 60 else self.rng.randint(15, 60)

    def _inject_shopping_card(self) -> None:
        rng = self.rng
        festival, day = self._festival_day()
        summary, vendor = rng.choice([
            (f"购买超市购物卡（{festival}慰问）", "supermarket"), (f"购买{festival}职工慰问购物卡", "mall"),
            (f"购买加油卡（职工{festival}慰问）", "gas"), ("购买京东E卡（职工活动奖品）", "ecommerce"),
            (f"购买商场代金券（{festival}慰问）", "mall"), (f"职工{festival}慰问品（储值卡）", "supermarket"),
        ])
        payee = "北京京东世纪贸易有限公司" if "京东" in summary else self._vendor(vendor)
        cents = self._some_members() * rng.choice((200, 300, 500)) * 100
        self._pay(day, [self._expense("50104", summary, cents, payee)], payee, "purchase", anomaly="shopping_card")

    def _inject_cash_handout(self) -> None:
        rng = self.rng
        festival, day = self._festival_day()
        heads = self._some_members()
        summary = rng.choice((f"发放{festival}过节费（现金）", f"发放工会积极分子{festival}慰问金（现金）",
                              f"{festival}职工慰问金现金发放"))
        cents = heads * rng.choice((100, 200, 300, 500)) * 100
        line = self._expense("50104", f"{summary}{heads}人", cents, "", invoice=False)
        self._pay(day, [line], "", "purchase", cash=True, anomaly="cash_handout", attachments=1)

    def _inject_hospitality(self) -> None:
        rng = self.rng
        account, summary, vendor, low, high = rng.choice([
            ("50305", "宴请上级工会检查组", "restaurant", 800, 4000),
            ("50305", "招待兄弟单位工会来访用餐", "restaurant", 600, 3000),
            ("50104", "购买烟酒（节日慰问用）", "liquor", 1500, 8000),
            ("50102", "工会活动聚餐（含酒水）", "restaurant", 1000, 6000),
            ("50402", "购买白酒、香烟（接待用）", "liquor", 800, 5000),
            ("50102", "职工活动晚宴", "restaurant", 2000, 9000),
        ])
        cents = _cents(rng, _log_uniform(rng, low, high))
        payee = self._vendor(vendor)
        self._pay(self.cal.workday(rng, rng.randint(1, 12)), [self._expense(account, summary, cents, payee)], payee,
                  "purchase", anomaly="hospitality")

    def _pick(self, kinds: tuple[str, ...], where=lambda v: True) -> Voucher | None:
        candidates = [v for v in self.vouchers if v.kind in kinds and not v.anomaly and where(v)]
        return self.rng.choice(candidates) if candidates else None

    def _inject_holiday_posting(self) -> None:
        voucher = self._pick(("purchase", "event"))
        if voucher is None:
            return
        voucher.day = self.cal.day_off(self.rng, voucher.day.month)
        voucher.anomaly = "holiday_posting"

    def _inject_large_cash(self) -> None:
        rng = self.rng
        item = rng.choice([i for i in _PURCHASES if i.vendor in _CASH_VENDORS - {"person"} and not i.months])
        payee = self._vendor(item.vendor)
        cents = _cents(rng, rng.uniform(1200, 4800))
        line = self._expense(item.account, item.summary, cents, payee)
        self._pay(self.cal.workday(rng, rng.randint(1, 12)), [line], payee, "purchase", cash=True, anomaly="large_cash")

    def _inject_split_payment(self) -> None:
        rng = self.rng
        account, summary, vendor = rng.choice([("50102", "购买职工活动奖品", "supermarket"),
                                               ("50104", "购买职工慰问品", "supermarket"),
                                               ("50402", "购买办公用品", "office"),
                                               ("50102", "职工文体活动器材", "sports")])
        limit = rng.choice((5000, 10000))
        payee = self._vendor(vendor)
        day = self.cal.workday(rng, rng.randint(1, 12))
        pieces = rng.randint(2, 3)
        for _ in range(pieces):
            cents = _cents(rng, rng.uniform(limit * 0.93, limit * 0.998))
            self._pay(day, [self._expense(account, summary, cents, payee)], payee, "purchase", anomaly="split_payment")
            gap = rng.choice((0, 0, 1, 2))  # same day or a day or two apart
            if gap:
                day = self.cal.workdays_after(day, gap) or day

    def _inject_duplicate_payment(self) -> None:
        original = self._pick(("purchase",), lambda v: len(v.lines) == 2 and v.lines[1].account == BANK)
        if original is None:
            return
        day = self.cal.workdays_after(original.day, self.rng.randint(1, 4))
        if day is None:
            return
        lines = [replace(line) for line in original.lines]
        if self.rng.random() < 0.5:
            lines[0].ref = self._invoice()  # the same bill paid again on a second invoice copy
        self._add(day, lines, "purchase", original.attachments, anomaly="duplicate_payment")

    def _inject_round_supermarket(self) -> None:
        rng = self.rng
        account, summary = rng.choice([("50104", "购买职工慰问品"), ("50102", "购买活动用品"), ("50104", "购买节日慰问物资")])
        payee = self._vendor(rng.choice(("supermarket", "supermarket", "mall")))
        cap = max(2000, self.income / 100 / 40)
        cents = rng.choice([a for a in (2000, 3000, 5000, 6000, 8000, 10000, 20000) if a <= cap]) * 100
        self._pay(self.cal.workday(rng, rng.randint(1, 12)), [self._expense(account, summary, cents, payee)], payee,
                  "purchase", anomaly="round_supermarket")

    def _inject_self_review(self) -> None:
        voucher = self._pick(("purchase", "event", "care"))
        if voucher is None:
            return
        voucher.reviewer = voucher.preparer if self.rng.random() < 0.6 else ""
        voucher.anomaly = "self_review"

    def _inject_vague_summary(self) -> None:
        rng = self.rng
        day = self.cal.workday(rng, rng.randint(1, 12))
        cents = _cents(rng, _log_uniform(rng, 200, 5000) * min(self.scale, 3))
        if rng.random() < 0.5:
            debit, credit = rng.sample(["50104", "50102", "50402", "50305"], 2)
            self._add(day, [Line(debit, "调账", debit=cents), Line(credit, "调账", credit=cents)], "adjustment", 0,
                      anomaly="vague_summary")
        else:
            summary = rng.choice(("其他", "支付费用", "报销", "付款"))
            payee = self._vendor(rng.choice(("supermarket", "print", "office"))) if rng.random() < 0.6 else ""
            line = Line(rng.choice(("50104", "50305")), summary, debit=cents, party=payee)
            self._pay(day, [line], payee, "purchase", anomaly="vague_summary", attachments=rng.randint(0, 1))

    # -- the finished year -----------------------------------------------------------------

    def build(self) -> list[Voucher]:
        self._income()
        self.income = self._income_total()
        self._festivals()
        self._birthdays()
        self._care()
        self._hardship_help()
        self._yearly_round()
        problems = self._plan_anomalies()
        later = ("holiday_posting", "self_review", "duplicate_payment")  # they alter or copy everyday vouchers
        self._inject([k for k in problems if k not in later])
        self._filler()
        self._inject([k for k in problems if k in later])
        return self._finalise()

    def _finalise(self) -> list[Voucher]:
        """Date order; cash drawn from the bank the day it would otherwise run short; numbers
        restarting at 1 each month; cheque and receipt numbers in sequence."""
        rng = self.rng
        booked: list[Voucher] = []
        cash = 0
        for voucher in sorted(self.vouchers, key=lambda v: (v.day, v.order)):
            change = sum(line.debit - line.credit for line in voucher.lines if line.account == CASH)
            if cash + change < 0:
                booked.append(self._withdrawal(voucher.day, -(cash + change)))
                cash += booked[-1].total()
            booked.append(voucher)
            cash += change
        cheque = rng.randrange(10_000_000, 99_000_000)
        receipt = rng.randrange(10_000_000, 99_000_000)
        numbers = [0] * 13
        for voucher in booked:
            numbers[voucher.day.month] += 1
            voucher.number = numbers[voucher.day.month]
            for line in voucher.lines:
                if line.settlement == "支票":
                    line.ref, cheque = f"{cheque:08d}", cheque + 1
                elif line.account == "402":
                    line.ref, receipt = f"{receipt:08d}", receipt + 1
        self.vouchers = booked
        return booked

    def _withdrawal(self, day: date, needed: int) -> Voucher:
        rng = self.rng
        cents = max(math.ceil(needed / 100_000) * 100_000, rng.choice((2000, 3000, 5000)) * 100)
        summary = "提取现金" if cents > 500_000 else rng.choice(("提取备用金", "提取现金"))
        voucher = Voucher(day, [Line(CASH, summary, debit=cents, settlement="现金"),
                                Line(BANK, summary, credit=cents, settlement="支票")],
                          self.preparers[0], self.reviewer, 1, "withdrawal")
        self.lines += 2
        return voucher


# ---------------------------------------------------------------------------------------------
# Public API.
# ---------------------------------------------------------------------------------------------

Unit = tuple[str, int] | tuple[str, int, str]


def grassroots_units(org_seed: int = 2026) -> list[tuple[str, int, str]]:
    """(单位编码, 会员人数, 单位名称) of the demo province's grassroots units."""
    return [(row[0], int(row[5]), row[1]) for row in org_rows(org_seed) if row[3] == "基层"]


def unit_vouchers(code: str, members: int, name: str | None = None, year: int = 2025,
                  seed: int = 2026) -> list[Voucher]:
    """One unit's vouchers for the year, in booking order, each with its injected problem (if any).
    Without a name, the demo province's unit of that code names it."""
    return _UnitLedger(code, members, name, year, seed).build()


def voucher_rows(units: Iterable[Unit], year: int = 2025, seed: int = 2026) -> Iterator[list]:
    """units: (单位编码, 会员人数) of grassroots units, optionally with 单位名称 third.
    Yields rows in VOUCHER_HEADER order, unit by unit, voucher by voucher."""
    for unit in units:
        code, members = unit[0], unit[1]
        name = unit[2] if len(unit) > 2 else None
        for v in unit_vouchers(code, members, name, year, seed):
            date_text = v.day.isoformat()
            for n, line in enumerate(v.lines, start=1):
                yield [code, year, v.day.month, date_text, "记", v.number, n, line.summary, line.account,
                       ACCOUNTS[line.account], _money(line.debit), _money(line.credit), line.party, line.settlement,
                       v.preparer, v.reviewer, v.attachments, line.ref]


def write_vouchers_csv(path: Path, units: Iterable[Unit], year: int = 2025, seed: int = 2026) -> int:
    """Writes the vouchers as UTF-8 CSV (with BOM) under VOUCHER_HEADER, unit by unit without
    holding the year in memory; returns the number of journal lines written (header excluded)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(VOUCHER_HEADER)
        for row in voucher_rows(units, year, seed):
            writer.writerow(row)
            count += 1
    return count
