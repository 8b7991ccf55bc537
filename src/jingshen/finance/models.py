"""穿透式监督's data: budgets (工会经费收支预算表), versioned per unit and year like datasets."""

from decimal import Decimal

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


class AssetRegister(models.Model):
    """One imported version of a unit's fixed-asset register (资产卡片): the cards as the unit's
    asset system lists them on the day of the export. A re-import is a new version."""

    org = models.ForeignKey("orgs.Org", verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField("版本")
    source_name = models.CharField("来源文件", max_length=255)
    source_hash = models.CharField("来源文件 SHA-256", max_length=64)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="导入人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField("导入时间", auto_now_add=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = "资产卡片"
        verbose_name_plural = "资产卡片"
        ordering = ["org__code", "-version"]
        constraints = [models.UniqueConstraint(fields=["org", "version"], name="asset_register_version_unique")]

    def __str__(self):
        return f"{self.org.name} 资产卡片 第 {self.version} 版"


class AssetStatus(models.TextChoices):
    IN_USE = "in_use", "在用"
    IDLE = "idle", "闲置"
    LEASED = "leased", "出租出借"
    PENDING = "pending", "待处置"
    DISPOSED = "disposed", "已处置"


class FixedAsset(models.Model):
    """One card of a register (固定资产)."""

    register = models.ForeignKey(AssetRegister, on_delete=models.CASCADE, related_name="assets")
    row = models.PositiveIntegerField("行号")
    asset_no = models.CharField("资产编号", max_length=60)
    name = models.CharField("名称", max_length=200)
    category = models.CharField("类别", max_length=100)
    acquired_on = models.DateField("取得日期")
    original_value = models.DecimalField("原值", max_digits=18, decimal_places=2)
    depreciation = models.DecimalField("累计折旧", max_digits=18, decimal_places=2, null=True)
    department = models.CharField("使用部门", max_length=100, blank=True)
    location = models.CharField("存放地点", max_length=200, blank=True)
    status = models.CharField("状态", max_length=16, choices=AssetStatus.choices)
    disposed_on = models.DateField("处置日期", null=True)

    class Meta:
        verbose_name = "固定资产"
        verbose_name_plural = "固定资产"
        ordering = ["register", "row"]
        constraints = [
            models.UniqueConstraint(fields=["register", "asset_no"], name="one_card_per_asset_no"),
            models.CheckConstraint(condition=models.Q(original_value__gte=0), name="asset_value_not_negative"),
        ]


class Payroll(models.Model):
    """A unit's payroll total (工资总额) for a year, the base of the 2 % remittance (拨缴经费): one
    version per import that changed it."""

    org = models.ForeignKey("orgs.Org", verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField("会计年度")
    version = models.PositiveIntegerField("版本")
    total = models.DecimalField("工资总额", max_digits=18, decimal_places=2)
    staff_count = models.PositiveIntegerField("职工人数", null=True)
    source_name = models.CharField("来源文件", max_length=255)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="导入人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField("导入时间", auto_now_add=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = "工资总额"
        verbose_name_plural = "工资总额"
        ordering = ["org__code", "-fiscal_year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["org", "fiscal_year", "version"], name="payroll_version_unique"),
            models.CheckConstraint(condition=models.Q(total__gte=0), name="payroll_not_negative"),
        ]


class EnterpriseSummary(models.Model):
    """A union enterprise's (工会企业) balance-sheet and income summary for a year, from its
    enterprise books: 所有者权益 at the start and end of the year, 净利润, and where the enterprise
    states them its 国有资本 and 工会资本. One version per import that changed a figure.

    ``objective_factors`` (客观因素影响额) is the net change of equity not earned by the enterprise
    (the owner's capital injections, assets transferred in free of charge, less approved capital
    withdrawals …), which 资产保值增值率 leaves out (``rate``)."""

    org = models.ForeignKey("orgs.Org", verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField("会计年度")
    version = models.PositiveIntegerField("版本")
    equity_opening = models.DecimalField("所有者权益年初数", max_digits=18, decimal_places=2)
    equity_closing = models.DecimalField("所有者权益年末数", max_digits=18, decimal_places=2)
    net_profit = models.DecimalField("净利润", max_digits=18, decimal_places=2)
    objective_factors = models.DecimalField("客观因素影响额", max_digits=18, decimal_places=2, null=True)
    state_capital_opening = models.DecimalField("国有资本年初数", max_digits=18, decimal_places=2, null=True)
    state_capital_closing = models.DecimalField("国有资本年末数", max_digits=18, decimal_places=2, null=True)
    union_capital_opening = models.DecimalField("工会资本年初数", max_digits=18, decimal_places=2, null=True)
    union_capital_closing = models.DecimalField("工会资本年末数", max_digits=18, decimal_places=2, null=True)
    source_name = models.CharField("来源文件", max_length=255)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="导入人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField("导入时间", auto_now_add=True)

    objects = UnitQuerySet.as_manager()

    FIGURES = ("equity_opening", "equity_closing", "net_profit", "objective_factors", "state_capital_opening",
               "state_capital_closing", "union_capital_opening", "union_capital_closing")

    class Meta:
        verbose_name = "企业财务摘要"
        verbose_name_plural = "企业财务摘要"
        ordering = ["org__code", "-fiscal_year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["org", "fiscal_year", "version"], name="enterprise_summary_version_unique"),
            # the rate divides by it: a nil or negative opening equity makes the ratio meaningless
            models.CheckConstraint(condition=models.Q(equity_opening__gt=0), name="enterprise_opening_equity_positive"),
        ]

    @property
    def rate(self):
        """资产保值增值率 in per cent, two decimals: (年末所有者权益 − 客观因素影响额) ÷ 年初所有者权益 × 100."""
        adjusted = self.equity_closing - (self.objective_factors or Decimal("0"))
        return (adjusted / self.equity_opening * 100).quantize(Decimal("0.01"))


class KeyFund(models.Model):
    """重点资金: a fund followed from the upper unit's allocation to the final payees (trace.py).
    A line of a unit's books belongs to it when its account carries one of ``roles`` or starts with
    one of ``accounts`` (its purpose accounts), when its 摘要 contains one of ``keywords``, or when
    its voucher was tagged with the fund (``FundVoucher``). Built-in funds (``org`` empty) apply to
    every unit; a unit's own funds to it and the units below it."""

    org = models.ForeignKey("orgs.Org", verbose_name="定义单位", null=True, blank=True, on_delete=models.PROTECT,
                            related_name="+")
    name = models.CharField("资金名称", max_length=40)
    description = models.CharField("说明", max_length=500, blank=True)
    roles = models.JSONField("用途科目角色", default=list, blank=True)
    accounts = models.JSONField("用途科目编码", default=list, blank=True)  # code prefixes
    keywords = models.JSONField("摘要关键词", default=list, blank=True)
    active = models.BooleanField("启用", default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "重点资金"
        verbose_name_plural = "重点资金"
        ordering = ["org__path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="key_fund_name_unique"),
            models.UniqueConstraint(fields=["name"], condition=models.Q(org__isnull=True), name="key_fund_builtin_name_unique"),
        ]

    def __str__(self):
        return self.name

    @property
    def builtin(self) -> bool:
        return self.org_id is None

    @property
    def has_purpose(self) -> bool:
        return bool(self.roles or self.accounts)


class FundVoucher(models.Model):
    """A voucher tagged with a key fund by hand: all of its income and expense lines belong to the
    fund, whatever their accounts and 摘要."""

    fund = models.ForeignKey(KeyFund, verbose_name="重点资金", on_delete=models.CASCADE, related_name="vouchers")
    org = models.ForeignKey("orgs.Org", verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField("会计年度")
    period = models.PositiveSmallIntegerField("期间")
    voucher_type = models.CharField("凭证字", max_length=20)
    voucher_no = models.PositiveIntegerField("凭证号")
    note = models.CharField("说明", max_length=200, blank=True)
    tagged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="标记人", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    tagged_at = models.DateTimeField("标记时间", auto_now_add=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = "重点资金凭证"
        verbose_name_plural = "重点资金凭证"
        ordering = ["org__code", "fiscal_year", "period", "voucher_type", "voucher_no"]
        constraints = [models.UniqueConstraint(fields=["fund", "org", "fiscal_year", "period", "voucher_type", "voucher_no"],
                                               name="fund_voucher_unique")]

    def __str__(self):
        return f"{self.fund.name}：{self.org.name} {self.fiscal_year} 年 {self.period} 期 {self.voucher_type}-{self.voucher_no}"


class ReconcileSetting(models.Model):
    """A unit's switches of 资产对账 (finance.reconcile). ``fixed_fund_check``: compare the
    fixed-asset balance with the fixed-fund balance (on unless switched off: a unit whose chart
    does not book each purchase to 固定基金 too). Written by services.set_fixed_fund_check
    (CONFIGURE on the unit, logged); no row means every check is on."""

    org = models.OneToOneField("orgs.Org", verbose_name="单位", on_delete=models.CASCADE, related_name="+")
    fixed_fund_check = models.BooleanField("核对固定基金", default=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="设置人", null=True, on_delete=models.PROTECT,
                               related_name="+")
    set_at = models.DateTimeField("设置时间", auto_now=True)

    class Meta:
        verbose_name = "资产对账设置"
        verbose_name_plural = "资产对账设置"
