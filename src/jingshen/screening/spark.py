"""The Spark engine: the same rule pack on Apache Spark, for screening a whole country on a
cluster that a national 经审会 already runs. It has the DuckDB engine's interface and tables
(engine.py's docstring lists them) and runs the same SQL, transpiled from DuckDB's dialect to
Spark's by sqlglot; tests/screening/test_spark.py checks that both give the same flags.

Where it runs: ``JINGSHEN_SPARK_MASTER`` (``local[*]`` by default; ``spark://host:7077``,
``yarn`` or ``k8s://…`` for a cluster) with ``JINGSHEN_SPARK_CONF`` (``key=value`` pairs separated
by spaces, as ``spark-submit --conf`` takes them: driver and executor memory and the rest). The
datasets are read from the store (``JINGSHEN_HOME/datasets``) or, for executors on other
machines, from ``JINGSHEN_DATASETS_URL`` (a shared path, ``hdfs://…`` or ``s3a://…``), where a
run first copies the packs it reads that are not there yet (``ship``). docs/scale-out.md says
how to run it for the country.

Tables. The dataset files (data, vouchers and texts of each pack, ledger/store.py) are read as
explicit file lists (partition discovery would read the store's ``kind=``/``pack=`` folder names as
columns), each pack filtered to the run's unit-years unless the run uses all it holds; the tables
built in the database (accounts, ancestors, budgets, payroll, calendar, orgs) arrive as Arrow.
Each engine is a session of its own (``newSession``: its temporary views are its own) on one
SparkSession per process, which starts once (about 7 s here) and is reused.

Sandbox. Rules are SQL in DuckDB's dialect; what Spark runs is sqlglot's rendering of their
DuckDB syntax tree, never the text as typed (``transpile``), checked first: exactly one SELECT,
tables only among the engine's own views and the query's CTEs (no catalog or database names),
and every function one that sqlglot knows or DuckDB has (``duckdb_functions``) — so Spark's
``reflect``, ``java_method`` and script ``TRANSFORM`` cannot be reached. Spark itself is set never
to read a file named in SQL (``spark.sql.runSQLOnFiles=false``) and to DuckDB's semantics where
they differ silently (``spark.sql.ansi.enabled=false``: division by zero and failed casts give
NULL, as in DuckDB); these and the reading of DuckDB's Parquet (``FORCED``) cannot be changed by
``JINGSHEN_SPARK_CONF``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shlex
import shutil
import threading
import uuid
import warnings

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from jingshen.ledger import store
from jingshen.ledger.models import Dataset
from jingshen.screening.engine import (DERIVED, LINES_SHAPE, TEXT_LINES, TEXTS_SHAPE, VOUCHERS_SHAPE, DuckDBEngine,
                                       database_tables)
from jingshen.screening.rules import RuleError

MASTER_ENV, CONF_ENV, DATASETS_ENV = "JINGSHEN_SPARK_MASTER", "JINGSHEN_SPARK_CONF", "JINGSHEN_DATASETS_URL"
DEFAULT_MASTER = "local[*]"
DEFAULTS = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "8",  # the rules' joins and groups are small: 200 tasks each cost more than they do
    "spark.sql.session.timeZone": "UTC",  # dates only: no time zone shifts them
    "spark.driver.memory": "2g",
}
FORCED = {
    "spark.sql.runSQLOnFiles": "false",  # the sandbox
    "spark.sql.ansi.enabled": "false",  # DuckDB's semantics
    # Parquet's dictionary filtering (row groups skipped by their dictionary pages) fails on the
    # LZ4 dictionary pages DuckDB writes once a column has a few thousand distinct values
    # ("MalformedInputException: all input must be consumed"): the store's files are DuckDB's.
    # Row groups are still skipped by their statistics.
    "spark.hadoop.parquet.filter.dictionary.enabled": "false",
}
INSTALL_JAVA = "未找到 Java 运行环境：Spark 引擎需要 Java 17（Debian：apt-get install -y openjdk-17-jre-headless，或设置 JAVA_HOME）。"
INSTALL_PYSPARK = "未安装 pyspark：Spark 引擎需要它（scripts/setup --spark，或 .venv/bin/pip install pyspark）。"


class SparkUnavailable(ValueError):
    """Spark cannot be used here (not installed, or the cluster cannot be reached): the Chinese
    message says what to do. A ValueError, so the command line reports it and exits non-zero."""


def missing() -> str | None:
    """Why the Spark engine cannot start on this machine (Chinese), or None."""
    # pyspark warns at import that it is not tested with pandas 3; the engine hands it Arrow only
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return INSTALL_PYSPARK
    java_home = os.environ.get("JAVA_HOME")
    if not (java_home and os.access(os.path.join(java_home, "bin", "java"), os.X_OK)) and not shutil.which("java"):
        return INSTALL_JAVA
    return None


def settings() -> tuple[str, dict[str, str]]:
    """The master and the configuration: the defaults, ``JINGSHEN_SPARK_CONF`` over them, and
    FORCED over both. A malformed pair is refused in Chinese."""
    conf = dict(DEFAULTS)
    for pair in shlex.split(os.environ.get(CONF_ENV, "")):
        key, sep, value = pair.partition("=")
        if not sep or not key.startswith("spark."):
            raise SparkUnavailable(f"{CONF_ENV} 中的「{pair}」无法识别：应为以空格分隔的 spark.配置项=值。")
        conf[key] = value
    return os.environ.get(MASTER_ENV) or DEFAULT_MASTER, conf | FORCED


_lock = threading.Lock()
_base = None


def base_session():
    """The process's SparkSession, started on first use (SparkUnavailable if it cannot be)."""
    global _base
    why = missing()
    if why:
        raise SparkUnavailable(why)
    with _lock:
        if _base is None:
            from pyspark.sql import SparkSession

            master, conf = settings()
            builder = SparkSession.builder.master(master).appName("jingshen-screening")
            for key, value in conf.items():
                builder = builder.config(key, value)
            try:
                _base = builder.getOrCreate()
                _base.sparkContext.setLogLevel("ERROR")
                _base.range(1).collect()  # a cluster that accepts the application but has no executor fails here
            except Exception as exc:  # noqa: BLE001 - Py4J and Spark raise many kinds; all mean the same here
                _base = None
                raise SparkUnavailable(f"无法启动或连接 Spark（{master}）：{str(exc).splitlines()[0][:200]}。"
                                       f"请检查 {MASTER_ENV} 和集群状态。") from None
        return _base


