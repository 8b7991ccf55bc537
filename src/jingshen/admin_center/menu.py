"""The entries of 综合管理 (/manage/): one line per page, in the order shown.

Each entry names its page (a URL name without arguments), says in one line what it is for, and
asks ``orgs/scope.py`` whether the user may open it — the same question the page itself asks,
so the index never links to a page that would refuse the user. The left menu shows 综合管理
only to users with at least one entry (``portal/menu.py``).

To add a page: one ``Entry`` line in ``ENTRIES``, e.g.
``Entry("经审干部", "本单位及下级单位的经审干部名册。", "admin_center:staff", lambda u: scope.may(u, scope.VIEW))``.
"""

from collections.abc import Callable
from dataclasses import dataclass

from jingshen.orgs import scope


@dataclass(frozen=True)
class Entry:
    title: str
    description: str
    url_name: str
    allowed: Callable  # (user) -> bool, asked of orgs/scope.py


ENTRIES: list[Entry] = [
    Entry("用户管理", "新建用户、分配角色、停用或启用账号、重置密码（您管理的单位及其下级单位）。", "user_list",
          lambda u: scope.may(u, scope.MANAGE)),
    Entry("单位管理", "查找和修改单位信息、调整上级单位、新建下级单位，上传文件导入单位树。", "orgs:list",
          lambda u: scope.may(u, scope.MANAGE)),
]


def entries_for(user) -> list[Entry]:
    """The entries ``user`` may open, in order."""
    return [e for e in ENTRIES if e.allowed(user)]
