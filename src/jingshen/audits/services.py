"""作业管理 writes: starting a project (立项) with its team and pinned evidence base, the
members' acknowledgement of the audit discipline, the workflow from stage to stage, adopting a
newer dataset or budget version, and a screening run over exactly the pinned versions. Each re-checks who
may do it (``PermissionError`` / ``ValueError`` in Chinese), runs in one transaction and ends
with one activity-log entry. An archived project refuses every write (models.ArchivedGuard)."""

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from jingshen.activity.services import record
from jingshen.audits.models import (
    ArchivedError,
    AuditProject,
    AuditType,
    PinnedBudget,
    PinnedDataset,
    ProjectMember,
    ProjectRole,
    ProjectUnit,
    Stage,
    StageChange,
    TimeEntry,
)
from jingshen.finance.models import Budget
from jingshen.ledger.models import Dataset, DatasetKind
from jingshen.orgs import scope
from jingshen.screening.models import ScreeningRun

MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True)
class TeamMember:
    user: object
    role: str  # ProjectRole
    hours: int = 0


# Who moves a project from one stage to the next (or back): the project's 组长 (LEADER), its 组长
# or 主审 (AUDITORS), or the auditing unit's 经审负责人 (DIRECTOR: scope.APPROVE on the owner unit).
LEADER, AUDITORS, DIRECTOR = "leader", "auditors", "director"
TRANSITIONS = {
    (Stage.INITIATION, Stage.SURVEY): DIRECTOR,  # 立项审批
    (Stage.SURVEY, Stage.PLAN): LEADER,
    (Stage.PLAN, Stage.NOTICE): LEADER,  # the notice is served
    (Stage.NOTICE, Stage.FIELDWORK): LEADER,  # not before notice_days after it was served
    (Stage.FIELDWORK, Stage.REVIEW): AUDITORS,
    (Stage.REVIEW, Stage.FIELDWORK): LEADER,  # returned for more work
    (Stage.REVIEW, Stage.CONSULTATION): DIRECTOR,  # after the 组长's review (sign_review)
    (Stage.CONSULTATION, Stage.REPORT): LEADER,
    (Stage.REPORT, Stage.RECTIFICATION): DIRECTOR,  # the report is issued
    (Stage.RECTIFICATION, Stage.ARCHIVED): DIRECTOR,
}
WHO = {LEADER: "项目组长", AUDITORS: "项目组长或主审", DIRECTOR: "审计单位的经审负责人"}


def _label(stage: str) -> str:
    return Stage(stage).label


def _clean_text(value: str, label: str, limit: int) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise ValueError(f"请填写{label}。")
    if len(text) > limit:
        raise ValueError(f"{label}不能超过 {limit} 个字。")
    return text


def create_project(user, *, code: str, name: str, audit_type: AuditType, units, fiscal_years, planned_start: datetime.date,
                   planned_end: datetime.date, team: list[TeamMember], notice_days: int = 3) -> AuditProject:
    """立项: a project of the user's unit on ``units`` for ``fiscal_years``, with its team, the
    newest voucher dataset of each unit and year pinned, and the screening run over exactly
    those versions if one exists. Each unit must be in the user's audit scope now (下审一级, or a
    cross-audit grant valid today: scope.PLAN)."""
    if user.org is None or not scope.may(user, scope.PLAN):
        raise PermissionError("只有经审负责人或审计组长可以审计立项。")
    code = _clean_text(code, "项目编号", 50)
    name = _clean_text(name, "项目名称", 200)
    units = list(dict.fromkeys(units))
    if not units:
        raise ValueError("请选择被审计单位。")
    outside = [u.name for u in units if not scope.can(user, scope.PLAN, u)]
    if outside:
        raise PermissionError(f"单位「{'、'.join(outside)}」不在您的审计范围内（下审一级，或有效的交叉互审授权），不能立项。")
    years = sorted({int(y) for y in fiscal_years})
    if not years or years[0] < MIN_YEAR or years[-1] > MAX_YEAR:
        raise ValueError(f"审计年度应在 {MIN_YEAR}～{MAX_YEAR} 年之间。")
    if planned_end < planned_start:
        raise ValueError("计划结束日期不能早于计划开始日期。")
    if not 0 <= notice_days <= 30:
        raise ValueError("通知书提前送达天数应在 0～30 天之间。")
    if not audit_type.active:
        raise ValueError(f"审计类型「{audit_type.name}」已停用。")
    _check_team(team)
    with transaction.atomic():
        if AuditProject.objects.filter(code=code).exists():
            raise ValueError(f"项目编号「{code}」已被使用。")
        project = AuditProject.objects.create(
            owner_org=user.org, code=code, name=name, audit_type=audit_type, fiscal_years=years,
            planned_start=planned_start, planned_end=planned_end, notice_days=notice_days, created_by=user,
        )
        ProjectUnit.objects.bulk_create([ProjectUnit(project=project, org=u) for u in units])
        ProjectMember.objects.bulk_create([
            ProjectMember(project=project, user=m.user, role=m.role, hours_budget=m.hours) for m in team
        ])
        pinned = _pin_latest(project, user, units, years)
        budgets = _pin_budgets(project, user, units, years)
        runs = _runs_over(pinned)
        project.screening_runs.set(runs)
        StageChange.objects.create(project=project, to_stage=Stage.INITIATION, by=user, note="立项")
        record("audits.create", f"审计立项「{code} {name}」：{len(units)} 个被审计单位，{project.years_text}，项目组 {len(team)} 人",
               actor=user, org=user.org, obj=project, units=[u.code for u in units], years=years,
               team=[{"user": m.user.username, "role": m.role, "hours": m.hours} for m in team],
               datasets=[d.pk for d in pinned], budgets=[b.pk for b in budgets], runs=[r.pk for r in runs])
    return project


