"""综合管理 › 年度审计计划 and 年度统计报表 pages (/manage/plans/, /manage/statistics/).

Views check access (admin_center/access.py on orgs/scope.py), call admin_center/services.py and
redirect with a Chinese message. A plan outside the user's scope, or one they may not write or
approve, answers 404; every change to a plan is a POST from its page."""

import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from jingshen import querystring, xlsx_export
from jingshen.accounts.models import User
from jingshen.admin_center import access, plans, services
from jingshen.admin_center import forms_plans as forms
from jingshen.admin_center.models import AnnualPlan, PlanReason
from jingshen.admin_center.statistics import annual_statistics, workbook
from jingshen.audits.models import AuditType, ProjectRole
from jingshen.audits.services import TeamMember
from jingshen.orgs import scope
from jingshen.orgs.models import Org

PER_PAGE = 50
DATALIST_MAX = 500


def _need(allowed: bool) -> None:
    if not allowed:
        raise Http404("页面不存在或您没有权限访问。")


def _errors(request, form) -> None:
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else "表单"
        messages.error(request, f"{label}：{''.join(errors)}")


def _audit_type(pk) -> AuditType | None:
    return AuditType.objects.filter(pk=pk, active=True).first()


def _back(plan_id: int, anchor: str = ""):
    return redirect(reverse("admin_center:plan", args=[plan_id]) + (f"#{anchor}" if anchor else ""))


def _this_year() -> int:
    return timezone.localdate().year


# --- list -------------------------------------------------------------------------------------------


@querystring.query(forms.PlanListQuery)
def plan_list(request):
    user = request.user
    _need(scope.may(user, scope.VIEW_ROSTER))
    q = request.query
    listed = access.plans_for(user).select_related("owner_org", "approved_by").annotate(
        n_items=Count("items", distinct=True), n_projects=Count("items__project", distinct=True))
    if q.given("year"):
        listed = listed.filter(year=q.value("year"))
    page = Paginator(listed.order_by("-year", "owner_org__path"), PER_PAGE).get_page(q.value("page"))
    context = {"page": page, "filters": q.data, "may_propose": services.may_write_plans(user)}
    return render(request, "admin_center/plans.html", context)


# --- propose ----------------------------------------------------------------------------------------


def _propose_context(request, year: int, threshold: int) -> dict:
    user = request.user
    existing = AnnualPlan.objects.filter(owner_org_id=user.org_id, year=year).first()
    types = AuditType.objects.filter(active=True)
    start, end = plans.default_dates(year)
    return {"year": year, "threshold": threshold, "years": list(services.plan_years()), "existing": existing,
            "candidates": plans.propose(user, year, threshold), "types": types, "gap_years": plans.GAP_YEARS,
            "default_type": types.filter(name="财务收支审计").first() or types.first(),
            "fiscal_years": str(year - 1), "start": start, "end": end}


@querystring.posts(forms.ProposeForm)
@querystring.query(forms.ProposeQuery)
def plan_propose(request):
    user = request.user
    _need(services.may_write_plans(user))
    q = request.query
    year = q.value("year") or _this_year()
    if year not in services.plan_years():
        years = services.plan_years()
        messages.error(request, f"计划年度应在 {years.start} 年至 {years.stop - 1} 年之间，已改为今年。")
        year = _this_year()
    threshold = q.value("threshold")
    if request.method == "POST":
        form = forms.ProposeForm(request.POST)
        if not form.is_valid():
            _errors(request, form)
        else:
            plan = _save_proposal(request, form.cleaned_data)
            if plan is not None:
                messages.success(request, f"已保存 {plan.year} 年度审计计划（草拟中），可继续调整后报经审负责人批准。")
                return redirect("admin_center:plan", plan_id=plan.pk)
            year = form.cleaned_data["year"] if form.cleaned_data["year"] in services.plan_years() else year
            threshold = form.cleaned_data.get("threshold") if form.cleaned_data.get("threshold") is not None else threshold
    return render(request, "admin_center/plan_propose.html", _propose_context(request, year, threshold))


def _save_proposal(request, data):
    user = request.user
    audit_type = _audit_type(data["audit_type"])
    if audit_type is None:
        messages.error(request, "请选择可用的审计类型。")
        return None
    threshold = data.get("threshold")
    threshold = plans.DEFAULT_THRESHOLD if threshold is None else threshold
    # a unit outside the user's scope answers like one that does not exist (as audits:new)
    chosen = [scope.get_org_for_user(user, code.strip(), scope.PLAN) for code in dict.fromkeys(data["units"])]
    # reasons, scores and last audits are recomputed here, never taken from the page
    assessed = {c.org.pk: c for c in plans.assess(Org.objects.filter(pk__in=[o.pk for o in chosen]), data["year"], threshold)}
    items = []
    for org in chosen:
        c = assessed.get(org.pk) or plans.Candidate(org=org)
        items.append(services.ItemSpec(org=org, audit_type=audit_type, fiscal_years=data["fiscal_years"],
                                       planned_start=data["planned_start"], planned_end=data["planned_end"],
                                       reason=c.reason, reason_text=c.reason_text(data["year"], threshold),
                                       risk_score=c.risk_score, last_audited=c.last_audited))
    try:
        return services.create_plan(user, year=data["year"], items=items, note=data["note"])
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
        return None


