"""What every ledger importer shares: value parsing in SQL, the error table, publishing
validated rows as dataset versions.

Parsing and validation are set-based (DuckDB over Arrow batches), never a Python loop per
journal line. Work happens in a DuckDB file inside the staging folder, so a file larger than
memory is processed in bounded memory (DuckDB spills to disk).
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
from django.db import transaction

from jingshen.activity.services import record, record_many
from jingshen.ledger import store
from jingshen.ledger.charts import chart_table
from jingshen.ledger.models import Dataset, DatasetStatus
from jingshen.orgs.models import Org
from jingshen.tabular import MAX_ERRORS_SHOWN, TOTAL_WORDS, RowError, TableError

# The validated lines beyond this spill to the staging folder; with the Arrow groups in flight
# (source.GROUP_ROWS) a 1 M-line import does not spill and a 4 M-line one stays near 1 GB of RSS
# (docs/benchmarks.md).
MEMORY_LIMIT = "384MB"

# --- SQL building blocks (DuckDB dialect) ---------------------------------------------------------


def sql_text(col: str | None) -> str:
    return f"trim(coalesce({col}, ''))" if col else "''"


def sql_amount_clean(col: str) -> str:
    """'1,234.50' / '¥1234.5' / ' 12 ' -> '1234.50'-like text (separators and symbols removed).
    Plain replace() rather than a regex: this runs on every journal line."""
    text = f"trim(coalesce({col}, ''))"
    for ch in (",", "，", "¥", "￥", " "):
        text = f"replace({text}, '{ch}', '')"
    return text


def sql_amount_number(clean: str) -> str:
    """The cleaned amount as an exact decimal (NULL when it is no number; 1.5E+05 from Excel is one)."""
    return f"TRY_CAST({clean} AS DECIMAL(38,10))"


def sql_amount_ok(clean: str, number: str) -> str:
    return f"({clean} = '' OR {number} IS NOT NULL)"


def sql_amount_precise(number: str) -> str:
    """At most two decimals (trailing zeros beyond them are fine: 12.500)."""
    return f"({number} IS NULL OR {number} = TRY_CAST({number} AS DECIMAL(18,2)))"


def sql_amount_value(number: str) -> str:
    return f"coalesce(TRY_CAST({number} AS DECIMAL(18,2)), 0::DECIMAL(18,2))"


DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日", "%Y.%m.%d", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S"]


def sql_date(col: str) -> str:
    """A date written any common way, or an Excel serial number (days since 1899-12-30).
    ISO dates take the fast cast; only other spellings reach strptime."""
    fmts = ", ".join(f"'{f}'" for f in DATE_FORMATS)
    t = sql_text(col)
    return (
        f"CASE WHEN TRY_CAST({t} AS DATE) IS NOT NULL AND length({t}) = 10 THEN TRY_CAST({t} AS DATE) "
        f"WHEN regexp_full_match({t}, '[0-9]{{5}}(\\.0+)?') "
        f"THEN DATE '1899-12-30' + CAST(CAST({t} AS DOUBLE) AS INTEGER) "
        f"ELSE CAST(try_strptime({t}, [{fmts}]) AS DATE) END"
    )


def sql_int(col: str) -> str:
    t = sql_text(col)
    return f"coalesce(TRY_CAST({t} AS INTEGER), TRY_CAST(regexp_replace({t}, '\\.0+$', '') AS INTEGER))"


TOTALS_SQL = "(" + ", ".join(f"'{w}'" for w in sorted(TOTAL_WORDS)) + ")"


def sql_is_total(cols: list[str]) -> str:
    return "(" + " OR ".join(f"replace({sql_text(c)}, ' ', '') IN {TOTALS_SQL}" for c in cols) + ")"


def sql_is_blank(cols: list[str]) -> str:
    return "(" + " AND ".join(f"{sql_text(c)} = ''" for c in cols) + ")"


def connect(workdir: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()  # in memory, spilling to the staging folder beyond memory_limit
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute(f"SET temp_directory = '{workdir / 'spill'}'")
    return con


def scalar(con, sql: str, params=None):
    """The single value of a one-row query (fetchall: DuckDB 2 keeps a half-read result open)."""
    return con.execute(sql, params).fetchall()[0][0]


def load_orgs(con, allowed: set[str] | None = None) -> dict[str, Org]:
    """The units rows may belong to, as table ``orgs``: every unit, or only ``allowed`` (the
    importing user's scope); a row of any other unit is a format error."""
    orgs = {o.code: o for o in Org.objects.all() if allowed is None or o.code in allowed}
    con.register("orgs_arrow", pa.table({"code": pa.array(list(orgs), pa.string())}))
    con.execute("CREATE OR REPLACE TEMP TABLE orgs AS SELECT * FROM orgs_arrow").fetchall()
    return orgs


def unknown_org_reason(allowed: set[str] | None) -> str:
    if allowed is None:
        return "'单位编码在系统中不存在，请先导入单位。'"
    return "'单位编码不存在，或不在您的导入权限范围内。'"


def load_charts(con, org_codes: dict[str, Org], wanted: list[str]) -> None:
    missing = [c for c in wanted if c in org_codes]
    """Add the effective charts of the wanted units (not loaded yet) to table ``chart``."""
    con.execute(
        "CREATE TEMP TABLE IF NOT EXISTS chart (org VARCHAR, code VARCHAR, name VARCHAR, is_leaf BOOLEAN, "
        "role VARCHAR, category VARCHAR, direction VARCHAR)"
    ).fetchall()
    have = {r[0] for r in con.execute("SELECT DISTINCT org FROM chart").fetchall()}
    todo = [org_codes[c] for c in missing if c not in have]
    if todo:
        con.register("chart_arrow", chart_table(todo))
        con.execute("INSERT INTO chart SELECT org, code, name, is_leaf, role, category, direction FROM chart_arrow").fetchall()
        con.unregister("chart_arrow")


# --- results ---------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    file: str
    kind_label: str
    rows: int = 0
    rejected: int = 0
    created: list[Dataset] = field(default_factory=list)
    unchanged: list[Dataset] = field(default_factory=list)
    rejected_errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    deleted_vouchers: int = 0  # vouchers the finance program marks deleted (not imported)
    deleted_lines: int = 0
    # a merge import: the stored vouchers the file replaced, (unit, year, period, 凭证字, 凭证号)
    replaced: list[tuple] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"文件「{self.file}」共 {self.rows:,} 行{self.kind_label}"]
        if self.created:
            shown = "、".join(f"{d.org.code} {d.fiscal_year} 年第 {d.version} 版" for d in self.created[:5])
            more = f"等 {len(self.created)} 个" if len(self.created) > 5 else ""
            parts.append(f"新建数据集 {shown}{more}")
        if self.unchanged:
            parts.append(f"{len(self.unchanged)} 个数据集与已有版本相同，未重复导入")
        merged = [d for d in self.created if d.merged_from_id]
        if merged:
            parts.append(f"其中 {len(merged)} 个在已有版本基础上合并")
        if self.replaced:
            shown = "、".join(f"{t}-{n}（{o} {y} 年第 {p} 期）" for o, y, p, t, n in self.replaced[:5])
            more = f"等 {len(self.replaced):,} 张" if len(self.replaced) > 5 else ""
            parts.append(f"替换了已有的同号凭证 {shown}{more}")
        if self.rejected:
            parts.append(f"{self.rejected:,} 行被拒绝（详见数据质量报告）")
        if self.deleted_vouchers:
            parts.append(f"已删除（作废）的凭证 {self.deleted_vouchers:,} 张（{self.deleted_lines:,} 行）未导入，已列入数据质量报告")
        parts += self.warnings
        issues = sum(d.quality_issues for d in self.created)
        if issues:
            parts.append(f"发现 {issues:,} 个数据质量问题（账簿本身的问题，已导入并列入报告）")
        return "；".join(parts) + "。"


