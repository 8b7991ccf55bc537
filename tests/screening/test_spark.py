"""The Spark engine gives the same flags as DuckDB: every rule of the pack over one fixture that
makes every rule hit (西湖区's demo units with their budgets and payroll, the county's own books,
and the vouchers of tests/screening/every_rule.py), compared flag by flag: keys, amounts, scores,
messages and details. And where Spark cannot be used, a Chinese message and
nothing written.

Spark needs Java and pyspark: where either is missing these tests are skipped, except in CI
(JINGSHEN_REQUIRE_SPARK=1), where they must run."""

import datetime
import os
from decimal import Decimal
from pathlib import Path

import pytest

from jingshen.screening import spark
from jingshen.screening.models import ScreeningRun
from jingshen.screening.rules import load_rules

WHY = spark.missing()
needs_spark = pytest.mark.skipif(WHY is not None and os.environ.get("JINGSHEN_REQUIRE_SPARK") != "1",
                                 reason=f"Spark 测试未运行：{WHY}")
COUNTY = "330103"  # 西湖区


def demo_fixture(tmp_path):
    """The demo province's units, 西湖区's grassroots vouchers, the county's own books, budgets,
    payroll and enterprise summaries: what the demo loads, for one county."""
    from django.conf import settings

    from jingshen.demo.finance import ensure_demo_finance
    from jingshen.demo.ledger import grassroots_units, write_vouchers_csv
    from jingshen.demo.orgs import write_orgs_csv
    from jingshen.demo.upper import write_upper_csv
    from jingshen.ledger.importers.vouchers import import_vouchers
    from jingshen.orgs.models import Org
    from jingshen.orgs.services import import_orgs

    import_orgs(write_orgs_csv(tmp_path / "orgs.csv"))
    county = Org.objects.get(code=COUNTY)
    below = set(Org.objects.filter(path__startswith=county.path).values_list("code", flat=True))
    units = [u for u in grassroots_units() if u[0] in below]
    write_vouchers_csv(tmp_path / "vouchers.csv", units)
    import_vouchers(tmp_path / "vouchers.csv")
    write_upper_csv(tmp_path / "upper.csv", tmp_path / "vouchers.csv")
    import_vouchers(tmp_path / "upper.csv", allowed_orgs=below)
    ensure_demo_finance(settings.HOME / "demo")
    return county


def flags_of(run: ScreeningRun) -> dict[tuple, tuple]:
    rows = run.flags.values_list("rule", "org__code", "period", "voucher_type", "voucher_no", "line_no", "amount", "score",
                                 "voucher_score", "severity", "message", "details")
    flags = {}
    for rule, org, period, vtype, no, line, amount, score, voucher_score, severity, message, details in rows:
        key = (rule, org, period, vtype, no, line, message if no is None else "")
        assert key not in flags, f"two flags with one key: {key}"
        flags[key] = (amount, score, voucher_score, severity, message, details)
    return flags


@needs_spark
@pytest.mark.django_db
def test_every_rule_gives_the_same_flags_on_both_engines(tmp_path):
    from jingshen.screening.services import run_screening
    from tests.screening.every_rule import load_every_rule_books

    county = demo_fixture(tmp_path)
    load_every_rule_books(tmp_path)
    hitting_custom = save_documented_custom_rules()
    duck = run_screening(year=2025, org=county, engine="duckdb")
    on_spark = run_screening(year=2025, org=county, engine="spark")
    assert on_spark.status == ScreeningRun.Status.DONE and on_spark.engine == "spark"
    assert on_spark.not_applicable == duck.not_applicable
    expected, got = flags_of(duck), flags_of(on_spark)
    missing, extra = expected.keys() - got.keys(), got.keys() - expected.keys()
    assert not missing and not extra, f"only DuckDB: {sorted(missing)[:5]}; only Spark: {sorted(extra)[:5]}"
    different = [(key, expected[key], got[key]) for key in expected if expected[key] != got[key]]
    assert not different, different[:3]
    assert on_spark.ranking == duck.ranking
    hit = {key[0] for key in expected}
    wanted = set(load_rules()) | hitting_custom
    assert wanted <= hit, f"rules without a hit on the fixture: {sorted(wanted - hit)}"


def documented_custom_sql() -> list[str]:
    """The custom-rule SQL examples of the user guide (§7.8), as written there."""
    import re

    guide = (Path(__file__).resolve().parents[2] / "docs" / "user-guide.md").read_text(encoding="utf-8")
    section = guide.split("### 7.8 自定义规则", 1)[1].split("\n### ", 1)[0]
    examples = [" ".join(m.split()) for m in re.findall(r"`(WITH .+?|SELECT .+?)`", section, flags=re.S)]
    assert examples, "the user guide's custom-rule example was not found"
    return examples


