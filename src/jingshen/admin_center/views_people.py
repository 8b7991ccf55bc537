"""综合管理 › 经审干部与培训, 往期审计记录 and 交叉互审授权 pages. Views check access
(admin_center/access.py on orgs/scope.py), call admin_center/services.py or orgs/services.py, and
render or redirect with a Chinese message. A page or object outside the user's scope is 404."""


from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from jingshen import querystring, tabular, xlsx_export
from jingshen.accounts.models import User
from jingshen.admin_center import access, forms, services
from jingshen.admin_center.hours import hours_table
from jingshen.admin_center.models import PriorAudit, StaffType, TrainingKind
from jingshen.audits import access as audits_access
from jingshen.audits.models import AuditType
from jingshen.orgs import scope
from jingshen.orgs import services as org_services
from jingshen.orgs.models import Org
from jingshen.tabular import TableError

PER_PAGE = 50
DATALIST_MAX = 500  # units offered as suggestions in a code field
STAFF_ORDER = {"org": ("org__path", "name", "id"), "name": ("name", "id"), "type": ("staff_type", "org__path", "name"),
               "position": ("position", "name", "id"), "updated": ("updated_at", "id")}


def _unit_filter(request, queryset, action: str, field: str = "org"):
    """Rows of the unit given in ``?org=`` and below it; a unit outside the scope is ignored
    (and said so), like an unknown code."""
    q = request.query
    if not q.given("org"):
        return queryset, None
    code = q.value("org").strip()
    unit = scope.orgs_for(request.user, action).filter(code=code).first()
    if unit is None:
        messages.error(request, f"单位编码“{code[:40]}”不存在或不在您的权限范围内，已忽略该条件。")
        return queryset, None
    return queryset.filter(**{f"{field}__path__startswith": unit.path}), unit


def _units(user, action: str):
    """Units offered in a code field's suggestions (at most DATALIST_MAX)."""
    return scope.orgs_for(user, action).order_by("path").only("code", "name")[:DATALIST_MAX]


def _form_errors(form) -> list[str]:
    return [f"{form.fields[n].label if n in form.fields else '表单'}：{''.join(e)}" for n, e in form.errors.items()]


def _active_filter(queryset, value: str, field: str = "active"):
    if value == "1":
        return queryset.filter(**{field: True})
    if value == "0":
        return queryset.filter(**{field: False})
    return queryset


# --- 经审干部名册 --------------------------------------------------------------------------------------


STAFF_COLUMNS = [xlsx_export.Column("单位编码", width=12), xlsx_export.Column("单位名称", width=28),
                 xlsx_export.Column("姓名", width=10), xlsx_export.Column("类别", width=10),
                 xlsx_export.Column("职务", width=16), xlsx_export.Column("资格与职称", width=24),
                 xlsx_export.Column("联系电话", width=14), xlsx_export.Column("登录账号", width=14),
                 xlsx_export.Column("在岗", width=6), xlsx_export.Column("备注", width=24)]


@querystring.query(forms.StaffQuery)
def staff_list(request):
    user = request.user
    scope.need(user, scope.VIEW_ROSTER)
    q = request.query
    listed, unit = _unit_filter(request, access.staff_for(user).select_related("org", "user"), scope.VIEW_ROSTER)
    if q.given("staff_type"):
        listed = listed.filter(staff_type=q.value("staff_type"))
    listed = _active_filter(listed, q.value("active"))
    if q.given("name"):
        listed = listed.filter(name__contains=q.value("name").strip())
    sort = q.value("sort")
    keys = STAFF_ORDER[sort.lstrip("-")]
    listed = listed.order_by(*[("-" + k if sort.startswith("-") else k) for k in keys])
    if q.wants_xlsx():
        total = listed.count()
        if total > xlsx_export.EXPORT_MAX_ROWS:
            return xlsx_export.too_large(request, total)
        rows = ((s.org.code, s.org.name, s.name, s.get_staff_type_display(), s.position, s.qualifications, s.phone,
                 s.user.username if s.user_id else "", "在岗" if s.active else "不在岗", s.note) for s in listed.iterator())
        heading = ["经审干部名册", f"范围：{unit.name if unit else '全部可查看单位'}　导出时间：{timezone.localtime():%Y-%m-%d %H:%M}"]
        sheet = xlsx_export.Sheet("经审干部名册", heading, STAFF_COLUMNS, rows)
        return xlsx_export.response(request, sheet, "经审干部名册.xlsx", "staff.xlsx", org=unit)
    page = Paginator(listed, PER_PAGE).get_page(q.value("page"))
    context = {"page": page, "filters": q.data, "sort": sort, "types": StaffType.choices, "actives": forms.ACTIVE_CHOICES,
               "active": q.value("active"), "may_keep": scope.may(user, scope.ROSTER), "unit": unit,
               "keepable": set(scope.orgs_for(user, scope.ROSTER).filter(pk__in={s.org_id for s in page}).values_list("pk", flat=True))}
    return render(request, "admin_center/staff_list.html", context)


