"""Positive cases and innocent look-alikes of the payment, bookkeeping and statistical rules
(duplicates, splits, approval limits, year-end, balance, gaps, receivables, account pairs,
reversals, closing entries, preparers, Benford, outliers, look-alike payees, income in
liabilities, 坐收坐支)."""

import math
import random
import statistics
from collections import Counter
from decimal import Decimal

import pytest

from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.screening.engine import DuckDBEngine
from jingshen.screening.rules import load_rules
from jingshen.screening.services import latest_voucher_datasets
from tests.ledger.conftest import line, write
from tests.screening.conftest import entry


def compound(no, date, *legs, summary="支付职工活动费", payee="", vtype="记", org="A1X", preparer="张伟",
             reviewer="李娜", invoice=""):
    """A voucher of any shape: legs are (account code, debit, credit) with "" for no amount."""
    period = str(int(date[5:7]))
    return [
        line(org=org, period=period, date=date, vtype=vtype, no=str(no), line_no=str(i), summary=summary, code=code,
             name="", debit=debit, credit=credit, payee=payee, preparer=preparer, reviewer=reviewer, invoice=invoice)
        for i, (code, debit, credit) in enumerate(legs, start=1)
    ]


def keys(flags):
    return [(f.org.code, f.period, f.voucher_no, f.line_no) for f in flags]


# --- JS-DUP-001 重复支付 ------------------------------------------------------------------------


def test_duplicate_payment(screen):
    shop = "杭州健动体育用品商店"
    rows = (
        entry(1, "2025-03-03", "50102", "102", "1200.00", "购买篮球", shop)
        + entry(2, "2025-03-07", "50102", "102", "1200.00", "购买篮球", shop)  # same payee and amount 4 days later
        + entry(3, "2025-03-20", "50102", "102", "1200.00", "购买排球", shop)  # 13 days after the last one
        + entry(4, "2025-03-08", "50102", "102", "1200.00", "购买篮球", "杭州运动之家体育用品店")  # another payee
        + entry(5, "2025-03-10", "135", "102", "3000.00", "王建国借支活动经费", "王建国")  # advances, not spending
        + entry(6, "2025-03-12", "135", "102", "3000.00", "王建国借支活动经费", "王建国")
        + entry(7, "2025-04-01", "50402", "102", "48.00", "复印费", "晨曦图文快印")  # small fixed prices
        + entry(8, "2025-04-03", "50402", "102", "48.00", "复印费", "晨曦图文快印")
        + entry(9, "2025-04-03", "101", "102", "1200.00", "提取现金")  # a transfer, no payee
        + entry(10, "2025-04-07", "101", "102", "1200.00", "提取现金")
    )
    # A monthly property fee: paid in every period, one of them early (6 days after the previous one,
    # in the next period) and one of them twice within a period.
    fee = "杭州安居物业服务有限公司"
    days = ["01-28", "02-03", "03-03", "04-03", "05-03", "05-06", "06-03", "07-03", "08-04", "09-03", "10-09",
            "11-03", "12-03"]
    for i, day in enumerate(days):
        rows += entry(20 + i, f"2025-{day}", "50402", "102", "800.00", "职工之家物业管理费", fee)
    flags = screen(rows, "JS-DUP-001")
    assert keys(flags) == [("A1X", 3, 2, None), ("A1X", 5, 25, None)]
    assert flags[0].amount == Decimal("1200.00")
    assert flags[0].message == (
        "2025-03-07 向「杭州健动体育用品商店」付款 1,200.00 元，与 2025-03-03 的 3月记字第1号凭证收款方、金额相同，"
        "相隔 4 天，可能重复支付：购买篮球。"
    )
    assert "5月记字第24号" in flags[1].message and "相隔 3 天" in flags[1].message
    assert flags[0].severity == "高" and flags[0].line_no is None

    small = screen(rows, "JS-DUP-001", min_amount=0)
    assert ("A1X", 4, 8, None) in keys(small)
    assert ("A1X", 4, 10, None) not in keys(small)  # cash withdrawals are not payments


# --- JS-DUP-002 发票号重复 ----------------------------------------------------------------------


def test_duplicate_invoice(screen):
    rows = (
        entry(1, "2025-02-10", "50102", "102", "860.00", "购买乒乓球拍", "杭州健动体育用品商店", invoice="04417788")
        + entry(5, "2025-05-06", "50104", "102", "860.00", "购买慰问品", "杭州健动体育用品商店", invoice="04417788")
        # one invoice split over two spending accounts of one voucher
        + compound(6, "2025-05-08", ("50102", "300.00", ""), ("50104", "200.00", ""), ("102", "", "500.00"),
                   summary="购买活动用品", invoice="55550001")
        # paid, reversed in red, booked again: used once in the end
        + entry(7, "2025-06-02", "50102", "102", "640.00", "场地费", "杭州体育馆", invoice="66660001")
        + entry(8, "2025-06-05", "50102", "102", "-640.00", "冲销6月记字第7号（金额有误）", "杭州体育馆", invoice="66660001")
        + entry(9, "2025-06-05", "50102", "102", "460.00", "场地费", "杭州体育馆", invoice="66660001")
        # receipt numbers repeated on income lines are not spending
        + entry(10, "2025-06-10", "102", "402", "9000.00", "收到拨缴经费", invoice="77770001")
        + entry(11, "2025-07-10", "102", "402", "9000.00", "收到拨缴经费", invoice="77770001")
        # the same number in another unit
        + entry(1, "2025-02-11", "50102", "102", "300.00", "购买奖品", "乙市百货", org="B1X", invoice="88880001")
        + entry(2, "2025-03-11", "50102", "102", "300.00", "购买奖品", "甲市超市", invoice="88880001")
    )
    flags = screen(rows, "JS-DUP-002")
    # the first claim (February) is the genuine one: only the repeat in May is flagged
    assert keys(flags) == [("A1X", 5, 5, 1)]
    assert flags[0].message == (
        "票据号 04417788 在 2 张凭证中作为支出入账，首次入账见 2月记字第1号（2025-02-10），本分录 860.00 元再次入账："
        "购买慰问品（杭州健动体育用品商店）。"
    )
    across = screen(rows, "JS-DUP-002", across_units=1)
    assert ("A1X", 3, 2, 1) in keys(across) and ("B1X", 2, 1, 1) not in keys(across)
    messages = {(f.org.code, f.voucher_no): f.message for f in across}
    assert "首次入账见 B1X 2月记字第1号（2025-02-11）" in messages[("A1X", 2)]


