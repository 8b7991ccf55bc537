"""Custom rules are sandboxed, not only checked: every payload that tries to reach a file, another
unit's data, the settings or the environment is refused by check_sql with a Chinese message, and
fails again inside the engine when the check is bypassed (the engine alone holds)."""

import os

import duckdb
import pyarrow as pa
import pytest
from django.conf import settings

from jingshen.accounts.models import RoleCode
from jingshen.ledger import store
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.ledger.models import Dataset
from jingshen.screening import custom, services
from jingshen.screening import engine as engine_module
from jingshen.screening.engine import DuckDBEngine
from jingshen.screening.models import CustomRule, ScreeningRun
from jingshen.screening.rules import Rule, RuleError
from jingshen.screening.services import run_screening
from tests.conftest import make_user
from tests.ledger.conftest import write
from tests.screening.conftest import entry

B_SECRET = "乙单位的秘密咨询费"
CONTRACT = "org, fiscal_year, period, voucher_type, voucher_no, line_no, amount"


@pytest.fixture
def two_units(tree, tmp_path):
    """Datasets of A1X and B1X, each imported from its own file (so each in its own pack), a
    secret key file and a CSV beside them."""
    import_vouchers(write(tmp_path / "b.csv", entry(1, "2025-05-06", "50305", "102", "9000.00", B_SECRET, "某咨询公司", org="B1X")))
    import_vouchers(write(tmp_path / "v.csv", entry(1, "2025-05-06", "50305", "102", "6000.00", "支付管理咨询费", "某咨询公司")))
    a, b = Dataset.objects.get(org__code="A1X"), Dataset.objects.get(org__code="B1X")
    (settings.HOME / "secret_key").write_text("the-secret-key", encoding="ascii")
    assert store.parquet_path(b).exists() and store.parquet_path(a).exists()
    return {
        "a": a, "b": b, "b_file": str(store.parquet_path(b)), "home": str(settings.HOME),
        # B's file by way of A's folder (the sandbox allows A's files): DuckDB compares the path as written
        "b_via_a": str(store.parquet_path(a).parent) + "/" + os.path.relpath(store.parquet_path(b), store.parquet_path(a).parent),
        "secret": str(settings.HOME / "secret_key"), "csv": str(tmp_path / "v.csv"), "tmp": str(tmp_path),
    }


# (payload, what check_sql says). {b_file} is unit B's Parquet file, {secret} the secret key,
# {csv} an uploaded CSV, {home} JINGSHEN_HOME, {tmp} a writable folder.
SELECTS = [
    ("SELECT * FROM read_parquet('{b_file}')", "不能使用函数 read_parquet"),
    ("SELECT * FROM read_parquet('{b_via_a}')", "不能使用函数 read_parquet"),
    ("SELECT * FROM read_parquet('{home}/**/data.parquet')", "不能使用函数 read_parquet"),
    ("SELECT * FROM read_csv('{csv}')", "不能使用函数 read_csv"),
    ("SELECT * FROM read_csv_auto('{csv}')", "不能使用函数 read_csv_auto"),
    ("SELECT * FROM read_text('{secret}')", "不能使用函数 read_text"),
    ("SELECT content FROM read_blob('{secret}')", "不能使用函数 read_blob"),
    ("SELECT * FROM glob('{home}/*')", "不能使用函数 glob"),
    ("SELECT * FROM parquet_metadata('{b_file}')", "不能使用函数 parquet_metadata"),
    ("SELECT * FROM query_table('{b_file}')", "不能使用函数 query_table"),
    ("SELECT getenv('HOME') AS h", "不能使用函数 getenv"),  # not even in DuckDB's Python client
    ("SELECT * FROM system.main.read_text('{secret}')", "不能使用函数 read_text"),
    ("SELECT * FROM '{b_file}'", "含有路径字符"),
    ("SELECT * FROM '{b_via_a}'", "含有路径字符"),
    # the reported payload: a CTE named like the file, visible only inside the subquery
    ('SELECT * FROM (WITH "{b_file}" AS (SELECT 1) SELECT 1) a, "{b_file}" b', "含有路径字符"),
    ('SELECT * FROM lines WHERE org IN (SELECT org FROM "{b_file}")', "含有路径字符"),
    ("SELECT * FROM lines WHERE summary IN (SELECT summary FROM '{b_file}')", "含有路径字符"),
    ('SELECT l.* FROM lines l JOIN "{b_file}" x ON x.org <> l.org', "含有路径字符"),
    ('SELECT org FROM lines UNION ALL SELECT org FROM "{b_file}"', "含有路径字符"),
    ('SELECT * FROM lines WHERE EXISTS (WITH "{b_file}" AS (SELECT 1) SELECT 1) AND org IN (SELECT org FROM "{b_file}")',
     "含有路径字符"),
    ("SELECT * FROM lines LIMIT (SELECT count(*) FROM '{b_file}')", "含有路径字符"),
]
STATEMENTS = [
    ("ATTACH '{tmp}/other.db' AS other", "只允许 SELECT 查询"),
    ("COPY lines TO '{tmp}/out.csv'", "只允许 SELECT 查询"),
    ("COPY (SELECT * FROM lines) TO '{tmp}/out.parquet'", "只允许 SELECT 查询"),
    ("SET enable_external_access = true", "只允许 SELECT 查询"),
    ("SET lock_configuration = false", "只允许 SELECT 查询"),
    ("RESET enable_external_access", "只允许 SELECT 查询"),
    ("PRAGMA enable_profiling", "只允许 SELECT 查询"),
    ("INSTALL httpfs", "只允许 SELECT 查询"),
    ("LOAD httpfs", "只允许 SELECT 查询"),
    ("CREATE TABLE stolen AS SELECT * FROM read_parquet('{b_file}')", "只允许 SELECT 查询"),
]


