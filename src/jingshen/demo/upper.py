"""The demo's upper-level books: for each union that has grassroots units with books below it (the
counties and the provincial education union), the vouchers of the money it passed down to them, so
that 上下级对账 and 资金穿透 (finance) have both sides of every subsidy.

They are read off the grassroots books already written: every subsidy a grassroots union booked
as received from above (上级补助收入 40302 专项, 40304 帮扶, 40305 送温暖) becomes, in its parent's
books, a 补助下级支出 (506) paid a few days earlier to that union by name. The upper union's books
also hold the subsidies it received from its own parent for the purpose (a little more than it
passed down: the rest is its own 送温暖 and 帮扶 payments to members of small units it looks after
directly) and those payments.

A few differences an audit should find, fixed by the seed: in some unions one allocation was
booked 1,000 元 higher than the unit below recorded, one went to a name that is no unit of the tree
(a street union that is not in the tree), and one person received 送温暖 from the upper union as
well as from their own union.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from jingshen.demo.ledger import VOUCHER_HEADER, _calendar, _people
from jingshen.demo.orgs import org_rows

KINDS = {  # the receiving side's account → what the upper union calls the allocation, its own income account
    "40302": ("职工之家建设专项补助", "40302"),
    "40304": ("困难职工帮扶补助", "40304"),
    "40305": ("送温暖补助资金", "40305"),
}
NAMES = {"102": "银行存款", "506": "补助下级支出", "40302": "专项补助", "40304": "帮扶补助", "40305": "送温暖补助",
         "50204": "困难职工帮扶费", "50205": "送温暖费"}
MIN_UNITS = 2  # an upper union with fewer grassroots units with books below it keeps no books here


def _receipts(grassroots_csv: Path) -> tuple[dict[str, list[tuple[date, str, int, str]]], dict[str, list[str]]]:
    """Each grassroots unit's subsidies from above (day, account, cents, 摘要) and the payees of its
    送温暖 payments, read from the demo's voucher file."""
    receipts: dict[str, list[tuple[date, str, int, str]]] = defaultdict(list)
    warmth: dict[str, list[str]] = defaultdict(list)
    with Path(grassroots_csv).open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            code, account = row["单位编码"], row["科目编码"]
            if account in KINDS and row["贷方金额"]:
                receipts[code].append((date.fromisoformat(row["凭证日期"]), account,
                                       round(float(row["贷方金额"]) * 100), row["摘要"]))
            elif account == "50205" and row["往来单位"] and row["借方金额"]:
                warmth[code].append(row["往来单位"])
    return receipts, warmth


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


class _Book:
    def __init__(self, code: str, year: int, rng: random.Random):
        self.code, self.year, self.rng = code, year, rng
        self.vouchers: list[tuple[date, list[tuple[str, str, int, int, str, str]]]] = []
        self.preparer, self.reviewer = _people(rng, 2)

    def add(self, day: date, lines: list[tuple[str, str, int, int, str, str]]) -> None:
        self.vouchers.append((day, lines))

    def rows(self) -> list[list]:
        out, numbers = [], defaultdict(int)
        for day, lines in sorted(self.vouchers, key=lambda v: v[0]):
            numbers[day.month] += 1
            for n, (account, summary, debit, credit, party, settlement) in enumerate(lines, start=1):
                out.append([self.code, self.year, day.month, day.isoformat(), "记", numbers[day.month], n, summary, account,
                            NAMES[account], _money(debit) if debit else "", _money(credit) if credit else "", party,
                            settlement, self.preparer, self.reviewer, 1, ""])
        return out


def upper_rows(grassroots_csv: Path, year: int = 2025, seed: int = 2026) -> list[list]:
    """The upper unions' voucher rows (VOUCHER_HEADER order), read off the grassroots books."""
    rows = org_rows(seed)
    names = {r[0]: r[1] for r in rows}
    parent = {r[0]: r[2] for r in rows}
    receipts, warmth = _receipts(grassroots_csv)
    below: dict[str, list[str]] = defaultdict(list)
    for code in receipts:
        if parent.get(code) and parent[code] != rows[0][0]:  # the province passes nothing down here
            below[parent[code]].append(code)
    cal = _calendar(year)
    out = []
    for upper in sorted(below):
        units = sorted(below[upper])
        if len(units) < MIN_UNITS:
            continue
        rng = random.Random(f"jingshen-upper:{seed}:{upper}")
        book = _Book(upper, year, rng)
        given: dict[str, int] = defaultdict(int)
        gap_unit = rng.choice(units) if rng.random() < 0.5 or upper.endswith("0103") else None
        for code in units:
            for day, account, cents, _summary in receipts[code]:
                title = KINDS[account][0]
                paid = cents + (100_000 if code == gap_unit else 0)
                gap_unit = None if code == gap_unit else gap_unit  # one allocation only
                when = cal.workday_on_or_after(max(date(year, 1, 2), day - timedelta(days=rng.randint(2, 6)))) or day
                summary = f"拨付{names[code]}{title}"
                book.add(when, [("506", summary, paid, 0, names[code], ""), ("102", summary, 0, paid, names[code], "转账")])
                given[account] += paid
        # an allocation to a street union that is not in the unit tree
        if rng.random() < 0.5 or upper.endswith("0103"):
            day = cal.workday_between(rng, date(year, 6, 1), date(year, 7, 31))
            street = f"{names[upper].removesuffix('总工会')}某街道联合工会"
            book.add(day, [("506", "拨付街道联合工会困难职工帮扶补助", 200_000, 0, street, ""),
                           ("102", "拨付街道联合工会困难职工帮扶补助", 0, 200_000, street, "转账")])
            given["40304"] += 200_000
        # its own 送温暖 payments to members of small units, one of them paid by their own union too
        people = _people(rng, rng.randint(3, 6))
        twice = [p for code in units for p in warmth.get(code, [])]
        if twice and (rng.random() < 0.4 or upper.endswith("0103")):
            people[0] = rng.choice(twice)
        own = 0
        day = cal.workday_in(rng, "春节")
        for person in people:
            cents = rng.choice((500, 800, 1000)) * 100
            own += cents
            book.add(day, [("50205", f"春节送温暖慰问 {person}", cents, 0, person, ""),
                           ("102", f"春节送温暖慰问 {person}", 0, cents, person, "转账")])
        # what it received from its own parent for the purpose
        upper_name = names.get(parent.get(upper, ""), "上级工会")
        for account, (title, income) in KINDS.items():
            cents = given.get(account, 0) + (own if account == "40305" else 0)
            if not cents:
                continue
            day = cal.workday_between(rng, date(year, 1, 2), date(year, 1, 20))
            summary = f"收到{upper_name}拨付{title}"
            book.add(day, [("102", summary, cents, 0, upper_name, "转账"), (income, summary, 0, cents, upper_name, "")])
        out.extend(book.rows())
    return out


def write_upper_csv(path: Path, grassroots_csv: Path, year: int = 2025, seed: int = 2026) -> int:
    """Writes the upper unions' vouchers as UTF-8 CSV (with BOM); returns the number of lines."""
    rows = upper_rows(grassroots_csv, year, seed)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(VOUCHER_HEADER)
        writer.writerows(rows)
    return len(rows)
