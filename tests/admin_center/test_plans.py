"""年度审计计划: the proposal from risk and coverage, the writes and their refusals, approval by
the 经审负责人 only, 立项 from an item, 退回修改, and the pages (list, propose, detail, export)."""

import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from jingshen.accounts.models import RoleCode
from jingshen.activity.models import ActivityLog
from jingshen.admin_center import plans, services
from jingshen.admin_center.models import AnnualPlan, PlanItem, PriorAudit
from jingshen.audits.models import AuditProject, AuditType, ProjectRole
from jingshen.audits.services import TeamMember
from jingshen.orgs.models import Org
from jingshen.screening.models import CurrentRisk, ScreeningRun
from jingshen.orgs.services import import_orgs
from tests.conftest import make_user, write_csv

YEAR = timezone.localdate().year


@pytest.fixture
def audit_type(db):
    return AuditType.objects.get(name="财务收支审计")


@pytest.fixture
def people(personas):
    """The 经审负责人 and 审计组长 of 甲市 (A), which audits A1 and A2 (下审一级)."""
    return {"director": make_user("A", "a_director", RoleCode.DIRECTOR), "lead": personas["a_lead"],
            "auditor": personas["a_auditor"], "b_director": make_user("B", "b_director", RoleCode.DIRECTOR)}


def risk(org: Org, score: float, flags: int = 5):
    run = ScreeningRun.objects.create(fiscal_year=2025, status=ScreeningRun.Status.DONE, finished_at=timezone.now())
    return CurrentRisk.objects.create(org=org, run=run, fiscal_year=2025, score=score, flags=flags, finished_at=run.finished_at)


def spec(org, audit_type, **kw):
    values = {"fiscal_years": [YEAR - 1], "planned_start": datetime.date(YEAR, 3, 1), "planned_end": datetime.date(YEAR, 4, 30)}
    return services.ItemSpec(org=org, audit_type=audit_type, **(values | kw))


def counts():
    return (AnnualPlan.objects.count(), PlanItem.objects.count(), ActivityLog.objects.count(), AuditProject.objects.count())


# --- the proposal ------------------------------------------------------------------------------------


def test_the_proposal_ranks_high_risk_then_never_audited_then_the_longest_gap(tree, people, audit_type, tmp_path):
    director = people["director"]
    import_orgs(write_csv(tmp_path / "more.csv", [["A3", "甲市三区总工会", "A", "县", "工会机关", ""],
                                                  ["A4", "甲市四区总工会", "A", "县", "工会机关", ""]]))
    a3 = Org.objects.get(code="A3")
    risk(tree["A1"], 72.5, flags=12)  # high risk, and never audited
    risk(tree["A2"], 30)  # below the threshold; audited 4 years before the plan year: a gap
    PriorAudit.objects.create(org=tree["A2"], year=YEAR - 4, audit_type=audit_type, created_by=director)
    PriorAudit.objects.create(org=a3, year=YEAR - 1, audit_type=audit_type, created_by=director)  # recent: no reason
    risk(tree["B1"], 99)  # another branch: never a candidate
    proposal = plans.propose(director, YEAR, 60)
    assert [c.org.code for c in proposal] == ["A1", "A4", "A2"]
    a1, a4_, a2 = proposal
    assert a1.reasons == ["risk", "never"] and a1.reason == "risk" and a1.risk_score == 72.5 and a1.last_audited is None
    assert a1.reason_text(YEAR, 60) == "风险分 72.5（不低于 60），疑点 12 个；从未审计"
    assert a4_.reasons == ["never"] and a4_.risk_score is None
    assert a2.reasons == ["gap"] and a2.last_audited == YEAR - 4
    assert a2.reason_text(YEAR, 60) == f"最近审计 {YEAR - 4} 年，至 {YEAR} 年已 4 年未审计"
    # the threshold is a parameter: lowered, A2 is proposed for its risk too
    assert plans.propose(director, YEAR, 25)[1].org.code == "A2"
    # the own unit is not its own candidate; 3 years is a gap, 2 is not
    assert "A" not in {c.org.code for c in plans.assess(plans.candidate_units(director), YEAR, 60)}
    PriorAudit.objects.filter(org=tree["A2"]).update(year=YEAR - 3)
    assert "A2" in {c.org.code for c in plans.propose(director, YEAR, 60)}
    PriorAudit.objects.filter(org=tree["A2"]).update(year=YEAR - 2)
    assert "A2" not in {c.org.code for c in plans.propose(director, YEAR, 60)}


