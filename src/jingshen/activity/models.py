"""操作日志: every change made by a user (or by a command or task on a user's behalf),
append-only and hash-chained (``activity/chain.py``): each entry's ``hash`` covers its whole
content and the previous entry's hash, and ``ChainHead`` holds the last sequence number and
hash, so an altered, deleted or inserted entry (or a cut-off tail) is detected by
``jingshen log verify``."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from jingshen.orgs.querysets import UnitQuerySet

GENESIS = "0" * 64  # the "previous hash" of the first entry


class Source(models.TextChoices):
    WEB = "web", "网页"
    API = "api", "接口"
    CLI = "cli", "命令行"
    TASK = "task", "后台任务"
    SYSTEM = "system", "系统"  # none of the above marked it (a shell, a migration)


class ActivityLog(models.Model):
    seq = models.BigIntegerField("序号", unique=True)
    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    org = models.ForeignKey(
        "orgs.Org", verbose_name="相关单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField("操作", max_length=64, db_index=True)
    summary = models.CharField("摘要", max_length=500)
    object_type = models.CharField("对象类型", max_length=64, blank=True)
    object_id = models.CharField("对象编号", max_length=64, blank=True)
    details = models.JSONField("详情", default=dict, blank=True)
    before = models.JSONField("修改前", null=True, blank=True)
    after = models.JSONField("修改后", null=True, blank=True)
    address = models.CharField("来源地址", max_length=45, blank=True)
    source = models.CharField("来源", max_length=8, choices=Source.choices, default=Source.SYSTEM)
    prev_hash = models.CharField("上一条哈希", max_length=64)
    hash = models.CharField("哈希", max_length=64)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = "操作日志"
        verbose_name_plural = "操作日志"
        ordering = ["-seq"]

    def __str__(self):
        return f"#{self.seq} {self.at:%Y-%m-%d %H:%M} {self.summary}"


class ChainHead(models.Model):
    """The one row (pk 1) naming the last entry of the chain. Every append UPDATEs it first,
    inside the caller's transaction: that serialises appends (a row lock on PostgreSQL, the
    write lock on SQLite) and a rolled-back append rolls the head back with it."""

    seq = models.BigIntegerField("最后序号", default=0)
    hash = models.CharField("最后哈希", max_length=64, default=GENESIS)

    class Meta:
        verbose_name = "操作日志链头"
        verbose_name_plural = "操作日志链头"

    def __str__(self):
        return f"#{self.seq} {self.hash[:12]}"
