"""Screening engines. A rule is SQL over these tables, the same in every engine:

    lines      voucher lines of the screened datasets (the columns of a voucher dataset, plus
               amount = debit − credit and abs_amount, and day_of_year from the date)
    accounts   org, code, name, role, is_leaf, category, direction: each unit's effective chart
    calendar   date, is_weekend, is_holiday, is_makeup_workday, is_workday, holiday_name
    orgs       org, name, level, kind, member_count, parent
    texts      summary, counterparty: each distinct pair of 摘要 and 往来单位 in ``lines`` (empty
               text for none). A keyword rule matches its patterns here, once per distinct text,
               and joins the hits back to ``lines``: ledgers repeat the same 摘要 and payees, so
               this is a small fraction of the lines (docs/benchmarks.md). Built on first use.

DuckDB (the embedded default) reads the datasets' Parquet files directly. A Spark engine
runs the same SQL transpiled by sqlglot (tests/screening checks that every rule transpiles).
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass

import duckdb

from jingshen.ledger import store
from jingshen.ledger.charts import chart_table
from jingshen.orgs.models import Org
from jingshen.screening.calendar import calendar_table
from jingshen.screening.rules import Rule

MEMORY_LIMIT = "1536MB"
# Tables derived from ``lines`` in SQL (so any engine can build them), each built the first time
# a rule of the run reads it.
DERIVED = {
    "texts": "SELECT DISTINCT coalesce(summary, '') AS summary, coalesce(counterparty, '') AS counterparty FROM lines",
}


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
        self.built: set[str] = set()
        self.con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'").fetchall()
        if threads:
            self.con.execute(f"SET threads = {int(threads)}").fetchall()
        self._prepare()

    def _prepare(self) -> None:
        con = self.con
        files = [str(store.parquet_path(d)) for d in self.datasets]
        if files:
            listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
            source = f"read_parquet([{listed}], hive_partitioning = false)"
        else:  # no data: an empty table of the right shape
            source = (
                "(SELECT NULL::VARCHAR AS org, NULL::INTEGER AS fiscal_year, NULL::INTEGER AS period, NULL::DATE AS date, "
                "NULL::VARCHAR AS voucher_type, NULL::INTEGER AS voucher_no, NULL::INTEGER AS line_no, NULL::VARCHAR AS summary, "
                "NULL::VARCHAR AS account_code, NULL::VARCHAR AS account_name, NULL::DECIMAL(18,2) AS debit, "
                "NULL::DECIMAL(18,2) AS credit, NULL::VARCHAR AS counterparty, NULL::VARCHAR AS settlement, "
                "NULL::VARCHAR AS preparer, NULL::VARCHAR AS reviewer, NULL::INTEGER AS attachments, "
                "NULL::VARCHAR AS invoice_no, NULL::BIGINT AS source_row WHERE false)"
            )
        con.execute(
            f"CREATE VIEW lines AS SELECT *, debit - credit AS amount, abs(debit - credit) AS abs_amount FROM {source}"
        ).fetchall()
        orgs = list(Org.objects.filter(pk__in={d.org_id for d in self.datasets}).select_related("parent"))
        con.register("accounts_arrow", chart_table(orgs))
        con.execute("CREATE TABLE accounts AS SELECT * FROM accounts_arrow").fetchall()
        years = {d.fiscal_year for d in self.datasets} or {2025}
        years |= {y - 1 for y in years} | {y + 1 for y in years}
        con.register("calendar_arrow", calendar_table(years))
        con.execute("CREATE TABLE calendar AS SELECT * FROM calendar_arrow").fetchall()
        import pyarrow as pa

        con.register(
            "orgs_arrow",
            pa.table({
                "org": [o.code for o in orgs],
                "name": [o.name for o in orgs],
                "level": [o.level for o in orgs],
                "kind": [o.kind for o in orgs],
                "member_count": pa.array([o.member_count for o in orgs], pa.int64()),
                "parent": [o.parent.code if o.parent else None for o in orgs],
            }),
        )
        con.execute("CREATE TABLE orgs AS SELECT * FROM orgs_arrow").fetchall()

    def execute(self, sql: str) -> duckdb.DuckDBPyConnection:
        """Run a query over the screening tables, first building the derived ones it reads."""
        for name, query in DERIVED.items():
            if name not in self.built and re.search(rf"\b{name}\b", sql):
                self.con.execute(f"CREATE TABLE {name} AS {query}").fetchall()
                self.built.add(name)
        return self.con.execute(sql)

    def run_one(self, rule: Rule, values: dict | None = None) -> RuleResult:
        cursor = self.execute(rule.render(values))
        columns = [c[0] for c in cursor.description]
        return RuleResult(rule, columns, cursor.fetchall())

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


ENGINES = {"duckdb": DuckDBEngine}