def _check_team(team: list[TeamMember]) -> None:
    if not team:
        raise ValueError("请为项目组指定成员。")
    users = [m.user for m in team]
    if len({u.pk for u in users}) != len(users):
        raise ValueError("同一人不能在项目组中出现两次。")
    if [m.role for m in team].count(ProjectRole.LEADER) != 1:
        raise ValueError("项目组应有且只有一名组长。")
    for m in team:
        if m.role not in ProjectRole.values:
            raise ValueError("未知的项目角色。")
        if not scope.is_audit_staff(m.user):
            raise ValueError(f"「{m.user.display_name or m.user.username}」不是审计人员（经审负责人、审计组长或审计员），不能加入项目组。")
        if not 0 <= m.hours <= 10000:
            raise ValueError("计划工时应在 0～10,000 小时之间。")


def _pin_latest(project, user, units, years) -> list[Dataset]:
    """The newest voucher dataset of each unit and year, pinned to the project."""
    pinned = []
    for d in Dataset.objects.filter(org__in=units, fiscal_year__in=years, kind=DatasetKind.VOUCHERS).order_by("org_id", "fiscal_year", "version"):
        if pinned and (pinned[-1].org_id, pinned[-1].fiscal_year) == (d.org_id, d.fiscal_year):
            pinned[-1] = d
        else:
            pinned.append(d)
    PinnedDataset.objects.bulk_create([PinnedDataset(project=project, dataset=d, pinned_by=user) for d in pinned])
    return pinned


def _pin_budgets(project, user, units, years) -> list[Budget]:
    """The latest budget version of each unit and year, pinned to the project."""
    latest: dict[tuple[int, int], Budget] = {}
    for b in Budget.objects.filter(org__in=units, fiscal_year__in=years).order_by("version"):
        latest[(b.org_id, b.fiscal_year)] = b
    pinned = [latest[k] for k in sorted(latest)]
    PinnedBudget.objects.bulk_create([PinnedBudget(project=project, budget=b, pinned_by=user) for b in pinned])
    return pinned


def _runs_over(pinned: list[Dataset]) -> list[ScreeningRun]:
    """For each year, the newest completed screening run that screened every pinned dataset of
    that year (it may have screened other units too: the project reads its own units' flags)."""
    runs = []
    for year in sorted({d.fiscal_year for d in pinned}):
        wanted = {d.pk for d in pinned if d.fiscal_year == year}
        candidates = ScreeningRun.objects.filter(status=ScreeningRun.Status.DONE, fiscal_year=year, datasets__in=wanted)
        for run in candidates.distinct().order_by("-finished_at", "-id")[:20]:
            if wanted <= set(run.datasets.values_list("pk", flat=True)):
                runs.append(run)
                break
    return runs


