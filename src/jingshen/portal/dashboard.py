"""The figures of the 门户 home page, each for one user and only from what the user may see
(portal/access.py, audits/access.py, orgs/scope.py). Every figure is read from aggregates kept
when data changes — ``CurrentRisk`` (one row per unit, kept when a screening run ends), the
coverage of admin_center/coverage.py, counts of project rows — never from ledger data."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone

from jingshen.collection.models import LateReport
from jingshen.admin_center import coverage as cov
from jingshen.audits import access as audits_access
from jingshen.audits.models import (
    AuditProject,
    DataRequest,
    FlagVerification,
    NoteStatus,
    ProjectMember,
    ProjectRole,
    Rectification,
    ReviewNote,
    Stage,
    VerificationStatus,
    Workpaper,
    WorkpaperStatus,
)
from jingshen.orgs import scope
from jingshen.orgs.models import Level
from jingshen.portal import access
from jingshen.screening.scoring import BANDS as SCORE_BANDS, band

TOP = 10  # units in the home page's ranking
NEW_SINCE_FIRST_VISIT = datetime.timedelta(days=30)  # "new" at a first visit: the last 30 days
TODO_MAX = 20  # to-do items shown
DUE_SOON = datetime.timedelta(days=7)  # a project ending within a week is a to-do of its team

# The run page's risk bands (screening/scoring.py), and 无疑点 for a unit screened without a flag.
BANDS = (*((key, label) for key, label, _ in SCORE_BANDS), ("none", "无疑点"))
BAND_LABELS = dict(BANDS)
UNSCREENED = ("unscreened", "未筛查")
HIGH_SCORE, MEDIUM_SCORE = (low for key, _, low in SCORE_BANDS if key in ("high", "medium"))
BAND_Q = {
    "high": Q(score__gte=HIGH_SCORE),
    "medium": Q(score__gte=MEDIUM_SCORE, score__lt=HIGH_SCORE),
    "low": Q(score__gt=0, score__lt=MEDIUM_SCORE),
    "none": Q(score__lte=0),
}


def band_of(score: float) -> str:
    return band(score)[0] if score > 0 else "none"


# --- 风险预警 ------------------------------------------------------------------------------------------


def top_risks(user, n: int = TOP) -> list:
    rows = list(access.risks_for(user).select_related("org", "run").order_by("-score", "org__code")[:n])
    for row in rows:
        row.band = band_of(row.score)
        row.band_label = BAND_LABELS[row.band]
    return rows


@dataclass
class NewHigh:
    since: datetime.datetime
    first_visit: bool
    total: int
    runs: list[dict]  # {run_id, fiscal_year, finished_at, high, units, url}


def new_high_flags(user, previous_at: datetime.datetime | None, now: datetime.datetime | None = None) -> NewHigh:
    """High-severity flags of the runs finished since the user's previous visit, on the units
    whose current risk they made (``CurrentRisk.high``), by run, each with the link to the run's
    high flags."""
    first = previous_at is None
    since = previous_at or (now or timezone.now()) - NEW_SINCE_FIRST_VISIT
    rows = (access.risks_for(user).filter(finished_at__gt=since, high__gt=0)
            .values("run_id", "fiscal_year", "finished_at").annotate(high_total=Sum("high"), units=Count("id"))
            .order_by("-finished_at", "-run_id"))
    runs = [{"run_id": r["run_id"], "fiscal_year": r["fiscal_year"], "finished_at": r["finished_at"], "high": r["high_total"],
             "units": r["units"], "url": reverse("screening:run", args=[r["run_id"]]) + "?severity=高"} for r in rows]
    return NewHigh(since, first, sum(r["high"] for r in runs), runs)


def heat_map(user) -> dict | None:
    """Units by level (rows) and risk band (columns), with the units whose flags the user may
    see but no run covered yet (未筛查). None when the user sees no flags."""
    if not scope.may(user, scope.VIEW_FLAGS):
        return None
    per_band = {f"b_{key}": Count("id", filter=q) for key, q in BAND_Q.items()}
    risk = {r["org__level"]: r for r in access.risks_for(user).values("org__level").annotate(**per_band, n=Count("id"))}
    units = dict(scope.orgs_for(user, scope.VIEW_FLAGS).values_list("level").annotate(n=Count("id")))
    columns = [*BANDS, UNSCREENED]
    rows = []
    for level, label in Level.choices:
        if not units.get(level):
            continue
        r = risk.get(level, {})
        cells = [r.get(f"b_{key}", 0) for key, _ in BANDS]
        cells.append(units[level] - r.get("n", 0))
        rows.append({"level": level, "label": label, "cells": cells, "total": units[level]})
    return {
        "columns": [{"key": k, "label": label} for k, label in columns],
        "rows": rows,
        "url": reverse("portal:risk"),
    }


# --- 审计覆盖率 ----------------------------------------------------------------------------------------


def coverage_scope(user):
    """The units whose coverage the user reads: those whose 往期审计记录 they may read."""
    return scope.orgs_for(user, scope.VIEW_ROSTER)


def coverage_for(user, today: datetime.date | None = None) -> cov.Coverage | None:
    if not scope.may(user, scope.VIEW_ROSTER):
        return None
    return cov.coverage(coverage_scope(user), today)


# --- 项目进度 and 整改 ---------------------------------------------------------------------------------


@dataclass
class Projects:
    by_stage: list[tuple[str, str, int]]  # (stage, label, count), every stage
    total: int
    overdue: list  # AuditProject rows, at most TOP
    overdue_count: int


def projects(user, today: datetime.date | None = None) -> Projects:
    today = today or timezone.localdate()
    visible = AuditProject.objects.filter(pk__in=audits_access.projects_for(user).values("pk"))
    counts = dict(visible.values_list("stage").annotate(n=Count("id")).order_by())
    late = visible.exclude(stage=Stage.ARCHIVED).filter(planned_end__lt=today)
    overdue = list(late.select_related("owner_org").order_by("planned_end", "code")[:TOP])
    for p in overdue:
        p.days_late = (today - p.planned_end).days
    return Projects([(s, label, counts.get(s, 0)) for s, label in Stage.choices], sum(counts.values()), overdue,
                    late.count() if len(overdue) == TOP else len(overdue))


def rectifications_for(user):
    """Rectification items on the units whose flags the user may see (the auditors and those
    they report to, project teams included), and on the user's own unit for its contact."""
    return Rectification.objects.filter(
        Q(finding__org__in=scope.orgs_for(user, scope.VIEW_FLAGS).values("pk"))
        | Q(finding__org__in=scope.orgs_for(user, scope.RESPOND).values("pk"))
    )


