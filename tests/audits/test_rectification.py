"""整改 (issue 15, item 8): each finding becomes an item when the report is issued; the audited
unit reports its measures on the platform; the auditors accept or return them, remind the unit
and move deadlines; overdue items and rates per unit and project."""

import datetime
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from jingshen.activity.models import ActivityLog
from jingshen.audits import findings, rectification, services
from jingshen.audits.models import ArchivedError, AuditProject, ProblemType, Rectification, Stage
from jingshen.cli import main
from tests.audits.test_projects import new_project, team  # noqa: F401 (a fixture)


@pytest.fixture
def reported(team, tree):
    """A project whose report is issued, with two findings on A1X."""
    project = new_project(team, tree)
    lead, director = team["lead"], team["director"]
    services.acknowledge_discipline(lead, project)
    for title, amount in (("以购物卡发放节日慰问", "18000.00"), ("会议费超标准", "3200.50")):
        findings.save_finding(lead, project, problem_type=ProblemType.objects.get(name="违规发放"), org=tree["A1X"], title=title,
                              amount=Decimal(amount), description=title, recommendation="退回并完善制度")
    AuditProject.objects.filter(pk=project.pk).update(stage=Stage.REPORT)
    services.advance(director, project, Stage.RECTIFICATION)
    return project


def test_the_report_opens_one_item_per_finding_due_in_60_days(reported):
    items = list(rectification.project_items(reported))
    assert len(items) == 2 and {i.status for i in items} == {Rectification.Status.PENDING}
    assert {i.deadline for i in items} == {timezone.localdate() + datetime.timedelta(days=60)}
    assert rectification.counts(items) == {"total": 2, "done": 0, "overdue": 0, "rate": 0.0}


def test_the_audited_unit_reports_and_the_auditors_accept_or_return(reported, team, personas, client):
    contact, lead = personas["contact"], team["lead"]
    first, second = rectification.project_items(reported)
    with pytest.raises(PermissionError, match="被审计单位的联络人报送"):
        rectification.submit(lead, first, measures="代报")
    with pytest.raises(ValueError, match="尚未报送"):
        rectification.review(lead, first, accept=True)
    client.force_login(contact)
    page = client.get(f"/audits/{reported.pk}/").content.decode()
    assert "以购物卡发放节日慰问" in page and "报送" in page
    response = client.post(f"/audits/{reported.pk}/rectifications/{first.pk}/",
                           {"action": "submit", "measures": "已收回购物卡并退回经费账户", "owner": "赵敏"})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == Rectification.Status.IN_PROGRESS and first.submitted_by == contact
    # the contact cannot accept their own report
    client.post(f"/audits/{reported.pk}/rectifications/{first.pk}/", {"action": "accept"})
    first.refresh_from_db()
    assert first.status == Rectification.Status.IN_PROGRESS
    with pytest.raises(ValueError, match="请填写退回理由"):
        rectification.review(lead, first, accept=False)
    rectification.review(lead, first, accept=False, note="请附退款凭证")
    first.refresh_from_db()
    assert first.status == Rectification.Status.IN_PROGRESS and first.submitted_at is None and first.review_note == "请附退款凭证"
    rectification.submit(contact, first, measures="已收回购物卡，附退款凭证")
    rectification.review(lead, first, accept=True)
    rectification.remind(lead, second)
    assert ActivityLog.objects.filter(action="audits.rectify_remind").count() == 1
    assert rectification.counts(rectification.project_items(reported))["done"] == 1
    # overdue: past its deadline and not done
    Rectification.objects.filter(pk=second.pk).update(deadline=timezone.localdate() - datetime.timedelta(days=1))
    second.refresh_from_db()
    assert second.overdue() and second.state_label == "超期"
    (unit,) = rectification.by_unit(reported)
    assert (unit["total"], unit["done"], unit["overdue"], unit["rate"]) == (2, 1, 1, 0.5)
    assert main(["audits", "show", reported.code, "--json"]) == 0


def test_rectification_in_the_cli_and_archive(reported, team, capsys):
    assert main(["audits", "show", reported.code, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["rectification"] == {"total": 2, "done": 0, "overdue": 0}
    assert {f["title"] for f in shown["findings"]} == {"以购物卡发放节日慰问", "会议费超标准"}
    item = rectification.project_items(reported).first()
    services.advance(team["director"], reported, Stage.ARCHIVED)
    with pytest.raises(ArchivedError):
        rectification.remind(team["lead"], item)
    with pytest.raises(ArchivedError):
        item.save()
    with pytest.raises(ArchivedError):
        Rectification.objects.filter(pk=item.pk).update(owner="x")


def test_only_the_team_moves_deadlines_and_others_get_404(reported, team, personas, client):
    item = rectification.project_items(reported).first()
    with pytest.raises(ValueError, match="不能早于今天"):
        rectification.set_deadline(team["lead"], item, timezone.localdate() - datetime.timedelta(days=1))
    rectification.set_deadline(team["lead"], item, timezone.localdate() + datetime.timedelta(days=90))
    for persona in ("b_auditor", "leader"):
        client.force_login(personas[persona])
        response = client.post(f"/audits/{reported.pk}/rectifications/{item.pk}/", {"action": "remind"})
        assert response.status_code == 404, persona


def test_the_draft_report_report_and_rectification_notice_carry_the_findings(team, tree, personas):
    import io

    from docx import Document

    from jingshen.audits import paperwork, survey
    from jingshen.audits.models import DataRequest

    def text(doc):
        return "\n".join(p.text for p in Document(io.BytesIO(paperwork.read(doc))).paragraphs)

    project = new_project(team, tree)
    lead, director, contact = team["lead"], team["director"], personas["contact"]
    services.acknowledge_discipline(lead, project)
    findings.save_finding(lead, project, problem_type=ProblemType.objects.get(name="违规发放"), org=tree["A1X"],
                          title="以购物卡发放节日慰问", amount=Decimal("12345.60"), description="春节发放超市购物卡",
                          basis="《基层工会经费收支管理办法》", recommendation="收回并完善制度")
    AuditProject.objects.filter(pk=project.pk).update(stage=Stage.CONSULTATION)
    with pytest.raises(ValueError, match="「审计报告」阶段生成"):
        paperwork.generate_report(lead, project)
    deadline = timezone.localdate() + datetime.timedelta(days=10)
    draft = paperwork.generate_draft_report(lead, project, deadline)
    body = text(draft)
    assert "征求意见稿" in body and "以购物卡发放节日慰问" in body and "12,345.60" in body and "壹万贰仟叁佰肆拾伍元陆角" in body
    # the audited unit's comments are sought on the platform, by the deadline
    request = DataRequest.objects.get(project=project)
    assert request.due_date == deadline and request.org == tree["A1X"]
    survey.answer_request(contact, request, "无异议")
    services.advance(lead, project, Stage.REPORT)
    report = paperwork.generate_report(director, project)
    assert "征求意见稿" not in text(report) and project.code in text(report)
    services.advance(director, project, Stage.RECTIFICATION)
    notice = paperwork.generate_rectification_notice(lead, project)
    assert "整改通知书" in text(notice) and "以购物卡发放节日慰问" in text(notice)
    assert set(project.documents.values_list("kind", flat=True)) == {"draft_report", "report", "rectification_notice"}
