"""Screening engines. A rule is SQL over these tables, the same in every engine:

    lines      voucher lines of the screened datasets (the columns of a voucher dataset, plus
               amount = debit − credit and abs_amount)
    vouchers   one row per voucher: org, fiscal_year, period, voucher_type, voucher_no, date and
               last_date (first and last line's date), lines, first_line, debit, credit (totals),
               summary (the first line's), preparer, reviewer (empty text for none), attachments
               (the most on a line). Written at import (vouchers.parquet): a rule that needs only
               these facts reads 4 M vouchers instead of grouping 10 M lines.
    accounts   org, code, name, role, role_confirmed, is_leaf, category, direction, parent: each
               unit's effective chart (role_confirmed: the role is confirmed or standard, not a
               guess from the account's name; parent: the account above, NULL for a first-level
               account; ledger/charts.py)
    ancestors  org, code, ancestor, distance: each account of ``accounts`` with itself (distance
               0) and every account above it. Rolling lines up the chart is a join:
               ``lines l JOIN ancestors t ON t.org = l.org AND t.code = l.account_code`` gives each
               line once under every account it counts towards (t.ancestor), with no recursive
               query (ledger.charts.ancestor_table)
    budgets    org, fiscal_year, version, kind, code, name, prior_actual, amount, adjusted, budget,
               is_top: each line of the latest budget version (工会经费收支预算表) of each of the
               run's unit-years, in file order. kind: account (a 科目 line), carry_forward (上年结转),
               used_surplus (动用以前年度结余), income_total (本年收入合计), expense_total
               (本年支出合计); code empty text but for account lines; prior_actual 上年决算数,
               amount 本年预算数, adjusted 调整预算数 (NULL where the cell was empty or a dash);
               budget = coalesce(adjusted, amount), the figure budget execution reads; is_top: an
               account line with no listed line above it in the unit's chart (summing the top
               lines counts each amount once). A unit-year without a budget has no rows
               (finance/tables.py)
    payroll    org, fiscal_year, version, total, staff_count: the latest 工资总额 (and 职工人数,
               NULL if not given) of each of the run's unit-years that has one (finance/tables.py)
    calendar   date, is_weekend, is_holiday, is_makeup_workday, is_workday, holiday_name
    orgs       org, name, level, kind, member_count, parent
    texts      summary, counterparty: each distinct pair of 摘要 and 往来单位 in ``lines`` (empty
               text for none). Keyword rules match their patterns here, once per distinct text
               (their ``texts`` queries, read through ``matched`` and ``text_lines`` below):
               ledgers repeat the same 摘要 and payees, so this is a small fraction of the lines
               (docs/benchmarks.md). Built on first use
               from each dataset's distinct pairs, written at import (texts.parquet).
    payments   one row per voucher and payee paid from cash or bank: the voucher's key,
               counterparty (empty text for none), date, amount (the cash and bank credits to
               that payee), first_line (the first of those lines) and receives (the voucher
               also debits cash or bank: a receipt or a transfer between them, not a payment).
               Built on first use, for the rules on payments (duplicates, splits, limits, payees).

and for a keyword rule (one with a ``texts`` query, rules.py):
    matched    the result of the rule's own ``texts`` query (summary, counterparty and the rule's
               columns)
    text_lines the lines whose summary and counterparty are among the texts matched by any
               keyword rule of the run: org, fiscal_year, period, date, voucher_type, voucher_no,
               line_no, summary, counterparty, account_code, account_name, debit, credit, amount
               (TEXT_LINE_COLUMNS; a rule needing another column joins ``lines``), with summary
               and counterparty as empty text for none, so that a rule joins them to ``matched``
               by plain equality.
               Built once, the first time a keyword rule runs, from every keyword rule the run
               planned: a tenth of the lines, read once for all of them instead of once per rule
               (docs/benchmarks.md).

Derived tables are dropped after the last statement of a run that reads them (``plan``): they
can hold hundreds of MB that later rules need for their own hash tables.

DuckDB (the embedded default) reads the datasets' Parquet files directly: the data, vouchers and
texts files of the packs the datasets are in (ledger/store.py), each kind of file of all the packs
as one table (``_source``). A pack the run uses whole (every dataset it holds is in the run: the
usual case, a year's latest versions) is read as it is; a pack that also holds other versions or
years of the run's units is read filtered to the run's datasets (a semi join on file, unit and
year, ``run_datasets``); a pack that also holds other units' datasets has the run's rows copied
into tables (``run_data`` …) before the sandbox is locked, and is never opened after. Packs, not a
folder per dataset, because what a run pays per file is paid by every rule: the pack of 44 rules
over 600 units of 800 lines took 12.8 s over 600 folders and 4.0 s over one file of the same rows
(docs/benchmarks.md, 2026-12-02). The Spark engine (spark.py) runs the same SQL transpiled by
sqlglot (tests/screening/test_spark.py checks that both engines give the same flags).

Sandbox. Every DuckDB engine is locked down once its tables and views exist and before any
rule's SQL runs (``_lock``): the only files it may open are the files of the packs the run reads
whole or filtered, which hold the run's units only (``allowed_paths``, which the views ``lines``,
``vouchers`` and ``dataset_texts`` read lazily; a rule naming such a file reaches at most other
versions or years of the run's own units, which whoever screens them may read anyway), no
other file or URL (``enable_external_access = false``: read_* functions, replacement scans of file
names, ATTACH, COPY, INSTALL and extension loading all fail), no extension auto-loading or
installing, no Python replacement scans (a variable of the calling code is not a table), the Arrow
objects registered to build accounts/ancestors/calendar/orgs/budgets/payroll are unregistered, and then the configuration is
locked (``lock_configuration = true``: SET, RESET and PRAGMA settings fail, so nothing above can be
undone). Spilling to ``temp_directory`` still works. Rule SQL goes through ``query``, which
runs exactly one SELECT statement. This holds for the pack's rules too: a custom rule
(custom.py) runs in the same engine as the pack, so the engine itself is the boundary; custom.py's
syntactic check is only the first, friendly line.
"""

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from jingshen.ledger import store
from jingshen.finance.tables import budget_table, payroll_table
from jingshen.ledger.charts import ancestor_table, chart_table, effective_charts
from jingshen.ledger.models import Dataset
from jingshen.orgs.models import Org
from jingshen.screening.calendar import calendar_table
from jingshen.screening.rules import Rule, RuleError, reads_table

