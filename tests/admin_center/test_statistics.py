"""年度统计报表: the figures of a year in the user's scope, on a small fixture made here; the page
(charts' data, hostile year) and the multi-sheet workbook."""

import datetime
import io
import json
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from jingshen import xlsx_export
from jingshen.admin_center.models import PriorAudit
from jingshen.admin_center.statistics import annual_statistics, workbook
from jingshen.audits.models import AuditProject, AuditType, Finding, ProblemType, ProjectUnit, Rectification, Stage, StageChange

YEAR = timezone.localdate().year
TODAY = timezone.localdate()


def project(owner, unit, code, stage, audit_type, user, year=YEAR):
    p = AuditProject.objects.create(owner_org=owner, code=code, name=f"{unit.name}审计", audit_type=audit_type, stage=stage,
                                    fiscal_years=[year - 1], planned_start=TODAY, planned_end=TODAY, created_by=user)
    ProjectUnit.objects.create(project=p, org=unit)
    if year != YEAR:
        AuditProject.objects.filter(pk=p.pk).update(created_at=datetime.datetime(year, 5, 1, tzinfo=datetime.UTC))
    return p


def finding(p, problem, amount, user, rectification=None, deadline=None):
    f = Finding.objects.create(project=p, org=p.units.get().org, problem_type=problem, title=f"{problem.name}问题",
                               amount=Decimal(amount), description="x", created_by=user)
    if rectification:
        Rectification.objects.create(finding=f, status=rectification, deadline=deadline or TODAY + datetime.timedelta(days=30))
    return f


@pytest.fixture
def fixture(tree, personas):
    user = personas["a_lead"]
    finance, special = AuditType.objects.get(name="财务收支审计"), AuditType.objects.get(name="专项审计")
    p1, p2 = ProblemType.objects.filter(active=True).order_by("order")[:2]
    a, b = tree["A"], tree["B"]
    done = project(a, tree["A1"], "甲-1", Stage.RECTIFICATION, finance, user)
    StageChange.objects.create(project=done, from_stage=Stage.REPORT, to_stage=Stage.RECTIFICATION, by=user)  # report issued
    fieldwork = project(a, tree["A2"], "甲-2", Stage.FIELDWORK, special, user)
    project(tree["A1"], tree["A1X"], "甲一区-1", Stage.INITIATION, finance, user)  # a unit below A: in a city user's scope
    old = project(a, tree["A2"], "甲-旧", Stage.RECTIFICATION, finance, user, year=YEAR - 1)  # another year
    project(b, tree["B1"], "乙-1", Stage.FIELDWORK, finance, user)  # another branch
    yesterday = TODAY - datetime.timedelta(days=1)
    finding(done, p1, "1200.50", user, Rectification.Status.DONE)
    finding(done, p1, "800.00", user, Rectification.Status.PENDING, deadline=yesterday)  # overdue
    finding(done, p2, "99.50", user, Rectification.Status.IN_PROGRESS)
    finding(fieldwork, p2, "1000", user)  # no rectification yet (report not issued)
    finding(old, p1, "5000", user, Rectification.Status.DONE)  # another year: not counted
    PriorAudit.objects.create(org=tree["A1X"], year=YEAR, audit_type=finance, created_by=user)  # a grassroots unit, this year
    PriorAudit.objects.create(org=tree["A2"], year=YEAR - 1, audit_type=finance, created_by=user)  # last year: not counted
    return {"p1": p1, "p2": p2}


