"""穿透式监督's demo data, written as files and loaded through the importers' services (as a user
would): 2025 budgets of three grassroots units of 西湖区 near their demo vouchers' actuals (one
with an over-budget line, one with the ring-fenced 困难职工帮扶费 under-spent), the 2025 payroll of
西湖区's grassroots units consistent with their 拨缴经费收入, and the equity summaries of the
province's union enterprises (one year below 100 %). Idempotent: what exists is not loaded again.
Run after the vouchers and before the demo projects, so the projects pin the budgets."""

import csv
import random
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from jingshen.finance import services
from jingshen.finance.execution import chart_ancestors, voucher_dataset
from jingshen.finance.models import Budget, EnterpriseSummary, Payroll
from jingshen.ledger import books
from jingshen.ledger.charts import effective_accounts
from jingshen.ledger.roles import AccountRole, Category
from jingshen.orgs.models import Kind, Org

YEAR = 2025
COUNTY = "330103"  # 杭州市西湖区总工会 (demo/audits.py)
OVER_BUDGET = "330103003"  # 职工活动支出 over budget (the fieldwork project's unit)
RING_FENCED = "330103001"  # 困难职工帮扶费 budgeted well above what was spent
PLAIN = "330103002"
BUDGET_UNITS = (OVER_BUDGET, RING_FENCED, PLAIN)
HARDSHIP = "50204"
REMIT_RATE, KEEP_SHARE = Decimal("0.02"), Decimal("0.60")  # JS-REM-001's defaults
CENT = Decimal("0.01")


def _round(value: Decimal, step: int = 100) -> Decimal:
    return (value / step).quantize(Decimal(1), ROUND_HALF_UP) * step if value >= step else value.quantize(CENT)


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _actuals(org, dataset) -> tuple[dict[str, Decimal], dict[str, dict]]:
    """The year's actual per account of the chart (income credits − debits, expense debits −
    credits), the year-end closing left out and rolled up, as budget execution reads them."""
    accounts = effective_accounts(org)
    closing = [c for c, a in accounts.items() if a.get("role") == AccountRole.SURPLUS]
    movements, _ = books.movements_outside(dataset, closing)
    actual: dict[str, Decimal] = {}
    for code, (debit, credit) in movements.items():
        for up in chart_ancestors(code, accounts):
            category = accounts[up]["category"]
            if category == Category.INCOME:
                actual[up] = actual.get(up, Decimal(0)) + credit - debit
            elif category == Category.EXPENSE:
                actual[up] = actual.get(up, Decimal(0)) + debit - credit
    return actual, accounts


def _budget_rows(code: str, actual: dict[str, Decimal], accounts: dict[str, dict], rng: random.Random) -> list[list[str]]:
    """The 工会经费收支预算表 of one unit: the top income and expense lines with actuals, and the
    detail lines of 维权支出 (where the ring-fenced ones are), budgeted near the actuals."""
    def near(value: Decimal, low: float, high: float) -> Decimal:
        return _round(value * Decimal(str(round(rng.uniform(low, high), 3))))

    tops = sorted(c for c in actual if not accounts[c].get("parent_code") and actual[c] > 0)
    income = [c for c in tops if accounts[c]["category"] == Category.INCOME]
    expense = [c for c in tops if accounts[c]["category"] == Category.EXPENSE and c != "506"]
    rows: dict[str, tuple[Decimal, Decimal]] = {}  # code -> (上年决算数, 本年预算数)
    for c in income:
        rows[c] = (near(actual[c], 0.9, 1.0), near(actual[c], 0.97, 1.03))
    details: dict[str, list[str]] = {}
    for c in expense:
        children = sorted(k for k, a in accounts.items() if a.get("parent_code") == c and actual.get(k, 0) > 0)
        if c == "502" and children:
            details[c] = children
            for k in children:
                budget = near(actual[k], 1.02, 1.15)
                if code == RING_FENCED and k == HARDSHIP:
                    budget = _round(actual[k] * Decimal("2.5"))  # 40 % spent of a ring-fenced line
                rows[k] = (near(actual[k], 0.85, 1.0), budget)
            rows[c] = tuple(sum((rows[k][i] for k in children), Decimal(0)) for i in (0, 1))
        else:
            budget = near(actual[c], 1.02, 1.15)
            if code == OVER_BUDGET and c == "501":
                budget = _round(actual[c] * Decimal("0.82"))  # spent 22 % over
            rows[c] = (near(actual[c], 0.85, 1.0), budget)
    income_total = tuple(sum((rows[c][i] for c in income), Decimal(0)) for i in (0, 1))
    expense_total = tuple(sum((rows[c][i] for c in expense), Decimal(0)) for i in (0, 1))
    carry_prior = _round(income_total[0] * Decimal("0.3"))
    carry = carry_prior + income_total[0] - expense_total[0]  # the identity budgets.py checks
    out = [["", "上年结转", _money(carry_prior), _money(carry), ""],
           ["", "动用以前年度结余", "0.00", "0.00", ""]]
    out += [[c, accounts[c]["name"], _money(rows[c][0]), _money(rows[c][1]), ""] for c in income]
    out.append(["", "本年收入合计", _money(income_total[0]), _money(income_total[1]), ""])
    for c in expense:
        out.append([c, accounts[c]["name"], _money(rows[c][0]), _money(rows[c][1]), ""])
        out += [[k, accounts[k]["name"], _money(rows[k][0]), _money(rows[k][1]), "定向使用" if k == HARDSHIP else ""]
                for k in details.get(c, [])]
    out.append(["", "本年支出合计", _money(expense_total[0]), _money(expense_total[1]), ""])
    return out


