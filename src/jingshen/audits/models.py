"""作业管理: audit projects (审计项目), their teams, the evidence base they are pinned to, and
the history of their stages. Writes go through services.py; an archived project is read-only
(``ArchivedGuard`` refuses saves and deletes of it and of everything that belongs to it)."""

from django.conf import settings
from django.db import models
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from jingshen.orgs.querysets import UnitQuerySet


class Stage(models.TextChoices):
    """The stages of a project, in order (services.TRANSITIONS says who moves it on)."""

    INITIATION = "initiation", "立项"
    SURVEY = "survey", "审前调查"
    PLAN = "plan", "实施方案"
    NOTICE = "notice", "审计通知"
    FIELDWORK = "fieldwork", "实施"
    REVIEW = "review", "复核"
    CONSULTATION = "consultation", "征求意见"
    REPORT = "report", "审计报告"
    RECTIFICATION = "rectification", "整改"
    ARCHIVED = "archived", "归档"


STAGE_ORDER = list(Stage.values)


class ProjectRole(models.TextChoices):
    LEADER = "leader", "组长"
    LEAD_AUDITOR = "lead_auditor", "主审"
    MEMBER = "member", "成员"


class ArchivedError(PermissionError):
    """A write to an archived project (or to anything of it)."""

    def __init__(self, project=None):
        code = f"「{project.code}」" if project is not None else ""
        super().__init__(f"审计项目{code}已归档，不能再修改。")


class ArchivedGuard(models.Model):
    """Refuses to save or delete a row of an archived project, whatever the code path (a
    service, the ORM, a form): archived evidence never changes. A subclass names the path to its
    project in ``project_field`` ("" for the project itself). Queryset-level ``update`` and
    ``delete`` are guarded by ``GuardedQuerySet``."""

    project_field = "project"

    class Meta:
        abstract = True

    def _project(self):
        return self if not self.project_field else getattr(self, self.project_field)

    def _refuse_if_archived(self) -> None:
        project = self._project()
        if project is None or project.pk is None:
            return
        stage = AuditProject.objects.filter(pk=project.pk).values_list("stage", flat=True).first()
        if stage == Stage.ARCHIVED:
            raise ArchivedError(project)

    def save(self, *args, **kwargs):
        self._refuse_if_archived()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_if_archived()
        return super().delete(*args, **kwargs)


class GuardedQuerySet(UnitQuerySet):
    """Bulk ``update`` and ``delete`` refuse rows of archived projects too."""

    project_path = "project"

    def _archived(self):
        field = f"{self.project_path}__stage" if self.project_path else "stage"
        return self.filter(**{field: Stage.ARCHIVED})

    def update(self, **kwargs):
        if self._archived().exists():
            raise ArchivedError()
        return super().update(**kwargs)

    def delete(self):
        if self._archived().exists():
            raise ArchivedError()
        return super().delete()


class AuditType(models.Model):
    """审计类型: the built-in ones (a data migration) and those an administrator adds."""

    name = models.CharField("审计类型", max_length=50, unique=True)
    builtin = models.BooleanField("系统内置", default=False)
    active = models.BooleanField("可用", default=True)
    order = models.PositiveSmallIntegerField("排序", default=100)

    class Meta:
        verbose_name = "审计类型"
        verbose_name_plural = "审计类型"
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class ProjectQuerySet(GuardedQuerySet):
    unit_field = "owner_org"
    project_path = ""


