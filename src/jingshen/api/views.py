"""REST API. Every endpoint answers only within the caller's unit scope (jingshen.orgs.scope),
asked through the apps' ``access.py`` exactly as the pages ask it; the caller is a signed-in
user or an API key (``scope.KeyPrincipal``), and each view names the key scopes it answers to
(``key_scopes``, api/permissions.py). Lists are paginated (limit/offset) and each list call is
one entry in the activity log (``ScopedListView``)."""

from django.db.models import Exists, F, OuterRef, Prefetch, Window
from django.db.models.functions import RowNumber
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import APIView

from jingshen.activity.services import record
from jingshen.api.permissions import ANY_KEY
from jingshen.api.services import caller_entry
from jingshen.api.serializers import (CurrentRiskSerializer, DatasetSerializer, FindingSerializer, FlagSerializer,
                                      KnowledgeHitSerializer, MeSerializer, OrgSerializer, ProjectSerializer,
                                      RankedUnitSerializer, RunSerializer)
from jingshen.audits import access as audit_access
from jingshen.audits import findings as audit_findings
from jingshen.audits.models import ProjectUnit, Stage
from jingshen.knowledge import search
from jingshen.knowledge.models import RegulationLevel, RegulationStatus
from jingshen.ledger import access as ledger_access
from jingshen.ledger.models import Dataset, DatasetKind
from jingshen.orgs import scope
from jingshen.orgs.models import Kind, Level
from jingshen.portal import access as portal_access
from jingshen.querystring import AMOUNT_LIMIT, YEARS, BoundedLimitOffsetPagination, QueryParams
from jingshen.screening import access as screening_access
from jingshen.screening.rules import CATEGORIES, SEVERITIES
from jingshen.screening.views import FLAG_ORDER

FLAGS, PROJECTS, PUSH, KNOWLEDGE = "read_flags", "read_projects", "push", "read_knowledge"


def record_call(request, action: str, summary: str, **details) -> None:
    """One activity-log entry for one API call (a write, or a bulk read), whoever makes it: a
    user as actor, or a key named in ``via_key`` (a key is nobody's login)."""
    actor, org, who, prefix = caller_entry(request.user)
    record(action, prefix + summary, actor=actor, org=org, endpoint=request.path[:200], method=request.method, **who, **details)


class ScopedListView(generics.ListAPIView):
    """A paginated list of what the caller may see. ``query_serializer`` declares the query
    parameters (400 with a Chinese ``detail`` for a bad one); ``what`` names the list in the
    activity log, where each call is one entry (``api.read``), not one per row."""

    query_serializer = QueryParams
    what = ""

    @property
    def params(self) -> dict:
        if not hasattr(self, "_params"):
            self._params = self.query_serializer.parse(self.request)
        return self._params

    def list(self, request, *args, **kwargs):
        return self.logged(super().list(request, *args, **kwargs))

    def logged(self, response):
        """Record the call in the activity log, once, with what it returned."""
        request = self.request
        data = response.data
        shown = len(data.get("results", ())) if isinstance(data, dict) else len(data)
        total = data.get("count", shown) if isinstance(data, dict) else shown
        start = self.paginator.offset if getattr(self.paginator, "offset", None) is not None else 0
        record_call(request, "api.read", f"通过接口读取{self.what} {shown} 条（共 {total} 条）",
                    params={k: str(v) for k, v in self.params.items()}, offset=start, count=shown, total=total,
                    **self.log_details())
        return response

    def log_details(self) -> dict:
        return {}


def choice(choices, help_text: str) -> serializers.ChoiceField:
    """An optional choice parameter; the error does not echo the refused value (it may be HTML)."""
    return serializers.ChoiceField(required=False, choices=choices, help_text=help_text,
                                   error_messages={"invalid_choice": "不是可选的值。"})


def _org(request, code: str, action: str):
    """A unit named by a query parameter: 404 outside the caller's scope for ``action``."""
    return scope.get_org_for_user(request.user, code, action)


# --- who calls, units -----------------------------------------------------------------------------


class MeView(APIView):
    """The caller: a signed-in user (unit and roles) or an API key (unit and scopes)."""

    serializer_class = MeSerializer
    key_scopes = ANY_KEY

    @extend_schema(summary="当前调用者", description="登录用户：用户名、单位和角色；API 密钥：密钥名称、所属单位和权限。")
    def get(self, request):
        caller = request.user
        if isinstance(caller, scope.KeyPrincipal):
            key = caller.key
            return Response({"username": caller.username, "display_name": key.name, "org": OrgSerializer(key.org).data,
                             "roles": [], "scopes": sorted(caller.scopes)})
        return Response(MeSerializer(caller).data)


