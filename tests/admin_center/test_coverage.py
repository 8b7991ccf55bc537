"""审计覆盖率: a unit is audited in the year its report was issued on the platform (the project
moved on to 整改) or an audit before the platform is recorded for it."""

import datetime

import pytest

from jingshen.admin_center.coverage import coverage, never_audited, not_audited_since, with_last_audited
from jingshen.admin_center.models import PriorAudit
from jingshen.audits.models import AuditProject, AuditType, ProjectUnit, Stage, StageChange
from jingshen.orgs.models import Org

TODAY = datetime.date(2026, 12, 2)


@pytest.fixture
def audit_type(db):
    return AuditType.objects.get_or_create(name="财务收支审计")[0]


def prior(org, year, audit_type, user):
    return PriorAudit.objects.create(org=org, year=year, audit_type=audit_type, report_no=f"{org.code}-{year}", created_by=user)


def issued(org, when: datetime.datetime, audit_type, user, n=[0]):
    n[0] += 1
    project = AuditProject.objects.create(owner_org=org.parent, code=f"P-{n[0]}", name="审计", audit_type=audit_type,
                                          fiscal_years=[2025], planned_start=TODAY, planned_end=TODAY, created_by=user)
    ProjectUnit.objects.create(project=project, org=org)
    change = StageChange.objects.create(project=project, from_stage=Stage.REPORT, to_stage=Stage.RECTIFICATION, by=user)
    StageChange.objects.filter(pk=change.pk).update(at=when)
    return project


def test_last_audited_is_the_latest_of_prior_audits_and_issued_reports(tree, personas, audit_type):
    user = personas["prov_director"]
    prior(tree["A1"], 2019, audit_type, user)
    prior(tree["A1"], 2022, audit_type, user)
    issued(tree["A1"], datetime.datetime(2025, 3, 1, tzinfo=datetime.UTC), audit_type, user)
    issued(tree["A2"], datetime.datetime(2024, 6, 1, tzinfo=datetime.UTC), audit_type, user)
    prior(tree["B1X"], 2026, audit_type, user)
    last = dict(with_last_audited(Org.objects.all()).values_list("code", "last_audited"))
    assert last == {"P": None, "A": None, "A1": 2025, "A1X": None, "A2": 2024, "B": None, "B1": None, "B1X": 2026}


def test_a_project_still_under_way_does_not_count(tree, personas, audit_type):
    user = personas["prov_director"]
    project = issued(tree["A1"], datetime.datetime(2025, 3, 1, tzinfo=datetime.UTC), audit_type, user)
    project.history.update(to_stage=Stage.REPORT)  # the report is not issued yet
    assert with_last_audited(Org.objects.filter(code="A1")).get().last_audited is None


def test_coverage_by_group_window_level_and_kind(tree, personas, audit_type):
    user = personas["prov_director"]
    prior(tree["A1"], 2026, audit_type, user)  # last 1, 3, 5 years
    prior(tree["A2"], 2024, audit_type, user)  # last 3 and 5
    prior(tree["B1"], 2022, audit_type, user)  # last 5
    prior(tree["B"], 2021, audit_type, user)  # more than 5 years ago
    prior(tree["A1X"], 2025, audit_type, user)
    result = coverage(Org.objects.all(), TODAY)
    county_up, grassroots = result.groups
    assert (county_up.label, county_up.total, county_up.audited, county_up.never) == ("县级以上工会", 6, {1: 1, 3: 2, 5: 3}, 2)
    assert (grassroots.total, grassroots.audited, grassroots.never) == (2, {1: 0, 3: 1, 5: 1}, 1)
    assert county_up.rate(3) == pytest.approx(2 / 6)
    levels = {row.label: (row.total, row.audited[5]) for row in result.levels}
    assert levels == {"省": (1, 0), "市": (2, 0), "县": (3, 3), "基层": (2, 1)}
    assert [row.label for row in result.kinds] == ["工会机关", "基层工会"]
    assert (result.total.total, result.total.never) == (8, 3)


def test_never_and_not_audited_since(tree, personas, audit_type):
    user = personas["prov_director"]
    prior(tree["A1"], 2026, audit_type, user)
    prior(tree["A2"], 2022, audit_type, user)
    assert "A1" not in set(never_audited(Org.objects.all()).values_list("code", flat=True))
    assert set(never_audited(Org.objects.all()).values_list("code", flat=True)) == {"P", "A", "A1X", "B", "B1", "B1X"}
    stale = set(not_audited_since(Org.objects.all(), 3, TODAY).values_list("code", flat=True))
    assert stale == {"P", "A", "A1X", "A2", "B", "B1", "B1X"}
