"""案例库 pages: the list (published cases with filters, one's own by status, those waiting for
the reader's approval), a case (its author edits and submits it there; approvers approve or
return it), a new case, and 转为案例 from a finding. Views check access, call
knowledge/cases.py, render. Who reads is knowledge/access.cases_for; a write by anyone who may
not make it is 404, like a case they cannot read."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from jingshen import querystring
from jingshen.audits import access as audits_access
from jingshen.audits.models import Finding, ProblemType
from jingshen.knowledge import access, cases
from jingshen.knowledge import citations as cited
from jingshen.knowledge.guides import rule_choices, rules_of
from jingshen.knowledge.models import CaseStatus
from jingshen.orgs.models import Kind

NOT_FOUND = "案例不存在或不在您的权限范围内。"


class CaseListQuery(querystring.QueryForm):
    problem_type = querystring.integer("问题类型", 1, 2**62)
    year = querystring.year("年度")
    unit_kind = querystring.choice("单位性质", Kind.choices)
    mine = querystring.choice("范围", [("1", "我编写的")])
    status = querystring.choice("状态", CaseStatus.choices)
    page = querystring.page()


class CaseForm(forms.Form):
    title = querystring.text("标题", max_length=200)
    unit_kind = querystring.choice("单位性质", Kind.choices)
    year = forms.IntegerField(label="年度", required=False, min_value=1990, max_value=2100)
    problem_type = forms.IntegerField(label="问题类型", min_value=1, max_value=2**62, error_messages={"required": "请选择问题类型。"})
    amount = querystring.AmountField("涉及金额")
    facts = querystring.text("基本事实", max_length=cases.MAX_TEXT)
    handling = querystring.text("处理情况", max_length=cases.MAX_TEXT)
    lessons = querystring.text("启示", max_length=cases.MAX_TEXT)
    rules = forms.MultipleChoiceField(label="相关规则", required=False, choices=rule_choices)
    citations = querystring.text("定性依据（引用法规条款）", max_length=16000, strip=False)


class NoteForm(forms.Form):
    note = querystring.text("意见", max_length=2000)


def _errors(request, form) -> None:
    messages.error(request, "；".join(f"{form.fields[n].label if n in form.fields else '表单'}：{''.join(e)}"
                                      for n, e in form.errors.items()))


def _form_context(request, values: dict, case=None) -> dict:
    return {"values": values, "case": case, "types": ProblemType.objects.filter(active=True), "kinds": Kind.choices,
            "rule_options": rule_choices(), "chosen_rules": set(values.get("rules") or ())}


def _posted(request, case=None):
    """Save the posted case (new or changed); the case, or None with the values and messages."""
    form = CaseForm(request.POST)
    if not form.is_valid():
        _errors(request, form)
        return None, {k: form.cleaned_data.get(k, "") for k in CaseForm.base_fields}
    data = form.cleaned_data
    values = dict(data)
    fields = {"title": data["title"], "unit_kind": data["unit_kind"], "year": data["year"],
              "problem_type": ProblemType.objects.filter(pk=data["problem_type"], active=True).first(),
              "amount": data["amount"], "facts": data["facts"], "handling": data["handling"], "lessons": data["lessons"],
              "rules": data["rules"], "citations": data["citations"] if "citations" in form.data else None}
    try:
        saved = cases.create_case(request.user, **fields) if case is None else cases.update_case(request.user, case, **fields)
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
        return None, values
    return saved, values


@querystring.query(CaseListQuery)
def index(request):
    user = request.user
    q = request.query
    readable = access.cases_for(user).select_related("problem_type", "owner_org", "approved_org")
    if q.given("mine") or q.given("status"):
        listed = readable.filter(author=user)
        if q.given("status"):
            listed = listed.filter(status=q.value("status"))
    else:
        listed = readable.filter(status=CaseStatus.PUBLISHED)
    if q.given("problem_type"):
        listed = listed.filter(problem_type_id=q.value("problem_type"))
    if q.given("year"):
        listed = listed.filter(year=q.value("year"))
    if q.given("unit_kind"):
        listed = listed.filter(unit_kind=q.value("unit_kind"))
    page = Paginator(listed.order_by("-year", "-approved_at", "-id"), 30).get_page(q.value("page"))
    pending = readable.filter(status=CaseStatus.SUBMITTED).exclude(author=user).order_by("submitted_at", "id")[:50]
    context = {
        "page": page, "filters": q.data, "types": ProblemType.objects.filter(active=True), "kinds": Kind.choices,
        "statuses": CaseStatus.choices, "pending": [c for c in pending if access.may_approve(user, c)],
        "may_write": cases.may_write(user), "mine": q.given("mine") or q.given("status"),
    }
    return render(request, "knowledge/cases.html", context)


@querystring.posts(CaseForm)
def new(request):
    if not cases.may_write(request.user):
        raise Http404("只有审计人员可以编写案例。")
    if request.method == "POST":
        saved, values = _posted(request)
        if saved is not None:
            messages.success(request, "已保存案例草稿。提交后由上级单位的经审负责人审核发布。")
            return redirect("knowledge:case", case_id=saved.pk)
        return render(request, "knowledge/case_form.html", _form_context(request, values))
    values = {"year": "", "amount": "", "unit_kind": ""}
    return render(request, "knowledge/case_form.html", _form_context(request, values))


def _values(case) -> dict:
    return {"title": case.title, "unit_kind": case.unit_kind, "year": case.year, "problem_type": case.problem_type_id,
            "amount": case.amount, "facts": case.facts, "handling": case.handling, "lessons": case.lessons, "rules": case.rules,
            "citations": "\n".join(cited.line_of(c) for c in cited.citations_of(case))}


@querystring.posts(CaseForm)
def case(request, case_id):
    user = request.user
    c = access.get_case_for_user(user, case_id)
    is_author = c.author_id == user.pk
    values = _values(c)
    if request.method == "POST":
        if not is_author:
            raise Http404(NOT_FOUND)
        saved, values = _posted(request, c)
        if saved is not None:
            messages.success(request, "已保存案例。")
            return redirect("knowledge:case", case_id=c.pk)
        c.refresh_from_db()
    editable = is_author and c.status in cases.EDITABLE
    context = _form_context(request, values, c) | {
        "rules": rules_of(c.rules), "is_author": is_author, "editable": editable, "citations": list(cited.citations_of(c)),
        "remaining": cases.remaining_names(c) if is_author or c.status == CaseStatus.SUBMITTED else [],
        "may_approve": c.status == CaseStatus.SUBMITTED and not is_author and access.may_approve(user, c),
        "may_withdraw": cases.may_withdraw(user, c),
        "source_finding": c.source_finding if is_author and c.source_finding_id else None,
    }
    return render(request, "knowledge/case.html", context)


def _act(request, case_id, allowed, action, done: str):
    c = access.get_case_for_user(request.user, case_id)
    if not allowed(request.user, c):
        raise Http404(NOT_FOUND)
    form = NoteForm(request.POST)
    if not form.is_valid():
        _errors(request, form)
        return redirect("knowledge:case", case_id=c.pk)
    try:
        action(request.user, c, form.cleaned_data["note"])
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("knowledge:case", case_id=c.pk)


@require_POST
@querystring.posts(NoteForm)
def submit(request, case_id):
    return _act(request, case_id, lambda u, c: c.author_id == u.pk, lambda u, c, note: cases.submit(u, c),
                "已提交，待上级单位的经审负责人审核。")


@require_POST
@querystring.posts(NoteForm)
def approve(request, case_id):
    return _act(request, case_id, lambda u, c: c.author_id != u.pk and access.may_approve(u, c), cases.approve,
                "已审核发布。")


@require_POST
@querystring.posts(NoteForm)
def return_case(request, case_id):
    return _act(request, case_id, lambda u, c: c.author_id != u.pk and access.may_approve(u, c), cases.return_case,
                "已退回编写人修改。")


@require_POST
@querystring.posts(NoteForm)
def withdraw(request, case_id):
    # the author (who is told when the case cannot be withdrawn), or an approver of a published case
    return _act(request, case_id, lambda u, c: c.author_id == u.pk or cases.may_withdraw(u, c), cases.withdraw, "已撤回。")


@require_POST
def from_finding(request, finding_id):
    """转为案例: a draft case from one of the user's own findings, anonymised."""
    user = request.user
    finding = Finding.objects.select_related("project", "org", "problem_type").filter(pk=finding_id, created_by=user).first()
    if finding is None:
        raise Http404("审计发现不存在或不在您的权限范围内。")
    audits_access.get_project_for_user(user, finding.project_id)  # 404 for a project the author no longer sees
    try:
        saved = cases.case_from_finding(user, finding)
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
        return redirect("audits:finding", project_id=finding.project_id, finding_id=finding.pk)
    messages.success(request, "已由审计发现生成案例草稿，单位名称和人名已替换为“某单位”“某人”。请核对后提交审核。")
    return redirect("knowledge:case", case_id=saved.pk)
