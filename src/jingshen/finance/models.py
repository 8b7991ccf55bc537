"""穿透式监督's data: budgets (工会经费收支预算表), versioned per unit and year like datasets."""

from django.conf import settings
from django.db import models

from jingshen.orgs.querysets import UnitQuerySet


class Budget(models.Model):
    """One imported version of a unit's budget for one year: the 本年预算数 (and 调整预算数) of
    that year beside the 上年决算数 of the year before. A re-import is a new version; nothing is
    edited in place."""

    org = models.ForeignKey("orgs.Org", verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField("预算年度")
    version = models.PositiveIntegerField("版本")
    source_name = models.CharField("来源文件", max_length=255)
    source_hash = models.CharField("来源文件 SHA-256", max_length=64)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="导入人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField("导入时间", auto_now_add=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = "预算"
        verbose_name_plural = "预算"
        ordering = ["org__code", "-fiscal_year", "-version"]
        constraints = [models.UniqueConstraint(fields=["org", "fiscal_year", "version"], name="budget_version_unique")]

    def __str__(self):
        return f"{self.org.name} {self.fiscal_year} 年预算 第 {self.version} 版"


class LineKind(models.TextChoices):
    CARRY_FORWARD = "carry_forward", "上年结转"
    USED_SURPLUS = "used_surplus", "动用以前年度结余"
    INCOME_TOTAL = "income_total", "本年收入合计"
    EXPENSE_TOTAL = "expense_total", "本年支出合计"
    ACCOUNT = "account", "科目"


class BudgetLine(models.Model):
    """One row of the budget table in file order. Amounts in 元; None where the cell was empty
    or a dash (not budgeted)."""

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="lines")
    row = models.PositiveIntegerField("行号")  # as the user sees it in the spreadsheet
    kind = models.CharField("行类型", max_length=16, choices=LineKind.choices)
    code = models.CharField("科目编号", max_length=40, blank=True)
    name = models.CharField("名称", max_length=100)
    prior_actual = models.DecimalField("上年决算数", max_digits=18, decimal_places=2, null=True)
    amount = models.DecimalField("本年预算数", max_digits=18, decimal_places=2, null=True)
    adjusted = models.DecimalField("调整预算数", max_digits=18, decimal_places=2, null=True)
    note = models.CharField("说明", max_length=500, blank=True)

    class Meta:
        verbose_name = "预算行"
        verbose_name_plural = "预算行"
        ordering = ["budget", "row"]
