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

from jingshen.api import access as api_access
from jingshen.orgs import scope


@dataclass(frozen=True)
class Entry:
    title: str
    description: str
    url_name: str
    allowed: Callable[[object], bool]  # (user) -> bool, asked of orgs/scope.py


def _may(action: str) -> Callable[[object], bool]:
    return lambda user: scope.may(user, action)


ENTRIES: list[Entry] = [
    Entry("用户管理", "新建用户、分配角色、停用或启用账号、重置密码（您管理的单位及其下级单位）。", "user_list",
          _may(scope.MANAGE)),
    Entry("单位管理", "查找和修改单位信息、调整上级单位、新建下级单位，上传文件导入单位树。", "orgs:list",
          _may(scope.MANAGE)),
    Entry("经审干部名册", "各单位经审委员、专职和兼职经审干部的名册，可按单位、类别和在岗状态筛选并导出。",
          "admin_center:staff", _may(scope.VIEW_ROSTER)),
    Entry("培训记录", "集中培训、以审代训、轮岗交流和交叉互审的参与记录与学时。",
          "admin_center:trainings", _may(scope.VIEW_ROSTER)),
    Entry("学时统计", "每人每年的培训学时，或某一年按培训形式的学时，可导出 Excel。",
          "admin_center:hours", _may(scope.VIEW_ROSTER)),
    Entry("往期审计记录", "平台启用前已完成的审计（单位、年度、类型、报告文号），计入审计覆盖率；可逐条录入或批量导入。",
          "admin_center:priors", _may(scope.VIEW_ROSTER)),
    Entry("交叉互审授权", "组织一个单位（或一名审计人员）在限定期限内审计另一个单位，并可随时撤销。",
          "admin_center:grants", _may(scope.GRANT)),
    Entry("年度审计计划", "按风险排名和审计覆盖缺口提出年度计划，调整后由经审负责人批准，再逐项立项；可导出 Excel。",
          "admin_center:plans", _may(scope.VIEW_ROSTER)),
    Entry("API 密钥", "为对接的业务系统创建、查看和撤销 API 密钥（绑定一个单位，按权限推送数据或读取疑点、项目、知识库）。",
          "apikeys:list", lambda user: api_access.may_manage_keys(user)),
    Entry("年度统计报表", "某一年的审计项目、覆盖单位、发现问题及金额、整改率，含图表，可导出多表 Excel。",
          "admin_center:statistics", _may(scope.VIEW_FLAGS)),
]


def entries_for(user) -> list[Entry]:
    """The entries ``user`` may open, in order."""
    return [e for e in ENTRIES if e.allowed(user)]
