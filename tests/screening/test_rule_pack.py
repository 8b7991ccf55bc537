"""Every rule in the pack: complete metadata, SQL that runs, transpiles to Spark SQL, and
explanations that render with real values."""

import re

import pytest

from jingshen.screening.rules import CATEGORIES, FORBIDDEN, LEVELS, SEVERITIES, load_rules
from jingshen.screening.spark import transpile
from tests.screening.conftest import entry

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
    rule = RULES[code]
    for sql in filter(None, (rule.render(), rule.render_texts())):
        assert not FORBIDDEN.search(sql)
        assert "SELECT" in transpile(sql).upper()  # what the Spark engine runs, after its checks


def test_derived_tables_transpile_to_spark():
    from jingshen.screening.engine import DERIVED, text_lines_sql

    for query in (*DERIVED.values(), text_lines_sql(["matched_1", "matched_2"])):
        assert transpile(query)


def test_keyword_rules_read_the_lines_once_for_all_of_them(tree, tmp_path):
    """text_lines holds the lines of the texts every planned keyword rule matched, built on the
    first keyword rule and dropped after the last; a rule the run did not plan still gets its
    lines, and the rules return the same rows either way."""
    from jingshen.ledger.importers.vouchers import import_vouchers
    from jingshen.ledger.models import Dataset
    from jingshen.screening.engine import DuckDBEngine
    from tests.ledger.conftest import write

    rows = entry(1, "2025-03-03", "50101", "102", "800.00", "购买购物卡", "某超市")
    rows += entry(2, "2025-03-04", "50101", "102", "1200.00", "宴请客户", "")
    rows += entry(3, "2025-03-05", "50101", "101", "120.00", "差旅费", "")
    import_vouchers(write(tmp_path / "v.csv", rows), create_accounts=True)
    keyword_rules = [RULES["JS-CARD-001"], RULES["JS-HOSP-001"]]

    def text_lines(engine):
        return engine.con.execute(
            "SELECT voucher_no, line_no, summary, counterparty, amount FROM text_lines ORDER BY ALL").fetchall()

    def oid(engine):
        return engine.con.execute("SELECT table_oid FROM duckdb_tables() WHERE table_name = 'text_lines'").fetchall()

    planned = DuckDBEngine(Dataset.objects.all())
    try:
        planned.plan([(r, None) for r in keyword_rules])
        found = [planned.run_one(keyword_rules[0]).rows]
        # both rules' lines (the debit and the bank line of each voucher), with empty text for no payee
        assert [(no, line, summary, payee, str(amount)) for no, line, summary, payee, amount in text_lines(planned)] == [
            (1, 1, "购买购物卡", "某超市", "800.00"), (1, 2, "购买购物卡", "某超市", "-800.00"),
            (2, 1, "宴请客户", "", "1200.00"), (2, 2, "宴请客户", "", "-1200.00"),
        ]
        before = oid(planned)
        assert planned.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE 'matched_%'").fetchall() == [(2,)]
        assert "texts" not in planned.built  # both texts queries have run
        assert oid(planned) == before
        found.append(planned.run_one(keyword_rules[1]).rows)
        assert planned.built == set()  # the last keyword rule has run
        assert sorted(planned.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()) == [
            (t,) for t in ("accounts", "ancestors", "budgets", "calendar", "orgs", "payroll")]
    finally:
        planned.close()
    unplanned = DuckDBEngine(Dataset.objects.all())
    try:
        assert unplanned.run_one(keyword_rules[0]).rows == found[0]
        assert [no for no, *_ in text_lines(unplanned)] == [1, 1]
        assert unplanned.run_one(keyword_rules[1]).rows == found[1]  # text_lines rebuilt to hold its lines too
        assert [no for no, *_ in text_lines(unplanned)] == [1, 1, 2, 2]
    finally:
        unplanned.close()
    assert [r[4] for r in found[0]] == [1] and [r[4] for r in found[1]] == [2]
    # one rule run for two groups of units with different words: one text_lines holds both
    grouped = DuckDBEngine(Dataset.objects.all())
    try:
        card = RULES["JS-CARD-001"]
        grouped.plan([(card, None), (card, {"pattern": "(宴请)"})])
        assert [r[4] for r in grouped.run_one(card).rows] == [1]
        assert len(grouped.matched) == 2  # both groups' texts were matched when text_lines was built
        assert [no for no, *_ in text_lines(grouped)] == [1, 1, 2, 2]
        assert [r[4] for r in grouped.run_one(card, {"pattern": "(宴请)"}).rows] == [2]
        assert grouped.built == set()  # dropped after the last
    finally:
        grouped.close()


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

    rows = entry(1, "2025-03-03", "50101", "102", "800.00", "购买购物卡", "某超市")
    rows += entry(2, "2025-03-04", "50101", "102", "900.00", "购买购物卡", "某超市")
    rows += entry(3, "2025-03-05", "50101", "101", "120.00", "差旅费", "")
    import_vouchers(write(tmp_path / "v.csv", rows), create_accounts=True)
    engine = DuckDBEngine(Dataset.objects.all())
    try:
        engine.run_one(RULES["JS-TIME-001"])
        assert engine.built == set()  # a rule that does not read texts does not pay for it
        assert len(engine.run_one(RULES["JS-CARD-001"]).rows) == 2
        assert engine.built == {"texts", "text_lines"}
        pairs = engine.con.execute("SELECT summary, counterparty FROM texts ORDER BY ALL").fetchall()
        assert pairs == [("差旅费", ""), ("购买购物卡", "某超市")]
    finally:
        engine.close()


