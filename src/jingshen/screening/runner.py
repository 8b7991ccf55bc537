"""The work of a screening run, run by the background task ``screening.tasks.run_screening_task``
(or directly by ``services.run_screening`` for the CLI): every recorded rule over the recorded
datasets, the flags stored in bulk, the ranking, the outcome logged."""

import json
import logging
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from decimal import Decimal
from operator import itemgetter

from django.db import connection, transaction
from django.utils import timezone

from jingshen.activity.services import record
from jingshen.ledger.charts import unconfirmed_roles
from jingshen.screening import applicability
from jingshen.screening.custom import as_rule
from jingshen.screening.engine import ENGINES, reads
from jingshen.screening.models import CurrentRisk, CustomRule, Flag, ScreeningRun
from jingshen.screening.scoring import SCORED, Ranker, ranking_rows
from jingshen.screening.rules import REQUIRED_COLUMNS, SYSTEMIC_EXPLANATION, compile_template, load_rules

log = logging.getLogger(__name__)
CENT = Decimal("0.01")
# A flag as _collect_flags builds it and _insert_flags stores it.
FLAG_COLUMNS = (
    "run_id", "dataset_id", "rule", "rule_name", "category", "severity", "score", "org_id", "fiscal_year", "period",
    "voucher_type", "voucher_no", "line_no", "amount", "message", "basis", "details", "voucher_score",
)
# A rule's hits become one systemic finding only from this many vouchers up: a share of a
# handful of vouchers says nothing about a unit's controls.
SYSTEMIC_MIN_VOUCHERS = 10
SYSTEMIC_EXAMPLES = 3
SCORED_FIELDS = itemgetter(*(FLAG_COLUMNS.index(c) for c in SCORED))  # what scoring reads of a flag


def execute_run(run: ScreeningRun, progress: Callable[[float, str], None] = lambda fraction, stage: None) -> ScreeningRun:
    """Run the recorded rules (with each unit group's recorded parameters) over the recorded
    datasets and store the flags in bulk."""
    datasets = list(run.datasets.select_related("org"))

    def report(fraction: float, stage: str) -> None:
        ScreeningRun.objects.filter(pk=run.pk).update(progress=fraction, stage=stage[:100])
        progress(fraction, stage)

    try:
        flags, ranker = _collect_flags(run, datasets, report)
    except BaseException as exc:  # also an interrupted command: the run must not stay 运行中
        log.exception("screening run %s failed", run.pk)
        reason = "被中断" if isinstance(exc, KeyboardInterrupt) else f"筛查失败：{exc}"
        with transaction.atomic():
            ScreeningRun.objects.filter(pk=run.pk).update(
                status=ScreeningRun.Status.FAILED, finished_at=timezone.now(), message=reason[:2000]
            )
            record("screening.fail", f"疑点筛查 #{run.pk} 未完成：{reason}", actor=run.started_by, org=run.scope_org, obj=run)
        raise
    report(0.95, "保存疑点")
    scores = ranker.voucher_scores()
    at = itemgetter(*(FLAG_COLUMNS.index(c) for c in ("org_id", "period", "voucher_type", "voucher_no")))
    flags = [(*f[:-1], round(100 * scores[at(f)], 1)) if f[VOUCHER_NO] is not None else f for f in flags]
    with transaction.atomic():
        _insert_flags(flags)
        run.flag_count = len(flags)
        run.status = ScreeningRun.Status.DONE
        run.finished_at = timezone.now()
        run.progress, run.stage = 1.0, "完成"
        run.ranking = ranking_rows(ranker, scores)
        run.save()
        keep_current_risk(run, {d.org_id for d in datasets})
        record(
            "screening.run",
            f"疑点筛查 {run.fiscal_year} 年：{len(datasets)} 个单位，{len(run.rules)} 条规则，{len(flags)} 个疑点",
            actor=run.started_by,
            org=run.scope_org,
            obj=run,
        )
    progress(1.0, "完成")
    return run


VOUCHER_NO = FLAG_COLUMNS.index("voucher_no")


def keep_current_risk(run: ScreeningRun, org_ids: set[int]) -> None:
    """Make ``run`` the current risk (``CurrentRisk``) of every unit it covered: its line of
    the run's ranking, or score 0 for a unit the run covered without a flag."""
    ranked = {row["org_id"]: row for row in run.ranking}
    CurrentRisk.objects.filter(org_id__in=org_ids).delete()
    CurrentRisk.objects.bulk_create(
        CurrentRisk(org_id=org_id, run=run, fiscal_year=run.fiscal_year, finished_at=run.finished_at,
                    score=row.get("score", 0), flags=row.get("flags", 0), high=row.get("high", 0),
                    vouchers=row.get("vouchers", 0), amount=Decimal(row.get("amount", "0")))
        for org_id in org_ids for row in [ranked.get(org_id, {})]
    )


