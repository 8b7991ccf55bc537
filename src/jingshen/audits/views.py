"""审计作业 pages: the project list, 立项, and a project with its team, evidence base, workflow
and history. Views check access (access.py), call services, render."""

from urllib.parse import quote

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from jingshen import querystring
from jingshen.accounts.models import User
from jingshen.activity.services import record_download
from jingshen.audits import access, paperwork, rectification, services, survey
from jingshen.audits.forms import AdoptBudgetForm, AdoptForm, AdvanceForm, AnswerForm, DraftForm, HoursForm, PlanForm, ProjectForm, RectifyForm, RequestForm, RunForm
from jingshen.audits.models import STAGE_ORDER, AuditType, ProjectRole, Stage
from jingshen.finance.models import Budget
from jingshen.ledger.models import Dataset, DatasetKind
from jingshen.orgs import scope


class ProjectListQuery(querystring.QueryForm):
    """The project list's filters (kept in the pager's links)."""

    q = querystring.text("项目", max_length=100)
    stage = querystring.choice("阶段", Stage.choices)
    page = querystring.page()


PROJECTS_PER_PAGE = 50


@querystring.query(ProjectListQuery)
def index(request):
    user = request.user
    q = request.query
    projects = access.projects_for(user).select_related("owner_org", "audit_type").order_by("-created_at", "-id")
    filtered = q.given("q") or q.given("stage")
    if q.given("q"):
        text = q.value("q").strip()
        projects = projects.filter(Q(code__icontains=text) | Q(name__icontains=text) | Q(owner_org__name__icontains=text))
    if q.given("stage"):
        projects = projects.filter(stage=q.value("stage"))
    page = Paginator(projects, PROJECTS_PER_PAGE).get_page(q.value("page"))
    context = {"page": page, "filters": q.data, "stages": Stage.choices, "filtered": filtered,
               "may_plan": scope.may(user, scope.PLAN)}
    return render(request, "audits/index.html", context)


def _staff_of(org) -> list[User]:
    """Audit staff of a unit: who may be put on its projects' teams."""
    return [u for u in User.objects.filter(org=org, is_active=True).order_by("username") if scope.is_audit_staff(u)]


def _years() -> list[int]:
    this = timezone.localdate().year
    return list(range(this, this - 6, -1))


@querystring.posts(ProjectForm)
def new(request):
    user = request.user
    if not scope.may(user, scope.PLAN) or user.org is None:
        raise Http404("您的角色不能审计立项。")
    units = scope.orgs_for(user, scope.PLAN).exclude(pk=user.org_id).order_by("path")
    staff = _staff_of(user.org)
    form = ProjectForm(years=_years(), staff=staff)
    if request.method == "POST":
        form = ProjectForm(request.POST, years=_years(), staff=staff)
        if form.is_valid():
            project = _create(request, form, staff)
            if project is not None:
                return redirect("audits:project", project_id=project.pk)
        else:
            for name, errors in form.errors.items():
                messages.error(request, f"{form.fields[name].label}：{''.join(errors)}")
    context = {"form": form, "units": units, "staff": staff, "types": AuditType.objects.filter(active=True),
               "years": _years(), "today": timezone.localdate()}
    return render(request, "audits/new.html", context)


def _create(request, form, staff):
    data = form.cleaned_data
    by_name = {u.username: u for u in staff}
    team, seen = [], set()
    for username, role in [(data["leader"], ProjectRole.LEADER), (data["lead_auditor"], ProjectRole.LEAD_AUDITOR),
                           *((m, ProjectRole.MEMBER) for m in data["members"])]:
        if username and username not in seen:
            if username not in by_name:
                messages.error(request, f"「{username}」不是本单位的审计人员。")
                return None
            seen.add(username)
            team.append(services.TeamMember(user=by_name[username], role=role, hours=data["hours"]))
    audit_type = AuditType.objects.filter(pk=data["audit_type"], active=True).first()
    if audit_type is None:
        messages.error(request, "请选择审计类型。")
        return None
    # a unit outside the user's scope answers like one that does not exist
    chosen = [scope.get_org_for_user(request.user, code, scope.PLAN) for code in data["units"]]
    try:
        return services.create_project(
            request.user, code=data["code"], name=data["name"], audit_type=audit_type, units=chosen,
            fiscal_years=[int(y) for y in data["years"]], planned_start=data["planned_start"],
            planned_end=data["planned_end"], team=team, notice_days=data["notice_days"],
        )
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
        return None


