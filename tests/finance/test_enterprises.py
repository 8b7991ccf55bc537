"""工会企业: the balance-sheet summary import (several enterprises in one file, the importer's scope
only, enterprises only, refused whole on any bad row, a new version only when a figure changes),
资产保值增值率 with and without 客观因素, and the indicators page (scope, threshold, sorting,
hostile parameters, XLSX export, empty state)."""

import io
from decimal import Decimal

import pytest

from tests.finance.charts import chart_data
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from jingshen.activity.models import ActivityLog
from jingshen.finance.models import EnterpriseSummary
from jingshen.finance.services import import_enterprises
from jingshen.orgs.models import Kind, Org
from jingshen.tabular import TableError

HEADER = "单位编码,会计年度,所有者权益年初数,所有者权益年末数,净利润,客观因素影响额,工会资本年初数,工会资本年末数\n"


@pytest.fixture
def firms(tree):
    """A1X and B1X are union enterprises here (the shared tree has them as 基层工会)."""
    Org.objects.filter(code__in=["A1X", "B1X"]).update(kind=Kind.ENTERPRISE)
    return {o.code: o for o in Org.objects.all()}


def summary_file(tmp_path, body, name="企业财务摘要.csv", header=HEADER):
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8-sig")
    return path


def test_the_rate_with_and_without_objective_factors():
    plain = EnterpriseSummary(equity_opening=Decimal("1000000.00"), equity_closing=Decimal("1080000.00"), net_profit=Decimal("80000"))
    assert plain.rate == Decimal("108.00")
    # 300,000 of the closing equity is the owner's capital injection: left out, the enterprise lost equity
    injected = EnterpriseSummary(equity_opening=Decimal("1000000.00"), equity_closing=Decimal("1080000.00"),
                                 net_profit=Decimal("-220000"), objective_factors=Decimal("300000.00"))
    assert injected.rate == Decimal("78.00")
    # a withdrawal by the owner (negative factor) is added back
    withdrawn = EnterpriseSummary(equity_opening=Decimal("3000000.00"), equity_closing=Decimal("2900000.00"),
                                  net_profit=Decimal("50000"), objective_factors=Decimal("-150000.00"))
    assert withdrawn.rate == Decimal("101.67")


def test_import_versions_and_the_log(tmp_path, firms, personas):
    body = "A1X,2025,\"1,000,000.00\",1080000,80000,,500000,520000\nB1X,2025年,2000000,1900000,-100000,,,\n"
    result = import_enterprises(None, summary_file(tmp_path, body))
    assert len(result.created) == 2 and result.unchanged == 0
    a = EnterpriseSummary.objects.get(org__code="A1X")
    assert (a.equity_opening, a.union_capital_closing, a.objective_factors, a.rate) == (
        Decimal("1000000.00"), Decimal("520000.00"), None, Decimal("108.00"))
    again = import_enterprises(personas["a_auditor"], summary_file(tmp_path, body.splitlines()[0] + "\n"))
    assert again.created == [] and again.unchanged == 1 and "1 行与已有数据相同" in again.summary()
    changed = import_enterprises(personas["a_auditor"], summary_file(tmp_path, "A1X,2025,1000000,1080000,80000,100000,500000,520000\n"))
    latest = changed.created[0]
    assert (latest.version, latest.objective_factors, latest.rate) == (2, Decimal("100000.00"), Decimal("98.00"))
    entry = ActivityLog.objects.filter(action="finance.enterprise_import").order_by("-seq").first()
    assert entry.actor == personas["a_auditor"] and entry.before["客观因素影响额"] is None
    assert entry.after["客观因素影响额"] == "100000.00" and "资产保值增值率 98.00%" in entry.summary


