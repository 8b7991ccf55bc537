"""整改: each finding becomes a rectification item when the report is issued (the project
enters 整改); the audited unit reports its measures on the platform, the auditors accept them or
return them, remind (催办) the unit of items due, and move deadlines. Services in the shape of
services.py: re-check who may, one transaction, one log entry last; archived projects refuse."""

import datetime

from django.db import transaction
from django.utils import timezone

from jingshen.activity.services import record
from jingshen.audits.models import ArchivedError, AuditProject, Rectification, Stage
from jingshen.audits.services import AUDITORS, may_act
from jingshen.orgs import scope

DEFAULT_DAYS = 60  # the usual time given to rectify (a project's items may be given other deadlines)
Status = Rectification.Status


def open_items(user, project: AuditProject, days: int = DEFAULT_DAYS) -> list[Rectification]:
    """One item per finding without one, due ``days`` from today (called as the report is issued)."""
    due = timezone.localdate() + datetime.timedelta(days=days)
    new = [Rectification(finding=f, deadline=due) for f in project.findings.filter(rectification__isnull=True)]
    Rectification.objects.bulk_create(new)
    return new


def _open(item: Rectification) -> tuple[Rectification, AuditProject]:
    item = Rectification.objects.select_related("finding__project", "finding__org").get(pk=item.pk)
    project = item.finding.project
    if project.archived:
        raise ArchivedError(project)
    if project.stage != Stage.RECTIFICATION:
        raise ValueError("项目不在「整改」阶段。")
    return item, project


def _text(value, label: str, limit: int, required: bool = True) -> str:
    text = str(value or "").replace("\r\n", "\n").strip()
    if required and not text:
        raise ValueError(f"请填写{label}。")
    if len(text) > limit:
        raise ValueError(f"{label}不能超过 {limit:,} 个字。")
    return text


def submit(user, item: Rectification, *, measures: str, owner: str = "") -> Rectification:
    """The audited unit reports its measures (and may report again after a return)."""
    item, project = _open(item)
    if not scope.can(user, scope.RESPOND, item.finding.org):
        raise PermissionError("整改情况由被审计单位的联络人报送。")
    if item.status == Status.DONE:
        raise ValueError("该事项已整改完毕。")
    measures, owner = _text(measures, "整改措施和结果", 20000), _text(owner, "整改责任人", 100, required=False)
    with transaction.atomic():
        item.measures, item.owner, item.status = measures, owner, Status.IN_PROGRESS
        item.submitted_by, item.submitted_at = user, timezone.now()
        item.save()
        record("audits.rectify_submit", f"{item.finding.org.name}报送整改情况：{item.finding.title}", actor=user,
               org=item.finding.org, obj=project, item=item.pk)
    return item


def review(user, item: Rectification, *, accept: bool, note: str = "") -> Rectification:
    """The 组长 or 主审 accept the measures (已整改) or return them (整改中, with a reason)."""
    item, project = _open(item)
    if not may_act(user, project, AUDITORS):
        raise PermissionError("整改情况由项目组长或主审审核。")
    if item.status != Status.IN_PROGRESS or item.submitted_at is None:
        raise ValueError("被审计单位尚未报送整改情况。")
    note = _text(note, "退回理由", 500, required=not accept)
    with transaction.atomic():
        item.status = Status.DONE if accept else Status.IN_PROGRESS
        item.review_note, item.reviewed_by, item.reviewed_at = note, user, timezone.now()
        if not accept:
            item.submitted_at = None  # the unit reports again
        item.save()
        record("audits.rectify_review", f"{'确认整改' if accept else '退回整改'}：{item.finding.title}", actor=user,
               org=project.owner_org, obj=project, item=item.pk, accepted=accept, note=note)
    return item


def remind(user, item: Rectification) -> Rectification:
    """催办: shown to the audited unit on the project page, and logged."""
    item, project = _open(item)
    if not may_act(user, project, AUDITORS):
        raise PermissionError("催办由项目组长或主审发出。")
    if item.status == Status.DONE:
        raise ValueError("该事项已整改完毕，无须催办。")
    with transaction.atomic():
        item.reminded_at = timezone.now()
        item.save(update_fields=["reminded_at"])
        record("audits.rectify_remind", f"催办整改：{item.finding.org.name}「{item.finding.title}」（期限 {item.deadline:%Y-%m-%d}）",
               actor=user, org=project.owner_org, obj=project, item=item.pk)
    return item


def set_deadline(user, item: Rectification, deadline: datetime.date) -> Rectification:
    item, project = _open(item)
    if not may_act(user, project, AUDITORS):
        raise PermissionError("整改期限由项目组长或主审调整。")
    if deadline < timezone.localdate():
        raise ValueError("整改期限不能早于今天。")
    with transaction.atomic():
        before = item.deadline
        item.deadline = deadline
        item.save(update_fields=["deadline"])
        record("audits.rectify_deadline", f"调整整改期限：{item.finding.title}", actor=user, org=project.owner_org, obj=project,
               item=item.pk, before={"deadline": before}, after={"deadline": deadline})
    return item


def counts(items) -> dict:
    """总数、已整改、超期 and the rectification rate of some items."""
    items = list(items)
    today = timezone.localdate()
    done = sum(i.status == Status.DONE for i in items)
    return {"total": len(items), "done": done, "overdue": sum(i.overdue(today) for i in items),
            "rate": round(done / len(items), 4) if items else None}


def project_items(project: AuditProject):
    return Rectification.objects.filter(finding__project=project).select_related("finding__org", "finding__problem_type")


def by_unit(project: AuditProject) -> list[dict]:
    """The rectification counts of each audited unit of the project."""
    items = list(project_items(project))
    units = sorted({i.finding.org for i in items}, key=lambda o: o.code)
    return [{"org": u, **counts(i for i in items if i.finding.org_id == u.pk)} for u in units]