# --- JS-SPLIT-001 拆分支付规避审批 --------------------------------------------------------------


def test_split_payment(screen):
    market, shop = "杭州联惠超市有限公司", "杭州文汇办公用品有限公司"
    rows = (
        entry(1, "2025-06-02", "50102", "102", "4800.00", "购买职工活动奖品", market)
        + entry(2, "2025-06-03", "50102", "102", "4900.00", "购买职工活动奖品", market)
        + entry(3, "2025-06-05", "50102", "102", "4700.00", "购买职工活动奖品", market)
        + entry(4, "2025-07-01", "50104", "102", "9600.00", "购买职工慰问品", market)  # the 10,000 band
        + entry(5, "2025-07-04", "50104", "102", "9800.00", "购买职工慰问品", market)
        + entry(6, "2025-08-01", "50402", "102", "4800.00", "购买办公用品", shop)  # 10 days apart
        + entry(7, "2025-08-11", "50402", "102", "4900.00", "购买办公用品", shop)
        + entry(8, "2025-09-01", "50402", "102", "4600.00", "购买办公用品", shop)  # different accounts
        + entry(9, "2025-09-02", "50102", "102", "4600.00", "购买活动器材", shop)
        + entry(10, "2025-10-09", "50402", "102", "1500.00", "购买办公用品", shop)  # small pieces
        + entry(11, "2025-10-10", "50402", "102", "2000.00", "购买办公用品", shop)
        + entry(12, "2025-10-11", "50402", "102", "2500.00", "购买办公用品", shop)
        + entry(13, "2025-11-03", "135", "102", "4500.00", "王建国借支活动经费", "王建国")  # advances
        + entry(14, "2025-11-04", "135", "102", "4500.00", "王建国借支活动经费", "王建国")
    )
    flags = screen(rows, "JS-SPLIT-001")
    assert keys(flags) == [("A1X", 6, 1, None), ("A1X", 6, 2, None), ("A1X", 6, 3, None), ("A1X", 7, 4, None),
                           ("A1X", 7, 5, None)]
    assert flags[0].message == (
        "2025-06-02 至 2025-06-05 向「杭州联惠超市有限公司」付款 3 笔（均记入「文体活动费」），每笔低于 5,000 元的审批限额，"
        "合计 14,400.00 元，达到限额：可能拆分支付规避审批。本笔 4,800.00 元：购买职工活动奖品。"
    )
    assert "每笔低于 10,000 元的审批限额，合计 19,400.00 元" in flags[3].message
    assert ("A1X", 8, 6, None) in keys(screen(rows, "JS-SPLIT-001", days=10))
    assert ("A1X", 10, 12, None) in keys(screen(rows, "JS-SPLIT-001", min_share=0.2))


# --- JS-LIMIT-001 金额略低于审批限额 ------------------------------------------------------------


def test_just_below_approval_limit(screen):
    rows = (
        entry(1, "2025-03-02", "50102", "102", "4980.00", "购买活动器材", "杭州健动体育用品商店")
        + entry(2, "2025-03-05", "50104", "101", "9850.00", "发放慰问金")  # no payee: still a payment
        + entry(3, "2025-03-06", "50102", "102", "4700.00", "购买活动器材", "杭州健动体育用品商店")  # 6 % below
        + entry(4, "2025-03-07", "50102", "102", "5000.00", "购买活动器材", "杭州健动体育用品商店")  # at the limit
        + entry(5, "2025-03-08", "50102", "102", "10000.00", "场地租赁费", "杭州体育馆")
        + entry(6, "2025-03-09", "101", "102", "9800.00", "提取现金")  # a withdrawal, not a payment
    )
    flags = screen(rows, "JS-LIMIT-001")
    assert keys(flags) == [("A1X", 3, 1, None), ("A1X", 3, 2, None)]
    assert flags[0].message == "付款 4,980.00 元，比 5,000 元的审批限额只低 20.00 元，收款方「杭州健动体育用品商店」：购买活动器材。"
    assert flags[1].message == "付款 9,850.00 元，比 10,000 元的审批限额只低 150.00 元：发放慰问金。"
    assert [f.voucher_no for f in screen(rows, "JS-LIMIT-001", margin_pct=10)] == [1, 2, 3]
    assert [f.voucher_no for f in screen(rows, "JS-LIMIT-001", limit2=0)] == [1]


# --- JS-YEAR-001 年底突击花钱 ------------------------------------------------------------------


