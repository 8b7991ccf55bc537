"""Users of 经审: each belongs to one unit and holds one or more roles."""

from functools import cached_property

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models

from jingshen.accounts.roles import RoleCode  # noqa: F401 - the roles are imported from here too
from jingshen.orgs.querysets import UnitQuerySet


class Role(models.Model):
    """One row per RoleCode in use, created when a user first gets the role."""

    code = models.CharField("角色代码", max_length=32, primary_key=True, choices=RoleCode.choices)

    class Meta:
        verbose_name = "角色"
        verbose_name_plural = "角色"

    def __str__(self):
        return self.get_code_display()


class UnitUserManager(UserManager.from_queryset(UnitQuerySet)):
    """Django's user manager, with ``restrict(user, action)`` on its querysets."""


class User(AbstractUser):
    org = models.ForeignKey(
        "orgs.Org", verbose_name="所属单位", null=True, on_delete=models.PROTECT, related_name="users"
    )
    display_name = models.CharField("姓名", max_length=50, blank=True)
    roles = models.ManyToManyField(Role, verbose_name="角色", blank=True, related_name="users")
    # Set when the password was generated (users create --generate-password, an administrator's
    # reset): until the user picks their own, every page leads to 修改密码 (accounts.middleware).
    must_change_password = models.BooleanField("须修改密码", default=False)

    objects = UnitUserManager()

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self):
        return self.display_name or self.username

    @cached_property
    def role_codes(self) -> frozenset[str]:
        """The user's role codes, read once per request."""
        return frozenset(self.roles.values_list("code", flat=True))

    def role_names(self) -> list[str]:
        return [RoleCode(code).label for code in sorted(self.role_codes)]
