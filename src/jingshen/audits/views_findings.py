"""疑点核实 and 审计发现 pages of a project: its flag list with the verification of each flag's key,
a flag or verification with its assign/verify forms, the findings list (and its XLSX), and a
finding's form. The audited unit's contact never sees any of them (404). Views check access,
call audits/findings.py, render."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from jingshen import querystring, xlsx_export
from jingshen.accounts.models import User
from jingshen.audits import access, findings
from jingshen.audits.forms_findings import FindingForm, FindingListQuery, FlagListQuery, VerifyForm
from jingshen.audits.models import ProblemType, VerificationStatus
from jingshen.audits.services import AUDITORS, may_act
from jingshen.audits.views_workpapers import evidence_context
from jingshen.knowledge import citations as cited
from jingshen.knowledge.guides import wordings_offered
from jingshen.orgs import scope
from jingshen.screening.views import FLAG_ORDER
from jingshen.xlsx_export import Column, Sheet

NOT_FOUND = "审计项目不存在或不在您的权限范围内。"


def _project(request, project_id):
    """The project for its audit staff and those above them; 404 for the audited unit's contact."""
    p = access.get_project_for_user(request.user, project_id)
    if access.is_auditee(request.user, p):
        raise Http404(NOT_FOUND)
    access.check_discipline(request.user, p)
    return p


def _project_for_post(request, project_id):
    """A write is for the project's team (each write checks its own role): 404 for anyone who
    may only see the project (a leader above, a grantee, the audited unit)."""
    p = _project(request, project_id)
    if not access.may_write(request.user, p):
        raise Http404(NOT_FOUND)
    return p


def _members(p) -> list:
    return [m.user for m in p.members.select_related("user").order_by("role", "id")]


@querystring.query(FlagListQuery)
def flags(request, project_id):
    user = request.user
    p = _project(request, project_id)
    q = request.query
    listed = findings.project_flags(user, p).select_related("org")
    if q.given("rule"):
        listed = listed.filter(rule=q.value("rule"))
    status = q.value("status")
    if status or q.given("assigned"):
        listed = listed.annotate(vkey=findings.key_expression())
        if status == VerificationStatus.PENDING:
            listed = listed.exclude(vkey__in=p.verifications.exclude(status=VerificationStatus.PENDING).values("key"))
        elif status:
            listed = listed.filter(vkey__in=p.verifications.filter(status=status).values("key"))
        if q.given("assigned"):
            listed = listed.filter(vkey__in=p.verifications.filter(assigned_to__username=q.value("assigned")).values("key"))
    page = Paginator(listed.order_by(*FLAG_ORDER), 50).get_page(q.value("page"))
    known = findings.by_key(p, page.object_list)
    rows = [(f, known.get(findings.key_of(f))) for f in page.object_list]
    context = {
        "project": p, "page": page, "rows": rows, "filters": q.data, "statuses": VerificationStatus.choices,
        "rules": sorted(set(findings.project_flags(user, p).order_by().values_list("rule", "rule_name").distinct())),
        "members": _members(p), "may_view_flags": scope.may(user, scope.VIEW_FLAGS),
    }
    return render(request, "audits/flags.html", context)


def _verify_context(request, p, verification, flag):
    user = request.user
    same_key = []
    if verification is not None:
        same_key = list(findings.project_flags(user, p).filter(
            org_id=verification.org_id, fiscal_year=verification.fiscal_year, period=verification.period,
            voucher_type=verification.voucher_type, voucher_no=verification.voucher_no, line_no=verification.line_no,
            rule=verification.rule).order_by("-run_id")[:20])
    open_findings = findings.findings_for(user, p).filter(org_id=verification.org_id) if verification else []
    return {
        "project": p, "verification": verification, "flag": flag, "same_key": same_key,
        "members": _members(p), "statuses": VerificationStatus.choices,
        "may_assign": may_act(user, p, AUDITORS),
        "may_verify": not p.archived and (may_act(user, p, AUDITORS)
                                          or (verification is not None and verification.assigned_to_id == user.pk and access.may_work(user, p))),
        "may_work": access.may_work(user, p),
        "findings": verification.findings.all() if verification else [],
        "open_findings": open_findings,
    } | evidence_context(user, p, verification,
                         reverse("audits:verification_evidence_upload", args=[p.pk, verification.pk]) if verification else "")