def _staff_fields(request, form, staff=None):
    """The service's arguments from a valid StaffForm: the unit (404 outside the ROSTER scope, as
    everywhere) and the linked account; None with a form error when the account is unknown."""
    data = form.cleaned_data
    org = scope.get_org_for_user(request.user, data["org"].strip(), scope.ROSTER)
    account = None
    username = data["username"].strip()
    if username:
        account = User.objects.filter(username=username, org=org).first()
        if account is None:
            form.add_error("username", f"「{org.name}」没有用户名为「{username}」的登录账号。")
            return None
    return {"org": org, "name": data["name"], "staff_type": data["staff_type"], "position": data["position"],
            "qualifications": data["qualifications"], "phone": data["phone"], "user": account, "note": data["note"]}


def _save_staff(request, form, staff=None):
    if not form.is_valid():
        return None
    fields = _staff_fields(request, form, staff)
    if fields is None:
        return None
    try:
        if staff is None:
            return services.create_staff(request.user, **fields)
        return services.update_staff(request.user, staff, **fields)
    except (PermissionError, ValueError) as exc:
        form.add_error(None, str(exc))
        return None


@querystring.posts(forms.StaffForm)
def staff_new(request):
    user = request.user
    scope.need(user, scope.ROSTER)
    form = forms.StaffForm(initial={"org": user.org.code, "staff_type": StaffType.PART_TIME})
    if request.method == "POST":
        form = forms.StaffForm(request.POST)
        saved = _save_staff(request, form)
        if saved is not None:
            messages.success(request, f"已添加经审干部「{saved.name}」。")
            return redirect("admin_center:staff_edit", staff_id=saved.pk)
    return render(request, "admin_center/staff_form.html", {"form": form, "units": _units(user, scope.ROSTER)})


@querystring.posts(forms.StaffForm)
def staff_edit(request, staff_id):
    user = request.user
    staff = access.get_staff_for_user(user, staff_id)
    may_keep = scope.can(user, scope.ROSTER, staff.org)
    initial = {"org": staff.org.code, "name": staff.name, "staff_type": staff.staff_type, "position": staff.position,
               "qualifications": staff.qualifications, "phone": staff.phone,
               "username": staff.user.username if staff.user_id else "", "note": staff.note}
    form = forms.StaffForm(initial=initial)
    if request.method == "POST":
        if not may_keep:
            raise Http404("经审干部不存在或不在您的权限范围内。")
        form = forms.StaffForm(request.POST)
        saved = _save_staff(request, form, staff)
        if saved is not None:
            messages.success(request, f"已保存经审干部「{saved.name}」。")
            return redirect("admin_center:staff_edit", staff_id=saved.pk)
    trainings = staff.trainings.select_related("project").order_by("-start_date", "-id")
    context = {"staff": staff, "form": form, "may_keep": may_keep, "trainings": trainings,
               "units": _units(user, scope.ROSTER) if may_keep else []}
    return render(request, "admin_center/staff_edit.html", context)


@require_POST
@querystring.posts(forms.ActiveForm)
def staff_active(request, staff_id):
    user = request.user
    staff = access.get_staff_for_user(user, staff_id, scope.ROSTER)
    form = forms.ActiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(_form_errors(form)))
        return redirect("admin_center:staff_edit", staff_id=staff.pk)
    active = form.cleaned_data["active"] == "1"
    try:
        changed = services.set_staff_active(user, staff, active, form.cleaned_data["note"])
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        state = "在岗" if active else "不在岗"
        messages.success(request, f"已将「{staff.name}」标记为{state}。" if changed else f"「{staff.name}」已是{state}。")
    return redirect("admin_center:staff_edit", staff_id=staff.pk)


# --- training records --------------------------------------------------------------------------------


