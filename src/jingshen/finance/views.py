from urllib.parse import quote

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django.utils import timezone

from jingshen import querystring, tabular, xlsx_export
from jingshen.finance import access, crosslevel, enterprises as enterprise_indicators, forms, services
from jingshen.finance.compliance import compliance
from jingshen.finance.execution import execution
from jingshen.finance.models import AssetStatus, LineKind, Payroll
from jingshen.orgs.models import Kind
from jingshen.finance.reconcile import fixed_fund_setting, reconcile_assets
from jingshen.orgs import scope
from jingshen.tabular import TableError

PER_PAGE = 50
DATALIST_MAX = 500


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


def _import_page(request, form_class, template: str, do_import, done, initial=None):
    """An upload page of 穿透式监督: the form, the import (``do_import(user, data, path, display)``,
    refused files listed on the page) and, on success, ``done(result)``: the message and the page
    to go to. Only for users who import some unit's data; each importer checks the scope again."""
    user = request.user
    scope.need(user, scope.IMPORT)
    form = form_class(initial=initial)
    refused: list[str] = []
    if request.method == "POST":
        form = form_class(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            with tabular.uploaded(data["file"], form.file_label) as (path, display):
                result, refused = _imported(request, lambda: do_import(user, data, path, display))
            if result is not None:
                message, target = done(result)
                messages.success(request, message)
                return target
    return render(request, template, {"form": form, "refused": refused, "units": _import_units(user)})


def _unit(user, data):
    """The unit a single-unit file is for (404 outside the importer's scope, like an unknown code)."""
    return scope.get_org_for_user(user, data["org"].strip(), scope.IMPORT)


@querystring.query(forms.BudgetQuery)
def budgets(request):
    """预算: the imported budget versions of the units the user sees."""
    user = request.user
    scope.need(user, scope.VIEW)
    q = request.query
    listed, unit = _unit_filter(request, access.budgets_for(user).select_related("org", "imported_by"))
    if q.given("year"):
        listed = listed.filter(fiscal_year=q.value("year"))
    page = Paginator(listed.order_by("org__path", "-fiscal_year", "-version"), PER_PAGE).get_page(q.value("page"))
    context = {"page": page, "filters": _filters(q), "unit": unit,
               "may_import": scope.may(user, scope.IMPORT)}
    return render(request, "finance/budgets.html", context)


@querystring.query(forms.BudgetPageQuery)
def budget(request, budget_id):
    """A budget version with its execution. Opened from an audit project (``?project=``, one the
    user may see, else ignored): which version the project uses, and the actuals from the voucher
    version the project pinned for the unit-year."""
    budget = access.get_budget_for_user(request.user, budget_id)
    lines = list(budget.lines.all())
    versions = access.budgets_for(request.user).filter(org=budget.org, fiscal_year=budget.fiscal_year).order_by("-version")
    project, project_pin, dataset = None, None, None
    if request.query.given("project"):
        from jingshen.audits.access import projects_for

        project = projects_for(request.user).filter(pk=request.query.value("project")).first()
    if project is not None:
        project_pin = project.budget_pins.filter(budget__org=budget.org, budget__fiscal_year=budget.fiscal_year) \
            .select_related("budget").first()
        pin = project.pins.filter(dataset__org=budget.org, dataset__fiscal_year=budget.fiscal_year) \
            .select_related("dataset").first()
        dataset = pin.dataset if pin else None
    result = execution(budget, dataset)
    by_code = {row.code: row for row in result.rows}
    context = {"budget": budget, "rows": [(line, by_code.get(line.code) if line.kind == LineKind.ACCOUNT else None) for line in lines],
               "has_adjusted": any(line.adjusted is not None for line in lines), "versions": versions, "run": result,
               "chart": _execution_chart(result) if result.dataset else None, "project": project, "project_pin": project_pin}
    return render(request, "finance/budget.html", context)


def bars(categories: list[str], series: dict[str, list], horizontal: bool = False, unit: str = "元") -> dict:
    """The data of a grouped bar chart (``data-chart="bars"`` in static/jingshen/charts.js)."""
    return {"categories": categories, "horizontal": horizontal, "unit": unit,
            "series": [{"name": name, "data": [float(v or 0) for v in values]} for name, values in series.items()]}


def _execution_chart(result) -> dict:
    """预算与实际 of the first-level lines, and the spending structure, as two bar charts."""
    top = [r for r in result.rows if r.depth == 0 and (r.budget or r.actual)]
    return {"lines": bars([f"{r.code} {r.name}" for r in top], {"预算数": [r.budget for r in top], "本年实际数": [r.actual for r in top]},
                          horizontal=True),
            "structure": bars([p.label for p in result.structure], {"预算数": [p.budget for p in result.structure],
                                                                    "本年实际数": [p.actual for p in result.structure]})}


@require_http_methods(["GET", "POST"])
@querystring.posts(forms.BudgetImportForm)
def budget_import(request):
    return _import_page(
        request, forms.BudgetImportForm, "finance/budget_import.html",
        lambda user, data, path, display: services.import_budget(path, org=_unit(user, data), year=data["year"], actor=user,
                                                                 display=display),
        lambda b: (f"已导入{b.org.name} {b.fiscal_year} 年预算第 {b.version} 版。", redirect("finance:budget", budget_id=b.pk)),
        initial={"year": timezone.localdate().year})


# --- fixed assets ---------------------------------------------------------------------------------


@querystring.query(forms.RegisterQuery)
def registers(request):
    """资产卡片: the imported register versions of the units the user sees."""
    user = request.user
    scope.need(user, scope.VIEW)
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


@require_http_methods(["GET", "POST"])
@querystring.posts(forms.AssetImportForm)
def register_import(request):
    return _import_page(
        request, forms.AssetImportForm, "finance/register_import.html",
        lambda user, data, path, display: services.import_assets(path, org=_unit(user, data), actor=user, display=display),
        lambda r: (f"已导入{r.org.name}资产卡片第 {r.version} 版。", redirect("finance:register", register_id=r.pk)))


@querystring.query(forms.ReconcileQuery)
def reconciliation(request):
    """资产对账: one unit-year's register against its ledger."""
    user = request.user
    scope.need(user, scope.VIEW)
    q = request.query
    year = q.value("year") or timezone.localdate().year - 1
    org = None
    if q.given("org"):
        org = scope.orgs_for(user, scope.VIEW).filter(code=q.value("org").strip()).first()
        if org is None:
            messages.error(request, f"单位编码“{q.value('org')}”不存在或不在您的查看范围内。")
    result = reconcile_assets(org, year) if org is not None else None
    context = {"org": org, "year": year, "result": result, "filters": _filters(q),
               "setting": fixed_fund_setting(org) if org is not None else None,
               "may_configure": org is not None and scope.can(user, scope.CONFIGURE, org)}
    return render(request, "finance/reconciliation.html", context)


@require_http_methods(["POST"])
@querystring.posts(forms.FixedFundCheckForm)
def fixed_fund_check(request):
    """Switch the fixed-fund check of 资产对账 on or off for a unit (CONFIGURE on it, else 404)."""
    form = forms.FixedFundCheckForm(request.POST)
    if not form.is_valid():
        raise Http404("单位不存在或不在您的权限范围内。")
    data = form.cleaned_data
    org = scope.get_org_for_user(request.user, data["org"].strip(), scope.CONFIGURE)
    try:
        services.set_fixed_fund_check(request.user, org, data["enabled"])
    except PermissionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已{'开启' if data['enabled'] else '关闭'}{org.name}的“固定资产与固定基金”核对。")
    year = data["year"] or timezone.localdate().year - 1
    return redirect(f"{reverse('finance:reconciliation')}?org={quote(org.code)}&year={year}")


@querystring.query(forms.CrossLevelQuery)
def cross_level(request):
    """上下级对账: what a unit gave the units below it against what they booked as received."""
    user = request.user
    scope.need(user, scope.VIEW)
    q = request.query
    year = q.value("year") or timezone.localdate().year - 1
    org = user.org if not q.given("org") and user.org_id and scope.can(user, scope.VIEW, user.org) else None
    if q.given("org"):
        org = scope.orgs_for(user, scope.VIEW).filter(code=q.value("org").strip()).first()
        if org is None:
            messages.error(request, f"单位编码“{q.value('org')}”不存在或不在您的查看范围内。")
    result = crosslevel.cross_level(user, org, year) if org is not None else None
    chart = None
    if result is not None and result.pairs:
        largest = sorted(result.pairs, key=lambda p: -max(p.given, p.received or 0))[:20]
        chart = bars([p.org.name for p in largest], {"上级拨付": [p.given if p.upper_known else None for p in largest],
                                                     "下级收到": [p.received for p in largest]})
    return render(request, "finance/cross_level.html", {"org": org, "year": year, "result": result, "filters": _filters(q),
                                                        "chart": chart})


@querystring.query(forms.PayrollQuery)
def payrolls(request):
    """工资总额: the latest payroll total of each unit-year the user sees (older versions in the log)."""
    user = request.user
    scope.need(user, scope.VIEW)
    q = request.query
    listed, unit = _unit_filter(request, access.payrolls_for(user).select_related("org", "imported_by"))
    if q.given("year"):
        listed = listed.filter(fiscal_year=q.value("year"))
    newer = Payroll.objects.filter(org=OuterRef("org"), fiscal_year=OuterRef("fiscal_year"), version__gt=OuterRef("version"))
    listed = listed.exclude(Exists(newer))
    page = Paginator(listed.order_by("org__path", "-fiscal_year"), PER_PAGE).get_page(q.value("page"))
    return render(request, "finance/payrolls.html", {"page": page, "filters": _filters(q), "unit": unit,
                                                     "may_import": scope.may(user, scope.IMPORT)})


@require_http_methods(["GET", "POST"])
@querystring.posts(forms.PayrollImportForm)
def payroll_import(request):
    return _import_page(
        request, forms.PayrollImportForm, "finance/payroll_import.html",
        lambda user, data, path, display: services.import_payroll(user, path, display=display),
        lambda result: (f"导入完成：{result.summary()}", redirect("finance:payrolls")))


# --- 工会企业 and 工会事业单位 ------------------------------------------------------------------------

INSTITUTIONS_PER_PAGE = 20
MISSING_SHOWN = 20  # each runs the budget execution against the unit-year's vouchers


def _year_of(listed, year_field: str = "fiscal_year"):
    """The latest year that ``listed`` has rows for, or last year."""
    latest = listed.order_by(f"-{year_field}").values_list(year_field, flat=True).first()
    return latest or timezone.localdate().year - 1


def enterprise_sheet(rows, year: int, threshold, unit) -> xlsx_export.Sheet:
    C = xlsx_export.Column
    where = f"{unit.name}及其下级单位" if unit else "您查看范围内的全部工会企业"
    return xlsx_export.Sheet(
        title="资产保值增值率",
        heading=[f"{year} 年工会企业资产保值增值率：{where}",
                 f"资产保值增值率 =（年末所有者权益 − 客观因素影响额）÷ 年初所有者权益 × 100%；低于 {threshold}% 的标为“低于预警线”。"],
        columns=[C("单位编码", width=12), C("单位名称", width=28), C("所有者权益年初数", "money", 18), C("所有者权益年末数", "money", 18),
                 C("净利润", "money", 16), C("客观因素影响额", "money", 16), C("资产保值增值率（%）", width=14), C("预警", width=12),
                 C("工会资本年初数", "money", 16), C("工会资本年末数", "money", 16), C("国有资本年初数", "money", 16),
                 C("国有资本年末数", "money", 16), C("版本", "int", 6)],
        rows=((s.org.code, s.org.name, s.equity_opening, s.equity_closing, s.net_profit, s.objective_factors, s.rate,
               "低于预警线" if s.rate < threshold else "", s.union_capital_opening, s.union_capital_closing,
               s.state_capital_opening, s.state_capital_closing, s.version) for s in rows),
    )


@querystring.query(forms.EnterpriseQuery)
def enterprises(request):
    """资产保值增值率: the latest summary of each union enterprise the user sees, for one year."""
    user = request.user
    scope.need(user, scope.VIEW)
    q = request.query
    listed, unit = _unit_filter(request, access.enterprise_summaries_for(user))
    year = q.value("year") or _year_of(listed)
    threshold = q.value("threshold")
    rows = enterprise_indicators.indicators(listed.filter(fiscal_year=year), q.value("sort"))
    if q.wants_xlsx():
        return xlsx_export.response(request, enterprise_sheet(rows, year, threshold, unit), f"资产保值增值率-{year}.xlsx",
                                    f"enterprises-{year}.xlsx", org=unit)
    for s in rows:
        s.below = s.rate < threshold
    firms = scope.orgs_for(user, scope.VIEW).filter(kind=Kind.ENTERPRISE)
    if unit is not None:
        firms = firms.filter(path__startswith=unit.path)
    missing = firms.exclude(pk__in=[s.org_id for s in rows]).order_by("path")
    page = Paginator(rows, PER_PAGE).get_page(q.value("page"))
    shown = list(page)
    chart = bars([s.org.name for s in shown], {"资产保值增值率": [s.rate for s in shown]}, horizontal=True, unit="%") if shown else None
    context = {"page": page, "year": year, "threshold": threshold, "unit": unit, "filters": _filters(q), "chart": chart,
               "below": sum(1 for s in rows if s.below), "sorts": enterprise_indicators.SORTS, "sort": q.value("sort"),
               "may_import": scope.may(user, scope.IMPORT), "any_data": access.enterprise_summaries_for(user).exists(),
               "missing": missing[:MISSING_SHOWN], "missing_count": missing.count()}
    return render(request, "finance/enterprises.html", context)


@require_http_methods(["GET", "POST"])
@querystring.posts(forms.EnterpriseImportForm)
def enterprise_import(request):
    return _import_page(
        request, forms.EnterpriseImportForm, "finance/enterprise_import.html",
        lambda user, data, path, display: services.import_enterprises(user, path, display=display),
        lambda result: (f"导入完成：{result.summary()}", redirect("finance:enterprises")))


@querystring.query(forms.InstitutionQuery)
def institutions(request):
    """预算合规: for each union institution (事业单位) the user sees, its latest budget of the year
    against its vouchers: spending without a budget line, adjustments, ring-fenced lines."""
    user = request.user
    scope.need(user, scope.VIEW)
    q = request.query
    units = scope.orgs_for(user, scope.VIEW).filter(kind=Kind.INSTITUTION)
    unit = None
    if q.given("org"):
        unit = scope.orgs_for(user, scope.VIEW).filter(code=q.value("org").strip()).first()
        if unit is None:
            messages.error(request, f"单位编码“{q.value('org')}”不存在或不在您的查看范围内，已忽略该条件。")
        else:
            units = units.filter(path__startswith=unit.path)
    budgets = access.budgets_for(user).filter(org__in=units)
    year = q.value("year") or _year_of(budgets)
    page = Paginator(units.order_by("path"), INSTITUTIONS_PER_PAGE).get_page(q.value("page"))
    rows = []
    for org in page:
        budget = budgets.filter(org=org, fiscal_year=year).order_by("-version").first()
        rows.append((org, compliance(budget) if budget is not None else None))
    context = {"page": page, "rows": rows, "year": year, "unit": unit, "filters": _filters(q)}
    return render(request, "finance/institutions.html", context)
