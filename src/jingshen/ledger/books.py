"""查账: reading a voucher dataset as books — 科目余额表, 明细账, 凭证, 序时账 — and exporting
them to XLSX.

Every function takes a Dataset that the caller has already access-checked (views get it with
``get_dataset_for_user``) and returns plain data. Queries run in DuckDB straight over the
dataset's Parquet files:

* balances come from the precomputed ``summary.parquet`` (one row per account and period),
  never from the journal lines;
* detail pages (明细账, 序时账) page with LIMIT/OFFSET inside DuckDB. Per-period line counts
  (from the summary, or from one filtered aggregate for the journal) tell which periods a page
  falls in, so the sort and the running-balance window only ever cover those periods;
* exports stream rows from DuckDB in batches into a write-only workbook.

Money is ``Decimal`` throughout (DuckDB returns DECIMAL columns as Decimal); nothing here
converts an amount to float.
"""

from __future__ import annotations

import datetime
import math
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
from django.db.models import Q

from jingshen import xlsx_export
from jingshen.ledger import access, store
from jingshen.ledger.charts import effective_accounts
from jingshen.ledger.models import Dataset, DatasetKind
from jingshen.xlsx_export import Column, Sheet

PAGE_SIZE = 100
VOUCHER_MAX_LINES = 5_000
PERIODS = range(1, 13)
ZERO = Decimal("0.00")
UNKNOWN_ACCOUNT = "（科目表中无此科目）"
DIRECTION_LABEL = {"D": "借", "C": "贷"}
# Journal order: period, then date, then voucher, then line (source_row breaks any tie).
LINE_ORDER = "period, date, voucher_type, voucher_no, line_no, source_row"
LINE_COLUMNS = (
    "period, date, voucher_type, voucher_no, line_no, summary, account_code, account_name, debit, credit, "
    "counterparty, settlement, invoice_no"
)

# --- access and the dataset list ------------------------------------------------------------------


def voucher_datasets(user):
    """The voucher datasets of every unit the user may view (all versions)."""
    return access.datasets_for(user).filter(kind=DatasetKind.VOUCHERS)


def get_dataset_for_user(user, dataset_id) -> Dataset:
    """A voucher dataset the user may view, else 404 (see access.get_dataset_for_user)."""
    return access.get_dataset_for_user(user, dataset_id, kind=DatasetKind.VOUCHERS)


@dataclass
class DatasetGroup:
    """One unit-year of voucher data: its latest version and the older ones."""

    org: object
    fiscal_year: int
    latest: Dataset
    older: list[Dataset] = field(default_factory=list)


def dataset_groups(user, query: str = "", year: int | None = None) -> list[DatasetGroup]:
    """Voucher datasets the user may view, one group per unit and year, newest version first."""
    datasets = voucher_datasets(user).order_by("org__code", "-fiscal_year", "-version")
    if query:
        datasets = datasets.filter(Q(org__code__icontains=query) | Q(org__name__icontains=query))
    if year:
        datasets = datasets.filter(fiscal_year=year)
    groups: list[DatasetGroup] = []
    for d in datasets:
        if groups and groups[-1].org.pk == d.org_id and groups[-1].fiscal_year == d.fiscal_year:
            groups[-1].older.append(d)
        else:
            groups.append(DatasetGroup(d.org, d.fiscal_year, d))
    return groups


def dataset_years(user, query: str = "") -> list[int]:
    """The fiscal years of the voucher datasets the user may view (of the units matching
    ``query``), newest first: the 年度 filter's options, whichever year is chosen."""
    datasets = voucher_datasets(user)
    if query:
        datasets = datasets.filter(Q(org__code__icontains=query) | Q(org__name__icontains=query))
    return sorted(set(datasets.values_list("fiscal_year", flat=True)), reverse=True)


def latest_version(dataset: Dataset) -> int:
    return (
        Dataset.objects.filter(org_id=dataset.org_id, fiscal_year=dataset.fiscal_year, kind=dataset.kind)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )


def opening_dataset(dataset: Dataset) -> Dataset | None:
    """The latest 科目余额 dataset of the same unit and year, which supplies opening balances."""
    return (
        Dataset.objects.filter(org_id=dataset.org_id, fiscal_year=dataset.fiscal_year, kind=DatasetKind.BALANCES)
        .order_by("-version")
        .first()
    )


# --- DuckDB --------------------------------------------------------------------------------------


_db: tuple[int, duckdb.DuckDBPyConnection] | None = None  # (pid, this process's in-memory DuckDB)
_db_lock = threading.Lock()


@contextmanager
def _connect():
    """A cursor on this process's one in-memory DuckDB, for one use. Opening a new in-memory
    database costs about 30 ms of CPU (the journal page opened four), a cursor well under 1 ms;
    a cursor is DuckDB's unit of thread safety, so no two requests share one (a connection shared
    between the server's threads gave errors under load). Nothing is stored in the database:
    queries read the datasets' Parquet files. A forked process makes its own."""
    global _db
    with _db_lock:
        if _db is None or _db[0] != os.getpid():
            _db = (os.getpid(), duckdb.connect())
        con = _db[1].cursor()
    try:
        yield con
    finally:
        con.close()


def _scan(dataset: Dataset, name: str) -> str:
    """The dataset's rows of its file ``name`` (store.scan: a voucher dataset's pack, filtered)."""
    return store.scan(dataset, name)


def _in_list(values: list) -> str:
    return "(" + ", ".join("?" for _ in values) + ")" if values else "(NULL)"


# --- a dataset's quality report (数据采集) ----------------------------------------------------------


