"""Creating and revoking API keys; both logged. The secret leaves this module once, as the
return value of ``create_key``, and is never stored or logged."""

import datetime
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from jingshen.activity.services import record
from jingshen.api.models import APIKey
from jingshen.orgs import scope
from jingshen.orgs.models import Org
from jingshen.orgs.services import OPERATOR

KEY_PREFIX = "jsk_"  # every key starts with it: recognisable in a leaked file or a secret scanner
PREFIX_LENGTH = 8  # random characters after KEY_PREFIX kept in clear to name the key


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _new_key() -> tuple[str, str]:
    while True:
        key = KEY_PREFIX + secrets.token_urlsafe(32)  # 256 random bits
        prefix = key[: len(KEY_PREFIX) + PREFIX_LENGTH]
        if not APIKey.objects.filter(prefix=prefix).exists():
            return key, prefix


def check_scopes(scopes) -> list[str]:
    chosen = list(dict.fromkeys(s.strip() for s in scopes if s and s.strip()))
    if not chosen:
        raise ValueError("请至少选择一项权限。")
    unknown = [s for s in chosen if s not in scope.KEY_SCOPES]
    if unknown:
        known = "、".join(f"{code}（{label}）" for code, (label, _) in scope.KEY_SCOPES.items())
        raise ValueError(f"未知的权限「{'、'.join(unknown)}」，可选：{known}。")
    return chosen


def create_key(*, org: Org, name: str, scopes, actor, expires_on: datetime.date | None = None) -> tuple[APIKey, str]:
    """A new key of ``org`` and its secret (shown once). ``actor`` administers ``org``
    (``scope.MANAGE``; PermissionError otherwise); ``OPERATOR`` is the command line without
    ``--by``."""
    if actor is not OPERATOR and not (scope.is_person(actor) and scope.can(actor, scope.MANAGE, org)):
        raise PermissionError("您不能为该单位创建 API 密钥。")
    name = (name or "").strip()
    if not name:
        raise ValueError("请填写密钥名称（如对接的系统名称）。")
    if len(name) > APIKey._meta.get_field("name").max_length:
        raise ValueError("密钥名称不能超过 100 个字。")
    if "\x00" in name:
        raise ValueError("密钥名称含有无效字符。")
    chosen = check_scopes(scopes)
    if expires_on is not None and expires_on < timezone.localdate():
        raise ValueError("有效期不能早于今天。")
    by = actor if scope.is_person(actor) else None
    with transaction.atomic():
        secret, prefix = _new_key()
        key = APIKey.objects.create(org=org, name=name, scopes=chosen, prefix=prefix, key_hash=hash_key(secret),
                                    created_by=by, expires_on=expires_on)
        labels = "、".join(key.scope_labels())
        until = f"，有效期至 {expires_on}" if expires_on else ""
        record("api.key_create", f"为{org.name}创建 API 密钥「{name}」（{prefix}…，权限：{labels}{until}）",
               actor=by, org=org, obj=key, after={"名称": name, "权限": chosen, "前缀": prefix,
                                                  "有效期至": expires_on.isoformat() if expires_on else None})
    return key, secret


def revoke_key(key: APIKey, *, actor) -> bool:
    """Revoke a key (an administrator of its unit); False when it was already revoked."""
    if actor is not OPERATOR and not (scope.is_person(actor) and scope.can(actor, scope.MANAGE, key.org)):
        raise PermissionError("您不能撤销该 API 密钥。")
    by = actor if scope.is_person(actor) else None
    with transaction.atomic():
        key = APIKey.objects.select_for_update().select_related("org").get(pk=key.pk)
        if key.revoked_at is not None:
            return False
        key.revoked_at, key.revoked_by = timezone.now(), by
        key.save(update_fields=["revoked_at", "revoked_by"])
        record("api.key_revoke", f"撤销{key.org.name}的 API 密钥「{key.name}」（{key.prefix}…）", actor=by, org=key.org,
               obj=key)
    return True


def find_key(secret: str) -> APIKey | None:
    """The key with this secret, revoked or not (the caller tells why it refuses)."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > 200:
        return None
    return APIKey.objects.select_related("org").filter(key_hash=hash_key(secret)).first()


LAST_USED_EVERY = datetime.timedelta(minutes=1)


def touch(key: APIKey) -> None:
    """Note that the key was used (at most once a minute: not one write per call)."""
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_EVERY:
        APIKey.objects.filter(pk=key.pk).update(last_used_at=now)