# --- one plan ---------------------------------------------------------------------------------------


PLAN_COLUMNS = [xlsx_export.Column("序号", "int", 6), xlsx_export.Column("被审计单位编码", width=14),
                xlsx_export.Column("被审计单位", width=30), xlsx_export.Column("审计类型", width=16),
                xlsx_export.Column("审计年度", width=14), xlsx_export.Column("计划开始", "date", 12),
                xlsx_export.Column("计划结束", "date", 12), xlsx_export.Column("列入理由", width=14),
                xlsx_export.Column("理由说明", width=40), xlsx_export.Column("风险分", width=8),
                xlsx_export.Column("最近审计年度", width=12), xlsx_export.Column("审计项目", width=24)]


def _staff_of(org) -> list[User]:
    """Audit staff of the plan's unit: who may be put on the teams of its projects."""
    return [u for u in User.objects.filter(org=org, is_active=True).order_by("username") if scope.is_audit_staff(u)]


def _export(request, plan, items):
    status = plan.get_status_display()
    if plan.approved_by_id:
        status += f"（{plan.approved_by.display_name or plan.approved_by.username} 于 {timezone.localtime(plan.approved_at):%Y-%m-%d} 批准）"
    heading = [f"{plan.owner_org.name} {plan.year} 年度审计计划", f"状态：{status}　导出时间：{timezone.localtime():%Y-%m-%d %H:%M}"]
    if plan.note:
        heading.append(f"编制说明：{' '.join(plan.note.split())}")
    rows = ((n, i.org.code, i.org.name, i.audit_type.name, "、".join(str(y) for y in i.fiscal_years), i.planned_start,
             i.planned_end, i.get_reason_display(), i.reason_text, i.risk_score, i.last_audited,
             i.project.code if i.project_id else "") for n, i in enumerate(items, start=1))
    sheet = xlsx_export.Sheet("年度审计计划", heading, PLAN_COLUMNS, rows)
    return xlsx_export.response(request, sheet, f"{plan.year}年度审计计划.xlsx", f"plan-{plan.year}.xlsx",
                                org=plan.owner_org, obj=plan)


@querystring.query(forms.PlanQuery)
def plan_detail(request, plan_id):
    user = request.user
    plan = access.get_plan_for_user(user, plan_id)
    items = list(plan.items.select_related("org", "audit_type", "project").order_by("planned_start", "org__path", "id"))
    if request.query.wants_xlsx():
        return _export(request, plan, items)
    may_write = plan.owner_org_id == user.org_id and services.may_write_plans(user)
    draft = plan.status == AnnualPlan.Status.DRAFT
    start, end = plans.default_dates(plan.year)
    types = AuditType.objects.filter(active=True)
    context = {
        "plan": plan, "items": items, "draft": draft, "may_write": may_write,
        "may_approve": scope.can(user, scope.APPROVE, plan.owner_org),
        "types": types, "default_type": types.filter(name="财务收支审计").first() or types.first(), "staff": _staff_of(plan.owner_org) if may_write and not draft else [],
        "units": plans.candidate_units(user).order_by("path").only("code", "name")[:DATALIST_MAX] if may_write and draft else [],
        "add_start": start, "add_end": end, "add_years": str(plan.year - 1),
        "n_projects": sum(1 for i in items if i.project_id),
    }
    return render(request, "admin_center/plan.html", context)


@require_POST
@querystring.posts(forms.NoteForm)
def plan_note(request, plan_id):
    plan = access.get_plan_for_user(request.user, plan_id, scope.PLAN)
    form = forms.NoteForm(request.POST)
    if not form.is_valid():
        _errors(request, form)
        return _back(plan.pk, "note")
    try:
        services.update_plan_note(request.user, plan, form.cleaned_data["note"])
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已保存编制说明。")
    return _back(plan.pk, "note")


def _spec_fields(request, form) -> dict | None:
    data = form.cleaned_data
    audit_type = _audit_type(data["audit_type"])
    if audit_type is None:
        messages.error(request, "请选择可用的审计类型。")
        return None
    return {"audit_type": audit_type, "fiscal_years": data["fiscal_years"], "planned_start": data["planned_start"],
            "planned_end": data["planned_end"], "reason_text": data["reason_text"]}


@require_POST
@querystring.posts(forms.ItemAddForm)
def plan_item_add(request, plan_id):
    user = request.user
    plan = access.get_plan_for_user(user, plan_id, scope.PLAN)
    form = forms.ItemAddForm(request.POST)
    if not form.is_valid():
        _errors(request, form)
        return _back(plan.pk, "add-item")
    fields = _spec_fields(request, form)
    if fields is None:
        return _back(plan.pk, "add-item")
    org = scope.get_org_for_user(user, form.cleaned_data["org"].strip(), scope.PLAN)
    last = plans.assess(Org.objects.filter(pk=org.pk), plan.year, plans.DEFAULT_THRESHOLD)
    try:
        services.add_plan_item(user, plan, services.ItemSpec(
            org=org, reason=PlanReason.MANUAL, risk_score=last[0].risk_score if last else None,
            last_audited=last[0].last_audited if last else None, **fields))
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已将「{org.name}」列入计划。")
    return _back(plan.pk, "items")


