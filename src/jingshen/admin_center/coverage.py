"""审计覆盖率: when each unit was last audited, and the share of units audited in the last 1, 3
and 5 years, by group (县级以上 / 基层), level and kind.

A unit counts as audited in year Y when an audit report on it was issued in Y: a platform
project reached 整改 (the report is issued when the 经审负责人 moves it from 审计报告 on) in Y, or
a ``PriorAudit`` (an audit done before or outside the platform) is recorded for Y. "In the last
N years" means in one of the N calendar years ending with the current one. Everything is read
from the relational tables (a few rows per unit), never from ledger data."""

import datetime
from dataclasses import dataclass, field

from django.db.models import IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, ExtractYear, Greatest, NullIf
from django.utils import timezone

from jingshen.admin_center.models import PriorAudit
from jingshen.audits.models import ProjectUnit, Stage, StageChange
from jingshen.orgs.models import Kind, Level, Org

WINDOWS = (1, 3, 5)
GRASSROOTS_LEVELS = (Level.GRASSROOTS,)
GROUPS = (("county_up", "县级以上工会"), ("grassroots", "基层工会"))


def group_of(level: str) -> str:
    return "grassroots" if level in GRASSROOTS_LEVELS else "county_up"


def with_last_audited(orgs: QuerySet[Org]) -> QuerySet[Org]:
    """Annotate ``last_audited``: the latest year an audit report on the unit was issued (None
    if never)."""
    prior = PriorAudit.objects.filter(org=OuterRef("pk")).order_by("-year").values("year")[:1]
    issued = (
        StageChange.objects.filter(to_stage=Stage.RECTIFICATION, project__units__org=OuterRef("pk"))
        .order_by("-at").annotate(y=ExtractYear("at")).values("y")[:1]
    )
    zero = Value(0, output_field=IntegerField())
    latest = Greatest(Coalesce(Subquery(prior, output_field=IntegerField()), zero),
                      Coalesce(Subquery(issued, output_field=IntegerField()), zero))
    return orgs.annotate(last_audited=NullIf(latest, zero))


@dataclass
class Row:
    key: str
    label: str
    total: int = 0
    audited: dict[int, int] = field(default_factory=lambda: {n: 0 for n in WINDOWS})
    never: int = 0

    def rate(self, years: int) -> float | None:
        return self.audited[years] / self.total if self.total else None

    @property
    def rates(self) -> list[tuple[int, int, float | None]]:
        """(years, units audited, share) per window, for templates."""
        return [(n, self.audited[n], self.rate(n)) for n in WINDOWS]


@dataclass
class Coverage:
    year: int
    groups: list[Row]
    levels: list[Row]
    kinds: list[Row]
    total: Row


def coverage(orgs: QuerySet[Org], today: datetime.date | None = None) -> Coverage:
    """Coverage of the units in ``orgs`` (a scope the caller has decided) as of ``today``."""
    year = (today or timezone.localdate()).year
    groups = {k: Row(k, label) for k, label in GROUPS}
    levels = {v: Row(v, label) for v, label in Level.choices}
    kinds = {v: Row(v, label) for v, label in Kind.choices}
    total = Row("total", "合计")
    for level, kind, last in with_last_audited(orgs).values_list("level", "kind", "last_audited").iterator(chunk_size=5000):
        for row in (groups[group_of(level)], levels[level], kinds[kind], total):
            row.total += 1
            if last is None:
                row.never += 1
                continue
            for n in WINDOWS:
                if last > year - n:
                    row.audited[n] += 1
    return Coverage(year, list(groups.values()), [r for r in levels.values() if r.total],
                    [r for r in kinds.values() if r.total], total)


def never_audited(orgs: QuerySet[Org]) -> QuerySet[Org]:
    return with_last_audited(orgs).filter(last_audited__isnull=True)


def not_audited_since(orgs: QuerySet[Org], years: int, today: datetime.date | None = None) -> QuerySet[Org]:
    """Units not audited in the last ``years`` years (never audited included)."""
    year = (today or timezone.localdate()).year
    return with_last_audited(orgs).filter(Q(last_audited__isnull=True) | Q(last_audited__lte=year - years))


def audited_in(orgs: QuerySet[Org], year: int) -> QuerySet[Org]:
    """The units of ``orgs`` audited in ``year``: an audit report on them was issued that year
    (a platform project reached 整改) or a ``PriorAudit`` is recorded for it — the same meaning of
    "audited in Y" as ``with_last_audited``."""
    issued = StageChange.objects.filter(to_stage=Stage.RECTIFICATION, at__year=year).values("project_id")
    return orgs.filter(Q(pk__in=PriorAudit.objects.filter(year=year).values("org_id"))
                       | Q(pk__in=ProjectUnit.objects.filter(project_id__in=issued).values("org_id")))
