from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from jingshen import querystring, tabular
from jingshen.finance import access, forms, services
from jingshen.finance.execution import execution
from jingshen.finance.models import LineKind
from jingshen.orgs import scope
from jingshen.tabular import TableError

PER_PAGE = 50
DATALIST_MAX = 500


@querystring.query(forms.BudgetQuery)
def budgets(request):
    """预算: the imported budget versions of the units the user sees."""
    user = request.user
    if not scope.may(user, scope.VIEW):
        raise Http404("页面不存在或您没有权限访问。")
    q = request.query
    listed = access.budgets_for(user).select_related("org", "imported_by")
    unit = None
    if q.given("org"):
        unit = scope.orgs_for(user, scope.VIEW).filter(code=q.value("org").strip()).first()
        if unit is None:
            messages.error(request, f"单位编码“{q.value('org')}”不存在或不在您的查看范围内，已忽略该条件。")
        else:
            listed = listed.filter(org__path__startswith=unit.path)
    if q.given("year"):
        listed = listed.filter(fiscal_year=q.value("year"))
    page = Paginator(listed.order_by("org__path", "-fiscal_year", "-version"), PER_PAGE).get_page(q.value("page"))
    context = {"page": page, "filters": {k: v for k, v in q.cleaned_data.items() if v not in (None, "")}, "unit": unit,
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
    if not scope.may(user, scope.IMPORT):
        raise Http404("页面不存在或您没有权限访问。")
    form = forms.BudgetImportForm(initial={"year": timezone.localdate().year})
    refused: list[str] = []
    if request.method == "POST":
        form = forms.BudgetImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            org = scope.get_org_for_user(user, data["org"].strip(), scope.IMPORT)
            with tabular.uploaded(data["file"], "预算表") as (path, display):
                try:
                    result = services.import_budget(path, org=org, year=data["year"], actor=user, display=display)
                except TableError as exc:
                    refused = [str(e) for e in exc.errors[:200]]
                    if exc.total > len(refused):
                        refused.append(f"……共 {exc.total:,} 处错误，仅显示前 {len(refused)} 处。")
                    messages.error(request, "文件被拒绝，系统中的数据未做任何改动。")
                except (PermissionError, ValueError) as exc:
                    messages.error(request, str(exc))
                else:
                    messages.success(request, f"已导入{org.name} {result.fiscal_year} 年预算第 {result.version} 版。")
                    return redirect("finance:budget", budget_id=result.pk)
    units = scope.orgs_for(user, scope.IMPORT).order_by("path").only("code", "name")[:DATALIST_MAX]
    return render(request, "finance/budget_import.html", {"form": form, "refused": refused, "units": units})