def test_the_propose_page_shows_candidates_and_saves_only_what_was_ticked(client, tree, people, audit_type):
    risk(tree["A1"], 80)
    client.force_login(people["director"])
    before = counts()
    page = client.get(f"/manage/plans/propose/?year={YEAR}&threshold=70").content.decode()
    assert "甲市一区总工会" in page and "甲市二区总工会" in page and "风险较高" in page and "从未审计" in page
    assert 'value="70"' in page and "乙市" not in page
    assert counts() == before  # a proposal writes nothing
    response = client.post(f"/manage/plans/propose/?year={YEAR}", {
        "year": YEAR, "threshold": "70", "units": ["A1"], "audit_type": audit_type.pk, "fiscal_years": f"{YEAR - 2}、{YEAR - 1}",
        "planned_start": f"{YEAR}-03-01", "planned_end": f"{YEAR}-04-30", "note": "<b>重点</b>审计高风险单位"})
    plan = AnnualPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/manage/plans/{plan.pk}/"
    item = plan.items.get()
    assert (plan.owner_org.code, plan.status, plan.note) == ("A", "draft", "<b>重点</b>审计高风险单位")
    assert (item.org.code, item.reason, item.risk_score, item.fiscal_years) == ("A1", "risk", 80, [YEAR - 2, YEAR - 1])
    assert "风险分 80.0（不低于 70）" in item.reason_text  # recomputed on the server, not taken from the page
    assert ActivityLog.objects.filter(action="admin_center.plan_create").count() == 1
    page = client.get(f"/manage/plans/{plan.pk}/").content.decode()
    assert "&lt;b&gt;重点&lt;/b&gt;" in page and "<b>重点</b>" not in page
    # a second plan for the same unit and year is refused; the page links to the existing one
    assert "已存在" in client.get(f"/manage/plans/propose/?year={YEAR}").content.decode()


def test_the_propose_page_is_only_for_those_who_write_plans(client_for, people, client):
    assert client_for("a_auditor").get("/manage/plans/propose/").status_code == 404
    assert client_for("leader").get("/manage/plans/propose/").status_code == 404
    client.force_login(people["lead"])
    assert client.get("/manage/plans/propose/").status_code == 200


# --- bad input, in the service --------------------------------------------------------------------------


def test_a_unit_outside_the_directors_audit_scope_is_refused_and_nothing_written(tree, people, audit_type):
    director = people["director"]
    before = counts()
    for outside in ("B1", "A1X", "P", "A"):  # another branch, two levels down, above, the own unit
        with pytest.raises(PermissionError, match="不在您的审计范围内"):
            services.create_plan(director, year=YEAR, items=[spec(tree["A1"], audit_type), spec(tree[outside], audit_type)])
    assert counts() == before
    plan = services.create_plan(director, year=YEAR, items=[spec(tree["A1"], audit_type)])
    before = counts()
    with pytest.raises(PermissionError, match="不在您的审计范围内"):
        services.add_plan_item(director, plan, spec(tree["B1X"], audit_type))
    assert counts() == before


@pytest.mark.parametrize("bad,message", [
    ({"planned_end": datetime.date(YEAR, 2, 1)}, "计划结束日期不能早于计划开始日期"),
    ({"planned_start": datetime.date(YEAR + 1, 1, 5), "planned_end": datetime.date(YEAR + 1, 2, 1)}, "计划开始日期应在计划年度"),
    ({"fiscal_years": [YEAR + 1]}, "审计年度应在 2000 年至计划年度"),
    ({"fiscal_years": []}, "请填写审计年度"),
])
def test_bad_item_values_are_refused_with_nothing_written(tree, people, audit_type, bad, message):
    before = counts()
    with pytest.raises(ValueError, match=message):
        services.create_plan(people["director"], year=YEAR, items=[spec(tree["A1"], audit_type, **bad)])
    assert counts() == before


