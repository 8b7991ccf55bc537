"""工会事业单位 budget compliance: spending without a budget line, adjustments listed (their approval is
recorded nowhere, and the page says so), ring-fenced lines under-spent while others overspend —
from compliance() and on the page, in the user's scope only."""

from decimal import Decimal

import pytest

from jingshen.finance.compliance import compliance
from jingshen.finance.services import import_budget
from jingshen.orgs.models import Kind, Org
from tests.finance.test_budget_import import write as write_budget
from tests.finance.test_execution import year_of_vouchers

HEADER = ["科目编号", "名称", "上年决算数", "本年预算数", "调整预算数"]
# 文体活动费 raised from 5,000 to 5,500 during the year, and still overspent (6,000); 送温暖费 spent
# 2,500 of 5,000; 504 spent on without a line
BUDGET = [
    ["401", "会费收入", "1,000.00", "10,000.00", ""],
    ["", "本年收入合计", "1,000.00", "10,000.00", ""],
    ["501", "职工活动支出", "800.00", "5,000.00", "5,500.00"],
    ["50102", "文体活动费", "800.00", "5,000.00", "5,500.00"],
    ["502", "维权支出", "200.00", "5,000.00", ""],
    ["50205", "送温暖费", "200.00", "5,000.00", ""],
]


@pytest.fixture
def institution(tree, tmp_path):
    Org.objects.filter(code="A1X").update(kind=Kind.INSTITUTION)
    org = Org.objects.get(code="A1X")
    budget = import_budget(write_budget(tmp_path, BUDGET, header=HEADER), org=org, year=2021)
    year_of_vouchers(tmp_path)
    return budget


def test_the_indicators(institution):
    result = compliance(institution)
    assert [(r.code, r.actual) for r in result.run.unbudgeted] == [("504", Decimal("500.00"))]
    assert result.unbudgeted_total == Decimal("500.00")
    assert [(a.code, a.amount, a.adjusted, a.change) for a in result.adjustments] == [
        ("501", Decimal("5000.00"), Decimal("5500.00"), Decimal("500.00")),
        ("50102", Decimal("5000.00"), Decimal("5500.00"), Decimal("500.00"))]
    assert [r.code for r in result.ring_fenced] == ["50205"]
    assert [r.code for r in result.others_over] == ["501", "50102"]  # 502 holds 送温暖费: not "other" spending
    assert [(r.code, r.budget, r.actual) for r in result.ring_fenced_under] == [("50205", Decimal("5000.00"), Decimal("2500.00"))]
    assert result.problems == 4


def test_ring_fenced_under_spending_alone_is_not_flagged(tree, tmp_path):
    rows = [r[:4] + [""] for r in BUDGET]
    rows[2][3] = rows[3][3] = "7,000.00"  # 文体活动费 within its budget now
    rows[0][3] = rows[1][3] = "12,000.00"
    budget = import_budget(write_budget(tmp_path, rows, header=HEADER), org=tree["A1X"], year=2021)
    year_of_vouchers(tmp_path)
    result = compliance(budget)
    assert result.adjustments == [] and result.others_over == [] and result.ring_fenced_under == []


def test_the_page(institution, client_for):
    page = client_for("prov_director").get("/finance/institutions/?year=2021").content.decode()
    assert "甲市一区电子公司工会委员会" in page and "504" in page and "500.00" in page
    assert "5,000.00 → 5,500.00（+500.00）" in page and "专项未用足而其他科目超预算" in page
    assert "预算调整是否经过审批，平台中没有记录" in page
    assert f"/finance/budgets/{institution.pk}/" in page
    # the default year is the latest with a budget; another year without one says so
    assert "专项未用足而其他科目超预算" in client_for("a_auditor").get("/finance/institutions/").content.decode()
    assert "未导入 2020 年预算" in client_for("a_auditor").get("/finance/institutions/?year=2020").content.decode()
    # the other branch sees neither the unit nor its figures
    other = client_for("b_auditor").get("/finance/institutions/?year=2021").content.decode()
    assert "甲市一区电子公司" not in other and "没有单位性质为“事业单位”的单位" in other
    foreign = client_for("b_auditor").get("/finance/institutions/?org=A1X&year=2021").content.decode()
    assert "不存在或不在您的查看范围内" in foreign and "甲市一区电子公司" not in foreign


@pytest.mark.parametrize("query", ["year=abc", "year=0", "page=-1", "page=99999999999", "org=<script>alert(1)</script>",
                                   "org=" + "x" * 500])
def test_hostile_query_parameters(institution, client_for, query):
    response = client_for("a_auditor").get(f"/finance/institutions/?{query}")
    assert response.status_code == 200 and "<script>alert(1)</script>" not in response.content.decode()