class OrgListQuery(QueryParams):
    parent = serializers.CharField(required=False, allow_blank=True, max_length=40, help_text="只列出该单位的直接下级")


@extend_schema_view(get=extend_schema(summary="单位列表", description="调用者可见的单位；?parent=单位编码 列出其直接下级。"))
class OrgListView(ScopedListView):
    serializer_class = OrgSerializer
    query_serializer = OrgListQuery
    key_scopes = ANY_KEY
    what = "单位列表"

    def get_queryset(self):
        qs = scope.visible_orgs(self.request.user).select_related("parent").order_by("code")
        parent = self.params.get("parent")
        if parent:
            qs = qs.filter(parent=scope.get_org_for_user(self.request.user, parent))
        return qs


@extend_schema_view(get=extend_schema(summary="单位详情", description="单位不存在或不在调用者权限范围内时返回 404。"))
class OrgDetailView(generics.RetrieveAPIView):
    serializer_class = OrgSerializer
    key_scopes = ANY_KEY

    def get_object(self):
        return scope.get_org_for_user(self.request.user, self.kwargs["code"])


# --- datasets -------------------------------------------------------------------------------------


class DatasetQuery(QueryParams):
    org = serializers.CharField(required=False, max_length=40, help_text="单位编码（不在权限范围内返回 404）")
    year = serializers.IntegerField(required=False, min_value=YEARS[0], max_value=YEARS[1], help_text="会计年度")
    kind = choice(DatasetKind.choices, help_text="数据类型")
    latest = serializers.BooleanField(required=False, default=False, help_text="只列出每个单位、年度、类型的最新版本")


@extend_schema_view(get=extend_schema(summary="数据集列表", description="调用者可查看的单位已导入的数据集（每次导入一个版本）。"
                                      "API 密钥需要“推送数据”或“读取疑点”权限。"))
class DatasetListView(ScopedListView):
    serializer_class = DatasetSerializer
    query_serializer = DatasetQuery
    key_scopes = (PUSH, FLAGS)
    what = "数据集列表"

    def get_queryset(self):
        p = self.params
        qs = ledger_access.datasets_for(self.request.user, scope.VIEW)
        if p.get("org"):
            qs = qs.filter(org=_org(self.request, p["org"], scope.VIEW))
        if p.get("year"):
            qs = qs.filter(fiscal_year=p["year"])
        if p.get("kind"):
            qs = qs.filter(kind=p["kind"])
        if p.get("latest"):
            newer = Dataset.objects.filter(org=OuterRef("org"), fiscal_year=OuterRef("fiscal_year"), kind=OuterRef("kind"),
                                           version__gt=OuterRef("version"))
            qs = qs.exclude(Exists(newer))
        return qs.order_by("org__code", "-fiscal_year", "kind", "-version")


@extend_schema_view(get=extend_schema(summary="数据集详情"))
class DatasetDetailView(generics.RetrieveAPIView):
    serializer_class = DatasetSerializer
    key_scopes = (PUSH, FLAGS)

    def get_object(self):
        return ledger_access.get_dataset_for_user(self.request.user, self.kwargs["dataset_id"])


# --- screening: runs, flags, rankings -------------------------------------------------------------


class RunQuery(QueryParams):
    year = serializers.IntegerField(required=False, min_value=YEARS[0], max_value=YEARS[1], help_text="会计年度")


@extend_schema_view(get=extend_schema(summary="筛查运行列表", description="筛查了调用者可查看疑点的单位的运行。需要“读取疑点”权限。"))
class RunListView(ScopedListView):
    serializer_class = RunSerializer
    query_serializer = RunQuery
    key_scopes = (FLAGS,)
    what = "筛查运行列表"

    def get_queryset(self):
        qs = screening_access.runs_for(self.request.user).select_related("scope_org")
        if self.params.get("year"):
            qs = qs.filter(fiscal_year=self.params["year"])
        return qs.order_by("-id")


