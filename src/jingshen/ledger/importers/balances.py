"""Importing 科目余额 (opening balances, period totals, closing balances) per unit and year.

Balances are stored signed: debit positive, credit negative. Roll-forward differences
(opening + debits − credits ≠ closing) and differences from the unit's imported vouchers are
problems in the books: imported, and listed in the dataset's quality report.
"""

from pathlib import Path

from jingshen.ledger import store
from jingshen.ledger.importers.common import (
    ImportReport,
    ProgressFn,
    Staged,
    connect,
    file_sha256,
    load_charts,
    load_orgs,
    unknown_org_reason,
    no_progress,
    publish_all,
    raise_errors,
    scalar,
    sql_amount_clean,
    sql_amount_number,
    sql_amount_ok,
    sql_amount_precise,
    sql_amount_value,
    sql_int,
    sql_is_blank,
    sql_is_total,
    sql_text,
)
from jingshen.ledger.importers.source import open_source
from jingshen.ledger.models import Dataset, DatasetKind
from jingshen.orgs.models import Org
from jingshen.tabular import Field, RowError, TableError, with_mapping

BALANCE_FIELDS = [
    Field("单位编码", required=False, aliases=("单位代码", "组织编码")),
    Field("会计年度", required=False, aliases=("年度", "会计年", "年份")),
    Field("科目编码", aliases=("科目代码", "会计科目编码", "科目编号")),
    Field("科目名称", required=False, aliases=("会计科目名称", "科目全名")),
    Field("期初余额", required=False, aliases=("年初余额", "期初金额")),
    Field("余额方向", required=False, aliases=("期初方向", "方向", "借贷方向", "年初方向")),
    Field("期初借方", required=False, aliases=("期初借方余额", "年初借方余额", "期初余额借方")),
    Field("期初贷方", required=False, aliases=("期初贷方余额", "年初贷方余额", "期初余额贷方")),
    Field("本期借方", required=False, aliases=("借方发生额", "本年借方", "本年累计借方", "借方累计")),
    Field("本期贷方", required=False, aliases=("贷方发生额", "本年贷方", "本年累计贷方", "贷方累计")),
    Field("期末余额", required=False, aliases=("年末余额", "期末金额")),
    Field("期末方向", required=False, aliases=("期末余额方向", "年末方向")),
]
DIRECTIONS = "('借', '借方', '贷', '贷方', '平', '')"
CREDIT = "('贷', '贷方')"

DDL = """
CREATE TABLE lines (org VARCHAR, fiscal_year INTEGER, account_code VARCHAR, account_name VARCHAR,
    opening DECIMAL(18,2), period_debit DECIMAL(18,2), period_credit DECIMAL(18,2), closing DECIMAL(18,2),
    source_row BIGINT);
CREATE TABLE errors (row BIGINT, col VARCHAR, val VARCHAR, reason VARCHAR, org VARCHAR, fiscal_year INTEGER);
"""


def import_balances(
    path,
    *,
    org: Org | None = None,
    year: int | None = None,
    skip_bad_rows: bool = False,
    allowed_orgs: set[str] | None = None,
    mapping: dict[str, str] | None = None,
    actor=None,
    display: str | None = None,
    progress: ProgressFn = no_progress,
) -> ImportReport:
    path = Path(path)
    display = display or path.name
    source = open_source(path, with_mapping(BALANCE_FIELDS, mapping), display)
    cols = source.header.positions
    _check_columns(cols, org, year, source.header.row, display)
    report = ImportReport(file=display, kind_label="科目余额")
    with store.staging() as workdir:
        con = connect(workdir)
        con.execute(DDL).fetchall()
        org_codes = load_orgs(con, allowed_orgs)
        for batch in source.batches():
            con.register("batch", batch)
            _validate_batch(con, cols, org, year, allowed_orgs)
            con.unregister("batch")
        if source.invalid:
            source.locate_invalid()
            raise TableError(source.invalid_errors())
        if not scalar(con, "SELECT count(*) FROM lines") and not scalar(con, "SELECT count(*) FROM errors"):
            raise TableError([RowError(display, source.header.row, None, None, "只有表头，没有数据行。")])
        if not skip_bad_rows:
            raise_errors(con, display)
        progress(0.8, "检查数据质量")
        staged = _stage(con, workdir, org_codes)
        report.rows = sum(s.rows for s in staged)
        report.rejected = scalar(con, "SELECT count(DISTINCT row) FROM errors")
        con.close()
        publish_all(
            staged, kind=DatasetKind.BALANCES, display=display, source_hash=file_sha256(path), actor=actor,
            report=report, status_partial=skip_bad_rows,
        )
    progress(1.0, "完成")
    return report


