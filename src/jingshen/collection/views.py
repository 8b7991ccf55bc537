"""报送计划 pages: the schedules of the units one sees (set by those who SCHEDULE them), the
periods not reported on time (未按时报送), and the nil return (零报送) a unit's importers declare
for a late period."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from jingshen import querystring
from jingshen.accounts.models import User
from jingshen.collection import access, forms, services
from jingshen.collection.models import NilReturn
from jingshen.orgs import scope

PER_PAGE = 50


def chosen_unit(request):
    q = request.query
    if not q.given("org"):
        return None
    unit = scope.orgs_for(request.user, scope.VIEW).filter(code=q.value("org").strip()).first()
    if unit is None:
        messages.error(request, f"单位编码“{q.value('org')}”不存在或不在您的查看范围内，已忽略该条件。")
    return unit


@querystring.query(forms.ScheduleQuery)
def schedules(request, form=None):
    user = request.user
    scope.need(user, scope.VIEW)
    listed = access.schedules_for(user).select_related("org", "contact", "updated_by").annotate(
        late=Count("org__late_reports", filter=Q(org__late_reports__resolved_at__isnull=True)))
    unit = chosen_unit(request)
    if unit is not None:
        listed = listed.filter(org__path__startswith=unit.path)
    page = Paginator(listed.order_by("org__path"), PER_PAGE).get_page(request.query.value("page"))
    may_schedule = scope.may(user, scope.SCHEDULE)
    context = {"page": page, "chosen": unit, "may_schedule": may_schedule, "form": form or forms.ScheduleForm(
        initial={"org": unit.code if unit else (user.org.code if user.org_id else "")}),
        "late_open": access.late_for(user).filter(resolved_at__isnull=True).count()}
    return render(request, "collection/schedules.html", context)


@require_POST
@querystring.posts(forms.ScheduleForm)
def schedule_set(request):
    user = request.user
    scope.need(user, scope.SCHEDULE)
    form = forms.ScheduleForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        org = scope.get_org_for_user(user, data["org"].strip(), scope.SCHEDULE)
        contact = None
        if data["contact"]:
            contact = User.objects.filter(username=data["contact"].strip(), org=org, is_active=True).first()
            if contact is None:
                form.add_error("contact", f"{org.name}没有用户名为“{data['contact']}”的在用账号。")
        if not form.errors:
            try:
                n = services.set_schedule(user, org=org, frequency=data["frequency"], due_day=data["due_day"],
                                          lag_months=data["lag_months"], starts_on=data["starts_on"], contact=contact,
                                          active=data["active"], below=data["below"])
            except (PermissionError, ValueError) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"已设置 {n} 个单位的报送计划。")
                return redirect("collection:schedules")
    request.query = forms.ScheduleQuery({})
    return schedules.__wrapped__(request, form=form)


@querystring.query(forms.LateQuery)
def late(request):
    user = request.user
    scope.need(user, scope.VIEW)
    listed = access.late_for(user).select_related("org")
    status = request.query.value("status")
    if status == "open":
        listed = listed.filter(resolved_at__isnull=True)
    elif status == "resolved":
        listed = listed.filter(resolved_at__isnull=False)
    unit = chosen_unit(request)
    if unit is not None:
        listed = listed.filter(org__path__startswith=unit.path)
    listed = listed.annotate(nil=Exists(NilReturn.objects.filter(org=OuterRef("org"), fiscal_year=OuterRef("fiscal_year"),
                                                                 period=OuterRef("period"))))
    page = Paginator(listed.order_by("resolved_at", "due_date", "org__path"), PER_PAGE).get_page(request.query.value("page"))
    # the units of this page whose importers may declare a nil return (申报本期无业务)
    declarable = set(scope.orgs_for(user, scope.IMPORT).filter(pk__in={r.org_id for r in page}).values_list("pk", flat=True))
    return render(request, "collection/late.html", {"page": page, "chosen": unit, "status": status, "declarable": declarable,
                                                    "statuses": forms.LateQuery.base_fields["status"].choices})


@require_POST
@querystring.posts(forms.NilForm)
def nil_declare(request):
    """申报本期无业务 for a late period (the button on the late list): the period counts as reported."""
    user = request.user
    scope.need(user, scope.IMPORT)
    form = forms.NilForm(request.POST)
    if not form.is_valid():
        messages.error(request, "申报信息不完整或无效，请从“未按时报送”列表中的按钮申报。")
        return redirect("collection:late")
    data = form.cleaned_data
    org = scope.get_org_for_user(user, data["org"].strip(), scope.IMPORT)
    try:
        nil = services.declare_nil(user, org, data["year"], data["period"], data["note"])
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已申报{nil}，该期视为已报送。")
    return redirect("collection:late")
