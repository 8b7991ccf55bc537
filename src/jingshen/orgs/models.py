"""Units (单位 / 工会组织), their tree, and cross-audit grants (交叉互审).

Who may see what is answered in one place only: ``jingshen.orgs.scope``.
"""

import unicodedata

from django.conf import settings
from django.db import models
from django.db.models import Q


class Level(models.TextChoices):
    """层级 of a union. 产业工会 and 在京央企工会 are kinds of higher unions."""

    NATIONAL = "national", "全国"
    PROVINCE = "province", "省"
    CITY = "city", "市"
    COUNTY = "county", "县"
    GRASSROOTS = "grassroots", "基层"
    INDUSTRY = "industry", "产业工会"
    CENTRAL_ENTERPRISE = "central_enterprise", "在京央企工会"


class Kind(models.TextChoices):
    """单位性质."""

    UNION_OFFICE = "union_office", "工会机关"
    INSTITUTION = "institution", "事业单位"
    ENTERPRISE = "enterprise", "企业"
    GRASSROOTS_UNION = "grassroots_union", "基层工会"
    JOINT_GRASSROOTS_UNION = "joint_grassroots_union", "联合基层工会"
    OTHER = "other", "其他"


class Org(models.Model):
    code = models.CharField("单位编码", max_length=32, unique=True)
    name = models.CharField("单位名称", max_length=200)
    parent = models.ForeignKey(
        "self", verbose_name="上级单位", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    level = models.CharField("层级", max_length=24, choices=Level.choices)
    kind = models.CharField("单位性质", max_length=32, choices=Kind.choices)
    member_count = models.PositiveIntegerField("会员人数", null=True, blank=True)
    # Materialised path of primary keys, "/1/7/42/": the subtree of X is path__startswith=X.path.
    # Maintained only by jingshen.orgs.services.
    path = models.CharField(max_length=1024, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["path"]

    def __str__(self):
        return f"{self.name}（{self.code}）"

    def ancestor_ids(self) -> list[int]:
        """Primary keys from this unit up to the root, nearest first (from the tree path)."""
        return [int(pk) for pk in reversed(self.path.strip("/").split("/")) if pk]


class CrossAuditGrant(models.Model):
    """交叉互审: lets a unit (all its audit staff) or one user of another branch see and
    audit exactly one target unit, from valid_from to valid_until inclusive."""

    target = models.ForeignKey(Org, verbose_name="被审计单位", on_delete=models.PROTECT, related_name="grants_in")
    grantee_org = models.ForeignKey(
        Org, verbose_name="受托单位", null=True, blank=True, on_delete=models.PROTECT, related_name="grants_out"
    )
    grantee_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="受托用户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cross_audit_grants",
    )
    valid_from = models.DateField("起始日期")
    valid_until = models.DateField("截止日期")
    purpose = models.CharField("事由", max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="授权人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)

    class Meta:
        verbose_name = "交叉互审授权"
        verbose_name_plural = "交叉互审授权"
        constraints = [
            models.CheckConstraint(
                condition=(Q(grantee_org__isnull=False) & Q(grantee_user__isnull=True))
                | (Q(grantee_org__isnull=True) & Q(grantee_user__isnull=False)),
                name="grant_exactly_one_grantee",
            ),
            models.CheckConstraint(condition=Q(valid_until__gte=models.F("valid_from")), name="grant_period_ordered"),
        ]

    def __str__(self):
        grantee = self.grantee_user or self.grantee_org
        return f"{grantee} → {self.target}（{self.valid_from}～{self.valid_until}）"


def name_key(text: str) -> str:
    """A unit's code, name or alias as compared: full-width characters folded (NFKC), no spaces."""
    return "".join(unicodedata.normalize("NFKC", text or "").split())


class OrgAlias(models.Model):
    """别名: another name a unit goes by in others' books (an old name, an abbreviation), used to
    match 往来单位 texts to units (finance.crosslevel). Written only by orgs.services (the unit's
    edit page and the unit-tree import), which refuses an alias equal to another unit's code or
    name; two units may share an alias, which then matches neither (ambiguous)."""

    org = models.ForeignKey(Org, verbose_name="单位", on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField("别名", max_length=200)

    class Meta:
        verbose_name = "单位别名"
        verbose_name_plural = "单位别名"
        ordering = ["org", "id"]
        constraints = [models.UniqueConstraint(fields=["org", "name"], name="org_alias_once")]

    def __str__(self):
        return self.name
