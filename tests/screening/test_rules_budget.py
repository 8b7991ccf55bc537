"""Issue 18 item 2 and the remittance check of item 4: the engine's budgets and payroll tables
and the rules that read them (JS-BUD-001/002/003, JS-REM-001, JS-FEST-003 with a budget), each
hitting on a ledger built here and silent on a clean one, and not applicable without a budget or
a 工资总额."""

from decimal import Decimal

from jingshen.finance.models import Budget, BudgetLine, LineKind, Payroll
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.ledger.models import Dataset
from jingshen.screening import custom
from jingshen.screening.engine import DuckDBEngine
from jingshen.screening.models import Flag
from jingshen.screening.services import run_screening
from tests.ledger.conftest import line, write
from tests.screening.conftest import entry

NO_BUDGET = "未导入该年度预算（工会经费收支预算表）"
NO_PAYROLL = "未导入该年度工资总额"


def make_budget(org, lines, year=2025, version=1):
    """A budget version of ``org`` with ``lines``: (code or a LineKind, name, 本年预算数[, 调整预算数])."""
    budget = Budget.objects.create(org=org, fiscal_year=year, version=version, source_name="预算.xlsx", source_hash="0" * 64)
    for row, (code, name, amount, *adjusted) in enumerate(lines, start=2):
        kind = code if code in LineKind.values else LineKind.ACCOUNT
        BudgetLine.objects.create(budget=budget, row=row, kind=kind, code="" if kind != LineKind.ACCOUNT else code, name=name,
                                  prior_actual=None, amount=Decimal(amount) if amount is not None else None,
                                  adjusted=Decimal(adjusted[0]) if adjusted else None)
    return budget


def closing(no, org="A1X", **amounts):
    """The year-end closing voucher: every income account (debit) and expense account (credit) of
    ``amounts`` (code → amount) into 331 结余."""
    common = dict(org=org, period="12", date="2025-12-31", no=str(no), summary="年终结转")
    rows, balance = [], Decimal(0)
    for i, (code, amount) in enumerate(amounts.items(), start=1):
        code = code.lstrip("_")
        if code.startswith("4"):
            rows.append(line(line_no=str(i), code=code, name="", debit=amount, **common))
            balance += Decimal(amount)
        else:
            rows.append(line(line_no=str(i), code=code, name="", credit=amount, **common))
            balance -= Decimal(amount)
    side = {"credit": f"{balance:.2f}"} if balance > 0 else {"debit": f"{-balance:.2f}"}
    rows.append(line(line_no=str(len(rows) + 1), code="331", name="结余", **side, **common))
    return rows


def screened(tmp_path, rows, codes, params=None, name="books.csv"):
    import_vouchers(write(tmp_path / name, rows), create_accounts=True)
    return run_screening(year=2025, rule_codes=codes, params=params)


def flags(run, code):
    return list(Flag.objects.filter(run=run, rule=code).order_by("org__code", "id"))


# --- the tables ----------------------------------------------------------------------------------