MEMORY_LIMIT = "1536MB"
# The Arrow objects _prepare registers and copies into tables; _lock unregisters them.
ARROW_TABLES = tuple(f"{name}_arrow" for name in ("accounts", "ancestors", "budgets", "payroll", "calendar", "orgs"))
# What a division by zero gives: NULL, whatever the types (DuckDB's default is inf or NaN for
# `/` and an error for `//`), as on Spark (spark.py): a ratio over nothing is unknown, and a rule
# must not flag a unit because a denominator was zero. Applied before the sandbox locks them.
SEMANTICS = ("SET ieee_floating_point_ops = false", "SET error_on_division_by_zero = false")
# Applied by _lock after allowed_paths, in this order: lock_configuration must come last.
SANDBOX = (
    "SET enable_external_access = false",
    "SET autoload_known_extensions = false",
    "SET autoinstall_known_extensions = false",
    "SET allow_community_extensions = false",
    "SET python_enable_replacements = false",
    "SET allow_persistent_secrets = false",
    "SET lock_configuration = true",
)


def _literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _read_parquet(files: list[str]) -> str:
    return f"read_parquet([{', '.join(_literal(f) for f in files)}], hive_partitioning = false)"

# Tables derived from the others in SQL (so any engine can build them), each built the first time
# a statement reads it (FROM or JOIN it). ``dataset_texts`` (each dataset's texts.parquet, the
# distinct pairs of that dataset) is for building ``texts`` only; rules do not read it.
DERIVED = {
    "texts": "SELECT DISTINCT summary, counterparty FROM dataset_texts",
    "payments": """
WITH cash AS (
    SELECT org, code FROM accounts WHERE role IN ('cash', 'bank')
), receipts AS (
    SELECT DISTINCT l.org, l.fiscal_year, l.period, l.voucher_type, l.voucher_no
    FROM lines l
    SEMI JOIN cash a ON a.org = l.org AND a.code = l.account_code
    WHERE l.debit > 0
), paid AS (
    SELECT l.org, l.fiscal_year, l.period, l.voucher_type, l.voucher_no, coalesce(l.counterparty, '') AS counterparty,
           min(l.date) AS date, sum(l.credit) AS amount, min(l.line_no) AS first_line
    FROM lines l
    -- a semi join: accounts only filter here, and a plain join lets DuckDB pre-aggregate the lines by account first
    SEMI JOIN cash a ON a.org = l.org AND a.code = l.account_code
    WHERE l.credit > 0
    GROUP BY l.org, l.fiscal_year, l.period, l.voucher_type, l.voucher_no, coalesce(l.counterparty, '')
)
SELECT p.*, r.org IS NOT NULL AS receives
FROM paid p
LEFT JOIN receipts r ON r.org = p.org AND r.fiscal_year = p.fiscal_year AND r.period = p.period
     AND r.voucher_type = p.voucher_type AND r.voucher_no = p.voucher_no
""",
}