def test_year_end_spending_rush(screen):
    rows = (
        entry(1, "2025-01-10", "50102", "102", "1000.00", "篮球赛场地费")
        + entry(1, "2025-11-10", "50104", "102", "3000.00", "购买慰问品")
        + entry(1, "2025-12-10", "50104", "102", "2500.00", "购买慰问品")
        + entry(2, "2025-12-12", "102", "50104", "500.00", "退回多付货款")  # a refund lowers the spending
        + entry(3, "2025-12-15", "102", "402", "90000.00", "收到拨缴经费")  # income is not spending
    )
    for month in range(1, 13):  # B1X spends evenly through the year
        rows += entry(1, f"2025-{month:02d}-15", "50102", "102", "1000.00", "活动经费", org="B1X")
    flags = screen(rows, "JS-YEAR-001")
    assert keys(flags) == [("A1X", None, None, None)]
    assert flags[0].voucher_type == "" and flags[0].amount == Decimal("5000.00")
    assert flags[0].message == "11–12 月支出 5,000.00 元，占全年支出 6,000.00 元的 83.3%，超过 50%：可能年底突击花钱。"
    assert screen(rows, "JS-YEAR-001", share_pct=90) == []
    assert [f.org.code for f in screen(rows, "JS-YEAR-001", share_pct=10)] == ["A1X", "B1X"]


# --- JS-BAL-001 借贷不平衡的凭证 ---------------------------------------------------------------


def test_unbalanced_voucher(screen):
    rows = (
        compound(1, "2025-04-01", ("50102", "1000.00", ""), ("102", "", "900.00"), summary="篮球赛场地费")
        + compound(2, "2025-04-02", ("50102", "600.00", ""), ("50104", "400.00", ""), ("102", "", "1000.00"))
        + compound(3, "2025-04-03", ("50104", "250.50", ""), ("101", "", "250.00"), ("102", "", "0.40"))
    )
    flags = screen(rows, "JS-BAL-001")
    assert keys(flags) == [("A1X", 4, 1, None), ("A1X", 4, 3, None)]
    assert flags[0].amount == Decimal("100.00")
    assert flags[0].message == "借方合计 1,000.00 元，贷方合计 900.00 元，相差 100.00 元（凭证共 2 行分录，日期 2025-04-01）。"
    assert "相差 0.10 元" in flags[1].message
    assert keys(screen(rows, "JS-BAL-001", tolerance=0.5)) == [("A1X", 4, 1, None)]


# --- JS-GAP-001 凭证号断号 ---------------------------------------------------------------------


def test_voucher_number_gaps(screen):
    rows = []
    # A1X numbers each month from 1: January lacks 4 and 7-8, March starts at 2.
    for no in (1, 2, 3, 5, 6, 9):
        rows += entry(no, f"2025-01-{no + 5:02d}", "50102", "102", "100.00")
    for no in (1, 2):
        rows += entry(no, f"2025-02-{no + 5:02d}", "50102", "102", "100.00")
    for no in (2, 3):
        rows += entry(no, f"2025-03-{no + 5:02d}", "50102", "102", "100.00")
    for no in (1, 2):  # 收字 numbered on its own
        rows += entry(no, f"2025-01-{no + 20:02d}", "102", "402", "5000.00", vtype="收")
        rows += entry(no, f"2025-02-{no + 20:02d}", "102", "402", "5000.00", vtype="收")
    # B1X numbers through the year: 6 is missing; March carries on from 8.
    for no, day in ((1, "01-06"), (2, "01-07"), (3, "01-08"), (4, "02-06"), (5, "02-07"), (7, "02-10"), (8, "03-02")):
        rows += entry(no, f"2025-{day}", "50102", "102", "100.00", org="B1X")
    flags = screen(rows, "JS-GAP-001")
    # unit-level flags: no voucher fields, the period only where numbering restarts each month,
    # the missing numbers as fields
    assert [(f.org.code, f.period, f.voucher_type, f.voucher_no, f.line_no, f.amount) for f in flags] == [
        ("A1X", 1, "", None, None, None), ("A1X", 1, "", None, None, None), ("A1X", 3, "", None, None, None),
        ("B1X", None, "", None, None, None)]
    assert [f.details for f in flags] == [
        {"series": "记", "missing_from": 4, "missing_to": 4, "missing": 1},
        {"series": "记", "missing_from": 7, "missing_to": 8, "missing": 2},
        {"series": "记", "missing_from": 1, "missing_to": 1, "missing": 1},
        {"series": "记", "missing_from": 6, "missing_to": 6, "missing": 1}]
    messages = [f.message for f in flags]
    assert messages[0] == "记字凭证（1月，按月编号）缺 4 号，共 1 个号（在 3 号与 5 号之间）。"
    assert messages[1] == "记字凭证（1月，按月编号）缺 7–8 号，共 2 个号（在 6 号与 9 号之间）。"
    assert messages[2] == "记字凭证（3月，按月编号）缺 1 号，共 1 个号（本月从 2 号开始）。"
    assert messages[3] == "记字凭证（全年连续编号）缺 6 号，共 1 个号（在 5 号与 7 号之间）。"
    assert [f.details["missing_from"] for f in screen(rows, "JS-GAP-001", min_missing=2)] == [7]


# --- JS-AR-001 其他应收款长期挂账 --------------------------------------------------------------


