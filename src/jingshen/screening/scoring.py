"""Risk scores, in the spirit of MindBridge's control points: each rule is a control point
with a weight w in (0, 1]; a voucher's score combines the points that fired on it, each
discounted when its condition is common in the unit (rarity), and scaled by how material the
voucher's amount is for the unit (see docs/scoring.md)."""

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from jingshen.orgs.models import Org
from jingshen.screening.models import Flag, ScreeningRun

TOP_VOUCHERS = 10
# Rarity: a rule's hits on up to RARE of a unit's vouchers count in full; the weight falls
# log-linearly to RARITY_FLOOR of itself at COMMON (where a rule's hits become one systemic
# finding by default, rules.SYSTEMIC_SHARE).
# A unit of fewer than RARITY_SAMPLE vouchers counts as that many: what a handful of vouchers
# share says little about what is common in the unit.
RARE, COMMON, RARITY_FLOOR, RARITY_SAMPLE = 0.02, 0.3, 0.5, 100
# Materiality: a voucher of at least MATERIAL of the unit's annual spending counts in full; a
# smaller one scales down linearly to IMMATERIAL_FACTOR; one without an amount counts as half way.
MATERIAL, IMMATERIAL_FACTOR = 0.01, 0.7
# Findings of earlier audits: each finding on a unit in a project auditing one of the three
# fiscal years before the run's is a unit-level signal of weight FINDING_WEIGHT, at most
# FINDINGS_COUNTED of them (1 − 0.85³ ≈ 0.39 at most), combined into U (docs/scoring.md).
FINDING_WEIGHT, FINDINGS_COUNTED = 0.15, 3
# A unit's risk band by its score (0–100), highest first: (key, label, lowest score). The ranking
# chart colours its bars by the same bounds (static/jingshen/charts.js).
BANDS = (("high", "高风险", 60), ("medium", "中风险", 30), ("low", "低风险", 0))
# (fiscal_year, org ids) -> {org id: findings}: set by the audits app when it starts
# (audits/apps.py), so that screening never imports it; None ranks without them.
prior_findings = None


def band(score: float) -> tuple[str, str]:
    """The band (key, label) of a unit's risk score."""
    return next((key, label) for key, label, low in BANDS if score >= low)


def findings_term(n: int) -> float:
    """The weight of a unit's findings of earlier audits in its unit part U."""
    return noisy_or([FINDING_WEIGHT] * min(n, FINDINGS_COUNTED))


def noisy_or(weights) -> float:
    """1 − Π(1 − w): several independent signals raise the score; it never exceeds 1."""
    remaining = 1.0
    for w in weights:
        remaining *= 1.0 - w
    return 1.0 - remaining


def combined(rules, weights: dict[str, float], families: dict[str, str]) -> float:
    """The noisy-OR of the rules that fired, a family of overlapping rules counting once with
    its strongest weight (the rules in it are not independent evidence)."""
    strongest: dict[str, float] = {}
    for r in rules:
        family = families.get(r) or r
        strongest[family] = max(strongest.get(family, 0.0), weights[r])
    return noisy_or(strongest.values())


def rarity(share: float) -> float:
    """The factor on a rule's weight when its hits cover ``share`` of a unit's vouchers."""
    if share <= RARE:
        return 1.0
    position = min(1.0, math.log(share / RARE) / math.log(COMMON / RARE))
    return 1.0 - (1.0 - RARITY_FLOOR) * position


def materiality(amount, spending: float) -> float:
    """The factor on a voucher's score for its amount against the unit's annual spending."""
    if amount is None or spending <= 0:
        return (1.0 + IMMATERIAL_FACTOR) / 2 if amount is None else 1.0
    return IMMATERIAL_FACTOR + (1.0 - IMMATERIAL_FACTOR) * min(1.0, float(abs(amount)) / (MATERIAL * spending))


@dataclass
class UnitRisk:
    org: object
    score: float = 0.0
    unit_score: float = 0.0
    voucher_score: float = 0.0
    flags: int = 0
    high: int = 0
    vouchers: int = 0
    amount: Decimal = Decimal("0.00")
    rules: set = field(default_factory=set)
    findings: int = 0  # findings of earlier audits (prior_findings)
    top_vouchers: list = field(default_factory=list)  # (score, period, voucher_type, voucher_no)


SCORED = ("org_id", "rule", "severity", "score", "period", "voucher_type", "voucher_no", "amount")


