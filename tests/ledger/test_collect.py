"""The 数据采集 page: upload → background import → result or error report; templates;
datasets and quality reports; account-role confirmation; all within the user's scope."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import override_settings

from jingshen.activity.models import ActivityLog
from jingshen.ledger.models import Account, Dataset, ImportJob, JobStatus, RoleStatus
from tests.ledger.conftest import line, voucher, write


def upload(client, path, **fields):
    data = {"kind": "vouchers", "org": "", "fiscal_year": "", **fields}
    with open(path, "rb") as fh:
        data["file"] = SimpleUploadedFile(path.name, fh.read())
    return client.post("/collect/", data)


def test_upload_runs_the_import_and_shows_the_result(client_for, tmp_path):
    client = client_for("a_auditor")
    path = write(tmp_path / "凭证.csv", voucher(1) + voucher(2))
    response = upload(client, path)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/collect/jobs/{job.pk}/"
    assert job.status == JobStatus.DONE and job.progress == 1.0
    assert job.datasets.get().rows == 4
    assert job.file.read().startswith(b"\xef\xbb\xbf") and len(job.sha256) == 64  # the source is kept
    html = client.get(response["Location"]).content.decode()
    assert "已完成" in html and "共 4 行凭证分录" in html
    assert ActivityLog.objects.filter(action="ledger.upload").exists()
    index = client.get("/collect/").content.decode()
    assert "凭证.csv" in index and "第 1 版" in index


def test_refused_file_shows_every_error_with_row_and_column(client_for, tmp_path):
    client = client_for("a_auditor")
    path = write(tmp_path / "坏.csv", voucher(1) + [line(no="2", debit="12元"), line(no="3", date="2025-02-30", debit="1")])
    upload(client, path)
    job = ImportJob.objects.get()
    assert job.status == JobStatus.FAILED and job.error_total == 2
    html = client.get(f"/collect/jobs/{job.pk}/").content.decode()
    assert "文件被拒绝，系统中的数据未做任何改动。" in html
    assert "<td class=\"num\">4</td><td>借方金额</td><td class=\"code\">12元</td><td>金额无法识别。</td>" in html
    assert "2025-02-30" in html
    assert not Dataset.objects.exists()
    # the upload and its refusal are both in the activity log, by the uploader
    logged = ActivityLog.objects.filter(object_id=str(job.pk), object_type="ledger.importjob").order_by("seq")
    assert [e.action for e in logged] == ["ledger.upload", "ledger.job_failed"]
    assert logged[1].actor.username == "a_auditor" and logged[1].details["errors"] == 2


def test_skip_bad_rows_checkbox(client_for, tmp_path):
    client = client_for("a_auditor")
    path = write(tmp_path / "部分.csv", voucher(1) + [line(no="2", debit="abc")])
    upload(client, path, skip_bad_rows="on")
    job = ImportJob.objects.get()
    assert job.status == JobStatus.DONE and job.error_total == 1
    assert Dataset.objects.get().status == "partial"
    assert "被拒绝的行" in client.get(f"/collect/jobs/{job.pk}/").content.decode()


def test_rows_of_units_outside_scope_are_refused(client_for, tmp_path):
    client = client_for("a_auditor")
    path = write(tmp_path / "越权.csv", voucher(1, org="B1X"))
    upload(client, path)
    job = ImportJob.objects.get()
    assert job.status == JobStatus.FAILED
    assert job.errors[0]["reason"] == "单位编码不存在，或不在您的导入权限范围内。"


def test_contact_imports_only_own_unit_and_leader_cannot_import(client_for, tmp_path):
    contact = client_for("contact")
    assert upload(contact, write(tmp_path / "本单位.csv", voucher(1, org="A1X"))).status_code == 302
    assert ImportJob.objects.get().status == JobStatus.DONE
    # a leader reads but does not import: the upload is refused like a page that is not there
    response = upload(client_for("leader"), write(tmp_path / "x.csv", voucher(1)))
    assert response.status_code == 404 and ImportJob.objects.count() == 1
    assert 'name="file"' not in client_for("leader").get("/collect/").content.decode()  # and is offered no form


def test_other_branch_cannot_see_jobs_or_datasets(client_for, tmp_path):
    upload(client_for("a_auditor"), write(tmp_path / "v.csv", voucher(1)))
    job, ds = ImportJob.objects.get(), Dataset.objects.get()
    b = client_for("b_auditor")
    assert b.get(f"/collect/jobs/{job.pk}/").status_code == 404
    assert b.get(f"/collect/datasets/{ds.pk}/").status_code == 404
    assert "v.csv" not in b.get("/collect/").content.decode()


def test_empty_upload_is_refused_by_the_form(client_for, tmp_path):
    path = tmp_path / "空.csv"
    path.write_bytes(b"")
    response = upload(client_for("a_auditor"), path)
    assert response.status_code == 200
    assert "提交的是空文件。" in response.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("kind,first,notes_row", [
    ("vouchers", "单位编码", ("借方金额", "是")),
    ("balances", "单位编码", ("余额方向", "是")),
    ("accounts", "科目编码", ("上级科目编码", "否")),
])
def test_templates_download_with_explanations(client_for, kind, first, notes_row):
    response = client_for("a_auditor").get(f"/collect/templates/{kind}/")
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["数据", "说明"]
    assert book["数据"]["A1"].value == first
    notes = {row[0]: row[1] for row in book["说明"].iter_rows(min_row=2, values_only=True) if row[0]}
    assert notes[notes_row[0]] == notes_row[1]
    assert ActivityLog.objects.get(action="download").summary.startswith("下载标准模板「")


def test_template_files_import_as_they_are(tree, client_for, tmp_path):
    """The example rows of the downloaded template import cleanly once the unit code is ours."""
    content = client_for("a_auditor").get("/collect/templates/vouchers/").content
    book = openpyxl.load_workbook(io.BytesIO(content))
    for row in book["数据"].iter_rows(min_row=2):
        row[0].value = "A1X"
    path = tmp_path / "模板.xlsx"
    book.save(path)
    upload(client_for("a_auditor"), path)
    assert ImportJob.objects.get().status == JobStatus.DONE, ImportJob.objects.get().errors


def test_quality_report_page(client_for, tmp_path):
    rows = voucher(1) + voucher(3)
    rows[1][11] = "1000.00"
    upload(client_for("a_auditor"), write(tmp_path / "q.csv", rows))
    ds = Dataset.objects.get()
    html = client_for("a_auditor").get(f"/collect/datasets/{ds.pk}/").content.decode()
    assert "借贷不平衡的凭证 1" in html and "凭证断号 1" in html
    assert "第 1 期「记」字凭证缺号：2。" in html
    html = client_for("a_auditor").get(f"/collect/datasets/{ds.pk}/?issue=voucher_gap").content.decode()
    assert "缺号" in html and "借方合计" not in html


def test_role_confirmation(client_for, tree, tmp_path):
    from jingshen.cli import main
    from tests.conftest import write_csv

    path = write_csv(tmp_path / "c.csv", [["5010299", "其他文体", "支出", "借", ""], ["1009", "零星款项", "资产", "借", ""]],
                     header=["科目编码", "科目名称", "科目类别", "余额方向", "上级科目编码"])
    main(["import", "accounts", str(path), "--org", "A1X"])
    client = client_for("a_auditor")
    html = client.get("/collect/charts/A1X/").content.decode()
    assert "零星款项" in html and "未设置" in html
    response = client.post("/collect/charts/A1X/confirm/", {"role-1009": "cash", "role-5010299": "expense-culture-sports",
                                                             "role-101": "bank"})
    assert response.status_code == 302
    own = {a.code: (a.role, a.role_status) for a in Account.objects.filter(chart__org__code="A1X")}
    assert own["1009"] == ("cash", RoleStatus.CONFIRMED)
    assert own["101"] == ("bank", RoleStatus.CONFIRMED)  # a unit-level override of the standard chart
    assert client_for("b_auditor").get("/collect/charts/A1X/").status_code == 404
    assert client.post("/collect/charts/A1X/confirm/", {"role-1009": "nonsense"}).status_code == 302
    assert Account.objects.get(chart__org__code="A1X", code="1009").role == "cash"


@pytest.mark.django_db(transaction=True)
def test_database_queue_and_worker(personas, client_for, tmp_path):
    """In production the upload is queued and the worker (started by `jingshen serve`) runs it."""
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        upload(client_for("a_auditor"), write(tmp_path / "队列.csv", voucher(1)))
        job = ImportJob.objects.get()
        assert job.status == JobStatus.QUEUED
        html = client_for("a_auditor").get(f"/collect/jobs/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
        assert 'hx-trigger="every 1s"' in html and "排队" in html
        call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.datasets.get().rows == 2


def test_unrecognised_layout_is_mapped_once_and_reused(client_for, tmp_path):
    header = ["单据日期", "单据号", "说明", "账户", "收入", "支出", "经办"]
    rows = [["2025-04-01", "7", "购买慰问品", "50205", "300.00", "", "张伟"],
            ["2025-04-01", "7", "购买慰问品", "102", "", "300.00", "张伟"]]
    path = write(tmp_path / "某软件导出.csv", rows, header=header)
    client = client_for("a_auditor")
    upload(client, path, org="A1X")
    failed = ImportJob.objects.get()
    assert failed.status == JobStatus.FAILED
    page = client.get(f"/collect/jobs/{failed.pk}/").content.decode()
    assert f"/collect/jobs/{failed.pk}/mapping/" in page
    html = client.get(f"/collect/jobs/{failed.pk}/mapping/").content.decode()
    assert "单据日期" in html and "购买慰问品" in html
    choice = {"field-凭证日期": "单据日期", "field-凭证号": "单据号", "field-摘要": "说明", "field-科目编码": "账户",
              "field-借方金额": "收入", "field-贷方金额": "支出", "field-制单人": "经办"}
    response = client.post(f"/collect/jobs/{failed.pk}/mapping/", {**choice, "field-借方金额": "", "name": "某软件"})
    assert response.status_code == 200 and "以下必需的列还没有对应" in response.content.decode()
    response = client.post(f"/collect/jobs/{failed.pk}/mapping/", {**choice, "name": "某软件"})
    retried = ImportJob.objects.exclude(pk=failed.pk).get()
    assert response["Location"] == f"/collect/jobs/{retried.pk}/"
    assert retried.status == JobStatus.DONE, retried.errors
    assert Dataset.objects.get().rows == 2
    # the next file of that layout imports directly with the saved template
    mapping = retried.mapping
    upload(client, write(tmp_path / "下个月.csv", [[r[0].replace("04", "05"), *r[1:]] for r in rows], header=header),
           org="A1X", mapping=str(mapping.pk))
    assert ImportJob.objects.order_by("-pk").first().status == JobStatus.DONE
    # another branch neither sees the template nor the job
    assert client_for("b_auditor").get(f"/collect/jobs/{failed.pk}/mapping/").status_code == 404


def test_cli_uses_a_saved_mapping_by_name(personas, tmp_path, capsys):
    from jingshen.cli import main
    from jingshen.ledger import services

    services.save_mapping(personas["a_auditor"], name="某软件", kind="vouchers",
                         mapping={"凭证日期": "单据日期", "凭证号": "单据号", "科目编码": "账户", "借方金额": "收入",
                                  "贷方金额": "支出"})
    path = write(tmp_path / "x.csv", [["2025-04-01", "7", "50205", "300.00", ""], ["2025-04-01", "7", "102", "", "300.00"]],
                 header=["单据日期", "单据号", "账户", "收入", "支出"])
    assert main(["import", "vouchers", str(path), "--org", "A1X", "--mapping", "某软件"]) == 0
    assert main(["import", "vouchers", str(path), "--org", "A1X", "--mapping", "没有这个"]) == 1
    assert "没有名为「没有这个」的凭证转换模板。" in capsys.readouterr().err