def test_vouchers_holds_each_vouchers_facts_written_at_import(tree, tmp_path):
    from jingshen.ledger.importers.vouchers import import_vouchers
    from jingshen.ledger.models import Dataset
    from jingshen.screening.engine import DuckDBEngine
    from tests.ledger.conftest import line, write

    common = dict(period="3", date="2025-03-03", no="7")
    rows = [
        line(line_no="1", summary="购买慰问品", code="50101", debit="800.00", preparer="王芳", reviewer="", attach="0", **common),
        line(line_no="2", summary="慰问品运费", code="50101", debit="20.00", preparer="王芳", reviewer="", attach="3", **common),
        line(line_no="3", summary="付款", code="102", credit="820.00", preparer="王芳", reviewer="", attach="", **common),
    ]
    rows += entry(8, "2025-03-28", "50101", "101", "120.00", "差旅费", "", preparer="张伟", reviewer="李娜", attach="")
    import_vouchers(write(tmp_path / "v.csv", rows), create_accounts=True)
    engine = DuckDBEngine(Dataset.objects.all())
    try:
        got = engine.con.execute(
            "SELECT voucher_no, period, date, last_date, lines, first_line, debit, credit, summary, preparer, reviewer, "
            "attachments FROM vouchers ORDER BY voucher_no"
        ).fetchall()
        # the same facts grouped from the lines, as a rule would have to otherwise
        grouped = engine.con.execute(
            "SELECT voucher_no, period, min(date), max(date), count(*), min(line_no), sum(debit), sum(credit), "
            "arg_min(coalesce(summary, ''), line_no), max(coalesce(preparer, '')), max(coalesce(reviewer, '')), "
            "max(coalesce(attachments, 0)) FROM lines GROUP BY ALL ORDER BY voucher_no"
        ).fetchall()
    finally:
        engine.close()
    assert got == grouped
    assert [(r[0], r[4], r[5], str(r[6]), str(r[7]), r[8], r[9], r[10], r[11]) for r in got] == [
        (7, 3, 1, "820.00", "820.00", "购买慰问品", "王芳", "", 3),
        (8, 2, 1, "120.00", "120.00", "差旅费", "张伟", "李娜", 0),
    ]


