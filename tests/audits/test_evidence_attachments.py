"""Evidence on flag verifications and findings (not only on workpapers), and removing evidence:
who may, with a reason, logged, a change after review on a signed-off workpaper, refused once
the project is archived; the archive package files each file under what it is attached to."""

import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from jingshen.activity.models import ActivityLog
from jingshen.audits import findings, workpapers
from jingshen.audits.models import ArchivedError, AuditProject, Evidence, ProblemType, Stage, WorkpaperStatus, WorkpaperVersion
from jingshen.cli import main
from tests.audits.test_evidence import PDF
from tests.audits.test_findings import work  # noqa: F401 (a fixture)
from tests.audits.test_projects import team  # noqa: F401 (a fixture)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(tmp_path):
    with override_settings(MEDIA_ROOT=str(tmp_path / "files")):
        yield tmp_path / "files"


@pytest.fixture
def confirmed(work):
    """A 属实 verification of the first flag and a finding made from it."""
    project = work["project"]
    v = findings.verify(work["lead"], project, "confirmed", note="已核对原始发票", flag=work["flags"][0])
    finding = findings.save_finding(work["auditor"], project, problem_type=ProblemType.objects.get(name="违规发放"),
                                    org=project.units.get().org, title="以现金发放购物卡", amount="1200",
                                    description="以现金购买购物卡发放职工。", verifications=[v])
    return work | {"verification": v, "finding": finding}


def test_evidence_on_a_verification_and_a_finding_through_the_pages(confirmed, client, media, tmp_path):
    project, v, finding = confirmed["project"], confirmed["verification"], confirmed["finding"]
    client.force_login(confirmed["auditor"])
    page = client.post(f"/audits/{project.pk}/verifications/{v.pk}/evidence/",
                       {"file": SimpleUploadedFile("发票.pdf", PDF), "description": "购物卡发票"}, follow=True).content.decode()
    assert "已上传取证材料「发票.pdf」（PDF 文档）" in page and "购物卡发票" in page
    page = client.post(f"/audits/{project.pk}/findings/{finding.pk}/evidence/",
                       {"file": SimpleUploadedFile("签收表.pdf", PDF + b"%2")}, follow=True).content.decode()
    assert "已上传取证材料「签收表.pdf」" in page
    on_v, on_f = Evidence.objects.get(verification=v), Evidence.objects.get(finding=finding)
    assert on_v.workpaper is None and on_f.workpaper is None and on_f.verification is None
    assert "签收表.pdf" in client.get(f"/audits/{project.pk}/findings/{finding.pk}/").content.decode()
    assert client.get(f"/audits/{project.pk}/evidence/{on_v.pk}/").status_code == 200
    entry = ActivityLog.objects.filter(action="audits.evidence_add").order_by("seq").first()
    assert entry.details["verification"] == v.pk and "疑点核实" in entry.summary
    # an executable is refused here as on a workpaper
    page = client.post(f"/audits/{project.pk}/findings/{finding.pk}/evidence/",
                       {"file": SimpleUploadedFile("照片.png", b"MZ" + b"\x00" * 100)}, follow=True).content.decode()
    assert "不是 PNG 图片：不能作为证据上传" in page and Evidence.objects.count() == 2
    # the archive package files them under the verification and the finding
    out = tmp_path / "归档.zip"
    assert main(["audits", "export", project.code, "--output", str(out)]) == 0
    with zipfile.ZipFile(out) as archive:
        paths = {e["path"] for e in json.loads(archive.read("manifest.json"))["files"]}
        assert f"evidence/疑点核实/{v.pk}-JS-CASH-001-2025-记-1/{on_v.pk}-发票.pdf" in paths
        assert f"evidence/审计发现/{finding.pk}/{on_f.pk}-签收表.pdf" in paths
        assert archive.read(f"evidence/审计发现/{finding.pk}/{on_f.pk}-签收表.pdf") == PDF + b"%2"