def raise_errors(con, display: str) -> None:
    """Refuse the file if the error table has rows: first MAX_ERRORS_SHOWN by row, and the total."""
    total = scalar(con, "SELECT count(*) FROM errors")
    if not total:
        return
    rows = con.execute(f"SELECT row, col, val, reason FROM errors ORDER BY row, col LIMIT {MAX_ERRORS_SHOWN}").fetchall()
    raise TableError([RowError(display, r, c, v, reason) for r, c, v, reason in rows], total=total)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class Staged:
    """One validated dataset in the staging folder, ready to publish."""

    org: object
    fiscal_year: int
    folder: Path
    rows: int
    checksum: str
    rejected: int
    quality: dict[str, int]
    periods: frozenset[int] = frozenset()  # vouchers: the periods the new version holds
    merged_from: Dataset | None = None  # a merge import: the version this one adds the file to
    replaced: int = 0  # … and how many of its vouchers the file replaced


class StaleBase(Exception):
    """A merge import's base version is no longer the latest: another import published the same
    unit-year meanwhile, so the merge is redone on the new version (nothing was written)."""


def _status(s: Staged, status_partial: bool) -> str:
    return DatasetStatus.PARTIAL if status_partial and s.rejected else DatasetStatus.READY


def publish_all(staged: list[Staged], *, kind: str, display: str, source_hash: str, actor, report: ImportReport,
                status_partial: bool) -> None:
    """Register new versions in one transaction, moving their folders (one per dataset: balances)
    into place inside it. A dataset whose content equals its latest version is not published again."""
    with store.publish_lock(), transaction.atomic():
        for s in staged:
            latest = (
                Dataset.objects.filter(org=s.org, fiscal_year=s.fiscal_year, kind=kind).order_by("-version").first()
            )
            status = _status(s, status_partial)
            if latest and latest.checksum == s.checksum and latest.status == status:
                report.unchanged.append(latest)
                continue
            version = (latest.version + 1) if latest else 1
            rel = store.relative_path(kind, s.fiscal_year, s.org.code, version)
            store.publish(s.folder, rel, registered=False)
            store.checkpoint("after-rename")
            dataset = Dataset.objects.create(**_dataset_fields(s, kind, version, status, rel, display, source_hash, actor))
            report.created.append(dataset)
            record("ledger.import", f"导入{dataset}：{s.rows:,} 行，来源「{display}」", actor=actor, org=s.org, obj=dataset)
        store.checkpoint("before-commit")


