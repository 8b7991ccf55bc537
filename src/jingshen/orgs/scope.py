"""The one place that answers "may user U do action A on unit X".

The working system is 下审一级 (统一领导、分级管理、分级负责、下审一级). A user belongs to one unit
and holds one or more roles; ``PERMISSIONS`` below is the only table of which role may perform
which action, and how far from the user's own unit it reaches. No other module tests role codes:
it asks ``orgs_for`` / ``can`` / ``may`` here, or a queryset's ``restrict(user, action)``
(``orgs.querysets.UnitQuerySet``), or an app's ``access.py`` that builds on them.

A cross-audit grant (交叉互审) opens exactly its target unit — never its subtree — for the
actions in ``GRANT_OPENS``, from ``valid_from`` to ``valid_until``.

An audit project (作业管理) opens its audited units to its team for ``PROJECT_OPENS`` from the
moment a member acknowledges the audit discipline until the project is archived, whatever
becomes of the grant that let the project start (``project_units``). Who may start a project on
a unit (``PLAN``) and approve it (``APPROVE``) is in ``PERMISSIONS`` like everything else.

Every view, command and API endpoint goes through these helpers: ``restrict`` /
``orgs_for`` for lists, ``get_org_for_user`` (404 on foreign units) for single objects.

A system calling the REST API with an API key (``api.models.APIKey``) is a ``KeyPrincipal``,
not a user: it holds no role, its actions come from the key's scopes (``KEY_SCOPES``) with the
reach ``KEY_REACH`` from the key's unit, and no grant or project opens anything to it. Every
helper here takes a user or a principal; ``personal`` is how an app's ``access.py`` names rows
that belong to a person (runs they started, projects they work on, cases they wrote), which a
key never has.
"""

import datetime

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from jingshen.accounts.roles import RoleCode
from jingshen.orgs.models import CrossAuditGrant, Org

# The actions. Each page, command and API endpoint names the one it performs.
VIEW = "view"  # see a unit and its books (查账, datasets)
VIEW_FLAGS = "view_flags"  # see screening runs, flags and risk ranking of a unit
AUDIT = "audit"  # audit work on a unit (下审一级)
IMPORT = "import"  # import accounting data for a unit (数据采集)
SCREEN = "screen"  # screen a unit's data (start runs, try custom SQL on its datasets)
CONFIGURE = "configure"  # set rule parameters and write custom rules for a unit and those below
MANAGE = "manage"  # manage units and users
VIEW_LOG = "view_log"  # read the activity log (操作日志) of a unit
PLAN = "plan"  # start an audit project (立项) on a unit
APPROVE = "approve"  # approve a project of the unit's 经审会 and sign it off as 经审负责人
RESPOND = "respond"  # answer, as the audited unit, what an audit project sends it (notice, requests, draft report, 整改)
PUBLISH = "publish"  # publish knowledge (法规, 指引, 定性表述) for the unit; approve cases of the units below
ROSTER = "roster"  # keep the 经审干部 roster and training records of a unit (综合管理)
VIEW_ROSTER = "view_roster"  # read the roster, training records and 往期审计记录 of a unit
PRIOR_AUDIT = "prior_audit"  # record audits done before the platform (往期审计记录) on a unit
GRANT = "grant"  # issue and revoke a time-limited cross-audit grant (交叉互审) on a unit (see may_grant)
NOTIFY = "notify"  # publish and withdraw 通知公告 of a unit, read by its users and those of the units below
SCHEDULE = "schedule"  # set a unit's reporting schedule (报送计划) and chase its late data (未按时报送)
ACTIONS = {
    VIEW: "查看",
    VIEW_FLAGS: "查看疑点",
    AUDIT: "审计",
    IMPORT: "数据采集",
    SCREEN: "疑点筛查",
    CONFIGURE: "规则配置",
    MANAGE: "管理",
    VIEW_LOG: "查看操作日志",
    PLAN: "审计立项",
    APPROVE: "审批",
    RESPOND: "被审计单位答复",
    PUBLISH: "发布知识库内容",
    ROSTER: "管理经审干部与培训",
    VIEW_ROSTER: "查看经审干部、培训与往期审计记录",
    PRIOR_AUDIT: "录入往期审计记录",
    GRANT: "交叉互审授权",
    NOTIFY: "发布通知公告",
    SCHEDULE: "报送计划与催报",
}