def _write(request, p, verification=None, flag=None):
    """Run the posted operation; the verification page afterwards (or the flag page on refusal)."""
    form = VerifyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(f"{form.fields[n].label}：{''.join(e)}" for n, e in form.errors.items()))
        return None
    data = form.cleaned_data
    try:
        if data["op"] == "assign":
            assignee = User.objects.filter(username=data["assignee"]).first() if data["assignee"] else None
            verification = findings.assign(request.user, p, assignee, flag=flag, verification=verification)
            messages.success(request, "已分派。")
        elif data["op"] == "verify":
            verification = findings.verify(request.user, p, data["status"], reason=data["reason"], note=data["note"],
                                           flag=flag, verification=verification)
            messages.success(request, f"已记录核实结果：{verification.get_status_display()}。")
        else:
            finding = p.findings.filter(pk=data["finding"]).first() if data["finding"] else None
            if verification is None or finding is None:
                raise ValueError("请选择审计发现（疑点须先核实为属实）。")
            findings.attach(request.user, p, finding, verification)
            messages.success(request, f"已归入审计发现「{finding.title}」。")
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
        return None
    return verification


@querystring.posts(VerifyForm)
def flag(request, project_id, flag_id):
    """A flag of the project's runs: its verification (by key, whichever run it was made on)."""
    p = _project_for_post(request, project_id) if request.method == "POST" else _project(request, project_id)
    f = findings.project_flags(request.user, p).select_related("org", "run").filter(pk=flag_id).first()
    if f is None:
        raise Http404("疑点不存在或不在您的权限范围内。")
    verification = findings.by_key(p, [f]).get(findings.key_of(f))
    if request.method == "POST":
        done = _write(request, p, verification=verification, flag=None if verification else f)
        if done is not None:
            return redirect("audits:verification", project_id=p.pk, verification_id=done.pk)
        return redirect("audits:flag", project_id=p.pk, flag_id=f.pk)
    return render(request, "audits/verification.html", _verify_context(request, p, verification, f))


@querystring.posts(VerifyForm)
def verification(request, project_id, verification_id):
    p = _project_for_post(request, project_id) if request.method == "POST" else _project(request, project_id)
    v = findings.verifications_for(request.user, p).select_related("org", "assigned_to", "verified_by").filter(pk=verification_id).first()
    if v is None:
        raise Http404("疑点核实不存在或不在您的权限范围内。")
    if request.method == "POST":
        _write(request, p, verification=v)
        return redirect("audits:verification", project_id=p.pk, verification_id=v.pk)
    return render(request, "audits/verification.html", _verify_context(request, p, v, None))


@querystring.query(FindingListQuery)
def findings_list(request, project_id):
    user = request.user
    p = _project(request, project_id)
    listed = findings.findings_for(user, p).select_related("org", "problem_type").order_by("id")
    if request.query.wants_xlsx():
        return xlsx_export.response(request, findings_sheet(p, listed), f"审计发现-{p.code}.xlsx", f"findings-{p.pk}.xlsx",
                                    org=p.owner_org, obj=p)
    page = Paginator(listed, 50).get_page(request.query.value("page"))
    context = {"project": p, "page": page, "total": listed.aggregate(t=Sum("amount"))["t"] or 0,
               "may_work": access.may_work(user, p)}
    return render(request, "audits/findings.html", context)


def findings_sheet(p, listed) -> Sheet:
    rows = (
        (n, f.org.code, f.org.name, f.problem_type.name, f.title, f.amount, f.description, f.basis, f.recommendation,
         findings.vouchers_text(f.vouchers).replace("\n", "、"), f.verifications.count())
        for n, f in enumerate(listed.iterator(chunk_size=500), start=1)
    )
    return Sheet(
        title="审计发现",
        heading=[f"{p.code} {p.name}：审计发现", f"审计单位：{p.owner_org.name}；审计年度：{p.years_text}"],
        columns=[Column("序号", "int", 6), Column("单位编码", width=12), Column("被审计单位", width=24), Column("问题类型", width=14),
                 Column("问题标题", width=30), Column("涉及金额", "money", 14), Column("问题描述", width=60),
                 Column("定性依据", width=40), Column("审计建议", width=40), Column("涉及凭证", width=30),
                 Column("所据疑点数", "int", 10)],
        rows=rows,
    )


