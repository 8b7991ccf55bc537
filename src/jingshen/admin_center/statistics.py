"""年度统计报表: the audit work of one year in the units a user may see (``scope.VIEW_FLAGS``,
the scope in which they see audit projects, flags and findings).

- Projects: those of the scope's 经审会 (``owner_org`` in the scope) started (立项) in the year,
  by stage (now) and by audit type.
- Findings, the amounts involved and problems by type: the findings of those projects.
- Rectification: the rectification items of those findings (opened when the report is issued):
  rectified (已整改) over all items, and those overdue (past the deadline, not rectified).
- Units covered: units of the scope audited in the year (``coverage.audited_in``: a report issued
  that year, or a 往期审计记录 for it) over all units of the scope, 县级以上 and 基层 apart.

Everything is a handful of aggregate queries on the relational tables, never ledger data."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from jingshen import xlsx_export
from jingshen.admin_center.coverage import GROUPS, audited_in, group_of
from jingshen.audits.models import AuditProject, Finding, Rectification, Stage
from jingshen.orgs import scope

CENT = Decimal("0.01")


@dataclass
class Line:
    label: str
    count: int = 0
    amount: Decimal | None = None
    total: int | None = None  # for coverage: units in the group

    @property
    def rate(self) -> float | None:
        return self.count / self.total if self.total else None


@dataclass
class Statistics:
    year: int
    projects: int = 0
    by_stage: list[Line] = field(default_factory=list)
    by_type: list[Line] = field(default_factory=list)
    coverage: list[Line] = field(default_factory=list)  # per group, then 合计
    findings: int = 0
    amount: Decimal = Decimal("0")
    by_problem: list[Line] = field(default_factory=list)
    rectifications: int = 0
    rectified: int = 0
    in_progress: int = 0
    overdue: int = 0

    @property
    def rectification_rate(self) -> float | None:
        return self.rectified / self.rectifications if self.rectifications else None

    def chart_data(self) -> dict:
        """What the page's charts draw (json_script)."""
        return {"stages": [{"name": s.label, "value": s.count} for s in self.by_stage],
                "problems": [{"name": p.label, "value": p.count, "amount": str(p.amount)} for p in self.by_problem]}


def annual_statistics(user, year: int, today: datetime.date | None = None) -> Statistics:
    today = today or timezone.localdate()
    units = scope.orgs_for(user, scope.VIEW_FLAGS)
    stats = Statistics(year=year)
    projects = AuditProject.objects.filter(owner_org__in=units.values("pk"), created_at__year=year)
    stages = dict(projects.values_list("stage").annotate(n=Count("pk")))
    stats.by_stage = [Line(label, stages.get(value, 0)) for value, label in Stage.choices]
    stats.projects = sum(stages.values())
    types = projects.values_list("audit_type__name").annotate(n=Count("pk")).order_by("-n", "audit_type__order")
    stats.by_type = [Line(name, n) for name, n in types]

    findings = Finding.objects.filter(project__in=projects.values("pk"))
    problems = findings.values_list("problem_type__name").annotate(n=Count("pk"), amount=Sum("amount")) \
        .order_by("-amount", "-n", "problem_type__order")
    stats.by_problem = [Line(name, n, Decimal(amount or 0).quantize(CENT)) for name, n, amount in problems]
    stats.findings = sum(p.count for p in stats.by_problem)
    stats.amount = sum((p.amount for p in stats.by_problem), Decimal("0"))

    items = Rectification.objects.filter(finding__in=findings.values("pk"))
    by_status = dict(items.values_list("status").annotate(n=Count("pk")))
    stats.rectifications = sum(by_status.values())
    stats.rectified = by_status.get(Rectification.Status.DONE, 0)
    stats.in_progress = by_status.get(Rectification.Status.IN_PROGRESS, 0)
    stats.overdue = items.exclude(status=Rectification.Status.DONE).filter(deadline__lt=today).count()

    totals = {key: Line(label, 0, total=0) for key, label in GROUPS}
    for level, n in units.values_list("level").annotate(n=Count("pk")):
        totals[group_of(level)].total += n
    for level, n in audited_in(units, year).values_list("level").annotate(n=Count("pk")):
        totals[group_of(level)].count += n
    every = Line("合计", sum(t.count for t in totals.values()), total=sum(t.total for t in totals.values()))
    stats.coverage = [*totals.values(), every]
    return stats


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def workbook(stats: Statistics, scope_name: str) -> list[xlsx_export.Sheet]:
    """The report as sheets: 概况, 项目阶段, 审计类型, 审计覆盖, 问题类型, 整改情况."""
    C = xlsx_export.Column
    made = f"范围：{scope_name}　导出时间：{timezone.localtime():%Y-%m-%d %H:%M}"
    title = f"{stats.year} 年度审计统计报表"
    summary = [
        ("审计项目（本年立项）", stats.projects, None),
        ("审计发现问题", stats.findings, stats.amount),
        ("整改事项", stats.rectifications, None),
        ("已整改", stats.rectified, None),
        ("整改中", stats.in_progress, None),
        ("超期未整改", stats.overdue, None),
        (f"整改率 {_percent(stats.rectification_rate)}", stats.rectified, None),
        *((f"审计覆盖 · {c.label}（{_percent(c.rate)}）", c.count, None) for c in stats.coverage),
    ]
    return [
        xlsx_export.Sheet("概况", [title, made], [C("指标", width=32), C("数量", "int", 10), C("涉及金额（元）", "money", 18)],
                          summary),
        xlsx_export.Sheet("项目阶段", [f"{title} · 项目阶段"], [C("阶段", width=14), C("项目数", "int", 10)],
                          [(s.label, s.count) for s in stats.by_stage], footer=[("合计", stats.projects)]),
        xlsx_export.Sheet("审计类型", [f"{title} · 审计类型"], [C("审计类型", width=20), C("项目数", "int", 10)],
                          [(t.label, t.count) for t in stats.by_type], footer=[("合计", stats.projects)]),
        xlsx_export.Sheet("审计覆盖", [f"{title} · 审计覆盖", "本年出具审计报告或录入往期审计记录的单位计为已审计。"],
                          [C("单位类别", width=16), C("单位数", "int", 10), C("本年已审计", "int", 12), C("覆盖率", width=10)],
                          [(c.label, c.total, c.count, _percent(c.rate)) for c in stats.coverage]),
        xlsx_export.Sheet("问题类型", [f"{title} · 问题类型"],
                          [C("问题类型", width=24), C("问题数", "int", 10), C("涉及金额（元）", "money", 18)],
                          [(p.label, p.count, p.amount) for p in stats.by_problem],
                          footer=[("合计", stats.findings, stats.amount)]),
        xlsx_export.Sheet("整改情况", [f"{title} · 整改情况", f"整改率：{_percent(stats.rectification_rate)}"],
                          [C("状态", width=16), C("事项数", "int", 10)],
                          [("已整改", stats.rectified), ("整改中", stats.in_progress),
                           ("未整改", stats.rectifications - stats.rectified - stats.in_progress), ("其中超期", stats.overdue)],
                          footer=[("合计", stats.rectifications)]),
    ]