def _write(path: Path, header: list[str], rows: list[list]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def ensure_demo_budgets(folder: Path, seed: int = 2026) -> list[Budget]:
    loaded = []
    for code in BUDGET_UNITS:
        org = Org.objects.filter(code=code).first()
        dataset = voucher_dataset(org, YEAR) if org else None
        if dataset is None or Budget.objects.filter(org=org, fiscal_year=YEAR).exists():
            continue
        actual, accounts = _actuals(org, dataset)
        rows = _budget_rows(code, actual, accounts, random.Random(f"{seed}-{code}"))
        path = _write(folder / f"budget-{code}-{YEAR}.csv", ["科目编号", "名称", "上年决算数", "本年预算数", "说明"], rows)
        loaded.append(services.import_budget(path, org=org, year=YEAR, display=f"{org.name}{YEAR}年预算.csv"))
    return loaded


def ensure_demo_payroll(folder: Path, seed: int = 2026) -> int:
    """工资总额 of 西湖区's grassroots units with vouchers: what their 拨缴经费收入 implies (2 % kept
    at 60 %), a few per cent either way; one unit's payroll a third higher (its dues look short)."""
    county = Org.objects.filter(code=COUNTY).first()
    if county is None:
        return 0
    units = [o for o in Org.objects.filter(parent=county, kind__in=[Kind.GRASSROOTS_UNION, Kind.JOINT_GRASSROOTS_UNION])
             .order_by("code") if not Payroll.objects.filter(org=o, fiscal_year=YEAR).exists()]
    rng = random.Random(f"{seed}-payroll")
    rows = []
    for i, org in enumerate(units):
        dataset = voucher_dataset(org, YEAR)
        if dataset is None:
            continue
        accounts = effective_accounts(org)
        remit = [c for c, a in accounts.items() if a.get("role") == AccountRole.INCOME_REMITTANCE]
        closing = [c for c, a in accounts.items() if a.get("role") == AccountRole.SURPLUS]
        movements, _ = books.movements_outside(dataset, closing)
        received = sum((credit - debit for c, (debit, credit) in movements.items() if c in remit), Decimal(0))
        if received <= 0:
            continue
        factor = Decimal("1.35") if i == 1 else Decimal(str(round(rng.uniform(0.96, 1.04), 3)))
        total = _round(received / (REMIT_RATE * KEEP_SHARE) * factor, 1000)
        rows.append([org.code, YEAR, _money(total), org.member_count or ""])
    if not rows:
        return 0
    path = _write(folder / f"payroll-{YEAR}.csv", ["单位编码", "会计年度", "工资总额", "职工人数"], rows)
    return len(services.import_payroll(None, path, display=f"西湖区基层工会{YEAR}年工资总额.csv").created)


def ensure_demo_enterprises(folder: Path, seed: int = 2026) -> int:
    """Two years of each union enterprise: 2024 kept its value, the first one's 2025 fell below
    100 % (a loss)."""
    rng = random.Random(f"{seed}-enterprises")
    rows = []
    for i, org in enumerate(Org.objects.filter(kind=Kind.ENTERPRISE).order_by("code")):
        if EnterpriseSummary.objects.filter(org=org).exists():
            continue
        opening = _round(Decimal(rng.randrange(3_000_000, 12_000_000)), 1000)
        profit_2024 = _round(opening * Decimal(str(round(rng.uniform(0.02, 0.06), 3))))
        end_2024 = opening + profit_2024
        profit_2025 = -_round(end_2024 * Decimal("0.07")) if i == 0 else _round(end_2024 * Decimal("0.03"))
        rows += [[org.code, 2024, _money(opening), _money(end_2024), _money(profit_2024)],
                 [org.code, YEAR, _money(end_2024), _money(end_2024 + profit_2025), _money(profit_2025)]]
    if not rows:
        return 0
    path = _write(folder / "enterprises.csv", ["单位编码", "会计年度", "所有者权益年初数", "所有者权益年末数", "净利润"], rows)
    return len(services.import_enterprises(None, path, display="工会企业财务摘要.csv").created)


def ensure_demo_finance(folder: Path, seed: int = 2026) -> dict:
    return {"budgets": ensure_demo_budgets(folder, seed), "payroll": ensure_demo_payroll(folder, seed),
            "enterprises": ensure_demo_enterprises(folder, seed)}
