"""The demo the quick start loads: the sizes the foundation promises, reproducible."""

from decimal import Decimal

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
    from jingshen.audits.models import AuditProject, PinnedBudget, Rectification, Stage

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
    # the upper unions' books hold both sides of each subsidy: 上下级对账 and 资金穿透 have something to find
    from jingshen.finance.crosslevel import cross_level
    from jingshen.finance.models import KeyFund
    from jingshen.finance.trace import trace

    xihu = Org.objects.get(code="330103")
    director = User.objects.get(username="county_director")
    reconciled = cross_level(director, xihu, 2025)
    assert reconciled.dataset is not None and [p.difference for p in reconciled.differing] == [Decimal("1000.00")]
    assert [u.text for u in reconciled.unmatched] == ["杭州市西湖区某街道联合工会"]
    warmth = trace(director, KeyFund.objects.get(org=None, name="送温暖"), xihu, 2025)
    assert warmth.hops[0].passed_down > 0 and len(warmth.recurring) == 1 and warmth.recurring[0].person
    assert not CurrentRisk.objects.filter(org__level__in=[Level.COUNTY], score__gte=30).exists()  # clean books rank low
    # 通知公告 of the province reach every unit; 西湖区's only its own subtree
    from jingshen.portal.access import received_notices
    from jingshen.portal.models import Notice

    assert Notice.objects.count() == 3
    assert received_notices(User.objects.get(username="contact")).count() == 3
    assert received_notices(User.objects.get(username="auditor_nb")).count() == 2
    assert "演示通知公告" in out
    # the province's 经审会 has a draft 年度审计计划 proposed from that risk and the coverage gaps
    # (after the prior audits below): high-risk units below it, never-audited ones, and gaps of 3+ years
    from jingshen.admin_center.coverage import with_last_audited
    from jingshen.admin_center.models import AnnualPlan, PlanItem

    plan = AnnualPlan.objects.get(owner_org__code="33")
    assert plan.status == "draft" and plan.created_by.username == "director" and "演示年度审计计划" in out
    reasons = dict(plan.items.values_list("org__code", "reason"))
    last = dict(with_last_audited(Org.objects.filter(code__in=reasons)).values_list("code", "last_audited"))
    assert set(reasons.values()) & {"gap", "never"}  # the coverage gaps are proposed, not only the risk
    for code, reason in reasons.items():
        if reason == "risk":
            assert CurrentRisk.objects.get(org__code=code).score >= 60, code
        elif reason == "never":
            assert last[code] is None, code
        else:
            assert last[code] <= plan.year - 3, code
    assert set(reasons) <= set(Org.objects.filter(parent__code="33").values_list("code", flat=True))
    # 综合管理's people: a roster in the province, every city and county union, the demo
    # auditors linked to their accounts, all four kinds of training in both years, and prior
    # audits that give different coverage over 1, 3 and 5 years with units never audited
    from jingshen.activity.models import ActivityLog
    from jingshen.admin_center.coverage import coverage
    from jingshen.admin_center.models import PriorAudit, StaffProfile, StaffType, TrainingKind, TrainingRecord

    staffed = set(StaffProfile.objects.values_list("org__level", flat=True).distinct())
    assert staffed == {Level.PROVINCE, Level.CITY, Level.COUNTY}
    assert set(StaffProfile.objects.values_list("org_id", flat=True)) == set(
        Org.objects.filter(level__in=staffed).values_list("pk", flat=True))
    assert set(StaffProfile.objects.values_list("staff_type", flat=True)) == set(StaffType.values)
    for username in ("director", "teamlead", "auditor", "auditor_nb", "county_director", "county_lead"):
        profile = User.objects.get(username=username).staff_profile
        assert profile.org_id == profile.user.org_id and profile.name == profile.user.display_name
    assert not StaffProfile.objects.filter(user__username__in=["admin", "contact"]).exists()
    for year in (2025, 2026):
        kinds = set(TrainingRecord.objects.filter(start_date__year=year).values_list("kind", flat=True))
        assert kinds == set(TrainingKind.values), year
    assert not TrainingRecord.objects.filter(hours__lte=0).exists()
    assert ActivityLog.objects.filter(action="admin_center.training_add").count() == TrainingRecord.objects.count()
    assert ActivityLog.objects.filter(action="admin_center.prior_add").count() == PriorAudit.objects.count()
    total = coverage(Org.objects.all()).total
    assert 0 < total.audited[1] < total.audited[3] < total.audited[5] < total.total and total.never > 0
    grassroots, county_up = (coverage(Org.objects.filter(level=Level.GRASSROOTS)).total,
                             coverage(Org.objects.exclude(level=Level.GRASSROOTS)).total)
    assert county_up.rate(3) > grassroots.rate(3) and grassroots.never > county_up.never
    assert set(PriorAudit.objects.values_list("year", flat=True)) >= set(range(2019, 2026))
    assert "演示经审干部" in out
    # 穿透式监督: budgets near the actuals (one line over budget, one ring-fenced line under-spent),
    # the county's payroll, the union enterprise's equity (one year below 100 %), all through the
    # importers (logged); the demo projects pinned their units' budgets
    from jingshen.demo import finance as demo_finance
    from jingshen.finance.execution import execution
    from jingshen.finance.models import Budget, EnterpriseSummary, Payroll

    budgets = {b.org.code: execution(b) for b in Budget.objects.select_related("org")}
    assert set(budgets) == set(demo_finance.BUDGET_UNITS)
    over = {code: [r.code for r in run.rows if r.over] for code, run in budgets.items()}
    assert over == {demo_finance.OVER_BUDGET: ["501"], demo_finance.RING_FENCED: [], demo_finance.PLAIN: []}
    for code, run in budgets.items():
        for row in run.rows:
            if row.rate is not None and row.code not in ("501", "502", demo_finance.HARDSHIP):
                assert 80 <= row.rate <= 105, (code, row.code, row.rate)  # near the actuals
    hardship = next(r for r in budgets[demo_finance.RING_FENCED].rows if r.code == demo_finance.HARDSHIP)
    assert hardship.rate < 50
    assert ActivityLog.objects.filter(action="finance.budget_import").count() == 3
    county = Org.objects.get(code=demo_finance.COUNTY)
    assert Payroll.objects.count() >= 3 and not Payroll.objects.exclude(org__parent=county).exists()
    rates = {e.fiscal_year: e.rate for e in EnterpriseSummary.objects.all()}
    assert min(rates.values()) < 100 <= max(rates.values())
    assert not Org.objects.filter(kind="enterprise").exclude(pk__in=EnterpriseSummary.objects.values("org")).exists()
    assert {p.budget.org.code for p in PinnedBudget.objects.select_related("budget__org")} == {"330103001", "330103003"}
    assert "演示穿透式监督数据：预算表 3 份" in out
    # loading again changes nothing
    before = list(Org.objects.values_list("code", "name", "member_count", "path"))
    people = (StaffProfile.objects.count(), TrainingRecord.objects.count(), PriorAudit.objects.count())
    finance_rows = (Budget.objects.count(), Payroll.objects.count(), EnterpriseSummary.objects.count())
    capsys.readouterr()
    call_command("demo_load")
    assert list(Org.objects.values_list("code", "name", "member_count", "path")) == before
    assert (StaffProfile.objects.count(), TrainingRecord.objects.count(), PriorAudit.objects.count()) == people
    assert AuditProject.objects.count() == 2
    assert ScreeningRun.objects.count() == 2
    assert Notice.objects.count() == 3
    assert AnnualPlan.objects.count() == 1 and PlanItem.objects.count() == len(reasons)
    assert (Budget.objects.count(), Payroll.objects.count(), EnterpriseSummary.objects.count()) == finance_rows
    assert "预算表 0 份，工资总额 0 个单位，工会企业财务摘要 0 个企业年度" in capsys.readouterr().out


def test_demo_is_reproducible_from_its_seed():
    assert org_rows(2026) == org_rows(2026)
    assert org_rows(2026) != org_rows(7)
