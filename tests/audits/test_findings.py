"""疑点核实 and 审计发现 (issue 15, items 4–5): verification keyed on the voucher and rule so it
survives a re-run, who may assign and verify, 排除 needs a reason, findings never negative, the
archive refuses, the pages per role, the XLSX export, the command line, the rule statistics and
the findings in later rankings."""

import io
import json
from decimal import Decimal

import pytest
from django.db import transaction
from openpyxl import load_workbook

from jingshen.activity.models import ActivityLog
from jingshen.audits import findings, services
from jingshen.audits.models import ArchivedError, AuditProject, Finding, FlagVerification, ProblemType, ProjectRole, Stage
from jingshen.cli import main
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.screening import scoring
from jingshen.screening.models import Flag
from jingshen.screening.services import run_screening
from tests.audits.test_projects import new_project, team  # noqa: F401 (the fixture)
from tests.conftest import make_user
from tests.ledger.conftest import voucher, write
from jingshen.accounts.models import RoleCode


def a_flag(run, org, no=1, line_no=1, rule="JS-CASH-001", amount="1200.00"):
    return Flag.objects.create(run=run, rule=rule, rule_name="大额现金支付", category="财务", severity="中", score=50, org=org,
                               fiscal_year=2025, period=1, voucher_type="记", voucher_no=no, line_no=line_no,
                               amount=Decimal(amount), message=f"记-{no} 现金支付 {amount} 元", voucher_score=50)


@pytest.fixture
def work(team, tree, tmp_path):
    """A project on A1X in fieldwork with a run of two flags: 组长 a1_lead, 主审 a1_senior, 成员
    a1_auditor (all acknowledged), and a member who has not acknowledged the discipline."""
    import_vouchers(write(tmp_path / "v.csv", voucher(1, org="A1X") + voucher(2, org="A1X")))
    run = run_screening(year=2025, org=tree["A1X"], rule_codes=["JS-CASH-001"])
    senior = make_user("A1", "a1_senior", RoleCode.AUDITOR)
    late = make_user("A1", "a1_late", RoleCode.AUDITOR)
    members = [services.TeamMember(team["lead"], ProjectRole.LEADER), services.TeamMember(senior, ProjectRole.LEAD_AUDITOR),
               services.TeamMember(team["auditor"], ProjectRole.MEMBER), services.TeamMember(late, ProjectRole.MEMBER)]
    project = new_project(team, tree, team=members)
    assert list(project.screening_runs.all()) == [run]
    for user in (team["lead"], senior, team["auditor"]):
        services.acknowledge_discipline(user, project)
    AuditProject.objects.filter(pk=project.pk).update(stage=Stage.FIELDWORK)
    project.refresh_from_db()
    flags = [a_flag(run, tree["A1X"], 1), a_flag(run, tree["A1X"], 2, amount="300.00")]
    return {"project": project, "run": run, "flags": flags, "lead": team["lead"], "senior": senior, "auditor": team["auditor"],
            "late": late, "director": team["director"]}


def rerun(work, tree):
    """A later run of the project (as services.start_run would leave it), raising the same flags."""
    project = work["project"]
    run = run_screening(year=2025, org=tree["A1X"], rule_codes=["JS-CASH-001"])
    project.screening_runs.set([run])
    return run, [a_flag(run, tree["A1X"], 1), a_flag(run, tree["A1X"], 2, amount="300.00")]


def test_a_verification_survives_a_rerun(work, tree):
    project, (first, second) = work["project"], work["flags"]
    v = findings.assign(work["lead"], project, work["auditor"], flag=first)
    v = findings.verify(work["auditor"], project, "confirmed", note="现金支付无审批单", flag=first)
    assert v.status == "confirmed" and v.verified_by == work["auditor"] and v.flag_id == first.pk
    findings.verify(work["senior"], project, "dismissed", reason="已附审批单和发票", flag=second)
    run, (again_first, again_second) = rerun(work, tree)
    known = findings.by_key(project, [again_first, again_second])
    assert known[findings.key_of(again_first)].pk == v.pk and known[findings.key_of(again_second)].status == "dismissed"
    # verifying the new run's flag updates the same verification, not a second one
    findings.verify(work["lead"], project, "confirmed", note="复核确认", flag=again_first)
    assert FlagVerification.objects.count() == 2
    assert ActivityLog.objects.filter(action="audits.verify_flag").count() == 3


