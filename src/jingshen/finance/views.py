from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from jingshen import querystring, tabular
from jingshen.finance import access, crosslevel, forms, services
from jingshen.finance.execution import execution
from jingshen.finance.models import AssetStatus, LineKind, Payroll
from jingshen.finance.reconcile import reconcile_assets
from jingshen.orgs import scope
from jingshen.tabular import TableError

PER_PAGE = 50
DATALIST_MAX = 500


def _need(user, action: str) -> None:
    if not scope.may(user, action):
        raise Http404("页面不存在或您没有权限访问。")


def _imported(request, do_import):
    """Run an import; on a refused file, (None, the problems to list) and the page's message."""
    try:
        return do_import(), []
    except TableError as exc:
        refused = [str(e) for e in exc.errors[:200]]
        if exc.total > len(refused):
            refused.append(f"……共 {exc.total:,} 处错误，仅显示前 {len(refused)} 处。")
        messages.error(request, "文件被拒绝，系统中的数据未做任何改动。")
        return None, refused
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
        return None, []


def _unit_filter(request, queryset, field: str = "org"):
    """Rows of the unit in ``?org=`` and below it; a unit outside the scope is ignored, and said so."""
    q = request.query
    if not q.given("org"):
        return queryset, None
    unit = scope.orgs_for(request.user, scope.VIEW).filter(code=q.value("org").strip()).first()
    if unit is None:
        messages.error(request, f"单位编码“{q.value('org')}”不存在或不在您的查看范围内，已忽略该条件。")
        return queryset, None
    return queryset.filter(**{f"{field}__path__startswith": unit.path}), unit


def _filters(q) -> dict:
    return {k: v for k, v in q.cleaned_data.items() if v not in (None, "")}


def _import_units(user):
    return scope.orgs_for(user, scope.IMPORT).order_by("path").only("code", "name")[:DATALIST_MAX]


@querystring.query(forms.BudgetQuery)
def budgets(request):
    """预算: the imported budget versions of the units the user sees."""
    user = request.user
    _need(user, scope.VIEW)
    q = request.query
    listed, unit = _unit_filter(request, access.budgets_for(user).select_related("org", "imported_by"))
    if q.given("year"):
        listed = listed.filter(fiscal_year=q.value("year"))
    page = Paginator(listed.order_by("org__path", "-fiscal_year", "-version"), PER_PAGE).get_page(q.value("page"))
    context = {"page": page, "filters": _filters(q), "unit": unit,
               "may_import": scope.may(user, scope.IMPORT)}
    return render(request, "finance/budgets.html", context)


def budget(request, budget_id):
    budget = access.get_budget_for_user(request.user, budget_id)
    lines = list(budget.lines.all())
    versions = access.budgets_for(request.user).filter(org=budget.org, fiscal_year=budget.fiscal_year).order_by("-version")
    result = execution(budget)
    by_code = {row.code: row for row in result.rows}
    context = {"budget": budget, "rows": [(line, by_code.get(line.code) if line.kind == LineKind.ACCOUNT else None) for line in lines],
               "has_adjusted": any(line.adjusted is not None for line in lines), "versions": versions, "run": result}
    return render(request, "finance/budget.html", context)


@querystring.posts(forms.BudgetImportForm)
def budget_import(request):
    user = request.user
    _need(user, scope.IMPORT)
    form = forms.BudgetImportForm(initial={"year": timezone.localdate().year})
    refused: list[str] = []
    if request.method == "POST":
        form = forms.BudgetImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            org = scope.get_org_for_user(user, data["org"].strip(), scope.IMPORT)
            with tabular.uploaded(data["file"], "预算表") as (path, display):
                result, refused = _imported(request, lambda: services.import_budget(
                    path, org=org, year=data["year"], actor=user, display=display))
            if result is not None:
                messages.success(request, f"已导入{org.name} {result.fiscal_year} 年预算第 {result.version} 版。")
                return redirect("finance:budget", budget_id=result.pk)
    return render(request, "finance/budget_import.html", {"form": form, "refused": refused, "units": _import_units(user)})


# --- fixed assets ---------------------------------------------------------------------------------


@querystring.query(forms.RegisterQuery)
def registers(request):
    """资产卡片: the imported register versions of the units the user sees."""
    user = request.user
    _need(user, scope.VIEW)
    listed, unit = _unit_filter(request, access.registers_for(user).select_related("org", "imported_by")
                                .annotate(cards=Count("assets"), value=Sum("assets__original_value")))
    page = Paginator(listed.order_by("org__path", "-version"), PER_PAGE).get_page(request.query.value("page"))
    context = {"page": page, "filters": _filters(request.query), "unit": unit, "may_import": scope.may(user, scope.IMPORT),
               "this_year": timezone.localdate().year}
    return render(request, "finance/registers.html", context)


