"""Charts of accounts and the dataset catalogue.

Ledger-scale data (journal lines, balances) lives in Parquet files under
JINGSHEN_HOME/datasets (see ``jingshen.ledger.store``); the database holds only the
catalogue: which dataset versions exist, for which unit and year, and whether they are ready.
"""

from django.conf import settings
from django.db import models

from jingshen.ledger.roles import AccountRole, Category
from jingshen.orgs.querysets import UnitQuerySet


class Chart(models.Model):
    """A chart of accounts: the default (standard) chart, or one unit's own chart."""

    name = models.CharField("科目表名称", max_length=100)
    org = models.OneToOneField(
        "orgs.Org", verbose_name="所属单位", null=True, blank=True, on_delete=models.PROTECT, related_name="chart"
    )
    is_default = models.BooleanField("默认科目表", default=False)
    # A unit chart normally adds detail accounts to the default chart; a standalone one replaces it.
    extends_default = models.BooleanField("在默认科目表基础上扩展", default=True)
    source_name = models.CharField("来源文件", max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "科目表"
        verbose_name_plural = "科目表"
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True), name="one_default_chart")
        ]

    def __str__(self):
        return self.name


class RoleStatus(models.TextChoices):
    BUILTIN = "builtin", "标准科目表"
    INHERITED = "inherited", "继承上级科目"
    SUGGESTED = "suggested", "系统建议，待确认"
    CONFIRMED = "confirmed", "已确认"
    NONE = "none", "未设置"


class Account(models.Model):
    chart = models.ForeignKey(Chart, on_delete=models.CASCADE, related_name="accounts")
    code = models.CharField("科目编码", max_length=40)
    name = models.CharField("科目名称", max_length=100)
    category = models.CharField("科目类别", max_length=16, choices=Category.choices)
    direction = models.CharField("余额方向", max_length=1, choices=[("D", "借"), ("C", "贷")])
    parent_code = models.CharField("上级科目编码", max_length=40, blank=True)
    is_leaf = models.BooleanField("末级科目", default=True)
    role = models.CharField("科目角色", max_length=40, choices=AccountRole.choices, blank=True)
    role_status = models.CharField("角色来源", max_length=16, choices=RoleStatus.choices, default=RoleStatus.NONE)

    class Meta:
        verbose_name = "会计科目"
        verbose_name_plural = "会计科目"
        ordering = ["chart", "code"]
        constraints = [models.UniqueConstraint(fields=["chart", "code"], name="account_code_unique_in_chart")]

    def __str__(self):
        return f"{self.code} {self.name}"


class OwnedQuerySet(UnitQuerySet):
    """Rows that belong to the unit of the user who made them (uploads, conversion templates)."""

    unit_field = "owner_org"


class DatasetKind(models.TextChoices):
    VOUCHERS = "vouchers", "凭证"
    BALANCES = "balances", "科目余额"


class DatasetStatus(models.TextChoices):
    READY = "ready", "完整"
    PARTIAL = "partial", "部分导入（有被拒绝的行）"


class Dataset(models.Model):
    """One version of one unit's data of one kind for one fiscal year. A row here marks the
    Parquet folder at ``path`` complete and readable; folders without a row are leftovers of
    an interrupted import and are never read."""

    org = models.ForeignKey("orgs.Org", verbose_name="单位", on_delete=models.PROTECT, related_name="datasets")
    fiscal_year = models.PositiveSmallIntegerField("会计年度")
    kind = models.CharField("数据类型", max_length=16, choices=DatasetKind.choices)
    version = models.PositiveIntegerField("版本")
    status = models.CharField("状态", max_length=16, choices=DatasetStatus.choices, default=DatasetStatus.READY)
    rows = models.PositiveIntegerField("行数")
    checksum = models.CharField("内容校验值", max_length=64)
    path = models.CharField("存储位置", max_length=500)  # relative to the dataset root
    source_name = models.CharField("来源文件", max_length=255)
    source_hash = models.CharField("来源文件 SHA-256", max_length=64)
    rejected_rows = models.PositiveIntegerField("被拒绝的行", default=0)
    quality = models.JSONField("数据质量摘要", default=dict)  # issue kind -> count
    quality_issues = models.PositiveIntegerField("数据质量问题数", default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="导入人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField("导入时间", auto_now_add=True)
    # A merge import (a pushed batch, a watched folder in merge mode): this version is the
    # version ``merged_from`` with the vouchers of ``source_name`` added, those with the same key
    # (period, 凭证字, 凭证号) replaced; ``replaced_vouchers`` says how many were.
    merged_from = models.ForeignKey("self", verbose_name="合并自", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    replaced_vouchers = models.PositiveIntegerField("替换的同号凭证", default=0)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = "数据集"
        verbose_name_plural = "数据集"
        ordering = ["org__code", "-fiscal_year", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["org", "fiscal_year", "kind", "version"], name="dataset_version_unique")
        ]

    def __str__(self):
        return f"{self.org.name} {self.fiscal_year} 年{self.get_kind_display()} 第 {self.version} 版"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "导入中"
    DONE = "done", "已完成"
    FAILED = "failed", "被拒绝"


class ImportKind(models.TextChoices):
    VOUCHERS = "vouchers", "凭证"
    BALANCES = "balances", "科目余额"
    ACCOUNTS = "accounts", "科目表"


class ImportJob(models.Model):
    """One upload on the 数据采集 page, run as a background task. The uploaded file is kept
    (with its SHA-256) as the source document of the datasets it produced."""

    kind = models.CharField("数据类型", max_length=16, choices=ImportKind.choices)
    file = models.FileField("文件", upload_to="uploads/%Y/%m/")
    original_name = models.CharField("原文件名", max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64)
    org = models.ForeignKey(
        "orgs.Org", verbose_name="指定单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    fiscal_year = models.PositiveSmallIntegerField("指定年度", null=True, blank=True)
    skip_bad_rows = models.BooleanField("跳过错误行", default=False)
    create_accounts = models.BooleanField("自动新增明细科目", default=False)
    merge = models.BooleanField("合并到已有版本", default=False)
    mapping = models.ForeignKey(
        "ColumnMapping", verbose_name="转换模板", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField("状态", max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.FloatField("进度", default=0)
    stage = models.CharField("阶段", max_length=50, blank=True)
    summary = models.TextField("结果", blank=True)
    errors = models.JSONField("错误", default=list, blank=True)  # first errors, as RowError.as_dict()
    error_total = models.PositiveIntegerField("错误总数", default=0)
    datasets = models.ManyToManyField(Dataset, verbose_name="生成的数据集", blank=True, related_name="jobs")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+")
    # The unit whose staff may see this job: the uploader's unit.
    owner_org = models.ForeignKey("orgs.Org", verbose_name="上传单位", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "导入任务"
        verbose_name_plural = "导入任务"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()}导入 #{self.pk}（{self.original_name}）"


class ColumnMapping(models.Model):
    """A saved conversion template (转换模板): which column of a finance system's export holds
    which field, mapped once on the page and reused by name for the next files."""

    name = models.CharField("名称", max_length=100)
    kind = models.CharField("数据类型", max_length=16, choices=ImportKind.choices)
    mapping = models.JSONField("列对应关系", default=dict)  # field name -> header text in the file
    owner_org = models.ForeignKey("orgs.Org", verbose_name="所属单位", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "转换模板"
        verbose_name_plural = "转换模板"
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["owner_org", "kind", "name"], name="mapping_name_unique")]

    def __str__(self):
        return self.name
