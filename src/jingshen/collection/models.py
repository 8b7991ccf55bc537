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


class WatchMode(models.TextChoices):
    MERGE = "merge", "按凭证合并"
    REPLACE = "replace", "整年替换"


class WatchedFolder(models.Model):
    """A folder on the server into which a unit's finance program (金蝶 KIS/K3, 用友 T3/U8) exports
    its vouchers; each pass of ``collect.watch`` imports what was dropped there for this unit and
    moves it aside (``watch.py``). ``path`` is the folder's real path (no symbolic link on the way),
    empty once cleared; the row stays, with the history of its files. ``lease_until``/``lease``:
    the pass that works on the folder holds it until then (``watch.py``), so two workers or a cron
    call never import from it at the same time, and a pass that died lets the next one in."""

    org = models.OneToOneField("orgs.Org", verbose_name="单位", on_delete=models.PROTECT, related_name="watched_folder")
    path = models.CharField("文件夹", max_length=500, blank=True)
    mode = models.CharField("导入方式", max_length=16, choices=WatchMode.choices, default=WatchMode.MERGE)
    active = models.BooleanField("启用", default=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="设置人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField("设置时间", auto_now=True)
    last_scan_at = models.DateTimeField("上次检查", null=True, blank=True)
    last_error = models.CharField("上次检查的问题", max_length=500, blank=True)
    lease = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = "监控文件夹"
        verbose_name_plural = "监控文件夹"
        ordering = ["org__path"]

    def __str__(self):
        return f"{self.org.name}的监控文件夹 {self.path or '（未设置）'}"


class FileStatus(models.TextChoices):
    IMPORTING = "importing", "正在导入"
    IMPORTED = "imported", "已导入"
    REFUSED = "refused", "被拒绝"
    DUPLICATE = "duplicate", "重复文件"


class WatchedFileQuerySet(UnitQuerySet):
    unit_field = "folder__org"


class WatchedFile(models.Model):
    """One file found in a watched folder and what became of it. A file's content (``sha256``) is
    imported once per folder: the partial unique constraint lets one row be importing or imported,
    so a second copy is recorded as 重复文件 and two workers never import it both; a refused file
    may be dropped again (after the chart or the unit tree is fixed). ``moved_to``: where the file
    was put, relative to the folder (empty until it is moved)."""

    folder = models.ForeignKey(WatchedFolder, verbose_name="监控文件夹", on_delete=models.PROTECT, related_name="files")
    name = models.CharField("文件名", max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveBigIntegerField("大小（字节）", default=0)
    status = models.CharField("状态", max_length=16, choices=FileStatus.choices, default=FileStatus.IMPORTING)
    summary = models.TextField("结果", blank=True)
    errors = models.JSONField("错误", default=list, blank=True)  # RowError.as_dict() of the first ones
    error_total = models.PositiveIntegerField("错误数", default=0)
    datasets = models.ManyToManyField("ledger.Dataset", verbose_name="数据集", blank=True, related_name="+")
    moved_to = models.CharField("移至", max_length=600, blank=True)
    found_at = models.DateTimeField("发现时间", auto_now_add=True)
    finished_at = models.DateTimeField("处理时间", null=True, blank=True)

    objects = WatchedFileQuerySet.as_manager()

    class Meta:
        verbose_name = "监控文件夹中的文件"
        verbose_name_plural = "监控文件夹中的文件"
        ordering = ["-found_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["folder", "sha256"], name="watched_file_imported_once",
                                               condition=models.Q(status__in=["importing", "imported"]))]

    def __str__(self):
        return f"{self.name}（{self.get_status_display()}）"


class NilReturn(models.Model):
    """零报送: a unit declares that it had no transactions in a period (named like ``LateReport``
    by its last month), so the period counts as reported though its books hold no lines of it."""

    org = models.ForeignKey("orgs.Org", verbose_name="单位", on_delete=models.PROTECT, related_name="nil_returns")
    fiscal_year = models.PositiveSmallIntegerField("会计年度")
    period = models.PositiveSmallIntegerField("期间")
    note = models.CharField("说明", max_length=500, blank=True)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="申报人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField("申报时间", auto_now_add=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = "本期无业务申报"
        verbose_name_plural = "本期无业务申报"
        ordering = ["org__path", "fiscal_year", "period"]
        constraints = [models.UniqueConstraint(fields=["org", "fiscal_year", "period"], name="nil_return_unique")]

    def __str__(self):
        return f"{self.org.name} {self.fiscal_year} 年 {self.period} 月本期无业务"