def test_long_open_advances(screen):
    rows = (
        entry(1, "2025-03-10", "135", "102", "3000.00", "王建国借支活动经费", "王建国")  # never settled
        + entry(2, "2025-02-03", "135", "102", "2000.00", "李娜借支活动经费", "李娜")
        + entry(3, "2025-03-03", "50102", "135", "2000.00", "李娜报销活动费用，冲销借支", "李娜")  # first one cleared
        + entry(4, "2025-11-20", "135", "102", "1000.00", "李娜借支活动经费", "李娜")  # open 41 days only
        + entry(5, "2025-04-01", "135", "102", "5000.00", "张伟借支培训经费", "张伟")
        + entry(6, "2025-04-20", "50301", "135", "4000.00", "张伟报销培训费，冲销借支", "张伟")  # 1,000 still open
        + entry(7, "2025-05-06", "135", "102", "800.00", "赵敏借支活动经费", "赵敏")
        + entry(8, "2025-05-20", "50102", "135", "800.00", "赵敏报销活动费用，冲销借支", "赵敏")  # settled
        + entry(9, "2025-12-20", "135", "102", "1500.00", "陈刚借支元旦活动经费", "陈刚")  # December advance
    )
    flags = screen(rows, "JS-AR-001")
    assert keys(flags) == [("A1X", 3, 1, 1), ("A1X", 4, 5, 1)]
    assert flags[0].amount == Decimal("3000.00")
    assert flags[0].message == (
        "「王建国」在「其他应收款」年末仍有借方余额 3,000.00 元，最早未清的是 2025-03-10 的一笔 3,000.00 元"
        "（王建国借支活动经费），至年末已挂账 296 天，超过 90 天。"
    )
    assert flags[1].amount == Decimal("1000.00") and "一笔 5,000.00 元" in flags[1].message
    assert ("A1X", 11, 4, 1) in keys(screen(rows, "JS-AR-001", days=30))


# --- JS-PAIR-001 罕见科目对应关系 --------------------------------------------------------------


def test_rare_account_pairs(screen):
    rows = []
    for i in range(6):
        rows += entry(1 + i, f"2025-03-{i + 2:02d}", "50102", "102", "300.00", "篮球赛场地费")
        rows += entry(11 + i, f"2025-03-{i + 2:02d}", "50104", "102", "200.00", "慰问品")
    rows += entry(21, "2025-03-20", "50104", "50102", "350.00", "调账")  # expense to expense
    rows += entry(22, "2025-03-21", "50302", "102", "900.00", "会议场地费")  # rare pair, but a rare role too
    params = dict(min_role_vouchers=3, max_vouchers=2, max_share_pct=50)
    flags = screen(rows, "JS-PAIR-001", **params)
    assert keys(flags) == [("A1X", 3, 21, None)]
    assert flags[0].message == (
        "借「其他活动支出」（expense-staff-activity）、贷「文体活动费」（expense-culture-sports）的对应关系在全部受查单位中"
        "只出现在 1 张凭证中，而这两个科目角色分别出现在 7 张和 7 张凭证中：调账。"
    )
    # Counted over all screened units: the same pairing once in B1X as well makes it occur twice.
    rows += entry(1, "2025-05-20", "50104", "50102", "120.00", "调账", org="B1X")
    assert screen(rows, "JS-PAIR-001", **params) == []


def test_every_account_role_fits_one_bit_of_the_pairing_rule():
    """JS-PAIR-001 keeps a voucher's roles on each side as the bits of a BIGINT (one bit per role,
    numbered from 0): a 64th role would need another representation there."""
    from jingshen.ledger.roles import AccountRole

    assert len(AccountRole.choices) < 63


# --- JS-REV-001 红字冲销与作废分录 -------------------------------------------------------------


def test_reversals_and_voids(screen):
    rows = (
        entry(1, "2025-06-02", "50102", "102", "500.00", "篮球赛场地费", "杭州体育馆")
        + entry(2, "2025-06-09", "50102", "102", "-500.00", "冲回6月记字第1号重复报销", "杭州体育馆")
        + entry(3, "2025-06-10", "50104", "102", "300.00", "作废：慰问品重复入账")
        + entry(4, "2025-06-11", "50102", "135", "1800.00", "王建国报销活动费用，冲销借支", "王建国")  # normal
        + entry(5, "2025-06-12", "50301", "102", "2000.00", "培训费")
    )
    flags = screen(rows, "JS-REV-001")
    assert keys(flags) == [("A1X", 6, 2, None), ("A1X", 6, 3, None)]
    assert flags[0].amount == Decimal("1000.00")
    assert flags[0].message == "有 2 行红字（负数）金额；摘要含“冲回”：冲回6月记字第1号重复报销（凭证借方合计 -500.00 元）。"
    assert flags[1].message == "摘要含“作废”：作废：慰问品重复入账（凭证借方合计 300.00 元）。"


# --- JS-CLOSE-001 期末调账 ---------------------------------------------------------------------