# How far from the user's own unit a role reaches for an action.
OWN = "own"  # the user's own unit
OWN_AND_CHILDREN = "own_and_children"  # the own unit and the units directly below (下审一级)
SUBTREE = "subtree"  # the own unit and every unit below it

R = RoleCode
STAFF = (R.ADMIN, R.DIRECTOR, R.TEAM_LEAD, R.AUDITOR, R.LEADER)
AUDIT_STAFF = (R.DIRECTOR, R.TEAM_LEAD, R.AUDITOR)

# action -> {role: reach}. The only table of which role may do what.
PERMISSIONS: dict[str, dict[str, str]] = {
    VIEW: {**{r: SUBTREE for r in STAFF}, R.AUDITEE_CONTACT: OWN},
    # flags are suspicions for the auditors and those they report to, not for the audited unit
    VIEW_FLAGS: {r: SUBTREE for r in STAFF},
    AUDIT: {r: OWN_AND_CHILDREN for r in AUDIT_STAFF},
    IMPORT: {**{r: SUBTREE for r in (R.ADMIN, *AUDIT_STAFF)}, R.AUDITEE_CONTACT: OWN},
    SCREEN: {r: SUBTREE for r in AUDIT_STAFF},
    # a parameter or custom rule is set on the user's own unit and applies to every unit below it
    CONFIGURE: {R.DIRECTOR: OWN, R.ADMIN: OWN},
    MANAGE: {R.ADMIN: SUBTREE},
    VIEW_LOG: {R.ADMIN: SUBTREE, R.DIRECTOR: SUBTREE},
    # a project is started by the auditing unit's 经审负责人 or 审计组长 on the units it audits (下审一级)
    PLAN: {R.DIRECTOR: OWN_AND_CHILDREN, R.TEAM_LEAD: OWN_AND_CHILDREN},
    # and approved (立项, 复核 sign-off, report, archive) by the 经审负责人 of the auditing unit
    APPROVE: {R.DIRECTOR: OWN},
    RESPOND: {R.AUDITEE_CONTACT: OWN},
    # regulations, guides and standard wordings are published by a unit's administrator or
    # 经审负责人 for their own unit (national documents at the root); cases of the units below are
    # approved by the 经审负责人 of a unit above them (knowledge/access.py)
    PUBLISH: {R.ADMIN: OWN, R.DIRECTOR: OWN},
    # 综合管理: the roster and training are kept by the administrator and the 经审负责人 of a unit for
    # their subtree, and read by every staff role there
    ROSTER: {R.ADMIN: SUBTREE, R.DIRECTOR: SUBTREE},
    VIEW_ROSTER: {r: SUBTREE for r in STAFF},
    # audits done before the platform are recorded by those who plan audits (经审负责人, 审计组长), for
    # their whole subtree: the history of a province is often entered once, at the top
    PRIOR_AUDIT: {R.DIRECTOR: SUBTREE, R.TEAM_LEAD: SUBTREE},
    # a grant is issued on a unit the 经审负责人 may plan (下审一级), or by an administrator in their
    # subtree; the grantee must be under the issuer's own unit too (may_grant)
    GRANT: {R.ADMIN: SUBTREE, R.DIRECTOR: OWN_AND_CHILDREN},
    # 通知公告 are published by a unit's administrator or 经审负责人 in the unit's name; they are read
    # by the users of that unit and of every unit below it (portal/access.py)
    NOTIFY: {R.ADMIN: OWN, R.DIRECTOR: OWN},
    # the data a unit owes the units above it is scheduled and chased by their administrators and
    # 经审负责人, for their whole subtree (联网采集)
    SCHEDULE: {R.ADMIN: SUBTREE, R.DIRECTOR: SUBTREE},
}