@dataclass
class RectificationFigures:
    total: int
    rows: list[tuple[str, str, int, float | None]] = field(default_factory=list)  # key, label, count, rate


def rectification(user, today: datetime.date | None = None) -> RectificationFigures:
    """未整改 / 整改中 / 已整改 counts and their shares; 超期 (not done, deadline passed) overlaps
    the first two."""
    today = today or timezone.localdate()
    S = Rectification.Status
    agg = rectifications_for(user).aggregate(
        total=Count("id"), pending=Count("id", filter=Q(status=S.PENDING)), in_progress=Count("id", filter=Q(status=S.IN_PROGRESS)),
        done=Count("id", filter=Q(status=S.DONE)), overdue=Count("id", filter=~Q(status=S.DONE) & Q(deadline__lt=today)))
    total = agg["total"]
    rows = [(key, label, agg[key], agg[key] / total if total else None)
            for key, label in (("pending", "未整改"), ("in_progress", "整改中"), ("done", "已整改"), ("overdue", "超期"))]
    return RectificationFigures(total, rows)


# --- 我的待办 ------------------------------------------------------------------------------------------


@dataclass
class Todo:
    kind: str  # the kind of item, shown as a tag
    title: str
    url: str
    due: datetime.date | None = None
    late: bool = False
    detail: str = ""


def _working(user):
    """Projects the user works on: acknowledged member, not archived."""
    return ProjectMember.objects.filter(user=user, acknowledged_at__isnull=False).exclude(
        project__stage=Stage.ARCHIVED).values("project_id")


