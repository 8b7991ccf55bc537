"""疑点筛查 writes: starting a screening run (recorded so it can be reproduced, then run in the
background by ``tasks.run_screening_task``, whose work is ``runner.execute_run``), or running it
in one go for the command line; and the rule parameters a unit sets for itself and the units
below it."""

from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction

from jingshen.activity.services import record
from jingshen.ledger.models import Dataset, DatasetKind
from jingshen.orgs import scope
from jingshen.orgs.models import Org
from jingshen.screening import custom as custom_rules, tasks
from jingshen.screening.engine import ENGINES, unavailable
from jingshen.screening.models import CustomRule, Flag, ParamOverride, ScreeningRun
from jingshen.screening.params import overrides_for, presets
from jingshen.screening.rules import load_rules
from jingshen.screening.runner import execute_run


def latest_voucher_datasets(year: int, org: Org | None = None, actor=None) -> list[Dataset]:
    """The newest voucher dataset of every unit (of ``org``'s subtree) for ``year``; with an
    ``actor``, of the units they may screen only (a cross-audit grant opens its one unit, not
    the units below it)."""
    datasets = Dataset.objects.filter(kind=DatasetKind.VOUCHERS, fiscal_year=year).select_related("org")
    if org is not None:
        datasets = datasets.filter(org__path__startswith=org.path)
    if actor is not None:
        datasets = datasets.restrict(actor, scope.SCREEN)
    latest: dict[int, Dataset] = {}
    for d in datasets.order_by("org_id", "version"):
        latest[d.org_id] = d
    return list(latest.values())


def start_run(
    *,
    year: int,
    org: Org | None = None,
    rule_codes: list[str] | None = None,
    engine: str | None = None,
    params: dict[str, dict] | None = None,
    actor=None,
    datasets: list[Dataset] | None = None,
) -> ScreeningRun:
    """Check the request and record the run (status 运行中) with its datasets, rule versions
    and parameters, so it can be reproduced; ``execute_run`` does the work. The custom rules
    of ``org`` and the units above it run with the pack. A run started by a user (``actor``)
    screens only the units of ``org``'s subtree that the user may screen; the command line
    (no actor) is the operator's and screens them all. ``datasets`` (an audit project's pinned
    versions) screens exactly those instead of each unit's latest version; with an actor, each
    must be of a unit the actor may screen. ``engine``: duckdb or spark (default: the setting
    ``SCREENING_ENGINE``); one that cannot run here is refused before anything is recorded."""
    engine = engine or settings.SCREENING_ENGINE
    user = actor if getattr(actor, "is_authenticated", False) else None
    if user is not None and datasets is None and (org is None or not scope.can(user, scope.SCREEN, org)):
        raise PermissionError("您不能筛查该单位的数据。")
    rules = load_rules() | {r.code: r for r in custom_rules.rules_for_org(org)}
    codes = rule_codes or sorted(rules)
    unknown = [c for c in codes if c not in rules]
    if unknown:
        raise ValueError(f"未知的规则：{'、'.join(unknown)}。")
    if engine not in ENGINES:
        raise ValueError(f"未知的引擎「{engine}」，可选：{'、'.join(ENGINES)}。")
    why = unavailable(engine)
    if why:  # before anything is recorded
        raise ValueError(why)
    if datasets is not None:
        if user is not None and any(not scope.can(user, scope.SCREEN, d.org) for d in datasets):
            raise PermissionError("您不能筛查其中某些单位的数据。")
        if any(d.kind != DatasetKind.VOUCHERS or d.fiscal_year != year for d in datasets):
            raise ValueError(f"只能筛查 {year} 年的凭证数据集。")
    else:
        datasets = latest_voucher_datasets(year, org, user)
    if not datasets:
        where = f"{org.name}及其下级单位" if org else "任何单位"
        raise ValueError(f"{where}都没有 {year} 年的凭证数据，请先在数据采集中导入。")
    params = params or {}
    for code, values in params.items():  # validate overrides now, not halfway through the run
        for name, value in values.items():
            if name not in rules[code].params:
                raise ValueError(f"规则 {code} 没有参数「{name}」。")
            rules[code].params[name].check(value)
    overrides = overrides_for([d.org for d in datasets])
    entries = []
    for c in codes:
        base = rules[c].defaults()
        groups: dict[tuple, list[str]] = {}
        for d in datasets:  # units' own settings (nearest up the tree), then this run's explicit values
            values = base | overrides[d.org.code].get(c, {}) | params.get(c, {})
            groups.setdefault(tuple(sorted(values.items())), []).append(d.org.code)
        entries.append({
            "code": c,
            "version": rules[c].version,
            "family": rules[c].family,
            "params": base | params.get(c, {}),
            "groups": [{"params": dict(key), "orgs": sorted(orgs)} for key, orgs in groups.items()],
        })
    with transaction.atomic():
        run = ScreeningRun.objects.create(
            fiscal_year=year,
            scope_org=org,
            engine=engine,
            rules=entries,
            started_by=user,
            lines_screened=sum(d.rows for d in datasets),
        )
        run.datasets.set(datasets)
        where = f"{org.name}及下级单位" if org else "全部单位"
        record("screening.start", f"发起疑点筛查 #{run.pk}：{year} 年，{where}，{len(datasets)} 个单位，{len(entries)} 条规则",
               actor=user, org=org, obj=run, rules=codes, engine=engine, datasets=[d.pk for d in datasets])
    return run


