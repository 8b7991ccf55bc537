"""审前调查 and 实施方案: data requests sent to the audited units and answered by their contacts
on the platform, and the project's audit plan. Services in the shape of services.py: re-check
who may, one transaction, one activity-log entry last; archived projects refuse (ArchivedGuard)."""

import datetime

from django.db import transaction
from django.utils import timezone

from jingshen.activity.services import record
from jingshen.audits.models import ArchivedError, AuditPlan, AuditProject, DataRequest, Stage
from jingshen.audits.services import AUDITORS, may_act
from jingshen.orgs import scope

# While the plan may be written, and data requests sent.
PLAN_STAGES = (Stage.SURVEY, Stage.PLAN)
REQUEST_STAGES = (Stage.SURVEY, Stage.PLAN, Stage.NOTICE, Stage.FIELDWORK)
# The audited unit answers while its requests are open, and while its comments on the draft
# report are sought (征求意见: a request sent with the draft, paperwork.generate_draft_report).
ANSWER_STAGES = (*REQUEST_STAGES, Stage.CONSULTATION)
PLAN_FIELDS = {"objectives": "审计目标", "key_matters": "审计重点", "procedures": "审计方法和步骤", "assignments": "人员分工"}
TEXT_LIMIT = 20000


def _text(value, label: str, required: bool = False, limit: int = TEXT_LIMIT) -> str:
    text = str(value or "").replace("\r\n", "\n").strip()
    if required and not text:
        raise ValueError(f"请填写{label}。")
    if len(text) > limit:
        raise ValueError(f"{label}不能超过 {limit:,} 个字。")
    return text


def save_plan(user, project: AuditProject, **fields) -> AuditPlan:
    """Write the 实施方案 (组长 or 主审, in 审前调查 or 实施方案)."""
    project = AuditProject.objects.get(pk=project.pk)
    if project.archived:
        raise ArchivedError(project)
    if not may_act(user, project, AUDITORS):
        raise PermissionError("实施方案由项目组长或主审编写。")
    if project.stage not in PLAN_STAGES:
        raise ValueError("实施方案在「审前调查」或「实施方案」阶段编写。")
    values = {name: _text(fields.get(name), label) for name, label in PLAN_FIELDS.items()}
    with transaction.atomic():
        plan = AuditPlan.objects.filter(project=project).first()
        before = {k: getattr(plan, k) for k in PLAN_FIELDS} if plan else None
        plan = plan or AuditPlan(project=project)
        for name, value in values.items():
            setattr(plan, name, value)
        plan.updated_by = user
        plan.save()
        record("audits.plan", f"编写审计实施方案：{project.code}", actor=user, org=project.owner_org, obj=project,
               before=before, after=values)
    return plan


def send_request(user, project: AuditProject, *, org, title: str, items: str, due_date: datetime.date) -> DataRequest:
    """Send a questionnaire or list of materials to one audited unit (组长 or 主审)."""
    project = AuditProject.objects.get(pk=project.pk)
    if project.archived:
        raise ArchivedError(project)
    if not may_act(user, project, AUDITORS):
        raise PermissionError("审前调查由项目组长或主审发出。")
    if project.stage not in REQUEST_STAGES:
        raise ValueError("只能在审前调查至实施阶段发出资料清单。")
    if not project.units.filter(org=org).exists():
        raise ValueError("只能向本项目的被审计单位发出资料清单。")
    title = _text(title, "标题", required=True, limit=200)
    items = _text(items, "调查事项和所需资料", required=True)
    if due_date < timezone.localdate():
        raise ValueError("答复期限不能早于今天。")
    with transaction.atomic():
        request = DataRequest.objects.create(project=project, org=org, title=title, items=items, due_date=due_date, sent_by=user)
        record("audits.request", f"向{org.name}发出审前调查「{title}」，{due_date:%Y-%m-%d} 前答复", actor=user,
               org=project.owner_org, obj=project, request=request.pk, unit=org.code)
    return request


def answer_request(user, request: DataRequest, answer: str) -> DataRequest:
    """The audited unit's contact answers (and may answer again until the project moves past
    fieldwork); the auditors see the answer on the project page."""
    request = DataRequest.objects.select_related("project", "org").get(pk=request.pk)
    project = request.project
    if project.archived:
        raise ArchivedError(project)
    if not scope.can(user, scope.RESPOND, request.org):
        raise PermissionError("只有被审计单位的联络人可以答复。")
    if project.stage not in ANSWER_STAGES:
        raise ValueError("答复期已结束，不能再答复。")
    answer = _text(answer, "答复", required=True)
    with transaction.atomic():
        before = request.answer
        request.answer, request.answered_by, request.answered_at = answer, user, timezone.now()
        request.status = DataRequest.Status.ANSWERED
        request.save()
        record("audits.answer", f"{request.org.name}答复审前调查「{request.title}」", actor=user, org=request.org, obj=project,
               request=request.pk, before={"answer": before}, after={"answer": answer})
    return request