@functools.cache
def duckdb_functions() -> frozenset[str]:
    with duckdb.connect() as con:
        return frozenset(name.lower() for (name,) in con.execute("SELECT DISTINCT function_name FROM duckdb_functions()").fetchall())


def transpile(sql: str, tables: set[str] | None = None) -> str:
    """A DuckDB SELECT as Spark SQL, after the checks of the module docstring (RuleError in
    Chinese). ``tables``: the names it may read, besides its own CTEs (None: any unqualified name)."""
    try:
        trees = sqlglot.parse(sql, read="duckdb")
    except SqlglotError as exc:
        raise RuleError(f"规则无法转换为 Spark SQL：{str(exc).splitlines()[0][:200]}") from None
    if len(trees) != 1 or not isinstance(trees[0], exp.Query):
        raise RuleError("规则只能是一条 SELECT 查询，不能包含其他语句。")
    tree = trees[0]
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        name = table.name.lower()
        if table.args.get("db") or table.args.get("catalog") or not name or (
                tables is not None and name not in tables and name not in ctes):
            raise RuleError(f"规则读取了筛查表以外的表「{table.sql(dialect='duckdb')[:80]}」，已被拒绝：规则只能查询筛查表。")
    for node in tree.find_all(exp.Anonymous):
        if node.name.lower() not in duckdb_functions():
            raise RuleError(f"规则使用了未知的函数「{node.name[:60]}」，已被拒绝。")
    _check_same_meaning(tree)
    tree = tree.transform(_spark_equivalent)
    try:
        return tree.sql(dialect="spark", unsupported_level=ErrorLevel.RAISE)
    except SqlglotError as exc:
        raise RuleError(f"规则含有 Spark 不支持的写法，不能在 Spark 引擎上运行：{str(exc).splitlines()[0][:200]}") from None


