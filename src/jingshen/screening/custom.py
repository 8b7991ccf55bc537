"""Custom rules written by auditors on the page (like AO's 审计分析模型): one SELECT over the
same tables as the rule pack, checked before it is ever run, tried on one dataset, saved with
the same metadata, and included in the runs of the author's unit and the units below it.

Two lines of defence. The sandbox is the boundary: a dry run and a real run execute the SQL in
a DuckDBEngine that can open only the run's own dataset files and whose configuration is locked
before any rule runs (engine.py), and ``DuckDBEngine.query`` runs exactly one SELECT. A query
that passes every check below still cannot read another unit's Parquet file, an upload, the
secret key or any other file, nor change a setting.

``check_sql`` is the friendly first line, with a Chinese message naming the problem: the SQL
must parse as exactly one query; table references are resolved by scope (sqlglot's
optimizer.scope), so a name counts as a CTE only where that CTE is visible, and anything else
must be one of the screening tables (lines, vouchers, accounts, ancestors, calendar, orgs, texts,
payments, budgets, payroll); quoted names that look like file paths, table functions, file readers, settings and
environment functions, and every statement other than SELECT are refused.

The explanation is a template of plain ``{column}`` fields (rules.compile_template, never
str.format), and on save every field must be a column the query returns (the SQL is run with
LIMIT 0 in a sandboxed engine over no datasets), as must the contract columns.
"""

import hashlib
import threading

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.optimizer.scope import traverse_scope

from jingshen.screening.engine import DuckDBEngine
from jingshen.screening.spark import transpile
from jingshen.screening.models import CustomRule
from jingshen.screening.rules import (
    CATEGORIES, FORBIDDEN, LEVELS, REQUIRED_COLUMNS, SEVERITIES, Basis, Rule, RuleError, compile_template,
)

TABLES = {"lines", "vouchers", "accounts", "ancestors", "calendar", "orgs", "texts", "payments", "budgets", "payroll"}
TABLES_TEXT = "lines、vouchers、accounts、ancestors、calendar、orgs、texts、payments、budgets、payroll"
# Functions that read files, other databases, the environment or the settings (the sandbox denies
# them too; refusing them here gives a clear message). Names with these prefixes or suffixes are
# refused as well: DuckDB's file readers (read_*, *_scan), its catalog/settings views (duckdb_*,
# pragma_*) and the Parquet metadata readers (parquet_*).
DENIED_FUNCTIONS = {
    "glob", "query", "query_table", "getenv", "current_setting", "sniff_csv", "which_secret", "load_extension",
    "read_csv", "read_csv_auto", "read_parquet", "read_json", "read_json_auto", "read_ndjson", "read_text",
    "read_blob", "read_xlsx", "iceberg_scan", "delta_scan", "postgres_scan", "sqlite_scan", "mysql_scan",
}
DENIED_PREFIXES = ("read_", "duckdb_", "pragma_", "parquet_", "sniff_", "iceberg_", "delta_", "sqlite_", "postgres_", "mysql_")
DENIED_SUFFIXES = ("_scan", "_metadata", "_schema")
# Characters of a file path or URL: no table, column or alias name needs them.
PATH_CHARACTERS = set("/\\.:~*?$%{}[]'\"")
# Statements (also nested, e.g. a data-modifying CTE) that a rule's query may not contain.
STATEMENTS = (exp.Command, exp.Set, exp.Pragma, exp.Copy, exp.Attach, exp.Detach, exp.Install, exp.DDL, exp.DML)
DRY_RUN_ROWS = 200
DRY_RUN_SECONDS = 20


