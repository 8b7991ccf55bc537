"""Rule parameters set per unit (the nearest unit up the tree wins over the rule's default),
and the provincial presets of presets.toml."""

import tomllib
from functools import cache
from pathlib import Path

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