def test_the_flag_list_shows_the_verification_of_a_later_runs_flag(work, tree, client):
    project, first = work["project"], work["flags"][0]
    findings.verify(work["lead"], project, "dismissed", reason="有审批", flag=first)
    run, (again, _) = rerun(work, tree)
    client.force_login(work["auditor"])
    page = client.get(f"/audits/{project.pk}/flags/").content.decode()
    v = FlagVerification.objects.get()
    assert f"/audits/{project.pk}/verifications/{v.pk}/" in page and f"已于筛查 #{work['run'].pk} 核实" in page
    assert f"/audits/{project.pk}/flags/{again.pk}/" in page and "排除" in page
    # filters: status and rule
    dismissed = client.get(f"/audits/{project.pk}/flags/?status=dismissed").content.decode()
    pending = client.get(f"/audits/{project.pk}/flags/?status=pending").content.decode()
    assert f"/flags/{again.pk}/" in dismissed and f"/flags/{again.pk}/" not in pending and "记-2" in pending
    assert "没有符合条件的疑点" in client.get(f"/audits/{project.pk}/flags/?rule=JS-NONE-001").content.decode()
    # the screening flag page says where it was verified
    flag_page = client.get(f"/screening/flags/{again.pk}/").content.decode()
    assert f"{project.code}" in flag_page and "核实为排除" in flag_page


def test_assignment_filter_and_the_flag_list_order(work, client):
    project, (first, second) = work["project"], work["flags"]
    findings.assign(work["senior"], project, work["auditor"], flag=second)
    client.force_login(work["lead"])
    mine = client.get(f"/audits/{project.pk}/flags/?assigned=a1_auditor").content.decode()
    assert f"/flags/{second.pk}/" in mine and f"/flags/{first.pk}/" not in mine


def test_a_dismissal_needs_a_reason(work):
    project, first = work["project"], work["flags"][0]
    with pytest.raises(ValueError, match="排除疑点须写明理由"):
        findings.verify(work["lead"], project, "dismissed", reason="  ", flag=first)
    assert not FlagVerification.objects.exists()


def test_wrong_roles_are_refused(work, personas):
    project, first = work["project"], work["flags"][0]
    with pytest.raises(PermissionError, match="只有项目组长或主审可以分派"):
        findings.assign(work["auditor"], project, work["auditor"], flag=first)  # a member does not assign
    with pytest.raises(PermissionError, match="只有被分派的核实人"):
        findings.verify(work["auditor"], project, "confirmed", flag=first)  # not assigned to them
    findings.assign(work["lead"], project, work["late"], flag=first)
    with pytest.raises(PermissionError):
        findings.verify(work["late"], project, "confirmed", flag=first)  # assigned, but no discipline acknowledged
    with pytest.raises(PermissionError):
        findings.verify(work["director"], project, "confirmed", flag=first)  # the 经审负责人 is not on the team
    with pytest.raises(ValueError, match="只能分派给本项目组的成员"):
        findings.assign(work["lead"], project, personas["b_auditor"], flag=first)
    with pytest.raises(PermissionError, match="确认了审计纪律"):
        findings.save_finding(work["late"], project, problem_type=ProblemType.objects.first(), org=project.units.get().org,
                              title="x", amount="1", description="x")
    assert FlagVerification.objects.get().status == "pending" and not Finding.objects.exists()