@extend_schema_view(get=extend_schema(summary="筛查运行详情"))
class RunDetailView(generics.RetrieveAPIView):
    serializer_class = RunSerializer
    key_scopes = (FLAGS,)

    def get_object(self):
        return screening_access.get_run_for_user(self.request.user, self.kwargs["run_id"])


class FlagQuery(QueryParams):
    """The run page's flag filters (screening/views.py FlagQuery)."""

    rule = serializers.CharField(required=False, max_length=40, help_text="规则编号，如 JS-CASH-001")
    category = choice(CATEGORIES, help_text="类别")
    severity = choice(SEVERITIES, help_text="风险等级")
    org = serializers.CharField(required=False, max_length=40, help_text="单位编码")
    period = serializers.IntegerField(required=False, min_value=1, max_value=12, help_text="会计期间")
    amount_min = serializers.DecimalField(required=False, max_digits=18, decimal_places=2, min_value=-AMOUNT_LIMIT,
                                          max_value=AMOUNT_LIMIT, help_text="金额不低于")
    amount_max = serializers.DecimalField(required=False, max_digits=18, decimal_places=2, min_value=-AMOUNT_LIMIT,
                                          max_value=AMOUNT_LIMIT, help_text="金额不高于")


FLAG_FILTERS = (("rule", "rule"), ("category", "category"), ("severity", "severity"), ("org", "org__code"), ("period", "period"),
                ("amount_min", "amount__gte"), ("amount_max", "amount__lte"))


@extend_schema_view(get=extend_schema(summary="疑点清单", description="一次筛查运行在调用者可查看疑点的单位上的疑点，筛选条件与页面相同，"
                                      "顺序与页面相同（凭证风险分从高到低）。需要“读取疑点”权限。"))
class FlagListView(ScopedListView):
    serializer_class = FlagSerializer
    query_serializer = FlagQuery
    key_scopes = (FLAGS,)
    what = "疑点清单"

    def get_queryset(self):
        self.run = screening_access.get_run_for_user(self.request.user, self.kwargs["run_id"])
        flags = screening_access.flags_for(self.request.user, self.run).select_related("org")
        for name, lookup in FLAG_FILTERS:
            if self.params.get(name) not in (None, ""):
                flags = flags.filter(**{lookup: self.params[name]})
        return flags.order_by(*FLAG_ORDER)

    def log_details(self):
        return {"run": self.run.pk}


@extend_schema_view(get=extend_schema(summary="筛查运行的单位风险排名", description="运行结束时保存的单位风险排名中调用者可查看疑点的单位，"
                                      "按风险分从高到低，名次在这些单位中重新计算。需要“读取疑点”权限。"))
class RunRankingView(ScopedListView):
    serializer_class = RankedUnitSerializer
    key_scopes = (FLAGS,)
    what = "单位风险排名"

    def get_queryset(self):
        self.run = screening_access.get_run_for_user(self.request.user, self.kwargs["run_id"])
        visible = set(scope.orgs_for(self.request.user, scope.VIEW_FLAGS).values_list("pk", flat=True))
        ranked = [u for u in self.run.ranking if u["org_id"] in visible]
        return [{**u, "rank": position} for position, u in enumerate(ranked, start=1)]

    def log_details(self):
        return {"run": self.run.pk}


class RiskQuery(QueryParams):
    year = serializers.IntegerField(required=False, min_value=YEARS[0], max_value=YEARS[1], help_text="会计年度")
    level = choice(Level.choices, help_text="层级")
    kind = choice(Kind.choices, help_text="单位性质")


@extend_schema_view(get=extend_schema(summary="单位当前风险排名", description="每个单位最近一次完成的筛查得出的风险分（门户的风险预警），"
                                      "调用者可查看疑点的单位，按风险分从高到低。需要“读取疑点”权限。"))
class RiskListView(ScopedListView):
    serializer_class = CurrentRiskSerializer
    query_serializer = RiskQuery
    key_scopes = (FLAGS,)
    what = "单位风险排名"

    def get_queryset(self):
        p = self.params
        qs = portal_access.risks_for(self.request.user).select_related("org")
        for name, lookup in (("year", "fiscal_year"), ("level", "org__level"), ("kind", "org__kind")):
            if p.get(name):
                qs = qs.filter(**{lookup: p[name]})
        order = (F("score").desc(), F("org__code").asc())
        return qs.annotate(rank=Window(RowNumber(), order_by=order)).order_by(*order)


# --- audit projects, findings, rectification ------------------------------------------------------


