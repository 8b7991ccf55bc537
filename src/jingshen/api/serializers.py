from rest_framework import serializers

from jingshen.accounts.models import User
from jingshen.audits.models import AuditProject, Finding
from jingshen.ledger.models import Dataset
from jingshen.screening.models import CurrentRisk, Flag, ScreeningRun
from jingshen.orgs.models import Org


class OrgSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Org
        fields = ["code", "name", "parent", "level", "level_display", "kind", "kind_display", "member_count"]


class MeSerializer(serializers.ModelSerializer):
    org = OrgSerializer(read_only=True)
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["username", "display_name", "org", "roles", "scopes"]

    scopes = serializers.SerializerMethodField(help_text="API 密钥的权限（登录用户为空）")

    def get_roles(self, user) -> list[str]:
        return sorted(user.roles.values_list("code", flat=True))

    def get_scopes(self, user) -> list[str]:
        return []


class DatasetSerializer(serializers.ModelSerializer):
    org = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="单位编码")
    org_name = serializers.CharField(source="org.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Dataset
        fields = ["id", "org", "org_name", "fiscal_year", "kind", "kind_display", "version", "status", "status_display", "rows",
                  "rejected_rows", "quality_issues", "quality", "source_name", "source_hash", "checksum", "imported_at"]


class RunSerializer(serializers.ModelSerializer):
    scope_org = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="筛查范围的单位编码（空：全部单位）")
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = ScreeningRun
        fields = ["id", "fiscal_year", "scope_org", "engine", "status", "status_display", "started_at", "finished_at"]


class FlagSerializer(serializers.ModelSerializer):
    org = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="单位编码")
    org_name = serializers.CharField(source="org.name", read_only=True)

    class Meta:
        model = Flag
        fields = ["id", "run", "rule", "rule_name", "category", "severity", "score", "voucher_score", "org", "org_name",
                  "fiscal_year", "period", "voucher_type", "voucher_no", "line_no", "amount", "message", "basis", "dataset"]


class RankedUnitSerializer(serializers.Serializer):
    """筛查运行的单位风险排名中的一个单位（运行结束时保存）。"""

    rank = serializers.IntegerField(help_text="在调用者可见单位中的名次")
    org = serializers.CharField(source="org_code", help_text="单位编码")
    org_name = serializers.CharField()
    score = serializers.FloatField(help_text="单位风险分")
    flags = serializers.IntegerField(help_text="疑点数")
    high = serializers.IntegerField(help_text="高风险疑点数")
    vouchers = serializers.IntegerField(help_text="涉及凭证数")
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, help_text="涉及金额")


class CurrentRiskSerializer(serializers.ModelSerializer):
    rank = serializers.IntegerField(read_only=True, help_text="在调用者可见单位中的名次（按风险分从高到低）")
    org = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="单位编码")
    org_name = serializers.CharField(source="org.name", read_only=True)
    level = serializers.CharField(source="org.level", read_only=True)
    kind = serializers.CharField(source="org.kind", read_only=True)

    class Meta:
        model = CurrentRisk
        fields = ["rank", "org", "org_name", "level", "kind", "fiscal_year", "score", "flags", "high", "vouchers", "amount", "run",
                  "finished_at"]


class ProjectSerializer(serializers.ModelSerializer):
    owner_org = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="审计单位的单位编码")
    owner_org_name = serializers.CharField(source="owner_org.name", read_only=True)
    audit_type = serializers.CharField(source="audit_type.name", read_only=True)
    stage_display = serializers.CharField(source="get_stage_display", read_only=True)
    units = serializers.SerializerMethodField(help_text="被审计单位的单位编码")

    class Meta:
        model = AuditProject
        fields = ["id", "code", "name", "owner_org", "owner_org_name", "audit_type", "fiscal_years", "stage", "stage_display",
                  "planned_start", "planned_end", "created_at", "archived_at", "units"]

    def get_units(self, project) -> list[str]:
        return sorted(u.org.code for u in project.units.all())


