"""Which endpoints a key may call: each view names the key scopes it answers to
(``key_scopes``); a key without one of them gets 403. Users are not affected: what they see is
decided by ``orgs/scope.py`` through the apps' ``access.py``, as for keys."""

from rest_framework.permissions import BasePermission

from jingshen.orgs.scope import KEY_SCOPES, KeyPrincipal

ANY_KEY = tuple(KEY_SCOPES)  # e.g. the units a key's unit may see


class KeyScopes(BasePermission):
    message = "此 API 密钥没有调用该接口的权限。"

    def has_permission(self, request, view):
        principal = request.user
        if not isinstance(principal, KeyPrincipal):
            return True
        needed = getattr(view, "key_scopes", ())
        if principal.scopes & set(needed):
            return True
        if needed:
            self.message = "此 API 密钥没有调用该接口的权限（需要以下权限之一：" + "、".join(KEY_SCOPES[s][0] for s in needed) + "）。"
        return False