def _dataset_fields(s: Staged, kind: str, version: int, status: str, rel: str, display: str, source_hash: str, actor) -> dict:
    return dict(
        org=s.org,
        fiscal_year=s.fiscal_year,
        kind=kind,
        version=version,
        status=status,
        rows=s.rows,
        checksum=s.checksum,
        path=rel,
        source_name=display,
        source_hash=source_hash,
        rejected_rows=s.rejected,
        quality=s.quality,
        quality_issues=sum(v for k, v in s.quality.items() if k != "rejected_row"),
        imported_by=actor if getattr(actor, "is_authenticated", False) else None,
        merged_from=s.merged_from,
        replaced_vouchers=s.replaced,
    )


def latest_versions(kind: str, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], Dataset]:
    """The latest version of each unit-year (unit id, year) of ``wanted``, in one query."""
    latest: dict[tuple[int, int], Dataset] = {}
    datasets = Dataset.objects.filter(kind=kind, fiscal_year__in={y for _, y in wanted}, org__in={o for o, _ in wanted})
    for d in datasets.select_related("org").order_by("version"):
        latest[(d.org_id, d.fiscal_year)] = d
    return latest


def new_contents(staged: list[Staged], *, kind: str, report: ImportReport, status_partial: bool) -> list[Staged]:
    """The staged datasets whose content differs from their latest version, to be written into a
    pack; the others go to ``report.unchanged``, and a new version that holds fewer periods or far
    fewer lines than the one it replaces adds a warning. (Compared before the pack is written,
    outside the publishing lock: an import that publishes the same unit meanwhile is as if it had
    come after this one or before it.)"""
    latest = latest_versions(kind, {(s.org.pk, s.fiscal_year) for s in staged})
    new = []
    for s in staged:
        old = latest.get((s.org.pk, s.fiscal_year))
        if old and old.checksum == s.checksum and old.status == _status(s, status_partial):
            report.unchanged.append(old)
        else:
            new.append(s)
    report.warnings += _shrinking([(latest[(s.org.pk, s.fiscal_year)], s) for s in new if (s.org.pk, s.fiscal_year) in latest])
    return new