class AuditProject(ArchivedGuard):
    """审计项目: run by the 经审会 of ``owner_org`` on its audited units and fiscal years."""

    project_field = ""
    archived_stage = Stage.ARCHIVED  # for orgs/scope.py, which does not import this module

    owner_org = models.ForeignKey("orgs.Org", verbose_name="审计单位", on_delete=models.PROTECT, related_name="+")
    code = models.CharField("项目编号", max_length=50, unique=True)
    name = models.CharField("项目名称", max_length=200)
    audit_type = models.ForeignKey(AuditType, verbose_name="审计类型", on_delete=models.PROTECT, related_name="+")
    fiscal_years = models.JSONField("审计年度", default=list)  # [2024, 2025]
    stage = models.CharField("阶段", max_length=16, choices=Stage.choices, default=Stage.INITIATION)
    planned_start = models.DateField("计划开始")
    planned_end = models.DateField("计划结束")
    notice_days = models.PositiveSmallIntegerField("通知书提前送达天数", default=3)
    notice_served_on = models.DateField("通知书送达日期", null=True, blank=True)
    # the screening runs the project works from, one per fiscal year: each over exactly its pinned
    # datasets of that year (the run they were pinned from, or one the project started)
    screening_runs = models.ManyToManyField("screening.ScreeningRun", verbose_name="筛查运行", blank=True, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="立项审批人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField("立项审批时间", null=True, blank=True)
    leader_signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="组长复核", null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+")
    leader_signed_at = models.DateTimeField("组长复核时间", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="立项人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("立项时间", auto_now_add=True)
    archived_at = models.DateTimeField("归档时间", null=True, blank=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = "审计项目"
        verbose_name_plural = "审计项目"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def archived(self) -> bool:
        return self.stage == Stage.ARCHIVED

    @property
    def years_text(self) -> str:
        return "、".join(f"{y} 年" for y in self.fiscal_years)


@receiver(m2m_changed, sender=AuditProject.screening_runs.through)
def _runs_of_archived_projects_stay(sender, instance, action, **kwargs):
    """The runs of an archived project are part of its record: no add, remove or clear."""
    if action.startswith("pre_") and isinstance(instance, AuditProject):
        instance._refuse_if_archived()


class ProjectUnitQuerySet(GuardedQuerySet):
    unit_field = "org"


class ProjectUnit(ArchivedGuard):
    """An audited unit of a project (被审计单位)."""

    project = models.ForeignKey(AuditProject, on_delete=models.CASCADE, related_name="units")
    org = models.ForeignKey("orgs.Org", verbose_name="被审计单位", on_delete=models.PROTECT, related_name="+")

    objects = ProjectUnitQuerySet.as_manager()

    class Meta:
        verbose_name = "被审计单位"
        verbose_name_plural = "被审计单位"
        constraints = [models.UniqueConstraint(fields=["project", "org"], name="project_unit_once")]


class MemberQuerySet(GuardedQuerySet):
    unit_field = "project__owner_org"


class ProjectMember(ArchivedGuard):
    """A member of the project team, with their project role and time budget. They open the
    project's data only after acknowledging the audit discipline (四严禁、八不准)."""

    project = models.ForeignKey(AuditProject, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="成员", on_delete=models.PROTECT, related_name="+")
    role = models.CharField("项目角色", max_length=16, choices=ProjectRole.choices)
    hours_budget = models.PositiveIntegerField("计划工时（小时）", default=0)
    acknowledged_at = models.DateTimeField("确认审计纪律时间", null=True, blank=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = "项目组成员"
        verbose_name_plural = "项目组成员"
        ordering = ["project", "role", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="project_member_once")]


class TimeEntryQuerySet(GuardedQuerySet):
    unit_field = "project__owner_org"


class TimeEntry(ArchivedGuard):
    """工时: the hours a member spent on the project on one day, and on what. The project page
    sets them against the member's ``hours_budget`` (services.record_hours writes them)."""

    project = models.ForeignKey(AuditProject, on_delete=models.CASCADE, related_name="time_entries")
    member = models.ForeignKey(ProjectMember, verbose_name="成员", on_delete=models.PROTECT, related_name="time_entries")
    work_date = models.DateField("日期")
    hours = models.DecimalField("工时（小时）", max_digits=3, decimal_places=1)
    description = models.CharField("工作内容", max_length=200)
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    objects = TimeEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "工时记录"
        verbose_name_plural = "工时记录"
        ordering = ["project", "-work_date", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(hours__gt=0, hours__lte=24), name="time_entry_hours_in_a_day")]


class PinQuerySet(GuardedQuerySet):
    unit_field = "dataset__org"


class PinnedDataset(ArchivedGuard):
    """A dataset version the project works from: pinned at 立项, replaced only when a newer
    version is adopted explicitly (services.adopt_dataset, logged). Later imports never change
    what the project sees."""

    project = models.ForeignKey(AuditProject, on_delete=models.CASCADE, related_name="pins")
    dataset = models.ForeignKey("ledger.Dataset", verbose_name="数据集版本", on_delete=models.PROTECT, related_name="+")
    pinned_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="确定人", on_delete=models.PROTECT, related_name="+")
    pinned_at = models.DateTimeField("确定时间", auto_now_add=True)

    objects = PinQuerySet.as_manager()

    class Meta:
        verbose_name = "项目数据版本"
        verbose_name_plural = "项目数据版本"
        constraints = [models.UniqueConstraint(fields=["project", "dataset"], name="project_dataset_once")]


class BudgetPinQuerySet(GuardedQuerySet):
    unit_field = "budget__org"


class PinnedBudget(ArchivedGuard):
    """A budget version (finance.Budget) the project works from, like ``PinnedDataset``: the latest
    version of each audited unit and year pinned at 立项, replaced only when a newer one is adopted
    explicitly (services.adopt_budget, logged). A re-import never changes what the project sees."""

    project = models.ForeignKey(AuditProject, on_delete=models.CASCADE, related_name="budget_pins")
    budget = models.ForeignKey("finance.Budget", verbose_name="预算版本", on_delete=models.PROTECT, related_name="+")
    pinned_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="确定人", on_delete=models.PROTECT, related_name="+")
    pinned_at = models.DateTimeField("确定时间", auto_now_add=True)

    objects = BudgetPinQuerySet.as_manager()

    class Meta:
        verbose_name = "项目预算版本"
        verbose_name_plural = "项目预算版本"
        constraints = [models.UniqueConstraint(fields=["project", "budget"], name="project_budget_once")]


