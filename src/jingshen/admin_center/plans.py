"""年度审计计划: the proposal of a year's plan for the user's unit, from the units it audits.

The candidates are the units the user may start a project on (``scope.orgs_for(user, PLAN)``:
the units directly below the own unit — 下审一级 — and a unit opened by a cross-audit grant),
without the own unit. Each is proposed for one or more reasons, from the aggregates kept when
data changes — never from ledger data:

- 风险较高 (``risk``): its current risk score (``screening.models.CurrentRisk``, from its latest
  completed screening run) is at least the threshold the user sees and may change;
- 从未审计 (``never``): no audit report on it was ever issued (``coverage.with_last_audited``);
- 三年以上未审计 (``gap``): last audited ``GAP_YEARS`` or more years before the plan year.

A unit with several reasons shows them all; its ``reason`` (the one stored on the plan item) is
the first of risk, never, gap. The ranking: high risk first (highest score first), then never
audited, then the longest gap; ties by risk score, then by the unit tree. Nothing is written
here: the user picks candidates and ``services.create_plan`` saves them."""

import datetime
from dataclasses import dataclass, field

from django.db.models import QuerySet

from jingshen.admin_center.coverage import with_last_audited
from jingshen.admin_center.models import PlanReason
from jingshen.orgs import scope
from jingshen.orgs.models import Org
from jingshen.screening.models import CurrentRisk

DEFAULT_THRESHOLD = 60  # the risk score the ranking chart colours as high (screening/run.html)
GAP_YEARS = 3
REASON_ORDER = (PlanReason.RISK, PlanReason.NEVER, PlanReason.GAP)


@dataclass
class Candidate:
    org: Org
    reasons: list[str] = field(default_factory=list)  # PlanReason values, in REASON_ORDER
    risk_score: float | None = None
    flags: int = 0
    last_audited: int | None = None

    @property
    def reason(self) -> str:
        return self.reasons[0] if self.reasons else PlanReason.MANUAL

    @property
    def reason_labels(self) -> list[str]:
        return [PlanReason(r).label for r in self.reasons]

    def reason_text(self, year: int, threshold: float) -> str:
        """The stored explanation: every reason, in Chinese, with its figures."""
        parts = []
        for r in self.reasons:
            if r == PlanReason.RISK:
                parts.append(f"风险分 {self.risk_score:.1f}（不低于 {threshold:g}），疑点 {self.flags} 个")
            elif r == PlanReason.NEVER:
                parts.append("从未审计")
            elif r == PlanReason.GAP:
                parts.append(f"最近审计 {self.last_audited} 年，至 {year} 年已 {year - self.last_audited} 年未审计")
        return "；".join(parts)


def candidate_units(user) -> QuerySet[Org]:
    """The units the user's 经审会 may put in its plan (下审一级, or a valid cross-audit grant)."""
    if user.org_id is None:
        return Org.objects.none()
    return scope.orgs_for(user, scope.PLAN).exclude(pk=user.org_id)


def assess(orgs: QuerySet[Org], year: int, threshold: float) -> list[Candidate]:
    """Every unit of ``orgs`` with its risk, last audit and reasons (possibly none), in the
    ranking order."""
    risk = {r.org_id: r for r in CurrentRisk.objects.filter(org__in=orgs.values("pk"))}
    out = []
    for org in with_last_audited(orgs).order_by("path"):
        r = risk.get(org.pk)
        c = Candidate(org=org, risk_score=r.score if r else None, flags=r.flags if r else 0, last_audited=org.last_audited)
        if c.risk_score is not None and c.risk_score >= threshold:
            c.reasons.append(PlanReason.RISK)
        if c.last_audited is None:
            c.reasons.append(PlanReason.NEVER)
        elif c.last_audited <= year - GAP_YEARS:
            c.reasons.append(PlanReason.GAP)
        out.append(c)
    out.sort(key=_rank)
    return out


def _rank(c: Candidate):
    order = REASON_ORDER.index(c.reason) if c.reasons else len(REASON_ORDER)
    return (order, -(c.risk_score or 0), c.last_audited or 0, c.org.path)


def propose(user, year: int, threshold: float = DEFAULT_THRESHOLD) -> list[Candidate]:
    """The candidates with at least one reason, ranked."""
    return [c for c in assess(candidate_units(user), year, threshold) if c.reasons]


def default_dates(year: int) -> tuple[datetime.date, datetime.date]:
    """The dates a proposed item starts with (the user adjusts each item afterwards)."""
    return datetime.date(year, 3, 1), datetime.date(year, 4, 30)
