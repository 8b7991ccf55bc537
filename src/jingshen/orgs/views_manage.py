"""单位管理 (综合管理): the units an administrator manages — list and search, edit (name, level,
kind, member count, parent within the scope, aliases 别名), a new unit under one of them, and the import of a
unit file below one of them through the same service as ``jingshen import orgs``. Access is
MANAGE (``orgs/scope.py``): a unit outside it answers 404; every page answers 404 to someone
who manages nothing. Writes are ``orgs/services.py``."""


from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render

from jingshen import querystring, tabular, xlsx_export
from jingshen.orgs import scope, services
from jingshen.orgs.forms import ORG_SORTS, OrgCreateForm, OrgEditForm, OrgImportForm, OrgListQuery
from jingshen.orgs.models import Kind, Level, Org
from jingshen.tabular import TableError

PAGE_SIZE = 50


def _require_manager(user) -> None:
    if not scope.may(user, scope.MANAGE):
        raise Http404("页面不存在。")


def _managed(user):
    return scope.orgs_for(user, scope.MANAGE)


def _tops(user):
    """The highest units of the user's MANAGE scope (usually their own unit): where the page's
    import and 新建下级单位 start."""
    managed = _managed(user)
    return managed.exclude(parent__in=managed).order_by("path")


def _errors(request, form) -> None:
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else "表单"
        messages.error(request, f"{label}：{''.join(errors)}")


@querystring.query(OrgListQuery)
def org_list(request):
    user = request.user
    _require_manager(user)
    q = request.query
    units = _managed(user).select_related("parent").annotate(n_users=Count("users", filter=Q(users__is_active=True)))
    if q.given("q"):
        text = q.value("q")
        units = units.filter(Q(name__icontains=text) | Q(code__icontains=text))
    if q.given("level"):
        units = units.filter(level=q.value("level"))
    if q.given("kind"):
        units = units.filter(kind=q.value("kind"))
    sort = q.value("sort")
    units = units.order_by(*((sort, "path") if sort != "path" else ("path",)))
    if q.wants_xlsx():
        return _export(request, units)
    context = {
        "page": Paginator(units, PAGE_SIZE).get_page(q.value("page")), "filters": q, "levels": Level.choices,
        "kinds": Kind.choices, "sorts": ORG_SORTS, "sort": sort, "tops": _tops(user),
        "filtered": any(q.given(n) for n in ("q", "level", "kind")),
    }
    return render(request, "orgs/manage/list.html", context)


def _export(request, units):
    total = units.count()
    if total > xlsx_export.EXPORT_MAX_ROWS:
        return xlsx_export.too_large(request, total)
    # the columns of the import template, so that an export can be edited and imported again
    rows = ((o.code, o.name, o.parent.code if o.parent_id else "", o.get_level_display(), o.get_kind_display(),
             o.member_count, "、".join(a.name for a in o.aliases.all()))
            for o in units.prefetch_related("aliases").iterator(chunk_size=1000))
    Column = xlsx_export.Column
    sheet = xlsx_export.Sheet(
        title="单位", heading=["单位清单", f"共 {total:,} 个单位"],
        columns=[Column("单位编码", width=14), Column("单位名称", width=36), Column("上级单位编码", width=14),
                 Column("层级", width=10), Column("单位性质", width=12), Column("会员人数", "int", 10),
                 Column("别名", width=30)],
        rows=rows,
    )
    return xlsx_export.response(request, sheet, "单位清单.xlsx", "orgs.xlsx")


def _parent_choices(user, org) -> list[tuple[str, str]]:
    """Where ``org`` may move: units the user manages outside its own subtree, or its current
    parent when that is outside the scope (the top of the scope keeps its parent)."""
    managed = _managed(user)
    choices = []
    if org.parent_id is None:
        choices.append(("", "无（最高层级）"))
    elif not managed.filter(pk=org.parent_id).exists():
        choices.append((org.parent.code, f"{org.parent.name}（{org.parent.code}，不变）"))
    for o in managed.exclude(path__startswith=org.path).order_by("path"):
        choices.append((o.code, f"{'　' * o.depth}{o.name}（{o.code}）"))
    return choices


@querystring.posts(OrgEditForm)
def org_edit(request, code):
    user = request.user
    org = scope.get_org_for_user(user, code, scope.MANAGE)
    parents = _parent_choices(user, org)
    if request.method == "POST":
        form = OrgEditForm(request.POST, parents=parents)
        if form.is_valid():
            data = form.cleaned_data
            parent = Org.objects.filter(code=data["parent"]).first() if data["parent"] else None
            try:
                services.update_org(user, org, name=data["name"], level=data["level"], kind=data["kind"],
                                    member_count=data["member_count"], parent=parent,
                                    aliases=services.parse_aliases(data["aliases"]))
            except (PermissionError, ValueError) as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, f"已保存单位「{data['name']}」。")
                return redirect("orgs:detail", org.code)
        else:
            _errors(request, form)
    else:
        form = OrgEditForm(parents=parents, initial={"name": org.name, "level": org.level, "kind": org.kind,
                                                     "member_count": org.member_count,
                                                     "parent": org.parent.code if org.parent_id else "",
                                                     "aliases": "、".join(a.name for a in org.aliases.all())})
    return render(request, "orgs/manage/form.html", {"form": form, "org": org, "parent": None})


@querystring.posts(OrgCreateForm)
def org_new(request, code):
    """新建下级单位 under the unit ``code``."""
    user = request.user
    parent = scope.get_org_for_user(user, code, scope.MANAGE)
    if request.method == "POST":
        form = OrgCreateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                org = services.create_org(user, parent=parent, code=data["code"], name=data["name"], level=data["level"],
                                          kind=data["kind"], member_count=data["member_count"])
            except (PermissionError, ValueError) as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, f"已新建单位「{org.name}」。")
                return redirect("orgs:detail", org.code)
        else:
            _errors(request, form)
    else:
        form = OrgCreateForm(initial={"kind": Kind.GRASSROOTS_UNION, "level": Level.GRASSROOTS})
    return render(request, "orgs/manage/form.html", {"form": form, "org": None, "parent": parent})


@querystring.posts(OrgImportForm)
def org_import(request, code):
    """导入单位 below the unit ``code``: the rows must stay inside its subtree (import_orgs
    ``within``); a refused file changes nothing and its errors are listed by row and column."""
    user = request.user
    within = scope.get_org_for_user(user, code, scope.MANAGE)
    refused, total = [], 0
    form = OrgImportForm()
    if request.method == "POST":
        form = OrgImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            with tabular.uploaded(upload, "单位文件") as (path, display):
                try:
                    result = services.import_orgs(path, actor=user, display=display, within=within)
                except TableError as exc:
                    refused, total = [str(e) for e in exc.errors[:200]], exc.total
                    messages.error(request, "文件被拒绝，系统中的数据未做任何改动。请按下列提示修改文件后重新导入。")
                except (PermissionError, ValueError) as exc:
                    messages.error(request, str(exc))
                else:
                    messages.success(request, f"导入完成：{result.summary()}")
                    return redirect("orgs:list")
        else:
            _errors(request, form)
    context = {"form": form, "within": within, "refused": refused, "total": total}
    return render(request, "orgs/manage/import.html", context)