def test_the_figures_of_a_year_in_a_city_auditors_scope(fixture, personas):
    stats = annual_statistics(personas["a_auditor"], YEAR)
    assert stats.projects == 3
    stages = {s.label: s.count for s in stats.by_stage}
    assert stages["整改"] == 1 and stages["实施"] == 1 and stages["立项"] == 1 and stages["归档"] == 0
    assert len(stats.by_stage) == len(Stage.choices)
    assert [(t.label, t.count) for t in stats.by_type] == [("财务收支审计", 2), ("专项审计", 1)]
    assert stats.findings == 4 and stats.amount == Decimal("3100.00")
    assert [(p.label, p.count, p.amount) for p in stats.by_problem] == [
        (fixture["p1"].name, 2, Decimal("2000.50")), (fixture["p2"].name, 2, Decimal("1099.50"))]
    assert (stats.rectifications, stats.rectified, stats.in_progress, stats.overdue) == (3, 1, 1, 1)
    assert stats.rectification_rate == pytest.approx(1 / 3)
    # units: A, A1, A2 (县级以上) and A1X (基层); A1 by its issued report, A1X by a prior audit
    coverage = {c.label: (c.count, c.total) for c in stats.coverage}
    assert coverage == {"县级以上工会": (1, 3), "基层工会": (1, 1), "合计": (2, 4)}


def test_the_province_sees_both_branches_and_another_year_is_its_own(fixture, personas):
    stats = annual_statistics(personas["prov_director"], YEAR)
    assert stats.projects == 4 and {c.label: c.total for c in stats.coverage}["合计"] == 8
    last = annual_statistics(personas["a_auditor"], YEAR - 1)
    assert last.projects == 1 and last.findings == 1 and last.amount == Decimal("5000")
    assert {c.label: c.count for c in last.coverage}["合计"] == 1  # A2's prior audit of last year
    empty = annual_statistics(personas["a_auditor"], 1995)
    assert empty.projects == 0 and empty.rectification_rate is None and empty.coverage[-1].rate == 0


def test_the_page_draws_from_json_and_exports_every_sheet(client_for, fixture):
    client = client_for("a_auditor")
    page = client.get(f"/manage/statistics/?year={YEAR}").content.decode()
    assert "乙-1" not in page and "3,100.00" in page
    data = json.loads(re.search(r'<script id="statistics-data" type="application/json">(.*?)</script>', page, re.S).group(1))
    assert {s["name"]: s["value"] for s in data["stages"]}["整改"] == 1
    assert data["problems"][0] == {"name": fixture["p1"].name, "value": 2, "amount": "2000.50"}
    assert "statistics.js" in page and "<script>" not in page
    # a hostile year is ignored (this year), never a 500
    assert client.get("/manage/statistics/?year=<script>").status_code == 200
    response = client.get(f"/manage/statistics/?year={YEAR}&format=xlsx")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert wb.sheetnames == ["概况", "项目阶段", "审计类型", "审计覆盖", "问题类型", "整改情况"]
    problems = list(wb["问题类型"].values)
    assert problems[1] == ("问题类型", "问题数", "涉及金额（元）")
    assert problems[2] == (fixture["p1"].name, 2, 2000.5) and problems[-1] == ("合计", 4, 3100)
    assert wb["问题类型"].cell(row=3, column=3).number_format.startswith("#,##0.00")
    cover = list(wb["审计覆盖"].values)
    assert cover[-1] == ("合计", 4, 2, "50.0%")
    assert list(wb["概况"].values)[3][:2] == ("审计项目（本年立项）", 3)


def test_statistics_are_for_staff_only(client_for):
    assert client_for("contact").get("/manage/statistics/").status_code == 404
    assert client_for("leader").get("/manage/statistics/").status_code == 200


def test_one_sheet_and_several_sheets_are_written_the_same_way(tmp_path, db):
    sheet = xlsx_export.Sheet("表", ["标题"], [xlsx_export.Column("a"), xlsx_export.Column("b", "money")], [("x", Decimal("1.50"))])
    assert xlsx_export.write_xlsx(sheet, tmp_path / "one.xlsx") == 1
    assert xlsx_export.write_workbook([sheet, sheet], tmp_path / "two.xlsx") == 2
    one, two = load_workbook(tmp_path / "one.xlsx"), load_workbook(tmp_path / "two.xlsx")
    assert one.sheetnames == ["表"] and len(two.sheetnames) == 2
    assert list(one.active.values) == list(two.worksheets[1].values)


def test_the_workbook_names_its_scope(fixture, personas):
    sheets = workbook(annual_statistics(personas["a_auditor"], YEAR), "甲市总工会及下级单位")
    assert "范围：甲市总工会及下级单位" in sheets[0].heading[1]