def test_bad_rows_refuse_the_whole_file(tmp_path, firms, personas):
    body = ("A1X,2025,1000000,1080000,80000,,,\n"     # row 2: good
            "B1X,2025,1000000,1080000,80000,,,\n"     # 3: outside a_auditor's scope
            "NOPE,2025,1,1,1,,,\n"                    # 4: unknown
            "A1,2025,1000000,1080000,80000,,,\n"      # 5: a 工会机关, not an enterprise
            "A1X,1980,1000000,1080000,80000,,,\n"     # 6: bad year
            "A1X,2024,-500000,100000,600000,,,\n"     # 7: negative opening equity
            "A1X,2023,0,100000,100000,,,\n"           # 8: nil opening equity
            "A1X,2022,abc,100000,1,,,\n"              # 9: not an amount
            "A1X,2021,100,,1,,,\n"                    # 10: closing equity missing
            "A1X,2025,1,1,0,,,\n")                    # 11: the same unit-year as row 2
    with pytest.raises(TableError) as exc:
        import_enterprises(personas["a_auditor"], summary_file(tmp_path, body))
    report = exc.value.report()
    assert "第 3 行「单位编码」列（值“B1X”）：单位编码不存在或不在您导入数据的范围内" in report
    assert "第 4 行「单位编码」列（值“NOPE”）：单位编码不存在或不在您导入数据的范围内" in report
    assert "第 5 行「单位编码」列（值“A1”）：「甲市一区总工会」的单位性质为“工会机关”，不是工会企业" in report
    assert "第 6 行「会计年度」列（值“1980”）" in report
    assert "第 7 行「所有者权益年初数」列（值“-500000”）：年初所有者权益为零或负数（资不抵债）时，资产保值增值率" in report
    assert "第 8 行「所有者权益年初数」列（值“0”）：年初所有者权益为零或负数" in report
    assert "第 9 行「所有者权益年初数」列（值“abc”）：应为金额" in report
    assert "第 10 行「所有者权益年末数」列：所有者权益年末数不能为空" in report
    assert "第 11 行「单位编码」列（值“A1X”）：与第 2 行是同一单位同一年度" in report
    assert "第 2 行「" not in report  # the good row is not blamed
    assert not EnterpriseSummary.objects.exists() and not ActivityLog.objects.filter(action="finance.enterprise_import").exists()


def test_the_minimal_columns_and_a_missing_required_column(tmp_path, firms):
    minimal = "单位编码,年度,年初所有者权益,年末所有者权益,本年净利润\n"
    import_enterprises(None, summary_file(tmp_path, "A1X,2025,100,90,-10\n", header=minimal))
    assert EnterpriseSummary.objects.get().rate == Decimal("90.00")
    with pytest.raises(TableError, match="净利润"):
        import_enterprises(None, summary_file(tmp_path, "A1X,2025,100,90\n", header="单位编码,会计年度,所有者权益年初数,所有者权益年末数\n"))


def test_the_command(tmp_path, firms, personas, capsys):
    path = summary_file(tmp_path, "A1X,2025,1000000,1080000,80000,,,\n")
    with pytest.raises(CommandError, match="不在您导入数据的范围内"):
        call_command("import_enterprise", str(path), "--by", "b_auditor")
    call_command("import_enterprise", str(path), "--by", "a_auditor")
    assert "导入完成：新增或更新 1 个企业年度的财务摘要" in capsys.readouterr().out
    assert EnterpriseSummary.objects.get().imported_by == personas["a_auditor"]


def test_the_import_page(tmp_path, firms, client_for):
    client = client_for("a_auditor")
    assert client.get("/finance/enterprises/import/").status_code == 200
    upload = SimpleUploadedFile("企业.csv", (HEADER + "A1X,2025,1000000,950000,-50000,,,\n").encode("gbk"))
    assert client.post("/finance/enterprises/import/", {"file": upload}).status_code == 302
    refused = client.post("/finance/enterprises/import/",
                          {"file": SimpleUploadedFile("坏.csv", (HEADER + "A1,2025,1,1,1,,,\n").encode())}).content.decode()
    assert "文件被拒绝" in refused and "不是工会企业" in refused and EnterpriseSummary.objects.count() == 1
    assert "请选择要导入的文件" in client.post("/finance/enterprises/import/", {}).content.decode()
    assert client_for("leader").get("/finance/enterprises/import/").status_code == 404


