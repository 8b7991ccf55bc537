"""Workpapers, review notes and evidence (issue 15, item 6): the lifecycle from a draft to its
sign-off, notes blocking the sign-off, changes after sign-off kept and shown, who may do what,
the archive's read-only rule, evidence uploads refused through the page, downloads per role
with their log entry, and the XLSX workpaper index."""

import datetime
import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from jingshen.accounts.models import RoleCode
from jingshen.activity.models import ActivityLog
from jingshen.audits import workpapers
from jingshen.audits.models import (
    ArchivedError,
    AuditProject,
    Evidence,
    NoteStatus,
    ReviewNote,
    Stage,
    Workpaper,
    WorkpaperStatus,
    WorkpaperVersion,
)
from jingshen.audits.services import acknowledge_discipline
from jingshen.cli import main
from tests.audits.test_evidence import PDF
from tests.audits.test_projects import new_project, team  # noqa: F401 (a fixture)
from tests.conftest import make_user

EXE = b"MZ\x90\x00" + b"\x00" * 56 + b"\x40\x00\x00\x00" + b"PE\x00\x00" + b"\x00" * 200


@pytest.fixture(autouse=True)
def media(tmp_path):
    with override_settings(MEDIA_ROOT=str(tmp_path / "files")):
        yield tmp_path / "files"


@pytest.fixture
def project(team, tree):
    p = new_project(team, tree)
    acknowledge_discipline(team["lead"], p)
    acknowledge_discipline(team["auditor"], p)
    return p


def fields(tree, **overrides):
    return {"org": tree["A1X"], "index_no": "A-1-1", "matter": "慰问品发放", "period_text": "2025 年度",
            "period_from": datetime.date(2025, 1, 1), "period_to": datetime.date(2025, 12, 31),
            "procedures": "抽查 2025 年春节慰问品发放凭证 12 张，核对实名制发放表。",
            "conclusion": "发放购物卡 3,600 元/人，超过标准。", "basis": "《基层工会经费收支管理办法》第九条"} | overrides


def test_the_lifecycle_from_draft_to_sign_off_and_a_change_after_it(team, tree, project, client):
    lead, auditor = team["lead"], team["auditor"]
    wp = workpapers.create_workpaper(auditor, project, **fields(tree))
    assert wp.status == WorkpaperStatus.DRAFT and wp.prepared_by == auditor and wp.prepared_on == timezone.localdate()
    note = workpapers.add_note(lead, wp, "请补充发放名单的签收情况。")
    workpapers.submit_workpaper(auditor, wp)
    with pytest.raises(ValueError, match="还有 1 条复核意见未关闭，不能复核签字"):
        workpapers.sign_off(lead, wp)
    with pytest.raises(PermissionError, match="由底稿的编制人答复"):
        workpapers.answer_note(lead, note, "已补充")
    with pytest.raises(ValueError, match="须经编制人答复后才能关闭"):
        workpapers.close_note(lead, note)
    workpapers.answer_note(auditor, note, "已补充签收名单，见取证材料。")
    with pytest.raises(PermissionError, match="只能由提出它的复核人关闭"):
        workpapers.close_note(auditor, note)
    with pytest.raises(ValueError, match="未关闭"):
        workpapers.sign_off(lead, wp)  # answered is not closed
    workpapers.close_note(lead, note)
    assert ReviewNote.objects.get().status == NoteStatus.CLOSED
    with pytest.raises(PermissionError, match="复核底稿须由项目组长、主审"):
        workpapers.sign_off(auditor, wp)  # a member is not a reviewer
    wp = workpapers.sign_off(lead, wp)
    assert wp.status == WorkpaperStatus.REVIEWED and wp.reviewed_by == lead and not wp.modified_after_review
    # an edit after sign-off: marked 复核后修改, back to 待复核, the previous values kept
    wp = workpapers.update_workpaper(auditor, wp, **fields(tree, conclusion="发放购物卡 3,600 元/人，超过标准 2,100 元/人。"))
    assert wp.modified_after_review and wp.status == WorkpaperStatus.SUBMITTED and wp.reviewed_by is None
    version = WorkpaperVersion.objects.get()
    assert version.after_review and version.changed_by == auditor and version.data["reviewed_by"] == "a1_lead"
    assert version.changes == {"conclusion": ["发放购物卡 3,600 元/人，超过标准。", "发放购物卡 3,600 元/人，超过标准 2,100 元/人。"]}
    assert version.data["conclusion"] == "发放购物卡 3,600 元/人，超过标准。"
    updated = ActivityLog.objects.get(action="audits.workpaper_update")
    assert updated.details["after_review"] and "复核后修改" in updated.summary
    actions = list(ActivityLog.objects.filter(action__startswith="audits.").values_list("action", flat=True))
    for action in ("audits.workpaper_create", "audits.note_add", "audits.workpaper_submit", "audits.note_answer",
                   "audits.note_close", "audits.workpaper_sign_off"):
        assert action in actions
    # the page shows what changed after the sign-off
    client.force_login(lead)
    page = client.get(f"/audits/{project.pk}/workpapers/{wp.pk}/").content.decode()
    assert "复核后修改" in page and "超过标准 2,100 元/人" in page and "发放购物卡 3,600 元/人，超过标准。" in page
    assert "须重新复核" in page
    # signed again, it stays marked: the change after the first sign-off remains visible
    wp = workpapers.sign_off(lead, wp)
    assert wp.status == WorkpaperStatus.REVIEWED and wp.modified_after_review
    listing = client.get(f"/audits/{project.pk}/workpapers/").content.decode()
    assert "A-1-1" in listing and "复核后修改" in listing and "已复核" in listing
    # an unchanged save is no version
    workpapers.update_workpaper(auditor, wp, **fields(tree, conclusion="发放购物卡 3,600 元/人，超过标准 2,100 元/人。"))
    assert WorkpaperVersion.objects.count() == 1