def test_year_end_adjustments(screen):
    rows = (
        entry(1, "2025-12-29", "50104", "102", "10000.00", "购买慰问品", "杭州联惠超市有限公司")  # round
        + entry(2, "2025-12-30", "50104", "50102", "350.00", "调账", reviewer="")  # vague
        # self-reviewed: JS-SELF-001's finding, not repeated here
        + entry(3, "2025-12-28", "50102", "102", "688.00", "场地费", preparer="张伟", reviewer="张伟")
        + compound(4, "2025-12-31", ("402", "123456.78", ""), ("331", "", "123456.78"), summary="结转本年收入")
        + entry(5, "2025-12-15", "50104", "102", "20000.00", "购买慰问品")  # round, but not at the year end
        + entry(6, "2025-12-29", "101", "102", "5000.00", "提取现金")  # withdrawals are round anyway
        + entry(7, "2025-12-29", "135", "102", "6000.00", "王建国借支活动经费", "王建国")
        + entry(8, "2025-12-26", "50104", "50102", "400.00", "调账", reviewer="")  # 5 days before the end
    )
    flags = screen(rows, "JS-CLOSE-001")
    assert keys(flags) == [("A1X", 12, 1, None), ("A1X", 12, 2, None)]
    assert flags[0].message == "凭证日期 2025-12-29（距会计年度结束 2 天），有整数金额分录：购买慰问品（借方合计 10,000.00 元）。"
    assert flags[1].message == (
        "凭证日期 2025-12-30（距会计年度结束 1 天），摘要为“调账”但不涉及年终结转科目：调账（借方合计 350.00 元）。"
    )
    assert ("A1X", 12, 8, None) in keys(screen(rows, "JS-CLOSE-001", days=6))


# --- JS-PREP-001 非常用制单人 ------------------------------------------------------------------


def test_rare_preparer(screen):
    rows = []
    for i in range(60):
        rows += entry(i + 1, f"2025-{i % 12 + 1:02d}-{i // 12 + 3:02d}", "50102", "102", "100.00", preparer="张伟")
    for i in range(15):
        rows += entry(i + 100, f"2025-{i % 12 + 1:02d}-20", "50102", "102", "100.00", preparer="王芳")
    rows += entry(200, "2025-05-21", "50104", "102", "2600.00", "购买慰问品", preparer="赵六")
    rows += entry(201, "2025-06-21", "50104", "102", "1800.00", "购买慰问品", preparer="赵六")
    for i in range(30):  # a small unit: shares mean little
        rows += entry(i + 1, f"2025-{i % 12 + 1:02d}-{i // 12 + 3:02d}", "50102", "102", "100.00", org="B1X",
                      preparer="孙丽" if i else "钱七")
    flags = screen(rows, "JS-PREP-001")
    assert keys(flags) == [("A1X", 5, 200, None), ("A1X", 6, 201, None)]
    assert flags[0].message == (
        "制单人「赵六」全年只编制了 2 张凭证，占本单位 77 张凭证的 2.6%（本单位主要制单人为「张伟」，60 张）：购买慰问品。"
    )
    assert keys(screen(rows, "JS-PREP-001", min_vouchers=2, min_share_pct=1)) == []
    assert len(screen(rows, "JS-PREP-001", min_share_pct=20)) == 17  # 王芳's 15 as well


# --- JS-BEN-001 / JS-BEN-002 Benford ----------------------------------------------------------


def benford_reference(amounts, two_digits=False):
    """First-digit (or first-two-digit) test straight from the definition: P(d) = log10(1 + 1/d),
    MAD = mean |actual − expected| over all possible digits."""
    digits = range(10, 100) if two_digits else range(1, 10)
    values = [Decimal(a) for a in amounts if Decimal(a) >= 10]
    counts = Counter(int(str(int(v))[: 2 if two_digits else 1]) for v in values)
    n = len(values)
    actual = {d: counts[d] / n for d in digits}
    expected = {d: math.log10(1 + 1 / d) for d in digits}
    mad = sum(abs(actual[d] - expected[d]) for d in digits) / len(digits)
    top = max(digits, key=lambda d: (actual[d] - expected[d], -d))
    return {"n": n, "mad": mad, "actual": actual, "expected": expected, "top": top}


def benford_books():
    """A1X: amounts spread log-uniformly over 10..1,000,000 (close to Benford). B1X: the same kind of
    spread plus many reimbursements just under 5,000 (too many 4s, and 48 as first two digits).
    A: plenty of amounts but within two orders of magnitude (not eligible). Debit amounts only
    count; the credit side of each entry mirrors it."""
    rng = random.Random(20250101)
    books = {}
    books["A1X"] = [f"{10 ** rng.uniform(1, 6):.2f}" for _ in range(1300)]
    books["B1X"] = [f"{10 ** rng.uniform(1, 6):.2f}" for _ in range(900)] + [
        f"{rng.uniform(4800, 4899.99):.2f}" for _ in range(400)]
    books["A"] = [f"{rng.uniform(100, 9999):.2f}" for _ in range(1300)]
    return books


def screen_raw(tmp_path, rows, code, **params):
    """The rule's own result rows (all columns, unformatted), for exact comparisons."""
    import_vouchers(write(tmp_path / f"{code}.csv", rows), create_accounts=True)
    engine = DuckDBEngine(latest_voucher_datasets(2025))
    try:
        rule = load_rules()[code]
        result = next(engine.run([rule], {code: params}))
        table = [dict(zip(result.columns, r)) for r in result.rows]
        # every digit's proportion, from the rule's own CTEs
        cte = rule.render(params).rsplit("\nSELECT m.org", 1)[0]
        dist = engine.con.execute(cte + "\nSELECT org, d, actual, expected FROM dist ORDER BY org, d").fetchall()
    finally:
        engine.close()
    return {r["org"]: r for r in table}, dist


def benford_rows(books):
    rows = []
    for org, amounts in books.items():
        for i, amount in enumerate(amounts):
            rows += entry(i + 1, f"2025-{i % 12 + 1:02d}-{i % 27 + 1:02d}", "50102", "102", amount, org=org)
    return rows


