"""Books on which every rule of the pack raises a flag: 西湖区's demo year (tests/screening/test_spark.py's
demo_fixture) plus, for the rules the demo does not make fire, the vouchers a grassroots union
really books when it does what the rule looks for, merged into the unit's demo year (numbered on
from each month's last demo voucher, by the unit's own preparer and reviewer) and one setting of
the county's. What each unit gets, and for which rules:

330103001 西湖职业技术学校工会 (212 members, budget): a December rush: New Year and Spring Festival
    gifts for every member, books, gym equipment on 29 December. JS-YEAR-001 (11-12 月 over half of
    the year), JS-FEST-001 (over 1,500 元 a member), JS-FEST-003 (over half the budgeted income),
    JS-CLOSE-001 (a round sum in the year's last days).
330103002 西湖公交集团工会 (budget): its two full-time cadres paid from union funds every month,
    and a year-end bonus. JS-EMPL-002, JS-BUD-003 (行政支出 over 30 % of the spending).
330103003 西湖第一中学工会 (budget): 教代会 costs, a meeting booked as an activity, birthday cake
    vouchers over 300 元 a head, a wedding gift over 600 元, Christmas gifts, two vouchers keyed by a
    stand-in. JS-EMPL-003, JS-MEET-001, JS-GIFT-001, JS-GIFT-002, JS-FEST-002, JS-PREP-001.
330103004 国网西湖供电公司工会: an advance never settled, protective gear, skill-contest prize money,
    a cash sponsorship paid straight out, a look-alike stationer, a voucher keyed with a transposed
    credit. JS-AR-001, JS-EMPL-004, JS-BONUS-001, JS-SITSPEND-001, JS-PAYEE-001, JS-BAL-001.
330103005 西湖建设投资集团工会: a deposit never returned, the employer's sports-day money booked as a
    payable, a fee paid twice and reversed in red, a KTV, a two-day trip. JS-AP-001, JS-INC-001,
    JS-REV-001, JS-HOSP-003, JS-TRIP-001.
330103006 西湖农村商业银行工会 (481 members): 过节费 paid to every member's salary card at four
    festivals, one line a member as the bank's payroll list was keyed in, the 端午 voucher numbered
    one past a deleted one. JS-BEN-002 (3,000+ amounts, the fixed sums break the first-two-digit
    law), JS-GAP-001.
330103 西湖区总工会: per-festival standards for its units (春节 500 元, other festivals 200 元 a member,
    the 贵州 preset's figures), set by its 经审负责人. JS-FEST-004, whose defaults check nothing.
"""

import random
from collections import Counter
from datetime import date, timedelta

import chinese_calendar

from jingshen.accounts.models import RoleCode
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.orgs.models import Org
from jingshen.screening import services
from jingshen.screening.engine import DuckDBEngine
from jingshen.screening.services import latest_voucher_datasets
from tests.conftest import make_user
from tests.ledger.conftest import line, write
from tests.screening.conftest import entry

YEAR = 2025
COUNTY = "330103"


class UnitBooks:
    """Extra vouchers for one unit, in the demo's numbering (记字, from 1 each month): each new
    voucher takes the month's next number after the unit's stored ones, and is prepared and
    reviewed by the unit's usual preparer and reviewer unless told otherwise."""

    def __init__(self, code: str, last: dict[int, int], preparer: str, reviewer: str):
        self.code, self.last, self.preparer, self.reviewer = code, Counter(last), preparer, reviewer
        self.rows: list[list] = []

    def _number(self, day: str, skip: int) -> int:
        month = int(day[5:7])
        self.last[month] += 1 + skip
        return self.last[month]

    def pay(self, day, debit_code, amount, summary, payee="", credit_code="102", preparer=None, skip=0):
        """A two-line voucher (tests/screening/conftest.py's entry)."""
        self.rows += entry(self._number(day, skip), day, debit_code, credit_code, amount, summary, payee, org=self.code,
                           preparer=preparer or self.preparer, reviewer=self.reviewer)

    def voucher(self, day, legs, summary, payee="", skip=0):
        """A voucher of any shape: legs are (account, debit, credit, 摘要 or None for the voucher's)."""
        no = self._number(day, skip)
        self.rows += [
            line(org=self.code, period=str(int(day[5:7])), date=day, no=str(no), line_no=str(i), summary=text or summary,
                 code=code, name="", debit=debit, credit=credit, payee=payee,
                 preparer=self.preparer, reviewer=self.reviewer)
            for i, (code, debit, credit, text) in enumerate(legs, start=1)
        ]


