"""Every write of 报送计划: setting schedules, and the periodic check that records late periods
(未按时报送) and the late data that has since arrived. Each function checks the action again
(PermissionError with a Chinese message), runs in a transaction and logs with activity.record()."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from jingshen.activity.services import record
from jingshen.collection.due import covered_months, due_periods
from jingshen.collection.models import Frequency, LateReport, ReportingSchedule
from jingshen.orgs import scope

MAX_UNITS = 5_000  # units set in one go (a province's grassroots units)


def check_schedule(*, frequency: str, due_day: int, lag_months: int) -> None:
    if frequency not in Frequency.values:
        raise ValueError("报送频率只能是按月、按季或按年。")
    if not 1 <= due_day <= 28:
        raise ValueError("截止日应在 1 日至 28 日之间（每个月都有的日子）。")
    if not 1 <= lag_months <= 12:
        raise ValueError("期末后月数应在 1 至 12 之间。")


def set_schedule(actor, *, org, frequency: str = Frequency.MONTHLY, due_day: int = 10, lag_months: int = 1,
                 starts_on: datetime.date | None = None, contact=None, active: bool = True, below: bool = False) -> int:
    """Set the reporting schedule of ``org`` (and, with ``below``, of every unit below it that
    ``actor`` may schedule). ``contact`` must be an active user of ``org`` (not used with ``below``:
    each unit keeps its own). Returns the number of units set. One log entry."""
    check_schedule(frequency=frequency, due_day=due_day, lag_months=lag_months)
    allowed = scope.orgs_for(actor, scope.SCHEDULE) if actor is not None else None
    if allowed is not None and not allowed.filter(pk=org.pk).exists():
        raise PermissionError("单位不存在或不在您设置报送计划的范围内。")
    if contact is not None and (contact.org_id != org.pk or not contact.is_active):
        raise ValueError(f"报送联系人须为{org.name}的在用账号。")
    units = [org]
    if below:
        from jingshen.orgs.models import Org

        below_units = Org.objects.filter(path__startswith=org.path).exclude(pk=org.pk)
        if allowed is not None:
            below_units = below_units.filter(pk__in=allowed.values("pk"))
        units += list(below_units.order_by("path")[:MAX_UNITS])
    starts_on = starts_on or timezone.localdate()
    values = {"frequency": frequency, "due_day": due_day, "lag_months": lag_months, "starts_on": starts_on,
              "active": active, "updated_by": actor}
    with transaction.atomic():
        for unit in units:
            fields = dict(values)
            if unit.pk == org.pk and not below:
                fields["contact"] = contact
            ReportingSchedule.objects.update_or_create(org=unit, defaults=fields)
        label = dict(Frequency.choices)[frequency]
        record("collection.schedule", f"设置{org.name}{'及下级共 %d 个单位' % len(units) if below else ''}的报送计划："
                                      f"{label}，期末后第 {lag_months} 个月 {due_day} 日前报送凭证",
               actor=actor, org=org, after={"报送频率": label, "截止日": due_day, "期末后月数": lag_months,
                                            "起始日期": starts_on, "单位数": len(units), "启用": active,
                                            "报送联系人": contact.username if contact else None})
    return len(units)


@dataclass
class DueResult:
    checked: int = 0  # units with an active schedule
    late: int = 0  # periods newly found late
    resolved: int = 0  # late periods whose data has arrived
    outstanding: int = 0  # late periods still open

    def summary(self) -> str:
        return (f"检查 {self.checked} 个单位的报送计划：新发现未按时报送 {self.late} 期，已补报 {self.resolved} 期，"
                f"仍未报送 {self.outstanding} 期。")


def run_due(today: datetime.date | None = None) -> DueResult:
    """The periodic check (the worker's scheduler, or `jingshen collect run-due` from cron): each
    period due by ``today`` whose vouchers are not in is recorded once as late; a late period whose
    data has since arrived is marked 已补报. Safe to run any number of times, from several places
    at once. Logged only when something changed."""
    today = today or timezone.localdate()
    result = DueResult()
    schedules = list(ReportingSchedule.objects.filter(active=True).select_related("org"))
    result.checked = len(schedules)
    owed = {s.org_id: due_periods(s, today) for s in schedules}
    years = {year for periods in owed.values() for year, _, _ in periods}
    covered = covered_months([s.org for s in schedules], years) if years else {}
    open_late = {(r.org_id, r.fiscal_year, r.period): r for r in LateReport.objects.filter(resolved_at__isnull=True)}
    now = timezone.now()
    with transaction.atomic():
        for schedule in schedules:
            for year, month, due in owed[schedule.org_id]:
                key = (schedule.org_id, year, month)
                if covered.get((schedule.org_id, year), 0) >= month:
                    if key in open_late:
                        LateReport.objects.filter(pk=open_late.pop(key).pk).update(resolved_at=now)
                        result.resolved += 1
                    continue
                if key in open_late:
                    continue
                try:
                    with transaction.atomic():
                        _, made = LateReport.objects.get_or_create(org=schedule.org, fiscal_year=year, period=month,
                                                                   defaults={"due_date": due})
                except IntegrityError:  # another run made it at the same moment
                    made = False
                result.late += made
        result.outstanding = LateReport.objects.filter(resolved_at__isnull=True).count()
        if result.late or result.resolved:
            record("collection.run_due", result.summary(), after={"新发现": result.late, "已补报": result.resolved,
                                                                  "仍未报送": result.outstanding, "检查日期": today})
    return result