def acknowledge_discipline(user, project: AuditProject) -> ProjectMember:
    """A member confirms the audit discipline (四严禁、八不准) before opening the project's data."""
    member = project.members.filter(user=user).first()
    if member is None:
        raise PermissionError("您不是该项目组的成员。")
    if member.acknowledged_at is not None:
        return member
    with transaction.atomic():
        member.acknowledged_at = timezone.now()
        member.save(update_fields=["acknowledged_at"])
        record("audits.acknowledge", f"确认遵守审计纪律（四严禁、八不准）：{project.code}", actor=user, org=project.owner_org, obj=project)
    return member


HOURS_STEP = Decimal("0.5")


def hours_text(hours) -> str:
    """8.0 → "8", 6.5 → "6.5"."""
    return format(Decimal(hours).normalize(), "f")


def record_hours(user, project: AuditProject, work_date: datetime.date, hours, description: str) -> TimeEntry:
    """A member who acknowledged the discipline records the hours they spent on the project on
    one day (half hours; at most 24 a day across their entries; not in the future, not before
    立项), with what they did."""
    project = AuditProject.objects.get(pk=project.pk)
    if project.archived:
        raise ArchivedError(project)
    member = project.members.filter(user=user, acknowledged_at__isnull=False).first()
    if member is None:
        raise PermissionError("只有确认了审计纪律的项目组成员可以记录工时。")
    try:
        hours = Decimal(str(hours).strip())
    except InvalidOperation:
        raise ValueError("工时应为数字，如 3 或 1.5。") from None
    if not hours.is_finite() or hours <= 0 or hours > 24 or hours % HOURS_STEP:
        raise ValueError("工时应在 0.5 到 24 小时之间，以半小时计。")
    if work_date is None or work_date > timezone.localdate():
        raise ValueError("不能记录今天以后的工时。")
    if work_date < timezone.localtime(project.created_at).date():
        raise ValueError(f"工时日期不能早于立项日期（{timezone.localtime(project.created_at):%Y-%m-%d}）。")
    description = _clean_text(description, "工作内容", 200)
    with transaction.atomic():
        member = ProjectMember.objects.select_for_update().get(pk=member.pk)
        that_day = sum(member.time_entries.filter(work_date=work_date).values_list("hours", flat=True), Decimal(0))
        if that_day + hours > 24:
            raise ValueError(f"{work_date:%Y-%m-%d} 已记录 {hours_text(that_day)} 小时，再记 {hours_text(hours)} 小时将超过一天 24 小时。")
        entry = TimeEntry.objects.create(project=project, member=member, work_date=work_date, hours=hours,
                                         description=description)
        record("audits.hours", f"记录工时：{project.code} {work_date:%Y-%m-%d} {hours_text(hours)} 小时（{description}）", actor=user,
               org=project.owner_org, obj=entry, after={"date": work_date, "hours": hours, "description": description})
    return entry


def delete_hours(user, entry: TimeEntry) -> None:
    """A member takes back an entry of their own (recorded in error)."""
    project = AuditProject.objects.get(pk=entry.project_id)
    if project.archived:
        raise ArchivedError(project)
    if entry.member.user_id != user.pk:
        raise PermissionError("只能删除自己记录的工时。")
    with transaction.atomic():
        record("audits.hours_delete", f"删除工时记录：{project.code} {entry.work_date:%Y-%m-%d} {hours_text(entry.hours)} 小时", actor=user,
               org=project.owner_org, obj=entry,
               before={"date": entry.work_date, "hours": entry.hours, "description": entry.description})
        entry.delete()


def hours_by_member(project: AuditProject) -> dict[int, Decimal]:
    """ProjectMember id -> hours recorded."""
    rows = TimeEntry.objects.filter(project=project).values("member").annotate(total=Sum("hours"))
    return {r["member"]: r["total"] for r in rows}


def may_act(user, project: AuditProject, who: str) -> bool:
    if who == DIRECTOR:
        return scope.can(user, scope.APPROVE, project.owner_org)
    member = project.members.filter(user=user, acknowledged_at__isnull=False).first()
    if member is None:
        return False
    return member.role == ProjectRole.LEADER or (who == AUDITORS and member.role == ProjectRole.LEAD_AUDITOR)