def _quality(dataset: Dataset, issue: str) -> tuple[str, list]:
    source = store.scan(dataset, "quality")
    return (f"{source} WHERE issue = ?", [issue]) if issue else (source, [])


def quality_count(dataset: Dataset, issue: str = "") -> int:
    """How many problems the dataset's quality report holds (of one ``issue``, or all)."""
    if not store.parquet_path(dataset, "quality").exists():
        return 0
    source, params = _quality(dataset, issue)
    with _connect() as con:
        return con.execute(f"SELECT count(*) FROM {source}", params).fetchall()[0][0]


def quality_rows(dataset: Dataset, issue: str = "", offset: int = 0) -> list[tuple]:
    """One page of the quality report, paged in DuckDB (it may hold many rejected rows)."""
    source, params = _quality(dataset, issue)
    with _connect() as con:
        return con.execute(
            f"SELECT issue, period, voucher_type, voucher_no, source_row, message FROM {source} "
            f"ORDER BY issue, period NULLS LAST, voucher_type, voucher_no, source_row LIMIT {PAGE_SIZE} OFFSET ?",
            [*params, offset],
        ).fetchall()


# --- accounts --------------------------------------------------------------------------------------


@dataclass
class AccountNode:
    code: str
    name: str
    direction: str  # "D" (借) or "C" (贷): the side on which the balance is normally kept
    parent: str  # "" for a first-level account
    level: int = 1
    in_chart: bool = True
    full_name: str = ""

    @property
    def direction_label(self) -> str:
        return DIRECTION_LABEL[self.direction]

    def natural(self, debit_minus_credit: Decimal) -> Decimal:
        """A debit-minus-credit amount expressed in this account's normal direction."""
        return debit_minus_credit if self.direction == "D" else -debit_minus_credit


class Accounts:
    """The unit's effective chart, plus any code met in the data but missing from the chart
    (placed under the longest chart code that prefixes it)."""

    def __init__(self, org, extra_codes: Iterable[str] = ()):
        chart = effective_accounts(org)
        self.nodes: dict[str, AccountNode] = {
            code: AccountNode(code, a["name"], a["direction"] if a["direction"] in DIRECTION_LABEL else "D", a["parent_code"] or "")
            for code, a in chart.items()
        }
        for code in sorted(set(extra_codes) - set(self.nodes), key=len):
            parent = next((code[:end] for end in range(len(code) - 1, 0, -1) if code[:end] in self.nodes), "")
            direction = self.nodes[parent].direction if parent else "D"
            self.nodes[code] = AccountNode(code, UNKNOWN_ACCOUNT, direction, parent, in_chart=False)
        for node in self.nodes.values():
            if node.parent not in self.nodes or node.parent == node.code:
                node.parent = ""
        self.children: dict[str, list[str]] = {}
        for node in self.nodes.values():
            if node.parent:
                self.children.setdefault(node.parent, []).append(node.code)
        for node in self.nodes.values():
            chain = self.ancestors(node.code)
            node.level = len(chain) + 1
            node.full_name = "/".join([self.nodes[c].name for c in reversed(chain)] + [node.name])

    def ancestors(self, code: str) -> list[str]:
        """Parent, grandparent, … (a cycle in a unit chart stops the walk)."""
        out, seen = [], {code}
        parent = self.nodes[code].parent
        while parent and parent not in seen:
            out.append(parent)
            seen.add(parent)
            parent = self.nodes[parent].parent
        return out

    def subtree(self, code: str) -> list[str]:
        """The account and all accounts below it."""
        out, todo, seen = [], [code], set()
        while todo:
            c = todo.pop()
            if c in seen:
                continue
            seen.add(c)
            out.append(c)
            todo.extend(self.children.get(c, ()))
        return sorted(out)

    def get(self, code: str) -> AccountNode | None:
        return self.nodes.get(code)


def _summary_codes(con, dataset: Dataset) -> list[str]:
    return [r[0] for r in con.execute(f"SELECT DISTINCT account_code FROM {_scan(dataset, 'summary')}").fetchall()]


def dataset_accounts(dataset: Dataset) -> Accounts:
    with _connect() as con:
        return Accounts(dataset.org, _summary_codes(con, dataset))


@dataclass
class _Frame:
    """What every balance computation starts from: the accounts and the year opening."""

    accounts: Accounts
    year_opening: dict[str, Decimal]  # debit minus credit, per account, not yet rolled up
    opening_source: Dataset | None


def _frame(con, dataset: Dataset, codes: Iterable[str]) -> _Frame:
    """Accounts of the unit (plus ``codes`` met in the data) and the year opening balances from
    the unit's 科目余额 dataset of the same year, if one exists. A balances file that lists a
    parent and its children is counted once: only accounts with no descendant in the file are
    taken, and parents are rolled up from them like every other amount."""
    source = opening_dataset(dataset)
    raw: dict[str, Decimal] = {}
    if source is not None:
        raw = {
            code: amount or ZERO
            for code, amount in con.execute(
                f"SELECT account_code, sum(opening) FROM {_scan(source, 'data')} GROUP BY 1"
            ).fetchall()
        }
    accounts = Accounts(dataset.org, set(codes) | set(raw))
    covered = {a for code in raw for a in accounts.ancestors(code)}
    return _Frame(accounts, {code: v for code, v in raw.items() if code not in covered and v}, source)


# --- 科目余额表 ------------------------------------------------------------------------------------


@dataclass
class BalanceRow:
    account: AccountNode
    has_children: bool
    opening: Decimal  # all four in the account's normal direction
    debit: Decimal
    credit: Decimal
    closing: Decimal

    @property
    def code(self):
        return self.account.code

    @property
    def opening_side(self) -> str:
        return self.account.direction_label if self.opening else "平"

    @property
    def closing_side(self) -> str:
        return self.account.direction_label if self.closing else "平"