@pytest.mark.parametrize("code, two_digits", [("JS-BEN-001", False), ("JS-BEN-002", True)])
def test_benford_statistics_match_a_reference_computation(tree, tmp_path, code, two_digits):
    books = benford_books()
    found, dist = screen_raw(tmp_path, benford_rows(books), code, marginal=0, min_count=1000)
    assert set(found) == {"A1X", "B1X"}  # A spans less than 4 orders of magnitude
    for org in ("A1X", "B1X"):
        ref = benford_reference(books[org], two_digits)
        row = found[org]
        assert row["n"] == ref["n"] == len(books[org])
        assert row["mad"] == pytest.approx(ref["mad"], abs=1e-9)
        assert row["top_digit"] == ref["top"]
        assert row["top_actual"] == pytest.approx(ref["actual"][ref["top"]], abs=1e-9)
        assert row["top_expected"] == pytest.approx(ref["expected"][ref["top"]], abs=1e-9)
        mine = {d: (a, e) for o, d, a, e in dist if o == org}
        assert sorted(mine) == sorted(ref["actual"])
        for d, (a, e) in mine.items():
            assert a == pytest.approx(ref["actual"][d], abs=1e-9) and e == pytest.approx(ref["expected"][d], abs=1e-9)
    assert found["B1X"]["top_digit"] == (48 if two_digits else 4)


@pytest.mark.parametrize("code, digits", [("JS-BEN-001", 1), ("JS-BEN-002", 2)])
def test_benford_statistics_match_benford_py(tree, tmp_path, code, digits):
    """The same amounts through the benford_py package (Marcel Milcent's reference implementation)."""
    import benford
    import pandas as pd

    books = benford_books()
    found, dist = screen_raw(tmp_path, benford_rows(books), code, marginal=0, min_count=1000)
    for org in ("A1X", "B1X"):
        series = pd.Series([float(a) for a in books[org]])
        ref = benford.first_digits(series, digs=digits, decimals=2, confidence=None, show_plot=False, verbose=False)
        mine = {d: (a, e) for o, d, a, e in dist if o == org}
        assert sorted(mine) == sorted(int(d) for d in ref.index)
        for d, row in ref.iterrows():
            assert mine[int(d)][0] == pytest.approx(row["Found"], abs=1e-9)
            assert mine[int(d)][1] == pytest.approx(row["Expected"], abs=1e-9)
        assert found[org]["mad"] == pytest.approx(benford.mad(series, test=digits, decimals=2), abs=1e-9)


def test_benford_flags_only_nonconforming_eligible_units(screen):
    books = benford_books()
    rows = benford_rows(books)
    flags = screen(rows, "JS-BEN-001")
    assert keys(flags) == [("B1X", None, None, None)]
    ref = benford_reference(books["B1X"])
    top = ref["top"]
    assert flags[0].message == (
        f"首位数字分布不符合本福特定律：MAD = {ref['mad']:.4f}（超过 0.015 即不符合），检验了 1300 笔不少于 10 元的借方金额"
        f"（{min(Decimal(a) for a in books['B1X']):,.2f}～{max(Decimal(a) for a in books['B1X']):,.2f} 元）；"
        f"偏多最明显的是首位数字 4，实际占 {100 * ref['actual'][top]:.1f}%，理论应占 9.7%。"
    )
    assert ref["mad"] > 0.015 > benford_reference(books["A1X"])["mad"]
    # first-two digits: too few amounts for the default eligibility (3,000)
    assert screen(rows, "JS-BEN-002") == []
    two = screen(rows, "JS-BEN-002", min_count=1000)
    assert "B1X" in [f.org.code for f in two]
    b = [f for f in two if f.org.code == "B1X"][0]
    ref2 = benford_reference(books["B1X"], two_digits=True)
    assert ref2["top"] == 48
    assert b.message == (
        f"前两位数字分布不符合本福特定律：MAD = {ref2['mad']:.5f}（超过 0.0022 即不符合），检验了 1300 笔不少于 10 元的借方金额"
        f"（{min(Decimal(a) for a in books['B1X']):,.2f}～{max(Decimal(a) for a in books['B1X']):,.2f} 元）；"
        f"偏多最明显的是前两位数字 48，实际占 {100 * ref2['actual'][48]:.1f}%，理论应占 0.9%。"
    )


# --- JS-OUT-001 / JS-OUT-002 robust outliers ---------------------------------------------------


def test_account_amount_outliers(screen):
    amounts = [f"{100 + 10 * i}.00" for i in range(24)]  # 100 … 330
    rows = []
    for i, amount in enumerate(amounts):
        rows += entry(i + 1, f"2025-{i % 12 + 1:02d}-{i // 12 + 2:02d}", "50102", "102", amount, "场地费", "杭州体育馆")
    rows += entry(50, "2025-06-20", "50102", "102", "20000.00", "场地费", "杭州体育馆")  # the outlier
    rows += entry(51, "2025-06-21", "50102", "102", "600.00", "场地费", "杭州体育馆")  # high but within range
    for i in range(25):  # fixed care amounts: MAD = 0, not tested
        rows += entry(60 + i, f"2025-{i % 12 + 1:02d}-15", "50104", "102", "500.00", "职工住院慰问")
    rows += entry(90, "2025-07-15", "50104", "102", "5000.00", "职工住院慰问")
    for i in range(10):  # too few lines for a group
        rows += entry(100 + i, f"2025-{i + 1:02d}-16", "50301", "102", f"{300 + 20 * i}.00", "培训费")
    rows += entry(110, "2025-11-16", "50301", "102", "30000.00", "培训费")
    flags = screen(rows, "JS-OUT-001")
    assert keys(flags) == [("A1X", 6, 50, 1)]
    logs = [math.log10(float(a)) for a in amounts + ["20000.00", "600.00"]]
    center = statistics.median(logs)
    mad = statistics.median(abs(x - center) for x in logs)
    z = abs(math.log10(20000) - center) / (1.4826 * mad)
    median_amount = statistics.median(float(a) for a in amounts + ["20000.00", "600.00"])
    assert flags[0].message == (
        f"金额 20,000.00 元，是中位数 {median_amount:.2f} 元的 {20000 / median_amount:.1f} 倍（本单位「文体活动费」共 26 笔借方分录）："
        f"按金额对数计算的稳健 z 值为 {z:.1f}，超过 5：场地费（杭州体育馆）。"
    )
    # one outlier is tested in any group (here 1 of 11 lines, over the 5 % share)
    assert keys(screen(rows, "JS-OUT-001", min_count=10)) == [("A1X", 6, 50, 1), ("A1X", 11, 110, 1)]