class ProjectQuery(QueryParams):
    stage = choice(Stage.choices, help_text="阶段")
    org = serializers.CharField(required=False, max_length=40, help_text="审计单位的单位编码")


def _projects(user):
    units = Prefetch("units", queryset=ProjectUnit.objects.select_related("org"))
    return audit_access.projects_for(user).select_related("owner_org", "audit_type").prefetch_related(units)


@extend_schema_view(get=extend_schema(summary="审计项目列表", description="调用者可查看的审计项目（概要）。需要“读取审计项目”权限。"))
class ProjectListView(ScopedListView):
    serializer_class = ProjectSerializer
    query_serializer = ProjectQuery
    key_scopes = (PROJECTS,)
    what = "审计项目列表"

    def get_queryset(self):
        p = self.params
        qs = _projects(self.request.user)
        if p.get("stage"):
            qs = qs.filter(stage=p["stage"])
        if p.get("org"):
            qs = qs.filter(owner_org__code=p["org"])
        return qs.order_by("-id")


@extend_schema_view(get=extend_schema(summary="审计项目详情（概要）"))
class ProjectDetailView(generics.RetrieveAPIView):
    serializer_class = ProjectSerializer
    key_scopes = (PROJECTS,)

    def get_object(self):
        project = audit_access.get_project_for_user(self.request.user, self.kwargs["project_id"])
        return _projects(self.request.user).get(pk=project.pk)


@extend_schema_view(get=extend_schema(summary="审计项目的审计发现及整改情况",
                                      description="项目中调用者可查看的审计发现，每条附整改状态。需要“读取审计项目”权限；"
                                      "项目组成员须先在项目页面确认审计纪律。"))
class FindingListView(ScopedListView):
    serializer_class = FindingSerializer
    key_scopes = (PROJECTS,)
    what = "审计发现"

    def get_queryset(self):
        user = self.request.user
        self.project = audit_access.get_project_for_user(user, self.kwargs["project_id"])
        audit_access.check_discipline(user, self.project)
        return (audit_findings.findings_for(user, self.project)
                .select_related("project", "org", "problem_type", "rectification").order_by("id"))

    def log_details(self):
        return {"project": self.project.code}


# --- knowledge search -----------------------------------------------------------------------------


class KnowledgeQuery(QueryParams):
    q = serializers.CharField(max_length=search.MAX_QUERY * 2, help_text=f"检索内容（不超过 {search.MAX_QUERY} 个字）")
    kind = choice(list(search.KINDS.items()), help_text="类别")
    level = choice(RegulationLevel.choices, help_text="法规层级")
    status = choice(RegulationStatus.choices, help_text="法规状态")
    issuer = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text="制定机关或发布单位（包含该文字即可）")
    year = serializers.IntegerField(required=False, min_value=YEARS[0], max_value=YEARS[1], help_text="年度（法规的版本或施行年度，案例年度）")


class SearchPagination(BoundedLimitOffsetPagination):
    default_limit = 20
    max_limit = search.MAX_LIMIT


@extend_schema_view(get=extend_schema(summary="知识库检索", description="在法规条文、案例、指引笔记和常用问题定性表述中检索，最相关的在前，"
                                      "只返回调用者可以查看的内容（与知识库页面的检索相同）。API 密钥需要“读取知识库”权限。"))
class KnowledgeSearchView(ScopedListView):
    serializer_class = KnowledgeHitSerializer
    query_serializer = KnowledgeQuery
    pagination_class = SearchPagination
    key_scopes = (KNOWLEDGE,)
    what = "知识库检索结果"

    def get_queryset(self):
        return []  # the search index answers (list below); this is for the schema

    def list(self, request, *args, **kwargs):
        p, paginator = self.params, self.paginator
        limit, offset = paginator.get_limit(request), paginator.get_offset(request)
        filters = search.Filters(kind=p.get("kind", ""), level=p.get("level", ""), status=p.get("status", ""),
                                 issuer=p.get("issuer", "").strip(), year=p.get("year"))
        try:
            result = search.search(request.user, p["q"], filters, limit=limit, offset=offset)
        except search.QueryError as exc:
            raise ParseError(detail=f"参数 q：{exc}") from None
        paginator.count, paginator.limit, paginator.offset, paginator.request = result.total, limit, offset, request
        return self.logged(paginator.get_paginated_response(self.get_serializer(result.hits, many=True).data))
