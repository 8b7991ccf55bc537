"""Running the rule pack over the datasets of a year and storing the flags (疑点)."""

from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from jingshen.activity.services import record
from jingshen.ledger.models import Dataset, DatasetKind
from jingshen.orgs.models import Org
from jingshen.screening.engine import ENGINES
from jingshen.screening.models import Flag, ScreeningRun
from jingshen.screening.rules import load_rules

KEY = ("org", "fiscal_year", "period", "voucher_type", "voucher_no", "line_no")


def latest_voucher_datasets(year: int, org: Org | None = None) -> list[Dataset]:
    """The newest voucher dataset of every unit (of ``org``'s subtree) for ``year``."""
    datasets = Dataset.objects.filter(kind=DatasetKind.VOUCHERS, fiscal_year=year).select_related("org")
    if org is not None:
        datasets = datasets.filter(org__path__startswith=org.path)
    latest: dict[int, Dataset] = {}
    for d in datasets.order_by("org_id", "version"):
        latest[d.org_id] = d
    return list(latest.values())


def run_screening(
    *,
    year: int,
    org: Org | None = None,
    rule_codes: list[str] | None = None,
    engine: str = "duckdb",
    params: dict[str, dict] | None = None,
    actor=None,
    progress: Callable[[float, str], None] = lambda fraction, stage: None,
) -> ScreeningRun:
    """Screen every unit's latest voucher dataset of ``year`` (within ``org``'s subtree) with
    the chosen rules (default: all). The same rules on the same data give the same flags."""
    rules = load_rules()
    codes = rule_codes or sorted(rules)
    unknown = [c for c in codes if c not in rules]
    if unknown:
        raise ValueError(f"未知的规则：{'、'.join(unknown)}。")
    if engine not in ENGINES:
        raise ValueError(f"未知的引擎「{engine}」，可选：{'、'.join(ENGINES)}。")
    datasets = latest_voucher_datasets(year, org)
    if not datasets:
        where = f"{org.name}及其下级单位" if org else "任何单位"
        raise ValueError(f"{where}都没有 {year} 年的凭证数据，请先在数据采集中导入。")
    params = params or {}
    chosen = [rules[c] for c in codes]
    run = ScreeningRun.objects.create(
        fiscal_year=year,
        scope_org=org,
        engine=engine,
        rules=[{"code": r.code, "version": r.version, "params": r.defaults() | params.get(r.code, {})} for r in chosen],
        started_by=actor if getattr(actor, "is_authenticated", False) else None,
        lines_screened=sum(d.rows for d in datasets),
    )
    run.datasets.set(datasets)
    by_org = {d.org.code: d for d in datasets}
    runner = ENGINES[engine](datasets)
    flags: list[Flag] = []
    try:
        for i, result in enumerate(runner.run(chosen, params)):
            progress((i + 1) / len(chosen) * 0.9, result.rule.name)
            rule = result.rule
            rows = [dict(zip(result.columns, row)) for row in result.rows]
            rows.sort(key=lambda r: tuple("" if r.get(k) is None else str(r.get(k)).zfill(12) for k in KEY))
            for row in rows:
                dataset = by_org[row["org"]]
                amount = row.get("amount")
                flags.append(
                    Flag(
                        run=run,
                        dataset=dataset,
                        rule=rule.code,
                        rule_name=rule.name,
                        category=rule.category,
                        severity=rule.severity,
                        score=round(rule.weight * 100, 2),
                        org=dataset.org,
                        fiscal_year=row["fiscal_year"],
                        period=row.get("period"),
                        voucher_type=row.get("voucher_type") or "",
                        voucher_no=row.get("voucher_no"),
                        line_no=row.get("line_no"),
                        amount=Decimal(amount).quantize(Decimal("0.01")) if amount is not None else None,
                        message=rule.explain(row, params.get(rule.code)),
                        basis=rule.basis_text(),
                    )
                )
    finally:
        runner.close()
    with transaction.atomic():
        Flag.objects.bulk_create(flags, batch_size=5000)
        run.flag_count = len(flags)
        run.status = ScreeningRun.Status.DONE
        run.finished_at = timezone.now()
        run.save()
        record("screening.run", f"疑点筛查 {year} 年：{len(datasets)} 个单位，{len(chosen)} 条规则，{len(flags)} 个疑点",
               actor=actor, org=org, obj=run)
    progress(1.0, "完成")
    return run


def flag_json(flag: Flag) -> dict:
    """One flag as the CLI's JSON Lines output."""
    return {
        "rule": flag.rule,
        "rule_name": flag.rule_name,
        "category": flag.category,
        "severity": flag.severity,
        "score": flag.score,
        "org": flag.org.code,
        "fiscal_year": flag.fiscal_year,
        "period": flag.period,
        "voucher_type": flag.voucher_type or None,
        "voucher_no": flag.voucher_no,
        "line_no": flag.line_no,
        "amount": str(flag.amount) if flag.amount is not None else None,
        "message": flag.message,
        "basis": flag.basis,
    }
