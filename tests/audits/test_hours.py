"""工时: members record the hours they spent against their budget — half hours, at most 24 a
day, never in the future or before 立项, only their own, logged, refused once archived."""

import datetime
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from jingshen.activity.models import ActivityLog
from jingshen.audits import services
from jingshen.audits.models import ArchivedError, AuditProject, Stage, TimeEntry
from jingshen.cli import main
from tests.audits.test_projects import new_project, team  # noqa: F401 (a fixture)

TODAY = timezone.localdate()


@pytest.fixture
def project(team, tree):
    p = new_project(team, tree)
    for user in (team["lead"], team["auditor"]):
        services.acknowledge_discipline(user, p)
    return p


def test_hours_against_the_budget_on_the_page_and_the_command_line(team, project, client, capsys):
    client.force_login(team["auditor"])
    page = client.post(f"/audits/{project.pk}/hours/", {"work_date": TODAY.isoformat(), "hours": "6.5", "description": "抽查慰问品凭证"},
                       follow=True).content.decode()
    assert f"已记录 {TODAY:%Y-%m-%d} 的工时 6.5 小时" in page and "抽查慰问品凭证" in page
    entry = TimeEntry.objects.get()
    assert entry.hours == Decimal("6.5") and entry.member.user == team["auditor"]
    log = ActivityLog.objects.get(action="audits.hours")
    assert log.after == {"date": TODAY.isoformat(), "hours": "6.5", "description": "抽查慰问品凭证"}
    # the budget (60 hours for the member) against what was spent, for the whole team
    client.force_login(team["lead"])
    page = client.get(f"/audits/{project.pk}/").content.decode()
    assert '<td class="num">60</td>\n    <td class="num">6.5</td>' in page
    assert main(["audits", "show", project.code, "--json"]) == 0
    shown = {m["username"]: m for m in json.loads(capsys.readouterr().out)["team"]}
    assert shown["a1_auditor"]["hours_spent"] == 6.5 and shown["a1_lead"]["hours_spent"] == 0
    # over budget is marked (the 组长's budget is 80 hours: 11 days of 8 hours since 立项 exceed it)
    AuditProject.objects.filter(pk=project.pk).update(created_at=timezone.now() - datetime.timedelta(days=20))
    for days in range(1, 12):
        services.record_hours(team["lead"], project, TODAY - datetime.timedelta(days=days), "8", "现场审计")
    assert "超出计划" in client.get(f"/audits/{project.pk}/").content.decode()


@pytest.mark.parametrize("hours,date_offset,message", [
    ("0", 0, "0.5 到 24 小时之间"), ("-2", 0, "0.5 到 24 小时之间"), ("25", 0, "0.5 到 24 小时之间"),
    ("1.25", 0, "以半小时计"), ("NaN", 0, "0.5 到 24 小时之间"), ("三", 0, "工时应为数字"),
    ("2", 1, "不能记录今天以后的工时"), ("2", -400, "不能早于立项日期"),
])
def test_bad_hours_are_refused(team, project, hours, date_offset, message):
    with pytest.raises(ValueError, match=message):
        services.record_hours(team["auditor"], project, TODAY + datetime.timedelta(days=date_offset), hours, "x")
    assert not TimeEntry.objects.exists()


def test_a_day_holds_at_most_24_hours_and_entries_are_ones_own(team, project, personas, client):
    services.record_hours(team["auditor"], project, TODAY, "20", "整理底稿")
    with pytest.raises(ValueError, match="已记录 20 小时，再记 5 小时将超过一天 24 小时"):
        services.record_hours(team["auditor"], project, TODAY, "5", "加班")
    with pytest.raises(ValueError, match="请填写工作内容"):
        services.record_hours(team["auditor"], project, TODAY, "1", "  ")
    with pytest.raises(PermissionError):
        services.record_hours(team["director"], project, TODAY, "1", "不是成员")
    entry = TimeEntry.objects.get()
    with pytest.raises(PermissionError, match="只能删除自己记录的工时"):
        services.delete_hours(team["lead"], entry)
    client.force_login(team["lead"])
    assert client.post(f"/audits/{project.pk}/hours/{entry.pk}/delete/").status_code == 404
    client.force_login(team["auditor"])
    client.post(f"/audits/{project.pk}/hours/{entry.pk}/delete/")
    assert not TimeEntry.objects.exists()
    assert ActivityLog.objects.get(action="audits.hours_delete").before["hours"] == "20.0"


def test_an_archived_project_refuses_hours(team, project):
    entry = services.record_hours(team["auditor"], project, TODAY, "2", "访谈")
    AuditProject.objects.filter(pk=project.pk).update(stage=Stage.ARCHIVED)
    project.refresh_from_db()
    with pytest.raises(ArchivedError):
        services.record_hours(team["auditor"], project, TODAY, "1", "x")
    with pytest.raises(ArchivedError):
        services.delete_hours(team["auditor"], entry)
    with pytest.raises(ArchivedError):
        TimeEntry.objects.filter(project=project).update(hours=3)
    assert TimeEntry.objects.get().hours == 2