def test_the_engine_has_the_latest_budget_and_payroll_of_the_runs_unit_years(tree, tmp_path):
    make_budget(tree["A1X"], [("401", "会费收入", "9000.00")], version=1)
    make_budget(tree["A1X"], [
        (LineKind.CARRY_FORWARD, "上年结转", "500.00"),
        ("401", "会费收入", "10000.00"),
        (LineKind.INCOME_TOTAL, "本年收入合计", "10000.00"),
        ("501", "职工活动支出", "6000.00", "6500.00"),
        ("50102", "文体活动费", "6000.00", "6500.00"),
        ("50205", "送温暖费", "4000.00"),  # its parent 502 is not listed: a top line
        ("50204", "困难职工帮扶费", None),
    ], version=2)
    make_budget(tree["A1X"], [("401", "会费收入", "1.00")], year=2024)  # another year: not in the run
    make_budget(tree["A2"], [("401", "会费收入", "1.00")])  # a unit without vouchers: not in the run
    Payroll.objects.create(org=tree["A1X"], fiscal_year=2025, version=1, total=Decimal("100.00"), source_name="a.csv")
    Payroll.objects.create(org=tree["A1X"], fiscal_year=2025, version=2, total=Decimal("5000000.00"), staff_count=120,
                           source_name="b.csv")
    rows = entry(1, "2025-03-03", "50102", "102", "800.00") + entry(1, "2025-03-03", "50102", "102", "800.00", org="B1X")
    import_vouchers(write(tmp_path / "v.csv", rows), create_accounts=True)
    engine = DuckDBEngine(Dataset.objects.all())
    try:
        budgets = engine.query("SELECT org, fiscal_year, version, kind, code, name, amount, adjusted, budget, is_top "
                               "FROM budgets").fetchall()
        payroll = engine.query("SELECT * FROM payroll").fetchall()
        rolled = engine.query("SELECT ancestor, distance FROM ancestors WHERE org = 'A1X' AND code = '50205' ORDER BY distance").fetchall()
        parent = engine.query("SELECT code, parent FROM accounts WHERE org = 'A1X' AND code IN ('502', '50205') ORDER BY code").fetchall()
    finally:
        engine.close()
    d = Decimal
    assert budgets == [
        ("A1X", 2025, 2, "carry_forward", "", "上年结转", d("500.00"), None, d("500.00"), False),
        ("A1X", 2025, 2, "account", "401", "会费收入", d("10000.00"), None, d("10000.00"), True),
        ("A1X", 2025, 2, "income_total", "", "本年收入合计", d("10000.00"), None, d("10000.00"), False),
        ("A1X", 2025, 2, "account", "501", "职工活动支出", d("6000.00"), d("6500.00"), d("6500.00"), True),
        ("A1X", 2025, 2, "account", "50102", "文体活动费", d("6000.00"), d("6500.00"), d("6500.00"), False),
        ("A1X", 2025, 2, "account", "50205", "送温暖费", d("4000.00"), None, d("4000.00"), True),
        ("A1X", 2025, 2, "account", "50204", "困难职工帮扶费", None, None, None, True),
    ]
    assert payroll == [("A1X", 2025, 2, d("5000000.00"), 120)]
    assert rolled == [("50205", 0), ("502", 1)]
    assert parent == [("502", None), ("50205", "502")]


def test_a_custom_rule_may_query_budgets_and_payroll(tree, tmp_path):
    make_budget(tree["A1X"], [("501", "职工活动支出", "6000.00"), ("50102", "文体活动费", "6000.00")])
    Payroll.objects.create(org=tree["A1X"], fiscal_year=2025, version=1, total=Decimal("800000.00"), source_name="a.csv")
    import_vouchers(write(tmp_path / "v.csv", entry(1, "2025-03-03", "50102", "102", "800.00")), create_accounts=True)
    sql = ("SELECT b.org, b.fiscal_year, NULL::INTEGER AS period, NULL::VARCHAR AS voucher_type, NULL::INTEGER AS voucher_no, "
           "NULL::INTEGER AS line_no, b.budget AS amount, b.code, p.total FROM budgets b JOIN payroll p ON p.org = b.org "
           "WHERE b.is_top AND b.kind = 'account'")
    assert custom.check_sql(sql) == sql
    custom.check_columns(sql, "{code} 预算 {amount} 元，工资总额 {total} 元")  # the tables exist with no datasets too
    result = custom.dry_run(sql, Dataset.objects.get(), "{code} 预算 {amount} 元，工资总额 {total} 元")
    assert result["rows"] == [("A1X", 2025, None, None, None, None, Decimal("6000.00"), "501", Decimal("800000.00"))]
    assert result["preview"] == "501 预算 6,000.00 元，工资总额 800,000.00 元"


# --- JS-BUD-001 支出超预算 -----------------------------------------------------------------------


BUDGET = [
    ("401", "会费收入", "20000.00"),
    (LineKind.INCOME_TOTAL, "本年收入合计", "20000.00"),
    ("501", "职工活动支出", "10000.00"),
    ("50102", "文体活动费", "10000.00"),
    ("502", "维权支出", "10000.00"),
    ("50205", "送温暖费", "10000.00"),
]


