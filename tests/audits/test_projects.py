"""Audit projects (issue 15, items 1–3, 9–10 so far): 立项 within the audit scope, the team and
its discipline, the pinned evidence base, the workflow's order and roles, the archive's
read-only rule, and the command line."""

import datetime
import json

import pytest
from django.db import transaction
from django.utils import timezone

from jingshen.accounts.models import RoleCode
from jingshen.activity.models import ActivityLog
from jingshen.audits import services
from jingshen.audits.models import ArchivedError, AuditProject, AuditType, ProjectMember, ProjectRole, Stage, StageChange
from jingshen.cli import main
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.ledger.models import Dataset
from jingshen.orgs import scope
from jingshen.orgs.services import OPERATOR, create_grant
from tests.conftest import make_user
from tests.ledger.conftest import voucher, write

TODAY = datetime.date(2026, 3, 2)


@pytest.fixture
def team(personas):
    """The 经审会 of county A1: its 经审负责人, a 审计组长 and an 审计员 (personas' a1_auditor)."""
    return {"director": make_user("A1", "a1_director", RoleCode.DIRECTOR), "lead": make_user("A1", "a1_lead", RoleCode.TEAM_LEAD),
            "auditor": personas["a1_auditor"]}


def new_project(people, tree, units=("A1X",), code="经审〔2026〕1号", **overrides):
    members = [services.TeamMember(people["lead"], ProjectRole.LEADER, 80), services.TeamMember(people["auditor"], ProjectRole.MEMBER, 60)]
    fields = dict(code=code, name="甲市一区电子公司工会 2025 年财务收支审计", audit_type=AuditType.objects.get(name="财务收支审计"),
                  units=[tree[c] for c in units], fiscal_years=[2025], planned_start=TODAY, planned_end=TODAY + datetime.timedelta(days=30),
                  team=members)
    return services.create_project(people["lead"], **(fields | overrides))


def test_a_project_pins_the_newest_data_and_its_screening_run(team, tree, tmp_path):
    import_vouchers(write(tmp_path / "v1.csv", voucher(1, org="A1X")))
    import_vouchers(write(tmp_path / "v2.csv", voucher(1, org="A1X") + voucher(2, org="A1X")))
    from jingshen.screening.services import run_screening

    run = run_screening(year=2025, rule_codes=["JS-CASH-001"])
    project = new_project(team, tree)
    newest = Dataset.objects.get(org__code="A1X", version=2)
    assert [p.dataset for p in project.pins.all()] == [newest]
    assert list(project.screening_runs.all()) == [run]
    assert project.stage == Stage.INITIATION and project.owner_org == tree["A1"]
    entry = ActivityLog.objects.get(action="audits.create")
    assert entry.actor == team["lead"] and entry.details["datasets"] == [newest.pk] and entry.details["units"] == ["A1X"]
    # a later import never changes what the project sees; adopting the new version is explicit and logged
    import_vouchers(write(tmp_path / "v3.csv", voucher(1, org="A1X")))
    assert [p.dataset.version for p in project.pins.all()] == [2]
    services.acknowledge_discipline(team["lead"], project)
    services.adopt_dataset(team["lead"], project, Dataset.objects.get(org__code="A1X", version=3))
    assert [p.dataset.version for p in project.pins.all()] == [3]
    assert not project.screening_runs.exists()  # the old run no longer matches the evidence base
    adopted = ActivityLog.objects.get(action="audits.adopt_dataset")
    assert adopted.before == {"version": 2} and adopted.after == {"version": 3}
    with pytest.raises(ValueError, match="只能换用更新的版本"):
        services.adopt_dataset(team["lead"], project, Dataset.objects.get(org__code="A1X", version=1))
    # a run over exactly the pinned versions becomes the project's run
    run = services.start_run(team["lead"], project, 2025)
    assert list(run.datasets.all()) == [Dataset.objects.get(org__code="A1X", version=3)]
    assert list(project.screening_runs.all()) == [run]