def test_the_pages_run_the_lifecycle(team, tree, project, client):
    lead, auditor = team["lead"], team["auditor"]
    client.force_login(auditor)
    form = {"org": "A1X", "index_no": "b-2", "matter": "固定资产盘点", "period_text": "2025 年末", "procedures": "实地盘点",
            "conclusion": "账实相符", "basis": "", "prepared_on": ""}
    response = client.post(f"/audits/{project.pk}/workpapers/new/", form)
    wp = Workpaper.objects.get()
    assert response.status_code == 302 and wp.index_no == "B-2"  # normalised
    response = client.post(f"/audits/{project.pk}/workpapers/new/", form, follow=True)
    assert "索引号「B-2」在本项目中已被使用" in response.content.decode() and Workpaper.objects.count() == 1
    client.post(f"/audits/{project.pk}/workpapers/{wp.pk}/submit/")
    client.force_login(lead)
    client.post(f"/audits/{project.pk}/workpapers/{wp.pk}/notes/", {"text": "盘点表须有双方签字。"})
    response = client.post(f"/audits/{project.pk}/workpapers/{wp.pk}/sign-off/", follow=True)
    assert "复核意见未关闭" in response.content.decode()
    note = ReviewNote.objects.get()
    client.force_login(auditor)
    client.post(f"/audits/{project.pk}/notes/{note.pk}/answer/", {"reply": "已补签。"})
    client.force_login(lead)
    client.post(f"/audits/{project.pk}/notes/{note.pk}/close/")
    client.post(f"/audits/{project.pk}/workpapers/{wp.pk}/sign-off/")
    assert Workpaper.objects.get().status == WorkpaperStatus.REVIEWED
    client.force_login(auditor)
    client.post(f"/audits/{project.pk}/workpapers/{wp.pk}/", form | {"index_no": "B-2", "conclusion": "账实不符：缺少 2 台电脑"})
    wp = Workpaper.objects.get()
    assert wp.modified_after_review and wp.conclusion.startswith("账实不符")