def advance(user, project: AuditProject, to_stage: str, note: str = "", today: datetime.date | None = None) -> AuditProject:
    """Move the project to ``to_stage``: only along TRANSITIONS, only by the role each step
    names, and with the conditions of each step (the notice served ``notice_days`` before
    fieldwork, the 组长's review before the 经审负责人's)."""
    today = today or timezone.localdate()
    project = AuditProject.objects.get(pk=project.pk)  # the stage as stored, not as a page saw it
    if project.archived:
        raise ArchivedError(project)
    if to_stage not in Stage.values:
        raise ValueError("未知的项目阶段。")
    step = (project.stage, to_stage)
    who = TRANSITIONS.get(step)
    if who is None:
        following = [_label(b) for (a, b) in TRANSITIONS if a == project.stage]
        raise ValueError(f"项目处于「{_label(project.stage)}」阶段，不能转到「{_label(to_stage)}」：下一步只能是「{'」或「'.join(following)}」。")
    if not may_act(user, project, who):
        raise PermissionError(f"从「{_label(project.stage)}」转到「{_label(to_stage)}」须由{WHO[who]}操作（项目组成员须先确认审计纪律）。")
    note = " ".join(str(note or "").split())[:500]
    changed = ["stage"]
    if step == (Stage.INITIATION, Stage.SURVEY):
        project.approved_by, project.approved_at = user, timezone.now()
        changed += ["approved_by", "approved_at"]
    elif step == (Stage.PLAN, Stage.NOTICE):
        project.notice_served_on = today
        changed.append("notice_served_on")
    elif step == (Stage.NOTICE, Stage.FIELDWORK):
        earliest = project.notice_served_on + datetime.timedelta(days=project.notice_days)
        if today < earliest:
            raise ValueError(f"审计通知书于 {project.notice_served_on:%Y-%m-%d} 送达，应提前 {project.notice_days} 天：{earliest:%Y-%m-%d} 起才能进场实施。")
    elif step == (Stage.REVIEW, Stage.CONSULTATION) and project.leader_signed_at is None:
        raise ValueError("组长尚未复核签字，经审负责人不能结束复核。")
    elif step == (Stage.REVIEW, Stage.FIELDWORK):
        if not note:
            raise ValueError("退回实施须写明原因。")
        project.leader_signed_by, project.leader_signed_at = None, None
        changed += ["leader_signed_by", "leader_signed_at"]
    elif step == (Stage.RECTIFICATION, Stage.ARCHIVED):
        project.archived_at = timezone.now()
        changed.append("archived_at")
    before = project.stage
    with transaction.atomic():
        StageChange.objects.create(project=project, from_stage=before, to_stage=to_stage, by=user, note=note)
        project.stage = to_stage
        project.save(update_fields=changed)
        if to_stage == Stage.RECTIFICATION:  # the report is issued: each finding is to be rectified
            from jingshen.audits import rectification

            rectification.open_items(user, project)
        record("audits.stage", f"审计项目「{project.code}」从「{_label(before)}」转到「{_label(to_stage)}」", actor=user,
               org=project.owner_org, obj=project, before={"stage": before}, after={"stage": to_stage}, note=note)
    return project


def sign_review(user, project: AuditProject) -> AuditProject:
    """The 组长's review sign-off (复核), which the 经审负责人's must follow."""
    project = AuditProject.objects.get(pk=project.pk)
    if project.stage != Stage.REVIEW:
        raise ValueError("只有处于「复核」阶段的项目才能复核签字。")
    if not may_act(user, project, LEADER):
        raise PermissionError("复核签字须由项目组长操作。")
    with transaction.atomic():
        project.leader_signed_by, project.leader_signed_at = user, timezone.now()
        project.save(update_fields=["leader_signed_by", "leader_signed_at"])
        record("audits.sign_review", f"组长复核签字：{project.code}", actor=user, org=project.owner_org, obj=project)
    return project


