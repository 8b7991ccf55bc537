"""综合管理: the 经审干部 roster (``StaffProfile``, not the login user), their training
(``TrainingRecord``), audits done before the platform (``PriorAudit``, so coverage does not start
at zero) and the annual audit plan (``AnnualPlan`` and its ``PlanItem``s). Who may read and write
is in admin_center/access.py (on orgs/scope.py); every write is a service that logs."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from jingshen.orgs.querysets import UnitQuerySet


class StaffType(models.TextChoices):
    COMMITTEE = "committee", "经审委员"
    FULL_TIME = "full_time", "专职"
    PART_TIME = "part_time", "兼职"


class StaffProfile(models.Model):
    """One 经审干部 of a unit: a person on the roster, with or without a login account."""

    org = models.ForeignKey("orgs.Org", verbose_name="所在单位", on_delete=models.PROTECT, related_name="+")
    name = models.CharField("姓名", max_length=50)
    staff_type = models.CharField("类别", max_length=16, choices=StaffType.choices)
    position = models.CharField("职务", max_length=100, blank=True)
    qualifications = models.CharField("资格与职称", max_length=300, blank=True)  # 审计师、会计师、注册会计师 …
    phone = models.CharField("联系电话", max_length=30, blank=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name="登录账号", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="staff_profile")
    active = models.BooleanField("在岗", default=True)
    note = models.CharField("备注", max_length=300, blank=True)
    created_at = models.DateTimeField("录入时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = "经审干部"
        verbose_name_plural = "经审干部"
        ordering = ["org__path", "name", "id"]

    def __str__(self):
        return self.name


class TrainingKind(models.TextChoices):
    CENTRAL = "central", "集中培训"
    LEARNING_BY_AUDITING = "learning_by_auditing", "以审代训"
    ROTATION = "rotation", "轮岗交流"
    CROSS_AUDIT = "cross_audit", "交叉互审"


class TrainingQuerySet(UnitQuerySet):
    unit_field = "staff__org"


class TrainingRecord(models.Model):
    """One training or exchange a staff member took part in, with its hours (never negative)."""

    staff = models.ForeignKey(StaffProfile, verbose_name="经审干部", on_delete=models.CASCADE, related_name="trainings")
    kind = models.CharField("形式", max_length=24, choices=TrainingKind.choices)
    title = models.CharField("名称", max_length=200)
    organiser = models.CharField("组织单位", max_length=200, blank=True)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")
    hours = models.DecimalField("学时", max_digits=6, decimal_places=1)
    project = models.ForeignKey("audits.AuditProject", verbose_name="所在审计项目", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")  # 以审代训、交叉互审
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="录入人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = TrainingQuerySet.as_manager()

    class Meta:
        verbose_name = "培训记录"
        verbose_name_plural = "培训记录"
        ordering = ["-start_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gte=0), name="training_hours_not_negative"),
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="training_ends_after_start"),
        ]

    def __str__(self):
        return self.title


class PriorAudit(models.Model):
    """An audit done before the platform (or outside it): entered on the page or imported, so
    coverage counts it. ``year`` is the year the audit was done (报告年度)."""

    class Source(models.TextChoices):
        ENTERED = "entered", "录入"
        IMPORTED = "imported", "导入"

    org = models.ForeignKey("orgs.Org", verbose_name="被审计单位", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("审计年度")
    audit_type = models.ForeignKey("audits.AuditType", verbose_name="审计类型", on_delete=models.PROTECT, related_name="+")
    report_no = models.CharField("报告文号", max_length=100, blank=True)
    auditor_org = models.ForeignKey("orgs.Org", verbose_name="审计单位", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    source = models.CharField("来源", max_length=16, choices=Source.choices, default=Source.ENTERED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="录入人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = "往期审计记录"
        verbose_name_plural = "往期审计记录"
        ordering = ["-year", "org__path", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "year", "audit_type", "report_no"], name="one_prior_audit_per_report"),
        ]


class PlanQuerySet(UnitQuerySet):
    unit_field = "owner_org"


class AnnualPlan(models.Model):
    """年度审计计划 of a unit's 经审会 for one year: proposed from the risk ranking and the
    coverage gaps, adjusted, then approved by the 经审负责人 (APPROVE)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草拟中"
        APPROVED = "approved", "已批准"

    owner_org = models.ForeignKey("orgs.Org", verbose_name="计划单位", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("计划年度")
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.DRAFT)
    note = models.TextField("编制说明", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="编制人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("编制时间", auto_now_add=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="批准人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField("批准时间", null=True, blank=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        verbose_name = "年度审计计划"
        verbose_name_plural = "年度审计计划"
        ordering = ["-year", "owner_org__path"]
        constraints = [models.UniqueConstraint(fields=["owner_org", "year"], name="one_plan_per_unit_year")]

    def __str__(self):
        return f"{self.year} 年度审计计划"


class PlanReason(models.TextChoices):
    RISK = "risk", "风险较高"
    NEVER = "never", "从未审计"
    GAP = "gap", "三年以上未审计"
    MANUAL = "manual", "人工添加"


class PlanItemQuerySet(UnitQuerySet):
    unit_field = "org"


class PlanItem(models.Model):
    """One unit to audit in a plan; approved, it creates the audit project (``project``)."""

    plan = models.ForeignKey(AnnualPlan, on_delete=models.CASCADE, related_name="items")
    org = models.ForeignKey("orgs.Org", verbose_name="被审计单位", on_delete=models.PROTECT, related_name="+")
    audit_type = models.ForeignKey("audits.AuditType", verbose_name="审计类型", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField("列入理由", max_length=16, choices=PlanReason.choices)
    reason_text = models.CharField("理由说明", max_length=300, blank=True)
    risk_score = models.FloatField("风险分", null=True, blank=True)  # from the unit's current risk when proposed
    last_audited = models.PositiveSmallIntegerField("最近审计年度", null=True, blank=True)
    fiscal_years = models.JSONField("审计年度", default=list)
    planned_start = models.DateField("计划开始")
    planned_end = models.DateField("计划结束")
    project = models.OneToOneField("audits.AuditProject", verbose_name="审计项目", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="plan_item")

    objects = PlanItemQuerySet.as_manager()

    class Meta:
        verbose_name = "计划事项"
        verbose_name_plural = "计划事项"
        ordering = ["plan", "planned_start", "org__path", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "org", "audit_type"], name="one_plan_item_per_unit_type"),
            models.CheckConstraint(condition=Q(planned_end__gte=models.F("planned_start")), name="plan_item_ends_after_start"),
        ]