def publish_pack(pack: Path, staged: list[Staged], *, kind: str, display: str, source_hash: str, actor,
                 report: ImportReport, status_partial: bool, merged: bool = False) -> None:
    """Move the staged ``pack`` folder into place and register its datasets (``staged``: exactly
    the unit-years it holds, from ``new_contents``) as new versions, in one transaction: one
    rename, the Dataset rows and their activity-log entries written together. ``merged``: the
    datasets add the file to their ``merged_from`` versions, which must still be the latest
    (``StaleBase`` otherwise, before anything is written)."""
    with store.publish_lock(), transaction.atomic():
        latest = latest_versions(kind, {(s.org.pk, s.fiscal_year) for s in staged})
        if merged and any(latest.get((s.org.pk, s.fiscal_year)) != s.merged_from for s in staged):
            raise StaleBase
        referenced = set(Dataset.objects.filter(kind=kind, path__contains=store.PACK).values_list("path", flat=True).distinct())
        store.remove_leftover_packs(kind, referenced)
        rel = store.pack_path(kind)
        store.publish(pack, rel, registered=False)
        store.checkpoint("after-rename")
        created = Dataset.objects.bulk_create([
            Dataset(**_dataset_fields(s, kind, latest[(s.org.pk, s.fiscal_year)].version + 1 if (s.org.pk, s.fiscal_year) in latest else 1,
                                      _status(s, status_partial), rel, display, source_hash, actor))
            for s in staged
        ])
        report.created += created
        record_many([dict(action="ledger.import", summary=_import_summary(d, display), actor=actor, org=d.org, obj=d,
                          **({"merged_from": d.merged_from_id, "replaced_vouchers": d.replaced_vouchers} if merged else {}))
                     for d in created])
        store.checkpoint("before-commit")


def _import_summary(d: Dataset, display: str) -> str:
    if d.merged_from is None:
        return f"导入{d}：{d.rows:,} 行，来源「{display}」"
    replaced = f"，替换同号凭证 {d.replaced_vouchers:,} 张" if d.replaced_vouchers else ""
    return f"合并导入{d}：在第 {d.merged_from.version} 版基础上加入「{display}」{replaced}，共 {d.rows:,} 行"


def _shrinking(pairs: list[tuple[Dataset, Staged]]) -> list[str]:
    """Warnings for new versions that hold fewer periods or far fewer lines than the ones they
    replace: each version is the unit's whole year, so a one-month file would hide the rest. The
    old versions' periods are read once per file (their pack's summary)."""
    old_periods: dict[tuple[str, int], set[int]] = {}
    by_file: dict[str, set[tuple[str, int]]] = {}
    for latest, _ in pairs:
        by_file.setdefault(str(store.parquet_path(latest, "summary")), set()).add((latest.org.code, latest.fiscal_year))
    with duckdb.connect() as con:  # never the module-level default connection: imports run beside the server
        for file, wanted in by_file.items():
            rows = con.execute(f"SELECT org, fiscal_year, list(DISTINCT period) FROM read_parquet({store.sql_literal(file)}, "
                               "hive_partitioning = false) GROUP BY ALL").fetchall()
            old_periods |= {(o, y): set(p) for o, y, p in rows if (o, y) in wanted}
    warnings = []
    for latest, new in pairs:
        missing = sorted(old_periods.get((latest.org.code, latest.fiscal_year), set()) - new.periods)
        if missing or new.rows < latest.rows // 2:
            what = f"缺少第 {'、'.join(map(str, missing))} 期" if missing else f"只有 {new.rows:,} 行（上一版 {latest.rows:,} 行）"
            warnings.append(f"注意：{new.org.code} {new.fiscal_year} 年的新版本{what}；每个版本代表全年数据，查账和筛查将使用新版本，"
                            f"如需恢复请重新导入完整的全年文件")
    return warnings


ProgressFn = Callable[[float, str], None]


def no_progress(fraction: float, stage: str) -> None:
    return None
