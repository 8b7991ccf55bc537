"""Reading and checking a 工会经费收支预算表 (the annual budget form of a union).

The form, as unions publish it: columns 科目编号, 名称, 上年决算数, 本年预算数 and optionally
调整预算数 and 说明; above the income lines the rows 上年结转 and 动用以前年度结余, after them
本年收入合计, optionally 本年支出合计 after the expense lines. Account lines carry a code of the
unit's chart (收入 and 支出 accounts only); lines 504-508 are often left out.

A file is refused whole (TableError, every problem with file, row and column) unless:

- every code is an income or expense account of the unit's effective chart, listed once;
- each account line with lines below it in the file equals their sum (in every amount column);
- 本年收入合计 = the top income lines + 动用以前年度结余;
- 本年支出合计, where given, = the top expense lines;
- the carry-forward continues: 本年预算数 of 上年结转 = its 上年决算数 − 动用以前年度结余 (上年决算数)
  + (本年收入合计 − 本年支出合计 of 上年决算数, where 本年支出合计 is given; published budgets
  present the past year balanced, so without it the difference is taken as nil).

Continuity with the budget already stored for the year before is checked by the service, which
knows the stored versions (``services.import_budget``).
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from jingshen.finance.models import LineKind
from jingshen.ledger.roles import Category
from jingshen.tabular import Field, RowError, TableError, normalize_header, read_table

FIELDS = [
    Field("科目编号", required=False, aliases=("科目编码", "科目代码", "编号", "编码")),
    Field("名称", aliases=("科目名称", "项目", "项目名称", "预算科目")),
    Field("上年决算数", aliases=("上年决算", "上年实际数", "上年实际", "决算数")),
    Field("本年预算数", aliases=("本年预算", "预算数", "年初预算数")),
    Field("调整预算数", required=False, aliases=("调整预算", "调整后预算数", "调整后预算")),
    Field("说明", required=False, aliases=("备注", "预算说明")),
]
COLUMNS = {"prior_actual": "上年决算数", "amount": "本年预算数", "adjusted": "调整预算数"}

# Rows without a code, by their name as published (compared after normalize_header)
SPECIAL_ROWS = {
    LineKind.CARRY_FORWARD: ("上年结转", "上年结余", "上年结转结余", "上年结转资金"),
    LineKind.USED_SURPLUS: ("动用以前年度结余", "动用上年结余", "使用以前年度结余"),
    LineKind.INCOME_TOTAL: ("本年收入合计", "收入合计", "本年收入总计"),
    LineKind.EXPENSE_TOTAL: ("本年支出合计", "支出合计", "本年支出总计"),
}
SPECIAL_BY_NAME = {normalize_header(n): kind for kind, names in SPECIAL_ROWS.items() for n in names}
DASHES = {"-", "–", "—", "－", "/", "——"}
AMOUNT_LIMIT = Decimal("9999999999999999.99")
ZERO = Decimal("0.00")


@dataclass
class ParsedLine:
    row: int
    kind: str
    code: str
    name: str
    prior_actual: Decimal | None
    amount: Decimal | None
    adjusted: Decimal | None
    note: str
    category: str | None = None  # income / expense for account lines
    parent: str | None = None  # the nearest account above it that the file also lists

    def value(self, column: str) -> Decimal:
        return getattr(self, column) or ZERO


@dataclass
class ParsedBudget:
    file: str
    lines: list[ParsedLine] = field(default_factory=list)
    has_adjusted: bool = False

    def special(self, kind: str) -> ParsedLine | None:
        return next((line for line in self.lines if line.kind == kind), None)

    def accounts(self) -> list[ParsedLine]:
        return [line for line in self.lines if line.kind == LineKind.ACCOUNT]

    def columns(self) -> list[str]:
        return [c for c in COLUMNS if c != "adjusted" or self.has_adjusted]


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


def parse_amount(text: str) -> Decimal | None:
    """A budget cell: None for empty or a dash; ValueError with a Chinese reason otherwise."""
    text = text.strip().replace(",", "").replace("，", "").replace(" ", "").removesuffix("元")
    if text in DASHES or not text:
        return None
    if text.startswith("(") and text.endswith(")"):  # accounting negatives
        text = "-" + text[1:-1]
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError("应为金额（元，最多两位小数），或留空、填“–”表示无此项。") from None
    if not value.is_finite() or abs(value) > AMOUNT_LIMIT:
        raise ValueError("金额超出范围。")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("金额最多两位小数。")
    return value.quantize(Decimal("0.01"))


def parse_budget(path, accounts: dict[str, dict], display: str | None = None) -> ParsedBudget:
    """Read the budget file against ``accounts`` (the unit's effective chart, code -> account
    dict as ``ledger.charts.effective_accounts`` gives) and check its identities. Raises
    TableError listing every problem."""
    path = Path(path)
    display = display or path.name
    table = read_table(path, FIELDS, display)
    budget = ParsedBudget(file=display, has_adjusted="调整预算数" in table.columns)
    errors: list[RowError] = []

    def err(row, column, value, reason):
        errors.append(RowError(display, row, column, value, reason))

    seen: dict[str, int] = {}
    for row_no, v in table.rows:
        code = v.get("科目编号", "").strip()
        name = v["名称"].strip()
        amounts: dict[str, Decimal | None] = {}
        for attr, column in COLUMNS.items():
            try:
                amounts[attr] = parse_amount(v.get(column, ""))
            except ValueError as exc:
                err(row_no, column, v.get(column, ""), str(exc))
                amounts[attr] = None
        note = v.get("说明", "").strip()[:500]
        if code:
            account = accounts.get(code)
            if account is None:
                err(row_no, "科目编号", code, "该科目编号不在本单位的科目表中。")
                continue
            if account["category"] not in (Category.INCOME, Category.EXPENSE):
                err(row_no, "科目编号", code, f"「{account['name']}」不是收入或支出科目，预算表只列收入和支出科目。")
                continue
            kind = LineKind.ACCOUNT
            key = code
        else:
            kind = SPECIAL_BY_NAME.get(normalize_header(name))
            if kind is None:
                err(row_no, "科目编号", "", f"「{name or '（空）'}」没有科目编号，也不是上年结转、动用以前年度结余、"
                                         "本年收入合计或本年支出合计。")
                continue
            key = kind
        if key in seen:
            err(row_no, "科目编号" if code else "名称", code or name, f"与第 {seen[key]} 行重复。")
            continue
        seen[key] = row_no
        line = ParsedLine(row_no, kind, code, (name or (accounts[code]["name"] if code else ""))[:100], note=note, **amounts)
        if code:
            line.category = accounts[code]["category"]
        budget.lines.append(line)
    if errors:
        raise TableError(errors)
    if not budget.accounts():
        raise TableError([RowError(display, table.header_row, "科目编号", None, "没有任何收入或支出科目行。")])
    _link_parents(budget, accounts)
    check_identities(budget)
    return budget


def _link_parents(budget: ParsedBudget, accounts: dict[str, dict]) -> None:
    listed = {line.code for line in budget.accounts()}
    for line in budget.accounts():
        parent = accounts[line.code].get("parent_code") or None
        while parent and parent not in listed:
            parent = accounts.get(parent, {}).get("parent_code") or None
        line.parent = parent


def check_identities(budget: ParsedBudget) -> None:
    errors: list[RowError] = []
    display = budget.file
    columns = budget.columns()
    lines = budget.accounts()
    by_code = {line.code: line for line in lines}

    def differs(row: int, column: str, what: str, stated: Decimal, expected: Decimal, how: str):
        errors.append(RowError(display, row, COLUMNS[column], money(stated),
                               f"{what}为 {money(stated)}，{how}为 {money(expected)}，两者不符（相差 {money(stated - expected)}）。"))

    children: dict[str, list[ParsedLine]] = {}
    for line in lines:
        if line.parent:
            children.setdefault(line.parent, []).append(line)
    for code, kids in children.items():
        parent = by_code[code]
        for column in columns:
            if getattr(parent, column) is None and all(getattr(k, column) is None for k in kids):
                continue
            total = sum((k.value(column) for k in kids), ZERO)
            if parent.value(column) != total:
                rows = "、".join(str(k.row) for k in kids)
                differs(parent.row, column, f"「{parent.name}」（{code}）的{COLUMNS[column]}", parent.value(column), total,
                        f"其明细行（第 {rows} 行）合计")

    used = budget.special(LineKind.USED_SURPLUS)
    income_total = budget.special(LineKind.INCOME_TOTAL)
    expense_total = budget.special(LineKind.EXPENSE_TOTAL)
    tops = {cat: [line for line in lines if line.parent is None and line.category == cat]
            for cat in (Category.INCOME, Category.EXPENSE)}
    for column in columns:
        if income_total is not None and getattr(income_total, column) is not None:
            expected = sum((line.value(column) for line in tops[Category.INCOME]), ZERO) + (used.value(column) if used else ZERO)
            if income_total.value(column) != expected:
                how = "各收入科目" + ("加动用以前年度结余" if used else "") + "合计"
                differs(income_total.row, column, f"本年收入合计的{COLUMNS[column]}", income_total.value(column), expected, how)
        if expense_total is not None and getattr(expense_total, column) is not None:
            expected = sum((line.value(column) for line in tops[Category.EXPENSE]), ZERO)
            if expense_total.value(column) != expected:
                differs(expense_total.row, column, f"本年支出合计的{COLUMNS[column]}", expense_total.value(column), expected,
                        "各支出科目合计")

    carry = budget.special(LineKind.CARRY_FORWARD)
    if carry is not None and carry.prior_actual is not None and carry.amount is not None:
        expected = carry.prior_actual - (used.value("prior_actual") if used else ZERO)
        how = f"按上年决算数推算（上年结转 {money(carry.prior_actual)}"
        if used:
            how += f" − 动用以前年度结余 {money(used.value('prior_actual'))}"
        if expense_total is not None and income_total is not None and expense_total.prior_actual is not None:
            balance = income_total.value("prior_actual") - expense_total.prior_actual
            expected += balance
            how += f" + 上年收支差额 {money(balance)}"
        if carry.amount != expected:
            differs(carry.row, "amount", "上年结转的本年预算数", carry.amount, expected, how + "）应")
    if errors:
        raise TableError(errors)