@pytest.mark.parametrize("payload,message", SELECTS + STATEMENTS)
def test_the_check_refuses_each_payload_in_chinese(payload, message, two_units):
    with pytest.raises(ValueError, match=message):
        custom.check_sql(payload.format(**two_units))


@pytest.mark.parametrize("payload,message", SELECTS)
def test_each_query_payload_fails_inside_the_sandbox_without_the_check(payload, message, two_units):
    """Straight to the engine of a run of unit A (the check bypassed): DuckDB itself refuses."""
    sql = payload.format(**two_units)
    engine = DuckDBEngine([two_units["a"]])
    try:
        with pytest.raises((RuleError, duckdb.Error)):
            engine.query(sql)
        with pytest.raises((RuleError, duckdb.Error)):
            engine.run_one(Rule(code="CU-X", name="", category="财务", level="line", severity="低", weight=0.5,
                                description="", explanation="x", sql=sql, version=""))
        with pytest.raises(duckdb.Error):  # below query(): the connection's own settings refuse it
            engine.execute(sql).fetchall()
        assert engine.query("SELECT count(*) FROM lines").fetchall() == [(2,)]  # A's own lines still read
    finally:
        engine.close()


@pytest.mark.parametrize("payload,message", STATEMENTS)
def test_each_statement_payload_fails_inside_the_sandbox_without_the_check(payload, message, two_units):
    sql = payload.format(**two_units)
    engine = DuckDBEngine([two_units["a"]])
    try:
        with pytest.raises(RuleError, match="只能是一条 SELECT"):
            engine.query(sql)
        with pytest.raises(duckdb.Error):  # and the locked connection refuses it even so
            engine.execute(sql).fetchall()
        assert engine.con.execute("SELECT current_setting('enable_external_access'), "
                                  "current_setting('lock_configuration')").fetchall() == [(False, True)]
    finally:
        engine.close()
    assert not any(os.path.exists(os.path.join(two_units["tmp"], f)) for f in ("out.csv", "out.parquet", "other.db"))


def test_a_second_statement_cannot_ride_along(two_units):
    engine = DuckDBEngine([two_units["a"]])
    try:
        with pytest.raises(RuleError, match="只能是一条 SELECT"):
            engine.query("SELECT 1; DROP VIEW lines")
        with pytest.raises(ValueError, match="只能是一条 SELECT"):
            custom._run_limited(engine, "SELECT 1) x; DROP VIEW lines; SELECT * FROM (SELECT 1", 10)
        assert engine.query("SELECT count(*) FROM lines").fetchall() == [(2,)]
    finally:
        engine.close()


def test_the_sandbox_settings_are_applied_and_locked(two_units):
    secret_frame = pa.table({"x": [B_SECRET]})  # noqa: F841 - a Python object a replacement scan would find
    engine = DuckDBEngine([two_units["a"]])
    try:
        got = dict(engine.con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', 'lock_configuration', "
            "'autoload_known_extensions', 'autoinstall_known_extensions', 'allow_community_extensions', "
            "'python_enable_replacements', 'allow_persistent_secrets')").fetchall())
        assert got == {"enable_external_access": "false", "lock_configuration": "true", "autoload_known_extensions": "false",
                       "autoinstall_known_extensions": "false", "allow_community_extensions": "false",
                       "python_enable_replacements": "false", "allow_persistent_secrets": "false"}
        allowed = engine.con.execute("SELECT current_setting('allowed_paths')").fetchall()[0][0]
        assert sorted(allowed) == sorted(str(store.parquet_path(two_units["a"], n)) for n in ("data", "vouchers", "texts"))
        for name in ("secret_frame", "accounts_arrow", "calendar_arrow", "orgs_arrow"):
            with pytest.raises(duckdb.CatalogException):
                engine.con.execute(f"SELECT * FROM {name}").fetchall()
        with pytest.raises(duckdb.Error, match="locked"):
            engine.con.execute("SET allowed_paths = ['/']").fetchall()
        assert engine.query("SELECT count(*) FROM accounts").fetchall()[0][0] > 0  # copied before they went
    finally:
        engine.close()