def _collect_flags(run, datasets, report) -> tuple[list[tuple], Ranker]:
    """Run each rule once per group of units sharing its parameter values and turn the rows
    into flags (tuples of FLAG_COLUMNS, voucher_score still None), in a stable order (re-runs
    give identical flags), and rank them.

    First the units' facts (applicability.py): a rule runs only for the units it applies to,
    and not at all when it applies to none; the reasons are recorded on the run.

    The engine runs the next rule's SQL in a worker thread while this thread turns the previous
    rule's rows into flags and adds them to the ranking: the engine releases the GIL while it
    computes, so both cores stay busy (docs/benchmarks.md)."""
    by_org = {d.org.code: d for d in datasets}
    tasks = []  # (rule, parameter values, the group's units or None for all)
    for entry in run.rules:
        rule = _rule(entry["code"])
        groups = entry.get("groups") or [{"params": entry["params"], "orgs": None}]
        for group in groups:
            tasks.append((rule, group["params"], set(group["orgs"]) if group["orgs"] is not None and len(groups) > 1 else None))
    # rules reading the same derived table run one after another, so that it is dropped early
    tasks.sort(key=lambda task: reads(task[0].sql))
    runner = ENGINES[run.engine](datasets)
    try:
        report(0, "检查数据")
        facts = applicability.unit_facts(runner)
        not_applicable: dict[str, dict[str, str]] = defaultdict(dict)
        applicable = []
        for rule, values, members in tasks:
            orgs = members if members is not None else set(by_org)
            samples = applicability.sample_sizes(runner, rule, values) if rule.sample else None
            skip = applicability.reasons(rule, values, orgs, facts, samples)
            not_applicable[rule.code].update(skip)
            if len(skip) < len(orgs):
                applicable.append((rule, values, orgs - set(skip) if skip or members is not None else None))
        tasks = applicable
        run.not_applicable = {code: reasons for code, reasons in not_applicable.items() if reasons}
        run.unit_facts = {str(by_org[org].org_id): f.as_json() for org, f in facts.items() if org in by_org}
        tested = set().union(*(rule.roles(values) for rule, values, _ in tasks))
        run.unconfirmed_roles = {org: [list(account) for account in accounts]  # as stored (JSON)
                                 for org, accounts in unconfirmed_roles([d.org for d in datasets], roles=tested).items()}
        ranker = Ranker(run)
        runner.plan([(rule, values) for rule, values, _ in tasks])
    except BaseException:
        runner.close()
        raise
    unit_vouchers = {by_org[org].org_id: f.vouchers for org, f in facts.items() if org in by_org}
    flags: list[tuple] = []
    pending = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="screening-engine") as worker:
        try:
            pending = worker.submit(runner.run_one, *tasks[0][:2]) if tasks else None
            for i, (rule, values, members) in enumerate(tasks):
                report(i / len(tasks) * 0.9, rule.name)
                result = pending.result()
                pending = worker.submit(runner.run_one, *tasks[i + 1][:2]) if i + 1 < len(tasks) else None
                found = _flags_of(run, rule, values, members, result, by_org)
                if rule.systemic:
                    found = _systemic(run, rule, values, found, unit_vouchers)
                ranker.add(map(SCORED_FIELDS, found))
                flags += found
        finally:
            if pending is not None and not pending.done():
                runner.interrupt()  # failed or interrupted: stop the rule still running
                wait([pending])
            runner.close()
    return flags, ranker


def _flags_of(run, rule, values: dict, members: set[str] | None, result, by_org: dict) -> list[tuple]:
    """One rule's rows (for the units in ``members``, or all) as flags, in a stable order."""
    explain = rule.explainer(result.columns, values)
    fixed = (rule.code, rule.name, rule.category, rule.severity, round(rule.weight * 100, 2))
    basis = rule.basis_text()
    at = {c: result.columns.index(c) for c in REQUIRED_COLUMNS}  # the rule contract's columns
    detail_at = [(name, result.columns.index(name)) for name in rule.details if name in result.columns]
    found = []
    for row in result.rows:
        org = row[at["org"]]
        if members is not None and org not in members:
            continue
        dataset = by_org[org]
        amount = row[at["amount"]]
        details = json.dumps({name: row[i] for name, i in detail_at}, ensure_ascii=False, default=str) if detail_at else None
        found.append((
            run.pk, dataset.pk, *fixed, dataset.org_id, row[at["fiscal_year"]], row[at["period"]],
            row[at["voucher_type"]] or "", row[at["voucher_no"]], row[at["line_no"]],
            Decimal(amount).quantize(CENT) if amount is not None else None, explain(row), basis, details, None,
        ))
    found.sort(key=_flag_order)
    return found


