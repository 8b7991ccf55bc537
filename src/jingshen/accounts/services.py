"""Writes to users. Commands, pages and the API call these.

Passwords are never logged or stored anywhere but as the user's hash: the activity log records
that a password was set or reset, never the password, and Django's error reports (a traceback
mailed or logged with its variables) hide the password variables (``sensitive_variables``)."""

import re
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
DISPLAY_NAME_MAX = 50
USERNAME_RE = re.compile(r"[\w.@+-]+")
RESERVED_USERNAMES = {"new"}  # /accounts/users/new/ is 新建用户


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


def check_username(username: str) -> None:
    """A login name: 1–150 letters, digits and @ . + - _ (it is part of the account pages'
    addresses), and not ``new``, the address of 新建用户."""
    field = User._meta.get_field("username")
    if not username:
        raise ValidationError("请填写用户名。")
    if len(username) > field.max_length:
        raise ValidationError(f"用户名不能超过 {field.max_length} 个字符。")
    if not USERNAME_RE.fullmatch(username):
        raise ValidationError("用户名只能由字母、数字和 @ . + - _ 组成。")
    if username in RESERVED_USERNAMES:
        raise ValidationError(f"用户名「{username}」为系统保留，请换一个。")


def check_grant(actor, org, roles) -> None:
    """PermissionError unless ``actor`` manages ``org`` and may grant every role in ``roles``
    there (``scope.grantable_roles``)."""
    if org is None or not scope.can(actor, scope.MANAGE, org):
        raise PermissionError("该单位不在您的管理范围内。")
    refused = [r for r in roles if r not in scope.grantable_roles(actor, org)]
    if refused:
        names = "、".join(RoleCode(r).label for r in refused)
        raise PermissionError(f"您不能在「{org.name}」授予以下角色：{names}。系统管理员只能由上级单位的系统管理员设置。")


def _account(user: User) -> dict:
    """What the activity log keeps of an account, before and after a change."""
    return {
        "姓名": user.display_name,
        "单位": f"{user.org.name}（{user.org.code}）" if user.org else "",
        "角色": [RoleCode(code).label for code in sorted(user.roles.values_list("code", flat=True))],
        "状态": "在用" if user.is_active else "已停用",
    }


def update_user(actor: User, target: User, *, display_name: str, roles: list[str], org) -> User:
    """Change a user's name, roles and unit (系统管理员, within the MANAGE scope).

    The actor must manage the target's unit and the new one, and may add or remove only the
    roles ``scope.grantable_roles`` allows there; moving a user to another unit needs every
    role they hold to be grantable at both. An administrator changes their own name only."""
    display_name = display_name.strip()
    if len(display_name) > DISPLAY_NAME_MAX:
        raise ValidationError(f"姓名不能超过 {DISPLAY_NAME_MAX} 个字符。")
    if not roles:
        raise ValidationError("至少选择一个角色。")
    if any(r not in RoleCode.values for r in roles):
        raise ValidationError("未知角色。")
    if target.org is None or not scope.can(actor, scope.MANAGE, target.org):
        raise PermissionError("该用户不在您的管理范围内。")
    if org is None or not scope.can(actor, scope.MANAGE, org):
        raise PermissionError("该单位不在您的管理范围内。")
    old_roles = set(target.roles.values_list("code", flat=True))
    new_roles = set(roles)
    if target.pk == actor.pk and (new_roles != old_roles or org.pk != target.org_id):
        raise PermissionError("不能修改自己的角色或所属单位，请联系上级单位的系统管理员。")
    if org.pk != target.org_id:
        check_grant(actor, target.org, old_roles)
        check_grant(actor, org, new_roles)
    else:
        check_grant(actor, org, old_roles ^ new_roles)
    with transaction.atomic():
        target = User.objects.select_for_update(of=("self",)).select_related("org").get(pk=target.pk)
        before = _account(target)
        target.display_name, target.org = display_name, org
        target.save(update_fields=["display_name", "org"])
        target.roles.set([Role.objects.get_or_create(code=code)[0] for code in RoleCode.values if code in new_roles])
        target.__dict__.pop("role_codes", None)
        after = _account(target)
        if after != before:
            record("accounts.update_user", f"修改用户 {target.username}", actor=actor, org=org, obj=target,
                   before=before, after=after)
    return target


def set_active(actor: User, target: User, active: bool) -> User:
    """停用 or 启用 an account. A deactivated user cannot log in, and their sessions end: Django
    authenticates a session's user on every request and refuses an inactive one. An
    administrator cannot deactivate themselves, nor an account holding a role they could not
    grant (a fellow administrator of their own unit)."""
    if target.pk == actor.pk:
        raise PermissionError("不能停用自己的账号。")
    if target.org is None or not scope.can(actor, scope.MANAGE, target.org):
        raise PermissionError("该用户不在您的管理范围内。")
    if not scope.may_administer_account(actor, target):
        raise PermissionError("该用户是本单位的系统管理员，只能由上级单位的系统管理员停用或启用。")
    with transaction.atomic():
        target = User.objects.select_for_update(of=("self",)).select_related("org").get(pk=target.pk)
        if target.is_active == active:
            return target
        before = _account(target)
        target.is_active = active
        target.save(update_fields=["is_active"])
        verb = "启用" if active else "停用"
        record(f"accounts.{'activate' if active else 'deactivate'}", f"{verb}用户 {target.username}", actor=actor,
               org=target.org, obj=target, before=before, after=_account(target))
    return target


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
    check_username(username)
    if len(display_name) > DISPLAY_NAME_MAX:
        raise ValidationError(f"姓名不能超过 {DISPLAY_NAME_MAX} 个字符。")
    if actor is not None:  # a page (the CLI is an operator tool and acts without a scope)
        check_grant(actor, org, roles)
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
