"""A small portal fixture on the shared tree: current risks of a province run (A1X high, B1X
medium, A1 none), an older run of A2, a prior audit, a project per city with a finding and a
rectification item, and notices of the province and of each city."""

import datetime

import pytest
from django.utils import timezone

from jingshen.admin_center.models import PriorAudit
from jingshen.audits.models import (
    AuditProject,
    AuditType,
    Finding,
    FlagVerification,
    ProblemType,
    ProjectMember,
    ProjectRole,
    ProjectUnit,
    Rectification,
)
from jingshen.portal.models import Notice
from jingshen.screening.models import CurrentRisk, ScreeningRun

TODAY = timezone.localdate()


def run_of(org, finished_at, year=2025):
    return ScreeningRun.objects.create(fiscal_year=year, scope_org=org, status=ScreeningRun.Status.DONE, finished_at=finished_at)


def risk(org, run, score, high=0, flags=0):
    return CurrentRisk.objects.create(org=org, run=run, fiscal_year=run.fiscal_year, score=score, flags=flags, high=high,
                                      vouchers=flags, amount=1000, finished_at=run.finished_at)


def project(owner, unit, code, user, planned_end, stage="fieldwork"):
    p = AuditProject.objects.create(owner_org=owner, code=code, name=f"{unit.name}审计", audit_type=AuditType.objects.first(),
                                    fiscal_years=[2025], planned_start=planned_end - datetime.timedelta(days=30),
                                    planned_end=planned_end, created_by=user, stage=stage)
    ProjectUnit.objects.create(project=p, org=unit)
    return p


@pytest.fixture
def portal_data(tree, personas):
    now = timezone.now()
    P, A, B = tree["P"], tree["A"], tree["B"]
    province_run = run_of(P, now - datetime.timedelta(hours=1))
    old_run = run_of(A, now - datetime.timedelta(days=90))
    risks = {
        "A1X": risk(tree["A1X"], province_run, 75, high=4, flags=9),
        "B1X": risk(tree["B1X"], province_run, 40, high=2, flags=5),
        "A1": risk(tree["A1"], province_run, 0),
        "A2": risk(tree["A2"], old_run, 20, high=1, flags=1),
    }
    PriorAudit.objects.create(org=tree["A1"], year=TODAY.year - 2, audit_type=AuditType.objects.first(), report_no="甲审〔前〕1号",
                              created_by=personas["prov_director"])
    a_lead = personas["a_lead"]
    late = project(A, tree["A1"], "甲审〔2026〕1号", a_lead, TODAY - datetime.timedelta(days=10))
    ProjectMember.objects.create(project=late, user=a_lead, role=ProjectRole.LEADER, acknowledged_at=now)
    FlagVerification.objects.create(project=late, org=tree["A1"], fiscal_year=2025, rule="JS-CASH-001", key="k1",
                                    assigned_to=a_lead)
    b_project = project(B, tree["B1"], "乙审〔2026〕1号", personas["b_auditor"], TODAY + datetime.timedelta(days=60),
                        stage="rectification")
    problem = ProblemType.objects.first()
    findings = [Finding.objects.create(project=late, org=tree["A1"], problem_type=problem, title="甲的问题", description="x",
                                       created_by=a_lead),
                Finding.objects.create(project=b_project, org=tree["B1"], problem_type=problem, title="乙的问题", description="x",
                                       created_by=a_lead),
                Finding.objects.create(project=b_project, org=tree["B1"], problem_type=problem, title="乙的第二个问题",
                                       description="x", created_by=a_lead)]
    Rectification.objects.create(finding=findings[0], deadline=TODAY - datetime.timedelta(days=1))  # 超期
    Rectification.objects.create(finding=findings[1], deadline=TODAY + datetime.timedelta(days=30), status="done")
    Rectification.objects.create(finding=findings[2], deadline=TODAY + datetime.timedelta(days=30), status="in_progress")
    notices = {
        "P": Notice.objects.create(org=P, title="全省经审工作要点", body="各市：\n请做好年度审计。", published_by=personas["prov_director"]),
        "A": Notice.objects.create(org=A, title="甲市通知", body="甲市内部", published_by=personas["prov_director"]),
        "B": Notice.objects.create(org=B, title="乙市通知", body="乙市内部", published_by=personas["prov_director"]),
    }
    return {"runs": (province_run, old_run), "risks": risks, "projects": (late, b_project), "notices": notices}
