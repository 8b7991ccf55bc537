"""Who sees and sets reporting schedules (报送计划), on the actions of orgs/scope.py: a unit's
schedule is set by those who SCHEDULE it (administrators and 经审负责人 of the units above, for
their subtree) and read, with its late periods, by those who see the unit (VIEW)."""

from django.http import Http404

from jingshen.collection.models import LateReport, ReportingSchedule
from jingshen.orgs import scope


def schedules_for(user, action: str = scope.VIEW):
    return ReportingSchedule.objects.restrict(user, action)


def late_for(user, action: str = scope.VIEW):
    return LateReport.objects.restrict(user, action)


def get_schedule_for_user(user, schedule_id: int, action: str = scope.VIEW) -> ReportingSchedule:
    schedule = schedules_for(user, action).select_related("org", "contact").filter(pk=schedule_id).first()
    if schedule is None:
        raise Http404("报送计划不存在或不在您的权限范围内。")
    return schedule