def project(request, project_id):
    user = request.user
    p = access.get_project_for_user(user, project_id)
    auditee = access.is_auditee(user, p)
    member = access.membership(user, p)
    context = {
        "project": p,
        "auditee": auditee,
        "member": member,
        "stages": [(s, Stage(s).label, i < STAGE_ORDER.index(p.stage), s == p.stage) for i, s in enumerate(STAGE_ORDER)],
        "units": p.units.select_related("org").order_by("org__code"),
        "documents": [d for d in p.documents.select_related("generated_by") if not auditee or paperwork.auditee_may_read(p, d)],
        "requests": access.requests_for(user, p),
        "rectifications": _rectifications_for(user, p, auditee),
        "may_answer": auditee and p.stage in survey.ANSWER_STAGES and not p.archived,
    }
    if not auditee:
        pins = list(p.pins.select_related("dataset__org").order_by("dataset__org__code", "dataset__fiscal_year"))
        newest = _newest_versions(p)
        spent = services.hours_by_member(p)
        context |= {
            "team": [(m, spent.get(m.pk, 0)) for m in p.members.select_related("user").order_by("role", "id")],
            "pins": [(pin, newest.get((pin.dataset.org_id, pin.dataset.fiscal_year))) for pin in pins],
            "unpinned": _unpinned(p, pins, newest),
            **_budget_pins(p),
            "runs": p.screening_runs.order_by("fiscal_year"),
            "history": p.history.select_related("by"),
            "next_steps": _next_steps(user, p),
            "may_sign": p.stage == Stage.REVIEW and p.leader_signed_at is None and services.may_act(user, p, services.LEADER),
            "may_work": access.may_work(user, p),
            "may_generate": {kind: p.stage in stages and (services.may_act(user, p, services.LEADER)
                                                         or services.may_act(user, p, services.DIRECTOR))
                             for kind, stages in paperwork.GENERATED_IN.items()},
            "plan": getattr(p, "plan", None),
            "may_plan": p.stage in survey.PLAN_STAGES and services.may_act(user, p, services.AUDITORS),
            "may_request": p.stage in survey.REQUEST_STAGES and services.may_act(user, p, services.AUDITORS),
            "may_manage_data": not p.archived and (services.may_act(user, p, services.LEADER) or services.may_act(user, p, services.DIRECTOR)),
            "my_hours": member.time_entries.order_by("-work_date", "-id") if member else [],
            "may_record_hours": not p.archived and member is not None and member.acknowledged_at is not None,
            "today": timezone.localdate(),
        }
    return render(request, "audits/project.html", context)


def _newest_versions(p) -> dict:
    newest = {}
    for d in Dataset.objects.filter(org__in=p.units.values("org"), fiscal_year__in=p.fiscal_years, kind=DatasetKind.VOUCHERS).order_by("version"):
        newest[(d.org_id, d.fiscal_year)] = d
    return newest


def _unpinned(p, pins, newest) -> list:
    """Unit-years with data the project has not pinned yet (data that arrived after 立项)."""
    pinned = {(pin.dataset.org_id, pin.dataset.fiscal_year) for pin in pins}
    return [d for key, d in sorted(newest.items(), key=lambda kv: (kv[1].org.code, kv[0][1])) if key not in pinned]


def _budget_pins(p) -> dict:
    """The project's pinned budgets with the newest version of each unit-year, and the unit-years
    whose budget was imported after 立项."""
    newest = {}
    for b in Budget.objects.filter(org__in=p.units.values("org"), fiscal_year__in=p.fiscal_years).select_related("org") \
            .order_by("version"):
        newest[(b.org_id, b.fiscal_year)] = b
    pins = list(p.budget_pins.select_related("budget__org").order_by("budget__org__code", "budget__fiscal_year"))
    pinned = {(pin.budget.org_id, pin.budget.fiscal_year) for pin in pins}
    return {"budget_pins": [(pin, newest.get((pin.budget.org_id, pin.budget.fiscal_year))) for pin in pins],
            "unpinned_budgets": [b for key, b in sorted(newest.items(), key=lambda kv: (kv[1].org.code, kv[0][1]))
                                 if key not in pinned]}


def _next_steps(user, p) -> list[tuple[str, str, bool, str]]:
    """The stages the project may move to from here: (code, name, whether this user may, who may)."""
    return [(to, Stage(to).label, services.may_act(user, p, who), services.WHO[who])
            for (frm, to), who in services.TRANSITIONS.items() if frm == p.stage]