TEXT_LINES = "text_lines"


def reads(sql: str) -> list[str]:
    """The derived tables a statement reads."""
    return [name for name in (*DERIVED, TEXT_LINES) if reads_table(sql, name)]


# The columns of each kind of dataset file, in file order, for the empty tables that stand in for
# them when a run has no datasets (a test checks them against real files).
LINES_SHAPE = (
    "NULL::VARCHAR AS org, NULL::INTEGER AS fiscal_year, NULL::INTEGER AS period, NULL::DATE AS date, "
    "NULL::VARCHAR AS voucher_type, NULL::INTEGER AS voucher_no, NULL::INTEGER AS line_no, NULL::VARCHAR AS summary, "
    "NULL::VARCHAR AS account_code, NULL::VARCHAR AS account_name, NULL::DECIMAL(18,2) AS debit, "
    "NULL::DECIMAL(18,2) AS credit, NULL::VARCHAR AS counterparty, NULL::VARCHAR AS settlement, "
    "NULL::VARCHAR AS preparer, NULL::VARCHAR AS reviewer, NULL::INTEGER AS attachments, NULL::VARCHAR AS invoice_no, "
    "NULL::BIGINT AS source_row"
)
VOUCHERS_SHAPE = (
    "NULL::VARCHAR AS org, NULL::INTEGER AS fiscal_year, NULL::INTEGER AS period, NULL::VARCHAR AS voucher_type, "
    "NULL::INTEGER AS voucher_no, NULL::DATE AS date, NULL::DATE AS last_date, NULL::BIGINT AS lines, "
    "NULL::INTEGER AS first_line, NULL::DECIMAL(18,2) AS debit, NULL::DECIMAL(18,2) AS credit, NULL::VARCHAR AS summary, "
    "NULL::VARCHAR AS preparer, NULL::VARCHAR AS reviewer, NULL::INTEGER AS attachments"
)
TEXTS_SHAPE = "NULL::VARCHAR AS org, NULL::INTEGER AS fiscal_year, NULL::VARCHAR AS summary, NULL::VARCHAR AS counterparty"
# The columns of ``text_lines``: what keyword rules join and show. Reading fewer columns of every
# line is most of what building it costs (a run with one keyword rule pays it for that rule alone).
TEXT_LINE_COLUMNS = (
    "org", "fiscal_year", "period", "date", "voucher_type", "voucher_no", "line_no", "summary", "counterparty",
    "account_code", "account_name", "debit", "credit", "amount",
)


def text_lines_sql(matched: list[str]) -> str:
    """``text_lines``: the lines whose 摘要 and 往来单位 are among the texts in the ``matched``
    tables (each a keyword rule's result), with empty text for none."""
    columns = ", ".join(f"coalesce(l.{c}, '') AS {c}" if c in ("summary", "counterparty") else f"l.{c}" for c in TEXT_LINE_COLUMNS)
    texts = " UNION ".join(f"SELECT summary, counterparty FROM {table}" for table in matched)
    return (f"SELECT {columns} FROM lines l SEMI JOIN ({texts}) m "
            "ON m.summary = coalesce(l.summary, '') AND m.counterparty = coalesce(l.counterparty, '')")


