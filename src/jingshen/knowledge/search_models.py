"""The search index of the knowledge app (issue 16 item 5): one ``SearchEntry`` per indexed
article, published case, guide or standard wording, holding the segmented text the database's
full-text engine matches on (knowledge/search.py writes it; nothing else does).

The full-text part is not a Django field: on SQLite an FTS5 table ``knowledge_search_fts``
(external content over this table, kept in step by triggers); on PostgreSQL a generated
``document`` tsvector column with a GIN index. Both are created by migration 0002 for their
database only."""

from django.db import models


class SearchKind(models.TextChoices):
    ARTICLE = "article", "法规条文"
    CASE = "case", "案例"
    GUIDE = "guide", "指引笔记"
    WORDING = "wording", "定性表述"


class SearchEntry(models.Model):
    """One searchable object. ``org`` is the unit whose readers may find it (the publisher; for a
    case the approving unit), used to filter by ``scope.knowledge_sources``; the final answer is
    checked again against knowledge/access.py. ``title_tokens`` and ``tokens`` are the
    segmented title and body (words separated by spaces); ``text`` is the plain body the snippet
    is cut from."""

    kind = models.CharField("类别", max_length=16, choices=SearchKind.choices)
    object_id = models.PositiveBigIntegerField("对象编号")
    org = models.ForeignKey("orgs.Org", verbose_name="可见范围（发布单位）", on_delete=models.CASCADE, related_name="+")
    title = models.CharField("标题", max_length=400)
    text = models.TextField("正文")
    title_tokens = models.TextField("标题分词")
    tokens = models.TextField("正文分词")
    level = models.CharField("层级", max_length=16, blank=True)
    status = models.CharField("状态", max_length=16, blank=True)
    issuer = models.CharField("制定机关", max_length=200, blank=True)
    year = models.PositiveSmallIntegerField("年度", null=True, blank=True)
    regulation_id = models.PositiveBigIntegerField("法规编号", null=True, blank=True)
    regulation_name = models.CharField("法规名称", max_length=200, blank=True)
    edition = models.CharField("版本", max_length=100, blank=True)
    article_number = models.PositiveIntegerField("条号", null=True, blank=True)

    class Meta:
        verbose_name = "检索索引"
        verbose_name_plural = "检索索引"
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="search_entry_once")]
        indexes = [models.Index(fields=["regulation_id"], name="search_entry_regulation")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.title}"