def _side(debit_minus_credit: Decimal) -> tuple[str, Decimal]:
    if debit_minus_credit > 0:
        return "借", debit_minus_credit
    if debit_minus_credit < 0:
        return "贷", -debit_minus_credit
    return "平", ZERO


@dataclass
class BalanceSheet:
    period_from: int
    period_to: int
    level: str
    max_level: int
    rows: list[BalanceRow]
    debit: Decimal
    credit: Decimal
    opening_net: Decimal  # debit minus credit over all accounts: zero when the books balance
    closing_net: Decimal
    opening_source: Dataset | None

    @property
    def opening_total(self):
        return _side(self.opening_net)

    @property
    def closing_total(self):
        return _side(self.closing_net)


def balances(dataset: Dataset, level: str = "all", period_from: int = 1, period_to: int = 12) -> BalanceSheet:
    """科目余额表 for periods ``period_from``..``period_to``: opening (year opening from a
    科目余额 dataset, else 0, plus the movements of earlier periods), debits, credits and
    closing per account, parents rolled up from their children. ``level`` is "all" or the
    deepest level shown ("1" = first-level accounts only)."""
    with _connect() as con:
        rows = con.execute(
            f"""
            SELECT account_code,
                coalesce(sum(debit - credit) FILTER (WHERE period < ?), 0),
                coalesce(sum(debit) FILTER (WHERE period BETWEEN ? AND ?), 0),
                coalesce(sum(credit) FILTER (WHERE period BETWEEN ? AND ?), 0)
            FROM {_scan(dataset, 'summary')} GROUP BY account_code
            """,
            [period_from, period_from, period_to, period_from, period_to],
        ).fetchall()
        frame = _frame(con, dataset, [r[0] for r in rows])
    accounts, year_opening, source = frame.accounts, frame.year_opening, frame.opening_source

    own: dict[str, list[Decimal]] = {code: [before, debit, credit] for code, before, debit, credit in rows}
    for code, amount in year_opening.items():
        own.setdefault(code, [ZERO, ZERO, ZERO])[0] += amount
    rolled: dict[str, list[Decimal]] = {}
    for code, (before, debit, credit) in own.items():
        for c in [code, *accounts.ancestors(code)]:
            acc = rolled.setdefault(c, [ZERO, ZERO, ZERO])
            acc[0] += before
            acc[1] += debit
            acc[2] += credit
    max_level = max((accounts.nodes[c].level for c in rolled), default=1)
    depth = max_level if level == "all" else int(level)
    out = []
    for code in sorted(rolled):
        before, debit, credit = rolled[code]
        node = accounts.nodes[code]
        if node.level > depth or (not before and not debit and not credit):
            continue
        closing = before + debit - credit
        shown_children = any(accounts.nodes[c].level <= depth and c in rolled for c in accounts.children.get(code, ()))
        out.append(BalanceRow(node, shown_children, node.natural(before), debit, credit, node.natural(closing)))
    total_before = sum((v[0] for v in own.values()), ZERO)
    total_debit = sum((v[1] for v in own.values()), ZERO)
    total_credit = sum((v[2] for v in own.values()), ZERO)
    return BalanceSheet(
        period_from, period_to, level, max_level, out, total_debit, total_credit,
        total_before, total_before + total_debit - total_credit, source,
    )


# --- paging ---------------------------------------------------------------------------------------


@dataclass
class Paging:
    page: int
    pages: int
    total: int
    per_page: int = PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def first_index(self) -> int:
        return self.offset + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.offset + self.per_page, self.total)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paging(total: int, page: int, per_page: int = PAGE_SIZE) -> Paging:
    pages = max(1, math.ceil(total / per_page))
    return Paging(min(max(1, page), pages), pages, total, per_page)


@dataclass
class _Window:
    """Which periods a slice [offset, offset + limit) of the ordered lines falls in."""

    first_period: int
    last_period: int
    inner_offset: int  # offset of the slice within the lines of first_period..last_period
    before: list[int]  # periods in range wholly before the slice


def _window(counts: list[tuple[int, int]], offset: int, limit: int) -> _Window | None:
    """``counts`` = [(period, lines)] in period order."""
    start, first, last, inner, before = 0, None, None, 0, []
    end = offset + limit
    for period, n in counts:
        if n and start + n > offset and start < end:
            if first is None:
                first, inner = period, offset - start
            last = period
        elif start + n <= offset:
            before.append(period)
        start += n
    if first is None:
        return None
    return _Window(first, last, inner, before)


# --- 明细账 ----------------------------------------------------------------------------------------


@dataclass
class LedgerRow:
    kind: str  # "opening", "line", "month" (本月合计), "year" (本年累计)
    balance: Decimal  # in the account's normal direction
    side: str  # 借 / 贷 / 平
    period: int | None = None
    date: datetime.date | None = None
    voucher_type: str = ""
    voucher_no: int | None = None
    line_no: int | None = None
    summary: str = ""
    account_code: str = ""
    account_name: str = ""
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    counterparty: str = ""

    @property
    def label(self) -> str:
        return {"opening": "期初余额", "month": "本月合计", "year": "本年累计"}.get(self.kind, self.summary)