@querystring.query(forms.TrainingQuery)
def trainings(request):
    user = request.user
    scope.need(user, scope.VIEW_ROSTER)
    q = request.query
    listed, unit = _unit_filter(request, access.trainings_for(user).select_related("staff", "staff__org", "project"),
                                scope.VIEW_ROSTER, "staff__org")
    if q.given("kind"):
        listed = listed.filter(kind=q.value("kind"))
    if q.given("year"):
        listed = listed.filter(start_date__year=q.value("year"))
    person = None
    if q.given("staff"):
        person = access.staff_for(user).filter(pk=q.value("staff")).first()
        listed = listed.filter(staff=person) if person else listed.none()
    page = Paginator(listed.order_by("-start_date", "-id"), PER_PAGE).get_page(q.value("page"))
    keepable = set(scope.orgs_for(user, scope.ROSTER).filter(pk__in={t.staff.org_id for t in page}).values_list("pk", flat=True))
    context = {"page": page, "filters": q.data, "kinds": TrainingKind.choices, "unit": unit, "person": person,
               "may_keep": scope.may(user, scope.ROSTER), "keepable": keepable}
    return render(request, "admin_center/trainings.html", context)


def _training_context(request, form):
    user = request.user
    staff = access.staff_for(user, scope.ROSTER).filter(active=True).select_related("org").order_by("org__path", "name")[:2000]
    projects = audits_access.projects_for(user).order_by("-id")[:200]
    form.fields["staff"].widget.choices = [("", "请选择")] + [(s.pk, f"{s.name}（{s.org.name}）") for s in staff]
    form.fields["project"].widget.choices = [("", "不关联")] + [(p.pk, f"{p.code} {p.name}") for p in projects]
    return {"form": form, "has_staff": bool(staff)}


@querystring.posts(forms.TrainingForm)
@querystring.query(forms.NewTrainingQuery)
def training_new(request):
    user = request.user
    scope.need(user, scope.ROSTER)
    form = forms.TrainingForm(initial={"staff": request.query.value("staff"), "kind": TrainingKind.CENTRAL})
    if request.method == "POST":
        form = forms.TrainingForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            staff = access.get_staff_for_user(user, data["staff"], scope.ROSTER)
            project = None
            if data["project"]:
                project = audits_access.projects_for(user).filter(pk=data["project"]).first()
                if project is None:
                    form.add_error("project", "审计项目不存在或不在您的权限范围内。")
            if form.is_valid():
                try:
                    services.add_training(user, staff=staff, kind=data["kind"], title=data["title"],
                                          organiser=data["organiser"], start_date=data["start_date"],
                                          end_date=data["end_date"], hours=data["hours"], project=project)
                except (PermissionError, ValueError) as exc:
                    form.add_error(None, str(exc))
                else:
                    messages.success(request, f"已为「{staff.name}」登记培训「{data['title']}」{data['hours']} 学时。")
                    return redirect("admin_center:staff_edit", staff_id=staff.pk)
    return render(request, "admin_center/training_form.html", _training_context(request, form))


@require_POST
def training_delete(request, training_id):
    user = request.user
    training = access.get_training_for_user(user, training_id, scope.ROSTER)
    staff_id = training.staff_id
    try:
        services.delete_training(user, training)
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已删除培训记录（操作已记入操作日志）。")
    return redirect("admin_center:staff_edit", staff_id=staff_id)


@querystring.query(forms.HoursQuery)
def hours(request):
    user = request.user
    scope.need(user, scope.VIEW_ROSTER)
    q = request.query
    staff, unit = _unit_filter(request, access.staff_for(user), scope.VIEW_ROSTER)
    if q.given("staff_type"):
        staff = staff.filter(staff_type=q.value("staff_type"))
    staff = _active_filter(staff, q.value("active"))
    year = q.value("year") if q.given("year") else None
    table = hours_table(staff, year)
    if q.wants_xlsx():
        if len(table.rows) > xlsx_export.EXPORT_MAX_ROWS:
            return xlsx_export.too_large(request, len(table.rows))
        columns = [xlsx_export.Column("单位", width=28), xlsx_export.Column("姓名", width=10),
                   xlsx_export.Column("类别", width=8)]
        columns += [xlsx_export.Column(f"{label}（学时）", "money", 14) for _, label in table.columns]
        columns.append(xlsx_export.Column("合计（学时）", "money", 14))
        rows = ((r.staff.org.name, r.staff.name, r.staff.get_staff_type_display(), *r.cells, r.total) for r in table.rows)
        footer = [("合计", "", "", *table.totals, table.grand_total)]
        what = f"{year} 年各形式学时" if year else "各年度学时"
        heading = [f"经审干部培训学时统计（{what}）", f"范围：{unit.name if unit else '全部可查看单位'}"]
        sheet = xlsx_export.Sheet("培训学时统计", heading, columns, rows, footer)
        name = f"培训学时统计{'-' + str(year) if year else ''}.xlsx"
        return xlsx_export.response(request, sheet, name, "training-hours.xlsx", org=unit)
    page = Paginator(table.rows, PER_PAGE).get_page(q.value("page"))
    context = {"table": table, "page": page, "filters": q.data, "year": year, "types": StaffType.choices,
               "actives": forms.ACTIVE_CHOICES, "active": q.value("active"), "unit": unit}
    return render(request, "admin_center/hours.html", context)


