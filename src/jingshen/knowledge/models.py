"""The knowledge models: regulations (法规) and their articles, citations (引用) frozen at the
cited edition, cases (案例), guides (指引、笔记) with attachments, and standard finding wordings
(常用问题定性表述). Who reads and who writes is in knowledge/access.py (on orgs/scope.py);
every write is a service that logs (knowledge/services.py and its siblings) and sends
signals.content_changed for the search index."""

from django.conf import settings
from django.db import models

from jingshen.orgs.models import Kind
from jingshen.orgs.querysets import UnitQuerySet


class OwnedQuerySet(UnitQuerySet):
    """Knowledge belongs to the unit that publishes it; readers are decided by access.py, not by
    ``restrict`` (reading runs down the tree from the publisher, not up to it)."""

    unit_field = "owner_org"


class RegulationLevel(models.TextChoices):
    LAW = "law", "法律"
    ADMINISTRATIVE = "administrative", "行政法规"
    DEPARTMENTAL = "departmental", "部门规章"
    ACFTU = "acftu", "全总文件"
    PROVINCIAL = "provincial", "省级文件"
    UNIT = "unit", "本单位制度"


class RegulationStatus(models.TextChoices):
    CURRENT = "current", "现行"
    REVISED = "revised", "已修订"
    REPEALED = "repealed", "已废止"


class Regulation(models.Model):
    """One edition of a regulation (法规、文件、制度) published by a unit. A new edition is a new
    row; the old one becomes 已修订 with ``replaced_by`` pointing at the new, so a citation of the
    old edition keeps its text. ``gist`` marks entries whose article texts are summaries written
    by us (要点), not the official text."""

    owner_org = models.ForeignKey("orgs.Org", verbose_name="发布单位", on_delete=models.PROTECT, related_name="+")
    name = models.CharField("名称", max_length=200)
    issuer = models.CharField("制定机关", max_length=200, blank=True)
    doc_no = models.CharField("文号", max_length=100, blank=True)
    edition = models.CharField("版本", max_length=100)  # a date or a label such as 2021年修正
    edition_date = models.DateField("版本日期", null=True, blank=True)
    effective_on = models.DateField("施行日期", null=True, blank=True)
    level = models.CharField("层级", max_length=16, choices=RegulationLevel.choices)
    status = models.CharField("状态", max_length=16, choices=RegulationStatus.choices, default=RegulationStatus.CURRENT)
    replaced_by = models.ForeignKey("self", verbose_name="修订或替代为", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="replaces")
    gist = models.BooleanField("条文为要点（非正式文本）", default=False)
    preamble = models.TextField("题注", blank=True)  # adoption and amendment history above the first chapter
    source_name = models.CharField("来源文件", max_length=255, blank=True)
    source_hash = models.CharField("来源文件 SHA-256", max_length=64, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发布人", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField("发布时间", auto_now_add=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "法规"
        verbose_name_plural = "法规"
        ordering = ["name", "-edition_date", "-id"]
        constraints = [models.UniqueConstraint(fields=["owner_org", "name", "edition"], name="regulation_edition_once")]

    def __str__(self):
        return f"《{self.name}》（{self.edition}）"


class Article(models.Model):
    """An article (条) of one edition: its chapter (章) and section (节) headings as written, its
    number as written (第四十三条) and as an integer, its full text (paragraphs joined by a line
    break) and its items （一）（二）… as [{"label": "（一）", "text": "…"}]."""

    regulation = models.ForeignKey(Regulation, on_delete=models.CASCADE, related_name="articles")
    chapter = models.CharField("章", max_length=200, blank=True)
    section = models.CharField("节", max_length=200, blank=True)
    number = models.PositiveIntegerField("条号")
    number_text = models.CharField("条号（原文）", max_length=30)
    text = models.TextField("条文")
    items = models.JSONField("项", default=list, blank=True)

    class Meta:
        verbose_name = "条文"
        verbose_name_plural = "条文"
        ordering = ["regulation", "number"]
        constraints = [models.UniqueConstraint(fields=["regulation", "number"], name="article_number_once")]

    def __str__(self):
        return f"{self.regulation} {self.number_text}"


class Citation(models.Model):
    """A citation (引用) by a rule, finding, workpaper or case of one article of one edition, or
    — when the text is not in the library — a plain citation (``article`` empty, ``plain``). The
    cited words are frozen in ``quoted_text`` when the citation is made, so a later edition never
    changes what an old finding cited. Exactly one of ``rule``/``finding``/``workpaper``/``case``
    names who cites."""

    rule = models.CharField("规则", max_length=32, blank=True)  # a rule code of the rule pack (rules live in files)
    finding = models.ForeignKey("audits.Finding", null=True, blank=True, on_delete=models.CASCADE, related_name="citations")
    workpaper = models.ForeignKey("audits.Workpaper", null=True, blank=True, on_delete=models.CASCADE, related_name="citations")
    case = models.ForeignKey("Case", null=True, blank=True, on_delete=models.CASCADE, related_name="citations")
    regulation = models.ForeignKey(Regulation, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.PROTECT, related_name="citations")
    regulation_name = models.CharField("法规名称", max_length=200)
    edition = models.CharField("版本", max_length=100, blank=True)
    doc_no = models.CharField("文号", max_length=100, blank=True)
    article_number = models.PositiveIntegerField("条号", null=True, blank=True)
    article_label = models.CharField("条款（原文）", max_length=60, blank=True)  # 第四十三条第二项
    quoted_text = models.TextField("引用的条文", blank=True)
    plain = models.BooleanField("未收录于法规库", default=False)
    position = models.PositiveSmallIntegerField("顺序", default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("引用时间", auto_now_add=True)

    class Meta:
        verbose_name = "引用"
        verbose_name_plural = "引用"
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(finding__isnull=False, workpaper__isnull=True, case__isnull=True, rule="")
                           | models.Q(finding__isnull=True, workpaper__isnull=False, case__isnull=True, rule="")
                           | models.Q(finding__isnull=True, workpaper__isnull=True, case__isnull=False, rule="")
                           | (models.Q(finding__isnull=True, workpaper__isnull=True, case__isnull=True) & ~models.Q(rule=""))),
                name="citation_has_one_citer",
            ),
            models.CheckConstraint(condition=models.Q(plain=True) | models.Q(article__isnull=False), name="citation_article_or_plain"),
        ]

    def __str__(self):
        return f"《{self.regulation_name}》{self.article_label}"


class CaseStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待审核"
    RETURNED = "returned", "已退回"
    PUBLISHED = "published", "已发布"
    WITHDRAWN = "withdrawn", "已撤回"


class Case(models.Model):
    """A case (案例): an anonymised problem with its facts, basis (citations), handling and lessons.
    Written by its author at ``owner_org`` (often from a finding: ``source_finding``), submitted,
    and published after approval by the 经审负责人 of a unit above (``approved_org``): a published
    case is read in the subtree of ``approved_org``; a draft only by its author and its approvers."""

    owner_org = models.ForeignKey("orgs.Org", verbose_name="编写单位", on_delete=models.PROTECT, related_name="+")
    title = models.CharField("标题", max_length=200)
    unit_kind = models.CharField("单位性质", max_length=32, choices=Kind.choices, blank=True)
    year = models.PositiveSmallIntegerField("年度")
    problem_type = models.ForeignKey("audits.ProblemType", verbose_name="问题类型", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField("涉及金额", max_digits=18, decimal_places=2, default=0)
    facts = models.TextField("基本事实")
    handling = models.TextField("处理情况", blank=True)
    lessons = models.TextField("启示", blank=True)
    rules = models.JSONField("相关规则", default=list, blank=True)  # rule codes
    status = models.CharField("状态", max_length=16, choices=CaseStatus.choices, default=CaseStatus.DRAFT)
    source_finding = models.ForeignKey("audits.Finding", verbose_name="来源审计发现", null=True, blank=True,
                                       on_delete=models.SET_NULL, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="编写人", on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    approved_org = models.ForeignKey("orgs.Org", verbose_name="发布范围（审核单位）", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField("发布时间", null=True, blank=True)
    review_note = models.TextField("审核意见", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "案例"
        verbose_name_plural = "案例"
        ordering = ["-year", "-approved_at", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gte=0), name="case_amount_not_negative")]

    def __str__(self):
        return self.title


class GuideKind(models.TextChoices):
    GUIDE = "guide", "操作指引"
    NOTE = "note", "工作笔记"
    TRAINING = "training", "培训资料"


class Guide(models.Model):
    """A guide or note of the 知识库: formatted text (Markdown, rendered through a sanitiser) with
    attachments, published for ``owner_org`` and read in its subtree."""

    owner_org = models.ForeignKey("orgs.Org", verbose_name="发布单位", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("类别", max_length=16, choices=GuideKind.choices, default=GuideKind.GUIDE)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("正文（Markdown）")
    rules = models.JSONField("相关规则", default=list, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="编写人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "知识条目"
        verbose_name_plural = "知识条目"
        ordering = ["-updated_at", "-id"]

    def __str__(self):
        return self.title


class GuideAttachment(models.Model):
    """A file of a guide, checked and stored like evidence (audits/evidence.py)."""

    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, related_name="attachments")
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.BigIntegerField("大小（字节）")
    content_type = models.CharField("内容类型", max_length=100)
    kind = models.CharField("文件类型", max_length=50)
    original_name = models.CharField("文件名", max_length=200)
    storage_name = models.CharField("存储名", max_length=100)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"
        ordering = ["guide", "uploaded_at", "id"]


class StandardWording(models.Model):
    """常用问题定性表述: a standard wording of a problem (with its usual basis and recommendation),
    offered when an auditor writes a finding of that problem type."""

    owner_org = models.ForeignKey("orgs.Org", verbose_name="发布单位", on_delete=models.PROTECT, related_name="+")
    problem_type = models.ForeignKey("audits.ProblemType", verbose_name="问题类型", on_delete=models.PROTECT, related_name="+")
    title = models.CharField("问题", max_length=200)
    wording = models.TextField("定性表述")
    basis = models.TextField("常用依据", blank=True)
    recommendation = models.TextField("常用审计建议", blank=True)
    rules = models.JSONField("相关规则", default=list, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="编写人", on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "定性表述"
        verbose_name_plural = "定性表述"
        ordering = ["problem_type", "title", "id"]

    def __str__(self):
        return self.title
from jingshen.knowledge.search_models import SearchEntry, SearchKind  # noqa: E402,F401  (the search index, knowledge/search.py)