def test_payments_are_built_once_when_read_and_dropped_after_the_last_rule_that_reads_them(tree, tmp_path):
    from jingshen.ledger.importers.vouchers import import_vouchers
    from jingshen.ledger.models import Dataset
    from jingshen.screening.engine import DuckDBEngine
    from tests.ledger.conftest import line, write

    rows = entry(1, "2025-03-03", "50101", "102", "800.00", "购买慰问品", "某超市")
    rows += entry(2, "2025-03-04", "50101", "101", "50.00", "邮费", "")  # cash, no payee
    rows += entry(3, "2025-03-05", "101", "102", "2000.00", "提取现金", "本单位")  # bank to cash: a transfer
    common = dict(period="3", date="2025-03-06", no="4")
    rows += [  # one voucher paying two payees, one of them on two lines
        line(line_no="1", code="50101", debit="900.00", **common),
        line(line_no="2", code="102", credit="300.00", payee="甲公司", **common),
        line(line_no="3", code="102", credit="400.00", payee="乙公司", **common),
        line(line_no="4", code="101", credit="200.00", payee="甲公司", **common),
    ]
    import_vouchers(write(tmp_path / "v.csv", rows), create_accounts=True)
    engine = DuckDBEngine(Dataset.objects.all())
    pay_rules = [RULES["JS-DUP-001"], RULES["JS-LIMIT-001"]]
    try:
        engine.plan([(RULES["JS-TIME-001"], None), *((r, None) for r in pay_rules)])
        engine.run_one(RULES["JS-TIME-001"])
        assert engine.built == set()  # a rule that does not read payments does not pay for them
        engine.run_one(pay_rules[0])
        assert engine.built == {"payments"}
        payments = engine.con.execute(
            "SELECT voucher_no, counterparty, amount, first_line, receives FROM payments ORDER BY ALL"
        ).fetchall()
        engine.run_one(pay_rules[1])
        assert engine.built == set()  # the last rule reading it has run: its memory is freed
        assert engine.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'payments'").fetchall() == [(0,)]
    finally:
        engine.close()
    assert [(no, payee, str(amount), first, receives) for no, payee, amount, first, receives in payments] == [
        (1, "某超市", "800.00", 2, False),
        (2, "", "50.00", 2, False),
        (3, "本单位", "2000.00", 2, True),
        (4, "乙公司", "400.00", 3, False),
        (4, "甲公司", "500.00", 2, False),
    ]


def test_a_run_drops_each_derived_table_after_its_last_rule(tree, tmp_path, monkeypatch):
    """run_screening plans the run: rules reading the same derived table run one after another
    and the table is dropped after the last of them."""
    from jingshen.ledger.importers.vouchers import import_vouchers
    from jingshen.screening import engine as engine_module
    from jingshen.screening.services import run_screening
    from tests.ledger.conftest import write

    import_vouchers(write(tmp_path / "v.csv", entry(1, "2025-03-03", "50101", "102", "800.00", "购物卡", "某超市")),
                    create_accounts=True)
    events = []
    real_execute, real_materialize = engine_module.DuckDBEngine.execute, engine_module.DuckDBEngine._materialize

    def execute(self, sql):
        events.append(("run", tuple(engine_module.reads(sql)), frozenset(self.built)))
        return real_execute(self, sql)

    def materialize(self, name, sql):  # a keyword rule's texts query, kept as matched_n
        if name.startswith("matched_"):
            events.append(("run", tuple(engine_module.reads(sql)), frozenset(self.built)))
        return real_materialize(self, name, sql)

    monkeypatch.setattr(engine_module.DuckDBEngine, "execute", execute)
    monkeypatch.setattr(engine_module.DuckDBEngine, "_materialize", materialize)
    codes = ["JS-CARD-001", "JS-DUP-001", "JS-BAL-001", "JS-SPLIT-001", "JS-HOSP-001"]
    run = run_screening(year=2025, rule_codes=codes)
    assert run.status == run.Status.DONE
    reading = [derived for _, derived, _ in events]
    # first the units' facts (applicability.py: three queries), then the rules; the two keyword
    # rules' texts queries both run before the first of them
    assert reading == [(), (), (), (), ("payments",), ("payments",), ("texts",), ("texts",), ("text_lines",), ("text_lines",)]
    # payments was dropped before the texts rules ran (texts is built for the first texts query
    # and kept for the second), texts once both queries had run
    assert [built for _, derived, built in events if derived != ("payments",)][4:] == [
        frozenset({"texts"}), frozenset({"texts"}), frozenset({"text_lines"}), frozenset({"text_lines"})
    ]


def test_a_dataset_missing_a_screening_file_fails_the_run_with_a_clear_message(tree, tmp_path):
    from jingshen.ledger import store
    from jingshen.ledger.importers.vouchers import import_vouchers
    from jingshen.ledger.models import Dataset
    from jingshen.screening.models import ScreeningRun
    from jingshen.screening.services import run_screening
    from tests.ledger.conftest import write

    import_vouchers(write(tmp_path / "v.csv", entry(1, "2025-03-03", "50101", "102", "800.00")), create_accounts=True)
    store.parquet_path(Dataset.objects.get(), "vouchers").unlink()  # a folder from before the file existed
    with pytest.raises(ValueError, match=r"数据集 甲市一区电子公司工会委员会（A1X）2025 年第 1 版缺少文件 vouchers\.parquet（.*），无法筛查：请系统管理员运行 jingshen migrate"):
        run_screening(year=2025, rule_codes=["JS-BAL-001"])
    run = ScreeningRun.objects.get()
    assert run.status == ScreeningRun.Status.FAILED and "缺少文件 vouchers.parquet" in run.message
    assert not run.flags.exists()