def _check_same_meaning(tree: exp.Expression) -> None:
    """Refuse what Spark would run with another meaning than DuckDB, silently
    (tests/screening/test_spark.py PROBES): a regexp_replace without 'g' (DuckDB replaces the
    first match, Spark every one), an aggregate ordered inside (sqlglot drops the ORDER BY:
    Spark's collect_list has no order, and it skips NULLs) and quantile_disc."""
    for node in tree.find_all(exp.RegexpReplace):
        modifiers = node.args.get("modifiers")
        if modifiers is None or "g" not in modifiers.sql():
            raise RuleError("regexp_replace 请加上第四个参数 'g'（替换全部匹配）：Spark 引擎只能替换全部匹配，"
                            "不加 'g' 时两种引擎的结果不同。")
    for node in tree.find_all(exp.AggFunc):
        if isinstance(node.this, exp.Order):
            raise RuleError(f"聚合函数 {node.sql_name().lower()} 内的 ORDER BY 在 Spark 引擎上不起作用，请改写（如先排序再取值）。")
    if next(tree.find_all(exp.PercentileDisc), None) is not None:
        raise RuleError("quantile_disc 在 Spark 引擎上没有相同含义的函数，请改用 quantile_cont 或 median。")


def _spark_equivalent(node: exp.Expression) -> exp.Expression:
    """A node sqlglot renders in a form Spark refuses, as the Spark function of the same
    meaning: quantile_cont(x, q) is Spark's percentile(x, q) (both interpolate)."""
    if isinstance(node, exp.PercentileCont) and node.args.get("expression") is not None:
        return exp.Anonymous(this="percentile", expressions=[node.this, node.expression])
    return node


class SparkCursor:
    """A query's result as DuckDB's cursor gives it: ``description`` and ``fetchall``."""

    def __init__(self, df):
        self.df = df
        self.description = [(name,) for name in df.columns]

    def fetchall(self) -> list[tuple]:
        table = self.df.toArrow()
        return list(zip(*(table.column(i).to_pylist() for i in range(table.num_columns)))) if table.num_rows else []


SHIPPED = ("data", "vouchers", "texts")  # the files of a pack the engine reads
MARK = "_jingshen-"  # a shipped pack's marker: MARK + the fingerprint of its local files (a name
# starting with "_" is hidden from Hadoop's and Spark's listings)