class StageChange(ArchivedGuard):
    """One step of a project's workflow: who moved it from which stage to which, when, why."""

    project = models.ForeignKey(AuditProject, on_delete=models.CASCADE, related_name="history")
    from_stage = models.CharField("原阶段", max_length=16, choices=Stage.choices, blank=True)
    to_stage = models.CharField("新阶段", max_length=16, choices=Stage.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("时间", auto_now_add=True)
    note = models.CharField("说明", max_length=500, blank=True)

    objects = GuardedQuerySet.as_manager()

    class Meta:
        verbose_name = "阶段变更"
        verbose_name_plural = "阶段变更"
        ordering = ["at", "id"]


class GeneratedDocument(ArchivedGuard):
    """A document the platform generated for the project (.docx), archived with its hash: what
    was sent is what is kept. Stored under ``documents/<project>/<sha256>.docx``."""

    class Kind(models.TextChoices):
        NOTICE = "notice", "审计通知书"
        DRAFT_REPORT = "draft_report", "审计报告（征求意见稿）"
        REPORT = "report", "审计报告"
        RECTIFICATION_NOTICE = "rectification_notice", "整改通知书"

    project = models.ForeignKey(AuditProject, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField("文书类型", max_length=24, choices=Kind.choices)
    title = models.CharField("标题", max_length=200)
    storage_name = models.CharField("存储位置", max_length=200)
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveIntegerField("大小（字节）")
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="生成人", on_delete=models.PROTECT, related_name="+")
    generated_at = models.DateTimeField("生成时间", auto_now_add=True)

    objects = GuardedQuerySet.as_manager()

    class Meta:
        verbose_name = "审计文书"
        verbose_name_plural = "审计文书"
        ordering = ["generated_at", "id"]


class AuditPlan(ArchivedGuard):
    """实施方案: what the audit will look at and how, written by the 组长 or 主审 before the notice."""

    project = models.OneToOneField(AuditProject, on_delete=models.CASCADE, related_name="plan")
    objectives = models.TextField("审计目标", blank=True)
    key_matters = models.TextField("审计重点", blank=True)
    procedures = models.TextField("审计方法和步骤", blank=True)
    assignments = models.TextField("人员分工", blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="修改人", on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    objects = GuardedQuerySet.as_manager()

    class Meta:
        verbose_name = "审计实施方案"
        verbose_name_plural = "审计实施方案"


class DataRequestQuerySet(GuardedQuerySet):
    unit_field = "org"


class DataRequest(ArchivedGuard):
    """审前调查: a questionnaire or list of materials sent to an audited unit, answered by its
    contact on the platform (the ledger data itself arrives through 数据采集)."""

    class Status(models.TextChoices):
        SENT = "sent", "待答复"
        ANSWERED = "answered", "已答复"

    project = models.ForeignKey(AuditProject, on_delete=models.CASCADE, related_name="requests")
    org = models.ForeignKey("orgs.Org", verbose_name="被审计单位", on_delete=models.PROTECT, related_name="+")
    title = models.CharField("标题", max_length=200)
    items = models.TextField("调查事项和所需资料")
    due_date = models.DateField("答复期限")
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.SENT)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发送人", on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField("发送时间", auto_now_add=True)
    answer = models.TextField("答复", blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="答复人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)

    objects = DataRequestQuerySet.as_manager()

    class Meta:
        verbose_name = "审前调查"
        verbose_name_plural = "审前调查"
        ordering = ["sent_at", "id"]

    @property
    def items_list(self) -> list[str]:
        return [line for line in self.items.splitlines() if line.strip()]

# --- 工作底稿: workpapers, their versions, review notes and evidence (audits/workpapers.py) -------


class WorkpaperStatus(models.TextChoices):
    DRAFT = "draft", "编制中"
    SUBMITTED = "submitted", "待复核"
    REVIEWED = "reviewed", "已复核"


class WorkpaperQuerySet(GuardedQuerySet):
    unit_field = "org"


class Workpaper(ArchivedGuard):
    """审计工作底稿: what was done on one matter of one audited unit, what was concluded and on
    which basis, who prepared it and who reviewed it (domain README §4). Edited after sign-off,
    it is marked ``modified_after_review`` and goes back for review; every edit keeps the
    previous values as a ``WorkpaperVersion``."""

    project = models.ForeignKey(AuditProject, on_delete=models.CASCADE, related_name="workpapers")
    org = models.ForeignKey("orgs.Org", verbose_name="被审计单位", on_delete=models.PROTECT, related_name="+")
    index_no = models.CharField("索引号", max_length=30)
    matter = models.CharField("审计事项", max_length=200)
    period_from = models.DateField("所属期间起", null=True, blank=True)
    period_to = models.DateField("所属期间止", null=True, blank=True)
    period_text = models.CharField("所属期间", max_length=100, blank=True)
    procedures = models.TextField("审计程序")
    conclusion = models.TextField("审计结论")
    basis = models.TextField("依据", blank=True)
    status = models.CharField("状态", max_length=16, choices=WorkpaperStatus.choices, default=WorkpaperStatus.DRAFT)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="编制人", on_delete=models.PROTECT, related_name="+")
    prepared_on = models.DateField("编制日期")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="复核人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField("复核时间", null=True, blank=True)
    modified_after_review = models.BooleanField("复核后修改", default=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    objects = WorkpaperQuerySet.as_manager()

    class Meta:
        verbose_name = "审计工作底稿"
        verbose_name_plural = "审计工作底稿"
        ordering = ["project", "index_no", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "index_no"], name="workpaper_index_once")]

    def __str__(self):
        return f"{self.index_no} {self.matter}"

    @property
    def period_display(self) -> str:
        dates = ""
        if self.period_from or self.period_to:
            start = f"{self.period_from:%Y-%m-%d}" if self.period_from else "……"
            end = f"{self.period_to:%Y-%m-%d}" if self.period_to else "……"
            dates = f"{start} 至 {end}"
        return "；".join(part for part in (self.period_text, dates) if part)