@dataclass
class Ledger:
    account: AccountNode
    codes: list[str]
    period_from: int
    period_to: int
    opening: Decimal  # normal direction
    debit: Decimal
    credit: Decimal
    closing: Decimal
    paging: Paging
    rows: list[LedgerRow]
    opening_source: Dataset | None
    per_period: dict[int, tuple[int, Decimal, Decimal]]  # period -> (lines, debit, credit), all periods
    ancestors: list[AccountNode]  # first-level account first
    children: list[AccountNode]

    @property
    def opening_side(self):
        return self.account.direction_label if self.opening else "平"

    @property
    def closing_side(self):
        return self.account.direction_label if self.closing else "平"


def _ledger_frame(con, dataset: Dataset, code: str, period_from: int, period_to: int):
    frame = _frame(con, dataset, _summary_codes(con, dataset))
    node = frame.accounts.get(code)
    if node is None:
        return None
    codes = frame.accounts.subtree(code)
    per_period = {
        p: (int(n), d, c)
        for p, n, d, c in con.execute(
            f"SELECT period, sum(lines), sum(debit), sum(credit) FROM {_scan(dataset, 'summary')} "
            f"WHERE account_code IN {_in_list(codes)} GROUP BY period ORDER BY period",
            codes,
        ).fetchall()
    }
    opening_dc = sum((frame.year_opening.get(c, ZERO) for c in codes), ZERO)
    opening_dc += sum((d - c for p, (_, d, c) in per_period.items() if p < period_from), ZERO)
    return node, codes, opening_dc, per_period, frame


def account_ledger(dataset: Dataset, code: str, period_from: int = 1, period_to: int = 12, page: int = 1,
                   per_page: int = PAGE_SIZE) -> Ledger | None:
    """明细账 of one account and its sub-accounts, one page. None if the code is neither in the
    unit's chart nor in the data."""
    with _connect() as con:
        frame = _ledger_frame(con, dataset, code, period_from, period_to)
        if frame is None:
            return None
        node, codes, opening_dc, per_period, frame = frame
        in_range = [(p, per_period[p][0]) for p in sorted(per_period) if period_from <= p <= period_to]
        pg = paging(sum(n for _, n in in_range), page, per_page)
        rows = list(_ledger_rows(con, dataset, node, codes, opening_dc, per_period, in_range, pg.offset, per_page))
    debit = sum((per_period[p][1] for p, _ in in_range), ZERO)
    credit = sum((per_period[p][2] for p, _ in in_range), ZERO)
    if pg.page == 1:
        rows.insert(0, _ledger_balance_row("opening", node, opening_dc))
    return Ledger(
        node, codes, period_from, period_to, node.natural(opening_dc), debit, credit,
        node.natural(opening_dc + debit - credit), pg, rows, frame.opening_source, per_period,
        [frame.accounts.nodes[c] for c in reversed(frame.accounts.ancestors(code))],
        [frame.accounts.nodes[c] for c in sorted(frame.accounts.children.get(code, ()))],
    )


def _ledger_balance_row(kind, node, dc, period=None, debit=ZERO, credit=ZERO) -> LedgerRow:
    balance = node.natural(dc)
    return LedgerRow(kind, balance, node.direction_label if balance else "平", period=period, debit=debit, credit=credit)


def _ledger_rows(con, dataset, node, codes, opening_dc, per_period, in_range, offset, limit) -> Iterator[LedgerRow]:
    """Lines offset..offset+limit of the ledger with their running balance, each period's last
    line followed by 本月合计 and 本年累计. Only the periods the slice touches are sorted."""
    win = _window(in_range, offset, limit)
    if win is None:
        return
    base = opening_dc + sum((per_period[p][1] - per_period[p][2] for p in win.before), ZERO)
    ends, start = {}, 0  # period -> global index of its last line
    for p, n in in_range:
        start += n
        ends[p] = start - 1
    index = offset
    cur = con.execute(
        f"""
        SELECT {LINE_COLUMNS},
            ? + sum(debit - credit) OVER (ORDER BY {LINE_ORDER} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        FROM {_scan(dataset, 'data')}
        WHERE account_code IN {_in_list(codes)} AND period BETWEEN ? AND ?
        ORDER BY {LINE_ORDER}
        LIMIT ? OFFSET ?
        """,
        [base, *codes, win.first_period, win.last_period, limit, win.inner_offset],
    )
    while batch := cur.fetchmany(5000):
        for (period, date, vtype, vno, line_no, summary, acode, aname, debit, credit, counterparty, _s, _i, run) in batch:
            balance = node.natural(run)
            yield LedgerRow(
                "line", balance, node.direction_label if balance else "平", period, date, vtype, vno, line_no,
                summary or "", acode, aname or "", debit, credit, counterparty or "",
            )
            if ends.get(period) == index:
                _, d, c = per_period[period]
                ytd_d = sum((v[1] for p, v in per_period.items() if p <= period), ZERO)
                ytd_c = sum((v[2] for p, v in per_period.items() if p <= period), ZERO)
                yield _ledger_balance_row("month", node, run, period, d, c)
                yield _ledger_balance_row("year", node, run, period, ytd_d, ytd_c)
            index += 1


def ledger_export_rows(dataset: Dataset, code: str, period_from: int, period_to: int) -> tuple[Ledger, Iterator[LedgerRow]]:
    """The whole ledger (up to xlsx_export.EXPORT_MAX_ROWS lines) as a stream, for export."""
    ledger = account_ledger(dataset, code, period_from, period_to, 1, per_page=1)
    if ledger is None:
        return None, iter(())

    def rows():
        with _connect() as con:
            node, codes, opening_dc, per_period, _ = _ledger_frame(con, dataset, code, period_from, period_to)
            in_range = [(p, per_period[p][0]) for p in sorted(per_period) if period_from <= p <= period_to]
            yield _ledger_balance_row("opening", node, opening_dc)
            yield from _ledger_rows(con, dataset, node, codes, opening_dc, per_period, in_range, 0, xlsx_export.EXPORT_MAX_ROWS)

    return ledger, rows()