@querystring.query(forms.CardQuery)
def register(request, register_id):
    register = access.get_register_for_user(request.user, register_id)
    q = request.query
    cards = register.assets.all()
    if q.given("status"):
        cards = cards.filter(status=q.value("status"))
    if q.given("q"):
        cards = cards.filter(Q(asset_no__icontains=q.value("q")) | Q(name__icontains=q.value("q")))
    totals = cards.aggregate(n=Count("id"), value=Sum("original_value"), depreciation=Sum("depreciation"))
    page = Paginator(cards.order_by("row"), PER_PAGE).get_page(q.value("page"))
    context = {"register": register, "page": page, "totals": totals, "filters": _filters(q), "statuses": AssetStatus.choices,
               "this_year": timezone.localdate().year}
    return render(request, "finance/register.html", context)


@querystring.posts(forms.AssetImportForm)
def register_import(request):
    user = request.user
    _need(user, scope.IMPORT)
    form = forms.AssetImportForm()
    refused: list[str] = []
    if request.method == "POST":
        form = forms.AssetImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            org = scope.get_org_for_user(user, data["org"].strip(), scope.IMPORT)
            with tabular.uploaded(data["file"], "资产卡片") as (path, display):
                result, refused = _imported(request, lambda: services.import_assets(path, org=org, actor=user, display=display))
            if result is not None:
                messages.success(request, f"已导入{org.name}资产卡片第 {result.version} 版。")
                return redirect("finance:register", register_id=result.pk)
    return render(request, "finance/register_import.html", {"form": form, "refused": refused, "units": _import_units(user)})


@querystring.query(forms.ReconcileQuery)
def reconciliation(request):
    """资产对账: one unit-year's register against its ledger."""
    user = request.user
    _need(user, scope.VIEW)
    q = request.query
    year = q.value("year") or timezone.localdate().year - 1
    org = None
    if q.given("org"):
        org = scope.orgs_for(user, scope.VIEW).filter(code=q.value("org").strip()).first()
        if org is None:
            messages.error(request, f"单位编码“{q.value('org')}”不存在或不在您的查看范围内。")
    result = reconcile_assets(org, year) if org is not None else None
    context = {"org": org, "year": year, "result": result, "filters": _filters(q)}
    return render(request, "finance/reconciliation.html", context)


@querystring.query(forms.CrossLevelQuery)
def cross_level(request):
    """上下级对账: what a unit gave the units below it against what they booked as received."""
    user = request.user
    _need(user, scope.VIEW)
    q = request.query
    year = q.value("year") or timezone.localdate().year - 1
    org = user.org if not q.given("org") and user.org_id and scope.can(user, scope.VIEW, user.org) else None
    if q.given("org"):
        org = scope.orgs_for(user, scope.VIEW).filter(code=q.value("org").strip()).first()
        if org is None:
            messages.error(request, f"单位编码“{q.value('org')}”不存在或不在您的查看范围内。")
    result = crosslevel.cross_level(user, org, year) if org is not None else None
    return render(request, "finance/cross_level.html", {"org": org, "year": year, "result": result, "filters": _filters(q)})


@querystring.query(forms.PayrollQuery)
def payrolls(request):
    """工资总额: the latest payroll total of each unit-year the user sees (older versions in the log)."""
    user = request.user
    _need(user, scope.VIEW)
    q = request.query
    listed, unit = _unit_filter(request, access.payrolls_for(user).select_related("org", "imported_by"))
    if q.given("year"):
        listed = listed.filter(fiscal_year=q.value("year"))
    newer = Payroll.objects.filter(org=OuterRef("org"), fiscal_year=OuterRef("fiscal_year"), version__gt=OuterRef("version"))
    listed = listed.exclude(Exists(newer))
    page = Paginator(listed.order_by("org__path", "-fiscal_year"), PER_PAGE).get_page(q.value("page"))
    return render(request, "finance/payrolls.html", {"page": page, "filters": _filters(q), "unit": unit,
                                                     "may_import": scope.may(user, scope.IMPORT)})


@querystring.posts(forms.PayrollImportForm)
def payroll_import(request):
    user = request.user
    _need(user, scope.IMPORT)
    form = forms.PayrollImportForm()
    refused: list[str] = []
    if request.method == "POST":
        form = forms.PayrollImportForm(request.POST, request.FILES)
        if form.is_valid():
            with tabular.uploaded(form.cleaned_data["file"], "工资总额") as (path, display):
                result, refused = _imported(request, lambda: services.import_payroll(user, path, display=display))
            if result is not None:
                messages.success(request, f"导入完成：{result.summary()}")
                return redirect("finance:payrolls")
    return render(request, "finance/payroll_import.html", {"form": form, "refused": refused})