def test_a_pack_holding_another_units_data_is_never_opened_by_the_rules(tree, tmp_path):
    """A and B imported from one file share a pack: an engine over A copies A's rows before the
    lock and may open no file at all, so naming the pack reaches neither B nor A; an engine over
    both reads the pack as it is."""
    rows = entry(1, "2025-05-06", "50305", "102", "6000.00", "支付管理咨询费", "某咨询公司")
    rows += entry(1, "2025-05-06", "50305", "102", "9000.00", B_SECRET, "某咨询公司", org="B1X")
    import_vouchers(write(tmp_path / "ab.csv", rows))
    a, b = Dataset.objects.get(org__code="A1X"), Dataset.objects.get(org__code="B1X")
    assert a.path == b.path and store.parquet_path(a) == store.parquet_path(b)
    pack = str(store.parquet_path(a))
    engine = DuckDBEngine([a])
    try:
        assert engine.con.execute("SELECT current_setting('allowed_paths')").fetchall() == [([],)]
        assert engine.query("SELECT org, summary FROM lines").fetchall() == [("A1X", "支付管理咨询费")] * 2
        assert engine.query("SELECT DISTINCT org FROM vouchers").fetchall() == [("A1X",)]
        assert engine.query("SELECT summary FROM texts").fetchall() == [("支付管理咨询费",)]
        for sql in (f"SELECT * FROM read_parquet('{pack}')", f"SELECT * FROM '{pack}'",
                    f"SELECT * FROM parquet_metadata('{pack}')"):
            with pytest.raises(RuleError, match="已被拒绝"):
                engine.query(sql)
    finally:
        engine.close()
    both = DuckDBEngine([a, b])
    try:
        allowed = both.con.execute("SELECT current_setting('allowed_paths')").fetchall()[0][0]
        assert sorted(allowed) == sorted(str(store.parquet_path(a, n)) for n in ("data", "vouchers", "texts"))
        assert both.query("SELECT count(*) FROM lines").fetchall() == [(4,)]
    finally:
        both.close()


def test_an_engine_over_no_datasets_may_open_no_file(two_units):
    engine = DuckDBEngine([])
    try:
        assert engine.con.execute("SELECT current_setting('allowed_paths')").fetchall() == [([],)]
        with pytest.raises(RuleError, match="已被拒绝"):
            engine.query(f"SELECT * FROM '{two_units['b_file']}'")
    finally:
        engine.close()


def test_spilling_to_disk_still_works_when_locked(tree, tmp_path, monkeypatch):
    """A sort bigger than the memory limit spills to temp_directory with external access off."""
    monkeypatch.chdir(tmp_path)  # DuckDB's default temp_directory is .tmp in the working folder
    big = "SELECT count(*), min(s), max(s) FROM (SELECT md5(range::VARCHAR) || md5((range * 7)::VARCHAR) AS s FROM range(2500000) ORDER BY s)"
    with duckdb.connect() as con:  # the query does need to spill: without a temp directory it fails
        con.execute("SET memory_limit = '64MB'; SET threads = 1; SET temp_directory = ''")
        with pytest.raises(duckdb.OutOfMemoryException):
            con.execute(big).fetchall()
    monkeypatch.setattr(engine_module, "MEMORY_LIMIT", "64MB")
    engine = DuckDBEngine([], threads=1)
    try:
        assert engine.con.execute("SELECT current_setting('enable_external_access')").fetchall() == [(False,)]
        count, low, high = engine.query(big).fetchall()[0]
    finally:
        engine.close()
    assert count == 2500000 and low < high