@require_POST
@querystring.posts(forms.ItemFields)
def plan_item_edit(request, plan_item_id):
    item = access.get_plan_item_for_user(request.user, plan_item_id)
    form = forms.ItemFields(request.POST)
    if not form.is_valid():
        _errors(request, form)
        return _back(item.plan_id, f"item-{item.pk}")
    fields = _spec_fields(request, form)
    if fields is not None:
        try:
            services.update_plan_item(request.user, item, **fields)
        except (PermissionError, ValueError) as exc:
            messages.error(request, f"{item.org.name}：{exc}")
        else:
            messages.success(request, f"已保存「{item.org.name}」的计划事项。")
    return _back(item.plan_id, f"item-{item.pk}")


@require_POST
def plan_item_remove(request, plan_item_id):
    item = access.get_plan_item_for_user(request.user, plan_item_id)
    try:
        services.remove_plan_item(request.user, item)
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已将「{item.org.name}」移出计划。")
    return _back(item.plan_id, "items")


@require_POST
def plan_delete(request, plan_id):
    plan = access.get_plan_for_user(request.user, plan_id, scope.PLAN)
    try:
        services.delete_plan(request.user, plan)
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
        return _back(plan.pk)
    messages.success(request, f"已删除 {plan.year} 年度审计计划（草拟中）。")
    return redirect("admin_center:plans")


@require_POST
def plan_approve(request, plan_id):
    plan = access.get_plan_for_user(request.user, plan_id, scope.APPROVE)
    try:
        services.approve_plan(request.user, plan)
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已批准 {plan.year} 年度审计计划，可按计划事项逐项立项。")
    return _back(plan.pk)


@require_POST
@querystring.posts(forms.ReturnForm)
def plan_return(request, plan_id):
    plan = access.get_plan_for_user(request.user, plan_id, scope.APPROVE)
    form = forms.ReturnForm(request.POST)
    if not form.is_valid():
        _errors(request, form)
        return _back(plan.pk)
    try:
        services.return_plan(request.user, plan, form.cleaned_data["reason"])
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已退回修改 {plan.year} 年度审计计划；已立项的事项保持不变。")
    return _back(plan.pk)


@require_POST
@querystring.posts(forms.ProjectFromItemForm)
def plan_item_project(request, plan_item_id):
    user = request.user
    item = access.get_plan_item_for_user(user, plan_item_id)
    staff = _staff_of(item.plan.owner_org)
    form = forms.ProjectFromItemForm(request.POST, staff=staff)
    if not form.is_valid():
        _errors(request, form)
        return _back(item.plan_id, f"item-{item.pk}")
    data = form.cleaned_data
    by_name = {u.username: u for u in staff}
    team, seen = [], set()
    for username, role in [(data["leader"], ProjectRole.LEADER), (data["lead_auditor"], ProjectRole.LEAD_AUDITOR),
                           *((m, ProjectRole.MEMBER) for m in data["members"])]:
        username = username.strip()
        if username and username not in seen:
            if username not in by_name:
                messages.error(request, f"「{username[:40]}」不是本单位的审计人员。")
                return _back(item.plan_id, f"item-{item.pk}")
            seen.add(username)
            team.append(TeamMember(user=by_name[username], role=role, hours=data["hours"]))
    try:
        project = services.start_plan_item(user, item, code=data["code"], name=data["name"], team=team,
                                           notice_days=data["notice_days"])
    except (PermissionError, ValueError) as exc:
        messages.error(request, f"{item.org.name}：{exc}")
        return _back(item.plan_id, f"item-{item.pk}")
    messages.success(request, f"已按计划立项「{project.code} {project.name}」，待经审负责人立项审批。")
    return redirect("audits:project", project_id=project.pk)


# --- 年度统计报表 ----------------------------------------------------------------------------------------


@querystring.query(forms.StatisticsQuery)
def statistics(request):
    user = request.user
    _need(scope.may(user, scope.VIEW_FLAGS))
    year = request.query.value("year") or _this_year()
    stats = annual_statistics(user, year)
    scope_name = f"{user.org.name}及下级单位"
    if request.query.wants_xlsx():
        return xlsx_export.response(request, workbook(stats, scope_name), f"{year}年度审计统计报表.xlsx",
                                    f"statistics-{year}.xlsx", org=user.org)
    this = _this_year()
    context = {"stats": stats, "year": year, "scope_name": scope_name, "chart": stats.chart_data(),
               "years": list(range(this, this - 6, -1)), "today": datetime.date.today()}
    return render(request, "admin_center/statistics.html", context)
