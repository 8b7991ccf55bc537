"""API keys (API 密钥): how another system calls the REST API.

A key is bound to one unit and holds scopes (``orgs.scope.KEY_SCOPES``: push data, read flags,
read projects, read knowledge). The caller presents it as ``Authorization: Bearer <key>`` (or
``X-Api-Key: <key>``) and acts as an ``orgs.scope.KeyPrincipal`` of its own, never as the user
who created it.

The secret is shown once, when the key is made, and only its SHA-256 is stored: the key holds
256 random bits (``secrets.token_urlsafe(32)``), so a fast hash cannot be searched backwards
and a slow password hash would only make every API call slower. ``prefix`` (the first
characters, stored in clear) names the key on pages and in the log."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from jingshen.orgs.querysets import UnitQuerySet


class APIKey(models.Model):
    org = models.ForeignKey("orgs.Org", verbose_name="所属单位", on_delete=models.PROTECT, related_name="+")
    name = models.CharField("名称", max_length=100)
    scopes = models.JSONField("权限", default=list)  # codes of orgs.scope.KEY_SCOPES
    prefix = models.CharField("前缀", max_length=16, unique=True)
    key_hash = models.CharField("密钥哈希", max_length=64, unique=True)  # SHA-256 hex of the whole key
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    expires_on = models.DateField("有效期至", null=True, blank=True)  # inclusive; none: until revoked
    last_used_at = models.DateTimeField("最近使用时间", null=True, blank=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="撤销人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = "API 密钥"
        verbose_name_plural = "API 密钥"
        ordering = ["-id"]

    def __str__(self):
        return f"{self.name}（{self.prefix}…，{self.org.name}）"

    def expired(self, today=None) -> bool:
        return self.expires_on is not None and (today or timezone.localdate()) > self.expires_on

    def usable(self) -> bool:
        return self.revoked_at is None and not self.expired()

    def state(self) -> tuple[str, str]:
        if self.revoked_at is not None:
            return "revoked", "已撤销"
        if self.expired():
            return "expired", "已过期"
        return "active", "有效"

    def scope_labels(self) -> list[str]:
        from jingshen.orgs.scope import KEY_SCOPES

        return [KEY_SCOPES[s][0] for s in self.scopes if s in KEY_SCOPES]


class PushKind(models.TextChoices):
    VOUCHERS = "vouchers", "凭证"
    BALANCES = "balances", "科目余额"
    BUDGETS = "budgets", "预算表"
    ASSETS = "assets", "固定资产卡片"


class PushStatus(models.TextChoices):
    PROCESSING = "processing", "处理中"
    ACCEPTED = "accepted", "已接收"


class PushBatch(models.Model):
    """One batch of data a finance system pushed (``POST /api/v1/push/<kind>/``), named by the
    client's batch id: the same batch sent again (a retry after a timeout) answers with this
    result instead of importing twice. Only accepted batches (and those being imported) have a
    row: a refused batch writes nothing but its entry in the activity log, so it can be sent
    again, corrected, under the same id."""

    org = models.ForeignKey("orgs.Org", verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("数据类型", max_length=16, choices=PushKind.choices)
    batch_id = models.CharField("批次号", max_length=100)
    payload_sha256 = models.CharField("内容 SHA-256", max_length=64)
    rows = models.PositiveIntegerField("行数")
    status = models.CharField("状态", max_length=16, choices=PushStatus.choices, default=PushStatus.PROCESSING)
    result = models.JSONField("结果", default=dict)
    key = models.ForeignKey(APIKey, verbose_name="API 密钥", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="推送人", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    received_at = models.DateTimeField("接收时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = "推送批次"
        verbose_name_plural = "推送批次"
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["org", "kind", "batch_id"], name="push_batch_unique")]

    def __str__(self):
        return f"{self.org.name}{self.get_kind_display()}推送批次「{self.batch_id}」"