def save_documented_custom_rules() -> set[str]:
    """Each documented example saved as a custom rule of 西湖区, with the keyword as written and
    with one the fixture has (送温暖), so that the example also hits; the codes of the latter."""
    from jingshen.accounts.models import User
    from jingshen.screening.services import save_custom_rule

    director = User.objects.get(username="xihu_director")  # the county's 经审负责人 (every_rule.py)
    codes = set()
    for n, sql in enumerate(documented_custom_sql()):
        for variant, text in (("原文", sql), ("送温暖", sql.replace("咨询费", "送温暖"))):
            rule = save_custom_rule(director, None, name=f"文档示例 {n + 1}（{variant}）", category="财务", level="line",
                                    severity="中", weight="0.5", explanation="{summary}，金额 {amount} 元", sql=text)
            if variant == "送温暖":
                codes.add(rule.code)
    return codes


@pytest.mark.django_db
def test_spark_where_it_is_missing_says_what_to_install_and_writes_nothing(tree, tmp_path, monkeypatch, capsys):
    from jingshen.cli import main
    from jingshen.ledger.importers.vouchers import import_vouchers
    from tests.ledger.conftest import voucher, write

    import_vouchers(write(tmp_path / "v.csv", voucher(1)))
    monkeypatch.setattr(spark, "missing", lambda: spark.INSTALL_JAVA)
    assert main(["screen", "--year", "2025", "--engine", "spark"]) == 1
    assert "Java 17" in capsys.readouterr().err
    assert not ScreeningRun.objects.exists()


@needs_spark
@pytest.mark.django_db
def test_a_cluster_that_cannot_be_reached_fails_the_run_with_nothing_half_written(tree, tmp_path, monkeypatch):
    from jingshen.ledger.importers.vouchers import import_vouchers
    from jingshen.screening.services import run_screening
    from tests.ledger.conftest import voucher, write

    import_vouchers(write(tmp_path / "v.csv", voucher(1)))

    def unreachable():
        raise spark.SparkUnavailable("无法启动或连接 Spark（spark://127.0.0.1:9）：连接被拒绝。请检查 JINGSHEN_SPARK_MASTER 和集群状态。")

    monkeypatch.setattr(spark, "base_session", unreachable)
    with pytest.raises(spark.SparkUnavailable):
        run_screening(year=2025, engine="spark")
    run = ScreeningRun.objects.get()
    assert run.status == ScreeningRun.Status.FAILED and "无法启动或连接 Spark" in run.message
    assert not run.flags.exists()


@pytest.mark.parametrize("sql, why", [
    ("SELECT reflect('java.lang.System', 'getenv') AS org FROM lines", "未知的函数"),
    ("SELECT * FROM spark_catalog.default.secrets", "筛查表以外的表"),
    ("SELECT * FROM parquet.`/etc/passwd`", ""),
    ("SELECT 1; SELECT 2", "只能是一条 SELECT"),
    ("DROP TABLE lines", "只能是一条 SELECT"),
    (r"SELECT regexp_replace(summary, '\d', '#') AS org FROM lines", "请加上第四个参数 'g'"),
    ("SELECT list(amount ORDER BY amount) AS org FROM lines", "ORDER BY 在 Spark 引擎上不起作用"),
    ("SELECT string_agg(summary, ',' ORDER BY summary) AS org FROM lines", "ORDER BY 在 Spark 引擎上不起作用"),
    ("SELECT quantile_disc(amount, 0.5) AS org FROM lines", "quantile_disc"),
])
def test_rule_sql_reaches_spark_only_as_sqlglot_renders_a_checked_select(sql, why):
    """Also what Spark would run with another meaning than DuckDB, silently."""
    with pytest.raises(spark.RuleError) as refused:
        spark.transpile(sql, {"lines"})
    assert why in str(refused.value)