def database_tables(datasets) -> dict[str, pa.Table]:
    """The tables built from the database for a run's datasets, as Arrow, which every engine
    loads: accounts, ancestors, budgets, payroll, calendar (the run's years and those either
    side) and orgs (module docstring)."""
    orgs = list(Org.objects.filter(pk__in={d.org_id for d in datasets}).select_related("parent"))
    charts = effective_charts(orgs)
    codes = {o.pk: o.code for o in orgs}
    unit_years = {(d.org_id, d.fiscal_year) for d in datasets}
    years = {d.fiscal_year for d in datasets} or {2025}
    years |= {y - 1 for y in years} | {y + 1 for y in years}
    return {"accounts": chart_table(orgs, charts), "ancestors": ancestor_table(charts),
            "budgets": budget_table(codes, unit_years, charts), "payroll": payroll_table(codes, unit_years),
            "calendar": calendar_table(years), "orgs": orgs_table(orgs)}


def orgs_table(orgs) -> pa.Table:
    """The ``orgs`` table of the run's units."""
    return pa.table({
        "org": [o.code for o in orgs],
        "name": [o.name for o in orgs],
        "level": [o.level for o in orgs],
        "kind": [o.kind for o in orgs],
        "member_count": pa.array([o.member_count for o in orgs], pa.int64()),
        "parent": [o.parent.code if o.parent else None for o in orgs],
    })


@dataclass
class RuleResult:
    rule: Rule
    columns: list[str]
    rows: list[tuple]


