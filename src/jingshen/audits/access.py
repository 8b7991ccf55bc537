"""Who may see or work on an audit project: the unit scope of ``orgs/scope.py`` applied to
projects. Views and commands get single projects here (404 for anything outside the scope of
the action); services receive projects already checked and re-check what they change.

- Audit staff and leaders see the projects of the units they may view flags of (an upper level
  sees the projects of the levels below), and every project they are a member of.
- An audited unit's contact (``scope.RESPOND``) sees the projects on their unit once a data
  request (审前调查) is sent to it or the audit notice is served, and only what is meant for
  them (the pages decide by ``is_auditee``).
- Work on a project (``WORK``) is for its members who acknowledged the audit discipline, until
  it is archived.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from jingshen.audits.models import STAGE_ORDER, AuditProject, DataRequest, ProjectMember, Stage
from jingshen.orgs import scope

# The stages in which the audited unit sees the project (from the notice on).
SHOWN_TO_AUDITEE = STAGE_ORDER[STAGE_ORDER.index(Stage.NOTICE):]


def projects_for(user):
    """The projects the user may see."""
    if not getattr(user, "is_authenticated", False):
        return AuditProject.objects.none()
    staff = Q(owner_org__in=scope.orgs_for(user, scope.VIEW_FLAGS).values("pk"))
    member = Q(pk__in=ProjectMember.objects.filter(scope.personal("user", user)).values("project_id"))
    theirs = scope.orgs_for(user, scope.RESPOND).values("pk")
    auditee = Q(units__org__in=theirs, stage__in=SHOWN_TO_AUDITEE) | Q(requests__org__in=theirs)
    return AuditProject.objects.filter(staff | member | auditee).distinct()


def get_project_for_user(user, project_id: int) -> AuditProject:
    project = projects_for(user).select_related("owner_org", "audit_type").filter(pk=project_id).first()
    if project is None:
        raise Http404("审计项目不存在或不在您的权限范围内。")
    return project


def get_project_by_code(code: str) -> AuditProject | None:
    """For the command line (the operator's, unscoped)."""
    return AuditProject.objects.select_related("owner_org", "audit_type").filter(code=code).first()


def membership(user, project: AuditProject) -> ProjectMember | None:
    return project.members.filter(user=user).first() if scope.is_person(user) else None


def check_discipline(user, project: AuditProject) -> None:
    """A member of the team opens the project's flags, verifications and findings only after
    acknowledging the audit discipline (四严禁、八不准), even where their own scope would show
    the unit: 403 with the reason until then."""
    member = membership(user, project)
    if member is not None and member.acknowledged_at is None:
        raise PermissionDenied("请先在项目页面确认审计纪律（四严禁、八不准），再查看本项目的疑点、核实和审计发现。")


def is_auditee(user, project: AuditProject) -> bool:
    """Whether the user sees the project as (a contact of) an audited unit, not as an auditor."""
    if membership(user, project) is not None or scope.can(user, scope.VIEW_FLAGS, project.owner_org):
        return False
    return project.units.filter(org__in=scope.orgs_for(user, scope.RESPOND).values("pk")).exists()


def may_write(user, project: AuditProject) -> bool:
    """Whether the user writes to the project at all: a member, or the auditing unit's
    经审负责人 (who approves). Each write still checks its own step (services)."""
    return membership(user, project) is not None or scope.can(user, scope.APPROVE, project.owner_org)


def may_work(user, project: AuditProject) -> bool:
    """A member who acknowledged the audit discipline, on a project not archived."""
    member = membership(user, project)
    return member is not None and member.acknowledged_at is not None and not project.archived


def requests_for(user, project: AuditProject):
    """The project's data requests the user sees: all for its staff, their own unit's for the
    audited unit's contact."""
    requests = project.requests.select_related("org", "sent_by", "answered_by")
    if is_auditee(user, project):
        return requests.filter(org__in=scope.orgs_for(user, scope.RESPOND).values("pk"))
    return requests


def get_request_for_user(user, project: AuditProject, request_id: int) -> DataRequest:
    request = requests_for(user, project).filter(pk=request_id).first()
    if request is None:
        raise Http404("审前调查不存在或不在您的权限范围内。")
    return request