def start_in_background(**request) -> ScreeningRun:
    """start_run, then queue the run for the background worker (the page)."""
    run = start_run(**request)
    tasks.run_screening_task.enqueue(run.pk)
    return run


def run_screening(*, progress: Callable[[float, str], None] = lambda fraction, stage: None, **request) -> ScreeningRun:
    """start_run and execute_run in one go (the CLI, tests)."""
    return execute_run(start_run(**request), progress)


# What the CLI's JSON Lines output says of each flag: its fields as stored (org as its code).
FLAG_FIELDS = ("rule", "rule_name", "category", "severity", "score", "org__code", "fiscal_year", "period", "voucher_type",
               "voucher_no", "line_no", "amount", "message", "basis", "details", "voucher_score")


def flag_records(run: ScreeningRun):
    """The run's flags as the CLI's JSON Lines records, streamed from the database in a stable
    order (no model instances: a run can hold hundreds of thousands of flags)."""
    rows = (Flag.objects.filter(run=run).order_by("org__code", "rule", "period", "voucher_no", "line_no", "id")
            .values_list(*FLAG_FIELDS).iterator(chunk_size=5000))
    for row in rows:
        record = dict(zip(FLAG_FIELDS, row, strict=True))
        record["org"] = record.pop("org__code")
        record["voucher_type"] = record["voucher_type"] or None
        record["amount"] = str(record["amount"]) if record["amount"] is not None else None
        record["unit_level"] = record["voucher_no"] is None  # about the unit (or a period), not one voucher
        record["systemic"] = bool(record["details"] and record["details"].get("systemic"))
        yield {"record": "flag", **record}


def run_record(run: ScreeningRun) -> dict:
    """The JSON Lines output's last record: the run, its units' ranking, and the rules that did
    not apply to some units and why."""
    return {
        "record": "run",
        "run": run.pk,
        "fiscal_year": run.fiscal_year,
        "units": run.datasets.count(),
        "lines": run.lines_screened,
        "rules": [e["code"] for e in run.rules],
        "flags": run.flag_count,
        "ranking": [{k: u[k] for k in ("org_code", "score", "flags", "high", "vouchers", "amount")} for u in run.ranking],
        "not_applicable": [
            {"rule": code, "org": org, "reason": reason}
            for code, by_org in sorted(run.not_applicable.items()) for org, reason in sorted(by_org.items())
        ],
    }


def _configured_unit(user) -> Org:
    """The user's own unit, on which parameters are set, if they may configure it."""
    if user.org is None or not scope.can(user, scope.CONFIGURE, user.org):
        raise PermissionError("只有经审负责人或系统管理员可以设置规则参数。")
    return user.org