# --- 凭证 ------------------------------------------------------------------------------------------


@dataclass
class VoucherLine:
    line_no: int
    summary: str
    account_code: str
    account_name: str
    debit: Decimal
    credit: Decimal
    counterparty: str
    settlement: str
    invoice_no: str


@dataclass
class Voucher:
    period: int
    voucher_type: str
    voucher_no: int
    dates: list[datetime.date]
    preparers: list[str]
    reviewers: list[str]
    attachments: int | None
    lines: list[VoucherLine]
    truncated: bool
    debit: Decimal
    credit: Decimal
    issues: list[str]
    previous_no: int | None
    next_no: int | None

    @property
    def label(self) -> str:
        return f"{self.voucher_type}-{self.voucher_no}"

    @property
    def balanced(self) -> bool:
        return self.debit == self.credit

    @property
    def difference(self) -> Decimal:
        return self.debit - self.credit


def voucher(dataset: Dataset, period: int, voucher_type: str, voucher_no: int) -> Voucher | None:
    """One voucher (凭证) with its lines, totals, neighbours in its series and quality issues."""
    key = [period, voucher_type, voucher_no]
    data = _scan(dataset, "data")
    with _connect() as con:
        head = con.execute(
            f"""
            SELECT count(*), sum(debit), sum(credit), list(DISTINCT date ORDER BY date),
                list(DISTINCT preparer ORDER BY preparer) FILTER (WHERE coalesce(preparer, '') <> ''),
                list(DISTINCT reviewer ORDER BY reviewer) FILTER (WHERE coalesce(reviewer, '') <> ''),
                max(attachments)
            FROM {data} WHERE period = ? AND voucher_type = ? AND voucher_no = ?
            """,
            key,
        ).fetchall()[0]
        if not head[0]:
            return None
        rows = con.execute(
            f"SELECT line_no, summary, account_code, account_name, debit, credit, counterparty, settlement, invoice_no "
            f"FROM {data} WHERE period = ? AND voucher_type = ? AND voucher_no = ? "
            f"ORDER BY line_no, source_row LIMIT {VOUCHER_MAX_LINES}",
            key,
        ).fetchall()
        previous_no, next_no = con.execute(
            "SELECT max(voucher_no) FILTER (WHERE voucher_no < ?), min(voucher_no) FILTER (WHERE voucher_no > ?) "
            f"FROM {data} WHERE period = ? AND voucher_type = ?",
            [voucher_no, voucher_no, period, voucher_type],
        ).fetchall()[0]
        issues = []
        quality = store.parquet_path(dataset, "quality")
        if Path(quality).exists():
            issues = [
                r[0]
                for r in con.execute(
                    f"SELECT message FROM {_scan(dataset, 'quality')} WHERE period = ? AND voucher_type = ? AND voucher_no = ? "
                    "ORDER BY issue, source_row",
                    key,
                ).fetchall()
            ]
        accounts = Accounts(dataset.org, {r[2] for r in rows})
    count, debit, credit, dates, preparers, reviewers, attachments = head
    lines = [
        VoucherLine(
            line_no, summary or "", code,
            accounts.nodes[code].full_name if accounts.nodes[code].in_chart else (name or UNKNOWN_ACCOUNT),
            d, c, counterparty or "", settlement or "", invoice or "",
        )
        for line_no, summary, code, name, d, c, counterparty, settlement, invoice in rows
    ]
    return Voucher(
        period, voucher_type, voucher_no, dates, preparers or [], reviewers or [], attachments, lines,
        count > len(lines), debit, credit, issues, previous_no, next_no,
    )


# --- 序时账 ----------------------------------------------------------------------------------------


@dataclass
class JournalFilter:
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    account: str = ""  # code prefix
    amount_min: Decimal | None = None  # absolute amount on either side
    amount_max: Decimal | None = None
    counterparty: str = ""  # contains
    words: list[str] = field(default_factory=list)  # 摘要 contains every word

    def where(self) -> tuple[str, list]:
        clauses, params = ["TRUE"], []
        if self.date_from:
            clauses.append("date >= ?")
            params.append(self.date_from)
        if self.date_to:
            clauses.append("date <= ?")
            params.append(self.date_to)
        if self.account:
            clauses.append("starts_with(account_code, ?)")
            params.append(self.account)
        amount = "greatest(abs(debit), abs(credit))"
        if self.amount_min is not None:
            clauses.append(f"{amount} >= ?")
            params.append(self.amount_min)
        if self.amount_max is not None:
            clauses.append(f"{amount} <= ?")
            params.append(self.amount_max)
        if self.counterparty:
            clauses.append("contains(coalesce(counterparty, ''), ?)")
            params.append(self.counterparty)
        for word in self.words:
            clauses.append("contains(coalesce(summary, ''), ?)")
            params.append(word)
        return " AND ".join(clauses), params

    @property
    def only_account(self) -> bool:
        """Answerable from summary.parquet (no filter on line-level columns)."""
        return not (self.date_from or self.date_to or self.amount_min is not None or self.amount_max is not None
                    or self.counterparty or self.words)

    @property
    def active(self) -> bool:
        return bool(self.account) or not self.only_account


@dataclass
class JournalLine:
    period: int
    date: datetime.date
    voucher_type: str
    voucher_no: int
    line_no: int
    summary: str
    account_code: str
    account_name: str
    debit: Decimal
    credit: Decimal
    counterparty: str
    settlement: str
    invoice_no: str


