"""Screening runs and the flags (疑点) they raise. Rules themselves are files (rules/*.toml)."""

from django.conf import settings
from django.db import models

from jingshen.orgs.querysets import UnitQuerySet


class ScreeningRun(models.Model):
    """One run of chosen rules over chosen datasets: enough is recorded to reproduce it."""

    class Status(models.TextChoices):
        RUNNING = "running", "运行中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    fiscal_year = models.PositiveSmallIntegerField("会计年度")
    scope_org = models.ForeignKey("orgs.Org", verbose_name="筛查范围", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    engine = models.CharField("引擎", max_length=16, default="duckdb")
    rules = models.JSONField("规则及版本、参数", default=list)  # [{code, version, params}]
    datasets = models.ManyToManyField("ledger.Dataset", verbose_name="数据集", related_name="screening_runs")
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.RUNNING)
    flag_count = models.PositiveIntegerField("疑点数", default=0)
    lines_screened = models.PositiveBigIntegerField("筛查分录数", default=0)
    message = models.TextField("说明", blank=True)
    ranking = models.JSONField("单位风险排名", default=list, blank=True)  # stored once when the run ends
    # {rule code: {unit code: why the rule did not apply to it}} (applicability.py)
    not_applicable = models.JSONField("未适用的规则", default=dict, blank=True)
    # {org id: {"vouchers": n, "spending": yuan}}: what scoring weighs rarity and materiality by
    unit_facts = models.JSONField("单位概况", default=dict, blank=True)
    # {unit code: [[account code, name, role], ...]}: accounts whose role the run's rules test but
    # which no one confirmed (suggested from a name): a reason to doubt the flags that rely on them
    unconfirmed_roles = models.JSONField("未确认的科目角色", default=dict, blank=True)
    progress = models.FloatField("进度", default=0)
    stage = models.CharField("阶段", max_length=100, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发起人", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField("开始时间", auto_now_add=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "筛查运行"
        verbose_name_plural = "筛查运行"
        ordering = ["-started_at", "-id"]


class Flag(models.Model):
    """A suspicious item raised by a rule (not yet verified; a verified one becomes a Finding)."""

    # Flags are read by run (the indexes below start with it); a run inserts hundreds of
    # thousands of them, so no other index is kept: not of run or rule alone, and not of the
    # dataset or unit (only deleting a dataset or a unit would look flags up by them, which the
    # platform never does; each index costs a quarter of the insert, docs/benchmarks.md).
    run = models.ForeignKey(ScreeningRun, on_delete=models.CASCADE, related_name="flags", db_index=False)
    dataset = models.ForeignKey("ledger.Dataset", on_delete=models.PROTECT, related_name="+", null=True, db_index=False)
    rule = models.CharField("规则", max_length=32)
    rule_name = models.CharField("规则名称", max_length=100)
    category = models.CharField("类别", max_length=8)
    severity = models.CharField("风险等级", max_length=4)
    score = models.FloatField("风险分")
    org = models.ForeignKey("orgs.Org", verbose_name="单位", on_delete=models.PROTECT, related_name="+", db_index=False)
    fiscal_year = models.PositiveSmallIntegerField("会计年度")
    period = models.PositiveSmallIntegerField("会计期间", null=True)
    voucher_type = models.CharField("凭证字", max_length=16, blank=True)
    voucher_no = models.PositiveIntegerField("凭证号", null=True)
    line_no = models.PositiveIntegerField("分录号", null=True)
    amount = models.DecimalField("金额", max_digits=18, decimal_places=2, null=True)
    message = models.TextField("说明")
    basis = models.TextField("依据", blank=True)
    # the values of the result columns a rule names in ``details`` (e.g. the missing voucher
    # numbers of a gap), for the CLI's JSON output and later checks; null for most rules
    details = models.JSONField("明细", null=True, blank=True)
    # the score of the flag's voucher (all its rules combined, scoring.py); null for unit-level flags
    voucher_score = models.FloatField("凭证风险分", null=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = "疑点"
        verbose_name_plural = "疑点"
        ordering = ["-score", "id"]
        indexes = [models.Index(fields=["run", "org"]), models.Index(fields=["run", "rule"])]


class ParamOverride(models.Model):
    """A rule parameter set for a unit and everything below it (e.g. a province's festival
    cap); the nearest unit up the tree wins over the rule's default."""

    org = models.ForeignKey("orgs.Org", verbose_name="适用单位（含下级）", on_delete=models.PROTECT, related_name="+")
    rule = models.CharField("规则", max_length=32)
    param = models.CharField("参数", max_length=64)
    value = models.JSONField("取值")
    note = models.CharField("依据或说明", max_length=300, blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="设置人", null=True, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField("设置时间", auto_now=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = "规则参数设置"
        verbose_name_plural = "规则参数设置"
        constraints = [models.UniqueConstraint(fields=["org", "rule", "param"], name="one_value_per_unit_rule_param")]


class OwnedRuleQuerySet(UnitQuerySet):
    unit_field = "owner_org"


class CustomRule(models.Model):
    """A rule written on the page by a unit's audit staff; it runs for that unit's subtree."""

    owner_org = models.ForeignKey("orgs.Org", verbose_name="所属单位", on_delete=models.PROTECT, related_name="+")
    code = models.CharField("规则编号", max_length=40, unique=True)
    name = models.CharField("规则名称", max_length=100)
    category = models.CharField("类别", max_length=8)
    level = models.CharField("级别", max_length=8)
    severity = models.CharField("风险等级", max_length=4)
    weight = models.FloatField("权重")
    description = models.TextField("规则逻辑", blank=True)
    explanation = models.CharField("疑点说明模板", max_length=500)
    basis = models.CharField("依据", max_length=300, blank=True)
    sql = models.TextField("SQL")
    enabled = models.BooleanField("启用", default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="编写人", on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    objects = OwnedRuleQuerySet.as_manager()

    class Meta:
        verbose_name = "自定义规则"
        verbose_name_plural = "自定义规则"
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class CurrentRisk(models.Model):
    """The current risk of a unit: its line in the ranking of the latest completed run that
    covered it (``run``), kept when a run ends (runner.py) so the portal reads one row per unit
    instead of any run's flags. A unit covered with no flag has score 0."""

    org = models.OneToOneField("orgs.Org", verbose_name="单位", on_delete=models.CASCADE, related_name="+")
    run = models.ForeignKey(ScreeningRun, verbose_name="筛查运行", on_delete=models.CASCADE, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField("会计年度")
    score = models.FloatField("风险分")
    flags = models.PositiveIntegerField("疑点数", default=0)
    high = models.PositiveIntegerField("高风险疑点数", default=0)
    vouchers = models.PositiveIntegerField("涉及凭证数", default=0)
    amount = models.DecimalField("涉及金额", max_digits=18, decimal_places=2, default=0)
    finished_at = models.DateTimeField("运行完成时间")

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = "单位当前风险"
        verbose_name_plural = "单位当前风险"
        ordering = ["-score", "org__code"]
        indexes = [models.Index(fields=["-score"], name="current_risk_by_score")]
