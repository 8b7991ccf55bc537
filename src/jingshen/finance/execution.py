"""Budget execution (预算执行) of one unit-year: each budget line against the year's actual figure
from the vouchers, the execution rate, lines over budget, spending on accounts the budget does
not list, and the spending structure (shares of 职工活动 / 维权 / 业务 / 行政 / 资本性).

Actuals: the year's movements per account in the account's natural direction (income credit −
debit, expense debit − credit), rolled up the chart, from the unit-year's latest voucher dataset.
Vouchers that post to a 结余 account (role ``surplus``) are left out: they are the year-end
closing of income and expense, which would otherwise cancel the year's figures; how many were
left out is shown. The budget figure of a line is its 调整预算数 where given, else 本年预算数.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from jingshen.finance.models import Budget, LineKind
from jingshen.ledger import books
from jingshen.ledger.charts import effective_accounts
from jingshen.ledger.models import Dataset, DatasetKind
from jingshen.ledger.roles import AccountRole, Category

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
# the five parts of the spending structure, by the role of the first-level expense account
STRUCTURE = [
    (AccountRole.EXPENSE_STAFF_ACTIVITY, "职工活动支出"),
    (AccountRole.EXPENSE_RIGHTS, "维权支出"),
    (AccountRole.EXPENSE_BUSINESS, "业务支出"),
    (AccountRole.EXPENSE_ADMIN, "行政支出"),
    (AccountRole.EXPENSE_CAPITAL, "资本性支出"),
]


@dataclass
class ExecutionRow:
    code: str
    name: str
    category: str
    depth: int  # 0 for a line with no listed line above it
    budget: Decimal | None
    actual: Decimal

    @property
    def rate(self) -> Decimal | None:
        """Actual as a percentage of the budget (None without a positive budget)."""
        if not self.budget or self.budget <= 0:
            return None
        return (self.actual / self.budget * HUNDRED).quantize(Decimal("0.1"))

    @property
    def over(self) -> bool:
        return self.category == Category.EXPENSE and self.actual > (self.budget or ZERO)

    @property
    def difference(self) -> Decimal:
        return self.actual - (self.budget or ZERO)


@dataclass
class StructurePart:
    label: str
    budget: Decimal
    actual: Decimal
    budget_share: Decimal | None
    actual_share: Decimal | None


@dataclass
class Execution:
    budget: Budget
    dataset: Dataset | None
    rows: list[ExecutionRow] = field(default_factory=list)
    unbudgeted: list[ExecutionRow] = field(default_factory=list)  # first-level expense accounts spent on, not listed
    structure: list[StructurePart] = field(default_factory=list)
    closing_vouchers: int = 0
    income: tuple[Decimal, Decimal] = (ZERO, ZERO)  # (budget, actual) of the top income lines
    expense: tuple[Decimal, Decimal] = (ZERO, ZERO)

    @property
    def over_budget(self) -> list[ExecutionRow]:
        return [r for r in self.rows if r.over]


def voucher_dataset(org, year: int) -> Dataset | None:
    return Dataset.objects.filter(org=org, fiscal_year=year, kind=DatasetKind.VOUCHERS).order_by("-version").first()


def _share(part: Decimal, whole: Decimal) -> Decimal | None:
    return (part / whole * HUNDRED).quantize(Decimal("0.1")) if whole > 0 else None


def chart_ancestors(code: str, accounts: dict[str, dict]) -> list[str]:
    """The account and the accounts above it; a code missing from the chart is placed under the
    longest chart code that prefixes it (as 查账 does)."""
    if code not in accounts:
        code = next((code[:end] for end in range(len(code) - 1, 0, -1) if code[:end] in accounts), "")
    out, seen = [], set()
    while code and code not in seen:
        out.append(code)
        seen.add(code)
        code = accounts[code].get("parent_code") or ""
        if code not in accounts:
            break
    return out


def execution(budget: Budget, dataset: Dataset | None = None) -> Execution:
    """The budget's execution against ``dataset`` (default: the unit-year's latest voucher dataset)."""
    dataset = dataset or voucher_dataset(budget.org, budget.fiscal_year)
    accounts = effective_accounts(budget.org)
    result = Execution(budget, dataset)
    actual: dict[str, Decimal] = {}
    if dataset is not None:
        closing = [code for code, a in accounts.items() if a.get("role") == AccountRole.SURPLUS]
        movements, result.closing_vouchers = books.movements_outside(dataset, closing)
        for code, (debit, credit) in movements.items():
            chain = chart_ancestors(code, accounts)
            if not chain:
                continue
            category = accounts[chain[-1]]["category"]
            if category not in (Category.INCOME, Category.EXPENSE):
                continue
            amount = (credit - debit) if category == Category.INCOME else (debit - credit)
            for c in chain:
                actual[c] = actual.get(c, ZERO) + amount
    lines = [line for line in budget.lines.all() if line.kind == LineKind.ACCOUNT]
    listed = {line.code for line in lines}
    for line in lines:
        chain = chart_ancestors(line.code, accounts)
        depth = sum(1 for c in chain[1:] if c in listed)
        figure = line.adjusted if line.adjusted is not None else line.amount
        category = accounts.get(line.code, {}).get("category", Category.EXPENSE)
        result.rows.append(ExecutionRow(line.code, line.name, category, depth, figure, actual.get(line.code, ZERO)))
    # spending on first-level expense accounts the budget does not list (504-508 are often left out)
    for code, amount in sorted(actual.items()):
        a = accounts.get(code)
        if a is None or a["category"] != Category.EXPENSE or not amount or a.get("parent_code"):
            continue
        if code not in listed:
            result.unbudgeted.append(ExecutionRow(code, a["name"], Category.EXPENSE, 0, None, amount))
    tops = [r for r in result.rows if r.depth == 0]
    result.income = (sum((r.budget or ZERO for r in tops if r.category == Category.INCOME), ZERO),
                     sum((r.actual for r in tops if r.category == Category.INCOME), ZERO))
    top_expense_codes = [code for code, a in accounts.items() if a["category"] == Category.EXPENSE and not a.get("parent_code")]
    budget_by_code = {r.code: r.budget or ZERO for r in result.rows}
    expense_budget = sum((r.budget or ZERO for r in tops if r.category == Category.EXPENSE), ZERO)
    expense_actual = sum((actual.get(c, ZERO) for c in top_expense_codes), ZERO)
    result.expense = (expense_budget, expense_actual)
    for role, label in STRUCTURE:
        codes = [c for c in top_expense_codes if accounts[c].get("role") == role]
        b = sum((budget_by_code.get(c, ZERO) for c in codes), ZERO)
        a = sum((actual.get(c, ZERO) for c in codes), ZERO)
        result.structure.append(StructurePart(label, b, a, _share(b, expense_budget), _share(a, expense_actual)))
    return result