class DuckDBEngine:
    name = "duckdb"

    def __init__(self, datasets, threads: int | None = None):
        self.datasets = list(datasets)
        self.con = duckdb.connect()
        self._start_bookkeeping()
        self.files: list[str] = []  # the datasets' Parquet files: the only files the engine may open
        self.con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'").fetchall()
        for setting in SEMANTICS:
            self.con.execute(setting).fetchall()
        if threads:
            self.con.execute(f"SET threads = {int(threads)}").fetchall()
        try:
            self._prepare()
            self._lock()
        except BaseException:
            self.con.close()
            raise

    def _start_bookkeeping(self) -> None:
        """What ``plan``, ``_match`` and ``_done`` keep during a run (every engine has it)."""
        self.built: set[str] = set()
        self.pending: Counter[str] = Counter()  # statements still to run that read each derived table
        self.keyword_queries: list[str] = []  # the run's keyword rules' texts queries
        self.matched: dict[str, str] = {}  # a texts query -> the table holding its result

    def _prepare(self) -> None:
        con = self.con
        packs = self._packs()
        lines = self._source("data", LINES_SHAPE, packs)
        con.execute(f"CREATE VIEW lines AS SELECT *, debit - credit AS amount, abs(debit - credit) AS abs_amount FROM {lines}").fetchall()
        con.execute(f"CREATE VIEW vouchers AS SELECT * FROM {self._source('vouchers', VOUCHERS_SHAPE, packs)}").fetchall()
        con.execute(f"CREATE VIEW dataset_texts AS SELECT * FROM {self._source('texts', TEXTS_SHAPE, packs)}").fetchall()
        for name, table in database_tables(self.datasets).items():
            con.register(f"{name}_arrow", table)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_arrow").fetchall()

    def _lock(self) -> None:
        """Sandbox the connection (module docstring): from here on it reads only the run's
        dataset files and its own tables, and its settings cannot change."""
        con = self.con
        for name in ARROW_TABLES:  # copied into tables: the Python objects are no longer reachable
            con.unregister(name)
        allowed = ", ".join(_literal(f) for f in self.files)
        con.execute(f"SET allowed_paths = [{allowed}]").fetchall()
        for statement in SANDBOX:
            con.execute(statement).fetchall()

    def _packs(self) -> dict[str, str]:
        """How the run reads each pack its datasets are in (ledger/store.py): ``whole`` when the
        run uses every dataset the pack holds (read as it is), ``shared`` when the others are
        other versions or years of the run's own units (read through ``run_datasets``), and
        ``copied`` when it also holds other units' datasets: then the run's rows are copied into
        tables before the sandbox is locked and the pack's files stay closed to rules, which must
        never reach a unit outside the run."""
        run_ids, run_orgs = {d.pk for d in self.datasets}, {d.org_id for d in self.datasets}
        held: dict[str, list[tuple[int, int]]] = {}
        for pk, path, org_id in Dataset.objects.filter(path__in={d.path for d in self.datasets}).values_list("pk", "path", "org_id"):
            held.setdefault(path, []).append((pk, org_id))
        packs = {}
        for path, members in held.items():
            if all(pk in run_ids for pk, _ in members):
                packs[path] = "whole"
            elif all(org_id in run_orgs for _, org_id in members):
                packs[path] = "shared"
            else:
                packs[path] = "copied"
        keys = [(str(store.root() / d.path / f"{name}.parquet"), d.org.code, d.fiscal_year)
                for d in self.datasets if packs[d.path] != "whole" for name in ("data", "vouchers", "texts")]
        if keys:
            self.con.execute("CREATE TABLE run_datasets (file VARCHAR, org VARCHAR, fiscal_year INTEGER)").fetchall()
            self.con.executemany("INSERT INTO run_datasets VALUES (?, ?, ?)", keys)
        return packs

    def _source(self, name: str, shape: str, packs: dict[str, str]) -> str:
        """The run's rows of the packs' ``name``.parquet files (``_packs``), or an empty table of
        that shape without datasets. A missing file (a pack restored from before the screening
        files existed, without ``jingshen migrate``) is named in a Chinese error instead of DuckDB's."""
        files = {path: str(store.root() / path / f"{name}.parquet") for path in packs}
        missing = [d for d in self.datasets if not os.path.exists(files[d.path])]
        if missing:
            listed = "、".join(f"{d.org.name}（{d.org.code}）{d.fiscal_year} 年第 {d.version} 版" for d in missing[:5])
            more = f"等 {len(missing)} 个" if len(missing) > 5 else ""
            raise ValueError(
                f"数据集 {listed}{more}缺少文件 {name}.parquet（{files[missing[0].path]}），"
                "无法筛查：请系统管理员运行 jingshen migrate 补齐，或重新导入这些单位的凭证。"
            )
        if not files:
            return f"(SELECT {shape} WHERE false)"
        read = {how: [f for path, f in files.items() if packs[path] == how] for how in ("whole", "shared", "copied")}
        kept = "SEMI JOIN run_datasets d ON d.file = l.filename AND d.org = l.org AND d.fiscal_year = l.fiscal_year"
        parts = []
        if read["whole"]:
            parts.append(f"SELECT * FROM {_read_parquet(read['whole'])}")
        if read["shared"]:
            parts.append(f"SELECT l.* FROM {_read_parquet(read['shared'])} l {kept}")
        if read["copied"]:
            self.con.execute(f"CREATE TABLE run_{name} AS SELECT l.* FROM {_read_parquet(read['copied'])} l {kept}").fetchall()
            parts.append(f"SELECT * FROM run_{name}")
        self.files += read["whole"] + read["shared"]
        return "(" + " UNION ALL ".join(parts) + ")"

    def plan(self, tasks: list[tuple[Rule, dict | None]]) -> None:
        """Announce the rules of a run (each with its parameter values), so that ``text_lines``
        is built once for all the keyword rules and each derived table is dropped once the last
        statement that reads it has run (without a plan they stay until ``close``)."""
        statements = [rule.render(values) for rule, values in tasks]
        self.keyword_queries = list(dict.fromkeys(rule.render_texts(values) for rule, values in tasks if rule.texts))
        self.pending = Counter(name for sql in statements + self.keyword_queries for name in reads(sql))

    def query(self, sql: str) -> duckdb.DuckDBPyConnection:
        """Run a rule's query (``execute``), which must be exactly one SELECT statement as DuckDB
        itself parses it: no second statement, no DDL, no settings (RuleError otherwise). What
        the sandbox refuses (a file outside the run) is a RuleError too, in Chinese."""
        self._one_select(sql)
        try:
            return self.execute(sql)
        except duckdb.PermissionException:
            raise RuleError("规则试图读取筛查数据以外的文件、挂载数据库或更改设置，已被拒绝："
                            "规则只能查询筛查表。") from None

    def _one_select(self, sql: str) -> None:
        statements = self.con.extract_statements(sql)
        if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
            raise RuleError("规则只能是一条 SELECT 查询，不能包含其他语句。")

    def execute(self, sql: str) -> duckdb.DuckDBPyConnection:
        """Run a query over the screening tables, first building the derived ones it reads."""
        self._build_derived(sql)
        return self.con.execute(sql)

    def _build_derived(self, sql: str) -> None:
        """Build the derived tables ``sql`` reads that are not built yet."""
        for name in reads(sql):
            if name not in self.built and name in DERIVED:
                self._materialize(name, DERIVED[name])
                self.built.add(name)

    # The statements the run's bookkeeping needs (derived tables, keyword matches), which an
    # engine of another dialect overrides: ``sql`` is always DuckDB's.

    def _materialize(self, name: str, sql: str) -> None:
        """Table ``name`` holding the result of ``sql`` (which may read derived tables)."""
        self.con.execute(f"CREATE TABLE {name} AS {sql}").fetchall()

    def _drop(self, name: str) -> None:
        self.con.execute(f"DROP TABLE {name}").fetchall()

    def _alias(self, view: str, table: str) -> None:
        """``view`` reads ``table`` (``matched``: the current keyword rule's matches)."""
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM {table}").fetchall()

    def run_one(self, rule: Rule, values: dict | None = None) -> RuleResult:
        sql = rule.render(values)
        if rule.texts:
            texts = rule.render_texts(values)
            self._one_select(texts)
            self._match(texts)
        cursor = self.query(sql)
        columns = [c[0] for c in cursor.description]
        result = RuleResult(rule, columns, cursor.fetchall())
        self._done(sql)
        return result

    def _match(self, query: str) -> None:
        """Make ``matched`` the result of a keyword rule's texts ``query``, and ``text_lines`` hold
        its lines: built the first time with the lines of every keyword rule planned."""
        if query not in self.keyword_queries:  # a rule the run did not announce
            self.keyword_queries.append(query)
        if TEXT_LINES in self.built and query not in self.matched:
            self._drop(TEXT_LINES)
            self.built.discard(TEXT_LINES)
        if TEXT_LINES not in self.built:
            for planned in self.keyword_queries:
                if planned not in self.matched:
                    table = f"matched_{len(self.matched) + 1}"
                    self._build_derived(planned)
                    self._materialize(table, planned)
                    self.matched[planned] = table
                    self._done(planned)
            self._materialize(TEXT_LINES, text_lines_sql(list(self.matched.values())))
            self.built.add(TEXT_LINES)
        self._alias("matched", self.matched[query])

    def _done(self, sql: str) -> None:
        """A statement has run: drop the derived tables no statement still to run reads. (A custom
        rule's own CTE may bear a derived table's name: nothing was built for it, so nothing is
        dropped.)"""
        for name in reads(sql):
            if self.pending[name] > 0:
                self.pending[name] -= 1
                if self.pending[name] == 0 and name in self.built:
                    self._drop(name)
                    self.built.discard(name)
                    if name == TEXT_LINES:
                        for table in self.matched.values():
                            self._drop(table)
                        self.matched.clear()
                        self.keyword_queries = []

    def run(self, rules: list[Rule], params: dict[str, dict] | None = None) -> Iterator[RuleResult]:
        params = params or {}
        for rule in rules:
            yield self.run_one(rule, params.get(rule.code))

    def lines_count(self) -> int:
        return sum(d.rows for d in self.datasets)

    def interrupt(self) -> None:
        """Stop the query running now (from another thread)."""
        self.con.interrupt()

    def close(self) -> None:
        self.con.close()


def _spark(datasets, threads: int | None = None):
    """The Spark engine (screening/spark.py), imported only when used: pyspark is optional."""
    from jingshen.screening.spark import SparkEngine

    return SparkEngine(datasets, threads)


def unavailable(engine: str) -> str | None:
    """Why ``engine`` cannot run on this machine (Chinese: what to install), or None."""
    if engine == "spark":
        from jingshen.screening.spark import missing

        return missing()
    return None


ENGINES = {"duckdb": DuckDBEngine, "spark": _spark}