def adopt_dataset(user, project: AuditProject, dataset: Dataset) -> PinnedDataset:
    """Replace the pinned version of a unit-year by a newer one, explicitly (组长 or 经审负责人).
    The project's screening run of that year no longer matches its evidence base and is let go;
    a new one is started over the pinned versions (start_run)."""
    if project.archived:
        raise ArchivedError(project)
    if not (may_act(user, project, LEADER) or may_act(user, project, DIRECTOR)):
        raise PermissionError("只有项目组长或经审负责人可以更换项目使用的数据版本。")
    if dataset.kind != DatasetKind.VOUCHERS or dataset.fiscal_year not in project.fiscal_years \
            or not project.units.filter(org=dataset.org).exists():
        raise ValueError("该数据集不是本项目被审计单位、审计年度的凭证数据。")
    with transaction.atomic():
        old = project.pins.filter(dataset__org=dataset.org, dataset__fiscal_year=dataset.fiscal_year,
                                  dataset__kind=dataset.kind).select_related("dataset").first()
        if old is not None and old.dataset.version >= dataset.version:
            raise ValueError(f"项目已使用第 {old.dataset.version} 版，只能换用更新的版本。")
        if old is not None:
            old.delete()
        pin = PinnedDataset.objects.create(project=project, dataset=dataset, pinned_by=user)
        dropped = [r.pk for r in project.screening_runs.filter(fiscal_year=dataset.fiscal_year)]
        project.screening_runs.remove(*dropped)
        record("audits.adopt_dataset",
               f"审计项目「{project.code}」换用{dataset.org.name} {dataset.fiscal_year} 年凭证第 {dataset.version} 版"
               + (f"（原第 {old.dataset.version} 版）" if old else ""),
               actor=user, org=project.owner_org, obj=project, before={"version": old.dataset.version if old else None},
               after={"version": dataset.version}, dataset=dataset.pk, runs_dropped=dropped)
    return pin


def adopt_budget(user, project: AuditProject, budget: Budget) -> PinnedBudget:
    """Replace the pinned budget version of a unit-year by a newer one, or pin one imported after
    立项, explicitly (组长 or 经审负责人), as ``adopt_dataset`` does for vouchers."""
    if project.archived:
        raise ArchivedError(project)
    if not (may_act(user, project, LEADER) or may_act(user, project, DIRECTOR)):
        raise PermissionError("只有项目组长或经审负责人可以更换项目使用的预算版本。")
    if budget.fiscal_year not in project.fiscal_years or not project.units.filter(org=budget.org_id).exists():
        raise ValueError("该预算不是本项目被审计单位、审计年度的预算。")
    with transaction.atomic():
        old = project.budget_pins.filter(budget__org=budget.org_id, budget__fiscal_year=budget.fiscal_year) \
            .select_related("budget").first()
        if old is not None and old.budget.version >= budget.version:
            raise ValueError(f"项目已使用第 {old.budget.version} 版预算，只能换用更新的版本。")
        if old is not None:
            old.delete()
        pin = PinnedBudget.objects.create(project=project, budget=budget, pinned_by=user)
        record("audits.adopt_budget",
               f"审计项目「{project.code}」换用{budget.org.name} {budget.fiscal_year} 年预算第 {budget.version} 版"
               + (f"（原第 {old.budget.version} 版）" if old else ""),
               actor=user, org=project.owner_org, obj=project, before={"version": old.budget.version if old else None},
               after={"version": budget.version}, budget=budget.pk)
    return pin


def start_run(user, project: AuditProject, year: int) -> ScreeningRun:
    """A screening run over exactly the project's pinned vouchers of ``year``, in the background;
    it becomes the project's run of that year when it is recorded."""
    from jingshen.screening import services as screening, tasks

    if project.archived:
        raise ArchivedError(project)
    if not (may_act(user, project, AUDITORS) or may_act(user, project, DIRECTOR)):
        raise PermissionError("只有项目组长、主审或经审负责人可以为项目筛查。")
    datasets = [p.dataset for p in project.pins.select_related("dataset__org").filter(dataset__fiscal_year=year)]
    if not datasets:
        raise ValueError(f"项目没有 {year} 年的凭证数据，请先在数据采集中导入并换用。")
    with transaction.atomic():
        run = screening.start_run(year=year, actor=user, datasets=datasets)
        transaction.on_commit(lambda: tasks.run_screening_task.enqueue(run.pk))
        project.screening_runs.remove(*project.screening_runs.filter(fiscal_year=year))
        project.screening_runs.add(run)
        record("audits.start_run", f"审计项目「{project.code}」按项目数据版本发起 {year} 年疑点筛查 #{run.pk}",
               actor=user, org=project.owner_org, obj=project, run=run.pk)
    return run