def test_outliers_are_large_amounts_in_groups_of_one_kind(screen):
    """An account mixing fixed care gifts with festival purchases has many "outliers": it is not
    tested; an unusually small amount is not a risk."""
    rows = []
    for i in range(30):  # care gifts of 400-690 and four festival purchases
        rows += entry(i + 1, f"2025-{i % 12 + 1:02d}-{i // 12 + 3:02d}", "50104", "102", f"{400 + 10 * i}.00", "职工住院慰问")
    for i, month in enumerate((1, 5, 9, 12)):
        rows += entry(40 + i, f"2025-{month:02d}-20", "50104", "102", "36000.00", "节日慰问品", "杭州联华超市")
    for i in range(24):
        rows += entry(60 + i, f"2025-{i % 12 + 1:02d}-{i // 12 + 6:02d}", "50102", "102", f"{2000 + 40 * i}.00", "场地费")
    rows += entry(90, "2025-07-08", "50102", "102", "8.00", "场地费")  # far below: not flagged
    assert keys(screen(rows, "JS-OUT-001")) == []
    assert keys(screen(rows, "JS-OUT-001", max_outlier_share=0.2)) == [("A1X", 1, 40, 1), ("A1X", 5, 41, 1), ("A1X", 9, 42, 1),
                                                                       ("A1X", 12, 43, 1)]


def test_counterparty_amount_outliers(screen):
    shop = "杭州健动体育用品商店"
    rows = []
    for i in range(12):
        rows += entry(i + 1, f"2025-{i + 1:02d}-05", "50102", "102", f"{100 + 10 * i}.00", "乒乓球用品", shop)
    rows += entry(20, "2025-08-20", "50104", "102", "5200.00", "购买慰问品", shop)  # far above this shop's usual
    for i in range(5):  # too few payments to this payee
        rows += entry(30 + i, f"2025-{i + 1:02d}-08", "50102", "102", "200.00", "场地费", "杭州体育馆")
    rows += entry(40, "2025-09-08", "50102", "102", "9000.00", "场地费", "杭州体育馆")
    for i in range(12):  # nearly fixed prices: 67.40 is statistically odd, but not twice the median
        rows += entry(50 + i, f"2025-{i + 1:02d}-12", "50402", "102", f"{47 + 0.5 * i:.2f}", "桶装水", "杭州清泉饮用水有限公司")
    rows += entry(70, "2025-10-13", "50402", "102", "67.40", "桶装水", "杭州清泉饮用水有限公司")
    flags = screen(rows, "JS-OUT-002")
    assert keys(flags) == [("A1X", 8, 20, 1)]
    logs = [math.log10(100 + 10 * i) for i in range(12)] + [math.log10(5200)]
    center = statistics.median(logs)
    z = (math.log10(5200) - center) / (1.4826 * statistics.median(abs(x - center) for x in logs))
    assert flags[0].message == (
        f"金额 5,200.00 元，是中位数 160.00 元的 32.5 倍（本单位付给「杭州健动体育用品商店」的 13 笔支出）："
        f"按金额对数计算的稳健 z 值为 {z:.1f}，超过 5：购买慰问品（其他活动支出）。"
    )
    assert ("A1X", 10, 70, 1) in keys(screen(rows, "JS-OUT-002", min_ratio=1))  # the water price is a z-outlier


# --- JS-PAYEE-001 近似往来单位 ------------------------------------------------------------------


def test_look_alike_payees(screen):
    rows = []
    for i, (payee, times) in enumerate([("杭州银泰百货", 3), ("杭州银泰百货有限公司", 1), ("上城晨曦文具店", 4),
                                        ("上城晨光文具店", 1), ("王建国", 3), ("王建华", 1),
                                        ("惠客多超市（西湖店）", 3), ("惠客多超市（上城店）", 1)]):
        for k in range(times):
            rows += entry(10 * i + k + 1, f"2025-{k + 2:02d}-{i + 3:02d}", "50104", "102", f"{300 + 10 * i + k}.00",
                          "购买慰问品", payee)
    flags = screen(rows, "JS-PAYEE-001")
    assert [(f.voucher_no, f.amount) for f in flags] == [(11, Decimal("310.00")), (31, Decimal("330.00"))]
    assert flags[0].message == (
        "收款方「杭州银泰百货有限公司」与本单位常用收款方「杭州银泰百货」（全年 3 笔）只多了“有限公司”，"
        "而「杭州银泰百货有限公司」全年只有 1 笔：付款 310.00 元，购买慰问品。"
    )
    assert "「上城晨光文具店」与本单位常用收款方「上城晨曦文具店」（全年 4 笔）只差 1 个字" in flags[1].message
    assert 51 in [f.voucher_no for f in screen(rows, "JS-PAYEE-001", min_length=3)]  # 王建华 vs 王建国
    assert 71 in [f.voucher_no for f in screen(rows, "JS-PAYEE-001", max_edits=2)]  # another branch of the chain


