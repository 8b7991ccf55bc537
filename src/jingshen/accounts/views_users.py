"""用户管理 (综合管理): the users of the units an administrator manages — list with filters,
sorting, paging and XLSX export; create (with a generated password shown once); edit;
deactivate and reactivate. Who may do what is ``orgs/scope.py`` (MANAGE, ``grantable_roles``);
writes are ``accounts/services.py``. A user of a unit outside the administrator's scope answers
404, like one that does not exist; so does every page for someone who manages nothing."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.timezone import localtime
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST

from jingshen import querystring, xlsx_export
from jingshen.accounts import services
from jingshen.accounts.access import get_managed_user, managed_users
from jingshen.accounts.forms import USER_SORTS, UserActiveForm, UserCreateForm, UserFields, UserListQuery
from jingshen.accounts.roles import RoleCode
from jingshen.orgs import scope

PAGE_SIZE = 50
ORDER = {
    "username": ("username",),
    "name": ("display_name", "username"),
    "org": ("org__path", "username"),
    "last_login": ("last_login", "username"),
    "date_joined": ("date_joined", "username"),
}


def _require_manager(user) -> None:
    if not scope.may(user, scope.MANAGE):
        raise Http404("页面不存在。")  # as for any page the user may not open


def _units(user):
    return scope.orgs_for(user, scope.MANAGE).order_by("path")


def _ordered(users, sort: str):
    key = sort.lstrip("-")
    fields = ORDER.get(key, ORDER["username"])
    if sort.startswith("-"):
        return users.order_by(*(f"-{f}" for f in fields))
    return users.order_by(*fields)


def _errors(form) -> list[str]:
    return [f"{form.fields[n].label if n in form.fields else '表单'}：{''.join(e)}" for n, e in form.errors.items()]


@querystring.query(UserListQuery)
def user_list(request):
    user = request.user
    _require_manager(user)
    q = request.query
    users = managed_users(user).select_related("org").prefetch_related("roles")
    unit = None
    if q.given("org"):
        unit = _units(user).filter(code=q.value("org")).first()
        if unit is None:
            messages.error(request, "所选单位不在您的管理范围内，已忽略该条件。")
        else:
            users = users.filter(org__path__startswith=unit.path)
    if q.given("role"):
        users = users.filter(roles__code=q.value("role"))
    if q.given("active"):
        users = users.filter(is_active=q.value("active") == "1")
    if q.given("q"):
        text = q.value("q")
        users = users.filter(Q(username__icontains=text) | Q(display_name__icontains=text))
    users = _ordered(users.distinct(), q.value("sort"))
    if q.wants_xlsx():
        return _export(request, users, unit)
    page = Paginator(users, PAGE_SIZE).get_page(q.value("page"))
    context = {
        "page": page, "filters": q, "units": _units(user), "roles": RoleCode.choices, "sorts": USER_SORTS,
        "sort": q.value("sort"), "filtered": any(q.given(n) for n in ("org", "role", "active", "q")),
    }
    return render(request, "accounts/users/list.html", context)


def _export(request, users, unit):
    total = users.count()
    if total > xlsx_export.EXPORT_MAX_ROWS:
        return xlsx_export.too_large(request, total)
    rows = (
        (u.username, u.display_name, u.org.name if u.org else "", u.org.code if u.org else "", "、".join(u.role_names()),
         "在用" if u.is_active else "已停用", "是" if u.must_change_password else "",
         localtime(u.last_login).strftime("%Y-%m-%d %H:%M") if u.last_login else "",
         localtime(u.date_joined).strftime("%Y-%m-%d"))
        for u in users.iterator(chunk_size=500)
    )
    Column = xlsx_export.Column
    sheet = xlsx_export.Sheet(
        title="用户",
        heading=["用户清单", f"范围：{unit.name if unit else '全部管理范围'}；共 {total:,} 人"],
        columns=[Column("用户名", width=18), Column("姓名", width=12), Column("所属单位", width=30), Column("单位编码", width=12),
                 Column("角色", width=24), Column("状态", width=8), Column("须修改密码", width=10),
                 Column("最近登录", width=18), Column("创建日期", width=12)],
        rows=rows,
    )
    return xlsx_export.response(request, sheet, "用户清单.xlsx", "users.xlsx", org=unit)


@never_cache
@sensitive_variables("password")
@querystring.posts(UserCreateForm)
def user_create(request):
    """新建用户: the password is generated, shown once on the answer (not a redirect: it is
    never stored, not even in the session), and must be changed at first login."""
    user = request.user
    _require_manager(user)
    units = _units(user)
    if request.method == "POST":
        form = UserCreateForm(request.POST, units=units)
        if form.is_valid():
            data = form.cleaned_data
            org = units.get(code=data["org"])
            try:
                created, password = services.create_user_with_generated_password(
                    org=org, username=data["username"], roles=data["roles"], display_name=data["display_name"], actor=user)
            except (ValidationError, PermissionError, ValueError) as exc:
                for message in getattr(exc, "messages", None) or [str(exc)]:
                    messages.error(request, message)
            else:
                return render(request, "accounts/users/created.html",
                              {"target": created, "password": password})
        else:
            for message in _errors(form):
                messages.error(request, message)
    else:
        form = UserCreateForm(units=units, initial={"org": user.org.code if units.filter(pk=user.org_id).exists() else ""})
    return render(request, "accounts/users/form.html", {"form": form, "target": None})


def user_detail(request, username):
    user = request.user
    target = get_managed_user(user, username)
    context = {
        "target": target,
        "roles": target.role_names(),
        "may_change": scope.may_administer_account(user, target),
        "is_self": target.pk == user.pk,
    }
    return render(request, "accounts/users/detail.html", context)


@querystring.posts(UserFields)
def user_edit(request, username):
    user = request.user
    target = get_managed_user(user, username)
    units = _units(user)
    if request.method == "POST":
        form = UserFields(request.POST, units=units)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.update_user(user, target, display_name=data["display_name"], roles=data["roles"],
                                     org=units.get(code=data["org"]))
            except (ValidationError, PermissionError, ValueError) as exc:
                for message in getattr(exc, "messages", None) or [str(exc)]:
                    messages.error(request, message)
            else:
                messages.success(request, f"已保存用户 {target.username} 的信息。")
                return redirect("user_detail", target.username)
        else:
            for message in _errors(form):
                messages.error(request, message)
    else:
        form = UserFields(units=units, initial={"display_name": target.display_name, "org": target.org.code,
                                                "roles": sorted(target.role_codes)})
    return render(request, "accounts/users/form.html", {"form": form, "target": target})


@require_POST
@querystring.posts(UserActiveForm)
def user_set_active(request, username):
    user = request.user
    target = get_managed_user(user, username)
    form = UserActiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(_errors(form)))
        return redirect("user_detail", target.username)
    active = form.cleaned_data["active"] == "1"
    try:
        services.set_active(user, target, active)
    except PermissionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已{'启用' if active else '停用'}用户 {target.username}。"
                         + ("" if active else "其现有登录已失效，不能再登录。"))
    return redirect("user_detail", target.username)
