"""Whose account a user may manage (reset a password): the users of the units in the user's
MANAGE scope (``orgs/scope.py``: 系统管理员, own unit and its subtree)."""

from django.http import Http404

from jingshen.accounts.models import User
from jingshen.orgs import scope


def managed_users(user):
    return User.objects.restrict(user, scope.MANAGE)


def get_managed_user(user, username: str) -> User:
    """The user named ``username`` if ``user`` may manage them, else 404: a user of a foreign
    unit answers exactly like one that does not exist."""
    target = managed_users(user).select_related("org").filter(username=username).first()
    if target is None:
        raise Http404("用户不存在或不在您的管理范围内。")
    return target
