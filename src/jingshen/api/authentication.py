"""API keys on the wire: ``Authorization: Bearer <key>`` or ``X-Api-Key: <key>``.

Only the REST API (DRF views under /api/v1/) runs this class; web pages authenticate by the
session alone, so a key never opens a page. A key that is unknown, revoked or expired is
refused with 401 and a Chinese ``detail``, whatever else the request carries."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from jingshen.api import services
from jingshen.orgs.scope import KeyPrincipal


def presented_key(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    value = request.META.get("HTTP_X_API_KEY", "").strip()
    return value or None


class APIKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        secret = presented_key(request)
        if secret is None:
            return None
        key = services.find_key(secret)
        if key is None:
            raise AuthenticationFailed("API 密钥无效。")
        if key.revoked_at is not None:
            raise AuthenticationFailed("API 密钥已被撤销，请联系系统管理员重新创建。")
        if key.expired():
            raise AuthenticationFailed(f"API 密钥已于 {key.expires_on:%Y-%m-%d} 过期，请联系系统管理员重新创建。")
        services.touch(key)
        return KeyPrincipal(key), key

    def authenticate_header(self, request):
        return 'Bearer realm="jingshen"'


class APIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "jingshen.api.authentication.APIKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "API 密钥：Authorization: Bearer jsk_…（由系统管理员创建）"}