def test_a_project_on_a_unit_outside_the_teams_audit_scope_is_refused(team, tree, personas):
    with pytest.raises(PermissionError, match="不在您的审计范围内"):
        new_project(team, tree, units=("B1X",))
    with pytest.raises(PermissionError, match="只有经审负责人或审计组长可以审计立项"):
        services.create_project(team["auditor"], code="x", name="x", audit_type=AuditType.objects.first(), units=[tree["A1X"]],
                                fiscal_years=[2025], planned_start=TODAY, planned_end=TODAY, team=[])
    assert not AuditProject.objects.exists()


@pytest.mark.parametrize("overrides,message", [
    ({"code": " "}, "请填写项目编号"),
    ({"fiscal_years": [1899]}, "审计年度应在"),
    ({"planned_end": TODAY - datetime.timedelta(days=1)}, "计划结束日期不能早于计划开始日期"),
    ({"team": []}, "请为项目组指定成员"),
])
def test_bad_projects_are_refused_in_chinese(team, tree, overrides, message):
    with pytest.raises(ValueError, match=message):
        new_project(team, tree, **overrides)
    assert not AuditProject.objects.exists()


def test_the_team_needs_one_leader_of_audit_staff(team, tree, personas):
    two = [services.TeamMember(team["lead"], ProjectRole.LEADER), services.TeamMember(team["auditor"], ProjectRole.LEADER)]
    with pytest.raises(ValueError, match="有且只有一名组长"):
        new_project(team, tree, team=two)
    outsider = [services.TeamMember(team["lead"], ProjectRole.LEADER), services.TeamMember(personas["contact"], ProjectRole.MEMBER)]
    with pytest.raises(ValueError, match="不是审计人员"):
        new_project(team, tree, team=outsider)


def test_the_workflow_goes_in_order_by_the_roles_it_names(team, tree):
    project = new_project(team, tree)
    lead, director, auditor = team["lead"], team["director"], team["auditor"]
    with pytest.raises(PermissionError, match="须由审计单位的经审负责人操作"):
        services.advance(lead, project, Stage.SURVEY)  # 立项 is approved by the 经审负责人
    with pytest.raises(ValueError, match="不能转到「实施」：下一步只能是「审前调查」"):
        services.advance(director, project, Stage.FIELDWORK)
    services.advance(director, project, Stage.SURVEY, "同意立项")
    with pytest.raises(PermissionError, match="须由项目组长操作"):
        services.advance(lead, project, Stage.PLAN)  # the 组长 has not acknowledged the discipline yet
    services.acknowledge_discipline(lead, project)
    services.acknowledge_discipline(auditor, project)
    with pytest.raises(PermissionError):
        services.advance(auditor, project, Stage.PLAN)  # a member is not the 组长
    services.advance(lead, project, Stage.PLAN)
    services.advance(lead, project, Stage.NOTICE, today=TODAY)
    with pytest.raises(ValueError, match="2026-03-05 起才能进场实施"):
        services.advance(lead, project, Stage.FIELDWORK, today=TODAY + datetime.timedelta(days=2))
    services.advance(lead, project, Stage.FIELDWORK, today=TODAY + datetime.timedelta(days=3))
    services.advance(lead, project, Stage.REVIEW)
    with pytest.raises(ValueError, match="组长尚未复核签字"):
        services.advance(director, project, Stage.CONSULTATION)
    with pytest.raises(ValueError, match="退回实施须写明原因"):
        services.advance(lead, project, Stage.FIELDWORK)
    services.sign_review(lead, project)
    services.advance(director, project, Stage.CONSULTATION)
    services.advance(lead, project, Stage.REPORT)
    services.advance(director, project, Stage.RECTIFICATION)
    services.advance(director, project, Stage.ARCHIVED)
    project.refresh_from_db()
    assert project.archived and project.archived_at is not None and project.approved_by == director
    steps = list(StageChange.objects.filter(project=project).values_list("to_stage", flat=True))
    assert steps == ["initiation", "survey", "plan", "notice", "fieldwork", "review", "consultation", "report", "rectification", "archived"]
    assert ActivityLog.objects.filter(action="audits.stage").count() == 9


