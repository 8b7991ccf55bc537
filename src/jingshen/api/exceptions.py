"""The API's errors: DRF's handler, with a Chinese message for throttled calls. Every error
answers ``{"detail": "…"}`` (400 with the parameter named, 401, 403, 404, 413, 429)."""

import math

from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "请求内容过大。"
    default_code = "too_large"


def exception_handler(exc, context):
    if isinstance(exc, exceptions.Throttled):
        wait = f"请在 {max(1, math.ceil(exc.wait))} 秒后重试。" if exc.wait is not None else "请稍后重试。"
        exc.detail = exceptions.ErrorDetail(f"请求过于频繁，已超过调用频率限制，{wait}", code="throttled")
    return drf_exception_handler(exc, context)
