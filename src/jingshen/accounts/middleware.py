"""While a user must change a generated password, nothing else is open to them."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

# the pages a user who must change their password may still reach
ALLOWED_URL_NAMES = {"password_change", "logout", "login", "healthz"}
MESSAGE = "您的密码由管理员生成，请先修改密码后再使用系统。"


class PasswordChangeRequiredMiddleware:
    """Pages redirect to 修改密码 (htmx requests get ``HX-Redirect``); API requests answer 403
    with a Chinese JSON message. The change page, logout and static files stay reachable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if not (user and user.is_authenticated and user.must_change_password):
            return None
        match = request.resolver_match
        if (match and match.url_name in ALLOWED_URL_NAMES) or request.path_info.startswith(settings.STATIC_URL):
            return None
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": MESSAGE}, status=403, json_dumps_params={"ensure_ascii": False})
        target = reverse("password_change")
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return redirect(target)