def _unit_books(codes: list[str]) -> dict[str, UnitBooks]:
    """Each unit's last voucher number per month and its usual preparer and reviewer, as stored."""
    datasets = [d for d in latest_voucher_datasets(YEAR) if d.org.code in codes]
    engine = DuckDBEngine(datasets)
    try:
        last = engine.execute("SELECT org, period, max(voucher_no) FROM vouchers WHERE voucher_type = '记' GROUP BY ALL").fetchall()
        people = engine.execute("SELECT org, preparer, reviewer, count(*) AS n FROM vouchers WHERE reviewer <> '' "
                                "AND reviewer <> preparer GROUP BY ALL ORDER BY org, n DESC, preparer").fetchall()
    finally:
        engine.close()
    numbers: dict[str, dict[int, int]] = {c: {} for c in codes}
    for org, period, no in last:
        numbers[org][period] = no
    usual = {}
    for org, preparer, reviewer, _ in people:
        usual.setdefault(org, (preparer, reviewer))
    return {c: UnitBooks(c, numbers[c], *usual[c]) for c in codes}


def _workday(month: int, day: int) -> str:
    """The day, or the next working day of the official calendar (调休 included)."""
    d = date(YEAR, month, day)
    while not chinese_calendar.is_workday(d):
        d += timedelta(days=1)
    return d.isoformat()


SURNAMES = "王陈张李吴周徐金朱胡沈杨黄林俞钱方刘郑何叶蒋许孙马"
GIVEN = ("建国", "丽华", "志强", "秀英", "海燕", "晓东", "雪梅", "国平", "文杰", "佳怡", "浩然", "雨婷", "俊杰", "欣怡", "建华",
         "红梅", "志明", "丽娟", "美玲", "卫东", "永强", "春燕")


def _members(n: int) -> list[str]:
    """n distinct member names, the same every time."""
    names = [s + g for s in SURNAMES for g in GIVEN]
    random.Random("every-rule-members").shuffle(names)
    return names[:n]


def _year_end_rush(b: UnitBooks) -> None:
    """330103001: 464,050 元 in December, most of it festival gifts for all 212 members."""
    b.pay("2025-12-18", "50104", "190800.00", "元旦春节慰问品（年货礼包）212人", "杭州联华华商集团有限公司")
    b.pay("2025-12-22", "50104", "148400.00", "春节慰问品（大米、食用油）212人", "杭州粮油物流有限公司")
    b.pay("2025-12-26", "50101", "36850.00", "职工书屋购置图书", "浙江新华书店集团有限公司")
    b.voucher("2025-12-29", [("50502", "88000.00", "", None), ("102", "", "88000.00", None),
                             ("162", "88000.00", "", "购置职工之家健身器材，增加固定资产"),
                             ("301", "", "88000.00", "购置职工之家健身器材，增加固定基金")],
              "购置职工之家健身器材", "杭州健动体育用品商店")


def _cadres_on_union_pay(b: UnitBooks) -> None:
    """330103002: a full-time vice-chair (11,800) and officer (8,600) paid monthly with their social
    insurance (5,600), and a year-end bonus: 336,000 元 of 工资福利支出, a third of the spending."""
    for month in range(1, 13):
        b.voucher(_workday(month, 25), [("50401", "11800.00", "", None), ("50401", "8600.00", "", None),
                                              ("50401", "5600.00", "", None), ("102", "", "26000.00", None)],
                  f"支付工会专职副主席、专职干事{month}月工资及社会保险费")
    b.pay("2025-12-26", "50401", "24000.00", "发放工会专职副主席、专职干事年终绩效奖金")


def _school(b: UnitBooks) -> None:
    """330103003: the school's 教代会, a meeting booked as an activity, birthday and wedding gifts over
    the standard, Christmas gifts; the last two keyed by 赵敏, standing in for the accountant."""
    b.pay("2025-03-12", "50302", "6800.00", "召开第九届教职工代表大会第二次会议会务费", "杭州西湖文化广场会议中心有限公司")
    b.pay("2025-05-08", "50104", "5760.00", "教职工生日蛋糕券（甜心坊烘焙）5月16人", "甜心坊烘焙（西湖店）")
    b.pay("2025-06-05", "50104", "1860.00", "召开工会工作推进会场地及茶歇费", "杭州西湖文化广场会议中心有限公司")
    b.pay("2025-10-15", "50104", "1200.00", "会员结婚慰问 王丽华", preparer="赵敏")
    b.pay("2025-12-23", "50104", "6386.50", "圣诞节教职工慰问品", "惠客多超市（西湖店）", preparer="赵敏")