@dataclass
class Journal:
    filter: JournalFilter
    paging: Paging
    debit: Decimal
    credit: Decimal
    lines: list[JournalLine]


def _journal_counts(con, dataset: Dataset, flt: JournalFilter) -> list[tuple[int, int, Decimal, Decimal]]:
    if flt.only_account:
        sql = "SELECT period, sum(lines), sum(debit), sum(credit) FROM {} WHERE {} GROUP BY 1 ORDER BY 1"
        where, params = ("starts_with(account_code, ?)", [flt.account]) if flt.account else ("TRUE", [])
        rows = con.execute(sql.format(_scan(dataset, "summary"), where), params).fetchall()
    else:
        where, params = flt.where()
        rows = con.execute(
            f"SELECT period, count(*), sum(debit), sum(credit) FROM {_scan(dataset, 'data')} WHERE {where} GROUP BY 1 ORDER BY 1",
            params,
        ).fetchall()
    return [(p, int(n), d or ZERO, c or ZERO) for p, n, d, c in rows]


def _journal_rows(con, dataset, flt, counts, offset, limit) -> Iterator[JournalLine]:
    win = _window([(p, n) for p, n, _, _ in counts], offset, limit)
    if win is None:
        return
    where, params = flt.where()
    accounts = None
    cur = con.execute(
        f"SELECT {LINE_COLUMNS} FROM {_scan(dataset, 'data')} WHERE {where} AND period BETWEEN ? AND ? "
        f"ORDER BY {LINE_ORDER} LIMIT ? OFFSET ?",
        [*params, win.first_period, win.last_period, limit, win.inner_offset],
    )
    while batch := cur.fetchmany(5000):
        if accounts is None:
            accounts = dataset_accounts(dataset)
        for r in batch:
            line = JournalLine(*r)
            node = accounts.get(line.account_code)
            if node is not None and node.in_chart:
                line.account_name = node.full_name
            line.summary, line.counterparty = line.summary or "", line.counterparty or ""
            line.settlement, line.invoice_no = line.settlement or "", line.invoice_no or ""
            yield line


def journal(dataset: Dataset, flt: JournalFilter, page: int = 1, per_page: int = PAGE_SIZE) -> Journal:
    """序时账: every line in date order, filtered, one page, with the filtered count and totals."""
    with _connect() as con:
        counts = _journal_counts(con, dataset, flt)
        pg = paging(sum(n for _, n, _, _ in counts), page, per_page)
        lines = list(_journal_rows(con, dataset, flt, counts, pg.offset, per_page))
    debit = sum((d for _, _, d, _ in counts), ZERO)
    credit = sum((c for _, _, _, c in counts), ZERO)
    return Journal(flt, pg, debit, credit, lines)


def journal_export_rows(dataset: Dataset, flt: JournalFilter) -> tuple[Journal, Iterator[JournalLine]]:
    head = journal(dataset, flt, 1, per_page=1)

    def rows():
        with _connect() as con:
            counts = _journal_counts(con, dataset, flt)
            yield from _journal_rows(con, dataset, flt, counts, 0, xlsx_export.EXPORT_MAX_ROWS)

    return head, rows()


def _period_label(period_from: int, period_to: int) -> str:
    return f"第 {period_from} 期" if period_from == period_to else f"第 {period_from}～{period_to} 期"


def dataset_title(dataset: Dataset) -> str:
    return f"{dataset.org.name}（{dataset.org.code}）{dataset.fiscal_year} 年凭证 第 {dataset.version} 版"


def balances_sheet(dataset: Dataset, sheet: BalanceSheet) -> Sheet:
    columns = [
        Column("科目编码", width=14), Column("科目名称", width=30), Column("级次", "int", 6),
        Column("期初方向", width=8), Column("期初余额", "money", 16), Column("本期借方", "money", 16),
        Column("本期贷方", "money", 16), Column("期末方向", width=8), Column("期末余额", "money", 16),
    ]
    rows = (
        (r.code, r.account.name, r.account.level, r.opening_side, r.opening, r.debit, r.credit, r.closing_side, r.closing)
        for r in sheet.rows
    )
    o_side, o_amount = sheet.opening_total
    c_side, c_amount = sheet.closing_total
    return Sheet(
        "科目余额表",
        [f"科目余额表 {_period_label(sheet.period_from, sheet.period_to)}", dataset_title(dataset), _opening_note(sheet.opening_source)],
        columns, rows, [("合计", "", None, o_side, o_amount, sheet.debit, sheet.credit, c_side, c_amount)],
    )


def _opening_note(source: Dataset | None) -> str:
    if source is None:
        return "年初余额：本单位该年度没有科目余额数据，按 0 计；所选期间之前各期的发生额计入期初余额。"
    return f"年初余额取自科目余额数据第 {source.version} 版（{source.source_name}）；所选期间之前各期的发生额计入期初余额。"


def ledger_sheet(dataset: Dataset, ledger: Ledger, rows: Iterator[LedgerRow]) -> Sheet:
    columns = [
        Column("期间", "int", 6), Column("日期", "date", 12), Column("凭证字号", width=10), Column("摘要", width=36),
        Column("科目编码", width=12), Column("对方单位", width=24), Column("借方金额", "money", 16),
        Column("贷方金额", "money", 16), Column("方向", width=6), Column("余额", "money", 16),
    ]
    out = (
        (
            r.period, r.date, f"{r.voucher_type}-{r.voucher_no}" if r.kind == "line" else "", r.label, r.account_code,
            r.counterparty, r.debit if r.kind != "opening" else None, r.credit if r.kind != "opening" else None,
            r.side, r.balance,
        )
        for r in rows
    )
    a = ledger.account
    return Sheet(
        "明细账",
        [f"明细账 {a.code} {a.full_name} {_period_label(ledger.period_from, ledger.period_to)}", dataset_title(dataset),
         _opening_note(ledger.opening_source)],
        columns, out,
    )


