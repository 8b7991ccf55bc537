"""The REST API's request size limit. Django's DATA_UPLOAD_MAX_MEMORY_SIZE guards forms, but
DRF's parsers read the body stream themselves; an API request whose declared length exceeds
``API_MAX_REQUEST_BYTES`` is answered 413 before anything reads it."""

from django.conf import settings
from django.http import JsonResponse


class APIRequestSizeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/api/"):
            limit = settings.API_MAX_REQUEST_BYTES
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                return JsonResponse({"detail": f"请求内容过大：接口每次请求最多 {limit // (1024 * 1024)} MB。"}, status=413)
        return self.get_response(request)