# The scopes of an API key (api.models.APIKey) and the actions each lets the key perform, from
# the key's unit through KEY_REACH. A key holds no role: this is its whole table. Projects,
# findings and rectification are read by those who may see flags (audits/access.py), so reading
# them needs VIEW_FLAGS too; each API endpoint also names the key scopes it answers to
# (api/permissions.py), so a key for projects is still refused the flag endpoints.
KEY_SCOPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "push": ("推送数据", (VIEW, IMPORT)),
    "read_flags": ("读取疑点", (VIEW, VIEW_FLAGS)),
    "read_projects": ("读取审计项目", (VIEW, VIEW_FLAGS)),
    "read_knowledge": ("读取知识库", ()),  # knowledge_sources: the key's unit and those above it
}
KEY_REACH = SUBTREE  # a key bound to a unit acts on that unit and every unit below it


class KeyPrincipal:
    """Who calls the API with a key: the key's unit and the actions of its scopes, nothing of
    any person. ``is_authenticated`` for DRF's permission classes; ``role_codes`` is empty, so
    every role-based rule (grants, projects, administration) gives it nothing."""

    is_authenticated = True
    is_anonymous = False
    is_person = False
    role_codes = frozenset()
    pk = id = None

    def __init__(self, key):
        self.key = key
        self.org = key.org
        self.org_id = key.org_id
        self.is_active = key.usable()
        self.scopes = frozenset(s for s in key.scopes if s in KEY_SCOPES)
        self.actions = frozenset(a for s in self.scopes for a in KEY_SCOPES[s][1])
        self.username = f"key:{key.prefix}"

    def __str__(self):
        return f"API 密钥「{self.key.name}」"


def is_person(user) -> bool:
    """A signed-in user (not an API key, not anonymous)."""
    return getattr(user, "is_authenticated", False) and getattr(user, "is_person", True)


def personal(field: str, user) -> Q:
    """The rows whose ``field`` is this person (a run they started, a case they wrote); nothing
    for an API key or an anonymous caller (never ``field IS NULL``)."""
    return Q(**{field: user}) if is_person(user) else Q(pk__in=[])


def _active(user) -> bool:
    """Whether the caller has a scope at all: an active user with a unit and a role, or a usable
    key bound to a unit."""
    if isinstance(user, KeyPrincipal):
        return user.is_active and user.org_id is not None
    return bool(_roles(user))


def _reaches(user, action: str) -> set[str]:
    if isinstance(user, KeyPrincipal):
        return {KEY_REACH} if action in user.actions and _active(user) else set()
    return {PERMISSIONS[action][r] for r in _roles(user) if r in PERMISSIONS[action]}


# What a grant opens on its target: to every grantee, or only to grantees who are audit staff.
ANY_GRANTEE, AUDIT_GRANTEE = "any", "audit"
GRANT_OPENS = {VIEW: ANY_GRANTEE, VIEW_FLAGS: AUDIT_GRANTEE, AUDIT: AUDIT_GRANTEE, SCREEN: AUDIT_GRANTEE, PLAN: AUDIT_GRANTEE}
# What an audit project opens on its units to its team (members who acknowledged the discipline).
PROJECT_OPENS = (VIEW, VIEW_FLAGS, AUDIT, SCREEN)


def _roles(user) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False) or user.org_id is None or not user.is_active:
        return frozenset()
    return user.role_codes


def _check(action: str) -> None:
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")


def is_audit_staff(user) -> bool:
    """经审负责人, 审计组长 or 审计员: the grantees of a unit grant (交叉互审)."""
    return bool(_roles(user) & set(AUDIT_STAFF))


