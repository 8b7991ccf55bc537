"""The OpenAPI schema's conventions (DEFAULT_SCHEMA_CLASS): each view's ``query_serializer``
appears as its query parameters, and every operation documents the error answers, which all
have the body ``{"detail": "…"}`` with a Chinese message."""

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from jingshen.querystring import QueryParams


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="错误说明（中文）")


ERRORS = {
    "400": "参数无效（detail 指出参数名）",
    "401": "未登录，或 API 密钥无效、已撤销、已过期",
    "403": "无权调用该接口（如 API 密钥没有所需权限）",
    "404": "对象不存在或不在调用者权限范围内",
    "413": "请求内容过大",
    "429": "调用过于频繁（detail 说明几秒后重试）",
}


class AutoSchema(BaseAutoSchema):
    def get_override_parameters(self):
        params = super().get_override_parameters()
        query = getattr(self.view, "query_serializer", None)
        if query is not None and query is not QueryParams and query().fields:
            params = [*params, query]
        return params

    def _get_response_bodies(self, direction="response"):
        bodies = super()._get_response_bodies(direction)
        if direction == "response" and self.view.__class__.__module__.startswith("jingshen."):
            for code, text in ERRORS.items():
                if code not in bodies:
                    bodies[code] = self._get_response_for_code(OpenApiResponse(ErrorSerializer, description=text), code)
        return bodies
