"""往期审计记录: entered on the form, imported from CSV/XLSX on the page and with
``jingshen import prior-audits``; bad files refused whole with file, row and column; a unit outside
the user's scope is an error; repeated rows are skipped; delete is logged; coverage counts them."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from jingshen.accounts.models import RoleCode
from jingshen.activity.models import ActivityLog
from jingshen.admin_center import services
from jingshen.admin_center.coverage import with_last_audited
from jingshen.admin_center.models import PriorAudit
from jingshen.audits.models import AuditType
from jingshen.orgs import scope
from jingshen.orgs.models import Org
from jingshen.tabular import TableError
from tests.conftest import make_user

HEADER = "单位编码,审计年度,审计类型,报告文号,审计单位编码\n"


@pytest.fixture
def a_director(personas):
    return make_user("A", "a_director", RoleCode.DIRECTOR)


def csv_file(tmp_path, body: str, name="往期审计.csv", encoding="utf-8-sig"):
    path = tmp_path / name
    path.write_text(HEADER + body, encoding=encoding)
    return path


def test_who_records_prior_audits(personas, a_director, tree):
    assert scope.can(a_director, scope.PRIOR_AUDIT, tree["A1X"])  # the whole subtree
    assert scope.can(personas["a_lead"], scope.PRIOR_AUDIT, tree["A1"])
    assert not scope.can(a_director, scope.PRIOR_AUDIT, tree["B1"])
    for name in ("a_auditor", "leader", "prov_admin", "contact"):
        assert not scope.may(personas[name], scope.PRIOR_AUDIT), name


def test_enter_one_on_the_form(client, a_director, tree):
    client.force_login(a_director)
    finance = AuditType.objects.get(name="财务收支审计")
    data = {"org": "A1X", "year": "2023", "audit_type": str(finance.pk), "report_no": "甲审〔2023〕5号", "auditor_org": "A1"}
    assert client.post("/manage/prior-audits/new/", data).status_code == 302
    prior = PriorAudit.objects.get()
    assert (prior.org, prior.year, prior.audit_type, prior.auditor_org, prior.source) == (tree["A1X"], 2023, finance, tree["A1"], "entered")
    assert ActivityLog.objects.get(action="admin_center.prior_add").after["报告文号"] == "甲审〔2023〕5号"
    again = client.post("/manage/prior-audits/new/", data)
    assert again.status_code == 200 and "已有记录" in again.content.decode() and PriorAudit.objects.count() == 1
    future = client.post("/manage/prior-audits/new/", data | {"year": str(datetime.date.today().year + 1), "report_no": "x"})
    assert "审计年度应在 1990 年至今年之间" in future.content.decode() and PriorAudit.objects.count() == 1
    foreign_auditor = client.post("/manage/prior-audits/new/", data | {"report_no": "y", "auditor_org": "B1"})
    assert "审计单位不存在或不在您的查看范围内" in foreign_auditor.content.decode() and PriorAudit.objects.count() == 1
    assert client.post("/manage/prior-audits/new/", data | {"org": "B1X"}).status_code == 404
    assert PriorAudit.objects.count() == 1
    # and coverage counts it
    assert with_last_audited(Org.objects.filter(code="A1X")).get().last_audited == 2023


def test_import_a_good_file_then_the_same_file_again(a_director, tree, tmp_path):
    path = csv_file(tmp_path, "A1,2022,财务收支审计,甲审〔2022〕1号,A\nA1X,2021年,经济责任审计,,A1\nA2,2024,专项审计,,\n"
                               "A2,2024,专项审计,,\n")
    result = services.import_prior_audits(a_director, path)
    assert result.created == 3 and result.skipped == [5]  # the repeated row is skipped, and said so
    assert "跳过与已有记录或前面行重复的 1 行" in result.summary()
    assert set(PriorAudit.objects.values_list("org__code", "year", "source")) == {
        ("A1", 2022, "imported"), ("A1X", 2021, "imported"), ("A2", 2024, "imported")}
    entry = ActivityLog.objects.get(action="admin_center.prior_import")
    assert entry.actor == a_director and entry.details["created"] == 3
    again = services.import_prior_audits(a_director, path)
    assert again.created == 0 and again.skipped == [2, 3, 4, 5] and PriorAudit.objects.count() == 3
    assert ActivityLog.objects.filter(action="admin_center.prior_import").count() == 1  # nothing new, nothing logged


def test_import_xlsx(a_director, tree, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["往期审计记录"])  # a title row above the header
    ws.append(["单位编码", "审计年度", "审计类型", "报告文号", "审计单位编码"])
    ws.append(["A1", 2020, "财务收支审计", "甲审〔2020〕3号", "A"])
    path = tmp_path / "往期.xlsx"
    wb.save(path)
    assert services.import_prior_audits(a_director, path).created == 1
    assert PriorAudit.objects.get().year == 2020


def test_a_bad_file_names_file_row_and_column_and_writes_nothing(a_director, tree, tmp_path):
    path = csv_file(tmp_path, "A1,2022,财务收支审计,,\n"  # good
                               "B1,2022,财务收支审计,,\n"  # a unit of the other branch
                               "NOPE,2022,财务收支审计,,\n"  # no such unit: the same words
                               "A2,1899,财务收支审计,,\n"
                               "A2,abc,财务收支审计,,\n"
                               "A1X,2022,年度审计,,\n"
                               "A1X,2022,财务收支审计,,B1\n"
                               ",2022,财务收支审计,,\n", name="坏文件.csv")
    with pytest.raises(TableError) as refused:
        services.import_prior_audits(a_director, path)
    errors = [str(e) for e in refused.value.errors]
    assert errors[0] == "文件「坏文件.csv」第 3 行「单位编码」列（值“B1”）：单位编码不存在或不在您录入往期审计记录的范围内。"
    assert errors[1] == "文件「坏文件.csv」第 4 行「单位编码」列（值“NOPE”）：单位编码不存在或不在您录入往期审计记录的范围内。"
    assert "第 5 行「审计年度」列（值“1899”）" in errors[2] and "第 6 行「审计年度」列（值“abc”）" in errors[3]
    assert "第 7 行「审计类型」列（值“年度审计”）：未知的审计类型，应为：" in errors[4]
    assert "第 8 行「审计单位编码」列（值“B1”）：审计单位不存在或不在您的查看范围内。" in errors[5]
    assert "第 9 行「单位编码」列：单位编码不能为空。" in errors[6]
    assert not PriorAudit.objects.exists() and not ActivityLog.objects.filter(action="admin_center.prior_import").exists()


def test_missing_columns_empty_and_binary_files_are_refused(a_director, tree, tmp_path):
    missing = tmp_path / "缺列.csv"
    missing.write_text("单位编码,年份\nA1,2022\n", encoding="utf-8")
    with pytest.raises(TableError, match="缺少"):
        services.import_prior_audits(a_director, missing)
    empty = tmp_path / "空.csv"
    empty.write_bytes(b"")
    with pytest.raises(TableError, match="文件为空"):
        services.import_prior_audits(a_director, empty)
    binary = tmp_path / "图片.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    with pytest.raises(TableError):
        services.import_prior_audits(a_director, binary)
    gbk = csv_file(tmp_path, "A1,2022,财务收支审计,甲审〔2022〕1号,\n", name="gbk.csv", encoding="gb18030")
    assert services.import_prior_audits(a_director, gbk).created == 1


def test_import_on_the_page(client, a_director, tree):
    client.force_login(a_director)
    bad = SimpleUploadedFile("往期.csv", (HEADER + "B1X,2022,财务收支审计,,\n").encode())
    response = client.post("/manage/prior-audits/import/", {"file": bad})
    page = response.content.decode()
    assert response.status_code == 200 and "文件被拒绝，系统中的数据未做任何改动" in page
    assert "文件「往期.csv」第 2 行「单位编码」列（值“B1X”）" in page and not PriorAudit.objects.exists()
    good = SimpleUploadedFile("往期.csv", (HEADER + "A1X,2022,财务收支审计,,\n").encode())
    response = client.post("/manage/prior-audits/import/", {"file": good})
    assert response.status_code == 302 and PriorAudit.objects.count() == 1
    empty = client.post("/manage/prior-audits/import/", {"file": SimpleUploadedFile("空.csv", b"")})
    assert "为空（0 字节）" in empty.content.decode()
    assert client.get("/manage/prior-audits/import/").status_code == 200
    assert "A1X" in client.get("/manage/prior-audits/?year=2022").content.decode()


def test_list_and_delete_is_logged(client, client_for, a_director, tree, personas):
    prior = services.add_prior_audit(a_director, org=tree["A1"], year=2022, audit_type=AuditType.objects.first())
    reader = client_for("a_auditor")
    page = reader.get("/manage/prior-audits/").content.decode()
    assert "甲市一区总工会" in page and f"/manage/prior-audits/{prior.pk}/delete/" not in page
    assert reader.post(f"/manage/prior-audits/{prior.pk}/delete/").status_code == 404
    assert client_for("b_auditor").get("/manage/prior-audits/").content.decode().count("甲市一区总工会") == 0
    client.force_login(a_director)
    assert client.post(f"/manage/prior-audits/{prior.pk}/delete/").status_code == 302
    assert not PriorAudit.objects.exists()
    assert ActivityLog.objects.get(action="admin_center.prior_delete").before["审计年度"] == 2022


def test_the_command_imports_as_the_named_user(a_director, personas, tree, tmp_path, capsys):
    path = csv_file(tmp_path, "A1,2022,财务收支审计,,\n")
    call_command("import_prior_audits", str(path), "--by", "a_director")
    assert "导入完成：新增往期审计记录 1 条。" in capsys.readouterr().out
    assert PriorAudit.objects.get().created_by == a_director
    with pytest.raises(CommandError, match="文件被拒绝，系统中的数据未做任何改动"):  # 乙市's auditor: out of scope
        call_command("import_prior_audits", str(csv_file(tmp_path, "A2,2022,财务收支审计,,\n", name="b.csv")), "--by", "b_auditor")
    with pytest.raises(CommandError, match="用户「nobody」不存在或已停用"):
        call_command("import_prior_audits", str(path), "--by", "nobody")
    assert PriorAudit.objects.count() == 1