def _param_value(p, value):
    """A value typed by the user for parameter ``p``: text as given, numbers finite and sane."""
    if p.type == "text":
        return str(value)
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        raise ValueError(f"参数「{p.label}」应为数字。") from None
    if not number.is_finite() or abs(number) >= 10**15:
        raise ValueError(f"参数「{p.label}」应为一个正常大小的数字。")
    return int(number) if number == number.to_integral_value() else float(number)


def set_param(user, rule_code: str, param: str, value, note: str = "") -> ParamOverride:
    """Set a parameter for the user's own unit (and so every unit below it)."""
    org = _configured_unit(user)
    rules = load_rules()
    if rule_code not in rules or param not in rules[rule_code].params:
        raise ValueError("没有这个规则参数。")
    p = rules[rule_code].params[param]
    value = _param_value(p, value)
    p.check(value)  # range and pattern, Chinese message
    with transaction.atomic():
        previous = ParamOverride.objects.filter(org=org, rule=rule_code, param=param).values_list("value", flat=True).first()
        override, _ = ParamOverride.objects.update_or_create(
            org=org, rule=rule_code, param=param, defaults={"value": value, "note": note[:300], "set_by": user}
        )
        record("screening.set_param", f"设置规则参数 {rule_code}「{p.label}」= {value}（适用于{org.name}及下级单位）",
               actor=user, org=org, obj=override, before={"value": previous}, after={"value": value})
    return override


def clear_param(user, rule_code: str, param: str) -> None:
    org = _configured_unit(user)
    with transaction.atomic():
        previous = ParamOverride.objects.filter(org=org, rule=rule_code, param=param).values_list("value", flat=True).first()
        deleted, _ = ParamOverride.objects.filter(org=org, rule=rule_code, param=param).delete()
        if deleted:
            record("screening.clear_param", f"恢复规则参数 {rule_code}.{param} 的默认值（{org.name}）", actor=user, org=org,
                   before={"value": previous}, after={"value": None})


def apply_preset(user, key: str) -> int:
    """Set every parameter of a provincial preset (presets.toml) for the user's own unit."""
    preset = presets().get(key)
    if preset is None:
        raise ValueError("没有这个预设。")
    with transaction.atomic():
        names = [k for k in preset if "." in k]
        for name in names:
            code, param = name.split(".", 1)
            set_param(user, code, param, preset[name], note=preset["title"])
    return len(names)


CUSTOM_FIELDS = ("name", "category", "level", "severity", "weight", "description", "explanation", "basis", "sql", "enabled")


def save_custom_rule(user, custom: CustomRule | None, **fields) -> CustomRule:
    """Create a custom rule of the user's unit, or update ``custom`` (the user must be allowed to
    configure its unit: scope.CONFIGURE). The SQL and the template are checked first, and the
    SQL is run on empty tables in the sandbox to see its columns."""
    owner = custom.owner_org if custom is not None else user.org
    if owner is None or not scope.can(user, scope.CONFIGURE, owner):
        raise PermissionError("只有本单位的经审负责人或系统管理员可以编写自定义规则。")
    fields["weight"] = custom_rules.validate_meta(**{k: fields[k] for k in ("name", "category", "level", "severity", "weight", "explanation")})
    fields["sql"] = custom_rules.check_sql(fields["sql"])
    custom_rules.check_columns(fields["sql"], fields["explanation"])
    with transaction.atomic():
        before = {k: getattr(custom, k) for k in CUSTOM_FIELDS if k in fields} if custom is not None else None
        if custom is None:
            count = CustomRule.objects.filter(owner_org=owner).count()
            custom = CustomRule(owner_org=owner, created_by=user, code=f"CU-{owner.code}-{count + 1:03d}")
        for key, value in fields.items():
            setattr(custom, key, value)
        custom.save()
        record("screening.custom_rule", f"保存自定义规则 {custom.code} {custom.name}", actor=user, org=owner, obj=custom,
               before=before, after={k: getattr(custom, k) for k in CUSTOM_FIELDS if k in fields})
    return custom