def test_spending_over_budget_is_flagged_per_line_leaving_out_the_year_end_closing(tree, tmp_path):
    make_budget(tree["A1X"], BUDGET)
    make_budget(tree["A2"], BUDGET)
    rows = entry(1, "2025-03-03", "50102", "102", "9000.00") + entry(2, "2025-06-03", "50102", "102", "3500.00")
    rows += entry(3, "2025-04-03", "50205", "102", "9500.00")
    rows += closing(4, **{"50102": "12500.00", "50205": "9500.00"})  # would cancel the year's spending
    # A2: 10,800 on a budget of 10,000 is within the 10 % tolerance
    rows += entry(1, "2025-03-03", "50102", "102", "10800.00", org="A2") + entry(2, "2025-03-04", "50205", "102", "900.00", org="A2")
    rows += entry(1, "2025-03-03", "50102", "102", "30000.00", org="B1X")  # no budget
    run = screened(tmp_path, rows, ["JS-BUD-001"])
    found = flags(run, "JS-BUD-001")
    assert [(f.org.code, f.details["code"], f.amount) for f in found] == [
        ("A1X", "501", Decimal("2500.00")), ("A1X", "50102", Decimal("2500.00"))]
    assert found[1].message == ("2025 年预算科目“50102 文体活动费”预算数 10,000.00 元，实际支出 12,500.00 元，超支 2,500.00 元"
                                "（超出预算数的 25.00%），超过允许的 10% 幅度。")
    assert found[1].voucher_no is None and found[1].category == "预算"
    assert run.not_applicable["JS-BUD-001"] == {"B1X": NO_BUDGET}
    # a stricter tolerance catches A2; a higher minimum amount spares A1X
    strict = run_screening(year=2025, rule_codes=["JS-BUD-001"], params={"JS-BUD-001": {"tolerance": 5, "min_amount": 3000}})
    assert [(f.org.code, f.details["code"]) for f in flags(strict, "JS-BUD-001")] == []
    strict = run_screening(year=2025, rule_codes=["JS-BUD-001"], params={"JS-BUD-001": {"tolerance": 5, "min_amount": 500}})
    assert {(f.org.code, f.details["code"]) for f in flags(strict, "JS-BUD-001")} == {
        ("A1X", "501"), ("A1X", "50102"), ("A2", "501"), ("A2", "50102")}


def test_spending_on_a_line_without_a_budget_figure_is_over_budget(tree, tmp_path):
    make_budget(tree["A1X"], BUDGET + [("50204", "困难职工帮扶费", None)])
    run = screened(tmp_path, entry(1, "2025-03-03", "50204", "102", "4000.00"), ["JS-BUD-001"])
    [flag] = flags(run, "JS-BUD-001")
    assert flag.details["code"] == "50204" and flag.amount == Decimal("4000.00") and "该科目未安排预算" in flag.message


# --- JS-BUD-002 定向支出执行率低 -------------------------------------------------------------------


def test_ring_fenced_lines_spent_below_the_share_are_flagged(tree, tmp_path):
    make_budget(tree["A1X"], BUDGET)
    make_budget(tree["A2"], BUDGET)
    make_budget(tree["B1"], BUDGET)
    rows = entry(1, "2025-03-03", "50205", "102", "2000.00") + entry(2, "2025-12-20", "50102", "102", "9000.00")
    rows += closing(3, **{"50205": "2000.00", "50102": "9000.00"})
    # A2 spent 8,000 of its 10,000 on 送温暖: fine; 文体活动费 is not ring-fenced
    rows += entry(1, "2025-03-03", "50205", "102", "8000.00", org="A2") + entry(2, "2025-12-03", "50102", "102", "100.00", org="A2")
    # B1's books stop in June: a low rate says nothing yet
    rows += entry(1, "2025-06-03", "50205", "102", "100.00", org="B1")
    run = screened(tmp_path, rows, ["JS-BUD-002"])
    found = flags(run, "JS-BUD-002")
    assert [(f.org.code, f.details["code"], f.amount) for f in found] == [
        ("A1X", "502", Decimal("8000.00")), ("A1X", "50205", Decimal("8000.00"))]
    assert found[1].message == ("2025 年预算科目“50205 送温暖费”预算数 10,000.00 元，实际支出 2,000.00 元，执行率 20.00%，"
                                "低于 50%，未执行 8,000.00 元。")
    # which roles are ring-fenced is a parameter
    run = run_screening(year=2025, rule_codes=["JS-BUD-002"], params={"JS-BUD-002": {"roles": "^(expense-warmth)$"}})
    assert [(f.org.code, f.details["code"]) for f in flags(run, "JS-BUD-002")] == [("A1X", "50205")]


# --- JS-BUD-003 支出结构异常 ----------------------------------------------------------------------


