"""Two demo audit projects of 杭州市西湖区总工会 on its grassroots units, made through the same
services users call, so that a newcomer sees the whole lifecycle at once: one archived (findings,
a signed-off workpaper, the report, rectification accepted) and one in fieldwork (verifications
under way, a finding, a workpaper with an open review note). Idempotent: nothing is made twice."""

import datetime

from django.core.files.base import ContentFile
from django.utils import timezone

from jingshen.accounts.models import User
from jingshen.audits import findings, paperwork, rectification, services, survey, workpapers
from jingshen.audits.models import AuditProject, AuditType, ProblemType, ProjectRole, Stage, VerificationStatus
from jingshen.orgs.models import Org
from jingshen.screening.models import Flag
from jingshen.screening.services import run_screening

COUNTY = "330103"  # 杭州市西湖区总工会: its 经审会 audits the grassroots units below it
# the archived one is on the demo contact's unit, so that the contact sees what an audit sends it
ARCHIVED = ("西经审〔2026〕1号", "330103001", "西湖职业技术学校工会委员会 2025 年度财务收支审计")
FIELDWORK = ("西经审〔2026〕2号", "330103003", "西湖第一中学工会委员会 2025 年度财务收支审计")


def ensure_demo_projects() -> list[str]:
    """Make the demo projects that do not exist yet; return the codes of both."""
    county = Org.objects.get(code=COUNTY)
    director = User.objects.get(username="county_director")
    lead = User.objects.get(username="county_lead")
    wanted = [ARCHIVED, FIELDWORK]
    if all(AuditProject.objects.filter(code=code).exists() for code, _, _ in wanted):
        return [code for code, _, _ in wanted]
    run_screening(year=2025, org=county)  # the evidence both projects are pinned to
    if not AuditProject.objects.filter(code=ARCHIVED[0]).exists():
        _archived(director, lead, *ARCHIVED)
    if not AuditProject.objects.filter(code=FIELDWORK[0]).exists():
        _in_fieldwork(director, lead, *FIELDWORK)
    return [code for code, _, _ in wanted]


def _start(director, lead, code: str, unit_code: str, name: str) -> AuditProject:
    today = timezone.localdate()
    project = services.create_project(
        lead, code=code, name=name, audit_type=AuditType.objects.get(name="财务收支审计"), units=[Org.objects.get(code=unit_code)],
        fiscal_years=[2025], planned_start=today, planned_end=today + datetime.timedelta(days=45),
        team=[services.TeamMember(lead, ProjectRole.LEADER, 80), services.TeamMember(director, ProjectRole.MEMBER, 16)],
    )
    services.acknowledge_discipline(lead, project)
    services.acknowledge_discipline(director, project)
    services.advance(director, project, Stage.SURVEY, "同意立项")
    services.advance(lead, project, Stage.PLAN)
    paperwork.generate_notice(lead, project)
    services.advance(lead, project, Stage.NOTICE, today=today)
    services.advance(lead, project, Stage.FIELDWORK, today=today + datetime.timedelta(days=project.notice_days))
    return project


def _top_flags(project: AuditProject, n: int):
    """The ``n`` highest-scored flags of the project's run, one per voucher, statistics aside (an
    outlier is a lead to a problem, not the problem the finding names)."""
    run = project.screening_runs.get()
    chosen, seen = [], set()
    for flag in (Flag.objects.filter(run=run, org__in=project.units.values("org")).exclude(voucher_no=None)
                 .exclude(category="统计").order_by("-voucher_score", "-score", "id")):
        key = (flag.period, flag.voucher_type, flag.voucher_no)
        if key not in seen:
            seen.add(key)
            chosen.append(flag)
        if len(chosen) == n:
            break
    return chosen


def _finding_from(lead, project: AuditProject, flag, problem: str, recommendation: str):
    verification = findings.verify(lead, project, VerificationStatus.CONFIRMED, flag=flag, note="已调阅原始凭证，情况属实")
    return findings.save_finding(
        lead, project, problem_type=ProblemType.objects.get(name=problem), org=flag.org, title=flag.rule_name,
        amount=abs(flag.amount or 0), description=flag.message, basis=flag.basis.replace("；", "\n"),
        recommendation=recommendation, verifications=[verification],
    )


def _workpaper(lead, project: AuditProject, index_no: str, matter: str, conclusion: str):
    return workpapers.create_workpaper(
        lead, project, org=project.units.get().org, index_no=index_no, matter=matter, period_text="2025 年度",
        procedures="调阅记账凭证及原始凭证，核对支出审批手续和发放名单", conclusion=conclusion, basis="《基层工会经费收支管理办法》",
    )


def _archived(director, lead, code: str, unit_code: str, name: str) -> None:
    project = _start(director, lead, code, unit_code, name)
    flags = _top_flags(project, 3)
    made = [_finding_from(lead, project, flag, "违规发放", "收回违规发放的款项，完善经费审批制度") for flag in flags[:2]]
    if made:
        record = "审计取证记录\n事项：" + made[0].title + "\n经调阅原始凭证及发放名单，情况属实。\n被审计单位经办人签字：（已签）\n"
        workpapers.add_evidence(lead, made[0], ContentFile(record.encode(), name="取证记录.txt"), "经办人签字确认的取证记录")
    today = timezone.localdate()
    services.record_hours(lead, project, today, "6", "调阅凭证、核实疑点、编制底稿")
    services.record_hours(director, project, today, "2", "复核底稿")
    if len(flags) > 2:
        findings.verify(lead, project, VerificationStatus.DISMISSED, flag=flags[2], reason="附件齐全，审批手续完备")
    wp = _workpaper(director, project, "A-1", "经费支出的真实性与合规性", "发现违规发放问题，已形成审计发现")
    workpapers.submit_workpaper(director, wp)
    workpapers.sign_off(lead, wp)
    services.advance(lead, project, Stage.REVIEW)
    services.sign_review(lead, project)
    services.advance(director, project, Stage.CONSULTATION)
    contact = User.objects.get(username="contact")  # the unit's 联络人 answers and reports its rectification
    paperwork.generate_draft_report(lead, project, timezone.localdate() + datetime.timedelta(days=10))
    for request in project.requests.all():
        survey.answer_request(contact, request, "对审计报告（征求意见稿）无异议。")
    services.advance(lead, project, Stage.REPORT)
    paperwork.generate_report(director, project)
    services.advance(director, project, Stage.RECTIFICATION)
    paperwork.generate_rectification_notice(lead, project)
    for item in rectification.project_items(project):
        rectification.submit(contact, item, measures="已收回违规发放的款项，修订经费审批制度", owner="工会主席")
        rectification.review(lead, item, accept=True)
    services.advance(director, project, Stage.ARCHIVED, "整改完毕，归档")


def _in_fieldwork(director, lead, code: str, unit_code: str, name: str) -> None:
    project = _start(director, lead, code, unit_code, name)
    flags = _top_flags(project, 3)
    if flags:
        _finding_from(lead, project, flags[0], "违规发放", "收回违规发放的款项")
    for flag in flags[1:]:
        findings.assign(lead, project, director, flag=flag)
    services.record_hours(lead, project, timezone.localdate(), "4", "现场审计：节日慰问品发放")
    wp = _workpaper(lead, project, "A-1", "节日慰问品发放", "待补充发放名单后形成结论")
    workpapers.submit_workpaper(lead, wp)
    workpapers.add_note(director, wp, "请补充节日慰问品的发放名单和签收记录。")