def voucher_sheet(dataset: Dataset, v: Voucher) -> Sheet:
    columns = [
        Column("分录号", "int", 8), Column("摘要", width=36), Column("科目编码", width=12), Column("科目名称", width=30),
        Column("借方金额", "money", 16), Column("贷方金额", "money", 16), Column("往来单位", width=24),
        Column("结算方式", width=10), Column("票据号", width=16),
    ]
    rows = ((x.line_no, x.summary, x.account_code, x.account_name, x.debit, x.credit, x.counterparty, x.settlement, x.invoice_no)
            for x in v.lines)
    dates = "、".join(d.isoformat() for d in v.dates)
    heading = [
        f"记账凭证 {v.label}（第 {v.period} 期）",
        dataset_title(dataset),
        f"日期：{dates}　制单：{'、'.join(v.preparers) or '—'}　审核：{'、'.join(v.reviewers) or '—'}　附件：{v.attachments if v.attachments is not None else '—'} 张",
    ]
    footer = [("合计", "借贷平衡" if v.balanced else f"借贷不平衡，相差 {v.difference:,.2f}", "", "", v.debit, v.credit, "", "", "")]
    return Sheet("凭证", heading, columns, rows, footer)


def journal_sheet(dataset: Dataset, head: Journal, rows: Iterator[JournalLine], filter_text: str) -> Sheet:
    columns = [
        Column("期间", "int", 6), Column("日期", "date", 12), Column("凭证字号", width=10), Column("分录号", "int", 8),
        Column("摘要", width=36), Column("科目编码", width=12), Column("科目名称", width=30),
        Column("借方金额", "money", 16), Column("贷方金额", "money", 16), Column("往来单位", width=24),
        Column("结算方式", width=10), Column("票据号", width=16),
    ]
    out = (
        (x.period, x.date, f"{x.voucher_type}-{x.voucher_no}", x.line_no, x.summary, x.account_code, x.account_name,
         x.debit, x.credit, x.counterparty, x.settlement, x.invoice_no)
        for x in rows
    )
    heading = ["序时账", dataset_title(dataset), f"筛选条件：{filter_text or '无'}；共 {head.paging.total:,} 条"]
    footer = [("合计", None, "", None, "", "", "", head.debit, head.credit, "", "", "")]
    return Sheet("序时账", heading, columns, out, footer)


def datasets_sheet(groups: list[DatasetGroup]) -> Sheet:
    columns = [
        Column("单位编码", width=14), Column("单位名称", width=32), Column("会计年度", "int", 10), Column("版本", "int", 6),
        Column("分录行数", "int", 12), Column("状态", width=10), Column("数据质量问题", "int", 12),
        Column("来源文件", width=30), Column("导入时间", width=18),
    ]

    def rows():
        from django.utils import timezone

        for g in groups:
            for d in [g.latest, *g.older]:
                yield (d.org.code, d.org.name, d.fiscal_year, d.version, d.rows, d.get_status_display(), d.quality_issues,
                       d.source_name, timezone.localtime(d.imported_at).strftime("%Y-%m-%d %H:%M"))

    return Sheet("凭证数据集", ["凭证数据集"], columns, rows())


# --- movements for budget execution (finance) -----------------------------------------------------


def movements_outside(dataset: Dataset, closing_codes: Iterable[str]) -> tuple[dict[str, tuple[Decimal, Decimal]], int]:
    """Debits and credits per account code over the year, leaving out every voucher that posts to
    one of ``closing_codes`` (the year-end closing of income and expense into 结余 and the like,
    which would otherwise cancel the year's income and spending), and how many vouchers were left
    out. One pass over the unit-year's lines."""
    codes = sorted(set(closing_codes))
    data = _scan(dataset, "data")
    closing = (f"SELECT DISTINCT period, voucher_type, voucher_no FROM {data} WHERE account_code IN {_in_list(codes)}")
    with _connect() as con:
        rows = con.execute(
            f"WITH closing AS ({closing}) SELECT account_code, coalesce(sum(debit), 0), coalesce(sum(credit), 0) "
            f"FROM {data} l WHERE NOT EXISTS (SELECT 1 FROM closing c WHERE c.period = l.period "
            "AND c.voucher_type = l.voucher_type AND c.voucher_no = l.voucher_no) GROUP BY account_code", codes).fetchall()
        left_out = con.execute(f"SELECT count(*) FROM ({closing})", codes).fetchone()[0]
    return {code: (debit, credit) for code, debit, credit in rows}, int(left_out)


def account_totals(dataset: Dataset, codes: Iterable[str]) -> dict[str, tuple[Decimal, Decimal]]:
    """The year's debits and credits of each of ``codes`` (as posted, not rolled up), from the
    dataset's per-account totals."""
    codes = sorted(set(codes))
    if not codes:
        return {}
    with _connect() as con:
        rows = con.execute(
            f"SELECT account_code, coalesce(sum(debit), 0), coalesce(sum(credit), 0) FROM {_scan(dataset, 'summary')} "
            f"WHERE account_code IN {_in_list(codes)} GROUP BY 1", codes).fetchall()
    return {code: (debit, credit) for code, debit, credit in rows}