def _project_for_post(request, project_id):
    """The project, for a write by its team or the auditing unit's 经审负责人; 404 for anyone
    else who may only see it (a leader above, the audited unit)."""
    p = access.get_project_for_user(request.user, project_id)
    if not access.may_write(request.user, p):
        raise Http404("审计项目不存在或不在您的权限范围内。")
    return p


def _done(request, p, write, *args, success: str = ""):
    """Run a write of the project; its refusal (Chinese) or ``success`` as the page's message."""
    try:
        write(request.user, p, *args)
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        if success:
            messages.success(request, success)
    return redirect("audits:project", project_id=p.pk)


@require_POST
def acknowledge(request, project_id):
    return _done(request, _project_for_post(request, project_id), services.acknowledge_discipline,
                 success="已确认遵守审计纪律，可以查看和处理本项目的数据。")


@require_POST
@querystring.posts(AdvanceForm)
def advance(request, project_id):
    p = _project_for_post(request, project_id)
    form = AdvanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, "提交的内容无效，请刷新页面后重试。")
        return redirect("audits:project", project_id=p.pk)
    return _done(request, p, services.advance, form.cleaned_data["to_stage"], form.cleaned_data["note"],
                 success=f"项目已转到「{Stage(form.cleaned_data['to_stage']).label}」阶段。")


@require_POST
def sign_review(request, project_id):
    return _done(request, _project_for_post(request, project_id), services.sign_review, success="组长已复核签字。")


@require_POST
@querystring.posts(AdoptForm)
def adopt(request, project_id):
    p = _project_for_post(request, project_id)
    form = AdoptForm(request.POST)
    dataset = Dataset.objects.filter(pk=form.cleaned_data["dataset"]).first() if form.is_valid() else None
    if dataset is None:
        messages.error(request, "没有这个数据集。")
        return redirect("audits:project", project_id=p.pk)
    return _done(request, p, services.adopt_dataset, dataset, success=f"已换用{dataset}。")


@require_POST
@querystring.posts(AdoptBudgetForm)
def adopt_budget(request, project_id):
    p = _project_for_post(request, project_id)
    form = AdoptBudgetForm(request.POST)
    budget = Budget.objects.filter(pk=form.cleaned_data["budget"]).select_related("org").first() if form.is_valid() else None
    if budget is None:
        messages.error(request, "没有这个预算。")
        return redirect("audits:project", project_id=p.pk)
    return _done(request, p, services.adopt_budget, budget, success=f"已换用{budget}。")


@require_POST
@querystring.posts(RunForm)
def start_run(request, project_id):
    p = _project_for_post(request, project_id)
    form = RunForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择会计年度。")
        return redirect("audits:project", project_id=p.pk)
    return _done(request, p, services.start_run, form.cleaned_data["year"])


@require_POST
def generate_notice(request, project_id):
    return _done(request, _project_for_post(request, project_id), paperwork.generate_notice, success="已生成审计通知书。")


@require_POST
@querystring.posts(DraftForm)
def generate_draft(request, project_id):
    p = _project_for_post(request, project_id)
    form = DraftForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("audits:project", project_id=p.pk)
    return _done(request, p, paperwork.generate_draft_report, form.cleaned_data["deadline"],
                 success="已生成审计报告（征求意见稿），并已向被审计单位征求意见。")


@require_POST
def generate_report(request, project_id):
    return _done(request, _project_for_post(request, project_id), paperwork.generate_report, success="已生成审计报告。")


@require_POST
def generate_rectification_notice(request, project_id):
    return _done(request, _project_for_post(request, project_id), paperwork.generate_rectification_notice,
                 success="已生成整改通知书。")


