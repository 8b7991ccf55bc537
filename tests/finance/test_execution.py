"""预算执行: each budget line against the year's vouchers (natural direction, rolled up the chart,
year-end closing into 结余 left out), execution rates, over-budget lines, unbudgeted spending and
the spending structure — on the page and from execution()."""

from decimal import Decimal

from jingshen.finance.execution import execution
from jingshen.finance.services import import_budget
from jingshen.ledger.importers.vouchers import import_vouchers
from tests.finance.charts import chart_data
from tests.finance.test_budget_import import write as write_budget
from tests.ledger.conftest import line, voucher, write

BUDGET = [
    ["401", "会费收入", "1,000.00", "10,000.00", ""],
    ["", "本年收入合计", "1,000.00", "10,000.00", ""],
    ["501", "职工活动支出", "800.00", "5,000.00", ""],
    ["50102", "文体活动费", "800.00", "5,000.00", ""],
    ["502", "维权支出", "200.00", "5,000.00", ""],
    ["50205", "送温暖费", "200.00", "5,000.00", ""],
]


def year_of_vouchers(tmp_path):
    rows = []
    rows += voucher(1, date="2021-01-05", amount="6000.00", debit_code="50102")  # over the 5,000 budget
    rows += voucher(2, date="2021-02-05", amount="2500.00", debit_code="50205")
    rows += voucher(3, date="2021-03-05", amount="500.00", debit_code="50401", summary="办公用品")  # 504 not budgeted
    rows += voucher(4, date="2021-03-06", amount="300.00", debit_code="50102", credit_code="50102", summary="冲销")
    rows += [line(year="2021", period="4", date="2021-04-01", no="5", line_no="1", summary="收会费", code="102", name="银行存款",
                  debit="8000.00"),
             line(year="2021", period="4", date="2021-04-01", no="5", line_no="2", summary="收会费", code="401", name="会费收入",
                  credit="8000.00")]
    # the year-end closing: income and expense into 结余 (331); it must not cancel the year
    rows += [line(year="2021", period="12", date="2021-12-31", no="9", line_no="1", summary="结转收入", code="401",
                  name="会费收入", debit="8000.00"),
             line(year="2021", period="12", date="2021-12-31", no="9", line_no="2", summary="结转收入", code="331", name="结余",
                  credit="8000.00"),
             line(year="2021", period="12", date="2021-12-31", no="10", line_no="1", summary="结转支出", code="331", name="结余",
                  debit="9000.00"),
             line(year="2021", period="12", date="2021-12-31", no="10", line_no="2", summary="结转支出", code="50102",
                  name="文体活动费", credit="6000.00"),
             line(year="2021", period="12", date="2021-12-31", no="10", line_no="3", summary="结转支出", code="50205",
                  name="送温暖费", credit="2500.00"),
             line(year="2021", period="12", date="2021-12-31", no="10", line_no="4", summary="结转支出", code="50401",
                  name="工资福利支出", credit="500.00")]
    for r in rows:
        r[1] = "2021"
    import_vouchers(write(tmp_path / "凭证2021.csv", rows))


def test_execution_against_the_vouchers(tmp_path, tree):
    budget = import_budget(write_budget(tmp_path, BUDGET), org=tree["A1X"], year=2021)
    before = execution(budget)
    assert before.dataset is None and all(r.actual == 0 for r in before.rows)
    year_of_vouchers(tmp_path)
    result = execution(budget)
    rows = {r.code: r for r in result.rows}
    assert result.closing_vouchers == 2
    assert rows["401"].actual == Decimal("8000.00") and rows["401"].rate == Decimal("80.0") and not rows["401"].over
    assert rows["50102"].actual == Decimal("6000.00") and rows["50102"].over and rows["50102"].difference == Decimal("1000.00")
    assert rows["501"].actual == Decimal("6000.00") and rows["501"].rate == Decimal("120.0")  # rolled up
    assert rows["502"].actual == Decimal("2500.00") and rows["502"].rate == Decimal("50.0") and not rows["502"].over
    assert [(r.code, r.actual) for r in result.unbudgeted] == [("504", Decimal("500.00"))]
    assert result.income == (Decimal("10000.00"), Decimal("8000.00"))
    assert result.expense == (Decimal("10000.00"), Decimal("9000.00"))
    structure = {p.label: p for p in result.structure}
    assert structure["职工活动支出"].actual_share == Decimal("66.7") and structure["职工活动支出"].budget_share == Decimal("50.0")
    assert structure["行政支出"].actual == Decimal("500.00") and structure["行政支出"].budget == 0
    assert [r.code for r in result.over_budget] == ["501", "50102"]


def test_the_budget_page_shows_execution(client_for, tmp_path, tree):
    budget = import_budget(write_budget(tmp_path, BUDGET), org=tree["A1X"], year=2021)
    client = client_for("a_auditor")
    empty = client.get(f"/finance/budgets/{budget.pk}/").content.decode()
    assert "尚未导入该单位 2021 年的凭证" in empty
    year_of_vouchers(tmp_path)
    page = client.get(f"/finance/budgets/{budget.pk}/").content.decode()
    assert "不含 2 张涉及“结余”科目的年终结转凭证" in page
    assert "超预算 1,000.00" in page and "120.0%" in page and "66.7%" in page
    assert "预算表未列示的支出" in page and "500.00" in page
    lines = chart_data(page, "execution-data")
    assert lines["categories"] == ["401 会费收入", "501 职工活动支出", "502 维权支出"] and lines["horizontal"]
    assert [s["name"] for s in lines["series"]] == ["预算数", "本年实际数"] and lines["series"][1]["data"] == [8000.0, 6000.0, 2500.0]
    assert "structure-data" in page and "execution-data" not in empty
