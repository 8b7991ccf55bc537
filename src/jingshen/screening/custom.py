"""Custom rules written by auditors on the page (like AO's 审计分析模型): one SELECT over the
same tables as the rule pack, checked before it is ever run, tried on one dataset, saved with
the same metadata, and included in the runs of the author's unit and the units below it.

A user's SQL never reaches DuckDB unchecked: it must parse as exactly one query that reads
only the screening tables (lines, vouchers, accounts, calendar, orgs, texts, payments) and its
own CTEs. File readers,
table functions, settings and every statement other than SELECT are refused, so a custom
rule cannot read or write files or change the connection.
"""

import hashlib
import threading

import sqlglot
from django.db import transaction
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError

from jingshen.activity.services import record
from jingshen.orgs import scope
from jingshen.screening.engine import DuckDBEngine
from jingshen.screening.models import CustomRule
from jingshen.screening.rules import CATEGORIES, FORBIDDEN, LEVELS, REQUIRED_COLUMNS, SEVERITIES, Basis, Rule, RuleError

TABLES = {"lines", "vouchers", "accounts", "calendar", "orgs", "texts", "payments"}
DENIED_FUNCTIONS = {
    "read_csv", "read_csv_auto", "read_parquet", "read_json", "read_json_auto", "read_ndjson", "read_text",
    "read_blob", "glob", "query", "query_table", "getenv", "current_setting", "duckdb_settings", "parquet_scan",
    "sniff_csv", "read_xlsx", "iceberg_scan", "delta_scan", "postgres_scan", "sqlite_scan", "mysql_scan",
}
DRY_RUN_ROWS = 200
DRY_RUN_SECONDS = 20


def check_sql(sql: str) -> str:
    """The SQL if it is one safe query over the screening tables; ValueError (Chinese) if not."""
    if not sql.strip():
        raise ValueError("请填写规则的 SQL。")
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb", error_level=ErrorLevel.RAISE) if s is not None]
    except ParseError as exc:
        raise ValueError(f"SQL 语法错误：{exc.errors[0]['description'] if exc.errors else exc}") from None
    if len(statements) != 1:
        raise ValueError("只能写一条 SELECT 查询。")
    query = statements[0]
    if not isinstance(query, exp.Query):
        raise ValueError("只允许 SELECT 查询，不能修改数据、建表、导出文件或更改设置。")
    ctes = {cte.alias_or_name.lower() for cte in query.find_all(exp.CTE)}
    for table in query.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier) or table.args.get("db") or table.args.get("catalog"):
            raise ValueError("只能查询 lines、vouchers、accounts、calendar、orgs、texts、payments 七张表和本查询的 WITH 子句。")
        if table.name.lower() not in TABLES | ctes:
            raise ValueError(f"不能查询表「{table.name}」：只能查询 lines、vouchers、accounts、calendar、orgs、texts、payments。")
    for func in query.find_all(exp.Func):
        name = (func.name if isinstance(func, exp.Anonymous) else func.sql_name()).lower()
        if name in DENIED_FUNCTIONS or type(func).__name__.lower().startswith("read"):
            raise ValueError(f"不能使用函数 {name}：自定义规则不能读取文件或系统设置。")
    if FORBIDDEN.search(sql):
        raise ValueError("请不要用星期函数（dayofweek、strftime 等），请关联 calendar 表的 is_weekend、is_holiday。")
    try:
        sqlglot.transpile(sql, read="duckdb", write="spark", error_level=ErrorLevel.RAISE)
    except Exception as exc:  # noqa: BLE001 - any transpile failure means the rule cannot move to Spark
        raise ValueError(f"该 SQL 无法转换为 Spark SQL，不能用于全国规模筛查：{exc}") from None
    return sql


def as_rule(custom: CustomRule) -> Rule:
    """The custom rule as a pack rule (same engine, flags and scores)."""
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
    return weight


def dry_run(sql: str, dataset, explanation: str = "") -> dict:
    """Run the SQL on one dataset (at most DRY_RUN_ROWS rows, DRY_RUN_SECONDS seconds)."""
    check_sql(sql)
    engine = DuckDBEngine([dataset])
    timer = threading.Timer(DRY_RUN_SECONDS, engine.con.interrupt)
    timer.start()
    try:
        cursor = engine.execute(f"SELECT * FROM ({sql}) LIMIT {DRY_RUN_ROWS + 1}")
        columns = [c[0] for c in cursor.description]
        rows = cursor.fetchall()
    except Exception as exc:  # noqa: BLE001 - DuckDB's message is the useful answer here
        message = "超过 20 秒，已中止：请缩小查询范围。" if "interrupt" in str(exc).lower() else str(exc).split("\n")[0]
        raise ValueError(f"试运行出错：{message}") from None
    finally:
        timer.cancel()
        engine.close()
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    preview = ""
    if rows and explanation and not missing:
        try:
            probe = Rule(code="CU", name="", category="财务", level="line", severity="低", weight=0.5, description="",
                         explanation=explanation, sql=sql, version="")
            preview = probe.explain(dict(zip(columns, rows[0])))
        except (KeyError, IndexError, ValueError) as exc:
            preview = f"说明模板引用了查询结果中没有的列：{exc}"
    return {
        "columns": columns,
        "rows": rows[:DRY_RUN_ROWS],
        "more": len(rows) > DRY_RUN_ROWS,
        "missing": missing,
        "preview": preview,
    }


def save(user, custom: CustomRule | None, **fields) -> CustomRule:
    """Create or update a custom rule of the user's unit, or of ``custom``'s unit (the user must
    be allowed to configure it: scope.CONFIGURE)."""
    owner = custom.owner_org if custom is not None else user.org
    if owner is None or not scope.can(user, scope.CONFIGURE, owner):
        raise PermissionError("只有本单位的经审负责人或系统管理员可以编写自定义规则。")
    fields["weight"] = validate_meta(**{k: fields[k] for k in ("name", "category", "level", "severity", "weight", "explanation")})
    fields["sql"] = check_sql(fields["sql"])
    with transaction.atomic():
        if custom is None:
            count = CustomRule.objects.filter(owner_org=user.org).count()
            custom = CustomRule(owner_org=user.org, created_by=user, code=f"CU-{user.org.code}-{count + 1:03d}")
        for key, value in fields.items():
            setattr(custom, key, value)
        custom.save()
        record("screening.custom_rule", f"保存自定义规则 {custom.code} {custom.name}", actor=user, org=user.org, obj=custom)
    return custom


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
