"""The one place that answers "may user U see (or audit, or manage) unit X".

The working system is 下审一级 (统一领导、分级管理、分级负责、下审一级):

* a user belongs to one unit;
* staff roles (系统管理员, 经审负责人, 审计组长, 审计员, 领导查阅) see their own unit and every
  unit below it;
* an auditee contact (被审计单位联络人) sees only their own unit;
* audit work may be opened on the user's own unit or a unit directly below it, by the audit
  roles (经审负责人, 审计组长, 审计员);
* a cross-audit grant (交叉互审) lets a user — or the audit staff of a unit — of another branch
  see and audit exactly one unit (not its subtree) from ``valid_from`` to ``valid_until``;
* 系统管理员 manages units and users of their own subtree;
* data may be imported (数据采集) by audit staff and administrators for their subtree, and by
  an auditee contact for their own unit.

Every view, command and API endpoint goes through these helpers: ``visible_orgs`` /
``restrict`` for lists, ``get_org_for_user`` (404 on foreign units) for single objects.
"""

import datetime

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from jingshen.accounts.models import RoleCode
from jingshen.orgs.models import CrossAuditGrant, Org

VIEW = "view"
AUDIT = "audit"
MANAGE = "manage"
IMPORT = "import"
ACTIONS = (VIEW, AUDIT, MANAGE, IMPORT)

SUBTREE_VIEW_ROLES = frozenset(
    {RoleCode.ADMIN, RoleCode.DIRECTOR, RoleCode.TEAM_LEAD, RoleCode.AUDITOR, RoleCode.LEADER}
)
AUDIT_ROLES = frozenset({RoleCode.DIRECTOR, RoleCode.TEAM_LEAD, RoleCode.AUDITOR})
MANAGE_ROLES = frozenset({RoleCode.ADMIN})


def _roles(user) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False) or user.org_id is None or not user.is_active:
        return frozenset()
    return user.role_codes


def active_grants(user, today: datetime.date | None = None) -> QuerySet[CrossAuditGrant]:
    """Grants in force today for this user: to the user, or to their unit if they audit."""
    today = today or timezone.localdate()
    who = Q(grantee_user=user)
    if _roles(user) & AUDIT_ROLES:
        who |= Q(grantee_org_id=user.org_id)
    return CrossAuditGrant.objects.filter(
        who, valid_from__lte=today, valid_until__gte=today, revoked_at__isnull=True
    )


def orgs_for(user, action: str = VIEW, today: datetime.date | None = None) -> QuerySet[Org]:
    """The units on which ``user`` may perform ``action``."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    roles = _roles(user)
    if not roles:
        return Org.objects.none()
    own = user.org
    if not own.path:  # a unit whose tree path was never built must not match every unit
        return Org.objects.none()
    q = Q(pk__in=[])
    if action == VIEW:
        if roles & SUBTREE_VIEW_ROLES:
            q = Q(path__startswith=own.path)
        else:
            q = Q(pk=own.pk)
    elif action == AUDIT:
        if roles & AUDIT_ROLES:
            q = Q(pk=own.pk) | Q(parent_id=own.pk)
    elif action == MANAGE:
        if roles & MANAGE_ROLES:
            q = Q(path__startswith=own.path)
    elif action == IMPORT:
        if roles & (AUDIT_ROLES | MANAGE_ROLES):
            q = Q(path__startswith=own.path)
        elif RoleCode.AUDITEE_CONTACT in roles:
            q = Q(pk=own.pk)
    # A grant opens exactly its target unit: to view, and to audit for audit staff.
    if action == VIEW or (action == AUDIT and roles & AUDIT_ROLES):
        q |= Q(pk__in=active_grants(user, today).values("target_id"))
    return Org.objects.filter(q)


def visible_orgs(user, today: datetime.date | None = None) -> QuerySet[Org]:
    return orgs_for(user, VIEW, today)


def can(user, action: str, org: Org, today: datetime.date | None = None) -> bool:
    return orgs_for(user, action, today).filter(pk=org.pk).exists()


def restrict(queryset: QuerySet, user, action: str = VIEW, field: str = "org") -> QuerySet:
    """Filter any queryset whose rows belong to a unit (through ``field``) to the user's scope."""
    if queryset.model is Org and field in ("", "self"):
        return queryset.filter(pk__in=orgs_for(user, action).values("pk"))
    return queryset.filter(**{f"{field}__in": orgs_for(user, action).values("pk")})


def get_org_for_user(user, code: str, action: str = VIEW) -> Org:
    """The unit with this 单位编码 if the user may perform ``action`` on it, else 404.

    Foreign units answer exactly like non-existent ones, so scope does not leak codes."""
    org = orgs_for(user, action).filter(code=code).first()
    if org is None:
        raise Http404("单位不存在或不在您的权限范围内。")
    return org


def with_visible_child_counts(queryset: QuerySet[Org], user) -> QuerySet[Org]:
    """Annotate ``n_children``: how many children of each unit the user may see."""
    visible = orgs_for(user, VIEW).values("pk")
    return queryset.annotate(n_children=Count("children", filter=Q(children__pk__in=visible))).order_by("code")