def test_a_finding_from_a_confirmed_verification(work):
    project, (first, second) = work["project"], work["flags"]
    v = findings.verify(work["lead"], project, "confirmed", flag=first)
    unit = project.units.get().org
    kind = ProblemType.objects.get(name="违规发放")
    finding = findings.save_finding(work["auditor"], project, problem_type=kind, org=unit, title="以现金发放购物卡", amount="1,200.00",
                                    description="以现金购买购物卡发放职工。", basis="《基层工会经费收支管理办法》第十六条",
                                    recommendation="收回并规范发放", vouchers=findings.parse_vouchers("2025-3-记-9"), verifications=[v])
    assert finding.amount == Decimal("1200.00") and list(finding.verifications.all()) == [v]
    assert finding.vouchers == [[2025, 1, "记", 1], [2025, 3, "记", 9]]
    # another confirmed flag joins the existing finding
    w = findings.verify(work["lead"], project, "confirmed", flag=second)
    findings.attach(work["senior"], project, finding, w)
    assert finding.verifications.count() == 2 and [2025, 1, "记", 2] in Finding.objects.get().vouchers
    # a dismissed or pending verification cannot be behind a finding, nor change while it is
    with pytest.raises(ValueError, match="该疑点已据以形成审计发现"):
        findings.verify(work["lead"], project, "dismissed", reason="误报", verification=w)
    pending = findings.assign(work["lead"], project, work["auditor"], flag=a_flag(work["run"], unit, 3))
    with pytest.raises(ValueError, match="只有核实为属实的疑点才能形成审计发现"):
        findings.attach(work["lead"], project, finding, pending)
    entry = ActivityLog.objects.get(action="audits.create_finding")
    assert entry.after["amount"] == "1200.00" and entry.after["problem_type"] == "违规发放"


@pytest.mark.parametrize("amount,message", [("-0.01", "涉及金额不能为负数"), ("-1,000", "涉及金额不能为负数"), ("1.234", "最多两位小数"),
                                            ("NaN", "涉及金额应为数字"), ("abc", "涉及金额应为数字")])
def test_a_negative_or_bad_amount_is_refused(work, amount, message):
    project = work["project"]
    with pytest.raises(ValueError, match=message):
        findings.save_finding(work["lead"], project, problem_type=ProblemType.objects.first(), org=project.units.get().org,
                              title="负数", amount=amount, description="x")
    assert not Finding.objects.exists()


def test_a_negative_amount_is_refused_on_the_page_and_by_the_database(work, client):
    project = work["project"]
    client.force_login(work["lead"])
    response = client.post(f"/audits/{project.pk}/findings/new/", {"problem_type": ProblemType.objects.first().pk, "org": "A1X",
                                                                    "title": "负数", "amount": "-5", "description": "x"})
    assert response.status_code == 200 and "涉及金额不能为负数" in response.content.decode()
    assert not Finding.objects.exists()
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():  # the check constraint, whatever the code path
        Finding.objects.create(project=project, org=project.units.get().org, problem_type=ProblemType.objects.first(),
                               title="x", amount=Decimal("-1"), description="x", created_by=work["lead"])


@pytest.mark.django_db
def test_the_problem_types_are_seeded():
    assert list(ProblemType.objects.values_list("name", flat=True)) == [
        "违规发放", "超标准", "超范围", "会计核算不规范", "预算管理", "资产管理", "内控缺失", "其他"]


def test_an_archived_project_refuses_verification_and_findings(work):
    project, first = work["project"], work["flags"][0]
    v = findings.verify(work["lead"], project, "confirmed", flag=first)
    finding = findings.save_finding(work["lead"], project, problem_type=ProblemType.objects.first(), org=project.units.get().org,
                                    title="发现", amount="1", description="x", verifications=[v])
    AuditProject.objects.filter(pk=project.pk).update(stage=Stage.ARCHIVED)
    project.refresh_from_db()
    for write in (
        lambda: findings.assign(work["lead"], project, work["auditor"], flag=work["flags"][1]),
        lambda: findings.verify(work["lead"], project, "dismissed", reason="x", verification=v),
        lambda: findings.save_finding(work["lead"], project, finding, problem_type=finding.problem_type, org=finding.org,
                                      title="改", amount="2", description="x"),
        lambda: findings.attach(work["lead"], project, finding, v),
    ):
        with pytest.raises((ArchivedError, PermissionError)):
            write()
    # and through the ORM's save paths
    v.note = "改"
    for orm_write in (
        v.save, v.delete, finding.save, finding.delete,
        lambda: FlagVerification.objects.filter(project=project).update(note="改"),
        lambda: Finding.objects.filter(project=project).update(title="改"),
        lambda: Finding.objects.filter(project=project).delete(),
        lambda: FlagVerification.objects.create(project=project, org=finding.org, fiscal_year=2025, rule="X", key="x"),
        lambda: finding.verifications.clear(),
        lambda: v.findings.remove(finding),
    ):
        with pytest.raises(ArchivedError), transaction.atomic():
            orm_write()
    assert Finding.objects.get().title == "发现" and FlagVerification.objects.get().note == ""


