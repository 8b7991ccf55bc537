"""重点资金穿透: one key fund followed through a year, from an upper unit's allocation through each
lower unit's receipt to the final payees.

Which lines belong to the fund (``KeyFund``): in each unit's effective chart, the income and
expense accounts are read, and the subsidy-to-lower accounts (``expense-subsidy-to-lower``) as the
hop to the next level down. A line on one of them belongs to the fund when its account is one of the
fund's purpose accounts (a role the fund names, or a code starting with one of its codes), when its
摘要 holds one of the fund's keywords, or when its voucher was tagged with the fund by hand
(``FundVoucher``). Lines on other accounts (bank, cash, payables) are the other side of the same
vouchers and are not counted. Vouchers that post to a 结余 (``surplus``) account — the year-end
closing — are left out, as in the budget execution, so the closing does not cancel the year.

For each unit of the trace (the chosen unit and the units below it that the user may see, with
voucher data for the year):

- 收到 (received): the fund's income lines, credits less debits;
- 下拨 (passed down): the fund's subsidy-to-lower lines, debits less credits, each matched by its
  往来单位 to a unit below (``crosslevel.Matcher``: code, name or unique name suffix); what a unit
  passed down to a unit is that unit's 拨付 (allocated), set against what the unit booked as
  received — the difference of the hop;
- 支出 (spent): the fund's other expense lines, debits less credits, by payee (往来单位);
- 结余 (unspent): received − passed down − spent, for the year;
- 预算 (budgeted): the latest budget's lines of the fund — by code, by the role of its account in
  the unit's chart, or by keyword in its name or 说明 — income and expense, a line counted once
  (not again under a parent line that matches too);
- 超范围 (outside the purpose): where the fund names purpose accounts, its expense lines that are
  the fund's only by keyword or tag yet posted to another account.

Across units: payees (往来单位 of spending lines, normalised) that recur in two or more units'
spending of the fund, leaving out names that are units of the tree, people first (a name of 2 to 5
Chinese characters with no organisation word: the same person paid by several unions is the thing
to check; a supplier serving several is common); and the 往来单位 of passed-down lines that name no
unit below.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Max

from jingshen.finance.crosslevel import Matcher, normalise
from jingshen.finance.models import Budget, BudgetLine, FundVoucher, KeyFund, LineKind
from jingshen.ledger import books
from jingshen.ledger.charts import effective_charts
from jingshen.ledger.models import Dataset
from jingshen.ledger.roles import AccountRole, Category
from jingshen.orgs import scope
from jingshen.orgs.models import Org
from jingshen.screening.services import latest_voucher_datasets

ZERO = Decimal("0.00")
INCOME, EXPENSE, GIVE, CLOSING = "income", "expense", "give", "closing"
TOP_PAYEES = 20  # payees listed per unit; the rest summed


@dataclass
class Payee:
    name: str
    amount: Decimal = ZERO
    lines: int = 0


@dataclass
class Posting:
    """Lines of the fund on one account with one 往来单位 (a group of ``books.marked_lines``)."""

    account_code: str
    account_name: str
    counterparty: str
    amount: Decimal
    lines: int
    first: tuple[int, str, int]
    how: str  # 科目 / 关键词 / 标记


@dataclass
class Hop:
    """One unit of the trace."""

    org: Org
    depth: int  # below the trace's unit
    dataset: Dataset | None
    received: Decimal = ZERO
    passed_down: Decimal = ZERO
    spent: Decimal = ZERO
    allocated: Decimal | None = None  # what the unit above passed down naming it; None: not known
    budget_income: Decimal | None = None  # None: no budget for the year
    budget_expense: Decimal | None = None
    budget_version: int | None = None
    income: list[Posting] = field(default_factory=list)
    expenses: list[Posting] = field(default_factory=list)
    outside: list[Posting] = field(default_factory=list)
    payees: dict[str, Payee] = field(default_factory=dict)
    given_to: dict[int, Decimal] = field(default_factory=dict)  # org id below → amount

    @property
    def unspent(self) -> Decimal:
        return self.received - self.passed_down - self.spent

    @property
    def difference(self) -> Decimal | None:
        """拨付 − 收到 of the hop from the unit above (None where either side is not known)."""
        if self.allocated is None or self.dataset is None:
            return None
        return self.allocated - self.received

    @property
    def active(self) -> bool:
        return bool(self.received or self.passed_down or self.spent or self.allocated or self.budget_income
                    or self.budget_expense)

    def top_payees(self) -> list[Payee]:
        return sorted(self.payees.values(), key=lambda p: (-p.amount, p.name))[:TOP_PAYEES]


# A payee whose name holds one of these is taken as an organisation, not a person (for sorting
# recurring payees: a person paid by several units comes first).
ORGANISATION_WORDS = ("公司", "有限", "集团", "店", "中心", "酒店", "宾馆", "超市", "商场", "商行", "医院", "学校", "大学",
                      "工会", "协会", "委员会", "局", "厂", "社", "院", "馆", "所", "部", "站", "银行", "基金")
PERSON_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,5}$")


def is_person(name: str) -> bool:
    """Whether a payee's name looks like a person's (2 to 5 Chinese characters, no organisation word)."""
    return bool(PERSON_NAME.match(name)) and not any(word in name for word in ORGANISATION_WORDS)


@dataclass
class RecurringPayee:
    name: str
    units: list[tuple[Org, Decimal, int]]  # unit, amount, lines

    @property
    def person(self) -> bool:
        return is_person(self.name)

    @property
    def amount(self) -> Decimal:
        return sum((a for _, a, _ in self.units), ZERO)


@dataclass
class Unnamed:
    """Passed-down lines whose 往来单位 names no unit below (or several)."""

    org: Org
    text: str
    amount: Decimal
    lines: int
    candidates: list[Org] = field(default_factory=list)


@dataclass
class Trace:
    fund: KeyFund
    root: Org
    year: int
    hops: list[Hop] = field(default_factory=list)  # tree order
    recurring: list[RecurringPayee] = field(default_factory=list)
    unnamed: list[Unnamed] = field(default_factory=list)
    without_data: int = 0  # units of the trace with no voucher data for the year

    @property
    def active_hops(self) -> list[Hop]:
        return [h for h in self.hops if h.active]

    def total(self, name: str) -> Decimal:
        return sum((getattr(h, name) for h in self.hops), ZERO)

    @property
    def totals(self) -> dict[str, Decimal | None]:
        """The trace's sums; the budgeted ones None where no unit has a budget for the year."""
        sums = {name: self.total(name) for name in ("received", "passed_down", "spent", "unspent")}
        budgeted = [h for h in self.hops if h.budget_version is not None]
        for name in ("budget_income", "budget_expense"):
            sums[name] = sum((getattr(h, name) for h in budgeted), ZERO) if budgeted else None
        return sums

    @property
    def outside(self) -> list[tuple[Hop, Posting]]:
        return [(h, p) for h in self.hops for p in h.outside]

    def as_dict(self) -> dict:
        """The trace as plain data (``jingshen trace --json``); amounts as strings."""
        def money(value):
            return None if value is None else f"{value:.2f}"

        def posting(p: Posting) -> dict:
            return {"account_code": p.account_code, "account_name": p.account_name, "counterparty": p.counterparty,
                    "amount": money(p.amount), "lines": p.lines, "matched_by": p.how,
                    "first_voucher": {"period": p.first[0], "type": p.first[1], "number": p.first[2]}}

        return {
            "fund": self.fund.name, "unit": {"code": self.root.code, "name": self.root.name}, "year": self.year,
            "totals": {name: money(value) for name, value in self.totals.items()},
            "units": [{
                "code": h.org.code, "name": h.org.name, "depth": h.depth, "has_data": h.dataset is not None,
                "dataset_version": h.dataset.version if h.dataset else None,
                "allocated": money(h.allocated), "received": money(h.received), "difference": money(h.difference),
                "passed_down": money(h.passed_down), "spent": money(h.spent), "unspent": money(h.unspent),
                "budget": {"version": h.budget_version, "income": money(h.budget_income), "expense": money(h.budget_expense)},
                "income": [posting(p) for p in h.income], "expenses": [posting(p) for p in h.expenses],
                "outside_purpose": [posting(p) for p in h.outside],
                "payees": [{"name": p.name, "amount": money(p.amount), "lines": p.lines} for p in h.top_payees()],
            } for h in self.active_hops],
            "units_without_data": self.without_data,
            "recurring_payees": [{"name": r.name, "person": r.person, "amount": money(r.amount),
                                  "units": [{"code": o.code, "name": o.name, "amount": money(a), "lines": n} for o, a, n in r.units]}
                                 for r in self.recurring],
            "unmatched_allocations": [{"unit": u.org.code, "counterparty": u.text, "amount": money(u.amount), "lines": u.lines,
                                       "candidates": [o.code for o in u.candidates]} for u in self.unnamed],
        }


