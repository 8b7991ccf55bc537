"""Rule parameters set per unit (the nearest unit up the tree wins over the rule's default),
and the provincial presets of presets.toml."""

import tomllib
from functools import cache
from pathlib import Path

from django.db import transaction

from jingshen.activity.services import record
from jingshen.orgs import scope
from jingshen.orgs.models import Org
from jingshen.screening.models import ParamOverride
from jingshen.screening.rules import load_rules

PRESETS_FILE = Path(__file__).resolve().parent / "presets.toml"


@cache
def presets() -> dict[str, dict]:
    data = tomllib.loads(PRESETS_FILE.read_text(encoding="utf-8"))
    rules = load_rules()
    for key, preset in data.items():
        for name in (k for k in preset if "." in k):
            code, param = name.split(".", 1)
            if code not in rules or param not in rules[code].params:
                raise ValueError(f"presets.toml [{key}]: unknown parameter {name}")
    return data


def overrides_for(orgs: list[Org]) -> dict[str, dict[str, dict]]:
    """For each unit code: {rule: {param: value}} from the nearest unit up its tree."""
    chains = {o.code: o.ancestor_ids() for o in orgs}
    needed = {pk for chain in chains.values() for pk in chain}
    by_org: dict[int, list[ParamOverride]] = {}
    for o in ParamOverride.objects.filter(org_id__in=needed):
        by_org.setdefault(o.org_id, []).append(o)
    result = {}
    for code, chain in chains.items():
        values: dict[str, dict] = {}
        for pk in reversed(chain):  # root first, so nearer units overwrite
            for o in by_org.get(pk, []):
                values.setdefault(o.rule, {})[o.param] = o.value
        result[code] = values
    return result


def effective(org: Org) -> dict[tuple[str, str], tuple[object, ParamOverride | None]]:
    """(rule, param) -> (value, the override it comes from or None for the default)."""
    chain = org.ancestor_ids()
    found: dict[tuple[str, str], ParamOverride] = {}
    for o in sorted(ParamOverride.objects.filter(org_id__in=chain).select_related("org"), key=lambda o: -chain.index(o.org_id)):
        found[(o.rule, o.param)] = o
    out = {}
    for code, rule in load_rules().items():
        for name, p in rule.params.items():
            o = found.get((code, name))
            out[(code, name)] = (o.value if o else p.default, o)
    return out


def _check(user) -> Org:
    """The user's own unit, on which the parameters are set, if they may configure it."""
    if user.org is None or not scope.can(user, scope.CONFIGURE, user.org):
        raise PermissionError("只有经审负责人或系统管理员可以设置规则参数。")
    return user.org


def set_override(user, rule_code: str, param: str, value, note: str = "") -> ParamOverride:
    """Set a parameter for the user's own unit (and so every unit below it)."""
    org = _check(user)
    rules = load_rules()
    if rule_code not in rules or param not in rules[rule_code].params:
        raise ValueError("没有这个规则参数。")
    p = rules[rule_code].params[param]
    if p.type != "text":
        try:
            value = float(str(value).replace(",", ""))
        except ValueError:
            raise ValueError(f"参数「{p.label}」应为数字。") from None
        value = int(value) if value.is_integer() else value
    p.check(value)  # range and pattern, Chinese message
    override, _ = ParamOverride.objects.update_or_create(
        org=org, rule=rule_code, param=param, defaults={"value": value, "note": note[:300], "set_by": user}
    )
    record("screening.set_param", f"设置规则参数 {rule_code}「{p.label}」= {value}（适用于{org.name}及下级单位）",
           actor=user, org=org, obj=override)
    return override


def clear_override(user, rule_code: str, param: str) -> None:
    org = _check(user)
    deleted, _ = ParamOverride.objects.filter(org=org, rule=rule_code, param=param).delete()
    if deleted:
        record("screening.clear_param", f"恢复规则参数 {rule_code}.{param} 的默认值（{org.name}）", actor=user, org=org)


def apply_preset(user, key: str) -> int:
    preset = presets().get(key)
    if preset is None:
        raise ValueError("没有这个预设。")
    with transaction.atomic():
        names = [k for k in preset if "." in k]
        for name in names:
            code, param = name.split(".", 1)
            set_override(user, code, param, preset[name], note=preset["title"])
    return len(names)

