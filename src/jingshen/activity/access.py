"""Who reads which entries of the activity log (decided by ``scope.VIEW_LOG``).

An entry of a unit is readable by those who may VIEW_LOG that unit (系统管理员 and 经审负责人,
their unit and its whole subtree). An entry without a unit (a user created with no unit named,
a screening of all units, an operator's command) concerns the whole tree, so only those who
may VIEW_LOG a root unit (one without a parent) read it."""

from django.db.models import QuerySet
from django.http import Http404

from jingshen.activity.models import ActivityLog
from jingshen.orgs import scope


def may_view_log(user) -> bool:
    return scope.may(user, scope.VIEW_LOG)


def entries_for(user) -> QuerySet[ActivityLog]:
    entries = ActivityLog.objects.restrict(user, scope.VIEW_LOG)
    if scope.orgs_for(user, scope.VIEW_LOG).filter(parent__isnull=True).exists():
        entries = entries | ActivityLog.objects.filter(org__isnull=True)
    return entries


def get_entry_for_user(user, entry_id: int) -> ActivityLog:
    """One entry if the user may read it, else 404 (a foreign entry answers like a missing one)."""
    entry = entries_for(user).select_related("actor", "org").filter(pk=entry_id).first()
    if entry is None:
        raise Http404("该操作日志不存在或不在您的权限范围内。")
    return entry