def test_a_spending_part_outside_its_range_is_flagged(tree, tmp_path):
    lines = BUDGET + [("504", "行政支出", "5000.00")]
    make_budget(tree["A1X"], lines)
    make_budget(tree["A2"], lines)
    rows = entry(1, "2025-03-03", "50102", "102", "12000.00") + entry(2, "2025-04-03", "50401", "102", "8000.00")
    rows += closing(3, **{"50102": "12000.00", "50401": "8000.00"})
    rows += entry(1, "2025-03-03", "50102", "102", "16000.00", org="A2") + entry(2, "2025-04-03", "50402", "102", "4000.00", org="A2")
    rows += entry(1, "2025-03-03", "50401", "102", "90000.00", org="B1X")  # no budget
    run = screened(tmp_path, rows, ["JS-BUD-003"])
    [flag] = flags(run, "JS-BUD-003")
    assert flag.org.code == "A1X" and flag.amount == Decimal("8000.00")
    assert flag.message == "2025 年行政支出实际 8,000.00 元，占全年支出 20,000.00 元的 40.00%，高于 30% 的上限（预算中占 20.00%）。"
    assert run.not_applicable["JS-BUD-003"] == {"B1X": NO_BUDGET}
    # a lower bound on 职工活动支出 (A2: 80 %), and the minimum spending below which shares say nothing
    run = run_screening(year=2025, rule_codes=["JS-BUD-003"], params={"JS-BUD-003": {"staff_activity_min": 70}})
    by_label = {(f.org.code, f.details["label"]): f for f in flags(run, "JS-BUD-003")}
    assert set(by_label) == {("A1X", "行政支出"), ("A1X", "职工活动支出")}
    assert "占全年支出 20,000.00 元的 60.00%，低于 70% 的下限" in by_label["A1X", "职工活动支出"].message
    run = run_screening(year=2025, rule_codes=["JS-BUD-003"], params={"JS-BUD-003": {"min_expense": 50000}})
    assert flags(run, "JS-BUD-003") == []


# --- JS-REM-001 拨缴经费收入与工资总额不符 ----------------------------------------------------------------


def test_remittance_income_against_the_payroll(tree, tmp_path):
    for org, total in (("A1X", "5000000.00"), ("A2", "5000000.00")):
        Payroll.objects.create(org=tree[org], fiscal_year=2025, version=1, total=Decimal(total), source_name="p.csv")
    # expected 5,000,000 × 2 % × 60 % = 60,000: A1X received 30,000, A2 58,000 (within 10 %)
    rows = entry(1, "2025-03-03", "102", "402", "30000.00", summary="收到拨缴经费")
    rows += closing(2, **{"402": "30000.00"})
    rows += entry(1, "2025-03-03", "102", "402", "58000.00", summary="收到拨缴经费", org="A2")
    rows += entry(1, "2025-03-03", "102", "402", "1000.00", summary="收到拨缴经费", org="B1X")  # no payroll
    run = screened(tmp_path, rows, ["JS-REM-001"])
    [flag] = flags(run, "JS-REM-001")
    assert flag.org.code == "A1X" and flag.amount == Decimal("30000.00")
    assert flag.message == ("2025 年工资总额 5,000,000.00 元，按 2% 拨缴、留用 60% 计算，应有拨缴经费收入 60,000.00 元，"
                            "实际 30,000.00 元，少 30,000.00 元（50.00%），超过允许的 10% 幅度。")
    assert run.not_applicable["JS-REM-001"] == {"B1X": NO_PAYROLL}
    # a province where the unit books the whole 2 %: A2 is now far below
    run = run_screening(year=2025, rule_codes=["JS-REM-001"], params={"JS-REM-001": {"keep_share": 100}})
    assert [f.org.code for f in flags(run, "JS-REM-001")] == ["A1X", "A2"]


# --- JS-FEST-003 with a budget -------------------------------------------------------------------------