# --- JS-INC-001 收入在往来科目核算 -------------------------------------------------------------


def test_income_booked_as_liability(screen):
    rows = (
        entry(1, "2025-05-06", "102", "225", "50000.00", "收到上级工会拨付职工之家建设补助", "甲市总工会")
        + entry(2, "2025-05-07", "102", "40302", "50000.00", "收到上级工会拨付职工之家建设补助", "甲市总工会")  # income
        + entry(3, "2025-05-08", "102", "225", "20000.00", "收到活动场地押金", "杭州体育馆")  # not income-like
        + entry(4, "2025-05-09", "102", "225", "9999.00", "收到会费", "会员个人")  # under 10,000
        + entry(5, "2025-05-10", "101", "231", "10000.00", "代收会费", "会员个人")  # 10,000 counts
        + entry(6, "2025-05-11", "50104", "225", "30000.00", "应付慰问品补助款", "杭州联惠超市有限公司")  # no receipt
    )
    flags = screen(rows, "JS-INC-001")
    assert keys(flags) == [("A1X", 5, 1, 2), ("A1X", 5, 5, 2)]
    assert flags[0].amount == Decimal("50000.00")
    assert flags[0].message == (
        "收到款项 50,000.00 元，贷记「其他应付款」50,000.00 元，摘要含“补助”，像是收入却在往来科目核算："
        "收到上级工会拨付职工之家建设补助（甲市总工会）。"
    )
    assert "贷记「代管经费」10,000.00 元，摘要含“会费”" in flags[1].message


# --- JS-SITSPEND-001 坐收坐支 -------------------------------------------------------------------


def test_receipts_paid_straight_out(screen):
    rows = (
        compound(1, "2025-05-06", ("101", "8000.00", ""), ("50104", "2000.00", ""), ("401", "", "10000.00"),
                 summary="收取会费，其中2000元直接支付活动茶歇")
        + compound(2, "2025-05-07", ("102", "3000.00", ""), ("50102", "2000.00", ""), ("225", "", "5000.00"),
                   summary="收到赞助款并支付场地费")
        + entry(3, "2025-05-12", "101", "225", "1500.00", "收到协办单位赞助款（现金）")
        + entry(4, "2025-05-12", "50102", "101", "1500.00", "支付活动场地费", "杭州体育馆")
        # look-alikes
        + compound(5, "2025-05-13", ("50102", "800.00", ""), ("101", "200.00", ""), ("135", "", "1000.00"),
                   summary="王建国报销活动费用，退回借支余款")
        + entry(6, "2025-05-14", "101", "401", "600.00", "收取现金会费")  # received as income
        + entry(7, "2025-05-14", "50104", "101", "600.00", "购买茶歇")
        + entry(8, "2025-05-15", "101", "102", "2000.00", "提取现金")  # drawn from the bank
        + entry(9, "2025-05-15", "50104", "101", "2000.00", "发放慰问金")
        + entry(10, "2025-05-16", "50104", "225", "3000.00", "应付慰问品款")  # an accrual, no cash
        + entry(11, "2025-05-19", "101", "225", "700.00", "收到暂收款（现金）")
        + entry(12, "2025-05-20", "50102", "101", "700.00", "购买奖品")  # the next day
    )
    flags = screen(rows, "JS-SITSPEND-001")
    assert keys(flags) == [("A1X", 5, 1, None), ("A1X", 5, 2, None), ("A1X", 5, 4, None)]
    assert flags[0].message == (
        "同一凭证中收入直接抵减支出，收入未全额入账（收到 10,000.00 元，贷记「会费收入」；付出 2,000.00 元）："
        "收取会费，其中2000元直接支付活动茶歇。"
    )
    assert flags[1].message.startswith("同一凭证中收到款项挂往来后直接列支（收到 5,000.00 元，贷记「其他应付款」；付出 2,000.00 元）")
    assert flags[2].message == (
        "同日现金收到同额款项（5月记字第3号凭证，未记收入）后随即付出（收到 1,500.00 元，贷记「其他应付款」；付出 1,500.00 元）："
        "支付活动场地费。"
    )
    assert "现金管理暂行条例" in flags[0].basis


def test_ap_001_payables_left_open(screen):
    from tests.screening.conftest import entry

    rows = (
        entry(1, "2025-02-10", "102", "225", "30000.00", "收到某单位暂存款", "某公司")  # open all year
        + entry(2, "2025-03-01", "102", "225", "5000.00", "代收款", "甲单位")
        + entry(3, "2025-04-01", "225", "102", "5000.00", "退还代收款", "甲单位")  # cleared
        + entry(4, "2025-12-20", "102", "225", "800.00", "收到押金", "乙单位")  # open but recent
    )
    flags = screen(rows, "JS-AP-001")
    assert [f.voucher_no for f in flags] == [1]
    assert flags[0].message.startswith("「某公司」在「其他应付款」年末仍有贷方余额 30,000.00 元，最早未清的是 2025-02-10 的一笔 30,000.00 元")
