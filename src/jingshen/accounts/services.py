"""Writes to users. Commands, pages and the API call these."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from jingshen.accounts.models import Role, RoleCode, User
from jingshen.activity.services import record

ROLE_WORDS = {label: value for value, label in RoleCode.choices} | {value: value for value in RoleCode.values}


def parse_roles(text: str) -> list[str]:
    """'审计员,审计组长' or 'auditor,team_lead' -> role codes; ValueError names the bad one."""
    codes = []
    for word in (w.strip() for w in text.replace("，", ",").replace("、", ",").split(",")):
        if not word:
            continue
        if word not in ROLE_WORDS:
            allowed = "、".join(label for _, label in RoleCode.choices)
            raise ValueError(f"未知角色「{word}」，可选：{allowed}。")
        codes.append(ROLE_WORDS[word])
    if not codes:
        raise ValueError("至少指定一个角色。")
    return codes


def create_user(*, org, username: str, password: str, roles: list[str], display_name: str = "", actor=None) -> User:
    """Create a user of ``org`` with ``roles``; the password must pass the password policy
    (ValidationError with Chinese messages otherwise)."""
    if User.objects.filter(username=username).exists():
        raise ValidationError(f"用户名「{username}」已存在。")
    user = User(username=username, org=org, display_name=display_name)
    validate_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save()
        user.roles.set([Role.objects.get_or_create(code=code)[0] for code in roles])
        names = "、".join(RoleCode(r).label for r in roles)
        record("accounts.create_user", f"创建用户 {username}（{org.name}，{names}）", actor=actor, org=org, obj=user)
    return user
