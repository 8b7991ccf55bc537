"""The budgets and payroll of a screening run's unit-years as Arrow tables: the screening engine
copies them into its tables ``budgets`` and ``payroll`` (screening/engine.py), which the rule
pack and custom rules query. Arrow, not SQL over the database, so that every engine (DuckDB
now, Spark later) builds the same tables from the same objects.

``budgets``: one row per line of the latest budget version (highest ``version``) of each
unit-year asked for, in file order. ``budget`` is the line's figure as budget execution reads it
(调整预算数 where given, else 本年预算数: execution.py); ``is_top`` marks an account line with no
listed line above it in the unit's chart (501 when 501 and 50101 are listed; 50101 when only the
detail is), so that summing the top lines counts each amount once. Rows other than account lines
(上年结转, 动用以前年度结余, 本年收入合计, 本年支出合计) have an empty ``code`` and ``is_top`` false.

``payroll``: the latest version of each unit-year's 工资总额 and 职工人数.
"""

from collections.abc import Iterable

import pyarrow as pa

from jingshen.finance.execution import chart_ancestors
from jingshen.finance.models import Budget, BudgetLine, LineKind, Payroll

MONEY = pa.decimal128(18, 2)
BUDGET_SCHEMA = pa.schema([
    ("org", pa.string()), ("fiscal_year", pa.int32()), ("version", pa.int32()), ("kind", pa.string()),
    ("code", pa.string()), ("name", pa.string()), ("prior_actual", MONEY), ("amount", MONEY), ("adjusted", MONEY),
    ("budget", MONEY), ("is_top", pa.bool_()),
])
PAYROLL_SCHEMA = pa.schema([
    ("org", pa.string()), ("fiscal_year", pa.int32()), ("version", pa.int32()), ("total", MONEY),
    ("staff_count", pa.int64()),
])


def _latest(model, orgs: dict[int, str], pairs: set[tuple[int, int]]) -> dict[int, tuple[int, int, int]]:
    """The ids of the latest version of ``model`` (Budget or Payroll) for each (org id, year) of
    ``pairs``, mapped to (org id, year, version)."""
    found: dict[tuple[int, int], tuple[int, int]] = {}  # pair -> (version, id)
    rows = model.objects.filter(org_id__in={o for o, _ in pairs}, fiscal_year__in={y for _, y in pairs})
    for pk, org_id, year, version in rows.values_list("pk", "org_id", "fiscal_year", "version"):
        if (org_id, year) in pairs and org_id in orgs and version > found.get((org_id, year), (0, 0))[0]:
            found[org_id, year] = (version, pk)
    return {pk: (*pair, version) for pair, (version, pk) in found.items()}


def budget_table(orgs: dict[int, str], pairs: Iterable[tuple[int, int]], charts: dict[str, dict[str, dict]]) -> pa.Table:
    """The ``budgets`` table (module docstring) for the unit-years ``pairs`` ((org id, year)),
    with ``orgs`` mapping org ids to codes and ``charts`` the units' effective charts by code
    (``ledger.charts.effective_charts``), which decide the top lines."""
    latest = _latest(Budget, orgs, set(pairs))
    cols: dict[str, list] = {name: [] for name in BUDGET_SCHEMA.names}
    lines = (BudgetLine.objects.filter(budget_id__in=latest).order_by("budget_id", "row")
             .values_list("budget_id", "kind", "code", "name", "prior_actual", "amount", "adjusted"))
    by_budget: dict[int, list[tuple]] = {}
    for row in lines:
        by_budget.setdefault(row[0], []).append(row)
    for budget_id in sorted(by_budget, key=lambda pk: (orgs[latest[pk][0]], latest[pk][1])):
        org_id, year, version = latest[budget_id]
        accounts = charts.get(orgs[org_id], {})
        listed = {code for _, kind, code, *_ in by_budget[budget_id] if kind == LineKind.ACCOUNT}
        for _, kind, code, name, prior_actual, amount, adjusted in by_budget[budget_id]:
            chain = chart_ancestors(code, accounts) if kind == LineKind.ACCOUNT else []
            above = chain[1:] if chain[:1] == [code] else chain  # a code the chart lost sits under its prefix
            values = {
                "org": orgs[org_id], "fiscal_year": year, "version": version, "kind": kind, "code": code,
                "name": name, "prior_actual": prior_actual, "amount": amount, "adjusted": adjusted,
                "budget": adjusted if adjusted is not None else amount,
                "is_top": kind == LineKind.ACCOUNT and not any(c in listed for c in above),
            }
            for key, value in values.items():
                cols[key].append(value)
    return pa.table(cols, schema=BUDGET_SCHEMA)


def payroll_table(orgs: dict[int, str], pairs: Iterable[tuple[int, int]]) -> pa.Table:
    """The ``payroll`` table (module docstring) for the unit-years ``pairs`` ((org id, year))."""
    latest = _latest(Payroll, orgs, set(pairs))
    cols: dict[str, list] = {name: [] for name in PAYROLL_SCHEMA.names}
    rows = Payroll.objects.filter(pk__in=latest).values_list("org_id", "fiscal_year", "version", "total", "staff_count")
    for org_id, year, version, total, staff in sorted(rows, key=lambda r: (orgs[r[0]], r[1])):
        for key, value in zip(PAYROLL_SCHEMA.names, (orgs[org_id], year, version, total, staff), strict=True):
            cols[key].append(value)
    return pa.table(cols, schema=PAYROLL_SCHEMA)
