"""The demo ledger: balanced vouchers numbered without gaps in date order, the 2010 chart,
reproducible from its seed, the volume the demo promises, a realistic share of problems."""

import csv
import re
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal

import pytest

from jingshen.demo.ledger import (ACCOUNTS, ANOMALY_KINDS, VOUCHER_HEADER, grassroots_units, unit_vouchers,
                                  voucher_rows, write_vouchers_csv)
from jingshen.demo.orgs import org_rows
from jingshen.ledger.charts import BUILTIN_CHART as CHART  # the 2010 chart as the product ships it

AMOUNT = re.compile(r"\d+\.\d{2}")
COL = {name: i for i, name in enumerate(VOUCHER_HEADER)}
# weekend days worked in 2025 (调休): postings on them are normal
MAKEUP_WORKDAYS_2025 = {date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27), date(2025, 9, 28), date(2025, 10, 11)}


def pick_sample(units):
    """The smallest and largest units, a street union, a school, a hospital and two more."""
    by_size = sorted(units, key=lambda u: u[1])
    street = next(u for u in units if "街道" in u[2])
    school = next(u for u in units if "中学" in u[2])
    hospital = next(u for u in units if "医院" in u[2])
    return [by_size[0], by_size[len(by_size) // 2], by_size[-1], street, school, hospital, units[0]]


@pytest.fixture(scope="module")
def units():
    return grassroots_units()


@pytest.fixture(scope="module")
def sample(units):
    return pick_sample(units)


@pytest.fixture(scope="module")
def rows(sample):
    return list(voucher_rows(sample))


def vouchers_of(rows):
    """(unit, period, number) -> its lines, in file order."""
    grouped = defaultdict(list)
    for row in rows:
        grouped[row[COL["单位编码"]], row[COL["会计期间"]], row[COL["凭证号"]]].append(row)
    return grouped


def test_grassroots_units_are_the_demo_province():
    expected = [(row[0], row[5]) for row in org_rows() if row[3] == "基层"]
    assert [(code, members) for code, members, _ in grassroots_units()] == expected
    assert len(expected) == 150


def test_every_voucher_balances_with_one_amount_side_per_line(rows):
    for key, lines in vouchers_of(rows).items():
        assert 2 <= len(lines) <= 6, key
        assert [row[COL["分录号"]] for row in lines] == list(range(1, len(lines) + 1)), key
        debit = credit = Decimal(0)
        for row in lines:
            dr, cr = row[COL["借方金额"]], row[COL["贷方金额"]]
            assert (dr == "") != (cr == ""), row
            amount = dr or cr
            assert AMOUNT.fullmatch(amount) and Decimal(amount) > 0, row
            debit += Decimal(dr or 0)
            credit += Decimal(cr or 0)
        assert debit == credit, key
        # one voucher, one date, preparer, reviewer and attachment count
        assert len({(r[COL["凭证日期"]], r[COL["制单人"]], r[COL["审核人"]], r[COL["附件数"]]) for r in lines}) == 1


def test_numbers_restart_each_month_without_gaps_in_date_order(rows):
    numbers = defaultdict(list)  # (unit, period) -> [(number, date)] in file order
    for row in rows:
        day = date.fromisoformat(row[COL["凭证日期"]])
        assert row[COL["会计年度"]] == 2025 and day.year == 2025
        assert row[COL["会计期间"]] == day.month
        assert row[COL["凭证字"]] == "记"
        key = (row[COL["单位编码"]], row[COL["会计期间"]])
        if not numbers[key] or numbers[key][-1][0] != row[COL["凭证号"]]:
            numbers[key].append((row[COL["凭证号"]], day))
    assert {period for _, period in numbers} == set(range(1, 13))
    for key, seen in numbers.items():
        assert [n for n, _ in seen] == list(range(1, len(seen) + 1)), key
        days = [d for _, d in seen]
        assert days == sorted(days), key


def test_accounts_are_the_2010_chart(rows):
    with CHART.open(encoding="utf-8") as fh:
        chart = {row["科目编码"]: row["科目名称"] for row in csv.DictReader(fh)}
    assert ACCOUNTS.items() <= chart.items()
    used = {row[COL["科目编码"]] for row in rows}
    assert used <= set(ACCOUNTS)
    assert all(row[COL["科目名称"]] == ACCOUNTS[row[COL["科目编码"]]] for row in rows)
    # spending runs across the detail accounts of 501-505, income across 401-408
    assert {"402", "401", "408", "50101", "50102", "50103", "50104", "50204", "50205", "50301", "50302",
            "50402", "50502", "101", "102", "135"} <= used


def test_reproducible_from_the_seed_and_unit_by_unit(sample, rows):
    assert list(voucher_rows(sample)) == rows
    assert list(voucher_rows(sample[:2], seed=7)) != [r for r in rows if r[0] in {u[0] for u in sample[:2]}]
    # a unit's books do not depend on the other units generated with it
    alone = list(voucher_rows([sample[2]]))
    assert alone == [r for r in rows if r[0] == sample[2][0]]
    # without a name, the demo province's unit of that code is used
    assert list(voucher_rows([sample[2][:2]])) == alone


def test_write_csv_streams_utf8_with_bom(tmp_path, sample):
    path = tmp_path / "vouchers.csv"
    count = write_vouchers_csv(path, sample[:2])
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        read = list(csv.reader(fh))
    assert read[0] == VOUCHER_HEADER
    assert len(read) - 1 == count == sum(1 for _ in voucher_rows(sample[:2]))
    assert all("," not in amount for row in read[1:] for amount in row[10:12])


def test_income_and_spending_look_like_a_union(rows, sample):
    by_unit = defaultdict(list)
    for row in rows:
        by_unit[row[0]].append(row)
    for code, _, name in sample:
        lines = by_unit[code]
        remit = [r for r in lines if r[COL["科目编码"]] == "402"]
        assert len({r[COL["会计期间"]] for r in remit}) >= 10, name
        if "街道" not in name:  # the employer remits: the unit's name without 工会委员会
            (employer,) = {r[COL["往来单位"]] for r in remit}
            assert employer and name.removeprefix(employer) in {"", "工会委员会", "教育工会", "工会"}, name
        spending = [r for r in lines if r[COL["科目编码"]].startswith("5") and r[COL["借方金额"]]]
        with_invoice = [r for r in spending if re.fullmatch(r"\d{8}", r[COL["票据号"]])]
        assert len(with_invoice) > len(spending) / 2, name
        assert {r[COL["结算方式"]] for r in lines} <= {"", "转账", "现金", "网银", "支票"}
        staff = {r[COL["制单人"]] for r in lines} | {r[COL["审核人"]] for r in lines if r[COL["审核人"]]}
        assert 2 <= len(staff) <= 3, name
        assert all(0 <= r[COL["附件数"]] <= 8 for r in lines)
        # festival gifts in their season
        summaries = Counter((r[COL["会计期间"]], r[COL["摘要"]][:2]) for r in spending)
        assert summaries[1, "春节"] and summaries[9, "中秋"] + summaries[9, "国庆"]


def test_demo_province_volume_and_problems(units):
    lines = sum(1 for _ in voucher_rows(units))
    assert 280_000 <= lines <= 320_000

    vouchers = flagged = 0
    kinds = Counter()
    share = {}
    for code, members, name in units:
        books = unit_vouchers(code, members, name)
        assert 800 <= sum(len(v.lines) for v in books) <= 5000, name
        found = [v.anomaly for v in books if v.anomaly]
        kinds.update(found)
        vouchers += len(books)
        flagged += len(found)
        share[code] = len(found) / len(books)
    assert 0.01 <= flagged / vouchers <= 0.03
    assert set(kinds) == set(ANOMALY_KINDS)
    assert max(share.values()) > 5 * min(share.values())  # some units are clearly riskier


def test_days_off_carry_only_the_injected_postings(sample):
    for code, members, name in sample:
        books = unit_vouchers(code, members, name)
        off = [v for v in books if v.day.weekday() >= 5 and v.day not in MAKEUP_WORKDAYS_2025]
        assert all(v.anomaly == "holiday_posting" for v in off), name
        assert any(v.day in MAKEUP_WORKDAYS_2025 for v in books), name


def test_only_years_with_a_holiday_calendar():
    with pytest.raises(ValueError):
        unit_vouchers("330101001", 100, year=2019)