def test_a_wrong_year_and_a_duplicate_unit_and_type_are_refused(tree, people, audit_type):
    director = people["director"]
    before = counts()
    for year in (1900, YEAR - 2, YEAR + 3):
        with pytest.raises(ValueError, match="计划年度应在"):
            services.create_plan(director, year=year, items=[])
    with pytest.raises(ValueError, match="已在计划中"):
        services.create_plan(director, year=YEAR, items=[spec(tree["A1"], audit_type), spec(tree["A1"], audit_type)])
    assert counts() == before
    plan = services.create_plan(director, year=YEAR, items=[spec(tree["A1"], audit_type)])
    other_type = AuditType.objects.exclude(pk=audit_type.pk).filter(active=True).first()
    services.add_plan_item(director, plan, spec(tree["A1"], other_type))  # the same unit for another type is fine
    with pytest.raises(ValueError, match="已在计划中"):
        services.add_plan_item(director, plan, spec(tree["A1"], audit_type))
    with pytest.raises(ValueError, match="已存在"):
        services.create_plan(director, year=YEAR, items=[])
    assert plan.items.count() == 2


def test_the_pages_refuse_bad_input_in_chinese_with_nothing_written(client, tree, people, audit_type):
    director = people["director"]
    plan = services.create_plan(director, year=YEAR, items=[spec(tree["A1"], audit_type)])
    item = plan.items.get()
    client.force_login(director)
    before = counts()
    response = client.post(f"/manage/plans/items/{item.pk}/", {"audit_type": audit_type.pk, "fiscal_years": "2025",
                                                              "planned_start": f"{YEAR}-05-01", "planned_end": f"{YEAR}-04-01"},
                           follow=True)
    assert "计划结束日期不能早于计划开始日期" in response.content.decode()
    response = client.post(f"/manage/plans/{plan.pk}/items/add/", {"org": "A2", "audit_type": audit_type.pk, "fiscal_years": "二〇二五",
                                                                  "planned_start": f"{YEAR}-05-01", "planned_end": f"{YEAR}-06-01"},
                           follow=True)
    assert "审计年度应为四位年份" in response.content.decode()
    # a unit of another branch answers like one that does not exist
    assert client.post(f"/manage/plans/{plan.pk}/items/add/", {"org": "B1", "audit_type": audit_type.pk, "fiscal_years": "2025",
                                                              "planned_start": f"{YEAR}-05-01", "planned_end": f"{YEAR}-06-01"}
                       ).status_code == 404
    assert counts() == before


# --- adjusting a draft ----------------------------------------------------------------------------------


def test_a_draft_is_adjusted_item_by_item_and_each_change_logged(client, tree, people, audit_type):
    lead = people["lead"]  # the 审计组长 writes the plan too
    plan = services.create_plan(lead, year=YEAR, items=[spec(tree["A1"], audit_type)])
    client.force_login(lead)
    client.post(f"/manage/plans/{plan.pk}/items/add/", {"org": "A2", "audit_type": audit_type.pk, "fiscal_years": "2024,2025",
                                                       "planned_start": f"{YEAR}-05-01", "planned_end": f"{YEAR}-06-01",
                                                       "reason_text": "领导交办"})
    added = plan.items.get(org__code="A2")
    assert (added.reason, added.reason_text, added.fiscal_years) == ("manual", "领导交办", [2024, 2025])
    item = plan.items.get(org__code="A1")
    client.post(f"/manage/plans/items/{item.pk}/", {"audit_type": audit_type.pk, "fiscal_years": "2025",
                                                   "planned_start": f"{YEAR}-09-01", "planned_end": f"{YEAR}-10-15"})
    item.refresh_from_db()
    assert (item.planned_start, item.planned_end) == (datetime.date(YEAR, 9, 1), datetime.date(YEAR, 10, 15))
    change = ActivityLog.objects.get(action="admin_center.plan_item_update")
    assert set(change.before) == {"计划开始", "计划结束"}
    client.post(f"/manage/plans/{plan.pk}/note/", {"note": "按下审一级原则编制。"})
    plan.refresh_from_db()
    assert plan.note == "按下审一级原则编制。"
    client.post(f"/manage/plans/items/{added.pk}/remove/")
    assert list(plan.items.values_list("org__code", flat=True)) == ["A1"]
    assert ActivityLog.objects.filter(action="admin_center.plan_item_remove").get().before["单位"] == "A2"