def test_pages_per_role(work, client, personas):
    project, first = work["project"], work["flags"][0]
    urls = [f"/audits/{project.pk}/flags/", f"/audits/{project.pk}/flags/{first.pk}/", f"/audits/{project.pk}/findings/",
            f"/audits/{project.pk}/findings/new/"]
    client.force_login(work["auditor"])
    for url in urls:
        assert client.get(url).status_code == 200, url
    # the 组长 assigns and verifies on the page; 排除 without a reason is refused there too
    client.force_login(work["lead"])
    page = client.get(urls[1]).content.decode()
    assert 'value="assign"' in page and 'value="verify"' in page
    response = client.post(urls[1], {"op": "verify", "status": "dismissed", "reason": ""}, follow=True)
    assert "排除疑点须写明理由" in response.content.decode() and not FlagVerification.objects.exists()
    response = client.post(urls[1], {"op": "assign", "assignee": "a1_auditor"})
    v = FlagVerification.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/audits/{project.pk}/verifications/{v.pk}/" and v.assigned_to == work["auditor"]
    client.force_login(work["auditor"])
    client.post(f"/audits/{project.pk}/verifications/{v.pk}/", {"op": "verify", "status": "confirmed", "note": "属实"})
    assert FlagVerification.objects.get().status == "confirmed"
    page = client.get(f"/audits/{project.pk}/verifications/{v.pk}/").content.decode()
    assert f"/audits/{project.pk}/findings/new/?verification={v.pk}" in page
    new = client.get(f"/audits/{project.pk}/findings/new/?verification={v.pk}").content.decode()
    assert f'name="verification" value="{v.pk}"' in new and "记-1 现金支付" in new
    response = client.post(f"/audits/{project.pk}/findings/new/", {
        "problem_type": ProblemType.objects.get(name="内控缺失").pk, "org": "A1X", "title": "大额现金支付无审批",
        "amount": "1,200.00", "description": "现金支付未经审批。", "basis": "《工会会计制度》", "verification": v.pk})
    finding = Finding.objects.get()
    assert response.status_code == 302 and list(finding.verifications.all()) == [v]
    assert "大额现金支付无审批" in client.get(f"/audits/{project.pk}/findings/").content.decode()
    client.post(f"/audits/{project.pk}/findings/{finding.pk}/", {"problem_type": finding.problem_type_id, "org": "A1X", "title": "改后的标题",
                                                               "amount": "1200", "description": "现金支付未经审批。"})
    assert Finding.objects.get().title == "改后的标题" and list(Finding.objects.get().verifications.all()) == [v]
    # the member who has not acknowledged the discipline reads, but gets no forms, and writes nothing
    client.force_login(work["late"])
    assert 'value="verify"' not in client.get(urls[1]).content.decode()
    client.post(urls[3], {"problem_type": "1", "org": "A1X", "title": "x", "amount": "1", "description": "x"})
    assert Finding.objects.count() == 1
    # the audited unit's contact never sees flags, verifications or findings, even after the notice
    AuditProject.objects.filter(pk=project.pk).update(stage=Stage.NOTICE)
    client.force_login(personas["contact"])
    assert client.get(f"/audits/{project.pk}/").status_code == 200
    for url in urls + [f"/audits/{project.pk}/verifications/{v.pk}/", f"/audits/{project.pk}/findings/{finding.pk}/"]:
        assert client.get(url).status_code == 404, url
    # another branch, and a viewer above who may not write: 404 on the writes
    client.force_login(personas["b_auditor"])
    assert client.get(urls[0]).status_code == 404
    client.force_login(personas["leader"])
    assert client.get(urls[0]).status_code == 200
    assert client.post(f"/audits/{project.pk}/verifications/{v.pk}/", {"op": "verify", "status": "pending"}).status_code == 404
    assert FlagVerification.objects.get().status == "confirmed"


