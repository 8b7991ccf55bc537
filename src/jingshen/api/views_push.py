"""Push endpoints (联网采集): a finance system sends a batch of vouchers, balances, a budget or an
asset register as rows of the import template, and it is imported as a file of that kind would
be (``api.services.push``). Idempotent by the client's batch id; a batch with any bad row is
refused whole, with each row's error in the importers' words."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from jingshen.api import services
from jingshen.api.models import PushKind
from jingshen.api.schema import ErrorSerializer
from jingshen.api.serializers import PushRefusedSerializer, PushRequestSerializer, PushResultSerializer
from jingshen.orgs import scope
from jingshen.querystring import error_detail

PUSH = "push"
ROW_SHAPES = {
    PushKind.VOUCHERS: "每行一条分录，字段同凭证导入模板（凭证日期、凭证字、凭证号、分录号、摘要、科目编码、借方金额、贷方金额、往来单位……）。"
                       "新版本 = 该单位该年度的最新版本 + 本批次，期间、凭证字、凭证号相同的凭证以本批次为准（在 replaced 中列出），"
                       "所以三月推送的凭证不会抹掉一月的。",
    PushKind.BALANCES: "每行一个科目，字段同科目余额导入模板（科目编码、期初余额、本期借方、本期贷方、期末余额……）；每批即该单位该年度完整的一版。",
    PushKind.BUDGETS: "每行一个预算项目，字段同工会经费收支预算表（科目编号、名称、上年决算数、本年预算数、调整预算数、说明）；"
                      "fiscal_year 必填；每批即一个新的预算版本。",
    PushKind.ASSETS: "每行一张资产卡片，字段同固定资产卡片导入模板；每批即该单位资产卡片的一个新版本。",
}


def result_data(result: services.PushResult) -> dict:
    batch = result.batch
    return {"batch_id": batch.batch_id, "org": batch.org.code, "kind": batch.kind, "rows": batch.rows,
            "duplicate": result.duplicate, "received_at": batch.received_at, **batch.result}


class PushView(APIView):
    kind = ""
    key_scopes = (PUSH,)
    parser_classes = [JSONParser]

    def post(self, request):
        body = PushRequestSerializer(data=request.data)
        if not body.is_valid():
            raise ParseError(detail=error_detail(body.errors))
        d = body.validated_data
        if len(d["rows"]) > services.MAX_PUSH_ROWS:
            raise ParseError(detail=f"参数 rows：一批最多 {services.MAX_PUSH_ROWS:,} 行，请分批推送。")
        org = scope.get_org_for_user(request.user, d["org"], scope.IMPORT)
        try:
            result = services.push(request.user, kind=self.kind, org=org, batch_id=d["batch_id"], rows=d["rows"],
                                   fiscal_year=d.get("fiscal_year"))
        except services.BatchRefused as exc:
            return Response({"detail": services.REFUSED, "errors": exc.errors, "error_total": exc.total},
                            status=status.HTTP_400_BAD_REQUEST)
        except services.BatchConflict as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(PushResultSerializer(result_data(result)).data,
                        status=status.HTTP_200_OK if result.duplicate else status.HTTP_201_CREATED)


def push_view(kind: str, label: str):
    description = (f"推送{label}。{ROW_SHAPES[kind]} API 密钥需要“推送数据”权限，且只能为密钥所属单位及其下级推送；"
                   "登录用户需要该单位的数据采集权限。同一 batch_id 再次提交相同内容返回第一次的结果（duplicate 为 true），"
                   "内容不同返回 409。有任何一行错误则整批不导入，返回 400 和每行的错误。")
    schema = extend_schema(
        summary=f"推送{label}", description=description, request=PushRequestSerializer,
        responses={201: PushResultSerializer, 200: PushResultSerializer,
                   400: OpenApiResponse(PushRefusedSerializer, description="批次被拒绝（errors 列出每行的错误），或参数无效（只有 detail）"),
                   409: OpenApiResponse(ErrorSerializer, description="批次号已用于不同的内容，或同一批次正在导入")},
    )

    def post(self, request):  # one function per kind: the schema annotation is kept on the function
        return PushView.post(self, request)

    return type(f"Push{kind.title()}View", (PushView,), {"kind": kind, "__doc__": f"推送{label}。", "post": schema(post)})