def check_sql(sql: str) -> str:
    """The SQL if it is one safe query over the screening tables; ValueError (Chinese) if not.

    The friendly first line only: the engine that runs the SQL is sandboxed (engine.py) whatever
    passes here. Table names are resolved by scope (sqlglot.optimizer.scope): a name is a CTE
    only where that CTE is visible, so a CTE named like a file in one subquery does not let the
    same name through as a table elsewhere."""
    if not sql.strip():
        raise ValueError("请填写规则的 SQL。")
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb", error_level=ErrorLevel.RAISE) if s is not None]
    except ParseError as exc:
        raise ValueError(f"SQL 语法错误：{exc.errors[0]['description'] if exc.errors else exc}") from None
    except Exception as exc:  # noqa: BLE001 - sqlglot's tokenizer raises its own errors on odd input
        raise ValueError(f"SQL 语法错误：{str(exc).splitlines()[0] if str(exc) else '无法解析'}") from None
    if len(statements) != 1:
        raise ValueError("只能写一条 SELECT 查询。")
    query = statements[0]
    if not isinstance(query, exp.Query) or next(query.find_all(*STATEMENTS), None) is not None:
        raise ValueError("只允许 SELECT 查询，不能修改数据、建表、导出文件、挂载数据库、安装扩展或更改设置。")
    for ident in query.find_all(exp.Identifier):
        if ident.quoted and PATH_CHARACTERS & set(ident.name):
            raise ValueError(f"名称「{ident.name}」含有路径字符（/ \\ . : 等）：自定义规则不能读取文件，"
                             "表名、列名和别名不能像文件路径。")
    _check_functions(query)
    _check_tables(query)
    if FORBIDDEN.search(sql):
        raise ValueError("请不要用星期函数（dayofweek、strftime 等），请关联 calendar 表的 is_weekend、is_holiday。")
    try:
        transpile(sql)  # what the Spark engine would run: refused now, not in a national run
    except RuleError as exc:
        raise ValueError(f"该 SQL 不能在 Spark 引擎上运行（全国规模筛查使用 Spark）：{exc}") from None
    return sql


def _function_name(func: exp.Func) -> str:
    return (func.name if isinstance(func, exp.Anonymous) else func.sql_name()).lower()


def _check_functions(query: exp.Expression) -> None:
    for func in query.find_all(exp.Func):
        name = _function_name(func)
        if (name in DENIED_FUNCTIONS or name.startswith(DENIED_PREFIXES) or name.endswith(DENIED_SUFFIXES)
                or type(func).__name__.lower().startswith("read")):
            raise ValueError(f"不能使用函数 {name}：自定义规则不能读取文件、其他数据库、环境变量或系统设置。")
    for dot in query.find_all(exp.Dot):
        if isinstance(dot.expression, exp.Func):
            raise ValueError(f"不能用带库名的函数 {dot.sql(dialect='duckdb')}：请直接写函数名。")


def _check_tables(query: exp.Expression) -> None:
    """Every table reference, resolved in its own scope: a visible CTE, or one of TABLES."""
    for source in query.find_all(exp.Unnest, exp.Lateral):
        if isinstance(source.parent, (exp.From, exp.Join)) and not (
                isinstance(source, exp.Lateral) and isinstance(source.this, exp.Subquery)):
            raise ValueError(f"不能在 FROM 中使用表函数 {source.sql(dialect='duckdb')[:40]}：只能查询 {TABLES_TEXT}。")
    query = normalize_identifiers(query.copy(), dialect="duckdb")
    try:
        scopes = traverse_scope(query)
    except Exception:  # noqa: BLE001 - sqlglot could not resolve the query's scopes: refuse rather than guess
        raise ValueError("无法识别该查询引用的表，请简化查询（例如把子查询写成 WITH 子句）。") from None
    resolved = set()
    for query_scope in scopes:  # sqlglot scopes, not orgs.scope
        for table in query_scope.tables:
            resolved.add(id(table))
            if not isinstance(table.this, exp.Identifier):
                name = _function_name(table.this) if isinstance(table.this, exp.Func) else table.this.sql(dialect="duckdb")[:40]
                raise ValueError(f"不能在 FROM 中使用表函数 {name}：只能查询 {TABLES_TEXT}。")
            if table.args.get("db") or table.args.get("catalog"):
                raise ValueError(f"不能查询「{table.sql(dialect='duckdb')}」：不能带库名，只能查询 {TABLES_TEXT}。")
            if table.name in query_scope.cte_sources:
                continue  # a CTE visible here
            if table.name.lower() not in TABLES:
                raise ValueError(f"不能查询表「{table.name}」：只能查询 {TABLES_TEXT} 和本查询中可见的 WITH 子句。")
    unresolved = [t for t in query.find_all(exp.Table) if id(t) not in resolved]
    if unresolved:
        raise ValueError(f"无法识别表「{unresolved[0].sql(dialect='duckdb')[:40]}」的来源，请把它写在 FROM 或 JOIN 中。")