def test_a_custom_rule_of_unit_a_never_shows_unit_bs_data(two_units, personas, monkeypatch):
    """A rule of unit A that names B's Parquet file by its path: refused by the check; with the
    check bypassed, refused at save (LIMIT 0 in an engine over no datasets), in a dry run over A's
    dataset and in a real run over A's subtree: never B's rows."""
    lead = make_user("A", "a_director_sbx", RoleCode.DIRECTOR)
    payload = (f'SELECT {CONTRACT}, summary FROM lines UNION ALL '
               f'SELECT org, fiscal_year, period, voucher_type, voucher_no, line_no, debit - credit, summary FROM "{two_units["b_file"]}"')
    fields = dict(name="越权", category="财务", level="line", severity="中", weight="0.5", description="",
                  explanation="{summary}", basis="", sql=payload, enabled=True)
    with pytest.raises(ValueError, match="含有路径字符"):
        services.save_custom_rule(lead, None, **fields)
    with pytest.raises(ValueError, match="含有路径字符"):
        custom.dry_run(payload, two_units["a"], "{summary}")

    monkeypatch.setattr(custom, "check_sql", lambda sql: sql)  # the first line of defence fails
    with pytest.raises(ValueError, match="已被拒绝"):
        services.save_custom_rule(lead, None, **fields)
    with pytest.raises(ValueError, match="已被拒绝"):
        custom.dry_run(payload, two_units["a"], "{summary}")
    assert not CustomRule.objects.exists()

    # a rule stored before the sandbox existed
    CustomRule.objects.create(owner_org=lead.org, created_by=lead, code="CU-A-001", name="越权", category="财务",
                              level="line", severity="中", weight=0.5, explanation="{summary}", sql=payload, enabled=True)
    with pytest.raises(RuleError, match="已被拒绝"):
        run_screening(year=2025, org=personas["a_auditor"].org, rule_codes=["CU-A-001"])
    run = ScreeningRun.objects.get()
    assert run.status == ScreeningRun.Status.FAILED and "已被拒绝" in run.message
    assert not run.flags.exists()
    from jingshen.screening.models import Flag

    assert not Flag.objects.filter(message__contains=B_SECRET).exists()


def test_a_custom_rule_in_a_run_reads_only_the_runs_own_datasets(two_units, personas):
    """A run of unit A's subtree holds A's dataset only: a rule reading every line finds no B line."""
    lead = make_user("A", "a_director_sbx2", RoleCode.DIRECTOR)
    services.save_custom_rule(lead, None, name="全部分录", category="财务", level="line", severity="中", weight="0.5", description="",
                explanation="{summary}", basis="", sql=f"SELECT {CONTRACT}, summary FROM lines", enabled=True)
    run = run_screening(year=2025, org=personas["a_auditor"].org, rule_codes=["CU-A-001"])
    messages = sorted(run.flags.values_list("message", flat=True))
    assert messages == ["支付管理咨询费", "支付管理咨询费"] and B_SECRET not in "".join(messages)
    result = custom.dry_run(f"SELECT {CONTRACT}, summary FROM lines", two_units["a"], "{summary}")
    assert {row[0] for row in result["rows"]} == {"A1X"}


def test_scope_resolution_counts_a_cte_only_where_it_is_visible():
    """Without any path character: the names of CTEs of other scopes are not tables here."""
    refused = [
        "SELECT * FROM (WITH stolen AS (SELECT 1) SELECT 1) a, stolen b",
        "SELECT * FROM lines WHERE org IN (WITH stolen AS (SELECT 'x') SELECT * FROM stolen) AND org IN (SELECT org FROM stolen)",
        "SELECT org FROM lines UNION ALL SELECT * FROM (WITH stolen AS (SELECT 'x') SELECT * FROM stolen) UNION SELECT * FROM stolen",
        "SELECT * FROM lines l JOIN (WITH stolen AS (SELECT 1 x) SELECT * FROM stolen) s ON true JOIN stolen t ON true",
    ]
    for sql in refused:
        with pytest.raises(ValueError, match="不能查询表「stolen」"):
            custom.check_sql(sql)
    allowed = [
        "WITH a AS (SELECT * FROM lines), b AS (SELECT * FROM a) SELECT * FROM b WHERE org IN (SELECT org FROM a)",
        "WITH a AS (SELECT * FROM lines) SELECT * FROM (SELECT * FROM a) x JOIN (SELECT * FROM a) y ON true",
        "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r",
        "SELECT * FROM lines, LATERAL (SELECT * FROM texts t WHERE t.summary = lines.summary) x",
    ]
    for sql in allowed:
        assert custom.check_sql(sql) == sql


@pytest.mark.parametrize("sql,message", [
    ("SELECT * FROM range(10)", "不能在 FROM 中使用表函数"),
    ("SELECT * FROM generate_series(1, 10)", "不能在 FROM 中使用表函数"),
    ("SELECT * FROM unnest([1, 2]) u", "不能在 FROM 中使用表函数"),
    ("SELECT * FROM duckdb_settings()", "不能使用函数 duckdb_settings"),
    ("SELECT current_setting('memory_limit') AS m", "不能使用函数 current_setting"),
    ("SELECT * FROM main.lines", "不能带库名"),
    ('SELECT "a:b" FROM lines', "含有路径字符"),
    ('SELECT * FROM "~secret"', "含有路径字符"),
    ('SELECT * FROM "C:\\data"', "含有路径字符"),
    ("WITH x AS (DELETE FROM lines RETURNING *) SELECT * FROM x", "只允许 SELECT|SQL 语法错误"),
])
def test_table_functions_settings_and_path_names_are_refused(sql, message):
    with pytest.raises(ValueError, match=message):
        custom.check_sql(sql)
