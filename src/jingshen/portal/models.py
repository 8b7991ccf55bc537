"""门户: notices (通知公告) published by a unit and read by the units below it, who read them,
and each user's last visit (what is new since then)."""

from django.conf import settings
from django.db import models

from jingshen.orgs.querysets import UnitQuerySet


class NoticeQuerySet(UnitQuerySet):
    unit_field = "org"


class Notice(models.Model):
    """通知公告 of ``org``: read by the users of ``org`` and of every unit below it. The body is
    plain text, shown escaped (never HTML)."""

    org = models.ForeignKey("orgs.Org", verbose_name="发布单位", on_delete=models.PROTECT, related_name="+")
    title = models.CharField("标题", max_length=200)
    body = models.TextField("正文")
    pinned = models.BooleanField("置顶", default=False)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发布人", on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField("发布时间", auto_now_add=True)
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = "通知公告"
        verbose_name_plural = "通知公告"
        ordering = ["-pinned", "-published_at", "-id"]

    def __str__(self):
        return self.title


class NoticeRead(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField("阅读时间", auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notice", "user"], name="one_read_per_user_notice")]


class PortalVisit(models.Model):
    """When the user last opened the portal (``seen_at``) and the visit before that
    (``previous_at``): "new since your last visit" counts from ``previous_at``."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField("最近访问")
    previous_at = models.DateTimeField("上次访问", null=True, blank=True)
