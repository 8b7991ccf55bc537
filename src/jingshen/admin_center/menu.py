"""The 综合管理 index: its entries, each shown to the users a scope predicate lets in (never a
link to a page the user may not open). Other parts of 综合管理 add their entries here."""

from collections.abc import Callable
from dataclasses import dataclass

from jingshen.orgs import scope


@dataclass(frozen=True)
class Entry:
    title: str
    description: str
    url_name: str
    allowed: Callable[[object], bool]  # (user) -> bool, asked of orgs/scope.py (the name the users branch uses)


def _may(action: str) -> Callable[[object], bool]:
    return lambda user: scope.may(user, action)


ENTRIES: list[Entry] = [
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
]


def entries_for(user) -> list[Entry]:
    return [e for e in ENTRIES if e.allowed(user)]
