"""What each unit's data can support, and so which rules apply to it (issue 13, item 2).

A rule needs some columns not to be empty (``[requires] columns``: 审核人, 附件数 …), some account
roles in the unit's chart (``[requires] roles``), the unit-year's budget or 工资总额
(``[requires] budget`` / ``payroll``: rows in the engine's ``budgets`` / ``payroll`` tables) and,
for a statistical rule, a minimum sample (``[sample]``). A unit lacking any of these is *not applicable* for the rule: the rule's hits on
it are not flags, and the run records the reason (``ScreeningRun.not_applicable``), shown on the
run page, in the unit's data-quality report and in the CLI's summary line. Not applicable is
neither risk nor "clean".

The facts come from one pass over the run's tables (``unit_facts``): each unit's vouchers, its
spending (for materiality, scoring.py), the columns that hold a value on at least one line, the
roles its chart has, and whether it has a budget and a 工资总额 for the run's year.
"""

from dataclasses import dataclass, field

from jingshen.ledger.roles import AccountRole
from jingshen.screening.rules import DATA_COLUMNS, Rule, compile_template, load_rules

# One row per unit: its vouchers and spending, and how many lines hold each DATA_COLUMNS column.
FACTS_SQL = """
WITH v AS (
    SELECT org, count(*) AS vouchers FROM vouchers GROUP BY org
), l AS (
    SELECT l.org,
           sum(CASE WHEN a.category = 'expense' THEN l.debit ELSE 0 END) AS spending,
           {present}
    FROM lines l
    LEFT JOIN accounts a ON a.org = l.org AND a.code = l.account_code
    GROUP BY l.org
)
SELECT v.org, v.vouchers, coalesce(l.spending, 0) AS spending, {columns}
FROM v LEFT JOIN l ON l.org = v.org
""".format(
    present=",\n           ".join(
        f"count(*) FILTER (WHERE {c} IS NOT NULL AND CAST({c} AS VARCHAR) <> '') AS {c}" for c in DATA_COLUMNS
    ),
    columns=", ".join(f"coalesce(l.{c}, 0) AS {c}" for c in DATA_COLUMNS),
)
ROLES_SQL = "SELECT DISTINCT org, role FROM accounts WHERE coalesce(role, '') <> ''"
# The units with a budget or a 工资总额 for a year of the run (the engine builds both tables for
# the run's unit-years only).
HAVING_SQL = "SELECT DISTINCT org, 'budget' FROM budgets UNION ALL SELECT DISTINCT org, 'payroll' FROM payroll"


@dataclass
class UnitFacts:
    vouchers: int = 0
    spending: float = 0.0
    columns: set = field(default_factory=set)  # DATA_COLUMNS holding a value on some line
    roles: set = field(default_factory=set)
    budget: bool = False  # a budget is imported for the unit-year
    payroll: bool = False  # a 工资总额 is imported for the unit-year

    def as_json(self) -> dict:
        return {"vouchers": self.vouchers, "spending": round(self.spending, 2)}


def unit_facts(engine) -> dict[str, UnitFacts]:
    """The facts of every unit of the engine's datasets, by unit code."""
    facts: dict[str, UnitFacts] = {}
    names = list(DATA_COLUMNS)
    for org, vouchers, spending, *counts in engine.execute(FACTS_SQL).fetchall():
        facts[org] = UnitFacts(vouchers=vouchers, spending=float(spending or 0),
                               columns={c for c, n in zip(names, counts, strict=True) if n})
    for org, role in engine.execute(ROLES_SQL).fetchall():
        facts.setdefault(org, UnitFacts()).roles.add(role)
    for org, what in engine.execute(HAVING_SQL).fetchall():
        setattr(facts.setdefault(org, UnitFacts()), what, True)
    return facts


def sample_sizes(engine, rule: Rule, values: dict) -> dict[str, int]:
    """Each unit's sample size for a statistical rule (units absent from the result have none)."""
    return dict(engine.query(rule._render(rule.sample.sql, values)).fetchall())


def reasons(rule: Rule, values: dict, orgs, facts: dict[str, UnitFacts], samples: dict[str, int] | None) -> dict[str, str]:
    """Why ``rule`` (with parameter ``values``) does not apply to each of ``orgs`` that it does
    not apply to, in Chinese, by unit code."""
    found = {}
    minimum = values.get(rule.sample.min, rule.params[rule.sample.min].default) if rule.sample else None
    for org in orgs:
        f = facts.get(org) or UnitFacts()
        why = []
        empty = [DATA_COLUMNS[c] for c in rule.requires_columns if c not in f.columns]
        if empty:
            why.append(f"数据中“{'”“'.join(empty)}”一栏全部为空")
        lacking = [AccountRole(r).label for r in rule.requires_roles if r not in f.roles]
        if lacking:
            why.append(f"科目表中没有“{'”“'.join(lacking)}”科目（或未设定科目角色）")
        if rule.requires_budget and not f.budget:
            why.append("未导入该年度预算（工会经费收支预算表）")
        if rule.requires_payroll and not f.payroll:
            why.append("未导入该年度工资总额")
        if rule.sample is not None:
            n = (samples or {}).get(org, 0)
            if n < minimum:
                shown = rule.params[rule.sample.min].shown(minimum)
                why.append(f"样本不足：{_what(rule, values)}仅 {n:,} 笔，至少需要 {shown} 笔，统计检验不作判断")
        if why:
            found[org] = "；".join(why)
    return found


def _what(rule: Rule, values: dict) -> str:
    """A sample's description with its parameter values filled in."""
    merged = rule.defaults() | values
    return "".join(text + (rule.params[name].shown(merged[name]) if kind == "param" else "")
                   for text, kind, name in compile_template(rule.sample.what, rule.params))


def summary(not_applicable: dict[str, dict[str, str]], names: dict[str, str], visible=None) -> list[dict]:
    """A run's rules that did not apply (to the units in ``visible``, a set of codes, or all),
    for pages: one entry per rule with its units and their reasons."""
    rows = []
    for code, by_org in sorted(not_applicable.items()):
        units = sorted((org, reason) for org, reason in by_org.items() if visible is None or org in visible)
        if units:
            rows.append({"rule": code, "name": names.get(code, code), "units": units})
    return rows


def for_dataset(dataset) -> tuple[object, list[tuple[str, str, str]]]:
    """The latest completed screening run of a dataset and the rules that did not apply to its
    unit there, as (code, name, reason): for the unit's data-quality report (no scan of the data
    at page load: the run recorded it)."""
    from jingshen.screening.models import ScreeningRun

    run = (ScreeningRun.objects.filter(datasets=dataset, status=ScreeningRun.Status.DONE)
           .order_by("-finished_at", "-id").first())
    if run is None:
        return None, []
    names = {code: rule.name for code, rule in load_rules().items()}
    code = dataset.org.code
    return run, [(rule, names.get(rule, rule), by_org[code]) for rule, by_org in sorted(run.not_applicable.items()) if code in by_org]
