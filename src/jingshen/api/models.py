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
