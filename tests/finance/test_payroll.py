"""工资总额 (the base of the 2 % remittance): imported for several units at once, in the importer's
scope only, refused whole on any bad row, a new version only when a figure changes."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from jingshen.activity.models import ActivityLog
from jingshen.finance.models import Payroll
from jingshen.finance.services import import_payroll
from jingshen.tabular import TableError

HEADER = "单位编码,会计年度,工资总额,职工人数\n"


def payroll_file(tmp_path, body, name="工资总额.csv"):
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8-sig")
    return path


def test_import_versions_and_the_log(tmp_path, tree, personas):
    body = "A1X,2025,\"6,000,000.00\",120\nA1,2025,1800000,30\n"
    result = import_payroll(personas["a_auditor"], payroll_file(tmp_path, body))
    assert len(result.created) == 2 and result.unchanged == 0
    assert Payroll.objects.get(org__code="A1X").total == Decimal("6000000.00")
    again = import_payroll(personas["a_auditor"], payroll_file(tmp_path, body))
    assert again.created == [] and again.unchanged == 2 and "2 行与已有数据相同" in again.summary()
    changed = import_payroll(None, payroll_file(tmp_path, "A1X,2025,6100000,121\n"))
    latest = changed.created[0]
    assert (latest.version, latest.total, latest.staff_count) == (2, Decimal("6100000.00"), 121)
    entry = ActivityLog.objects.filter(action="finance.payroll_import").order_by("-seq").first()
    assert entry.before == {"工资总额": "6000000.00", "职工人数": 120} and entry.after["职工人数"] == 121


def test_a_unit_outside_the_scope_and_bad_rows_refuse_the_file(tmp_path, tree, personas):
    body = ("A1X,2025,6000000,120\nB1X,2025,100,1\nNOPE,2025,1,1\nA1,1980,1,1\nA1,2025,-5,1\nA2,2025,abc,1\n"
            "A2,2024,1,十\nA1X,2025,1,1\n")
    with pytest.raises(TableError) as exc:
        import_payroll(personas["a_auditor"], payroll_file(tmp_path, body))
    report = exc.value.report()
    assert "第 3 行「单位编码」列（值“B1X”）：单位编码不存在或不在您导入数据的范围内" in report
    assert "第 4 行「单位编码」列（值“NOPE”）：单位编码不存在或不在您导入数据的范围内" in report
    assert "第 5 行「会计年度」列（值“1980”）" in report and "第 6 行「工资总额」列（值“-5”）：工资总额不能为空或负数" in report
    assert "第 7 行「工资总额」列（值“abc”）：应为金额" in report and "第 8 行「职工人数」列（值“十”）" in report
    assert "第 9 行「单位编码」列（值“A1X”）：与第 2 行是同一单位同一年度" in report
    assert not Payroll.objects.exists() and not ActivityLog.objects.filter(action="finance.payroll_import").exists()


def test_the_command_and_the_page(tmp_path, tree, personas, client_for, capsys):
    path = payroll_file(tmp_path, "A1X,2025,6000000,120\n")
    with pytest.raises(CommandError, match="不在您导入数据的范围内"):
        call_command("import_payroll", str(path), "--by", "b_auditor")
    call_command("import_payroll", str(path))
    assert "导入完成：新增或更新 1 个单位年度的工资总额" in capsys.readouterr().out
    client = client_for("a_auditor")
    upload = SimpleUploadedFile("工资.csv", (HEADER + "A1X,2025,6100000,\nA1,2025,1800000,30\n").encode("gbk"))
    assert client.post("/finance/payroll/import/", {"file": upload}).status_code == 302
    page = client.get("/finance/payroll/?org=A1").content.decode()
    assert "6,100,000.00" in page and "6,000,000.00" not in page and "第 2 版" in page and "1,800,000.00" in page
    refused = client.post("/finance/payroll/import/", {"file": SimpleUploadedFile("坏.csv", (HEADER + "B1X,2025,1,1\n").encode())})
    assert "文件被拒绝" in refused.content.decode() and Payroll.objects.count() == 3
    assert "尚未导入工资总额" in client_for("b_auditor").get("/finance/payroll/").content.decode()
    assert client_for("leader").get("/finance/payroll/import/").status_code == 404