def active_grants(user, today: datetime.date | None = None) -> QuerySet[CrossAuditGrant]:
    """Grants in force today for this user: to the user, or to their unit if they audit."""
    today = today or timezone.localdate()
    who = Q(grantee_user=user)
    if is_audit_staff(user):
        who |= Q(grantee_org_id=user.org_id)
    return CrossAuditGrant.objects.filter(
        who, valid_from__lte=today, valid_until__gte=today, revoked_at__isnull=True
    )


def _grant_opens(user, action: str) -> bool:
    opens = GRANT_OPENS.get(action)
    return opens == ANY_GRANTEE or (opens == AUDIT_GRANTEE and is_audit_staff(user))


def orgs_for(user, action: str = VIEW, today: datetime.date | None = None) -> QuerySet[Org]:
    """The units on which ``user`` may perform ``action``."""
    _check(action)
    if not _active(user):
        return Org.objects.none()
    own = user.org
    if not own.path:  # a unit whose tree path was never built must not match every unit
        return Org.objects.none()
    reaches = _reaches(user, action)
    q = Q(pk__in=[])
    if SUBTREE in reaches:
        q = Q(path__startswith=own.path)
    elif OWN_AND_CHILDREN in reaches:
        q = Q(pk=own.pk) | Q(parent_id=own.pk)
    elif OWN in reaches:
        q = Q(pk=own.pk)
    if not is_person(user):  # grants and projects open units to people, never to a key
        return Org.objects.filter(q)
    if _grant_opens(user, action):
        q |= Q(pk__in=active_grants(user, today).values("target_id"))
    if action in PROJECT_OPENS:
        q |= Q(pk__in=project_units(user))
    return Org.objects.filter(q)


def project_units(user) -> QuerySet:
    """The ids of the units audited by projects the user works on: a member who acknowledged
    the audit discipline, of a project not yet archived. (The grant that let a project start may
    expire meanwhile: the project keeps its units for its team until it is archived.)"""
    from django.apps import apps

    ProjectUnit = apps.get_model("audits", "ProjectUnit")
    archived = apps.get_model("audits", "AuditProject").archived_stage
    return ProjectUnit.objects.filter(
        project__members__user=user, project__members__acknowledged_at__isnull=False
    ).exclude(project__stage=archived).values("org_id")


def knowledge_sources(user) -> QuerySet[Org]:
    """The units whose published knowledge (法规库, 案例库, 知识库) the user reads: their own unit and
    every unit above it up to the root (共建共享: what a unit publishes reaches its whole subtree),
    and the units the user may see below (an auditor reads the 本单位制度 of the units they audit)."""
    if not _active(user) or not user.org.path:
        return Org.objects.none()
    if isinstance(user, KeyPrincipal) and "read_knowledge" not in user.scopes:
        return Org.objects.none()
    return Org.objects.filter(Q(pk__in=user.org.ancestor_ids()) | Q(pk__in=orgs_for(user, VIEW).values("pk")))


def may(user, action: str) -> bool:
    """Whether the user may perform ``action`` on any unit at all (to show a menu entry or a
    button; each object is still checked with ``orgs_for``/``restrict``)."""
    _check(action)
    if isinstance(user, KeyPrincipal):
        return bool(_reaches(user, action))
    roles = _roles(user)
    if roles & set(PERMISSIONS[action]):
        return True
    return bool(roles) and _grant_opens(user, action) and active_grants(user).exists()


def operates_platform(user) -> bool:
    """Whether the user administers the whole installation: a 系统管理员 whose MANAGE scope
    covers every unit (the platform's health, `/healthz?deep=1`, is about all of them)."""
    if not may(user, MANAGE):
        return False
    return not Org.objects.exclude(pk__in=orgs_for(user, MANAGE).values("pk")).exists()


def grantable_roles(user, org: Org) -> list[str]:
    """The roles ``user`` may give to (or take from) an account of ``org``: none outside their
    MANAGE scope; inside it every role, except 系统管理员 at the administrator's own unit —
    an administrator makes administrators only for the units below, so delegation runs down
    the tree (the first administrator is created with the command line)."""
    if org is None or not can(user, MANAGE, org):
        return []
    return [code for code in RoleCode.values if not (code == R.ADMIN and org.pk == user.org_id)]


