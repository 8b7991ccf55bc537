"""Who may start runs and see runs and flags: the same unit scope as everything else."""

from django.db.models import Q
from django.http import Http404

from jingshen.orgs import scope
from jingshen.screening.models import Flag, ScreeningRun


def may_screen(user) -> bool:
    return scope.may(user, scope.SCREEN)


def may_view(user) -> bool:
    return scope.may(user, scope.VIEW_FLAGS)


def runs_for(user):
    """Runs that screened data of a unit the user sees (a province run is listed for its
    cities, each seeing only its own branch's flags), or that the user started."""
    if not may_view(user):
        return ScreeningRun.objects.none()
    visible = scope.visible_orgs(user).values("pk")
    ids = ScreeningRun.objects.filter(
        Q(scope_org__in=visible) | Q(datasets__org__in=visible) | Q(started_by=user)
    ).values("pk")
    return ScreeningRun.objects.filter(pk__in=ids)


def get_run_for_user(user, run_id: int) -> ScreeningRun:
    run = runs_for(user).filter(pk=run_id).first()
    if run is None:
        raise Http404("筛查运行不存在或不在您的权限范围内。")
    return run


def flags_for(user, run: ScreeningRun):
    """The run's flags on units the user sees (a city user viewing a province run sees only
    its own branch)."""
    if not may_view(user):
        return Flag.objects.none()
    return scope.restrict(Flag.objects.filter(run=run), user)


def get_flag_for_user(user, flag_id: int) -> Flag:
    flags = scope.restrict(Flag.objects.filter(pk=flag_id), user) if may_view(user) else Flag.objects.none()
    flag = flags.select_related("org", "dataset", "run").first()
    if flag is None:
        raise Http404("疑点不存在或不在您的权限范围内。")
    return flag