def test_only_the_plans_own_unit_writes_it(client, client_for, tree, people, audit_type, personas):
    plan = services.create_plan(people["director"], year=YEAR, items=[spec(tree["A1"], audit_type)])
    item = plan.items.get()
    with pytest.raises(PermissionError):
        services.update_plan_note(personas["prov_director"], plan, "上级改写")
    with pytest.raises(PermissionError):
        services.remove_plan_item(people["auditor"], item)
    # readers of the unit and above see it; they get no write forms and their posts are 404
    for name in ("a_auditor", "prov_director", "leader"):
        client = client_for(name)
        page = client.get(f"/manage/plans/{plan.pk}/").content.decode()
        assert "甲市一区总工会" in page and "note-form" not in page and "add-item-form" not in page, name
        assert client.post(f"/manage/plans/items/{item.pk}/remove/").status_code == 404
    assert client_for("b_auditor").get(f"/manage/plans/{plan.pk}/").status_code == 404
    assert client_for("a1_auditor").get(f"/manage/plans/{plan.pk}/").status_code == 404  # below the plan's unit
    assert client_for("contact").get("/manage/plans/").status_code == 404
    assert plan.items.count() == 1


# --- approval, 立项, 退回修改 ------------------------------------------------------------------------------


def test_only_the_director_approves_not_the_team_lead(client, tree, people, audit_type, personas):
    plan = services.create_plan(people["lead"], year=YEAR, items=[spec(tree["A1"], audit_type)])
    for user in (people["lead"], personas["prov_director"], people["b_director"]):
        with pytest.raises(PermissionError, match="经审负责人"):
            services.approve_plan(user, plan)
    client.force_login(people["lead"])
    assert "批准计划" not in client.get(f"/manage/plans/{plan.pk}/").content.decode()
    assert client.post(f"/manage/plans/{plan.pk}/approve/").status_code == 404
    plan.refresh_from_db()
    assert plan.status == "draft"
    client.force_login(people["director"])
    client.post(f"/manage/plans/{plan.pk}/approve/")
    plan.refresh_from_db()
    assert (plan.status, plan.approved_by) == ("approved", people["director"])
    # an approved plan is not adjusted
    with pytest.raises(ValueError, match="已批准"):
        services.add_plan_item(people["lead"], plan, spec(tree["A2"], audit_type))
    empty = services.create_plan(people["b_director"], year=YEAR, items=[])
    with pytest.raises(ValueError, match="没有被审计单位"):
        services.approve_plan(people["b_director"], empty)