def _account_kind(account: dict) -> str | None:
    if account.get("role") == AccountRole.SURPLUS:
        return CLOSING
    if account.get("role") == AccountRole.EXPENSE_SUBSIDY_TO_LOWER:
        return GIVE
    return {Category.INCOME: INCOME, Category.EXPENSE: EXPENSE}.get(account.get("category"))


def is_purpose(fund: KeyFund, code: str, account: dict | None) -> bool:
    return any(code.startswith(prefix) for prefix in fund.accounts) or bool(account and account.get("role") in fund.roles)


def _has_keyword(fund: KeyFund, *texts: str) -> bool:
    return any(word in (text or "") for word in fund.keywords for text in texts)


def trace(user, fund: KeyFund, root: Org, year: int) -> Trace:
    """Follow ``fund`` through ``year`` from ``root`` down, over the units ``user`` may see (every
    unit when ``user`` is None: the command line acting as the system)."""
    visible = Org.objects.all() if user is None else scope.orgs_for(user, scope.VIEW)
    units = list(visible.filter(path__startswith=root.path).order_by("path"))
    result = Trace(fund, root, year)
    datasets = {d.org_id: d for d in latest_voucher_datasets(year, org=root)}
    hops = {o.pk: Hop(o, o.depth - root.depth, datasets.get(o.pk)) for o in units}
    result.hops = list(hops.values())
    result.without_data = sum(1 for h in result.hops if h.dataset is None)
    with_data = [h for h in result.hops if h.dataset is not None]
    charts = effective_charts([h.org for h in with_data])

    classified, tagged = [], []
    for hop in with_data:
        for code, account in charts[hop.org.code].items():
            kind = _account_kind(account)
            if kind is not None:
                classified.append((hop.dataset.pk, code, kind, kind != CLOSING and is_purpose(fund, code, account)))
    by_dataset = {h.dataset.pk: h for h in with_data}
    for t in FundVoucher.objects.filter(fund=fund, fiscal_year=year, org__in=[h.org for h in with_data]):
        tagged.append((datasets[t.org_id].pk, t.period, t.voucher_type, t.voucher_no))

    groups = books.marked_lines([h.dataset for h in with_data], classified, list(fund.keywords), tagged, CLOSING)
    matchers: dict[int, Matcher] = {}
    unnamed: dict[tuple[int, str], Unnamed] = {}
    for g in groups:
        hop = by_dataset[g.dataset_id]
        account = charts[hop.org.code].get(g.account_code, {})
        how = "标记" if g.by_tag else "科目" if g.purpose else "关键词"
        if g.kind == INCOME:
            amount = g.credit - g.debit
            hop.received += amount
            hop.income.append(Posting(g.account_code, account.get("name", ""), g.counterparty, amount, g.lines, g.first, how))
            continue
        amount = g.debit - g.credit
        if g.kind == GIVE:
            hop.passed_down += amount
            if hop.org.pk not in matchers:
                matchers[hop.org.pk] = Matcher([o for o in units if o.path.startswith(hop.org.path) and o.pk != hop.org.pk])
            found = matchers[hop.org.pk].find(g.counterparty)
            if len(found) == 1:
                hop.given_to[found[0].pk] = hop.given_to.get(found[0].pk, ZERO) + amount
            else:
                entry = unnamed.setdefault((hop.org.pk, normalise(g.counterparty)), Unnamed(hop.org, g.counterparty, ZERO, 0, found))
                entry.amount += amount
                entry.lines += g.lines
            continue
        hop.spent += amount
        posting = Posting(g.account_code, account.get("name", ""), g.counterparty, amount, g.lines, g.first, how)
        hop.expenses.append(posting)
        if fund.has_purpose and not g.purpose:
            hop.outside.append(posting)
        name = g.counterparty.strip()
        payee = hop.payees.setdefault(normalise(name), Payee(name))
        payee.amount += amount
        payee.lines += g.lines

    for hop in result.hops:
        for pk, amount in hop.given_to.items():
            below = hops[pk]
            below.allocated = (below.allocated or ZERO) + amount
    _budgets(fund, result.hops, charts, year)
    result.recurring = _recurring(result.hops, Matcher(units))
    result.unnamed = sorted(unnamed.values(), key=lambda u: (u.org.path, -u.amount))
    return result


