"""Who sees and sets what 联网采集 keeps, on the actions of orgs/scope.py: a unit's reporting
schedule is set by those who SCHEDULE it (administrators and 经审负责人 of the units above, for
their subtree) and read, with its late periods, by those who see the unit (VIEW). A unit's
watched folder (监控文件夹) and the files found there are read by those who import the unit's data
(IMPORT: what became of an export is their business) and set by its administrators (MANAGE: a
folder on the server is the installation's business)."""

from django.http import Http404

from jingshen.collection.models import LateReport, ReportingSchedule, WatchedFile, WatchedFolder
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


def folders_for(user, action: str = scope.IMPORT):
    return WatchedFolder.objects.restrict(user, action)


def files_for(user, action: str = scope.IMPORT):
    return WatchedFile.objects.restrict(user, action)


def get_watched_file_for_user(user, file_id: int, action: str = scope.IMPORT) -> WatchedFile:
    row = files_for(user, action).select_related("folder", "folder__org").filter(pk=file_id).first()
    if row is None:
        raise Http404("文件记录不存在或不在您的权限范围内。")
    return row
