"""工会事业单位: budget-compliance indicators of an institution's year, from its latest budget and
the execution against its vouchers (``execution.execution``):

- 无预算支出: spending on first-level expense accounts that the budget does not list at all;
- 预算调整: lines whose 调整预算数 differs from the 本年预算数 (what changed and by how much). Whether
  an adjustment was approved (by the 工会委员会 / 经审会, or the union above) is recorded nowhere in
  the platform: the indicator lists the adjustments for the auditor to check against the approvals;
- 专项资金: ring-fenced lines (accounts with the role 困难职工帮扶费 or 送温暖费, or below one) spent
  under their budget while other expense lines are over theirs, the pattern of ring-fenced money
  being squeezed (挤占) by other spending.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from jingshen.finance.execution import ZERO, Execution, ExecutionRow, chart_ancestors, execution
from jingshen.finance.models import Budget, LineKind
from jingshen.ledger.charts import effective_accounts
from jingshen.ledger.roles import AccountRole, Category

RING_FENCED = (AccountRole.EXPENSE_HARDSHIP, AccountRole.EXPENSE_WARMTH)


@dataclass
class Adjustment:
    code: str
    name: str
    amount: Decimal | None
    adjusted: Decimal

    @property
    def change(self) -> Decimal:
        return self.adjusted - (self.amount or ZERO)


@dataclass
class Compliance:
    budget: Budget
    run: Execution
    adjustments: list[Adjustment] = field(default_factory=list)
    ring_fenced_under: list[ExecutionRow] = field(default_factory=list)  # under-spent while others overspent
    ring_fenced: list[ExecutionRow] = field(default_factory=list)  # every ring-fenced line
    others_over: list[ExecutionRow] = field(default_factory=list)

    @property
    def unbudgeted_total(self) -> Decimal:
        return sum((r.actual for r in self.run.unbudgeted), ZERO)

    @property
    def problems(self) -> int:
        return len(self.run.unbudgeted) + len(self.adjustments) + len(self.ring_fenced_under)


def compliance(budget: Budget) -> Compliance:
    run = execution(budget)
    result = Compliance(budget, run)
    for line in budget.lines.filter(kind=LineKind.ACCOUNT).order_by("row"):
        if line.adjusted is not None and line.adjusted != line.amount:
            result.adjustments.append(Adjustment(line.code, line.name, line.amount, line.adjusted))
    accounts = effective_accounts(budget.org)
    fenced_codes = set()
    for row in run.rows:
        if row.category != Category.EXPENSE:
            continue
        if any(accounts.get(c, {}).get("role") in RING_FENCED for c in chart_ancestors(row.code, accounts)):
            fenced_codes.add(row.code)
            result.ring_fenced.append(row)
    # lines above a ring-fenced line hold it: their overspending is not "other" spending
    holders = {c for code in fenced_codes for c in chart_ancestors(code, accounts)[1:]}
    result.others_over = [r for r in run.over_budget if r.code not in fenced_codes and r.code not in holders]
    if result.others_over:
        result.ring_fenced_under = [r for r in result.ring_fenced if r.budget and r.actual < r.budget]
    return result