# Expressions whose meaning differs silently between DuckDB and Spark unless the transpilation or
# the session settle it: integer division, regular expressions, NULL ordering, decimal rounding,
# medians, date arithmetic, NULL in text. Each runs over the screening tables on both engines.
PROBES = {
    "integer division and division by zero": "SELECT 7 / 2 AS a, 7 // 2 AS b, -7 // 2 AS c, 7 % 3 AS d, 1 / 0 AS e, "
                                              "0 / 0 AS f, 7 // 0 AS g, 1.50::DECIMAL(18,2) / 0 AS h, 7 % 0 AS i",
    "regex": r"SELECT regexp_matches('职工篮球赛2025年', '\d{4}') AS a, regexp_extract('记-0012', '([0-9]+)\s*$', 1) AS b, "
             r"regexp_replace('a.b.c', '\.', '-', 'g') AS c, regexp_matches('宴请客户', '(宴请|招待)') AS e",
    "NULL ordering": "SELECT min(x) AS a, max(x) AS b, count(x) AS c, count(*) AS d FROM (SELECT unnest([3, NULL, 1]) AS x)",
    "NULLs first in a plain ORDER BY": "SELECT x FROM (SELECT unnest([3, NULL, 1]) AS x) ORDER BY x LIMIT 1",
    "NULLs in a descending ORDER BY": "SELECT x FROM (SELECT unnest([3, NULL, 1]) AS x) ORDER BY x DESC LIMIT 1",
    "decimal rounding": "SELECT round(2.345::DECIMAL(18,3), 2) AS a, round(-2.345::DECIMAL(18,3), 2) AS b, "
                        "round(2.5::DOUBLE) AS c, (10.00::DECIMAL(18,2) / 3)::DECIMAL(18,2) AS d, "
                        "(1200.50::DECIMAL(18,2) * 0.05)::DECIMAL(18,2) AS e",
    "median": "SELECT median(x) AS a, quantile_cont(x, 0.5) AS b FROM (SELECT unnest([1.0, 2.0, 4.0, 10.0]) AS x)",
    "dates": "SELECT date_diff('day', DATE '2025-01-01', DATE '2025-03-01') AS a, month(DATE '2025-12-31') AS b, "
             "DATE '2025-01-31' + INTERVAL 1 MONTH AS c, year(DATE '2025-06-01') AS d",
    "text and NULL": "SELECT 'a' || NULL AS a, coalesce(NULL, '') || '甲' AS b, length('工会经费') AS c, "
                     "upper('abc') AS d, trim('  x ') AS e",
    "the lines": "SELECT org, count(*) AS n, sum(amount) AS total, avg(abs_amount) AS mean, max(line_no) AS top "
                 "FROM lines GROUP BY org ORDER BY org",
}


@needs_spark
@pytest.mark.django_db
def test_silent_dialect_differences_give_the_same_values_on_both_engines(tree, tmp_path):
    from jingshen.ledger.importers.vouchers import import_vouchers
    from jingshen.ledger.models import Dataset
    from jingshen.screening.engine import DuckDBEngine
    from tests.ledger.conftest import voucher, write

    import_vouchers(write(tmp_path / "v.csv", voucher(1) + voucher(2, amount="0.35") + voucher(3, org="A1", amount="7.00")))
    datasets = list(Dataset.objects.select_related("org"))
    duck, on_spark = DuckDBEngine(datasets), spark.SparkEngine(datasets)
    try:
        different = {}
        for name, sql in PROBES.items():
            expected, got = duck.query(sql).fetchall(), on_spark.query(sql).fetchall()
            if [tuple(_same(v) for v in row) for row in expected] != [tuple(_same(v) for v in row) for row in got]:
                different[name] = (expected, got)
        assert not different, different
    finally:
        duck.close()
        on_spark.close()


@needs_spark
@pytest.mark.django_db
def test_filters_over_packs_with_many_distinct_texts_read_on_spark(tmp_path):
    """Spark reads the LZ4 Parquet the importer writes under every filter (its dictionary
    filtering failed on the dictionary pages DuckDB writes once a column has a few thousand
    distinct values: the demo's 摘要 did it), and counts as DuckDB does."""
    from jingshen.demo.ledger import grassroots_units, write_vouchers_csv
    from jingshen.demo.orgs import write_orgs_csv
    from jingshen.ledger.importers.vouchers import import_vouchers
    from jingshen.ledger.models import Dataset
    from jingshen.orgs.services import import_orgs
    from jingshen.screening.engine import DuckDBEngine

    import_orgs(write_orgs_csv(tmp_path / "orgs.csv"))
    write_vouchers_csv(tmp_path / "v.csv", grassroots_units()[:40])
    import_vouchers(tmp_path / "v.csv")
    datasets = list(Dataset.objects.select_related("org"))
    sql = ("SELECT count(*) FILTER (WHERE credit > 0) AS a, count(*) FILTER (WHERE summary <> '') AS b, "
           "count(*) FILTER (WHERE counterparty LIKE '%公司%') AS c, count(*) AS d FROM lines WHERE summary <> ''")
    duck, on_spark = DuckDBEngine(datasets), spark.SparkEngine(datasets)
    try:
        expected = duck.query(sql).fetchall()
        assert expected[0][3] > 30_000  # enough lines for the dictionaries that broke it
        assert on_spark.query(sql).fetchall() == expected
    finally:
        duck.close()
        on_spark.close()


