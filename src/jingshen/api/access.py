"""Who sees and revokes API keys: the administrators of the key's unit (``scope.MANAGE``).
Single keys answer 404 outside that scope."""

from django.http import Http404

from jingshen.api.models import APIKey
from jingshen.orgs import scope


def may_manage_keys(user) -> bool:
    return scope.is_person(user) and scope.may(user, scope.MANAGE)


def keys_for(user):
    if not scope.is_person(user):  # a key never manages keys
        return APIKey.objects.none()
    return APIKey.objects.restrict(user, scope.MANAGE).select_related("org", "created_by", "revoked_by")


def get_key_for_user(user, key_id: int) -> APIKey:
    key = keys_for(user).filter(pk=key_id).first()
    if key is None:
        raise Http404("API 密钥不存在或不在您的权限范围内。")
    return key