def datasets_url() -> str | None:
    """``JINGSHEN_DATASETS_URL`` without a trailing slash, or None when unset. A relative path
    is refused in Chinese: the driver and each executor would each resolve it in their own
    working folder."""
    base = os.environ.get(DATASETS_ENV, "").strip().rstrip("/")
    if not base:
        return None
    if not (base.startswith("/") or re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", base)):
        raise SparkUnavailable(f"{DATASETS_ENV}（{base}）应为绝对路径或 hdfs://、s3a:// 等地址，不能是相对路径。")
    return base


def location(base: str, pack: str, name: str) -> str:
    """A pack's file ``name`` in the store at ``base`` (the executors' view of it)."""
    return f"{base}/{pack}/{name}"


def local_file(pack: str, name: str):
    """A pack's ``name``.parquet in the platform's own store."""
    return store.root() / pack / f"{name}.parquet"


def fingerprint(pack: str) -> str:
    """The local state of a pack's SHIPPED files: their sizes and modification times (a file
    rewritten in place, by a data migration or a restore, changes it)."""
    parts = []
    for name in SHIPPED:
        st = local_file(pack, name).stat()
        parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def ship(spark, base: str, packs) -> int:
    """Copy the packs to the store the executors read, ``base`` (JINGSHEN_DATASETS_URL), where
    they are not there yet in their local state; return how many were copied. Through Hadoop's
    file system API, so ``base`` is whatever the cluster can read (``hdfs://``, ``s3a://`` with
    the cluster's connector, a shared path). Each file is copied under a hidden name and renamed
    into place, and the pack's marker is written last: a pack copied halfway is copied again.
    Packs never change once written, so each is copied once; the platform's own store stays
    the original (the importer writes there, and the DuckDB engine reads it)."""
    jvm = spark._jvm
    Path = jvm.org.apache.hadoop.fs.Path
    try:
        fs = Path(base).getFileSystem(spark._jsc.hadoopConfiguration())
        where = fs.makeQualified(Path(base)).toUri()
        if where.getScheme() == "file" and os.path.realpath(where.getPath()) == os.path.realpath(store.root()):
            return 0  # the executors read the platform's store itself
        copied = 0
        for pack in packs:
            marker = Path(location(base, pack, MARK + fingerprint(pack)))
            if fs.exists(marker):
                continue
            for name in SHIPPED:
                target = Path(location(base, pack, f"{name}.parquet"))
                hidden = Path(location(base, pack, f"_{name}.parquet.{uuid.uuid4().hex[:8]}"))
                fs.copyFromLocalFile(False, True, Path("file", None, str(local_file(pack, name))), hidden)
                fs.delete(target, False)
                if not fs.rename(hidden, target):
                    raise OSError(f"rename {hidden} failed")
            for old in fs.globStatus(Path(location(base, pack, MARK + "*"))) or []:
                fs.delete(old.getPath(), False)
            fs.create(marker, True).close()
            copied += 1
        return copied
    except Exception as exc:  # noqa: BLE001 - Py4J and Hadoop raise many kinds; all mean the same here
        java = getattr(exc, "java_exception", None)  # Py4J: the Java exception says what failed
        first = (java.toString() if java is not None else str(exc).strip() or type(exc).__name__).splitlines()[0]
        first = first.split("; For more details see")[0][:200]  # Hadoop's pointer to its wiki
        raise SparkUnavailable(f"无法把数据集复制到 {DATASETS_ENV}（{base}）：{first}。"
                               "请检查该位置是否可写、集群的文件系统配置是否正确。") from None


class SparkEngine(DuckDBEngine):
    """DuckDBEngine's run bookkeeping (plan, keyword matches, derived tables dropped when no
    statement still needs them) over a Spark session; every statement is transpiled."""

    name = "spark"

    def __init__(self, datasets, threads: int | None = None):
        self.datasets = list(datasets)
        self._start_bookkeeping()
        self.frames: dict[str, object] = {}  # materialised views (cached): unpersisted when dropped
        self.names: set[str] = set()  # the session's temporary views (the catalog is slow to list: 0.1 s)
        self.group = f"jingshen-{uuid.uuid4().hex[:12]}"
        self.base = datasets_url()  # the store as the executors read it (None: the platform's own)
        self.spark = base_session().newSession()
        try:
            self._prepare()
        except BaseException:
            self.close()
            raise

    @property
    def views(self) -> set[str]:
        """What a statement may read: the session's views and the derived tables built on demand."""
        return self.names | set(DERIVED) | {TEXT_LINES, "matched"}

    def _prepare(self) -> None:
        from pyspark.sql import functions as F

        spark = self.spark
        packs = self._pack_members()
        if self.base:
            ship(spark, self.base, packs)
        lines = self._files("data", LINES_SHAPE, packs)
        self._view("lines", lines.withColumn("amount", F.col("debit") - F.col("credit"))
                   .withColumn("abs_amount", F.abs(F.col("debit") - F.col("credit"))))
        self._view("vouchers", self._files("vouchers", VOUCHERS_SHAPE, packs))
        self._view("dataset_texts", self._files("texts", TEXTS_SHAPE, packs))
        for name, table in database_tables(self.datasets).items():
            self._view(name, spark.createDataFrame(table))

    def _view(self, name: str, frame) -> None:
        frame.createOrReplaceTempView(name)
        self.names.add(name)

    def _pack_members(self) -> dict[str, bool]:
        """Pack folder → whether the run uses every dataset it holds (then it is read whole)."""
        run_ids = {d.pk for d in self.datasets}
        held: dict[str, set[int]] = {}
        for pk, path in Dataset.objects.filter(path__in={d.path for d in self.datasets}).values_list("pk", "path"):
            held.setdefault(path, set()).add(pk)
        return {path: members <= run_ids for path, members in held.items()}

    def _location(self, path: str, name: str) -> str:
        return location(self.base, path, f"{name}.parquet") if self.base else str(local_file(path, name))

    def _files(self, name: str, shape: str, whole: dict[str, bool]):
        """The run's rows of the packs' ``name``.parquet (an empty frame of ``shape`` without datasets)."""
        from pyspark.sql import functions as F

        spark = self.spark
        if not whole:
            return spark.sql(transpile(f"SELECT {shape} WHERE false"))
        reader = spark.read.option("recursiveFileLookup", "true")  # explicit files; no partition discovery
        parts = []
        complete = [self._location(path, name) for path, all_in in whole.items() if all_in]
        if complete:
            parts.append(reader.parquet(*complete))
        for path in (p for p, all_in in whole.items() if not all_in):
            keys = {(d.org.code, d.fiscal_year) for d in self.datasets if d.path == path}
            wanted = None
            for org, year in keys:
                cond = (F.col("org") == org) & (F.col("fiscal_year") == year)
                wanted = cond if wanted is None else wanted | cond
            parts.append(reader.parquet(self._location(path, name)).where(wanted))
        frame = parts[0]
        for part in parts[1:]:
            frame = frame.unionByName(part)
        return frame

    # --- statements ---------------------------------------------------------------------------

    def _spark_sql(self, sql: str):
        return self.spark.sql(transpile(sql, self.views))

    def _one_select(self, sql: str) -> None:
        transpile(sql, self.views)

    def query(self, sql: str) -> SparkCursor:
        """A rule's query; what Spark refuses (an analysis error) is a RuleError in Chinese."""
        from pyspark.errors import AnalysisException

        try:
            cursor = self.execute(sql)
            cursor.df.schema  # analysed here, before any job runs
            return cursor
        except AnalysisException as exc:
            raise RuleError(f"Spark 无法执行该规则：{str(exc).splitlines()[0][:300]}") from None

    def execute(self, sql: str) -> SparkCursor:
        self._build_derived(sql)
        self.spark.sparkContext.setJobGroup(self.group, "经审筛查", interruptOnCancel=True)
        return SparkCursor(self._spark_sql(sql))

    def _materialize(self, name: str, sql: str) -> None:
        self.spark.sparkContext.setJobGroup(self.group, "经审筛查", interruptOnCancel=True)
        frame = self._spark_sql(sql).cache()
        frame.count()  # built now, once, like DuckDB's CREATE TABLE
        self._view(name, frame)
        self.frames[name] = frame

    def _drop(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)
        self.names.discard(name)
        frame = self.frames.pop(name, None)
        if frame is not None:
            frame.unpersist()

    def _alias(self, view: str, table: str) -> None:
        self._view(view, self.spark.table(table))

    def interrupt(self) -> None:
        self.spark.sparkContext.cancelJobGroup(self.group)

    def close(self) -> None:
        for frame in self.frames.values():
            frame.unpersist()
        self.frames.clear()
        spark = getattr(self, "spark", None)
        if spark is not None:
            for name in self.names:
                spark.catalog.dropTempView(name)
        self.names.clear()