def _budgets(fund: KeyFund, hops: list[Hop], charts: dict[str, dict], year: int) -> None:
    """Each unit's budgeted income and spending of the fund, from its latest budget for the year."""
    by_org = {h.org.pk: h for h in hops}
    latest = (Budget.objects.filter(org__in=list(by_org), fiscal_year=year).values("org_id")
              .annotate(version=Max("version")))
    versions = {row["org_id"]: row["version"] for row in latest}
    if not versions:
        return
    budgets = {b.pk: b for b in Budget.objects.filter(org__in=list(versions), fiscal_year=year)
               if b.version == versions[b.org_id]}
    lines = defaultdict(list)
    for line in BudgetLine.objects.filter(budget__in=list(budgets), kind=LineKind.ACCOUNT):
        lines[line.budget_id].append(line)
    missing = [by_org[b.org_id].org for b in budgets.values() if by_org[b.org_id].org.code not in charts]
    charts = charts | effective_charts(missing) if missing else charts
    for budget_id, budget in budgets.items():
        hop = by_org[budget.org_id]
        chart = charts[hop.org.code]
        hop.budget_version = budget.version
        hop.budget_income, hop.budget_expense = ZERO, ZERO
        matched = {line.code: line for line in lines[budget_id]
                   if is_purpose(fund, line.code, chart.get(line.code)) or _has_keyword(fund, line.name, line.note)}
        for code, line in matched.items():
            if _ancestor_in(code, chart, matched):
                continue  # counted under its parent line
            amount = line.adjusted if line.adjusted is not None else line.amount
            kind = _account_kind(chart.get(code, {})) or (INCOME if code.startswith("4") else EXPENSE)
            if amount is None:
                continue
            if kind == INCOME:
                hop.budget_income += amount
            else:
                hop.budget_expense += amount


def _ancestor_in(code: str, chart: dict, matched: dict) -> bool:
    seen = set()
    parent = (chart.get(code) or {}).get("parent_code") or ""
    while parent and parent not in seen:
        if parent in matched:
            return True
        seen.add(parent)
        parent = (chart.get(parent) or {}).get("parent_code") or ""
    return False


def _recurring(hops: list[Hop], units: Matcher) -> list[RecurringPayee]:
    """Payees of the fund's spending that recur in two or more units (not units of the tree)."""
    seen: dict[str, list[tuple[Org, Decimal, int]]] = defaultdict(list)
    names: dict[str, str] = {}
    for hop in hops:
        for key, payee in hop.payees.items():
            if not key or units.find(payee.name):
                continue
            seen[key].append((hop.org, payee.amount, payee.lines))
            names.setdefault(key, payee.name)
    recurring = [RecurringPayee(names[key], found) for key, found in seen.items() if len(found) > 1]
    return sorted(recurring, key=lambda r: (not r.person, -len(r.units), -r.amount, r.name))
