"""The left menu: the sections of 经审."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    url_name: str


SECTIONS = [
    Section("portal", "门户", "portal:home"),
    Section("collect", "数据采集", "collect:index"),
    Section("ledger", "查账", "books:index"),
    Section("screening", "疑点筛查", "screening:index"),
    Section("audits", "审计作业", "audits:index"),
    Section("knowledge", "知识库", "knowledge:index"),
    Section("admin", "综合管理", "admin_center:index"),
]

# 操作日志: only for those who may read the log of some unit (系统管理员, 经审负责人)
ACTIVITY_LOG = Section("activity", "操作日志", "activity:index")


def sections_for(user) -> list[Section]:
    """The sections ``user`` may open: 综合管理 only with at least one of its entries
    (admin_center/menu.py), 操作日志 only for VIEW_LOG."""
    from jingshen.admin_center.menu import entries_for
    from jingshen.orgs import scope

    sections = [s for s in SECTIONS if s.key != "admin" or entries_for(user)]
    return [*sections, ACTIVITY_LOG] if scope.may(user, scope.VIEW_LOG) else sections