def archived_project(team, tree):
    project = new_project(team, tree)
    AuditProject.objects.filter(pk=project.pk).update(stage=Stage.ARCHIVED)  # as if it went all the way
    project.refresh_from_db()
    return project


def test_any_write_to_an_archived_project_is_refused(team, tree, tmp_path):
    import_vouchers(write(tmp_path / "v.csv", voucher(1, org="A1X")))
    project = archived_project(team, tree)
    lead = team["lead"]
    for write_through_service in (
        lambda: services.advance(team["director"], project, Stage.RECTIFICATION),
        lambda: services.acknowledge_discipline(lead, project),
        lambda: services.sign_review(lead, project),
        lambda: services.adopt_dataset(lead, project, Dataset.objects.get()),
        lambda: services.start_run(lead, project, 2025),
    ):
        with pytest.raises((ArchivedError, ValueError, PermissionError)):
            write_through_service()
    # and through the ORM's save paths, not only the services
    project.name = "改名"
    with pytest.raises(ArchivedError):
        project.save()
    member = ProjectMember.objects.filter(project=project).first()
    member.hours_budget = 1
    with pytest.raises(ArchivedError):
        member.save()
    with pytest.raises(ArchivedError):
        member.delete()
    with pytest.raises(ArchivedError):
        ProjectMember.objects.filter(project=project).update(hours_budget=0)
    with pytest.raises(ArchivedError):
        AuditProject.objects.filter(pk=project.pk).update(name="改名")
    with pytest.raises(ArchivedError):
        project.pins.all().delete()
    with pytest.raises(ArchivedError), transaction.atomic():  # Django's clear() runs in the caller's transaction
        project.screening_runs.clear()
    with pytest.raises(ArchivedError):
        StageChange.objects.create(project=project, to_stage=Stage.FIELDWORK, by=lead)
    assert AuditProject.objects.get(pk=project.pk).name != "改名"
    assert ProjectMember.objects.filter(project=project, hours_budget=0).count() == 0


def test_the_team_keeps_its_units_until_the_project_is_archived(team, tree, personas):
    """A 审计组长 of city B audits A1X under a cross-audit grant: the project keeps A1X open to its
    team after the grant expires, for members who acknowledged the discipline, until 归档."""
    b_lead = make_user("B", "b_lead", RoleCode.TEAM_LEAD)
    b_auditor = personas["b_auditor"]
    today = timezone.localdate()
    create_grant(target=tree["A1X"], grantee_user=b_lead, valid_from=today, valid_until=today, purpose="交叉互审", actor=OPERATOR)
    members = [services.TeamMember(b_lead, ProjectRole.LEADER), services.TeamMember(b_auditor, ProjectRole.MEMBER)]
    project = services.create_project(b_lead, code="乙交审〔2026〕1号", name="交叉互审", audit_type=AuditType.objects.first(),
                                      units=[tree["A1X"]], fiscal_years=[2025], planned_start=TODAY, planned_end=TODAY, team=members)
    later = today + datetime.timedelta(days=10)
    assert not scope.can(b_auditor, scope.VIEW_FLAGS, tree["A1X"], today=later)  # not before the discipline
    services.acknowledge_discipline(b_auditor, project)
    for action in (scope.VIEW, scope.VIEW_FLAGS, scope.AUDIT, scope.SCREEN):
        assert scope.can(b_auditor, action, tree["A1X"], today=later), action
    assert not scope.can(b_auditor, scope.VIEW, tree["A1"], today=later)  # the unit, not its parent
    assert not scope.can(b_auditor, scope.PLAN, tree["A1X"], today=later)  # no new project on it
    AuditProject.objects.filter(pk=project.pk).update(stage=Stage.ARCHIVED)
    assert not scope.can(b_auditor, scope.VIEW, tree["A1X"], today=later)


