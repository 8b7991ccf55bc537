"""门户 pages: the home page (each section only with what the user may see), the full risk
ranking, the units never (or not lately) audited, and 通知公告. Views check access
(portal/access.py on orgs/scope.py), call portal/services.py for writes, and render."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from jingshen import querystring, xlsx_export
from jingshen.admin_center import coverage as cov
from jingshen.orgs import scope
from jingshen.orgs.models import Kind, Level
from jingshen.portal import access, dashboard, forms, services

PER_PAGE = 50
NOTICES_ON_HOME = 5
NOTICES_PER_PAGE = 20


def _unit_summary(user) -> dict:
    """The unit tree with counts by level and kind (the home page's last section)."""
    visible = scope.visible_orgs(user)
    by_level = dict(visible.values_list("level").annotate(n=Count("id")))
    by_kind = dict(visible.values_list("kind").annotate(n=Count("id")))
    matrix_counts = {(lv, kd): n for lv, kd, n in visible.values_list("level", "kind").annotate(n=Count("id"))}
    levels = [(value, label) for value, label in Level.choices if by_level.get(value)]
    kinds = [(value, label) for value, label in Kind.choices if by_kind.get(value)]
    matrix = [
        {"label": label, "cells": [matrix_counts.get((lv, kd), 0) for kd, _ in kinds], "total": by_level[lv]}
        for lv, label in levels
    ]
    own = user.org
    in_subtree = visible.filter(path__startswith=own.path) if own else visible.none()
    granted = visible.exclude(pk__in=in_subtree.values("pk")).order_by("code")
    roots = list(scope.with_visible_child_counts(visible.filter(pk=own.pk), user)) if own and in_subtree.exists() else []
    root_children = scope.with_visible_child_counts(visible.filter(parent=own), user) if roots else []
    return {
        "total": sum(by_level.values()),
        "members": visible.aggregate(s=Sum("member_count"))["s"] or 0,
        "kinds": kinds,
        "matrix": matrix,
        "kind_totals": [by_kind[kd] for kd, _ in kinds],
        "roots": roots,
        "root_children": root_children,
        "granted": granted,
        "auditable_count": scope.orgs_for(user, scope.AUDIT).count(),
    }


def home(request):
    """门户首页: to-dos and notices, 风险预警, 审计覆盖率, projects and rectification, the unit tree."""
    user = request.user
    previous_at = services.record_visit(user)
    today = timezone.localdate()
    sees_risk = dashboard.may_see_risk(user)
    heat = dashboard.heat_map(user) if sees_risk else None
    notices = list(access.with_read(access.received_notices(user), user).select_related("org")[:NOTICES_ON_HOME])
    context = {
        **_unit_summary(user),
        "todos": dashboard.todos(user, today),
        "notices": notices,
        "unread": access.with_read(access.received_notices(user), user).filter(is_read=False).count(),
        "may_publish": access.may_publish(user),
        "sees_risk": sees_risk,
        "risks": dashboard.top_risks(user) if sees_risk else [],
        "new_high": dashboard.new_high_flags(user, previous_at) if sees_risk else None,
        "heat": heat,
        "coverage": dashboard.coverage_for(user, today),
        "projects": dashboard.projects(user, today),
        "rectification": dashboard.rectification(user, today),
    }
    return render(request, "portal/home.html", context)


# --- 风险预警: the full ranking ------------------------------------------------------------------------

RISK_ORDER = {"score": ("score", "org__code"), "code": ("org__code",), "name": ("org__name", "org__code"),
              "level": ("org__level", "-score", "org__code"), "flags": ("flags", "org__code"), "high": ("high", "org__code"),
              "amount": ("amount", "org__code"), "finished": ("finished_at", "org__code")}
RISK_COLUMNS = [xlsx_export.Column("排名", "int", 6), xlsx_export.Column("单位编码", width=12), xlsx_export.Column("单位名称", width=30),
                xlsx_export.Column("层级", width=8), xlsx_export.Column("单位性质", width=10), xlsx_export.Column("风险分", "int", 8),
                xlsx_export.Column("风险档次", width=8), xlsx_export.Column("疑点数", "int", 8), xlsx_export.Column("高风险疑点", "int", 10),
                xlsx_export.Column("涉及凭证", "int", 10), xlsx_export.Column("涉及金额", "money", 16),
                xlsx_export.Column("筛查运行", width=10), xlsx_export.Column("会计年度", "int", 8), xlsx_export.Column("运行完成时间", width=18)]


def _ordered(queryset, sort: str, order: dict):
    keys = order[sort.lstrip("-")]
    if sort.startswith("-"):
        keys = ("-" + keys[0], *keys[1:])
    return queryset.order_by(*keys)


def _search(queryset, text: str, prefix: str = ""):
    text = (text or "").strip()
    if not text:
        return queryset
    return queryset.filter(Q(**{f"{prefix}name__contains": text}) | Q(**{f"{prefix}code__startswith": text}))


@querystring.query(forms.RiskQuery)
def risk(request):
    """All units in scope ranked by current risk, with filters, sorting, paging and XLSX."""
    user = request.user
    if not dashboard.may_see_risk(user):
        raise Http404("页面不存在或您没有权限访问。")
    q = request.query
    listed = access.risks_for(user).select_related("org", "run")
    if q.given("level"):
        listed = listed.filter(org__level=q.value("level"))
    if q.given("kind"):
        listed = listed.filter(org__kind=q.value("kind"))
    if q.given("band"):
        listed = listed.filter(dashboard.BAND_Q[q.value("band")])
    listed = _search(listed, q.value("q"), "org__")
    sort = q.value("sort")
    listed = _ordered(listed, sort, RISK_ORDER)
    if q.wants_xlsx():
        total = listed.count()
        if total > xlsx_export.EXPORT_MAX_ROWS:
            return xlsx_export.too_large(request, total)
        rows = ((n, r.org.code, r.org.name, r.org.get_level_display(), r.org.get_kind_display(), round(r.score),
                 dashboard.BAND_LABELS[dashboard.band_of(r.score)], r.flags, r.high, r.vouchers, r.amount, f"#{r.run_id}",
                 r.fiscal_year, f"{timezone.localtime(r.finished_at):%Y-%m-%d %H:%M}")
                for n, r in enumerate(listed.iterator(chunk_size=2000), start=1))
        heading = ["单位风险排名", f"{user.org.name}可查看疑点的单位，按各单位最近一次完成的筛查　导出时间：{timezone.localtime():%Y-%m-%d %H:%M}"]
        return xlsx_export.response(request, xlsx_export.Sheet("单位风险排名", heading, RISK_COLUMNS, rows), "单位风险排名.xlsx",
                                    "risk-ranking.xlsx")
    page = Paginator(listed, PER_PAGE).get_page(q.value("page"))
    for r in page:
        r.band = dashboard.band_of(r.score)
        r.band_label = dashboard.BAND_LABELS[r.band]
    context = {"page": page, "filters": q.data, "sort": sort, "levels": Level.choices, "kinds": Kind.choices,
               "bands": dashboard.BANDS, "offset": page.start_index() - 1 if page.paginator.count else 0,
               "unscreened": scope.orgs_for(user, scope.VIEW_FLAGS).count() - access.risks_for(user).count()}
    return render(request, "portal/risk.html", context)


# --- 审计覆盖率: units never (or not lately) audited -----------------------------------------------------

NEVER_ORDER = {"code": ("code",), "name": ("name", "code"), "level": ("level", "code"), "last": ("last_audited", "code")}
NEVER_COLUMNS = [xlsx_export.Column("单位编码", width=12), xlsx_export.Column("单位名称", width=30), xlsx_export.Column("层级", width=8),
                 xlsx_export.Column("单位性质", width=10), xlsx_export.Column("上级单位", width=24),
                 xlsx_export.Column("最近审计年度", width=12)]


@querystring.query(forms.NeverAuditedQuery)
def never_audited(request):
    user = request.user
    if not scope.may(user, scope.VIEW_ROSTER):
        raise Http404("页面不存在或您没有权限访问。")
    q = request.query
    units = dashboard.coverage_scope(user)
    if q.given("level"):
        units = units.filter(level=q.value("level"))
    if q.given("kind"):
        units = units.filter(kind=q.value("kind"))
    units = _search(units, q.value("q"))
    since = q.value("since") or ""
    listed = cov.not_audited_since(units, int(since)) if since else cov.never_audited(units)
    sort = q.value("sort")
    listed = _ordered(listed.select_related("parent"), sort, NEVER_ORDER)
    title = dict(forms.SINCE_CHOICES)[since] + "的单位" if since else "从未审计的单位"
    if q.wants_xlsx():
        total = listed.count()
        if total > xlsx_export.EXPORT_MAX_ROWS:
            return xlsx_export.too_large(request, total)
        rows = ((o.code, o.name, o.get_level_display(), o.get_kind_display(), o.parent.name if o.parent_id else "",
                 o.last_audited or "从未审计") for o in listed.iterator(chunk_size=2000))
        heading = [title, f"{user.org.name}及其下级单位　导出时间：{timezone.localtime():%Y-%m-%d %H:%M}"]
        return xlsx_export.response(request, xlsx_export.Sheet(title[:31], heading, NEVER_COLUMNS, rows), f"{title}.xlsx",
                                    "not-audited.xlsx")
    page = Paginator(listed, PER_PAGE).get_page(q.value("page"))
    context = {"page": page, "filters": q.data, "sort": sort, "levels": Level.choices, "kinds": Kind.choices,
               "sinces": forms.SINCE_CHOICES, "since": since, "title": title}
    return render(request, "portal/never_audited.html", context)


# --- 通知公告 ------------------------------------------------------------------------------------------


@querystring.query(forms.NoticeQuery)
def notices(request):
    user = request.user
    box = request.query.value("box")
    publishes = access.may_publish(user)
    if box == "published" and publishes:
        listed = access.notices_for(user, scope.NOTIFY)
    else:
        box = "received"
        listed = access.received_notices(user)
    listed = access.with_read(listed, user).select_related("org", "published_by")
    page = Paginator(listed, NOTICES_PER_PAGE).get_page(request.query.value("page"))
    context = {"page": page, "box": box, "may_publish": publishes, "boxes": forms.NOTICE_BOXES}
    return render(request, "portal/notices.html", context)


def notice(request, notice_id):
    """One notice (its body escaped, line breaks kept); opening it marks it read."""
    user = request.user
    item = access.get_notice_for_user(user, notice_id)
    if item.withdrawn_at is None:
        services.mark_read(user, item)
    context = {"notice": item, "may_withdraw": item.withdrawn_at is None and scope.can(user, scope.NOTIFY, item.org),
               "read_count": item.reads.count() if scope.can(user, scope.NOTIFY, item.org) else None}
    return render(request, "portal/notice.html", context)


@querystring.posts(forms.NoticeForm)
def notice_new(request):
    user = request.user
    units = list(access.publishing_units(user))
    if not units:
        raise Http404("页面不存在或您没有权限访问。")
    org = units[0]  # NOTIFY reaches the user's own unit only
    form = forms.NoticeForm()
    if request.method == "POST":
        form = forms.NoticeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                item = services.publish_notice(user, org=org, title=data["title"], body=data["body"], pinned=data["pinned"])
            except (PermissionError, ValueError) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"已发布通知公告「{item.title}」。")
                return redirect("portal:notice", notice_id=item.pk)
    return render(request, "portal/notice_form.html", {"form": form, "org": org})


@require_POST
def notice_withdraw(request, notice_id):
    user = request.user
    item = access.get_notice_for_user(user, notice_id, scope.NOTIFY)
    try:
        changed = services.withdraw_notice(user, item)
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已撤回通知公告「{item.title}」。" if changed else f"通知公告「{item.title}」已撤回。")
    return redirect("portal:notice", notice_id=item.pk)


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)