def _systemic(run, rule, values: dict, found: list[tuple], unit_vouchers: dict[int, int]) -> list[tuple]:
    """A rule's flags with, for each unit where they cover at least ``systemic_share`` of its
    vouchers (and SYSTEMIC_MIN_VOUCHERS), one unit-level finding in their place: the condition
    is how the unit works (an internal-control weakness), not a voucher to pursue. The hits it
    stands for are listed in its details (period, voucher type and number, line, amount)."""
    share = float(values.get("systemic_share", rule.params["systemic_share"].default))
    by_org: dict[int, list[tuple]] = defaultdict(list)
    for flag in found:
        if flag[VOUCHER_NO] is not None:
            by_org[flag[7]].append(flag)
    common = set()
    for org_id, flags in by_org.items():
        hit = {(f[9], f[10], f[11]) for f in flags}
        total = unit_vouchers.get(org_id, 0)
        if len(hit) >= SYSTEMIC_MIN_VOUCHERS and total and len(hit) >= share * total:
            common.add(org_id)
    if not common:
        return found
    kept = [f for f in found if f[7] not in common or f[VOUCHER_NO] is None]
    template = compile_template(rule.systemic_explanation or SYSTEMIC_EXPLANATION, rule.params)
    for org_id in sorted(common):
        kept.append(_systemic_flag(rule, values, by_org[org_id], unit_vouchers[org_id], template))
    kept.sort(key=_flag_order)
    return kept


def _systemic_flag(rule, values: dict, flags: list[tuple], total: int, template) -> tuple:
    """One unit's systemic finding for ``rule`` from its flags there."""
    per_voucher: dict[tuple, Decimal] = defaultdict(Decimal)
    for f in flags:
        per_voucher[f[9], f[10], f[11]] += abs(f[13] or 0)
    amount = sum(per_voucher.values(), Decimal("0.00"))
    largest = sorted(per_voucher.items(), key=lambda item: (-item[1], item[0]))[:SYSTEMIC_EXAMPLES]
    fields = {
        "vouchers": f"{total:,}", "hits": f"{len(per_voucher):,}", "share": f"{len(per_voucher) / total:.0%}",
        "amount": f"{amount:,.2f}", "rule_name": rule.name,
        "examples": "、".join(f"{p}月{t}字第{n}号（{a:,.2f} 元）" for (p, t, n), a in largest),
    }
    merged = rule.defaults() | values
    shown = {"column": fields.get, "param": lambda name: rule.params[name].shown(merged[name]), "": lambda name: ""}
    message = "".join(text + shown[kind](name) for text, kind, name in template)
    details = {
        "systemic": True, "vouchers": total, "hits": len(per_voucher), "share": round(len(per_voucher) / total, 4),
        "amount": str(amount), "flags": [[f[9], f[10], f[11], f[12], str(f[13]) if f[13] is not None else None] for f in flags],
    }
    first = flags[0]
    return (*first[:9], None, "", None, None, amount, message, first[15], json.dumps(details, ensure_ascii=False), None)


def _flag_order(flag: tuple):
    """Unit, year, period, voucher, line, then the message: the same flags in the same order
    whatever order the engine returned them in."""
    org_id, year, period, vtype, vno, line, _, message = flag[7:15]
    return (org_id, year, -1 if period is None else period, vtype, -1 if vno is None else vno,
            -1 if line is None else line, message)


def _insert_flags(flags: list[tuple]) -> None:
    """Bulk insert: COPY on PostgreSQL, one executemany elsewhere (ORM objects cost more than
    the insert itself at hundreds of thousands of flags)."""
    table = connection.ops.quote_name(Flag._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in FLAG_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for flag in flags:
                    copy.write_row(flag)
        else:
            placeholders = ", ".join(["%s"] * len(FLAG_COLUMNS))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", flags)


def _rule(code: str):
    """A pack rule, or a custom rule (checked again before it runs)."""
    rules = load_rules()
    if code in rules:
        return rules[code]
    custom = CustomRule.objects.filter(code=code).first()
    if custom is None:
        raise ValueError(f"规则 {code} 已不存在。")
    return as_rule(custom)