def test_the_command_line_lists_and_shows_projects(team, tree, capsys):
    new_project(team, tree)
    assert main(["audits", "list", "--org", "A1"]) == 0
    out = capsys.readouterr().out
    assert "经审〔2026〕1号\t立项\t财务收支审计" in out
    assert main(["audits", "show", "经审〔2026〕1号", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["stage"] == {"code": "initiation", "name": "立项"} and shown["units"] == [{"code": "A1X", "name": tree["A1X"].name}]
    assert [(m["username"], m["role"], m["hours_budget"]) for m in shown["team"]] == [("a1_lead", "组长", 80), ("a1_auditor", "成员", 60)]
    assert main(["audits", "list", "--org", "B", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["audits", "show", "没有这个项目"]) == 1
    assert "项目编号「没有这个项目」不存在" in capsys.readouterr().err


def test_pages_follow_the_project_for_each_role(team, tree, client, personas):
    project = new_project(team, tree)
    client.force_login(team["lead"])
    page = client.get(f"/audits/{project.pk}/").content.decode()
    assert "确认审计纪律" in page and "a1_auditor" in page or "项目组" in page
    assert client.post(f"/audits/{project.pk}/acknowledge/").status_code == 302
    assert ProjectMember.objects.get(user=team["lead"]).acknowledged_at is not None
    client.force_login(team["director"])
    response = client.post(f"/audits/{project.pk}/advance/", {"to_stage": "survey", "note": "同意"}, follow=True)
    assert AuditProject.objects.get().stage == Stage.SURVEY
    client.force_login(team["lead"])
    response = client.post(f"/audits/{project.pk}/advance/", {"to_stage": "fieldwork"}, follow=True)
    assert "不能转到「实施」" in response.content.decode()  # refused in Chinese, on the page
    # the audited unit's contact sees nothing of the project before the notice, then only what is meant for them
    client.force_login(personas["contact"])
    assert client.get(f"/audits/{project.pk}/").status_code == 404
    AuditProject.objects.filter(pk=project.pk).update(stage=Stage.NOTICE, notice_served_on=timezone.localdate())
    page = client.get(f"/audits/{project.pk}/").content.decode()
    assert "本单位是该项目的被审计单位" in page and "项目组" not in page and "疑点筛查" not in page.split("</nav>")[-1]
    assert client.post(f"/audits/{project.pk}/advance/", {"to_stage": "fieldwork"}).status_code == 404
    # another branch sees nothing
    client.force_login(personas["b_auditor"])
    assert client.get(f"/audits/{project.pk}/").status_code == 404
    assert project.code not in client.get("/audits/").content.decode()


def test_the_audit_notice_is_generated_archived_and_exported(team, tree, client, personas, tmp_path, capsys):
    import hashlib
    import io
    import zipfile

    from docx import Document

    from jingshen.audits import paperwork
    from jingshen.audits.models import GeneratedDocument

    project = new_project(team, tree)
    lead, director = team["lead"], team["director"]
    services.acknowledge_discipline(lead, project)
    with pytest.raises(ValueError, match="「实施方案」或「审计通知」阶段生成"):
        paperwork.generate_notice(lead, project)
    services.advance(director, project, Stage.SURVEY)
    services.advance(lead, project, Stage.PLAN)
    with pytest.raises(PermissionError):
        paperwork.generate_notice(team["auditor"], project)  # a member, not the 组长
    doc = paperwork.generate_notice(lead, project)
    content = paperwork.read(doc)
    assert hashlib.sha256(content).hexdigest() == doc.sha256 and doc.size == len(content)
    text = "\n".join(p.text for p in Document(io.BytesIO(content)).paragraphs)
    assert "审计通知书" in text and tree["A1X"].name in text and project.code in text
    # the audited unit reads the notice only once it is served
    client.force_login(personas["contact"])
    assert client.get(f"/audits/{project.pk}/documents/{doc.pk}/").status_code == 404
    services.advance(lead, project, Stage.NOTICE)
    response = client.get(f"/audits/{project.pk}/documents/{doc.pk}/")
    assert response.status_code == 200 and b"".join([response.content]) == content
    assert ActivityLog.objects.filter(action="download", actor=personas["contact"]).exists()
    # the archive package: every file with its size and SHA-256 in the manifest
    out = tmp_path / "归档.zip"
    assert main(["audits", "export", project.code, "--output", str(out)]) == 0
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        for entry in manifest["files"]:
            data = archive.read(entry["path"])
            assert len(data) == entry["size"] and hashlib.sha256(data).hexdigest() == entry["sha256"]
    assert {e["path"].split("/")[0] for e in manifest["files"]} == {"project.json", "workpapers.json", "documents"}
    # a document changed in storage is not exported as if it were the one sent
    from django.core.files.storage import default_storage

    with default_storage.open(doc.storage_name, "wb") as fh:
        fh.write(b"tampered")
    assert main(["audits", "export", project.code, "--output", str(tmp_path / "x.zip")]) == 1
    assert "SHA-256 不一致" in capsys.readouterr().err and not (tmp_path / "x.zip").exists()
    AuditProject.objects.filter(pk=project.pk).update(stage=Stage.ARCHIVED)
    with pytest.raises(ArchivedError):
        GeneratedDocument.objects.create(project=project, kind="notice", title="x", storage_name="x", sha256="0", size=0,
                                         generated_by=lead)


def test_data_requests_are_answered_by_the_audited_unit_on_the_platform(team, tree, client, personas):
    from jingshen.audits import survey
    from jingshen.audits.models import DataRequest

    project = new_project(team, tree)
    lead, director, contact = team["lead"], team["director"], personas["contact"]
    services.acknowledge_discipline(lead, project)
    services.advance(director, project, Stage.SURVEY)
    due = timezone.localdate() + datetime.timedelta(days=7)
    with pytest.raises(ValueError, match="只能向本项目的被审计单位"):
        survey.send_request(lead, project, org=tree["B1X"], title="资料", items="账簿", due_date=due)
    with pytest.raises(PermissionError):
        survey.send_request(team["auditor"], project, org=tree["A1X"], title="资料", items="账簿", due_date=due)
    request = survey.send_request(lead, project, org=tree["A1X"], title="审前调查资料清单", items="预算、决算\n银行对账单", due_date=due)
    # the contact now sees the project (before any notice), its own request, and answers it
    client.force_login(contact)
    page = client.get(f"/audits/{project.pk}/").content.decode()
    assert "审前调查资料清单" in page and "银行对账单" in page and "人员分工" not in page and "项目组" not in page
    assert client.post(f"/audits/{project.pk}/requests/{request.pk}/answer/", {"answer": "已通过数据采集上传 2025 年账套"}).status_code == 302
    request.refresh_from_db()
    assert request.status == DataRequest.Status.ANSWERED and request.answered_by == contact
    assert ActivityLog.objects.filter(action="audits.answer", actor=contact).exists()
    # nobody else answers for the unit: the auditors cannot, another branch gets a 404
    with pytest.raises(PermissionError):
        survey.answer_request(lead, request, "代答")
    client.force_login(personas["b_auditor"])
    assert client.post(f"/audits/{project.pk}/requests/{request.pk}/answer/", {"answer": "x"}).status_code == 404
    # the 实施方案, by the 组长 or 主审, while surveying or planning
    with pytest.raises(PermissionError):
        survey.save_plan(team["auditor"], project, objectives="x")
    plan = survey.save_plan(lead, project, objectives="检查经费收支的真实性、合法性", key_matters="节日慰问、会议费", procedures="", assignments="")
    assert plan.key_matters == "节日慰问、会议费"
    client.force_login(lead)
    page = client.get(f"/audits/{project.pk}/").content.decode()
    assert "已通过数据采集上传 2025 年账套" in page and "检查经费收支的真实性、合法性" in page
    AuditProject.objects.filter(pk=project.pk).update(stage=Stage.ARCHIVED)
    with pytest.raises(ArchivedError):
        survey.answer_request(contact, request, "再答复")
    with pytest.raises(ArchivedError):
        plan.save()
