"""Every rule in the pack: complete metadata, SQL that runs, transpiles to Spark SQL, and
explanations that render with real values."""

import re

import pytest
import sqlglot
from sqlglot.errors import ErrorLevel

from jingshen.screening.rules import CATEGORIES, FORBIDDEN, LEVELS, SEVERITIES, load_rules

RULES = load_rules()


def test_pack_loads():
    assert RULES, "the rule pack is empty"
    for code, rule in RULES.items():
        assert re.fullmatch(r"JS-[A-Z]+-\d{3}", code)
        assert rule.category in CATEGORIES and rule.level in LEVELS and rule.severity in SEVERITIES
        assert rule.name and rule.description and rule.explanation
        for p in rule.params.values():
            assert p.label and p.source, f"{code}.{p.name} needs a label and the source of its default"


def test_families_group_at_least_two_rules_of_one_level_kind():
    from collections import defaultdict

    families = defaultdict(list)
    for rule in RULES.values():
        if rule.family:
            families[rule.family].append(rule)
    assert families, "no overlapping rules are grouped"
    for name, rules in families.items():
        assert len(rules) >= 2, f"family {name} has one rule: a misspelt family?"
        # a unit-level rule and a voucher-level rule never meet in one score
        assert len({r.level == "unit" for r in rules}) == 1, name


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_transpiles_to_spark(code):
    sql = RULES[code].render()
    assert not FORBIDDEN.search(sql)
    spark = sqlglot.transpile(sql, read="duckdb", write="spark", error_level=ErrorLevel.RAISE)
    assert len(spark) == 1 and "SELECT" in spark[0].upper()


def test_derived_tables_transpile_to_spark():
    from jingshen.screening.engine import DERIVED

    for query in DERIVED.values():
        assert sqlglot.transpile(query, read="duckdb", write="spark", error_level=ErrorLevel.RAISE)


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_runs_on_an_empty_ledger_and_returns_the_contract_columns(code, tree):
    from jingshen.screening.engine import DuckDBEngine
    from jingshen.screening.rules import REQUIRED_COLUMNS

    engine = DuckDBEngine([])
    try:
        result = next(engine.run([RULES[code]]))
    finally:
        engine.close()
    assert set(REQUIRED_COLUMNS) <= set(result.columns), f"{code} returns {result.columns}"
    assert result.rows == []


def test_texts_holds_each_distinct_summary_and_payee_once_and_is_built_only_when_read(tree, tmp_path):
    from jingshen.ledger.importers.vouchers import import_vouchers
    from jingshen.ledger.models import Dataset
    from jingshen.screening.engine import DuckDBEngine
    from tests.ledger.conftest import write
    from tests.screening.conftest import entry

    rows = entry(1, "2025-03-03", "50101", "102", "800.00", "购买购物卡", "某超市")
    rows += entry(2, "2025-03-04", "50101", "102", "900.00", "购买购物卡", "某超市")
    rows += entry(3, "2025-03-05", "50101", "101", "120.00", "差旅费", "")
    import_vouchers(write(tmp_path / "v.csv", rows), create_accounts=True)
    engine = DuckDBEngine(Dataset.objects.all())
    try:
        engine.run_one(RULES["JS-TIME-001"])
        assert engine.built == set()  # a rule that does not read texts does not pay for it
        assert len(engine.run_one(RULES["JS-CARD-001"]).rows) == 2
        assert engine.built == {"texts"}
        pairs = engine.con.execute("SELECT summary, counterparty FROM texts ORDER BY ALL").fetchall()
        assert pairs == [("差旅费", ""), ("购买购物卡", "某超市")]
    finally:
        engine.close()
