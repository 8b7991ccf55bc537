"""重点资金 pages: the funds in force (list, new, edit), the trace of one fund through a year, and
tagging a voucher with a fund from the voucher page of 查账."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from jingshen import querystring
from jingshen.finance import access, forms, services
from jingshen.finance.trace import TOP_PAYEES, trace
from jingshen.finance.views import bars
from jingshen.ledger import books
from jingshen.ledger.roles import AccountRole
from jingshen.orgs import scope

ROLE_LABELS = dict(AccountRole.choices)


def _describe(fund) -> dict:
    return {"fund": fund, "roles": [ROLE_LABELS.get(r, r) for r in fund.roles]}


def funds(request):
    """重点资金: the funds the user sees, with what decides their lines."""
    user = request.user
    scope.need(user, scope.VIEW)
    listed = access.funds_for(user).select_related("org").order_by("org__path", "name")
    editable = set(access.funds_for(user, scope.CONFIGURE).values_list("pk", flat=True))
    context = {"rows": [_describe(f) | {"editable": f.pk in editable} for f in listed],
               "may_configure": scope.may(user, scope.CONFIGURE)}
    return render(request, "finance/funds.html", context)


@require_http_methods(["GET", "POST"])
@querystring.posts(forms.FundForm)
def fund_new(request):
    return _fund_form(request, None)


@require_http_methods(["GET", "POST"])
@querystring.posts(forms.FundForm)
def fund(request, fund_id):
    """One fund: its definition, read by those it is shown to, changed by those who configure its unit."""
    user = request.user
    fund = access.get_fund_for_user(user, fund_id)
    editable = access.funds_for(user, scope.CONFIGURE).filter(pk=fund.pk).exists()
    if request.method == "POST" and not editable:
        raise Http404("页面不存在或您没有权限访问。")
    return _fund_form(request, fund, editable)


def _fund_form(request, fund, editable=True):
    user = request.user
    if fund is None:
        scope.need(user, scope.CONFIGURE)
    units = scope.orgs_for(user, scope.CONFIGURE)
    if fund is None:
        initial = {"org": user.org.code if user.org_id and units.filter(pk=user.org_id).exists() else ""}
    else:
        initial = {"org": fund.org.code if fund.org_id else "", "name": fund.name, "description": fund.description, "roles": fund.roles,
                   "accounts": "、".join(fund.accounts), "keywords": "、".join(fund.keywords), "active": fund.active}
    form = forms.FundForm(initial=initial)
    if request.method == "POST":
        form = forms.FundForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            code = (data["org"] or initial["org"]).strip()
            org = fund.org if fund is not None else (scope.get_org_for_user(user, code, scope.CONFIGURE) if code else None)
            if org is None:
                form.add_error("org", "请填写定义单位编码。")
            else:
                try:
                    saved = services.save_fund(user, org=org, fund=fund, name=data["name"], description=data["description"],
                                               roles=data["roles"], accounts=data["accounts"], keywords=data["keywords"],
                                               active=data["active"])
                except (PermissionError, ValueError) as exc:
                    form.add_error(None, str(exc))
                else:
                    messages.success(request, f"已保存重点资金「{saved.name}」。")
                    return redirect("finance:funds")
    if fund is not None:
        form.fields["org"].disabled = True
    if not editable:
        for field in form.fields.values():
            field.disabled = True
    return render(request, "finance/fund_form.html", {"form": form, "fund": fund, "editable": editable})


@querystring.query(forms.TraceQuery)
def fund_trace(request):
    """资金穿透: one fund through a year, from a unit down to the payees."""
    user = request.user
    scope.need(user, scope.VIEW)
    q = request.query
    visible = scope.orgs_for(user, scope.VIEW)
    org = None
    if q.given("org"):
        org = visible.filter(code=q.value("org").strip()).first()
        if org is None:
            messages.error(request, f"单位编码“{q.value('org')}”不存在或不在您的查看范围内。")
    elif user.org_id and visible.filter(pk=user.org_id).exists():
        org = user.org
    else:
        org = visible.order_by("depth", "path").first()
    years = books.dataset_years(user)
    year = q.value("year") or (years[0] if years else timezone.localdate().year - 1)
    choices = list(access.funds_for(user).filter(active=True).select_related("org").order_by("org__path", "name"))
    if org is not None:
        applying = set(access.funds_applying_to(org).values_list("pk", flat=True))
        choices = [f for f in choices if f.pk in applying]
    fund = next((f for f in choices if f.pk == q.value("fund")), None) if q.given("fund") else (choices[0] if choices else None)
    if q.given("fund") and fund is None:
        messages.error(request, "所选重点资金不存在、未启用或不适用于该单位。")
    result = trace(user, fund, org, year) if org is not None and fund is not None else None
    context = {"org": org, "year": year, "years": years, "fund": fund, "funds": choices, "result": result,
               "chart": _chart(result) if result else None, "top_payees": TOP_PAYEES,
               "roles": [ROLE_LABELS.get(r, r) for r in fund.roles] if fund else []}
    return render(request, "finance/trace.html", context)


def _chart(result) -> dict:
    """Received, passed down, spent and unspent of the units with the largest flows."""
    hops = sorted(result.active_hops, key=lambda h: -(h.received + h.passed_down + h.spent))[:20]
    return bars([h.org.name for h in hops], {label: [getattr(h, name) for h in hops] for name, label in (
        ("received", "收到"), ("passed_down", "下拨"), ("spent", "支出"), ("unspent", "结余"))})


@require_POST
@querystring.posts(forms.FundTagForm)
def fund_tag(request, dataset_id, period, voucher_type, voucher_no):
    """标记重点资金: from the voucher page, for those who audit the unit."""
    user = request.user
    dataset = books.get_dataset_for_user(user, dataset_id)
    if not scope.can(user, scope.AUDIT, dataset.org):
        raise Http404("页面不存在或您没有权限访问。")
    back = reverse("books:voucher", args=[dataset.pk, period, voucher_type, voucher_no])
    form = forms.FundTagForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
        return redirect(back)
    fund = access.funds_applying_to(dataset.org).filter(pk=form.cleaned_data["fund"]).first()
    if fund is None:
        messages.error(request, "所选重点资金不存在或不适用于该单位。")
        return redirect(back)
    try:
        services.tag_voucher(user, fund=fund, dataset=dataset, period=period, voucher_type=voucher_type,
                             voucher_no=voucher_no, note=form.cleaned_data["note"])
    except PermissionError:
        raise Http404("页面不存在或您没有权限访问。") from None
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已将该凭证标记为重点资金「{fund.name}」。")
    return redirect(back)


@require_POST
def fund_untag(request, tag_id):
    tag = access.get_fund_voucher_for_user(request.user, tag_id, scope.AUDIT)
    dataset = books.voucher_datasets(request.user).filter(org=tag.org, fiscal_year=tag.fiscal_year).order_by("-version").first()
    services.untag_voucher(request.user, tag)
    messages.success(request, f"已取消重点资金「{tag.fund.name}」标记。")
    if dataset is None:
        return redirect("finance:funds")
    return redirect("books:voucher", dataset.pk, tag.period, tag.voucher_type, tag.voucher_no)