def _power_company(b: UnitBooks) -> None:
    """330103004: an advance open since April, protective gear, contest prize money, a cash sponsorship
    paid out the same day, three orders from a stationer and one from a name one character off, a
    voucher whose credit was keyed 1,208 for 1,280."""
    b.pay("2025-04-14", "135", "8000.00", "孙志明借支职工外出活动经费", "孙志明")
    b.pay("2025-07-09", "50202", "12600.00", "购买一线班组劳保用品（绝缘手套、安全帽）", "杭州安达劳保用品有限公司")
    b.pay("2025-09-16", "50102", "18000.00", "职工技能竞赛奖金")
    b.pay("2025-05-12", "101", "1500.00", "收到协办单位赞助款（现金）", "杭州星河文化传媒有限公司", credit_code="225")
    b.pay("2025-05-12", "50102", "1500.00", "支付职工篮球赛裁判费", "杭州市篮球协会", credit_code="101")
    for day, amount in (("2025-02-18", "860.00"), ("2025-04-22", "1245.00"), ("2025-08-19", "636.50")):
        b.pay(day, "50402", amount, "购买办公用品", "杭州文汇办公用品有限公司")
    b.pay("2025-10-21", "50402", "1180.00", "购买办公用品", "杭州文慧办公用品有限公司")
    b.voucher("2025-06-17", [("50103", "1280.00", "", None), ("102", "", "1208.00", None)], "制作安全生产宣传展板",
              "杭州印象广告有限公司")


def _investment_group(b: UnitBooks) -> None:
    """330103005: a contractor's deposit and the employer's sports-day money held as payables all year,
    a hall fee paid twice and reversed in red, an evening at a KTV, a two-day trip to 黄山."""
    b.pay("2025-03-11", "102", "20000.00", "收到协办单位活动保证金", "杭州恒远建设工程有限公司", credit_code="225")
    b.pay("2025-05-20", "102", "60000.00", "收到集团公司拨付职工运动会经费", "西湖建设投资集团有限公司", credit_code="225")
    b.pay("2025-06-10", "50102", "1280.00", "职工羽毛球赛场地费", "杭州黄龙体育中心")
    b.pay("2025-06-12", "50102", "1280.00", "职工羽毛球赛场地费", "杭州黄龙体育中心")
    b.pay("2025-06-17", "50102", "-1280.00", "冲回6月重复报销的羽毛球赛场地费", "杭州黄龙体育中心")
    b.pay("2025-06-24", "50102", "3260.00", "职工文体活动", "杭州金色年华KTV有限公司")
    b.pay("2025-10-21", "50102", "46800.00", "组织职工赴黄山二日游", "杭州中国国际旅行社有限公司")


def _festival_money(b: UnitBooks, members: int) -> None:
    """330103006: 过节费 to each member's salary card at four festivals (600, 300, 500 and 200 元), one
    debit line a member; the 端午 voucher's number follows a deleted one."""
    names = _members(members)
    for day, festival, amount, skip in (("2025-01-20", "春节", 600, 0), ("2025-05-27", "端午", 300, 1),
                                        ("2025-09-26", "中秋", 500, 0), ("2025-12-24", "元旦", 200, 0)):
        legs = [("50104", f"{amount}.00", "", f"{festival}过节费 {name}") for name in names]
        legs.append(("102", "", f"{amount * members}.00", None))
        b.voucher(day, legs, f"代发{festival}过节费（{members}人）", skip=skip)


def load_every_rule_books(tmp_path) -> None:
    """Add to 西湖区's demo year (demo_fixture already loaded) what makes the rules the demo leaves
    silent raise a flag (module docstring)."""
    books = _unit_books(["330103001", "330103002", "330103003", "330103004", "330103005", "330103006"])
    _year_end_rush(books["330103001"])
    _cadres_on_union_pay(books["330103002"])
    _school(books["330103003"])
    _power_company(books["330103004"])
    _investment_group(books["330103005"])
    _festival_money(books["330103006"], Org.objects.get(code="330103006").member_count)
    rows = [row for b in books.values() for row in b.rows]
    report = import_vouchers(write(tmp_path / "every-rule.csv", rows), merge=True, create_accounts=True)
    assert not report.replaced and not report.rejected, report.summary()  # added to the demo year, none lost
    director = make_user(COUNTY, "xihu_director", RoleCode.DIRECTOR)
    services.set_param(director, "JS-FEST-004", "cap_spring", 500, note="西湖区总工会：春节每人 500 元")
    services.set_param(director, "JS-FEST-004", "cap_other", 200, note="西湖区总工会：其他法定节日每节每人 200 元")