# --- 往期审计记录 --------------------------------------------------------------------------------------


@querystring.query(forms.PriorQuery)
def priors(request):
    user = request.user
    scope.need(user, scope.VIEW_ROSTER)
    q = request.query
    listed, unit = _unit_filter(request, access.prior_audits_for(user).select_related("org", "audit_type", "auditor_org"),
                                scope.VIEW_ROSTER)
    if q.given("year"):
        listed = listed.filter(year=q.value("year"))
    if q.given("audit_type"):
        listed = listed.filter(audit_type_id=q.value("audit_type"))
    if q.given("source"):
        listed = listed.filter(source=q.value("source"))
    page = Paginator(listed.order_by("-year", "org__path", "id"), PER_PAGE).get_page(q.value("page"))
    deletable = set(scope.orgs_for(user, scope.PRIOR_AUDIT).filter(pk__in={p.org_id for p in page}).values_list("pk", flat=True))
    context = {"page": page, "filters": q.data, "types": AuditType.objects.all(), "sources": PriorAudit.Source.choices,
               "unit": unit, "may_record": scope.may(user, scope.PRIOR_AUDIT), "deletable": deletable}
    return render(request, "admin_center/priors.html", context)


@querystring.posts(forms.PriorForm)
def prior_new(request):
    user = request.user
    scope.need(user, scope.PRIOR_AUDIT)
    form = forms.PriorForm(initial={"year": timezone.localdate().year - 1})
    if request.method == "POST":
        form = forms.PriorForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            org = scope.get_org_for_user(user, data["org"].strip(), scope.PRIOR_AUDIT)
            audit_type = AuditType.objects.filter(pk=data["audit_type"], active=True).first()
            if audit_type is None:
                form.add_error("audit_type", "请选择审计类型。")
            auditor = None
            if data["auditor_org"].strip():
                auditor = Org.objects.filter(code=data["auditor_org"].strip()).first()
                refusal = "审计单位不存在或不在您的查看范围内。" if auditor is None else services.auditor_refusal(user, org, auditor)
                if refusal:
                    form.add_error("auditor_org", refusal)
            if form.is_valid():
                try:
                    services.add_prior_audit(user, org=org, year=data["year"], audit_type=audit_type,
                                             report_no=data["report_no"], auditor_org=auditor)
                except (PermissionError, ValueError) as exc:
                    form.add_error(None, str(exc))
                else:
                    messages.success(request, f"已录入「{org.name}」{data['year']} 年度{audit_type.name}。")
                    return redirect("admin_center:priors")
    form.fields["audit_type"].widget.choices = [("", "请选择")] + [(t.pk, t.name) for t in AuditType.objects.filter(active=True)]
    context = {"form": form, "units": _units(user, scope.PRIOR_AUDIT)}
    return render(request, "admin_center/prior_form.html", context)


@querystring.posts(forms.ImportForm)
def prior_import(request):
    user = request.user
    scope.need(user, scope.PRIOR_AUDIT)
    form = forms.ImportForm()
    refused: list[str] = []
    if request.method == "POST":
        form = forms.ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            with tabular.uploaded(upload, "上传文件") as (path, display):
                try:
                    result = services.import_prior_audits(user, path, display=display)
                except TableError as exc:
                    refused = [str(e) for e in exc.errors[:200]]
                    if exc.total > len(refused):
                        refused.append(f"……共 {exc.total:,} 处错误，仅显示前 {len(refused)} 处。")
                    messages.error(request, "文件被拒绝，系统中的数据未做任何改动。")
                except (PermissionError, ValueError) as exc:
                    messages.error(request, str(exc))
                else:
                    messages.success(request, f"导入完成：{result.summary()}")
                    return redirect("admin_center:priors")
    context = {"form": form, "refused": refused, "types": AuditType.objects.filter(active=True)}
    return render(request, "admin_center/prior_import.html", context)