def test_an_approved_item_starts_its_project_and_return_to_draft_keeps_it(client, tree, people, audit_type):
    director, lead = people["director"], people["lead"]
    plan = services.create_plan(lead, year=YEAR, items=[spec(tree["A1"], audit_type), spec(tree["A2"], audit_type)])
    a1, a2 = plan.items.order_by("org__path")
    team = [TeamMember(lead, ProjectRole.LEADER, 40)]
    with pytest.raises(ValueError, match="批准后才能"):
        services.start_plan_item(lead, a1, code="甲经审〔2026〕1号", name="审计", team=team)
    services.approve_plan(director, plan)
    client.force_login(lead)
    page = client.get(f"/manage/plans/{plan.pk}/").content.decode()
    assert "按此事项立项" in page
    response = client.post(f"/manage/plans/items/{a1.pk}/project/", {
        "code": "甲经审〔2026〕1号", "name": "甲市一区总工会 2025 年度财务收支审计", "leader": lead.username,
        "lead_auditor": "", "hours": "40", "notice_days": "3"})
    a1.refresh_from_db()
    project = a1.project
    assert response.status_code == 302 and response["Location"] == f"/audits/{project.pk}/"
    assert project.owner_org.code == "A" and list(project.units.values_list("org__code", flat=True)) == ["A1"]
    assert (project.audit_type, project.fiscal_years, project.planned_start) == (audit_type, [YEAR - 1], datetime.date(YEAR, 3, 1))
    assert ActivityLog.objects.filter(action="admin_center.plan_item_project").exists()
    with pytest.raises(ValueError, match="已据此立项"):
        services.start_plan_item(lead, a1, code="甲经审〔2026〕9号", name="又一次", team=team)
    # a bad team is refused by the audits service, in Chinese, nothing written
    before = counts()
    response = client.post(f"/manage/plans/items/{a2.pk}/project/", {"code": "甲经审〔2026〕2号", "name": "x",
                                                                    "leader": "b_auditor", "hours": "1", "notice_days": "3"},
                           follow=True)
    assert "不是本单位的审计人员" in response.content.decode() and counts() == before

    # 退回修改: only the director, with a reason; the started item stays linked and cannot be changed
    with pytest.raises(PermissionError):
        services.return_plan(lead, plan, "调整")
    with pytest.raises(ValueError, match="理由"):
        services.return_plan(director, plan, "  ")
    services.return_plan(director, plan, "增加专项审计")
    plan.refresh_from_db()
    a1.refresh_from_db()
    assert plan.status == "draft" and plan.approved_by is None and a1.project == project
    with pytest.raises(ValueError, match="已据此立项"):
        services.remove_plan_item(lead, a1)
    with pytest.raises(ValueError, match="已据此立项"):
        services.update_plan_item(lead, a1, audit_type=audit_type, fiscal_years=[2025], planned_start=a1.planned_start,
                                  planned_end=a1.planned_end)
    with pytest.raises(ValueError, match="不能删除计划"):
        services.delete_plan(lead, plan)
    services.remove_plan_item(lead, a2)  # one without a project still goes
    assert ActivityLog.objects.get(action="admin_center.plan_return").details["reason"] == "增加专项审计"


def test_a_draft_without_projects_may_be_deleted(client, tree, people, audit_type):
    plan = services.create_plan(people["lead"], year=YEAR, items=[spec(tree["A1"], audit_type)])
    client.force_login(people["lead"])
    assert client.post(f"/manage/plans/{plan.pk}/delete/").status_code == 302
    assert not AnnualPlan.objects.exists() and not PlanItem.objects.exists()
    assert ActivityLog.objects.get(action="admin_center.plan_delete").before["计划事项"][0]["单位"] == "A1"


# --- list and export ------------------------------------------------------------------------------------


def test_the_list_holds_the_plans_in_scope_and_the_plan_exports(client, client_for, tree, people, audit_type, personas):
    a = services.create_plan(people["director"], year=YEAR, items=[spec(tree["A1"], audit_type, reason_text="=cmd|' /C calc'!A0")],
                             note="甲市计划")
    services.create_plan(people["b_director"], year=YEAR, items=[spec(tree["B1"], audit_type)])
    assert "甲市总工会" in client_for("a_auditor").get("/manage/plans/").content.decode()
    assert "乙市总工会" not in client_for("a_auditor").get("/manage/plans/").content.decode()
    page = client_for("prov_director").get(f"/manage/plans/?year={YEAR}").content.decode()
    assert "甲市总工会" in page and "乙市总工会" in page
    response = client_for("a_auditor").get(f"/manage/plans/{a.pk}/?format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.values)
    assert rows[0][0] == f"甲市总工会 {YEAR} 年度审计计划" and "编制说明：甲市计划" in rows[2][0]
    header = rows[3]
    assert header[:3] == ("序号", "被审计单位编码", "被审计单位")
    assert rows[4][1:3] == ("A1", "甲市一区总工会") and rows[4][8].startswith("'=")  # a formula stays text
    assert ActivityLog.objects.filter(action="download", summary__contains="年度审计计划").exists()
