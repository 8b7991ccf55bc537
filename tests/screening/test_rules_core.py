"""Positive cases and innocent look-alikes of the core rules."""

from decimal import Decimal

from tests.screening.conftest import entry


def test_prohibited_cards(screen):
    rows = (
        entry(1, "2025-01-20", "50104", "102", "18000.00", "购买春节职工慰问购物卡", "杭州银泰百货")
        + entry(2, "2025-02-10", "50104", "102", "3000.00", "职工慰问品", "京东E卡专营店")
        + entry(3, "2025-03-08", "50104", "102", "2400.00", "职工生日蛋糕券（好利来）", "好利来烘焙")  # allowed
        + entry(4, "2025-03-09", "50102", "102", "500.00", "篮球赛场地费", "体育馆")
        + entry(5, "2025-03-10", "102", "40305", "800.00", "退回多付购物卡款")  # not a spending line
    )
    flags = screen(rows, "JS-CARD-001")
    assert [(f.voucher_no, f.line_no, f.amount) for f in flags] == [(1, 1, Decimal("18000.00")), (2, 1, Decimal("3000.00"))]
    assert flags[0].message == "摘要或往来单位含“购物卡”（购买春节职工慰问购物卡；杭州银泰百货），金额 18,000.00 元：工会经费不得发放购物卡、储值卡、代金券等。"
    assert "基层工会经费收支管理办法" in flags[0].basis and flags[0].severity == "高"
    assert "E卡" in flags[1].message


def test_prohibited_cards_in_english(screen):
    """Exports with English 摘要 (an ERP's own words) name the cards in English, in any case."""
    rows = (
        entry(1, "2025-01-20", "50104", "102", "6000.00", "JD E-card for Spring Festival", "京东")
        + entry(2, "2025-02-10", "50104", "102", "3000.00", "Shopping Cards - staff gifts", "Metro")
        + entry(3, "2025-03-08", "50104", "102", "900.00", "Staff cards printing", "Print shop")  # not a card bought
    )
    assert [f.voucher_no for f in screen(rows, "JS-CARD-001")] == [1, 2]


def test_large_cash(screen):
    rows = (
        entry(1, "2025-04-02", "50104", "101", "4800.00", "发放慰问金")
        + entry(2, "2025-04-03", "50104", "101", "1000.00", "零星购物")  # at the threshold, not above
        + entry(3, "2025-04-04", "102", "101", "20000.00", "现金存入银行")  # a deposit, not a payment
        + entry(4, "2025-04-05", "50104", "102", "9000.00", "转账支付")
    )
    flags = screen(rows, "JS-CASH-001")
    assert [(f.voucher_no, f.amount) for f in flags] == [(1, Decimal("4800.00"))]
    assert "超过 1,000 元的现金结算起点" in flags[0].message
    assert [f.voucher_no for f in screen(rows, "JS-CASH-001", threshold=500)] == [1, 2]


def test_weekend_and_holiday_spending(screen):
    rows = (
        entry(1, "2025-10-01", "50104", "102", "600.00", "国庆慰问")  # National Day holiday
        + entry(2, "2025-06-07", "50102", "102", "300.00", "周末比赛")  # Saturday
        + entry(3, "2025-09-28", "50102", "102", "300.00", "调休上班日采购")  # Sunday, but a make-up workday
        + entry(4, "2025-06-09", "50102", "102", "300.00", "周一采购")
        + entry(5, "2025-06-08", "102", "402", "5000.00", "周日收到拨缴经费")  # income, not spending
    )
    flags = screen(rows, "JS-TIME-001")
    assert [f.voucher_no for f in flags] == [2, 1]  # by period: June, then October
    messages = {f.voucher_no: f.message for f in flags}
    assert messages[1].startswith("凭证日期 2025-10-01 是国庆节假期")
    assert messages[2].startswith("凭证日期 2025-06-07 是周末")
    assert all(f.line_no is None and f.voucher_no for f in flags)
