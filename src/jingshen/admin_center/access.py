"""Who reads and writes 综合管理's people records, on the actions of orgs/scope.py.

- The 经审干部 roster and training records of a unit are kept (``scope.ROSTER``) by its
  administrator and 经审负责人, and by those of the units above it; every staff role of the unit
  or above reads them (``scope.VIEW_ROSTER``).
- 往期审计记录 (audits done before the platform) are recorded (``scope.PRIOR_AUDIT``) by the
  经审负责人 and 审计组长 of the audited unit or above, and read with ``scope.VIEW_ROSTER``.
- Cross-audit grants (交叉互审) are listed to those who issued them or may grant on their target
  (``scope.GRANT``); ``scope.may_grant`` / ``scope.may_revoke_grant`` decide the writes.
- 年度审计计划 are read with ``scope.VIEW_ROSTER`` on the plan's unit (an upper level reads the
  plans of the levels below), written (``scope.PLAN``) only by the 经审负责人 and 审计组长 of the
  plan's own unit, and approved or returned (``scope.APPROVE``) by its 经审负责人.

Single objects answer 404 outside the scope of the action asked for (``get_*_for_user``)."""

from django.db.models import Q
from django.http import Http404

from jingshen.admin_center.models import AnnualPlan, PlanItem, PriorAudit, StaffProfile, TrainingRecord
from jingshen.orgs import scope
from jingshen.orgs.models import CrossAuditGrant


def staff_for(user, action: str = scope.VIEW_ROSTER):
    return StaffProfile.objects.restrict(user, action)


def trainings_for(user, action: str = scope.VIEW_ROSTER):
    return TrainingRecord.objects.restrict(user, action)


def prior_audits_for(user, action: str = scope.VIEW_ROSTER):
    return PriorAudit.objects.restrict(user, action)


def grants_for(user):
    """The grants the user issued, or whose target they may grant on."""
    if not getattr(user, "is_authenticated", False):
        return CrossAuditGrant.objects.none()
    return CrossAuditGrant.objects.filter(
        Q(created_by=user) | Q(target__in=scope.orgs_for(user, scope.GRANT).values("pk"))
    )


def _one(queryset, pk: int, message: str):
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise Http404(message)
    return obj


def get_staff_for_user(user, staff_id: int, action: str = scope.VIEW_ROSTER) -> StaffProfile:
    return _one(staff_for(user, action).select_related("org", "user"), staff_id, "经审干部不存在或不在您的权限范围内。")


def get_training_for_user(user, training_id: int, action: str = scope.VIEW_ROSTER) -> TrainingRecord:
    return _one(trainings_for(user, action).select_related("staff", "staff__org"), training_id,
                "培训记录不存在或不在您的权限范围内。")


def get_prior_audit_for_user(user, prior_id: int, action: str = scope.VIEW_ROSTER) -> PriorAudit:
    return _one(prior_audits_for(user, action).select_related("org", "audit_type"), prior_id,
                "往期审计记录不存在或不在您的权限范围内。")


def get_grant_for_user(user, grant_id: int) -> CrossAuditGrant:
    return _one(grants_for(user).select_related("target", "grantee_org", "grantee_user"), grant_id,
                "交叉互审授权不存在或不在您的权限范围内。")


def plans_for(user, action: str = scope.VIEW_ROSTER):
    """Plans to read (VIEW_ROSTER), to write (PLAN: the user's own unit only, as the projects it
    starts are that unit's) or to approve (APPROVE)."""
    plans = AnnualPlan.objects.restrict(user, action)
    if action == scope.PLAN:
        plans = plans.filter(owner_org_id=user.org_id)
    return plans


def get_plan_for_user(user, plan_id: int, action: str = scope.VIEW_ROSTER) -> AnnualPlan:
    return _one(plans_for(user, action).select_related("owner_org", "created_by", "approved_by"), plan_id,
                "年度审计计划不存在或不在您的权限范围内。")


def get_plan_item_for_user(user, item_id: int, action: str = scope.PLAN) -> PlanItem:
    items = PlanItem.objects.filter(plan__in=plans_for(user, action).values("pk"))
    return _one(items.select_related("plan", "plan__owner_org", "org", "audit_type", "project"), item_id,
                "计划事项不存在或不在您的权限范围内。")