@pytest.mark.parametrize("overrides,message", [
    ({"index_no": "1-A"}, "索引号「1-A」格式不对"),
    ({"index_no": "A--1"}, "格式不对"),
    ({"index_no": ""}, "请填写索引号"),
    ({"matter": " "}, "请填写审计事项"),
    ({"period_text": "", "period_from": None, "period_to": None}, "请填写底稿的所属期间"),
    ({"period_from": datetime.date(2025, 12, 31), "period_to": datetime.date(2025, 1, 1)}, "结束日期不能早于开始日期"),
    ({"procedures": ""}, "请填写审计程序"),
    ({"conclusion": "x" * 5001}, "审计结论不能超过 5,000 个字"),
    ({"prepared_on": timezone.localdate() + datetime.timedelta(days=1)}, "编制日期不能晚于今天"),
])
def test_bad_workpapers_are_refused_in_chinese(team, tree, project, overrides, message):
    with pytest.raises(ValueError, match=message):
        workpapers.create_workpaper(team["auditor"], project, **fields(tree, **overrides))
    assert not Workpaper.objects.exists()


def test_index_numbers_are_unique_per_project(team, tree, project):
    workpapers.create_workpaper(team["auditor"], project, **fields(tree, index_no="A-1-3"))
    with pytest.raises(ValueError, match="索引号「A-1-3」在本项目中已被使用"):
        workpapers.create_workpaper(team["auditor"], project, **fields(tree, index_no="ａ－1－3"))  # full-width, lower case
    other = new_project(team, tree, code="经审〔2026〕2号")
    acknowledge_discipline(team["auditor"], other)
    workpapers.create_workpaper(team["auditor"], other, **fields(tree, index_no="A-1-3"))  # another project's numbering
    for index_no in ("A-10", "A-2", "A-1-3"):
        if index_no != "A-1-3":
            workpapers.create_workpaper(team["auditor"], project, **fields(tree, index_no=index_no))
    assert [wp.index_no for wp in workpapers.workpapers_of(project)] == ["A-1-3", "A-2", "A-10"]


def test_wrong_roles_are_refused(team, tree, project, personas):
    lead, auditor, director = team["lead"], team["auditor"], team["director"]
    with pytest.raises(ValueError, match="请选择本项目的被审计单位"):
        workpapers.create_workpaper(auditor, project, **fields(tree, org=tree["A2"]))
    with pytest.raises(PermissionError, match="只有确认了审计纪律的项目组成员"):
        workpapers.create_workpaper(director, project, **fields(tree))  # not a member
    late = make_user("A1", "a1_late", RoleCode.AUDITOR)
    project.members.create(user=late, role="member")
    with pytest.raises(PermissionError, match="只有确认了审计纪律的项目组成员"):
        workpapers.create_workpaper(late, project, **fields(tree))  # discipline not acknowledged
    wp = workpapers.create_workpaper(lead, project, **fields(tree))
    with pytest.raises(PermissionError, match="复核意见须由项目组长、主审或审计单位的经审负责人提出"):
        workpapers.add_note(auditor, wp, "意见")
    workpapers.submit_workpaper(lead, wp)
    with pytest.raises(PermissionError, match="编制人不能复核自己编制的底稿"):
        workpapers.sign_off(lead, wp)
    # the auditing unit's 经审负责人 reviews: a note, and the sign-off once it is closed
    note = workpapers.add_note(director, wp, "结论须写明金额。")
    workpapers.answer_note(lead, note, "已写明。")
    with pytest.raises(PermissionError):
        workpapers.close_note(personas["a_lead"], note)
    workpapers.close_note(director, note)
    assert workpapers.sign_off(director, wp).reviewed_by == director
    with pytest.raises(ValueError, match="已复核签字，不能再提复核意见"):
        workpapers.add_note(director, wp, "再提一条")
    with pytest.raises(ValueError, match="只有待复核的底稿才能复核签字"):
        workpapers.sign_off(director, wp)