def counterparty_totals(dataset: Dataset, codes: Iterable[str]) -> list[tuple[str, str, str, Decimal, Decimal, int]]:
    """(往来单位 or '', account code, 摘要, debits, credits, lines) of the dataset's lines on ``codes``,
    one row per counterparty, account and 摘要."""
    codes = sorted(set(codes))
    if not codes:
        return []
    with _connect() as con:
        return con.execute(
            f"SELECT coalesce(counterparty, ''), account_code, coalesce(summary, ''), coalesce(sum(debit), 0), "
            f"coalesce(sum(credit), 0), count(*) FROM {_scan(dataset, 'data')} WHERE account_code IN {_in_list(codes)} "
            "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3", codes).fetchall()


@dataclass
class MarkedLines:
    """One group of ``marked_lines``: a dataset's lines on one account with one 往来单位."""

    dataset_id: int
    kind: str  # the kind the caller gave the account
    purpose: bool  # the account is one the caller marked as a purpose account
    account_code: str
    counterparty: str
    debit: Decimal
    credit: Decimal
    lines: int
    by_keyword: int  # lines whose 摘要 holds a keyword
    by_tag: int  # lines of a tagged voucher
    first: tuple[int, str, int]  # (period, voucher type, voucher number) of the group's first voucher


def marked_lines(datasets: list[Dataset], accounts: list[tuple[int, str, str, bool]], keywords: list[str],
                 tagged: list[tuple[int, int, str, int]], closing_kind: str = "closing") -> list[MarkedLines]:
    """The lines of several datasets that belong to something the caller defines (a key fund):
    ``accounts`` classifies each dataset's accounts as (dataset id, code, kind, purpose); a line
    on a classified account belongs when its account is a purpose account, when its 摘要 holds one
    of ``keywords``, or when its voucher is in ``tagged`` (dataset id, period, type, number).
    Vouchers that post to an account of kind ``closing_kind`` (the year-end closing) are left out.
    One query over all the datasets, grouped by dataset, account and 往来单位."""
    if not datasets or not accounts:
        return []
    acc = pa.table({"ds": [a[0] for a in accounts], "account_code": [a[1] for a in accounts],
                    "kind": [a[2] for a in accounts], "purpose": [a[3] for a in accounts]})
    tags = pa.table({"ds": [t[0] for t in tagged], "period": [t[1] for t in tagged],
                     "voucher_type": [t[2] for t in tagged], "voucher_no": [t[3] for t in tagged]},
                    schema=pa.schema([("ds", pa.int64()), ("period", pa.int64()), ("voucher_type", pa.string()),
                                      ("voucher_no", pa.int64())]))
    union = (f"SELECT ds, period, voucher_type, voucher_no, account_code, summary, counterparty, debit, credit "
             f"FROM {store.scan_many(datasets, 'data')}")
    keyword_sql = " OR ".join("contains(coalesce(l.summary, ''), ?)" for _ in keywords) or "FALSE"
    sql = (
        f"WITH l AS ({union}), "
        "closing AS (SELECT DISTINCT l.ds, l.period, l.voucher_type, l.voucher_no FROM l JOIN acc a "
        "ON a.ds = l.ds AND a.account_code = l.account_code WHERE a.kind = ?), "
        f"m AS (SELECT l.*, a.kind, a.purpose, ({keyword_sql}) AS by_keyword, "
        "EXISTS (SELECT 1 FROM tags t WHERE t.ds = l.ds AND t.period = l.period AND t.voucher_type = l.voucher_type "
        "AND t.voucher_no = l.voucher_no) AS by_tag FROM l JOIN acc a ON a.ds = l.ds AND a.account_code = l.account_code "
        "WHERE a.kind <> ? AND NOT EXISTS (SELECT 1 FROM closing c WHERE c.ds = l.ds AND c.period = l.period "
        "AND c.voucher_type = l.voucher_type AND c.voucher_no = l.voucher_no)) "
        "SELECT ds, kind, purpose, account_code, coalesce(counterparty, ''), coalesce(sum(debit), 0), coalesce(sum(credit), 0), "
        "count(*), count(*) FILTER (WHERE by_keyword), count(*) FILTER (WHERE by_tag), "
        "min({'p': period, 't': voucher_type, 'n': voucher_no}) "
        "FROM m WHERE purpose OR by_keyword OR by_tag GROUP BY ALL ORDER BY ds, kind, account_code, 5")
    with _connect() as con:
        con.register("acc", acc)
        con.register("tags", tags)
        rows = con.execute(sql, [closing_kind, *keywords, closing_kind]).fetchall()
    return [MarkedLines(ds, kind, purpose, code, party, debit, credit, n, kw, tag, (first["p"], first["t"], first["n"]))
            for ds, kind, purpose, code, party, debit, credit, n, kw, tag, first in rows]


def last_periods(datasets: list[Dataset]) -> dict[int, int]:
    """Dataset id → the last period (month) with lines, from the per-account totals, in one query."""
    if not datasets:
        return {}
    with _connect() as con:
        rows = con.execute(f"SELECT ds, max(period) FROM {store.scan_many(datasets, 'summary')} GROUP BY ds").fetchall()
    return {ds: int(period or 0) for ds, period in rows}


def periods_with_lines(datasets: list[Dataset]) -> dict[int, set[int]]:
    """Dataset id → the periods (months) that have lines, from the per-account totals, in one query."""
    if not datasets:
        return {}
    with _connect() as con:
        rows = con.execute(f"SELECT ds, list(DISTINCT period) FROM {store.scan_many(datasets, 'summary')} GROUP BY ds").fetchall()
    return {ds: {int(p) for p in periods if p is not None} for ds, periods in rows}