class WorkpaperChildQuerySet(GuardedQuerySet):
    unit_field = "workpaper__org"
    project_path = "workpaper__project"


class WorkpaperChild(ArchivedGuard):
    """A row that belongs to a project through its workpaper."""

    class Meta:
        abstract = True

    def _project(self):
        return self.workpaper.project


class WorkpaperVersion(WorkpaperChild):
    """The values of a workpaper before one edit (``data``), what the edit changed
    (``changes``: field -> [before, after], as shown), and whether it came after sign-off."""

    workpaper = models.ForeignKey(Workpaper, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField("版本")
    data = models.JSONField("修改前内容")
    changes = models.JSONField("修改内容")
    after_review = models.BooleanField("复核后修改", default=False)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="修改人", on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField("修改时间", auto_now_add=True)

    objects = WorkpaperChildQuerySet.as_manager()

    class Meta:
        verbose_name = "底稿版本"
        verbose_name_plural = "底稿版本"
        ordering = ["workpaper", "number"]
        constraints = [models.UniqueConstraint(fields=["workpaper", "number"], name="workpaper_version_once")]


class NoteStatus(models.TextChoices):
    OPEN = "open", "待答复"
    ANSWERED = "answered", "已答复"
    CLOSED = "closed", "已关闭"


class ReviewNote(WorkpaperChild):
    """复核意见 on a workpaper: raised by a reviewer, answered by the preparer, closed by its
    author. A note not closed blocks the workpaper's sign-off."""

    workpaper = models.ForeignKey(Workpaper, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField("复核意见")
    status = models.CharField("状态", max_length=16, choices=NoteStatus.choices, default=NoteStatus.OPEN)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="复核人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("提出时间", auto_now_add=True)
    reply = models.TextField("答复", blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="答复人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)

    objects = WorkpaperChildQuerySet.as_manager()

    class Meta:
        verbose_name = "复核意见"
        verbose_name_plural = "复核意见"
        ordering = ["workpaper", "created_at", "id"]


class EvidenceQuerySet(GuardedQuerySet):
    unit_field = "project__owner_org"


class Evidence(ArchivedGuard):
    """取证材料: a file checked and stored by audits/evidence.py (content-addressed, so the
    stored name is its SHA-256), attached to one workpaper, flag verification or finding of the
    project (audits/workpapers.py writes and removes them)."""

    project = models.ForeignKey(AuditProject, on_delete=models.CASCADE, related_name="evidence")
    workpaper = models.ForeignKey(Workpaper, verbose_name="工作底稿", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="evidence")
    verification = models.ForeignKey("FlagVerification", verbose_name="疑点核实", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="evidence")
    finding = models.ForeignKey("Finding", verbose_name="审计发现", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="evidence")
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.BigIntegerField("大小（字节）")
    content_type = models.CharField("内容类型", max_length=100)
    kind = models.CharField("文件类型", max_length=50)
    original_name = models.CharField("文件名", max_length=200)
    storage_name = models.CharField("存储名", max_length=100)
    description = models.CharField("说明", max_length=500, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        verbose_name = "取证材料"
        verbose_name_plural = "取证材料"
        ordering = ["project", "uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(workpaper__isnull=True, verification__isnull=True)
                           | models.Q(workpaper__isnull=True, finding__isnull=True)
                           | models.Q(verification__isnull=True, finding__isnull=True)),
                name="evidence_attached_to_one_object",
            )
        ]

# --- 疑点核实 and 审计发现 (issue 15 items 4–5; audits/findings.py writes them) -----------------


class ProblemType(models.Model):
    """问题类型 of a finding: the catalogue (seeded by a data migration; an administrator may add)."""

    name = models.CharField("问题类型", max_length=50, unique=True)
    builtin = models.BooleanField("系统内置", default=False)
    active = models.BooleanField("可用", default=True)
    order = models.PositiveSmallIntegerField("排序", default=100)

    class Meta:
        verbose_name = "问题类型"
        verbose_name_plural = "问题类型"
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class VerificationStatus(models.TextChoices):
    PENDING = "pending", "待核实"
    CONFIRMED = "confirmed", "属实"
    DISMISSED = "dismissed", "排除"


class VerificationQuerySet(GuardedQuerySet):
    unit_field = "org"


class FlagVerification(ArchivedGuard):
    """The verification of a flag (疑点核实) in a project, keyed on what the flag is about — unit,
    year, period, 凭证字, 凭证号, line and rule (``key``, findings.flag_key) — not on the Flag row,
    so a later run's flag of the same key shows as already verified. ``flag_id`` and the copied
    rule name, message and amount record the flag it was made on (runs may be deleted)."""

    project = models.ForeignKey(AuditProject, on_delete=models.CASCADE, related_name="verifications")
    org = models.ForeignKey("orgs.Org", verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField("会计年度")
    period = models.PositiveSmallIntegerField("会计期间", null=True, blank=True)
    voucher_type = models.CharField("凭证字", max_length=16, blank=True)
    voucher_no = models.PositiveIntegerField("凭证号", null=True, blank=True)
    line_no = models.PositiveIntegerField("分录号", null=True, blank=True)
    rule = models.CharField("规则", max_length=32)
    key = models.CharField("疑点键", max_length=200)
    status = models.CharField("核实状态", max_length=16, choices=VerificationStatus.choices, default=VerificationStatus.PENDING)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="核实人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    reason = models.TextField("排除理由", blank=True)
    note = models.TextField("核实说明", blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="核实确认人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField("核实时间", null=True, blank=True)
    flag_id = models.PositiveBigIntegerField("所据疑点", null=True, blank=True)  # no FK: the run may go
    run_id = models.PositiveBigIntegerField("所据筛查", null=True, blank=True)
    rule_name = models.CharField("规则名称", max_length=100, blank=True)
    message = models.TextField("疑点说明", blank=True)
    amount = models.DecimalField("金额", max_digits=18, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    objects = VerificationQuerySet.as_manager()

    class Meta:
        verbose_name = "疑点核实"
        verbose_name_plural = "疑点核实"
        ordering = ["project", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "key"], name="one_verification_per_flag_key")]

    def __str__(self):
        voucher = f"{self.voucher_type}-{self.voucher_no}" if self.voucher_no is not None else "单位级"
        return f"{self.rule} {voucher}"


class FindingQuerySet(GuardedQuerySet):
    unit_field = "org"


class Finding(ArchivedGuard):
    """审计发现 (a verified problem) of a project on one of its units: problem type, amount
    involved (never negative), description, legal basis (free-text citations for now), the
    recommendation, and the verifications and vouchers behind it (``vouchers``: a list of
    [fiscal_year, period, voucher_type, voucher_no])."""

    project = models.ForeignKey(AuditProject, on_delete=models.CASCADE, related_name="findings")
    org = models.ForeignKey("orgs.Org", verbose_name="被审计单位", on_delete=models.PROTECT, related_name="+")
    problem_type = models.ForeignKey(ProblemType, verbose_name="问题类型", on_delete=models.PROTECT, related_name="+")
    title = models.CharField("问题标题", max_length=200)
    amount = models.DecimalField("涉及金额", max_digits=18, decimal_places=2, default=0)
    description = models.TextField("问题描述")
    basis = models.TextField("定性依据", blank=True)
    recommendation = models.TextField("审计建议", blank=True)
    verifications = models.ManyToManyField(FlagVerification, verbose_name="所据疑点核实", blank=True, related_name="findings")
    vouchers = models.JSONField("涉及凭证", default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="填写人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("填写时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    objects = FindingQuerySet.as_manager()

    class Meta:
        verbose_name = "审计发现"
        verbose_name_plural = "审计发现"
        ordering = ["project", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gte=0), name="finding_amount_not_negative")]

    def __str__(self):
        return self.title


@receiver(m2m_changed, sender=Finding.verifications.through)
def _findings_of_archived_projects_stay(sender, instance, action, **kwargs):
    if action.startswith("pre_"):
        if isinstance(instance, Finding):
            instance._refuse_if_archived()
        elif isinstance(instance, FlagVerification):
            instance._refuse_if_archived()


class RectificationQuerySet(GuardedQuerySet):
    unit_field = "finding__org"
    project_path = "finding__project"


class Rectification(ArchivedGuard):
    """整改: one finding's rectification item. The audited unit reports its measures; the
    auditors accept them or return them; past the deadline and not done it is 超期."""

    class Status(models.TextChoices):
        PENDING = "pending", "未整改"
        IN_PROGRESS = "in_progress", "整改中"
        DONE = "done", "已整改"

    finding = models.OneToOneField("audits.Finding", on_delete=models.CASCADE, related_name="rectification")
    deadline = models.DateField("整改期限")
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.PENDING)
    owner = models.CharField("整改责任人", max_length=100, blank=True)
    measures = models.TextField("整改措施和结果", blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="报送人", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    review_note = models.CharField("审核意见", max_length=500, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    reminded_at = models.DateTimeField("最近催办", null=True, blank=True)
    created_at = models.DateTimeField("下达时间", auto_now_add=True)

    objects = RectificationQuerySet.as_manager()

    class Meta:
        verbose_name = "整改事项"
        verbose_name_plural = "整改事项"
        ordering = ["deadline", "id"]

    def _project(self):
        return self.finding.project

    def overdue(self, today=None) -> bool:
        from django.utils import timezone

        return self.status != self.Status.DONE and (today or timezone.localdate()) > self.deadline

    @property
    def state_label(self) -> str:
        return "超期" if self.overdue() else self.get_status_display()