def test_an_archived_project_refuses_every_workpaper_write(team, tree, project):
    lead, auditor = team["lead"], team["auditor"]
    wp = workpapers.create_workpaper(auditor, project, **fields(tree))
    note = workpapers.add_note(lead, wp, "请补充。")
    item = workpapers.add_evidence(auditor, wp, SimpleUploadedFile("取证单.pdf", PDF))
    workpapers.update_workpaper(auditor, wp, **fields(tree, matter="慰问品发放（春节）"))
    AuditProject.objects.filter(pk=project.pk).update(stage=Stage.ARCHIVED)
    wp.refresh_from_db()
    for write in (
        lambda: workpapers.create_workpaper(auditor, project, **fields(tree, index_no="A-9")),
        lambda: workpapers.update_workpaper(auditor, wp, **fields(tree, matter="改")),
        lambda: workpapers.submit_workpaper(auditor, wp),
        lambda: workpapers.sign_off(lead, wp),
        lambda: workpapers.add_note(lead, wp, "再提"),
        lambda: workpapers.answer_note(auditor, note, "答复"),
        lambda: workpapers.close_note(lead, note),
        lambda: workpapers.add_evidence(auditor, wp, SimpleUploadedFile("另一份.pdf", PDF + b"%x")),
    ):
        with pytest.raises(ArchivedError):
            write()
    # and through the ORM, not only the services
    wp.matter = "改"
    version = WorkpaperVersion.objects.get()
    for row in (wp, note, item, version):
        with pytest.raises(ArchivedError):
            row.save()
        with pytest.raises(ArchivedError):
            row.delete()
    for queryset in (Workpaper.objects.filter(project=project), ReviewNote.objects.all(), Evidence.objects.all(),
                     WorkpaperVersion.objects.all()):
        with pytest.raises(ArchivedError):
            queryset.update(**({"status": "x"} if queryset.model in (Workpaper, ReviewNote) else {"changed_by": lead}
                               if queryset.model is WorkpaperVersion else {"description": "x"}))
        with pytest.raises(ArchivedError):
            queryset.delete()
    with pytest.raises(ArchivedError):
        ReviewNote.objects.create(workpaper=wp, text="x", author=lead)
    assert Workpaper.objects.get().matter == "慰问品发放（春节）" and Evidence.objects.count() == 1


def test_evidence_uploads_through_the_page(team, tree, project, client, media):
    wp = workpapers.create_workpaper(team["auditor"], project, **fields(tree))
    client.force_login(team["auditor"])
    url = f"/audits/{project.pk}/workpapers/{wp.pk}/evidence/"
    response = client.post(url, {"file": SimpleUploadedFile("取证单.pdf", PDF, "application/pdf"), "description": "发放名单"}, follow=True)
    assert "已上传取证材料「取证单.pdf」（PDF 文档）" in response.content.decode()
    item = Evidence.objects.get()
    assert (item.content_type, item.size, item.workpaper, item.project) == ("application/pdf", len(PDF), wp, project)
    assert (media / item.storage_name).read_bytes() == PDF
    assert ActivityLog.objects.get(action="audits.evidence_add").details["sha256"] == item.sha256
    # an executable renamed .pdf
    response = client.post(url, {"file": SimpleUploadedFile("发票.pdf", EXE, "application/pdf")}, follow=True)
    page = response.content.decode()
    assert "文件「发票.pdf」的内容是 Windows 可执行程序，不是 PDF 文档：不能作为证据上传。" in page
    # over the size limit
    with override_settings(JINGSHEN_EVIDENCE_MAX_MB=0.001):
        response = client.post(url, {"file": SimpleUploadedFile("大文件.pdf", PDF + b"0" * 2000)}, follow=True)
    assert "文件「大文件.pdf」超过证据文件的大小上限 1.024 KB，不能上传。" in response.content.decode()
    response = client.post(url, {"description": "没有文件"}, follow=True)
    assert "请选择要上传的文件" in response.content.decode()
    response = client.post(url, {"file": SimpleUploadedFile("again.pdf", PDF)}, follow=True)
    assert "已上传到工作底稿「A-1-1」" in response.content.decode()
    assert Evidence.objects.count() == 1
    assert len([p for p in (media / "evidence").rglob("*") if p.is_file() and ".incoming" not in p.parts]) == 1