def test_removing_evidence_needs_the_uploader_or_a_reviewer_and_a_reason(confirmed, client):
    project, finding = confirmed["project"], confirmed["finding"]
    item = workpapers.add_evidence(confirmed["auditor"], finding, SimpleUploadedFile("签收表.pdf", PDF))
    with pytest.raises(PermissionError, match="上传人或项目的复核人"):
        workpapers.remove_evidence(confirmed["late"], item, "误传")  # a member who has not acknowledged the discipline
    other = workpapers.add_evidence(confirmed["lead"], finding, SimpleUploadedFile("照片.png", PNG))
    with pytest.raises(PermissionError):
        workpapers.remove_evidence(confirmed["auditor"], other, "误传")  # a member removes only what they uploaded
    with pytest.raises(ValueError, match="请填写删除原因"):
        workpapers.remove_evidence(confirmed["auditor"], item, "  ")
    client.force_login(confirmed["auditor"])
    page = client.post(f"/audits/{project.pk}/evidence/{item.pk}/remove/", {"reason": "误传，换成盖章版"}, follow=True).content.decode()
    assert "已删除取证材料「签收表.pdf」" in page
    assert list(Evidence.objects.all()) == [other]
    entry = ActivityLog.objects.get(action="audits.evidence_remove")
    assert entry.before["sha256"] == item.sha256 and entry.details["reason"] == "误传，换成盖章版"
    assert entry.object_id == str(item.pk) and "审计发现「以现金发放购物卡」" in entry.summary
    # the 组长 (a reviewer) removes anybody's upload; the stored file stays (content-addressed)
    workpapers.remove_evidence(confirmed["lead"], other, "重复")
    assert not Evidence.objects.exists()


def test_removing_evidence_from_a_signed_off_workpaper_is_a_change_after_review(confirmed, tree):
    project = confirmed["project"]
    wp = workpapers.create_workpaper(confirmed["auditor"], project, org=tree["A1X"], index_no="B-1", matter="慰问品",
                                     period_text="2025 年度", procedures="抽查", conclusion="超标准")
    item = workpapers.add_evidence(confirmed["auditor"], wp, SimpleUploadedFile("名单.pdf", PDF))
    workpapers.submit_workpaper(confirmed["auditor"], wp)
    workpapers.sign_off(confirmed["lead"], wp)
    workpapers.remove_evidence(confirmed["auditor"], item, "名单有误")
    wp.refresh_from_db()
    assert wp.status == WorkpaperStatus.SUBMITTED and wp.modified_after_review and wp.reviewed_by is None
    assert WorkpaperVersion.objects.get(workpaper=wp).changes == {"evidence": ["取证材料「名单.pdf」", "已删除（名单有误）"]}


def test_an_archived_project_refuses_adding_and_removing_evidence(confirmed, client):
    project, v = confirmed["project"], confirmed["verification"]
    item = workpapers.add_evidence(confirmed["auditor"], v, SimpleUploadedFile("发票.pdf", PDF))
    AuditProject.objects.filter(pk=project.pk).update(stage=Stage.ARCHIVED)
    v.refresh_from_db()
    item.refresh_from_db()
    with pytest.raises(ArchivedError):
        workpapers.add_evidence(confirmed["auditor"], v, SimpleUploadedFile("补充.pdf", PDF + b"%x"))
    with pytest.raises((ArchivedError, PermissionError)):
        workpapers.remove_evidence(confirmed["lead"], item, "x")
    with pytest.raises(ArchivedError):
        item.delete()
    client.force_login(confirmed["lead"])
    client.post(f"/audits/{project.pk}/evidence/{item.pk}/remove/", {"reason": "x"})
    client.post(f"/audits/{project.pk}/verifications/{v.pk}/evidence/", {"file": SimpleUploadedFile("补充.pdf", PDF + b"%x")})
    assert list(Evidence.objects.all()) == [item]
    page = client.get(f"/audits/{project.pk}/verifications/{v.pk}/").content.decode()
    assert "发票.pdf" in page and "确认删除" not in page and "上传取证材料" not in page