@require_POST
def prior_delete(request, prior_id):
    user = request.user
    prior = access.get_prior_audit_for_user(user, prior_id, scope.PRIOR_AUDIT)
    try:
        services.delete_prior_audit(user, prior)
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "已删除往期审计记录（操作已记入操作日志）。")
    return redirect("admin_center:priors")


# --- 交叉互审授权 --------------------------------------------------------------------------------------


def grant_state(grant, today) -> tuple[str, str]:
    if grant.revoked_at:
        return "revoked", "已撤销"
    if today < grant.valid_from:
        return "pending", "未开始"
    if today > grant.valid_until:
        return "expired", "已过期"
    return "active", "生效中"


@querystring.query(forms.GrantQuery)
def grants(request):
    user = request.user
    scope.need(user, scope.GRANT)
    q = request.query
    today = timezone.localdate()
    listed = access.grants_for(user).select_related("target", "grantee_org", "grantee_user", "created_by")
    state = q.value("state")
    if state == "revoked":
        listed = listed.filter(revoked_at__isnull=False)
    elif state:
        listed = listed.filter(revoked_at__isnull=True)
        listed = {"active": listed.filter(valid_from__lte=today, valid_until__gte=today),
                  "pending": listed.filter(valid_from__gt=today), "expired": listed.filter(valid_until__lt=today)}[state]
    page = Paginator(listed.order_by("-id"), PER_PAGE).get_page(q.value("page"))
    for g in page:
        g.state, g.state_label = grant_state(g, today)
        g.revocable = g.state != "revoked" and scope.may_revoke_grant(user, g)
    context = {"page": page, "filters": q.data, "states": forms.GrantQuery.base_fields["state"].choices[1:]}
    return render(request, "admin_center/grants.html", context)


@querystring.posts(forms.GrantForm)
def grant_new(request):
    user = request.user
    scope.need(user, scope.GRANT)
    today = timezone.localdate()
    form = forms.GrantForm(initial={"valid_from": today, "valid_until": today.replace(month=12, day=31)})
    if request.method == "POST":
        form = forms.GrantForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            target = scope.get_org_for_user(user, data["target"].strip(), scope.GRANT)
            below = Org.objects.filter(path__startswith=user.org.path)
            grantee_org = grantee_user = None
            if data["grantee_org"].strip():
                grantee_org = below.filter(code=data["grantee_org"].strip()).first()
                if grantee_org is None:
                    form.add_error("grantee_org", "受托单位不存在，或不是本单位及其下级单位。")
            else:
                grantee_user = User.objects.filter(username=data["grantee_user"].strip(), org__in=below,
                                                   is_active=True).select_related("org").first()
                if grantee_user is None:
                    form.add_error("grantee_user", "受托用户不存在、已停用，或不属于本单位及其下级单位。")
            if form.is_valid():
                try:
                    grant = org_services.create_grant(target=target, grantee_org=grantee_org, grantee_user=grantee_user,
                                                      valid_from=data["valid_from"], valid_until=data["valid_until"],
                                                      purpose=data["purpose"], actor=user)
                except (PermissionError, ValueError) as exc:
                    form.add_error(None, str(exc))
                else:
                    messages.success(request, f"已创建交叉互审授权：{grant}。")
                    return redirect("admin_center:grants")
    context = {"form": form, "targets": _units(user, scope.GRANT),
               "grantee_units": Org.objects.filter(path__startswith=user.org.path).order_by("path").only("code", "name")[:DATALIST_MAX]}
    return render(request, "admin_center/grant_form.html", context)


@require_POST
@querystring.posts(forms.RevokeForm)
def grant_revoke(request, grant_id):
    user = request.user
    grant = access.get_grant_for_user(user, grant_id)
    if not scope.may_revoke_grant(user, grant):
        raise Http404("交叉互审授权不存在或不在您的权限范围内。")
    form = forms.RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(_form_errors(form)))
        return redirect("admin_center:grants")
    try:
        done = org_services.revoke_grant(grant, actor=user, reason=form.cleaned_data["reason"])
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已撤销交叉互审授权：{grant}。" if done else "该授权此前已撤销。")
    return redirect("admin_center:grants")