def test_the_archive_package_holds_the_workpapers_and_their_evidence(team, tree, project, client, media, tmp_path):
    import hashlib
    import zipfile

    wp = workpapers.create_workpaper(team["auditor"], project, **fields(tree))
    client.force_login(team["auditor"])
    client.post(f"/audits/{project.pk}/workpapers/{wp.pk}/evidence/", {"file": SimpleUploadedFile("取证单.pdf", PDF)})
    out = tmp_path / "归档.zip"
    assert main(["audits", "export", project.code, "--output", str(out)]) == 0
    with zipfile.ZipFile(out) as archive:
        manifest = {e["path"]: e for e in json.loads(archive.read("manifest.json"))["files"]}
        item = Evidence.objects.get()
        path = f"evidence/工作底稿/{wp.index_no}/{item.pk}-取证单.pdf"
        assert archive.read(path) == PDF and manifest[path]["sha256"] == hashlib.sha256(PDF).hexdigest()
        (saved,) = json.loads(archive.read("workpapers.json"))
        assert saved["index_no"] == wp.index_no and saved["matter"] == wp.matter and saved["versions"] == []
    # evidence changed in storage stops the export
    (media / item.storage_name).write_bytes(b"%PDF-tampered")
    assert main(["audits", "export", project.code, "--output", str(tmp_path / "x.zip")]) == 1
    assert not (tmp_path / "x.zip").exists()


def test_new_evidence_on_a_signed_off_workpaper_is_a_change_after_review(team, tree, project):
    wp = workpapers.create_workpaper(team["auditor"], project, **fields(tree))
    workpapers.submit_workpaper(team["auditor"], wp)
    workpapers.sign_off(team["lead"], wp)
    workpapers.add_evidence(team["auditor"], wp, SimpleUploadedFile("补充.pdf", PDF))
    wp.refresh_from_db()
    assert wp.modified_after_review and wp.status == WorkpaperStatus.SUBMITTED
    assert WorkpaperVersion.objects.get().changes == {"evidence": ["", "新增取证材料「补充.pdf」"]}


def test_downloads_by_role_and_their_log(team, tree, project, client, personas):
    wp = workpapers.create_workpaper(team["auditor"], project, **fields(tree))
    item = workpapers.add_evidence(team["auditor"], wp, SimpleUploadedFile("../../取证单 <1>.pdf", PDF))
    assert item.original_name == "取证单 _1_.pdf"
    url = f"/audits/{project.pk}/evidence/{item.pk}/"
    late = make_user("A1", "a1_late", RoleCode.AUDITOR)
    project.members.create(user=late, role="member")  # has not acknowledged the discipline
    allowed = {"member": team["auditor"], "组长": team["lead"], "经审负责人": team["director"],
               "upper 经审负责人": make_user("A", "a_director", RoleCode.DIRECTOR)}
    refused = {"unacknowledged member": late, "other audit staff of the unit": make_user("A1", "a1_other", RoleCode.AUDITOR),
               "领导查阅": personas["leader"], "other branch": personas["b_auditor"], "auditee contact": personas["contact"]}
    AuditProject.objects.filter(pk=project.pk).update(stage=Stage.NOTICE, notice_served_on=timezone.localdate())
    for label, user in allowed.items():
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, label
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf" and response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"] == (
            f"attachment; filename=\"evidence-{item.pk}.pdf\"; filename*=UTF-8''%E5%8F%96%E8%AF%81%E5%8D%95%20_1_.pdf")
        entry = ActivityLog.objects.filter(action="download").latest("seq")
        assert entry.actor == user and entry.object_id == str(item.pk) and entry.details["filename"] == "取证单 _1_.pdf"
        assert client.get(f"/audits/{project.pk}/workpapers/").status_code == 200, label
    logged = ActivityLog.objects.filter(action="download").count()
    for label, user in refused.items():
        client.force_login(user)
        for page in (url, f"/audits/{project.pk}/workpapers/", f"/audits/{project.pk}/workpapers/{wp.pk}/",
                     f"/audits/{project.pk}/workpapers/new/"):
            assert client.get(page).status_code == 404, f"{label} {page}"
    assert ActivityLog.objects.filter(action="download").count() == logged
    # the auditee sees the project (from the notice on), never its workpapers
    client.force_login(personas["contact"])
    page = client.get(f"/audits/{project.pk}/").content.decode()
    assert "本单位是该项目的被审计单位" in page and "工作底稿" not in page.split("</nav>")[-1]
    client.force_login(team["auditor"])
    assert "工作底稿（1 份）" in client.get(f"/audits/{project.pk}/").content.decode()


