"""报送计划: when each unit owes its accounting data to the unit above, and which periods are late
(未按时报送)."""

from django.conf import settings
from django.db import models

from jingshen.orgs.querysets import UnitQuerySet


class Frequency(models.TextChoices):
    MONTHLY = "monthly", "按月"
    QUARTERLY = "quarterly", "按季"
    YEARLY = "yearly", "按年"


class ReportingSchedule(models.Model):
    """A unit's reporting schedule for its vouchers: each period's vouchers (a month, a quarter or
    the year) are due ``lag_months`` months after the period ends, on day ``due_day``. Periods
    ending before ``starts_on`` are not chased."""

    org = models.OneToOneField("orgs.Org", verbose_name="单位", on_delete=models.PROTECT, related_name="reporting_schedule")
    frequency = models.CharField("报送频率", max_length=16, choices=Frequency.choices, default=Frequency.MONTHLY)
    due_day = models.PositiveSmallIntegerField("截止日", default=10)  # 1..28
    lag_months = models.PositiveSmallIntegerField("期末后月数", default=1)  # 1..12
    starts_on = models.DateField("起始日期")
    contact = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="报送联系人", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    active = models.BooleanField("启用", default=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="设置人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField("设置时间", auto_now=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = "报送计划"
        verbose_name_plural = "报送计划"
        ordering = ["org__path"]

    def __str__(self):
        return f"{self.org.name}：{self.get_frequency_display()}，期末后第 {self.lag_months} 个月 {self.due_day} 日前"


class LateReport(models.Model):
    """One period whose vouchers were not in by their due date. Kept when the data arrives
    (``resolved_at``): the history of late reporting is what the portal and the unit's file show."""

    org = models.ForeignKey("orgs.Org", verbose_name="单位", on_delete=models.PROTECT, related_name="late_reports")
    fiscal_year = models.PositiveSmallIntegerField("会计年度")
    period = models.PositiveSmallIntegerField("期间")  # the last month of the period owed
    due_date = models.DateField("截止日期")
    detected_at = models.DateTimeField("发现时间", auto_now_add=True)
    resolved_at = models.DateTimeField("补报时间", null=True, blank=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = "未按时报送"
        verbose_name_plural = "未按时报送"
        ordering = ["org__path", "fiscal_year", "period"]
        constraints = [models.UniqueConstraint(fields=["org", "fiscal_year", "period"], name="late_report_unique")]

    def __str__(self):
        return f"{self.org.name} {self.fiscal_year} 年 {self.period} 月数据未按时报送"

    @property
    def label(self) -> str:
        return f"{self.fiscal_year} 年 {self.period} 月"


class SchedulerRun(models.Model):
    """The last time a periodic job started (one row per job): the worker's scheduler and
    `jingshen collect run-due` both take the row's lock, so two of them never run a job twice."""

    name = models.CharField(max_length=40, unique=True)
    last_started_at = models.DateTimeField(null=True)
    last_summary = models.CharField(max_length=500, blank=True)