def document(request, project_id, document_id):
    """A generated document, as a download (logged): the project's staff, or the audited unit
    once the document is meant for it."""
    p = access.get_project_for_user(request.user, project_id)
    doc = p.documents.filter(pk=document_id).first()
    if doc is None or (access.is_auditee(request.user, p) and not paperwork.auditee_may_read(p, doc)):
        raise Http404("文书不存在或不在您的权限范围内。")
    filename = f"{doc.title}.docx"
    record_download(doc.get_kind_display(), filename, actor=request.user, org=p.owner_org, obj=p, document=doc.pk)
    response = HttpResponse(paperwork.read(doc), content_type=DOCX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _form_errors(request, form) -> None:
    for name, errors in form.errors.items():
        messages.error(request, f"{form.fields[name].label}：{''.join(errors)}")


@require_POST
@querystring.posts(PlanForm)
def plan(request, project_id):
    p = _project_for_post(request, project_id)
    form = PlanForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("audits:project", project_id=p.pk)
    return _done(request, p, lambda user, project: survey.save_plan(user, project, **form.cleaned_data))


@require_POST
@querystring.posts(RequestForm)
def send_request(request, project_id):
    p = _project_for_post(request, project_id)
    form = RequestForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("audits:project", project_id=p.pk)
    data = form.cleaned_data
    unit = p.units.filter(org__code=data["org"]).select_related("org").first()
    if unit is None:
        raise Http404("被审计单位不存在。")
    return _done(request, p, lambda user, project: survey.send_request(
        user, project, org=unit.org, title=data["title"], items=data["items"], due_date=data["due_date"]))


@require_POST
@querystring.posts(AnswerForm)
def answer(request, project_id, request_id):
    """The audited unit's contact answers a data request (its own unit's only)."""
    p = access.get_project_for_user(request.user, project_id)
    data_request = access.get_request_for_user(request.user, p, request_id)
    if not scope.can(request.user, scope.RESPOND, data_request.org):
        raise Http404("审前调查不存在或不在您的权限范围内。")
    form = AnswerForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("audits:project", project_id=p.pk)
    return _done(request, p, lambda user, project: survey.answer_request(user, data_request, form.cleaned_data["answer"]))


def _rectifications_for(user, p, auditee: bool) -> dict:
    """The project's rectification items the user sees (their own unit's for the audited unit),
    with their counts, and what the user may do with them."""
    items = rectification.project_items(p)
    if auditee:
        items = items.filter(finding__org__in=scope.orgs_for(user, scope.RESPOND).values("pk"))
    items = list(items)
    open_ = p.stage == Stage.RECTIFICATION and not p.archived
    return {"items": items, "counts": rectification.counts(items), "by_unit": rectification.by_unit(p) if not auditee else [],
            "may_submit": open_ and auditee,
            "may_review": open_ and not auditee and services.may_act(user, p, services.AUDITORS)}


@require_POST
@querystring.posts(RectifyForm)
def rectify(request, project_id, item_id):
    """One rectification item: the audited unit reports; the 组长 or 主审 accept, return, remind
    or move the deadline (each refused by the service if it is not theirs)."""
    user = request.user
    p = access.get_project_for_user(user, project_id)
    auditee = access.is_auditee(user, p)
    if not auditee and not access.may_write(user, p):
        raise Http404("审计项目不存在或不在您的权限范围内。")
    items = rectification.project_items(p)
    if auditee:
        items = items.filter(finding__org__in=scope.orgs_for(user, scope.RESPOND).values("pk"))
    item = items.filter(pk=item_id).first()
    if item is None:
        raise Http404("整改事项不存在或不在您的权限范围内。")
    form = RectifyForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("audits:project", project_id=p.pk)
    data = form.cleaned_data
    act = {
        "submit": lambda: rectification.submit(user, item, measures=data["measures"], owner=data["owner"]),
        "accept": lambda: rectification.review(user, item, accept=True, note=data["note"]),
        "return": lambda: rectification.review(user, item, accept=False, note=data["note"]),
        "remind": lambda: rectification.remind(user, item),
        "deadline": lambda: rectification.set_deadline(user, item, data["deadline"]) if data["deadline"] else _no_date(),
    }[data["action"]]
    try:
        act()
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
    return redirect("audits:project", project_id=p.pk)


def _no_date():
    raise ValueError("请填写整改期限。")


@require_POST
@querystring.posts(HoursForm)
def hours(request, project_id):
    p = _project_for_post(request, project_id)
    form = HoursForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(f"{form.fields[n].label}：{''.join(e)}" for n, e in form.errors.items()))
        return redirect("audits:project", project_id=p.pk)
    data = form.cleaned_data
    try:
        entry = services.record_hours(request.user, p, data["work_date"], data["hours"], data["description"])
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已记录 {entry.work_date:%Y-%m-%d} 的工时 {services.hours_text(entry.hours)} 小时。")
    return redirect(reverse("audits:project", args=[p.pk]) + "#hours")


@require_POST
def hours_delete(request, project_id, time_entry_id):
    p = _project_for_post(request, project_id)
    entry = p.time_entries.select_related("member").filter(pk=time_entry_id, member__user=request.user).first()
    if entry is None:
        raise Http404("工时记录不存在或不是您记录的。")
    try:
        services.delete_hours(request.user, entry)
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已删除这条工时记录。")
    return redirect(reverse("audits:project", args=[p.pk]) + "#hours")