class FindingNewQuery(querystring.QueryForm):
    verification = querystring.integer("疑点核实", 1, 2**62)


def _finding_context(request, p, finding, values, verification=None):
    return {
        "project": p, "finding": finding, "values": values, "verification": verification,
        "types": ProblemType.objects.filter(active=True),
        "units": p.units.select_related("org").order_by("org__code"),
        "may_work": access.may_work(request.user, p),
        "wordings": wordings_offered(request.user) if access.may_work(request.user, p) else [],  # 常用问题定性表述
        "attached": finding.verifications.select_related("org").order_by("id") if finding else [],
        "citations": list(cited.citations_of(finding)) if finding else [],
    } | evidence_context(request.user, p, finding,
                         reverse("audits:finding_evidence_upload", args=[p.pk, finding.pk]) if finding else "")


def _posted_finding(request, p, finding):
    """Save the posted finding; the saved one, or the form's values with the messages."""
    form = FindingForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(f"{form.fields[n].label}：{''.join(e)}" for n, e in form.errors.items()))
        return None, {k: form.cleaned_data.get(k, "") for k in FindingForm.base_fields}
    data = form.cleaned_data
    values = dict(data)
    try:
        chosen = []
        if data["verification"]:
            v = findings.verifications_for(request.user, p).filter(pk=data["verification"]).first()
            if v is None:
                raise ValueError("没有这个疑点核实。")
            chosen.append(v)
        unit = p.units.filter(org__code=data["org"]).select_related("org").first() if data["org"] else None
        saved = findings.save_finding(
            request.user, p, finding, problem_type=ProblemType.objects.filter(pk=data["problem_type"]).first(),
            org=unit.org if unit else None,
            title=data["title"], amount=data["amount"], description=data["description"], basis=data["basis"],
            recommendation=data["recommendation"], vouchers=findings.parse_vouchers(data["vouchers"]), verifications=chosen,
            citations=data["citations"] if "citations" in form.data else None,  # a form without the field leaves them
        )
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
        return None, values
    return saved, values


@querystring.posts(FindingForm)
@querystring.query(FindingNewQuery)
def finding_new(request, project_id):
    if request.method == "POST":
        p = _project_for_post(request, project_id)
        saved, values = _posted_finding(request, p, None)
        if saved is not None:
            messages.success(request, "已保存审计发现。")
            return redirect("audits:finding", project_id=p.pk, finding_id=saved.pk)
        v = findings.verifications_for(request.user, p).filter(pk=values.get("verification") or 0).first()
        return render(request, "audits/finding.html", _finding_context(request, p, None, values, v))
    p = _project(request, project_id)
    v = None
    values = {"amount": ""}
    if request.query.given("verification"):
        v = findings.verifications_for(request.user, p).select_related("org").filter(pk=request.query.value("verification")).first()
        if v is not None:
            values = {"org": v.org.code, "title": v.rule_name, "amount": v.amount if v.amount is not None else "",
                      "description": v.message + (f"\n{v.note}" if v.note else ""), "verification": v.pk}
    return render(request, "audits/finding.html", _finding_context(request, p, None, values, v))


@querystring.posts(FindingForm)
def finding(request, project_id, finding_id):
    p = _project_for_post(request, project_id) if request.method == "POST" else _project(request, project_id)
    f = findings.findings_for(request.user, p).select_related("org", "problem_type").filter(pk=finding_id).first()
    if f is None:
        raise Http404("审计发现不存在或不在您的权限范围内。")
    if request.method == "POST":
        saved, values = _posted_finding(request, p, f)
        if saved is not None:
            messages.success(request, "已保存审计发现。")
            return redirect("audits:finding", project_id=p.pk, finding_id=f.pk)
        f.refresh_from_db()
        return render(request, "audits/finding.html", _finding_context(request, p, f, values))
    values = {"problem_type": f.problem_type_id, "org": f.org.code, "title": f.title, "amount": f.amount,
              "description": f.description, "basis": f.basis, "recommendation": f.recommendation,
              "vouchers": findings.vouchers_text(f.vouchers),
              "citations": "\n".join(cited.line_of(c) for c in cited.citations_of(f))}
    return render(request, "audits/finding.html", _finding_context(request, p, f, values))