def may_administer_account(user, target) -> bool:
    """Whether ``user`` may change ``target``'s account (roles, unit, deactivation): the target
    belongs to a unit in the user's MANAGE scope and holds only roles the user could grant
    there (a fellow administrator of the same unit is changed by an administrator above)."""
    if target.org is None or target.pk == getattr(user, "pk", None):
        return False
    return target.role_codes <= set(grantable_roles(user, target.org))
def grant_refusal(user, target: Org, grantee_org: Org | None = None, grantee_user=None) -> str | None:
    """Why ``user`` may not grant a cross-audit of ``target`` to ``grantee_org`` or
    ``grantee_user`` (a Chinese sentence), or None when they may.

    The issuer holds GRANT on the target (a 经审负责人 on the units they may plan, 下审一级; an
    administrator in their subtree) through their own role, never through a grant or a project;
    and the grantee — a unit, or a user's unit — is the issuer's own unit or below it (the city
    director organises county A to audit county B). A unit never audits itself by a grant."""
    if (grantee_org is None) == (grantee_user is None):
        return "授权对象必须是一个单位或一个用户，二者只能选其一。"
    roles = _roles(user)
    if not roles or not user.org.path:
        return "您没有交叉互审授权的权限。"
    own = user.org
    # GRANT is opened by no grant and no project (GRANT_OPENS, PROJECT_OPENS): the role's own reach
    on_target = orgs_for(user, GRANT).filter(pk=target.pk).exists()
    if not on_target or not target.path:
        return "被审计单位不存在或不在您可以组织交叉互审的范围内。"
    grantee_unit = grantee_org if grantee_org is not None else grantee_user.org
    if grantee_user is not None and (grantee_unit is None or not grantee_user.is_active):
        return "受托用户不存在或已停用。"
    if not grantee_unit.path or not grantee_unit.path.startswith(own.path):
        return "受托单位（或受托用户所在单位）必须是本单位或本单位的下级单位。"
    if grantee_unit.pk == target.pk:
        return "受托单位不能是被审计单位本身。"
    return None


def may_grant(user, target: Org, grantee_org: Org | None = None, grantee_user=None) -> bool:
    """Whether ``user`` may issue a cross-audit grant of ``target`` (see ``grant_refusal``)."""
    return grant_refusal(user, target, grantee_org, grantee_user) is None


def may_revoke_grant(user, grant: CrossAuditGrant) -> bool:
    """The issuer of a grant revokes it, and so does anyone who may grant on its target now."""
    if not _roles(user):
        return False
    return grant.created_by_id == user.pk or orgs_for(user, GRANT).filter(pk=grant.target_id).exists()


def visible_orgs(user, today: datetime.date | None = None) -> QuerySet[Org]:
    return orgs_for(user, VIEW, today)


def can(user, action: str, org: Org, today: datetime.date | None = None) -> bool:
    return orgs_for(user, action, today).filter(pk=org.pk).exists()


def restrict(queryset: QuerySet, user, action: str = VIEW, field: str = "org") -> QuerySet:
    """Filter any queryset whose rows belong to a unit (through ``field``) to the units on which
    the user may perform ``action``. Models that belong to a unit call this through their
    queryset's ``restrict(user, action)`` (``orgs.querysets.UnitQuerySet``)."""
    if queryset.model is Org and field in ("", "self"):
        return queryset.filter(pk__in=orgs_for(user, action).values("pk"))
    return queryset.filter(**{f"{field}__in": orgs_for(user, action).values("pk")})


def need(user, action: str) -> None:
    """404 unless the user may perform ``action`` on some unit (a page of that action at all)."""
    if not may(user, action):
        raise Http404("页面不存在或您没有权限访问。")


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
