"""Writes to users. Commands, pages and the API call these.

Passwords are never logged or stored anywhere but as the user's hash: the activity log records
that a password was set or reset, never the password, and Django's error reports (a traceback
mailed or logged with its variables) hide the password variables (``sensitive_variables``)."""

import secrets
import string

from axes.utils import reset as axes_reset
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from jingshen.accounts.models import Role, RoleCode, User
from jingshen.activity.services import record
from jingshen.orgs import scope

ROLE_WORDS = {label: value for value, label in RoleCode.choices} | {value: value for value in RoleCode.values}

# Letters and digits without the look-alikes (0/O/o, 1/l/I), so a password read out over the
# phone or copied from a printout is typed right.
PASSWORD_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0Oo1lI")
GENERATED_LENGTH = 16


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


@sensitive_variables("password")
def generate_password(user: User | None = None) -> str:
    """A random password (``secrets``, 16 characters, ~90 bits) that passes the password policy."""
    while True:
        password = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(GENERATED_LENGTH))
        try:
            validate_password(password, user)
        except ValidationError:
            continue  # e.g. no digit drawn: draw again
        return password


@sensitive_variables("password")
def create_user(
    *,
    org,
    username: str,
    password: str,
    roles: list[str],
    display_name: str = "",
    actor=None,
    must_change_password: bool = False,
) -> User:
    """Create a user of ``org`` with ``roles``; the password must pass the password policy
    (ValidationError with Chinese messages otherwise). ``must_change_password`` makes the
    user choose their own password at first login."""
    if User.objects.filter(username=username).exists():
        raise ValidationError(f"用户名「{username}」已存在。")
    user = User(username=username, org=org, display_name=display_name, must_change_password=must_change_password)
    validate_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save()
        user.roles.set([Role.objects.get_or_create(code=code)[0] for code in roles])
        names = "、".join(RoleCode(r).label for r in roles)
        record(
            "accounts.create_user",
            f"创建用户 {username}（{org.name}，{names}）",
            actor=actor,
            org=org,
            obj=user,
            change_required=must_change_password,  # a key naming a password would be masked as a secret
        )
    return user


@sensitive_variables("password")
def create_user_with_generated_password(**fields) -> tuple[User, str]:
    """``create_user`` with a generated password, which the user must change at first login.
    Returns the user and the password, to be shown once and never stored."""
    password = generate_password(User(username=fields.get("username", ""), display_name=fields.get("display_name", "")))
    return create_user(password=password, must_change_password=True, **fields), password


@sensitive_variables("new_password")
def change_password(user: User, new_password: str) -> User:
    """The user sets their own password (the caller has checked the current one). Clears
    ``must_change_password``. The session auth hash changes with the password, so every other
    session of the user ends; a view keeps its own with ``update_session_auth_hash``."""
    validate_password(new_password, user)
    with transaction.atomic():
        forced = user.must_change_password
        user.set_password(new_password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        summary = f"用户 {user.username} 修改了密码" + ("（首次登录强制修改）" if forced else "")
        record("accounts.change_password", summary, actor=user, org=user.org, obj=user, forced=forced)
    return user


@sensitive_variables("password")
def reset_password(actor: User, target: User) -> str:
    """A 系统管理员 gives ``target`` a new generated password, returned to be shown once.

    The target must change it at next login; their sessions end (the session auth hash
    changes with the password) and any login lockout (django-axes) is lifted. ValueError
    when ``actor`` may not manage ``target``'s unit (callers look the target up through
    ``accounts.access`` first, which answers 404 for foreign users) or resets themselves."""
    if target.org is None or not scope.can(actor, scope.MANAGE, target.org):
        raise ValueError("无权重置该用户的密码。")
    if target.pk == actor.pk:
        raise ValueError("不能重置自己的密码，请使用“修改密码”。")
    password = generate_password(target)
    with transaction.atomic():
        target.set_password(password)
        target.must_change_password = True
        target.save(update_fields=["password", "must_change_password"])
        unlocked = axes_reset(username=target.username)
        record(
            "accounts.reset_password",
            f"重置用户 {target.username} 的密码",
            actor=actor,
            org=target.org,
            obj=target,
            lockout_cleared=bool(unlocked),
        )
    return password