def todos(user, today: datetime.date | None = None) -> list[Todo]:
    """What waits for the user, each with a page they may open: flags to verify, workpapers to
    review, review notes to answer or close, projects to approve, project deadlines, and — for an
    audited unit's contact — data requests to answer and rectification items to report."""
    today = today or timezone.localdate()
    items: list[Todo] = []
    working = _working(user)

    # 疑点核实 assigned to the user, or not yet assigned, in projects they work on
    pending = (FlagVerification.objects.filter(project__in=working, status=VerificationStatus.PENDING)
               .filter(Q(assigned_to=user) | Q(assigned_to__isnull=True))
               .values("project_id", "project__code", "project__name").annotate(n=Count("id")).order_by("project__code"))
    for row in pending:
        items.append(Todo("待核实疑点", f"{row['project__name']}：待核实疑点 {row['n']} 个",
                          reverse("audits:flags", args=[row["project_id"]]), detail=row["project__code"]))

    # workpapers submitted for review, in projects where the user is 组长 or 主审
    reviewing = ProjectMember.objects.filter(user=user, acknowledged_at__isnull=False,
                                             role__in=(ProjectRole.LEADER, ProjectRole.LEAD_AUDITOR)).values("project_id")
    for wp in (Workpaper.objects.filter(project__in=reviewing, status=WorkpaperStatus.SUBMITTED).exclude(project__stage=Stage.ARCHIVED)
               .select_related("project").order_by("project__code", "index_no")[:TODO_MAX]):
        items.append(Todo("待复核底稿", f"{wp.index_no} {wp.matter}", reverse("audits:workpaper", args=[wp.project_id, wp.pk]),
                          detail=wp.project.name))

    # review notes on the user's workpapers waiting for an answer, and answered notes of theirs to close
    notes = (ReviewNote.objects.filter(workpaper__project__in=working)
             .filter(Q(status=NoteStatus.OPEN, workpaper__prepared_by=user) | Q(status=NoteStatus.ANSWERED, author=user))
             .select_related("workpaper", "workpaper__project").order_by("created_at")[:TODO_MAX])
    for note in notes:
        kind = "复核意见待答复" if note.status == NoteStatus.OPEN else "复核意见待关闭"
        wp = note.workpaper
        items.append(Todo(kind, f"{wp.index_no} {wp.matter}：{note.text[:40]}", reverse("audits:workpaper", args=[wp.project_id, wp.pk]),
                          detail=wp.project.name))

    # projects waiting for the 经审负责人's approval (立项审批)
    if scope.may(user, scope.APPROVE):
        for p in (AuditProject.objects.filter(stage=Stage.INITIATION, owner_org__in=scope.orgs_for(user, scope.APPROVE).values("pk"))
                  .order_by("planned_start", "code")[:TODO_MAX]):
            items.append(Todo("立项待审批", p.name, reverse("audits:project", args=[p.pk]), due=p.planned_start, detail=p.code))

    # the planned end of projects the user works on, within a week or passed
    for p in (AuditProject.objects.filter(pk__in=working, planned_end__lte=today + DUE_SOON).order_by("planned_end", "code")[:TODO_MAX]):
        items.append(Todo("项目计划结束", p.name, reverse("audits:project", args=[p.pk]), due=p.planned_end,
                          late=p.planned_end < today, detail=p.code))

    # the audited unit's side: data requests to answer, rectification items to report
    if scope.may(user, scope.RESPOND):
        theirs = scope.orgs_for(user, scope.RESPOND).values("pk")
        for r in (DataRequest.objects.filter(org__in=theirs, status=DataRequest.Status.SENT).exclude(project__stage=Stage.ARCHIVED)
                  .select_related("project").order_by("due_date", "id")[:TODO_MAX]):
            items.append(Todo("审前调查待答复", r.title, reverse("audits:project", args=[r.project_id]), due=r.due_date,
                              late=r.due_date < today, detail=r.project.name))
        for item in (Rectification.objects.filter(finding__org__in=theirs, finding__project__stage__in=audits_access.SHOWN_TO_AUDITEE)
                     .exclude(status=Rectification.Status.DONE).exclude(finding__project__stage=Stage.ARCHIVED)
                     .select_related("finding", "finding__project").order_by("deadline", "id")[:TODO_MAX]):
            items.append(Todo("整改待报送", item.finding.title, reverse("audits:project", args=[item.finding.project_id]),
                              due=item.deadline, late=item.deadline < today, detail=item.finding.project.name))

    # 未按时报送: the periods the user's unit owes (its reporting contact), and, for those who chase
    # the data of the units below (SCHEDULE), how many units are late
    owed = LateReport.objects.filter(resolved_at__isnull=True, org__reporting_schedule__contact=user).select_related("org")
    for r in owed.order_by("due_date")[:TODO_MAX]:
        items.append(Todo("数据未按时报送", f"{r.org.name} {r.label}凭证", reverse("collect:index"), due=r.due_date, late=True,
                          detail="请导入该期凭证"))
    if scope.may(user, scope.SCHEDULE):
        units = (LateReport.objects.filter(resolved_at__isnull=True, org__in=scope.orgs_for(user, scope.SCHEDULE).values("pk"))
                 .values("org_id").distinct().count())
        if units:
            items.append(Todo("未按时报送", f"{units} 个单位的凭证数据未按时报送", reverse("collection:late"), late=True))

    items.sort(key=lambda t: (not t.late, t.due or datetime.date.max))
    return items[:TODO_MAX]


def may_see_risk(user) -> bool:
    return scope.may(user, scope.VIEW_FLAGS)