@needs_spark
@pytest.mark.django_db
def test_datasets_reach_the_executors_through_the_datasets_url(tree, tmp_path, monkeypatch):
    """With JINGSHEN_DATASETS_URL set, a run copies its packs there (once: a pack copied in its
    current state is not copied again, one rewritten locally is) and the engine reads them there;
    a location that cannot be written fails the run in Chinese, before any flag."""
    from jingshen.ledger import store
    from jingshen.ledger.importers.vouchers import import_vouchers
    from jingshen.ledger.models import Dataset
    from jingshen.screening.services import run_screening
    from tests.ledger.conftest import voucher, write

    import_vouchers(write(tmp_path / "a.csv", voucher(1, org="A1X") + voucher(2, org="A1X")))
    import_vouchers(write(tmp_path / "b.csv", voucher(1, org="B1X")))
    packs = sorted({d.path for d in Dataset.objects.all()})
    assert len(packs) == 2
    remote = tmp_path / "remote"
    monkeypatch.setenv(spark.DATASETS_ENV, remote.as_uri())
    duck = run_screening(year=2025, engine="duckdb")
    on_spark = run_screening(year=2025, engine="spark")
    assert on_spark.status == ScreeningRun.Status.DONE and flags_of(on_spark) == flags_of(duck)
    for pack in packs:
        # (Hadoop's local file system adds a .crc file beside each)
        assert sorted(p.name for p in (remote / pack).iterdir() if not p.name.startswith(".")) == [
            f"{spark.MARK}{spark.fingerprint(pack)}", "data.parquet", "texts.parquet", "vouchers.parquet"]
        assert (remote / pack / "data.parquet").read_bytes() == (store.root() / pack / "data.parquet").read_bytes()

    engine = spark.SparkEngine(list(Dataset.objects.select_related("org")))
    try:
        read = engine.spark.table("lines").inputFiles()
        assert len(read) == 2 and all(str(remote) in f and str(store.root()) not in f for f in read)
        assert spark.ship(engine.spark, remote.as_uri(), packs) == 0
        local = store.root() / packs[0] / "texts.parquet"
        os.utime(local, ns=(local.stat().st_atime_ns, local.stat().st_mtime_ns + 10**9))  # rewritten in place
        assert spark.ship(engine.spark, remote.as_uri(), packs) == 1
        assert len(list((remote / packs[0]).glob(f"{spark.MARK}*"))) == 1
        assert spark.ship(engine.spark, store.root().as_uri(), packs) == 0  # the executors read the store itself
    finally:
        engine.close()

    blocked = tmp_path / "a-file"
    blocked.write_text("x")
    monkeypatch.setenv(spark.DATASETS_ENV, (blocked / "datasets").as_uri())
    with pytest.raises(spark.SparkUnavailable, match="无法把数据集复制到 JINGSHEN_DATASETS_URL"):
        run_screening(year=2025, engine="spark")
    failed = ScreeningRun.objects.latest("pk")
    assert failed.status == ScreeningRun.Status.FAILED and "无法把数据集复制到" in failed.message
    assert not failed.flags.exists()

    monkeypatch.setenv(spark.DATASETS_ENV, "datasets")  # each machine would read its own working folder
    with pytest.raises(spark.SparkUnavailable, match="不能是相对路径"):
        run_screening(year=2025, engine="spark")
    assert "不能是相对路径" in ScreeningRun.objects.latest("pk").message
    assert not (Path.cwd() / "datasets").exists()


def _same(value):
    """Values as both engines' results are compared: a decimal and a float of one number alike, and
    a midnight timestamp as its day (date + INTERVAL is a TIMESTAMP in DuckDB, a DATE in Spark)."""
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date()
    if isinstance(value, (Decimal, float)):
        return round(float(value), 9)
    if isinstance(value, list):
        return [_same(v) for v in value]
    return value


@pytest.mark.django_db
def test_the_run_page_offers_spark_only_where_it_is_configured(client, personas, tree, tmp_path, settings, monkeypatch):
    from jingshen.ledger.importers.vouchers import import_vouchers
    from tests.ledger.conftest import voucher, write

    import_vouchers(write(tmp_path / "v.csv", voucher(1)))
    client.force_login(personas["a_auditor"])
    assert "筛查引擎" not in client.get("/screening/").content.decode()
    settings.SPARK_CONFIGURED = True
    assert "Spark 集群" in client.get("/screening/").content.decode()
    monkeypatch.setattr(spark, "missing", lambda: spark.INSTALL_PYSPARK)
    response = client.post("/screening/", {"org": "A", "year": "2025", "engine": "spark"}, follow=True)
    assert "未安装 pyspark" in response.content.decode() and not ScreeningRun.objects.exists()
    settings.SPARK_CONFIGURED = False  # not configured: a submitted engine is ignored, the default used
    client.post("/screening/", {"org": "A", "year": "2025", "engine": "spark"})
    assert ScreeningRun.objects.get().engine == "duckdb"
