"""The demo the quick start loads: the sizes the foundation promises, reproducible."""

import pytest
from django.core.management import call_command

from jingshen.accounts.models import RoleCode, User
from jingshen.demo.orgs import org_rows
from jingshen.orgs import scope
from jingshen.orgs.models import Level, Org


@pytest.mark.django_db
def test_demo_province(capsys):
    call_command("demo_load")
    out = capsys.readouterr().out
    assert "jingshen2026" in out
    assert Org.objects.filter(level=Level.PROVINCE).count() == 1
    assert Org.objects.filter(level=Level.CITY).count() >= 5
    assert Org.objects.filter(level=Level.COUNTY).count() >= 20
    assert Org.objects.filter(level=Level.GRASSROOTS).count() == 150
    assert not Org.objects.filter(level=Level.GRASSROOTS, member_count__isnull=True).exists()
    for role in RoleCode.values:
        assert User.objects.filter(roles__code=role).exists(), role
    # the README prints the demo logins: they work as printed, without a forced password change
    assert not User.objects.filter(must_change_password=True).exists()
    # the demo users show the scope: Hangzhou and Ningbo do not see each other
    hz = set(scope.visible_orgs(User.objects.get(username="auditor")).values_list("code", flat=True))
    nb = set(scope.visible_orgs(User.objects.get(username="auditor_nb")).values_list("code", flat=True))
    assert hz and nb and not hz & nb
    # the demo audit projects show the lifecycle: one archived with its documents and finished
    # rectification, one in fieldwork; the unit's contact sees the archived one
    from jingshen.audits.access import projects_for
    from jingshen.audits.models import AuditProject, Rectification, Stage

    archived, fieldwork = AuditProject.objects.order_by("code")
    assert (archived.stage, fieldwork.stage) == (Stage.ARCHIVED, Stage.FIELDWORK)
    assert set(archived.documents.values_list("kind", flat=True)) == {"notice", "draft_report", "report", "rectification_notice"}
    assert archived.findings.exists() and archived.workpapers.filter(status="reviewed").exists()
    assert not Rectification.objects.filter(finding__project=archived).exclude(status="done").exists()
    assert fieldwork.findings.exists() and fieldwork.workpapers.get().notes.filter(status="open").exists()
    assert list(projects_for(User.objects.get(username="contact"))) == [archived]
    assert archived.requests.get().status == "answered"  # the unit answered the draft report
    assert archived.evidence.filter(finding__isnull=False).exists()  # a finding's 取证记录
    assert archived.time_entries.exists() and fieldwork.time_entries.exists()
    assert "演示审计项目" in out
    # the province-wide run gives every unit with vouchers its current risk (the portal's 风险预警)
    from jingshen.ledger.models import Dataset
    from jingshen.screening.models import CurrentRisk, ScreeningRun

    province_run = ScreeningRun.objects.get(scope_org__level=Level.PROVINCE)
    with_data = set(Dataset.objects.values_list("org_id", flat=True))
    assert set(CurrentRisk.objects.values_list("org_id", flat=True)) == with_data
    assert set(CurrentRisk.objects.values_list("run_id", flat=True)) == {province_run.pk}
    # 通知公告 of the province reach every unit; 西湖区's only its own subtree
    from jingshen.portal.access import received_notices
    from jingshen.portal.models import Notice

    assert Notice.objects.count() == 3
    assert received_notices(User.objects.get(username="contact")).count() == 3
    assert received_notices(User.objects.get(username="auditor_nb")).count() == 2
    assert "演示通知公告" in out
    # the province's 经审会 has a draft 年度审计计划 proposed from that risk and the coverage gaps:
    # high-risk units below it, the never-audited cities, and 宁波 for its four-year gap
    from jingshen.admin_center.models import AnnualPlan, PlanItem

    plan = AnnualPlan.objects.get(owner_org__code="33")
    assert plan.status == "draft" and plan.created_by.username == "director" and "演示年度审计计划" in out
    reasons = dict(plan.items.values_list("org__code", "reason"))
    assert reasons["3302"] == "gap" and reasons["3301"] == "never"
    assert all(CurrentRisk.objects.get(org__code=code).score >= 60 for code, r in reasons.items() if r == "risk")
    assert set(reasons) <= set(Org.objects.filter(parent__code="33").values_list("code", flat=True))
    # loading again changes nothing
    before = list(Org.objects.values_list("code", "name", "member_count", "path"))
    call_command("demo_load")
    assert list(Org.objects.values_list("code", "name", "member_count", "path")) == before
    assert AuditProject.objects.count() == 2
    assert ScreeningRun.objects.count() == 2
    assert Notice.objects.count() == 3
    assert AnnualPlan.objects.count() == 1 and PlanItem.objects.count() == len(reasons)


def test_demo_is_reproducible_from_its_seed():
    assert org_rows(2026) == org_rows(2026)
    assert org_rows(2026) != org_rows(7)