def as_rule(custom: CustomRule) -> Rule:
    """The custom rule as a pack rule (same engine, flags and scores), its SQL and template
    checked again (a rule saved before a check existed is refused, never run unchecked)."""
    compile_template(custom.explanation)
    text = "|".join([custom.name, custom.category, custom.level, custom.severity, str(custom.weight), custom.explanation, custom.sql])
    return Rule(
        code=custom.code,
        name=custom.name,
        category=custom.category,
        level=custom.level,
        severity=custom.severity,
        weight=custom.weight,
        description=custom.description,
        explanation=custom.explanation,
        sql=check_sql(custom.sql),
        version=hashlib.sha256(text.encode()).hexdigest()[:12],
        basis=(Basis(regulation=custom.basis),) if custom.basis else (),
    )


def validate_meta(*, name, category, level, severity, weight, explanation) -> float:
    if not name.strip():
        raise ValueError("请填写规则名称。")
    if category not in CATEGORIES or level not in LEVELS or severity not in SEVERITIES:
        raise ValueError("请选择类别、级别和风险等级。")
    try:
        weight = float(weight)
    except (TypeError, ValueError):
        raise ValueError("权重应为 0～1 之间的数。") from None
    if not 0 < weight <= 1:
        raise ValueError("权重应为 0～1 之间的数（不含 0）。")
    if not explanation.strip():
        raise ValueError("请填写疑点说明模板，例如：{summary}，金额 {amount} 元。")
    compile_template(explanation)  # only {column} fields: a custom rule has no parameters
    return weight


def _run_limited(engine: DuckDBEngine, sql: str, limit: int):
    """The columns and at most ``limit`` rows of the SQL in the (sandboxed) engine, within
    DRY_RUN_SECONDS; ValueError with DuckDB's first line if it fails."""
    timer = threading.Timer(DRY_RUN_SECONDS, engine.interrupt)
    timer.start()
    try:
        cursor = engine.query(f"SELECT * FROM ({sql}\n) LIMIT {int(limit)}")  # a trailing -- comment stays inside
        return [c[0] for c in cursor.description], cursor.fetchall()
    except Exception as exc:  # noqa: BLE001 - DuckDB's message is the useful answer here
        message = "超过 20 秒，已中止：请缩小查询范围。" if "interrupt" in str(exc).lower() else str(exc).split("\n")[0]
        raise ValueError(f"试运行出错：{message}") from None
    finally:
        timer.cancel()


def result_columns(sql: str) -> list[str]:
    """The columns the (checked) SQL returns: run with LIMIT 0 in a sandboxed engine over no
    datasets (the engine's empty tables)."""
    engine = DuckDBEngine([])
    try:
        return _run_limited(engine, sql, 0)[0]
    finally:
        engine.close()


def check_columns(sql: str, explanation: str) -> None:
    """The query returns the contract columns and every column the explanation names."""
    columns = result_columns(sql)
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ValueError(f"查询结果缺少列：{'、'.join(missing)}（每条规则的结果须包含 {'、'.join(REQUIRED_COLUMNS)}）。")
    unknown = [name for _, kind, name in compile_template(explanation) if kind == "column" and name not in columns]
    if unknown:
        raise ValueError(f"说明模板引用了查询结果中没有的列：{'、'.join(dict.fromkeys(unknown))}。")


def dry_run(sql: str, dataset, explanation: str = "") -> dict:
    """Run the SQL on one dataset (at most DRY_RUN_ROWS rows, DRY_RUN_SECONDS seconds), in an
    engine sandboxed to that dataset's files (engine.py)."""
    check_sql(sql)
    engine = DuckDBEngine([dataset])
    try:
        columns, rows = _run_limited(engine, sql, DRY_RUN_ROWS + 1)
    finally:
        engine.close()
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    preview = ""
    if rows and explanation and not missing:
        try:
            probe = Rule(code="CU", name="", category="财务", level="line", severity="低", weight=0.5, description="",
                         explanation=explanation, sql=sql, version="")
            preview = probe.explain(dict(zip(columns, rows[0])))
        except RuleError as exc:  # a bad placeholder, or a column the query does not return
            preview = str(exc)
    return {
        "columns": columns,
        "rows": rows[:DRY_RUN_ROWS],
        "more": len(rows) > DRY_RUN_ROWS,
        "missing": missing,
        "preview": preview,
    }


def rules_for_org(org) -> list[Rule]:
    """Enabled custom rules of the unit and the units above it: they apply to its subtree."""
    if org is None:
        return []
    chain = org.ancestor_ids()
    customs = CustomRule.objects.filter(owner_org_id__in=chain, enabled=True).order_by("code")
    rules = []
    for c in customs:
        try:
            rules.append(as_rule(c))
        except (ValueError, RuleError):
            continue  # a rule that no longer passes the checks is left out, never run unchecked
    return rules