def import_two_years(tmp_path):
    body = ("A1X,2025,1000000,950000,-50000,,,\n"
            "A1X,2024,900000,1000000,100000,,,\n"
            "B1X,2025,2000000,2500000,100000,300000,,\n")   # 110 %
    import_enterprises(None, summary_file(tmp_path, body))


def test_the_indicators_page_scope_threshold_and_sorting(tmp_path, firms, client_for):
    empty = client_for("a_auditor").get("/finance/enterprises/").content.decode()
    assert "尚未导入工会企业财务摘要" in empty and "导入企业财务摘要" in empty
    import_two_years(tmp_path)
    page = client_for("prov_director").get("/finance/enterprises/?year=2025").content.decode()
    assert "95.00%" in page and "110.00%" in page and "低于预警线" in page
    assert page.index("甲市一区电子公司") < page.index("乙市一区医院")  # lowest rate first
    assert 'id="below-count">1<' in page
    assert chart_data(page, "enterprise-data")["series"][0]["data"] == [95.0, 110.0]
    by_rate_desc = client_for("prov_director").get("/finance/enterprises/?year=2025&sort=-rate").content.decode()
    assert by_rate_desc.index("乙市一区医院") < by_rate_desc.index("甲市一区电子公司")
    raised = client_for("prov_director").get("/finance/enterprises/?year=2025&threshold=120").content.decode()
    assert 'id="below-count">2<' in raised
    # each branch sees its own enterprises only; the default year is the latest with data
    a_page = client_for("a_auditor").get("/finance/enterprises/").content.decode()
    assert "95.00%" in a_page and "乙市一区医院" not in a_page
    b_page = client_for("b_auditor").get("/finance/enterprises/?org=A1X").content.decode()
    assert "甲市一区电子公司" not in b_page and "不存在或不在您的查看范围内" in b_page
    earlier = client_for("a_auditor").get("/finance/enterprises/?year=2024").content.decode()
    assert "111.11%" in earlier and "95.00%" not in earlier
    none = client_for("a_auditor").get("/finance/enterprises/?year=2020").content.decode()
    assert "2020 年没有符合条件的企业财务摘要" in none
    assert "1 个工会企业尚未导入 2020 年财务摘要：甲市一区电子公司工会委员会（A1X）" in none
    assert "尚未导入" not in client_for("prov_director").get("/finance/enterprises/?year=2025").content.decode()


@pytest.mark.parametrize("query", ["year=abc", "year=99999", "threshold=NaN", "threshold=-1", "threshold=1e400", "sort=drop",
                                   "page=0", "page=99999999999", "org=" + "x" * 500, "org=<script>alert(1)</script>",
                                   "format=pdf", "threshold=<b>"])
def test_hostile_query_parameters(tmp_path, firms, client_for, query):
    import_two_years(tmp_path)
    response = client_for("a_auditor").get(f"/finance/enterprises/?{query}")
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert "<script>alert(1)</script>" not in response.content.decode()


def test_the_xlsx_export(tmp_path, firms, client_for):
    import_two_years(tmp_path)
    response = client_for("a_auditor").get("/finance/enterprises/?year=2025&format=xlsx")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert "2025 年工会企业资产保值增值率" in rows[0][0]
    data = [r for r in rows if r[0] == "A1X"]
    assert len(data) == 1 and data[0][2] == 1000000 and data[0][6] == 95 and data[0][7] == "低于预警线"
    assert not any(r[0] == "B1X" for r in rows)  # outside the scope
    assert ActivityLog.objects.filter(action="download", summary__contains="资产保值增值率-2025.xlsx").exists()
    # an invalid parameter never makes an export: back to the page
    assert client_for("a_auditor").get("/finance/enterprises/?year=abc&format=xlsx").status_code == 302


def test_the_collect_page_links_here(firms, client_for):
    page = client_for("a_auditor").get("/collect/").content.decode()
    assert "/finance/enterprises/" in page and "/finance/enterprises/import/" in page and "/finance/institutions/" in page
    leader = client_for("leader").get("/collect/").content.decode()
    assert "/finance/enterprises/import/" not in leader