def test_the_xlsx_workpaper_index(team, tree, project, client):
    wp = workpapers.create_workpaper(team["auditor"], project, **fields(tree, index_no="A-2", matter="=HYPERLINK(\"x\")"))
    workpapers.create_workpaper(team["auditor"], project, **fields(tree, index_no="A-10", matter="工会经费收入"))
    workpapers.submit_workpaper(team["auditor"], wp)
    workpapers.sign_off(team["lead"], wp)
    client.force_login(team["lead"])
    response = client.get(f"/audits/{project.pk}/workpapers/?format=xlsx")
    assert response.status_code == 200 and "workpapers-" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    header = rows.index(["索引号", "审计事项", "被审计单位", "所属期间", "编制人", "编制日期", "复核人", "复核日期", "状态", "复核后修改"])
    body = rows[header + 1:]
    assert [r[0] for r in body] == ["A-2", "A-10"]
    assert body[0][1] == "'=HYPERLINK(\"x\")" and body[0][2] == tree["A1X"].name and body[0][6] == "a1_lead"
    assert body[0][8] == "已复核" and body[1][8] == "编制中" and body[1][6] is None
    assert ActivityLog.objects.filter(action="download", details__filename__startswith="工作底稿索引").exists()


def test_the_command_line_shows_the_workpapers(team, tree, project, capsys):
    workpapers.create_workpaper(team["auditor"], project, **fields(tree))
    assert main(["audits", "show", project.code, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["workpapers"] == [{"index_no": "A-1-1", "matter": "慰问品发放", "unit": "A1X",
                                    "status": {"code": "draft", "name": "编制中"}, "modified_after_review": False}]
    assert shown["stage"]["code"] == "initiation" and shown["team"]  # the rest of the shape is unchanged


def test_hostile_posts_by_a_member_never_crash(team, tree, project, client):
    """tests/test_hostile_input.py posts as a user outside the team (404s); here the forms get
    the hostile values as the team's own 组长, who may write."""
    from tests.test_hostile_input import HOSTILE, check

    wp = workpapers.create_workpaper(team["auditor"], project, **fields(tree))
    note = workpapers.add_note(team["lead"], wp, "请补充。")
    client.force_login(team["lead"])
    forms = {
        f"/audits/{project.pk}/workpapers/new/": ["org", "index_no", "matter", "period_text", "period_from", "period_to",
                                                  "procedures", "conclusion", "basis", "prepared_on"],
        f"/audits/{project.pk}/workpapers/{wp.pk}/notes/": ["text"],
        f"/audits/{project.pk}/notes/{note.pk}/answer/": ["reply"],
        f"/audits/{project.pk}/workpapers/{wp.pk}/evidence/": ["file", "description"],
    }
    forms[f"/audits/{project.pk}/workpapers/{wp.pk}/"] = forms[f"/audits/{project.pk}/workpapers/new/"]
    for url, names in forms.items():
        for value in HOSTILE:
            check(client.post(url, {n: value for n in names}), f"POST {url} {value[:20]!r}")
    for url in (f"/audits/{project.pk}/workpapers/{wp.pk}/submit/", f"/audits/{project.pk}/workpapers/{wp.pk}/sign-off/",
                f"/audits/{project.pk}/notes/{note.pk}/close/"):
        check(client.post(url, {"x": "\x00"}), url)
    assert Workpaper.objects.count() == 1 and not Evidence.objects.exists()
