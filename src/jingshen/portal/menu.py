"""The left menu: the seven sections of 经审 and the issue that builds each one."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    url_name: str
    built: bool
    plan: str  # what the section will hold, shown honestly while it is under construction


SECTIONS = [
    Section("portal", "门户", "portal:home", True, ""),
    Section("collect", "数据采集", "collect:index", True, ""),
    Section("ledger", "查账", "books:index", True, ""),
    Section("screening", "疑点筛查", "screening:index", True, ""),
    Section("audits", "审计作业", "audits:index", True, ""),
    Section("knowledge", "知识库", "knowledge:index", True, ""),
    Section(
        "admin",
        "综合管理",
        "portal:section",
        False,
        "经审干部名册、培训、年度审计计划与统计。目前单位和用户通过命令行管理（见用户手册）。",
    ),
]
BY_KEY = {s.key: s for s in SECTIONS}

# 操作日志: only for those who may read the log of some unit (系统管理员, 经审负责人)
ACTIVITY_LOG = Section("activity", "操作日志", "activity:index", True, "")


def sections_for(user) -> list[Section]:
    from jingshen.orgs import scope

    return [*SECTIONS, ACTIVITY_LOG] if scope.may(user, scope.VIEW_LOG) else SECTIONS