class FindingSerializer(serializers.ModelSerializer):
    project = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="项目编号")
    org = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="被审计单位的单位编码")
    org_name = serializers.CharField(source="org.name", read_only=True)
    problem_type = serializers.CharField(source="problem_type.name", read_only=True)
    rectification = serializers.SerializerMethodField(help_text="整改情况（未下达整改时为空）")

    class Meta:
        model = Finding
        fields = ["id", "project", "org", "org_name", "problem_type", "title", "amount", "description", "basis", "recommendation",
                  "created_at", "rectification"]

    def get_rectification(self, finding) -> dict | None:
        r = getattr(finding, "rectification", None)
        if r is None:
            return None
        return {"status": r.status, "status_display": r.get_status_display(), "deadline": r.deadline.isoformat(),
                "submitted_at": r.submitted_at.isoformat() if r.submitted_at else None,
                "reviewed_at": r.reviewed_at.isoformat() if r.reviewed_at else None}


class KnowledgeHitSerializer(serializers.Serializer):
    """知识库检索的一条命中结果。"""  # knowledge/search.py Hit; the docstring is the schema's description

    kind = serializers.CharField(help_text="类别：article 法规条文、case 案例、guide 指引笔记、wording 定性表述")
    kind_label = serializers.CharField()
    id = serializers.IntegerField(source="object_id", help_text="对象编号（条文为条文编号）")
    title = serializers.CharField()
    snippet = serializers.CharField(help_text="命中片段（纯文本）")
    score = serializers.FloatField(help_text="相关度")
    regulation = serializers.CharField(allow_blank=True, help_text="法规名称（条文）")
    edition = serializers.CharField(allow_blank=True, help_text="版本（条文）")
    article = serializers.IntegerField(allow_null=True, help_text="条号（条文）")
    level = serializers.CharField(allow_blank=True)
    status = serializers.CharField(allow_blank=True)
    issuer = serializers.CharField(allow_blank=True)
    year = serializers.IntegerField(allow_null=True)
    url = serializers.CharField(help_text="平台中的页面地址")


# --- pushed data ----------------------------------------------------------------------------------


class PushRequestSerializer(serializers.Serializer):
    """一批推送的数据：每一行是导入模板的一行，字段名为模板的列名（或其可识别的别名）。"""

    batch_id = serializers.RegexField(
        r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,99}$", max_length=100,
        help_text="客户端生成的批次号（字母、数字和 . _ : -，不超过 100 个字符）。同一批次重复提交只导入一次",
        error_messages={"invalid": "批次号只能包含字母、数字和 . _ : -，且以字母或数字开头。"})
    org = serializers.CharField(max_length=40, help_text="单位编码（调用者可为其采集数据的单位）")
    fiscal_year = serializers.IntegerField(required=False, min_value=1990, max_value=2100,
                                           help_text="会计年度：行中没有「会计年度」时按此年度（预算表必填）")
    rows = serializers.ListField(child=serializers.DictField(child=serializers.JSONField(allow_null=True)), min_length=1,
                                 help_text="数据行：字段名 → 值（文字或数字）",
                                 error_messages={"min_length": "至少要有一行数据。", "not_a_list": "rows 应为数组。"})


class PushDatasetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    org = serializers.CharField()
    fiscal_year = serializers.IntegerField(allow_null=True)
    kind = serializers.CharField()
    version = serializers.IntegerField()
    rows = serializers.IntegerField()
    merged_from_version = serializers.IntegerField(allow_null=True, required=False,
                                                   help_text="凭证：新版本在哪个版本基础上合并（第一版为空）")


class ReplacedVoucherSerializer(serializers.Serializer):
    org = serializers.CharField()
    fiscal_year = serializers.IntegerField()
    period = serializers.IntegerField()
    voucher_type = serializers.CharField()
    voucher_no = serializers.IntegerField()


class PushResultSerializer(serializers.Serializer):
    """推送结果：接收的批次、生成（或与已有版本相同）的数据集、被替换的同号凭证。"""

    batch_id = serializers.CharField()
    org = serializers.CharField()
    kind = serializers.CharField()
    rows = serializers.IntegerField()
    duplicate = serializers.BooleanField(help_text="该批次此前已接收过：返回的是第一次的结果，未重复导入")
    received_at = serializers.DateTimeField()
    summary = serializers.CharField()
    datasets = PushDatasetSerializer(many=True)
    replaced = ReplacedVoucherSerializer(many=True, help_text="凭证：本批次替换的已有同号凭证（期间、凭证字、凭证号相同）")


class PushErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text="出错的行（rows 中的第几行，从 1 起）")
    column = serializers.CharField(allow_null=True)
    value = serializers.CharField(allow_null=True)
    message = serializers.CharField(help_text="错误原因（与文件导入的说法相同）")


class PushRefusedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = PushErrorSerializer(many=True)
    error_total = serializers.IntegerField()