class Ranker:
    """Accumulates a run's flags (tuples of the ``SCORED`` fields) as its rules finish, so a run
    ranks its units while the engine runs the next rule; ``units`` gives the ranking."""

    def __init__(self, run: ScreeningRun, facts: dict | None = None):
        # each unit's vouchers and spending, by org id (``ScreeningRun.unit_facts``)
        self.facts = {int(k): v for k, v in (run.unit_facts if facts is None else facts).items()}
        self.fiscal_year = run.fiscal_year
        self.weights: dict[str, float] = {}  # the weight each rule had in this run, from its flag scores
        self.families = {entry["code"]: entry.get("family", "") for entry in run.rules}
        self.by_org: dict[int, UnitRisk] = {}
        self.voucher_rules: dict[tuple, set] = defaultdict(set)
        self.voucher_amount: dict[tuple, Decimal] = {}
        self.unit_rules: dict[int, set] = defaultdict(set)

    def add(self, flags) -> None:
        weights, units, voucher_rules, voucher_amount = self.weights, self.by_org, self.voucher_rules, self.voucher_amount
        for org_id, rule, severity, score, period, voucher_type, voucher_no, amount in flags:
            weights[rule] = score / 100
            u = units.get(org_id)
            if u is None:
                u = units[org_id] = UnitRisk(org=org_id)
            u.flags += 1
            u.high += severity == "高"
            u.rules.add(rule)
            if voucher_no is None:
                self.unit_rules[org_id].add(rule)
                continue
            key = (org_id, period, voucher_type, voucher_no)
            voucher_rules[key].add(rule)
            if amount is not None:
                voucher_amount[key] = max(voucher_amount.get(key, Decimal(0)), abs(amount))

    def voucher_scores(self) -> dict[tuple, float]:
        """Each flagged voucher's score (0–1), by (org id, period, voucher type, voucher number)."""
        weights, families, facts = self.weights, self.families, self.facts
        hits = Counter((key[0], rule) for key, rules in self.voucher_rules.items() for rule in rules)
        factor = {}
        for (org_id, rule), n in hits.items():
            vouchers = facts.get(org_id, {}).get("vouchers") or 0
            factor[org_id, rule] = rarity(n / max(vouchers, RARITY_SAMPLE))
        scores = {}
        for key, rules in self.voucher_rules.items():
            org_id = key[0]
            discounted = {r: weights[r] * factor[org_id, r] for r in rules}
            spending = facts.get(org_id, {}).get("spending") or 0
            scores[key] = combined(rules, discounted, families) * materiality(self.voucher_amount.get(key), spending)
        return scores

    def units(self, voucher_scores: dict[tuple, float] | None = None) -> list[UnitRisk]:
        """Units ranked by risk score (0–100), highest first."""
        weights, families, units = self.weights, self.families, self.by_org
        orgs = Org.objects.in_bulk(list(units))
        earlier = prior_findings(self.fiscal_year, list(units)) if prior_findings is not None and units else {}
        per_unit_vouchers: dict[int, list] = defaultdict(list)
        for key, score in (voucher_scores or self.voucher_scores()).items():
            per_unit_vouchers[key[0]].append((score, *key[1:]))
        for org_id, u in units.items():
            u.org = orgs[org_id]
            scored = sorted(per_unit_vouchers.get(org_id, []), reverse=True)
            u.vouchers = len(scored)
            u.amount = sum((self.voucher_amount.get((org_id, *v[1:]), Decimal(0)) for v in scored), Decimal("0.00"))
            u.top_vouchers = [(round(s * 100, 1), *rest) for s, *rest in scored[:TOP_VOUCHERS]]
            u.voucher_score = sum(s for s, *_ in scored[:TOP_VOUCHERS]) / TOP_VOUCHERS
            u.findings = earlier.get(org_id, 0)
            u.unit_score = noisy_or([combined(self.unit_rules.get(org_id, ()), weights, families), findings_term(u.findings)])
            u.score = round(100 * noisy_or([u.unit_score, u.voucher_score]), 1)
        return sorted(units.values(), key=lambda u: (-u.score, u.org.code))


def unit_ranking(run: ScreeningRun) -> list[UnitRisk]:
    """Units of a stored run ranked by risk score (0–100), highest first, from its flags."""
    ranker = Ranker(run)
    ranker.add(Flag.objects.filter(run=run).values_list(*SCORED).iterator(chunk_size=20000))
    return ranker.units()


def ranking_rows(ranker: Ranker, voucher_scores: dict[tuple, float] | None = None) -> list[dict]:
    """The ranking as stored on the run, computed once when it ends (pages read it, they do
    not recompute it from every flag)."""
    return [
        {"org_id": u.org.pk, "org_code": u.org.code, "org_name": u.org.name, "score": u.score, "flags": u.flags,
         "high": u.high, "vouchers": u.vouchers, "amount": str(u.amount), "findings": u.findings}
        for u in ranker.units(voucher_scores)
    ]