def test_the_findings_export(work, client):
    project = work["project"]
    findings.save_finding(work["lead"], project, problem_type=ProblemType.objects.get(name="超标准"), org=project.units.get().org,
                          title="=超标准慰问", amount="2,500.50", description="慰问品超标准。", basis="《办法》第十条")
    client.force_login(work["auditor"])
    response = client.get(f"/audits/{project.pk}/findings/?format=xlsx")
    assert response.status_code == 200 and "findings-" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [r for r in sheet.iter_rows(values_only=True)]
    row = next(r for r in rows if r and r[0] == 1)
    assert row[1:6] == ("A1X", project.units.get().org.name, "超标准", "'=超标准慰问", 2500.5)
    assert ActivityLog.objects.filter(action="download", actor=work["auditor"]).exists()


def test_the_command_line_shows_the_findings(work, capsys):
    project = work["project"]
    findings.save_finding(work["lead"], project, problem_type=ProblemType.objects.get(name="违规发放"), org=project.units.get().org,
                          title="违规发放购物卡", amount="12345.6", description="以购物卡形式发放。", basis="《基层工会经费收支管理办法》")
    assert main(["audits", "show", project.code, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["findings"] == [{"org": "A1X", "problem_type": "违规发放", "title": "违规发放购物卡", "amount": "12345.60",
                                  "description": "以购物卡形式发放。", "basis": "《基层工会经费收支管理办法》", "recommendation": "",
                                  "vouchers": [], "verifications": 0, "citations": []}]
    assert main(["audits", "show", project.code]) == 0
    assert "[违规发放] 违规发放购物卡，涉及金额 12,345.60 元" in capsys.readouterr().out


def test_rule_statistics_in_the_catalogue(work, client, personas):
    project, (first, second) = work["project"], work["flags"]
    findings.verify(work["lead"], project, "confirmed", flag=first)
    findings.verify(work["lead"], project, "dismissed", reason="有审批", flag=second)
    assert findings.rule_statistics(work["auditor"]) == {"JS-CASH-001": {"verified": 2, "confirmed": 1, "dismissed": 1}}
    assert findings.rule_statistics(personas["b_auditor"]) == {}  # another branch's projects are not counted
    client.force_login(work["auditor"])
    assert "核实 2 次：属实 1、排除 1" in client.get("/screening/rules/").content.decode()


def test_findings_of_earlier_audits_raise_a_units_risk(work, tree):
    project = work["project"]
    org = project.units.get().org
    for n in range(2):
        findings.save_finding(work["lead"], project, problem_type=ProblemType.objects.first(), org=org, title=f"发现{n}",
                              amount="1", description="x")
    assert scoring.prior_findings is findings.findings_by_unit  # set by the audits app at start-up
    assert findings.findings_by_unit(2026, [org.pk]) == {org.pk: 2}  # the project audited 2025
    assert findings.findings_by_unit(2025, [org.pk]) == {}  # not the run's own year
    assert findings.findings_by_unit(2029, [org.pk]) == {}  # nor more than three years back

    class Run:  # a run of 2026 with one unit-level flag of weight 0.5 on the unit
        fiscal_year, unit_facts, rules = 2026, {}, []

    ranker = scoring.Ranker(Run())
    ranker.add([(org.pk, "JS-X", "中", 50.0, None, "", None, None)])
    (unit,) = ranker.units()
    assert unit.findings == 2
    assert unit.score == pytest.approx(100 * (1 - 0.5 * 0.85 ** 2), abs=0.1)
    Run.fiscal_year = 2025
    ranker = scoring.Ranker(Run())
    ranker.add([(org.pk, "JS-X", "中", 50.0, None, "", None, None)])
    assert ranker.units()[0].score == 50.0


def test_a_member_opens_the_projects_flags_only_after_acknowledging_the_discipline(work, client):
    """a1_late audits A1X by 下审一级 anyway, but as a member of this project the discipline
    comes first: the flags, verification and finding pages answer 403 with the reason."""
    project, flag = work["project"], work["flags"][0]
    v = findings.verify(work["lead"], project, "confirmed", flag=flag)
    client.force_login(work["late"])
    for url in (f"/audits/{project.pk}/flags/", f"/audits/{project.pk}/flags/{flag.pk}/",
                f"/audits/{project.pk}/verifications/{v.pk}/", f"/audits/{project.pk}/findings/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "请先在项目页面确认审计纪律" in response.content.decode()
    services.acknowledge_discipline(work["late"], project)
    assert client.get(f"/audits/{project.pk}/flags/").status_code == 200