def test_festival_spending_is_measured_against_the_budgets_income_when_there_is_one(tree, tmp_path):
    # A1X: budgeted income 20,000 (401 + 403, its detail 40305 not counted twice), actual income 100,000
    make_budget(tree["A1X"], [("401", "会费收入", "15000.00"), ("403", "上级补助收入", "5000.00"),
                              ("40305", "送温暖补助", "5000.00"), (LineKind.INCOME_TOTAL, "本年收入合计", "20000.00")])
    rows = entry(1, "2025-01-03", "102", "401", "100000.00", summary="收会费")
    rows += entry(2, "2025-01-20", "50104", "102", "12000.00", summary="春节慰问品")
    rows += closing(3, **{"401": "100000.00", "50104": "12000.00"})
    # B1X: no budget, actual income 100,000 (the closing left out) and 60,000 of festival gifts
    rows += entry(1, "2025-01-03", "102", "401", "100000.00", summary="收会费", org="B1X")
    rows += entry(2, "2025-09-20", "50104", "102", "60000.00", summary="中秋慰问品", org="B1X")
    rows += closing(3, org="B1X", **{"401": "100000.00", "50104": "60000.00"})
    # A2: no budget, 12,000 of 100,000: below the cap
    rows += entry(1, "2025-01-03", "102", "401", "100000.00", summary="收会费", org="A2")
    rows += entry(2, "2025-01-20", "50104", "102", "12000.00", summary="春节慰问品", org="A2")
    run = screened(tmp_path, rows, ["JS-FEST-003"])
    found = flags(run, "JS-FEST-003")
    assert [f.org.code for f in found] == ["A1X", "B1X"]
    assert found[0].message == "2025 年节日慰问支出 12,000.00 元（1 笔），占本年预算收入 20,000.00 元的 60.00%，超过 50% 的上限。"
    assert found[1].message == ("2025 年节日慰问支出 60,000.00 元（1 笔），占当年实际收入 100,000.00 元的 60.00%，超过 50% 的上限"
                                "（未导入该年度预算，以实际收入代替预算收入）。")
    assert "JS-FEST-003" not in run.not_applicable  # it applies with or without a budget


def test_the_budget_rules_do_not_apply_without_a_budget_and_never_run(tree, tmp_path, monkeypatch):
    from jingshen.screening import engine

    ran = []
    real = engine.DuckDBEngine.run_one
    monkeypatch.setattr(engine.DuckDBEngine, "run_one", lambda self, rule, values=None: ran.append(rule.code) or real(self, rule, values))
    codes = ["JS-BUD-001", "JS-BUD-002", "JS-BUD-003", "JS-REM-001", "JS-BAL-001"]
    run = screened(tmp_path, entry(1, "2025-03-03", "50102", "102", "800.00"), codes)
    assert ran == ["JS-BAL-001"]
    assert run.not_applicable == {"JS-BUD-001": {"A1X": NO_BUDGET}, "JS-BUD-002": {"A1X": NO_BUDGET},
                                  "JS-BUD-003": {"A1X": NO_BUDGET}, "JS-REM-001": {"A1X": NO_PAYROLL}}
    assert not Flag.objects.filter(run=run).exists()


def test_the_published_budget_gives_its_income_to_the_festival_rule(tree, tmp_path):
    """The 2021 budget of the domain notes (§6), imported as published: its top income lines are
    401, 402, 403 and 408 (40302/40305 sit under 403), 3,255,240.00 元, which is 本年收入合计 less
    动用以前年度结余; festival gifts of 1,700,000 are 52.22 % of it."""
    from jingshen.finance.services import import_budget
    from tests.finance.test_budget_import import PUBLISHED
    from tests.finance.test_budget_import import write as write_budget

    import_budget(write_budget(tmp_path, PUBLISHED), org=tree["A1X"], year=2021)
    rows = entry(1, "2021-01-05", "102", "402", "2600000.00", "收到拨缴经费")
    rows += entry(2, "2021-01-20", "50104", "102", "1700000.00", "春节慰问品")
    for r in rows:
        r[1] = "2021"
    import_vouchers(write(tmp_path / "v2021.csv", rows), create_accounts=True)
    engine = DuckDBEngine(Dataset.objects.all())
    try:
        tops = engine.query("SELECT code FROM budgets WHERE is_top ORDER BY code").fetchall()
    finally:
        engine.close()
    assert tops == [("401",), ("402",), ("403",), ("408",), ("501",), ("502",), ("503",)]
    run = run_screening(year=2021, rule_codes=["JS-FEST-003"])
    [flag] = flags(run, "JS-FEST-003")
    assert "占本年预算收入 3,255,240.00 元的 52.22%" in flag.message