def _check_columns(cols, org, year, header_row, display) -> None:
    errors = []
    if "单位编码" not in cols and org is None:
        errors.append(RowError(display, header_row, "单位编码", None, "缺少「单位编码」列：请在文件中增加该列，或导入时指定单位（页面上选择“单位”，命令行用 --org）。"))
    if "会计年度" not in cols and year is None:
        errors.append(RowError(display, header_row, "会计年度", None, "缺少「会计年度」列：请在文件中增加该列，或导入时指定年度（页面上填写“会计年度”，命令行用 --year）。"))
    if not ("期初余额" in cols or "期初借方" in cols or "期初贷方" in cols):
        errors.append(RowError(display, header_row, "期初余额", None, "缺少期初余额：需要「期初余额」和「余额方向」两列，或「期初借方」「期初贷方」两列。"))
    if errors:
        raise TableError(errors)


def _validate_batch(con, cols: dict, org: Org | None, year: int | None, allowed) -> None:
    def c(name):
        return f'"{name}"' if name in cols else None

    present = [f'"{n}"' for n in cols]
    org_expr = f"CASE WHEN {sql_text(c('单位编码'))} = '' THEN '{org.code if org else ''}' ELSE {sql_text(c('单位编码'))} END"
    orgs_in_batch = [r[0] for r in con.execute(f"SELECT DISTINCT {org_expr} FROM batch").fetchall()]
    load_charts(con, {o.code: o for o in Org.objects.filter(code__in=orgs_in_batch)}, orgs_in_batch)
    amounts = {"期初余额": "o", "期初借方": "od", "期初贷方": "oc", "本期借方": "pd", "本期贷方": "pc", "期末余额": "cl"}
    amount_cols = []
    checks = []
    for label, key in amounts.items():
        clean = sql_amount_clean(c(label) or "NULL")
        amount_cols.append(f"{sql_text(c(label))} AS {key}_raw, {clean} AS {key}_clean, {sql_amount_number(clean)} AS {key}_num")
        if c(label):
            checks += [
                (label, f"NOT {sql_amount_ok(f'{key}_clean', f'{key}_num')}", f"{key}_raw", "'金额无法识别。'"),
                (label, f"NOT {sql_amount_precise(f'{key}_num')}", f"{key}_raw", "'金额最多保留两位小数。'"),
            ]
    year_expr = f"coalesce({sql_int(c('会计年度')) if c('会计年度') else 'NULL'}, {int(year) if year else 'NULL'})"
    if "期初余额" in cols:
        opening = (f"CASE WHEN open_dir IN {CREDIT} THEN -{sql_amount_value('o_num')} "
                   f"WHEN open_dir = '平' THEN 0 ELSE {sql_amount_value('o_num')} END")
    else:
        opening = f"{sql_amount_value('od_num')} - {sql_amount_value('oc_num')}"
    closing = (f"CASE WHEN cl_clean = '' THEN NULL WHEN coalesce(nullif(close_dir, ''), open_dir) IN {CREDIT} "
               f"THEN -{sql_amount_value('cl_num')} ELSE {sql_amount_value('cl_num')} END")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE parsed AS
        WITH t AS MATERIALIZED (
            SELECT _row, {org_expr} AS org, {sql_text(c('会计年度'))} AS year_raw, {year_expr} AS fiscal_year,
                {sql_text(c('科目编码'))} AS account_code, {sql_text(c('科目名称'))} AS account_name,
                {sql_text(c('余额方向'))} AS open_dir, {sql_text(c('期末方向'))} AS close_dir,
                {", ".join(amount_cols)}
            FROM batch
            WHERE NOT {sql_is_blank(present)} AND NOT ({sql_text(c('科目编码'))} = '' AND {sql_is_total(present)})
        )
        SELECT t.*, {opening} AS opening, {sql_amount_value('pd_num')} AS period_debit,
            {sql_amount_value('pc_num')} AS period_credit, {closing} AS closing,
            o.code IS NOT NULL AS org_known, a.code IS NOT NULL AS account_known
        FROM t LEFT JOIN orgs o ON o.code = t.org LEFT JOIN chart a ON a.org = t.org AND a.code = t.account_code
        """
    ).fetchall()
    checks += [
        ("单位编码", "org = ''", "org", "'单位编码不能为空。'"),
        ("单位编码", "org <> '' AND NOT org_known", "org", unknown_org_reason(allowed)),
        ("会计年度", "fiscal_year IS NULL OR fiscal_year NOT BETWEEN 1990 AND 2100", "year_raw", "'会计年度应为四位年份。'"),
        ("科目编码", "account_code = ''", "account_code", "'科目编码不能为空。'"),
        ("科目编码", "account_code <> '' AND org_known AND NOT account_known", "account_code",
         "'科目编码不在单位 ' || org || ' 的科目表中（请先导入科目表）。'"),
        ("余额方向", f"open_dir NOT IN {DIRECTIONS}", "open_dir", "'余额方向应为“借”“贷”或“平”。'"),
        ("期末方向", f"close_dir NOT IN {DIRECTIONS}", "close_dir", "'期末方向应为“借”“贷”或“平”。'"),
    ]
    if org is not None and c("单位编码"):
        checks.append(("单位编码", f"org <> '{org.code}'", "org", f"'与指定的单位 {org.code} 不一致。'"))
    if year is not None and c("会计年度"):
        checks.append(("会计年度", f"year_raw <> '' AND fiscal_year <> {int(year)}", "year_raw", f"'与指定的会计年度 {int(year)} 不一致。'"))
    union = " UNION ALL ".join(
        f"SELECT _row, '{label}', {value}, {reason}, org, fiscal_year FROM parsed WHERE {cond}"
        for label, cond, value, reason in checks
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE batch_errors AS {union}").fetchall()
    con.execute("INSERT INTO errors SELECT * FROM batch_errors").fetchall()
    con.execute(
        """
        INSERT INTO lines SELECT org, fiscal_year, account_code, account_name, opening, period_debit, period_credit,
            closing, _row FROM parsed WHERE _row NOT IN (SELECT _row FROM batch_errors)
        """
    ).fetchall()


def _stage(con, workdir: Path, org_codes: dict[str, Org]) -> list[Staged]:
    keys = con.execute("SELECT org, fiscal_year, count(*) FROM lines GROUP BY 1, 2 ORDER BY 1, 2").fetchall()
    staged = []
    for org_code, year, rows in keys:
        org = org_codes[org_code]
        folder = workdir / f"ds-{org_code}-{year}"
        folder.mkdir()
        where = f"org = '{org_code}' AND fiscal_year = {int(year)}"
        con.execute(f"COPY (SELECT * FROM lines WHERE {where} ORDER BY account_code) TO '{folder / 'data.parquet'}' (FORMAT parquet)").fetchall()
        vouchers = Dataset.objects.filter(org=org, fiscal_year=year, kind=DatasetKind.VOUCHERS).order_by("-version").first()
        voucher_check = ""
        if vouchers:
            voucher_check = f"""
            UNION ALL
            SELECT 'voucher_mismatch', NULL, NULL, NULL, b.source_row,
                '科目 ' || b.account_code || ' 余额表本期发生额（借 ' || b.period_debit || '，贷 ' || b.period_credit
                || '）与凭证（第 {vouchers.version} 版）合计（借 ' || coalesce(v.d, 0) || '，贷 ' || coalesce(v.c, 0) || '）不一致。'
            FROM lines b LEFT JOIN (
                SELECT account_code, sum(debit) AS d, sum(credit) AS c
                FROM {store.scan(vouchers, 'summary')} GROUP BY 1
            ) v ON v.account_code = b.account_code
            JOIN chart a ON a.org = b.org AND a.code = b.account_code AND a.is_leaf
            WHERE b.org = '{org_code}' AND b.fiscal_year = {int(year)}
              AND (b.period_debit <> coalesce(v.d, 0) OR b.period_credit <> coalesce(v.c, 0))
            """
        con.execute(
            f"""
            COPY (
                SELECT 'roll_forward' AS issue, NULL::INTEGER AS period, NULL::VARCHAR AS voucher_type,
                    NULL::INTEGER AS voucher_no, source_row,
                    '科目 ' || account_code || ' 期初 ' || opening || ' + 借方 ' || period_debit || ' − 贷方 '
                    || period_credit || ' ≠ 期末 ' || closing || '（相差 ' || (opening + period_debit - period_credit - closing)
                    || ' 元）。' AS message
                FROM lines WHERE {where} AND closing IS NOT NULL AND opening + period_debit - period_credit <> closing
                {voucher_check}
                UNION ALL
                SELECT 'rejected_row', NULL, NULL, NULL, row,
                    '被拒绝的行（' || coalesce(col, '整行') || '）：' || reason || coalesce('（值“' || val || '”）', '')
                FROM errors WHERE {where}
            ) TO '{folder / 'quality.parquet'}' (FORMAT parquet)
            """
        ).fetchall()
        checksum = scalar(
            con,
            f"SELECT {store.CHECKSUM_SQL[DatasetKind.BALANCES]} FROM lines WHERE {where}",
        )
        quality = dict(con.execute(f"SELECT issue, count(*) FROM read_parquet('{folder / 'quality.parquet'}', hive_partitioning = false) GROUP BY 1").fetchall())
        staged.append(
            Staged(org=org, fiscal_year=int(year), folder=folder, rows=int(rows), checksum=str(checksum),
                   rejected=int(quality.get("rejected_row", 0)), quality={k: int(v) for k, v in quality.items()})
        )
    return staged
