"""Who may start runs, see runs and flags, and read or write custom rules: the unit scope of
``orgs/scope.py`` for the screening actions. Single objects answer 404 outside the scope."""

from django.db.models import Q
from django.http import Http404

from jingshen.ledger.models import Dataset, DatasetKind
from jingshen.orgs import scope
from jingshen.screening.models import CustomRule, Flag, ScreeningRun


def may_screen(user) -> bool:
    return scope.may(user, scope.SCREEN)


def may_view(user) -> bool:
    return scope.may(user, scope.VIEW_FLAGS)


def may_configure(user) -> bool:
    """Rule parameters and custom rules are set on the user's own unit (and apply below it)."""
    return user.org is not None and scope.can(user, scope.CONFIGURE, user.org)


def runs_for(user):
    """Runs that screened data of a unit whose flags the user may see (a province run is listed
    for its cities, each seeing only its own branch's flags), or that the user started."""
    if not may_view(user):
        return ScreeningRun.objects.none()
    visible = scope.orgs_for(user, scope.VIEW_FLAGS).values("pk")
    ids = ScreeningRun.objects.filter(
        Q(scope_org__in=visible) | Q(datasets__org__in=visible) | scope.personal("started_by", user)
    ).values("pk")
    return ScreeningRun.objects.filter(pk__in=ids)


def get_run_for_user(user, run_id: int) -> ScreeningRun:
    run = runs_for(user).filter(pk=run_id).first()
    if run is None:
        raise Http404("筛查运行不存在或不在您的权限范围内。")
    return run


def flags_for(user, run: ScreeningRun):
    """The run's flags on units whose flags the user may see (a city user viewing a province
    run sees only its own branch)."""
    return Flag.objects.filter(run=run).restrict(user, scope.VIEW_FLAGS)


def get_flag_for_user(user, flag_id: int) -> Flag:
    flag = Flag.objects.filter(pk=flag_id).restrict(user, scope.VIEW_FLAGS).select_related("org", "dataset", "run").first()
    if flag is None:
        raise Http404("疑点不存在或不在您的权限范围内。")
    return flag


def screenable_datasets(user):
    """Voucher datasets of the units the user may screen: where custom SQL may be tried."""
    return Dataset.objects.filter(kind=DatasetKind.VOUCHERS).restrict(user, scope.SCREEN).select_related("org")


def customs_for(user):
    """Custom rules that apply to the user's unit: its own and those of the units above it."""
    if not may_view(user) or user.org is None:
        return CustomRule.objects.none()
    return CustomRule.objects.filter(owner_org_id__in=user.org.ancestor_ids()).select_related("owner_org")


def get_custom_for_user(user, rule_id: int, action: str = scope.VIEW_FLAGS) -> CustomRule:
    """A custom rule of a unit on which the user may perform ``action`` (CONFIGURE to edit it),
    else 404. Rules of the units above are listed by name, since they apply, but not opened."""
    rule = CustomRule.objects.filter(pk=rule_id).restrict(user, action).select_related("owner_org").first() if may_view(user) else None
    if rule is None:
        raise Http404("自定义规则不存在或不在您的权限范围内。")
    return rule