def test_the_empty_tables_have_the_shape_of_the_datasets_files(tree, tmp_path):
    """Without datasets the engine stands in empty tables for lines, vouchers and the texts; a
    rule must bind against the same columns and types either way."""
    from jingshen.ledger.importers.vouchers import import_vouchers
    from jingshen.ledger.models import Dataset
    from jingshen.screening.engine import DuckDBEngine
    from tests.ledger.conftest import write

    import_vouchers(write(tmp_path / "v.csv", entry(1, "2025-03-03", "50101", "102", "800.00")), create_accounts=True)
    shapes = []
    for datasets in (Dataset.objects.all(), []):
        engine = DuckDBEngine(datasets)
        try:
            shapes.append({t: engine.con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {t})").fetchall()
                           for t in ("lines", "vouchers", "dataset_texts")})
        finally:
            engine.close()
    assert shapes[0] == shapes[1]


def test_a_keyword_rule_file_is_checked_on_load(tmp_path):
    from jingshen.screening.rules import RuleError, load_rule

    head = 'code = "JS-TEST-001"\nname = "测试"\ncategory = "财务"\nlevel = "line"\nseverity = "低"\nweight = 0.5\n'
    head += 'description = "测试"\nexplanation = "{summary}"\n'
    reads_matched = ('sql = "SELECT l.org FROM text_lines l JOIN matched m ON m.summary = l.summary '
                     'AND m.counterparty = l.counterparty"\n')

    def load(body):
        path = tmp_path / "JS-TEST-001.toml"
        path.write_text(head + body, encoding="utf-8")
        return load_rule(path)

    rule = load('texts = "SELECT summary, counterparty FROM texts WHERE summary LIKE {{word}}"\n' + reads_matched
                + '[params.word]\nlabel = "字样"\ntype = "text"\ndefault = "%卡%"\nsource = "测试"\n')
    assert rule.render_texts() == "SELECT summary, counterparty FROM texts WHERE summary LIKE '%卡%'"
    with pytest.raises(RuleError, match="undeclared parameters"):
        load('texts = "SELECT summary, counterparty FROM texts WHERE summary LIKE {{word}}"\n' + reads_matched)
    with pytest.raises(RuleError, match="reads its result as matched"):
        load('texts = "SELECT summary, counterparty FROM texts"\nsql = "SELECT org FROM lines"\n')
    with pytest.raises(RuleError, match="text_lines is for a rule with texts"):
        load(reads_matched)


def test_a_pattern_the_engine_cannot_compile_is_refused_before_the_run(tree, tmp_path):
    from jingshen.ledger.importers.vouchers import import_vouchers
    from jingshen.screening.models import ScreeningRun
    from jingshen.screening.services import run_screening
    from tests.ledger.conftest import write

    import_vouchers(write(tmp_path / "v.csv", entry(1, "2025-03-03", "50101", "102", "800.00", "购物卡", "某超市")),
                    create_accounts=True)
    with pytest.raises(ValueError, match="参数「禁止卡券的字样（正则表达式）」的值“\\(购物卡”不是有效的正则表达式"):
        run_screening(year=2025, rule_codes=["JS-CARD-001"], params={"JS-CARD-001": {"pattern": "(购物卡"}})
    assert not ScreeningRun.objects.exists()  # refused, not a failed run with DuckDB's English message
    run = run_screening(year=2025, rule_codes=["JS-CARD-001"], params={"JS-CARD-001": {"pattern": "(购物卡|礼品卡)"}})
    assert run.flags.count() == 1


def test_rules_name_the_account_roles_they_test():
    """Rule.roles: what ledger.charts.unconfirmed_roles is given to list the accounts a run's flags
    depend on (quoted role codes, role-pattern parameters, cash and bank behind payments)."""
    assert RULES["JS-MEET-001"].roles() == {"expense-meeting"}
    assert {"other-payable", "custodial", "borrowing", "payable-upper", "cash", "bank"} <= RULES["JS-INC-001"].roles()
    assert RULES["JS-INC-001"].roles({"liability_roles": "^(custodial)$"}) == {"custodial", "cash", "bank"}
    assert {"cash", "bank"} <= RULES["JS-DUP-001"].roles()
    assert RULES["JS-BAL-001"].roles() == set()
