"""Importing vouchers (凭证, one row per 分录) from the standard template, a 用友/金蝶 export,
金蝶's voucher exchange layout (凭证引入/引出: FDATE, FNUM, FDC … as DBF, XLS, XLSX or CSV) or
用友's XML voucher interchange (ufinterface). Every layout is recognised the same way: its
column (or XML element) names are aliases of VOUCHER_FIELDS. What a layout means by its values
follows from the header it was recognised by: FDC is 0 = debit / 1 = credit, FENTRYID counts
from 0. Vouchers the finance program marks deleted (FDELETED, revokeflag) are not imported
and are listed in the quality report.

Format errors (the file cannot be read as the books) refuse the whole file by default, every
one listed with file, row, column, value and reason. Problems in the books themselves
(unbalanced vouchers, number gaps, dates outside their period, postings to non-leaf
accounts) are audit evidence: the data is imported and they go to the quality report.
"""

import shutil
from pathlib import Path

import pyarrow.compute as pc

from jingshen.ledger import store
from jingshen.ledger.importers.common import (
    ImportReport,
    ProgressFn,
    Staged,
    StaleBase,
    connect,
    file_sha256,
    latest_versions,
    load_charts,
    load_orgs,
    new_contents,
    unknown_org_reason,
    no_progress,
    publish_pack,
    raise_errors,
    scalar,
    sql_amount_clean,
    sql_amount_number,
    sql_amount_ok,
    sql_amount_precise,
    sql_amount_value,
    sql_date,
    sql_int,
    sql_is_blank,
    sql_is_total,
    sql_text,
)
from jingshen.ledger.importers.source import in_groups, open_source, prefetch
from jingshen.ledger.models import Dataset, DatasetKind
from jingshen.orgs.models import Org
from jingshen.tabular import Field, RowError, TableError, normalize_header, with_mapping

# Aliases: Chinese headers of 用友/金蝶 list exports; 金蝶's voucher exchange field names
# (FDATE …, upper or lower case); 用友 ufinterface element names (voucher_id …). The amounts
# of a ufinterface entry are its natural_* (本币) ones; primary_* are the original currency.
# 金蝶's FCYID/FEXCHRATE/FFCYAMT (currency), FTRANSDATE (business date), FCASH, FPOSTER, FPOSTED
# and 用友's company (the 账套, one unit: --org) are read past.
VOUCHER_FIELDS = [
    Field("单位编码", required=False, aliases=("单位代码", "组织编码", "核算单位编码")),
    Field("会计年度", required=False, aliases=("年度", "会计年", "年份", "fiscal_year")),
    Field("会计期间", required=False, aliases=("期间", "会计月份", "月份", "月", "FPERIOD", "accounting_period")),
    Field("凭证日期", aliases=("日期", "制单日期", "记账日期", "业务日期", "FDATE", "date")),
    Field("凭证字", required=False, aliases=("凭证类别字", "凭证类别", "凭证类型", "类别字", "FGROUP", "voucher_type")),
    Field("凭证号", aliases=("凭证编号", "凭证号码", "FNUM", "voucher_id")),
    Field("分录号", required=False, aliases=("行号", "分录序号", "分录行号", "FENTRYID", "entry_id")),
    Field("摘要", required=False, aliases=("摘要说明", "凭证摘要", "FEXP", "abstract")),
    Field("科目编码", aliases=("科目代码", "会计科目编码", "科目编号", "FACCTID", "account_code")),
    Field("科目名称", required=False, aliases=("会计科目名称", "科目全名")),
    Field("借方金额", required=False, aliases=("借方", "借方发生额", "借方本币", "借方金额(本币)", "FDEBIT", "natural_debit_currency")),
    Field("贷方金额", required=False, aliases=("贷方", "贷方发生额", "贷方本币", "贷方金额(本币)", "FCREDIT", "natural_credit_currency")),
    Field("金额", required=False, aliases=("发生额", "本币金额")),
    Field("借贷方向", required=False, aliases=("方向", "借贷", "借/贷", "FDC")),
    Field("往来单位", required=False, aliases=("对方单位", "往来单位名称", "收款单位", "付款单位", "对方户名")),
    Field("结算方式", required=False, aliases=("结算方式名称", "FSETTLCODE", "settlement")),
    Field("制单人", required=False, aliases=("制单", "制单人员", "录入人", "FPREPARE", "enter")),
    Field("审核人", required=False, aliases=("审核", "审核人员", "复核人", "FCHECKER", "checker")),
    Field("附件数", required=False, aliases=("附单据数", "附件张数", "单据数", "附件", "FATTCHMENT", "attachment_number")),
    Field("票据号", required=False, aliases=("发票号", "发票号码", "票据号码", "结算号", "FSETTLENO", "document_id")),
    Field("删除标记", required=False, aliases=("删除标志", "作废标志", "是否作废", "FDELETED", "revokeflag")),
    # 辅助核算 (金蝶 FCLSNAME1/FOBJID1/FOBJNAME1, 2, …; 用友 auxiliary_accounting items): an item
    # whose class is a customer or supplier is the line's 往来单位 when it has no 往来单位 column.
    Field("核算类别", required=False, aliases=("辅助核算类别", "核算项目类别", "FCLSNAME"), numbered=True),
    Field("核算项目代码", required=False, aliases=("核算项目编码", "FOBJID"), numbered=True),
    Field("核算项目名称", required=False, aliases=("核算项目", "FOBJNAME"), numbered=True),
]
DEBIT_WORDS = ("借", "借方", "D", "Dr", "DR", "d")
CREDIT_WORDS = ("贷", "贷方", "C", "Cr", "CR", "c")
# Columns whose values are codes, recognised by the header they came with (normalize_header):
# 金蝶's FDC is 0 = debit, 1 = credit, beside both amount columns, and must agree with them.
CODED_DIRECTIONS = {"fdc": (("0",), ("1",), "借贷方向应为 0（借）或 1（贷）。")}
ZERO_BASED_LINES = {"fentryid"}  # 金蝶 counts the lines of a voucher from 0
DELETED_WORDS = ("1", "T", "Y", "TRUE", ".T.", "是", "删除", "已删除", "作废", "已作废")
KEPT_WORDS = ("", "0", "F", "N", "FALSE", ".F.", "否", "正常")
PARTY_CLASSES = ("客户", "供应商", "往来单位", "cust", "customer", "supplier", "vendor")

LINES_DDL = """
CREATE TABLE all_lines (
    org VARCHAR, fiscal_year INTEGER, period INTEGER, date DATE, voucher_type VARCHAR,
    voucher_no INTEGER, line_no INTEGER, summary VARCHAR, account_code VARCHAR, account_name VARCHAR,
    debit DECIMAL(18,2), credit DECIMAL(18,2), counterparty VARCHAR, settlement VARCHAR,
    preparer VARCHAR, reviewer VARCHAR, attachments INTEGER, invoice_no VARCHAR, source_row BIGINT, bad BOOLEAN
);
CREATE VIEW lines AS SELECT * EXCLUDE (bad) FROM all_lines WHERE NOT bad;
CREATE TABLE errors (row BIGINT, col VARCHAR, val VARCHAR, reason VARCHAR, org VARCHAR, fiscal_year INTEGER);
CREATE TABLE deleted_lines (org VARCHAR, fiscal_year INTEGER, period INTEGER, voucher_type VARCHAR, voucher_no INTEGER,
                            source_row BIGINT);
"""

# The columns of a voucher dataset, in order (data.parquet).
DATA_COLUMNS = (
    "org, fiscal_year, period, date, voucher_type, voucher_no, {line_no} AS line_no, summary, account_code, "
    "account_name, debit, credit, counterparty, settlement, preparer, reviewer, attachments, invoice_no, source_row"
)
# The files screening reads beside a pack's data.parquet, each computed once here from it
# (``{data}``): what they hold does not depend on the chart, which may change after import.
# vouchers.parquet has one row per voucher, so that rules read 4 M vouchers instead of grouping
# 10 M lines each time; texts.parquet each distinct pair of 摘要 and 往来单位 of each unit-year,
# from which a run builds its ``texts`` table without reading every line (docs/benchmarks.md).
# Changing their columns needs a migration that rewrites every pack's files, as ledger.0005
# wrote them: the engine reads each kind of file of all the packs as one table.
SCREENING_FILES = {
    "vouchers": """
SELECT org, fiscal_year, period, voucher_type, voucher_no,
       min(date) AS date, max(date) AS last_date, count(*) AS lines, min(line_no) AS first_line,
       sum(debit)::DECIMAL(18,2) AS debit, sum(credit)::DECIMAL(18,2) AS credit,
       arg_min(coalesce(summary, ''), line_no) AS summary,
       max(coalesce(preparer, '')) AS preparer, max(coalesce(reviewer, '')) AS reviewer,
       max(coalesce(attachments, 0)) AS attachments
FROM read_parquet('{data}', hive_partitioning = false)
GROUP BY org, fiscal_year, period, voucher_type, voucher_no
ORDER BY fiscal_year, org, period, voucher_type, voucher_no
""",
    "texts": """
SELECT DISTINCT org, fiscal_year, coalesce(summary, '') AS summary, coalesce(counterparty, '') AS counterparty
FROM read_parquet('{data}', hive_partitioning = false)
ORDER BY fiscal_year, org
""",
}
MERGE_ATTEMPTS = 5  # a merge redone because the version it adds to was replaced meanwhile

# Files without 分录号 number the lines of each voucher in file order.
LINE_NO_FROM_ORDER = (
    "row_number() OVER (PARTITION BY org, fiscal_year, period, voucher_type, voucher_no ORDER BY source_row)::INTEGER"
)


def import_vouchers(
    path,
    *,
    org: Org | None = None,
    year: int | None = None,
    skip_bad_rows: bool = False,
    allowed_orgs: set[str] | None = None,
    mapping: dict[str, str] | None = None,
    create_accounts: bool = False,
    actor=None,
    display: str | None = None,
    progress: ProgressFn = no_progress,
    folder_org: Org | None = None,
    merge: bool = False,
) -> ImportReport:
    """Import a voucher file. ``folder_org``: the unit of the folder the file was handed over
    in (one 账套 is one unit), used when neither ``org`` nor a 单位编码 column says it.

    By default each unit-year of the file is a whole new version. ``merge``: the file adds to
    the latest version instead (a pushed batch, a month dropped in a watched folder): the new
    version holds the latest version's vouchers plus the file's, a voucher of the file with the
    key of a stored one (period, 凭证字, 凭证号) replacing it; ``report.replaced`` lists them."""
    path = Path(path)
    display = display or path.name
    source = open_source(path, with_mapping(VOUCHER_FIELDS, mapping), display)
    cols = source.header.positions
    by_folder = org is None and folder_org is not None and "单位编码" not in cols
    if by_folder:
        org = folder_org
    _check_columns(cols, org, source.header.row, display)
    report = ImportReport(file=display, kind_label="凭证分录")
    if by_folder:
        report.warnings.append(f"文件中没有单位编码，按所在文件夹「{folder_org.code}」导入为{folder_org.name}的凭证")
    source_hash = file_sha256(path)

    with store.staging() as workdir:
        for _attempt in range(2):  # a second pass only when rows with a wrong cell count were found
            con = connect(workdir)
            con.execute("DROP VIEW IF EXISTS lines; DROP TABLE IF EXISTS all_lines; DROP TABLE IF EXISTS errors; "
                        "DROP TABLE IF EXISTS deleted_lines;" + LINES_DDL)
            org_codes = load_orgs(con, allowed_orgs)
            total = source.estimated_rows
            for batch in prefetch(in_groups(source.batches()), depth=1):
                con.register("batch", batch)
                _validate_batch(con, batch, source.header.columns, org, year, create_accounts, allowed_orgs)
                con.unregister("batch")
                report.rows = scalar(con, "SELECT count(*) FROM lines")
                progress(min(0.9, (report.rows + _error_rows(con)) / total * 0.9), "校验")
            if source.invalid and source.invalid_rows is None:
                source.locate_invalid()
                con.close()
                continue
            break
        for err in source.invalid_errors():
            con.execute("INSERT INTO errors VALUES (?, NULL, NULL, ?, NULL, NULL)", [err.row, err.reason])
        if scalar(con, "SELECT count(*) FROM lines") == 0 and not _error_rows(con):
            raise TableError([RowError(display, source.header.row, None, None, "只有表头，没有数据行。")])
        if not skip_bad_rows:
            raise_errors(con, display)
        if create_accounts:
            _create_missing_accounts(con, org_codes, display, actor)
        progress(0.92, "检查数据质量")
        line_no = "line_no" if "分录号" in cols else LINE_NO_FROM_ORDER
        if merge:  # the stored lines keep their numbers; the file's are numbered in file order
            line_no = f"coalesce(line_no, {LINE_NO_FROM_ORDER})" if line_no != "line_no" else line_no
        report.rejected = _error_rows(con)
        report.deleted_vouchers, report.deleted_lines = con.execute(
            "SELECT count(*), coalesce(sum(n), 0) FROM (SELECT org, fiscal_year, period, voucher_type, voucher_no, count(*) AS n "
            "FROM deleted_lines GROUP BY ALL)"
        ).fetchall()[0]
        if skip_bad_rows and report.rejected:
            rows = con.execute("SELECT row, col, val, reason FROM errors ORDER BY row LIMIT 200").fetchall()
            report.rejected_errors = [RowError(display, r, c, v, why) for r, c, v, why in rows]
        warnings = list(report.warnings)
        for attempt in range(MERGE_ATTEMPTS if merge else 1):
            report.warnings, report.unchanged = list(warnings), []
            based_on = _carry_latest(con, org_codes, report) if merge else {}
            staged = _facts(con, workdir / "pack", org_codes, line_no)
            in_file = len(staged)
            report.rows = sum(s.rows for s in staged)
            for s in staged:
                s.merged_from, s.replaced = based_on.get((s.org.code, s.fiscal_year), (None, 0))
            staged = new_contents(staged, kind=DatasetKind.VOUCHERS, report=report, status_partial=skip_bad_rows)
            if not staged:
                break
            progress(0.95, "保存")
            _write_pack(con, workdir / "pack", staged, whole=len(staged) == in_file)
            try:
                publish_pack(workdir / "pack", staged, kind=DatasetKind.VOUCHERS, display=display, source_hash=source_hash,
                             actor=actor, report=report, status_partial=skip_bad_rows, merged=merge)
                break
            except StaleBase:  # another import published one of these unit-years meanwhile: merge again
                shutil.rmtree(workdir / "pack")
                if attempt == MERGE_ATTEMPTS - 1:
                    raise RuntimeError("merge import: the base version kept changing") from None
        con.close()
    progress(1.0, "完成")
    return report


def _carry_latest(con, org_codes: dict[str, Org], report: ImportReport) -> dict[tuple[str, int], tuple[Dataset, int]]:
    """A merge import: bring the lines of the latest version of each unit-year of the file into
    ``lines`` (table ``carried``), leaving out the vouchers the file replaces, and list those in
    ``report.replaced``. Returns (unit code, year) → (the version merged into, vouchers replaced)."""
    keys = con.execute("SELECT DISTINCT org, fiscal_year FROM all_lines WHERE NOT bad").fetchall()
    latest = latest_versions(DatasetKind.VOUCHERS, {(org_codes[o].pk, int(y)) for o, y in keys})
    con.execute("CREATE OR REPLACE TABLE new_keys AS SELECT DISTINCT org, fiscal_year, period, voucher_type, voucher_no "
                "FROM all_lines WHERE NOT bad").fetchall()
    con.execute("CREATE OR REPLACE TABLE carried AS SELECT * EXCLUDE (bad) FROM all_lines LIMIT 0").fetchall()
    report.replaced = []
    if latest:
        stored = store.scan_many(latest.values())
        con.execute(f"INSERT INTO carried BY NAME SELECT p.* EXCLUDE (ds) FROM {stored} p "
                    "ANTI JOIN new_keys n USING (org, fiscal_year, period, voucher_type, voucher_no)").fetchall()
        report.replaced = con.execute(
            f"SELECT DISTINCT org, fiscal_year, period, voucher_type, voucher_no FROM {stored} p "
            "SEMI JOIN new_keys n USING (org, fiscal_year, period, voucher_type, voucher_no) ORDER BY ALL"
        ).fetchall()
    con.execute("CREATE OR REPLACE VIEW lines AS SELECT * EXCLUDE (bad) FROM all_lines WHERE NOT bad "
                "UNION ALL BY NAME SELECT * FROM carried").fetchall()
    replaced: dict[tuple[str, int], int] = {}
    for org_code, year, *_ in report.replaced:
        replaced[(org_code, year)] = replaced.get((org_code, year), 0) + 1
    return {(d.org.code, d.fiscal_year): (d, replaced.get((d.org.code, d.fiscal_year), 0)) for d in latest.values()}


def _check_columns(cols: dict, org: Org | None, header_row: int, display: str) -> None:
    errors = []
    if "单位编码" not in cols and org is None:
        errors.append(RowError(display, header_row, "单位编码", None, "缺少「单位编码」列：请在文件中增加该列，或导入时指定单位（页面上选择“单位”，命令行用 --org）。"))
    has_pair = "借方金额" in cols or "贷方金额" in cols
    has_single = "金额" in cols and "借贷方向" in cols
    if not has_pair and not has_single:
        errors.append(
            RowError(display, header_row, "借方金额", None, "缺少金额列：需要「借方金额」和「贷方金额」两列，或「金额」和「借贷方向」两列。")
        )
    if errors:
        raise TableError(errors)


def _error_rows(con) -> int:
    return scalar(con, "SELECT count(DISTINCT row) FROM errors")


def _label(name: str, columns: dict[str, str]) -> str:
    """The column an error names: the field, with the header as the file writes it when that
    is a code name (金蝶's FDEBIT, 用友's natural_debit_currency) rather than Chinese."""
    text = columns.get(name, "")
    if text and text.isascii() and normalize_header(text) != normalize_header(name):
        return f"{name}（{text.strip()}）"
    return name


def _numbered(cols, name: str) -> list[int]:
    return sorted(int(k.removeprefix(name)) for k in cols if k.startswith(name) and k.removeprefix(name).isdigit())


def _counterparty(c, cols) -> str:
    """The 往来单位 column, or else the first auxiliary item of a customer or supplier class
    (its name, or its code when the file gives no name)."""
    classes = ", ".join(f"'{w.lower()}'" for w in PARTY_CLASSES)
    terms = [f"nullif({sql_text(c('往来单位'))}, '')"]
    for n in _numbered(cols, "核算类别"):
        item = f"coalesce(nullif({sql_text(c(f'核算项目名称{n}'))}, ''), {sql_text(c(f'核算项目代码{n}'))})"
        terms.append(f"CASE WHEN lower(replace({sql_text(c(f'核算类别{n}'))}, ' ', '')) IN ({classes}) THEN nullif({item}, '') END")
    return f"coalesce({', '.join(terms)}, '')"


def _validate_batch(con, batch, columns: dict[str, str], org: Org | None, year: int | None, create_accounts: bool,
                    allowed) -> None:
    cols = columns

    def c(name):
        return f'"{name}"' if name in cols else None

    default_org = org.code if org else ""
    org_expr = f"CASE WHEN {sql_text(c('单位编码'))} = '' THEN '{default_org}' ELSE {sql_text(c('单位编码'))} END"
    present = [f'"{n}"' for n in cols]
    coded = CODED_DIRECTIONS.get(normalize_header(cols.get("借贷方向", "")))
    pair = bool(c("借方金额") or c("贷方金额"))
    if pair:
        d_clean, c_clean = sql_amount_clean(c("借方金额") or "NULL"), sql_amount_clean(c("贷方金额") or "NULL")
        direction = sql_text(c("借贷方向")) if coded else "''"
    else:
        d_clean = c_clean = sql_amount_clean(c("金额"))
        direction = sql_text(c("借贷方向"))
    codes = {str(v).strip() for v in pc.unique(batch["单位编码"]).to_pylist()} if c("单位编码") else set()
    orgs_in_batch = sorted({code or default_org for code in codes} | ({default_org} if default_org else set()))
    load_charts(con, {o.code: o for o in Org.objects.filter(code__in=orgs_in_batch)}, orgs_in_batch)

    debit_words = ", ".join(f"'{w}'" for w in (coded[0] if coded else DEBIT_WORDS))
    credit_words = ", ".join(f"'{w}'" for w in (coded[1] if coded else CREDIT_WORDS))
    line_shift = " + 1" if normalize_header(cols.get("分录号", "")) in ZERO_BASED_LINES else ""
    deleted_words = ", ".join(f"'{w}'" for w in DELETED_WORDS)
    kept_words = ", ".join(f"'{w}'" for w in KEPT_WORDS)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP VIEW parsed AS
        WITH t AS (
            SELECT _row,
                {org_expr} AS org,
                {sql_text(c('会计年度'))} AS year_raw, {sql_int(c('会计年度')) if c('会计年度') else 'NULL::INTEGER'} AS year_col,
                {sql_text(c('会计期间'))} AS period_raw, {sql_int(c('会计期间')) if c('会计期间') else 'NULL::INTEGER'} AS period_col,
                {sql_text(c('凭证日期'))} AS date_raw, {sql_date(c('凭证日期'))} AS date,
                CASE WHEN {sql_text(c('凭证字'))} = '' THEN '记' ELSE {sql_text(c('凭证字'))} END AS voucher_type,
                {sql_text(c('凭证号'))} AS no_raw,
                TRY_CAST(regexp_extract({sql_text(c('凭证号'))}, '([0-9]+)\\s*$', 1) AS INTEGER) AS voucher_no,
                {sql_text(c('分录号'))} AS line_raw, {f"({sql_int(c('分录号'))}{line_shift})" if c('分录号') else 'NULL::INTEGER'} AS line_no,
                {sql_text(c('摘要'))} AS summary,
                {sql_text(c('科目编码'))} AS account_code, {sql_text(c('科目名称'))} AS account_name,
                {sql_text(c('借方金额') or c('金额'))} AS d_raw, {sql_text(c('贷方金额') or c('金额'))} AS c_raw,
                {d_clean} AS d_clean, {c_clean} AS c_clean, {direction} AS direction,
                {sql_amount_number(d_clean)} AS d_num, {sql_amount_number(c_clean)} AS c_num,
                {_counterparty(c, cols)} AS counterparty, {sql_text(c('结算方式'))} AS settlement,
                {sql_text(c('制单人'))} AS preparer, {sql_text(c('审核人'))} AS reviewer,
                {sql_text(c('附件数'))} AS attach_raw, {sql_int(c('附件数')) if c('附件数') else 'NULL::INTEGER'} AS attachments,
                {sql_text(c('票据号'))} AS invoice_no,
                upper({sql_text(c('删除标记'))}) AS deleted_raw, upper({sql_text(c('删除标记'))}) IN ({deleted_words}) AS deleted
            FROM batch
            WHERE NOT {sql_is_blank(present)}
              AND NOT ({sql_text(c('科目编码'))} = '' AND {sql_is_total([p for p in present])})
        ), u AS (
            SELECT t.*,
                coalesce(year_col, {year if year else 'NULL'}, year(date))::INTEGER AS fiscal_year,
                coalesce(period_col, month(date))::INTEGER AS period,
                {sql_amount_ok('d_clean', 'd_num')} AS d_ok, {sql_amount_ok('c_clean', 'c_num')} AS c_ok,
                {sql_amount_precise('d_num')} AS d_precise, {sql_amount_precise('c_num')} AS c_precise
            FROM t
        ), v AS (
            SELECT u.*,
                CASE WHEN {'true' if pair else 'false'} OR direction = '' OR direction IN ({debit_words})
                     THEN {sql_amount_value('d_num')} ELSE 0::DECIMAL(18,2) END AS debit,
                CASE WHEN {'true' if pair else 'false'} OR direction = '' OR direction IN ({credit_words})
                     THEN {sql_amount_value('c_num')} ELSE 0::DECIMAL(18,2) END AS credit
            FROM u
        )
        SELECT v.*, o.code IS NOT NULL AS org_known, a.code IS NOT NULL AS account_known
        FROM v
        LEFT JOIN orgs o ON o.code = v.org
        LEFT JOIN chart a ON a.org = v.org AND a.code = v.account_code
        """
    )
    checks = [
        ("单位编码", "org = ''", "org", "'单位编码不能为空。'"),
        ("单位编码", "org <> '' AND NOT org_known", "org", unknown_org_reason(allowed)),
        ("会计年度", "year_raw <> '' AND (year_col IS NULL OR year_col NOT BETWEEN 1990 AND 2100)", "year_raw", "'会计年度应为四位年份。'"),
        ("凭证日期", "date IS NULL", "date_raw",
         "'无法识别的日期（支持 2025-01-09、2025/1/9、20250109、2025年1月9日 或 Excel 日期序号），或该日期不存在。'"),
        ("凭证日期", "date IS NOT NULL AND fiscal_year IS NOT NULL AND year(date) <> fiscal_year", "date_raw",
         "'凭证日期不在会计年度 ' || fiscal_year || ' 年内。'"),
        ("会计期间", "period_raw <> '' AND (period_col IS NULL OR period_col NOT BETWEEN 1 AND 12)", "period_raw",
         "'会计期间应为 1～12 的整数。'"),
        ("凭证号", "voucher_no IS NULL", "no_raw", "'凭证号应为数字（可带前缀，如 记-0012）。'"),
        ("分录号", "line_raw <> '' AND line_no IS NULL", "line_raw", "'分录号应为整数。'"),
        ("科目编码", "account_code = ''", "account_code", "'科目编码不能为空。'"),
        ("附件数", "attach_raw <> '' AND (attachments IS NULL OR attachments < 0)", "attach_raw", "'附件数应为不小于 0 的整数。'"),
        ("删除标记", f"deleted_raw NOT IN ({deleted_words}, {kept_words})", "deleted_raw",
         "'删除标记应为 0 或 1（也可为 是/否、T/F）。'"),
    ]
    if not create_accounts:
        checks.append(
            ("科目编码", "account_code <> '' AND org_known AND NOT account_known", "account_code",
             "'科目编码不在单位 ' || org || ' 的科目表中（请先导入科目表，或导入时选择自动新增科目）。'")
        )
    if org is not None and c("单位编码"):
        checks.append(("单位编码", f"org <> '{org.code}'", "org", f"'与指定的单位 {org.code} 不一致。'"))
    if year is not None and c("会计年度"):
        checks.append(("会计年度", f"year_col IS NOT NULL AND year_col <> {int(year)}", "year_raw", f"'与指定的会计年度 {int(year)} 不一致。'"))
    if pair:
        d_col, c_col = ("借方金额", "贷方金额")
        checks += [
            (d_col, "NOT d_ok", "d_raw", "'金额无法识别。'"),
            (c_col, "NOT c_ok", "c_raw", "'金额无法识别。'"),
            (d_col, "d_ok AND NOT d_precise", "d_raw", "'金额最多保留两位小数。'"),
            (c_col, "c_ok AND NOT c_precise", "c_raw", "'金额最多保留两位小数。'"),
            (d_col, "d_ok AND c_ok AND debit <> 0 AND credit <> 0", "d_raw || ' / ' || c_raw", "'同一分录的借方和贷方不能同时有金额。'"),
            (d_col, "d_ok AND c_ok AND debit = 0 AND credit = 0", "d_raw || ' / ' || c_raw",
             "'借方和贷方都没有金额（空白或 0 视为没有金额）。'"),
        ]
        if coded:
            checks += [
                ("借贷方向", f"direction NOT IN ({debit_words}, {credit_words})", "direction", f"'{coded[2]}'"),
                ("借贷方向", f"d_ok AND c_ok AND direction IN ({debit_words}) AND credit <> 0 AND debit = 0",
                 "direction || ' / ' || c_raw", "'借贷方向为借，金额却在贷方。'"),
                ("借贷方向", f"d_ok AND c_ok AND direction IN ({credit_words}) AND debit <> 0 AND credit = 0",
                 "direction || ' / ' || d_raw", "'借贷方向为贷，金额却在借方。'"),
            ]
    else:
        checks += [
            ("金额", "NOT d_ok", "d_raw", "'金额无法识别。'"),
            ("金额", "d_ok AND NOT d_precise", "d_raw", "'金额最多保留两位小数。'"),
            ("借贷方向", f"direction NOT IN ({debit_words}, {credit_words})", "direction",
             f"'{coded[2]}'" if coded else "'借贷方向应为“借”或“贷”。'"),
            ("金额", f"d_ok AND direction IN ({debit_words}, {credit_words}) AND debit = 0 AND credit = 0", "d_raw",
             "'金额为空或为 0。'"),
        ]
    # One pass parses, validates and stores the batch; rows with any error are kept aside
    # (bad) and only then is the batch parsed again to list each error with its reason.
    # Lines of deleted vouchers are set aside unchecked, for the quality report.
    any_error = " OR ".join(f"coalesce({cond}, false)" for _, cond, _, _ in checks)
    con.execute(
        f"""
        INSERT INTO all_lines
        SELECT org, fiscal_year, period, date, voucher_type, voucher_no, line_no, summary, account_code,
               account_name, debit, credit, counterparty, settlement, preparer, reviewer, attachments,
               invoice_no, _row, {any_error}
        FROM parsed WHERE NOT deleted
        """
    ).fetchall()
    if c("删除标记"):
        con.execute("INSERT INTO deleted_lines SELECT org, fiscal_year, period, voucher_type, voucher_no, _row "
                    "FROM parsed WHERE deleted").fetchall()
    first_row = pc.min(batch["_row"]).as_py()
    if first_row is not None and scalar(con, f"SELECT count(*) FROM all_lines WHERE bad AND source_row >= {first_row}"):
        # the bad rows parsed once more, then each check over them alone
        con.execute(f"CREATE OR REPLACE TEMP TABLE bad_rows AS SELECT * FROM parsed WHERE NOT deleted AND ({any_error})").fetchall()
        union = " UNION ALL ".join(
            f"SELECT _row, {store.sql_literal(_label(label, columns))}, {value}, {reason}, org, fiscal_year FROM bad_rows WHERE {cond}"
            for label, cond, value, reason in checks
        )
        con.execute(f"INSERT INTO errors {union}").fetchall()


def _create_missing_accounts(con, org_codes: dict[str, Org], display: str, actor) -> None:
    from jingshen.ledger.charts import add_unit_accounts

    rows = con.execute(
        """
        SELECT l.org, l.account_code, min(l.account_name), min(l.source_row)
        FROM lines l LEFT JOIN chart a ON a.org = l.org AND a.code = l.account_code
        WHERE a.code IS NULL GROUP BY 1, 2 ORDER BY 1, 2
        """
    ).fetchall()
    by_org: dict[str, list] = {}
    for org_code, code, name, row in rows:
        by_org.setdefault(org_code, []).append((code, name, row))
    errors = []
    for org_code, accounts in by_org.items():
        errors += add_unit_accounts(org_codes[org_code], accounts, display=display, actor=actor)
    if errors:
        raise TableError(errors)
    con.execute("DELETE FROM chart WHERE org IN (SELECT unnest(?))", [list(by_org)])
    load_charts(con, org_codes, list(by_org))


QUALITY_SQL = """
CREATE OR REPLACE TEMP TABLE quality AS
WITH v AS (
    SELECT org, fiscal_year, period, voucher_type, voucher_no, sum(debit) AS d, sum(credit) AS c,
           min(date) AS first_date, max(date) AS last_date, min(source_row) AS row
    FROM lines GROUP BY ALL
), unit_years AS (
    SELECT DISTINCT org, fiscal_year FROM lines
), deleted AS (
    SELECT d.org, d.fiscal_year, d.period, d.voucher_type, d.voucher_no, count(*) AS n, min(d.source_row) AS row
    FROM deleted_lines d SEMI JOIN unit_years u ON u.org = d.org AND u.fiscal_year = d.fiscal_year GROUP BY ALL
), numbered AS (  -- a deleted voucher's number is no gap: it is reported as deleted
    SELECT DISTINCT org, fiscal_year, period, voucher_type, voucher_no FROM lines
    UNION SELECT org, fiscal_year, period, voucher_type, voucher_no FROM deleted WHERE voucher_no IS NOT NULL
), gaps AS (
    SELECT *, lag(voucher_no) OVER (PARTITION BY org, fiscal_year, period, voucher_type ORDER BY voucher_no) AS prev
    FROM numbered
)
SELECT org, fiscal_year, 'unbalanced_voucher' AS issue, period, voucher_type, voucher_no, row AS source_row,
       '凭证 ' || voucher_type || '-' || voucher_no || '（第 ' || period || ' 期）借方合计 ' || d || ' 元，贷方合计 '
       || c || ' 元，相差 ' || (d - c) || ' 元。' AS message
FROM v WHERE d <> c
UNION ALL
SELECT org, fiscal_year, 'voucher_conflict', period, voucher_type, voucher_no, row,
       '凭证 ' || voucher_type || '-' || voucher_no || '（第 ' || period || ' 期）的分录日期不一致（' || first_date
       || ' 至 ' || last_date || '），可能是两张凭证用了同一编号。'
FROM v WHERE first_date <> last_date
UNION ALL
SELECT org, fiscal_year, 'voucher_gap', period, voucher_type, voucher_no, NULL,
       '第 ' || period || ' 期「' || voucher_type || '」字凭证缺号：'
       || CASE WHEN voucher_no - prev = 2 THEN (prev + 1)::VARCHAR ELSE (prev + 1) || '～' || (voucher_no - 1) END || '。'
FROM gaps WHERE voucher_no - prev > 1
UNION ALL
SELECT org, fiscal_year, 'date_outside_period', period, voucher_type, voucher_no, source_row,
       '凭证 ' || voucher_type || '-' || voucher_no || ' 的日期 ' || date || ' 不在第 ' || period || ' 期。'
FROM (SELECT DISTINCT ON (org, fiscal_year, period, voucher_type, voucher_no) * FROM lines WHERE month(date) <> period
      ORDER BY org, fiscal_year, period, voucher_type, voucher_no, source_row)
UNION ALL
SELECT l.org, l.fiscal_year, 'non_leaf_account', l.period, l.voucher_type, l.voucher_no, l.source_row,
       '记账到非末级科目 ' || l.account_code || ' ' || a.name || '。'
FROM lines l JOIN chart a ON a.org = l.org AND a.code = l.account_code WHERE NOT a.is_leaf
UNION ALL
SELECT org, fiscal_year, 'deleted_voucher', period, voucher_type, voucher_no, row,
       '凭证 ' || voucher_type || '-' || coalesce(voucher_no::VARCHAR, '?') || '（第 ' || coalesce(period::VARCHAR, '?')
       || ' 期）在财务软件中已删除（作废），其 ' || n || ' 条分录未导入。'
FROM deleted
UNION ALL
SELECT org, fiscal_year, 'rejected_row', NULL, NULL, NULL, row,
       '被拒绝的行（' || coalesce(col, '整行') || '）：' || reason || coalesce('（值“' || val || '”）', '')
FROM errors
"""

QUALITY_LABELS = {
    "unbalanced_voucher": "借贷不平衡的凭证",
    "voucher_conflict": "同号凭证日期不一致",
    "voucher_gap": "凭证断号",
    "date_outside_period": "日期不在所属期间",
    "non_leaf_account": "记账到非末级科目",
    "deleted_voucher": "已删除（作废）的凭证",
    "rejected_row": "被拒绝的行",
}


def write_screening_file(con, name: str, data: Path, target: Path) -> None:
    """Write a pack's screening file ``name`` (SCREENING_FILES) to ``target`` from its
    ``data``.parquet (the importer, and the migration that packed older datasets)."""
    data_sql, target_sql = (str(p).replace("'", "''") for p in (data, target))
    query = SCREENING_FILES[name].format(data=data_sql)
    con.execute(f"COPY ({query}) TO '{target_sql}' (FORMAT parquet, COMPRESSION lz4)").fetchall()


# The content checksum of each unit-year (defined once, in the store, which also recomputes it
# from the files for `jingshen check`).
CHECKSUM_SQL = store.CHECKSUM_SQL[DatasetKind.VOUCHERS]
# summary.parquet: per unit-year, account and period, from the lines ``{lines}``.
SUMMARY_SQL = """
SELECT org, fiscal_year, account_code, period, sum(debit)::DECIMAL(18,2) AS debit, sum(credit)::DECIMAL(18,2) AS credit,
       count(*) AS lines
FROM {lines} GROUP BY ALL ORDER BY fiscal_year, org, account_code, period
"""


def _facts(con, pack: Path, org_codes: dict[str, Org], line_no: str) -> list[Staged]:
    """Every unit-year of the file with its row count, checksum, periods and quality counts, in
    one pass over the lines each (nothing per unit: docs/benchmarks.md, 2026-12-02)."""
    con.execute(QUALITY_SQL)
    con.execute(f"CREATE OR REPLACE TEMP VIEW dataset_lines AS SELECT {DATA_COLUMNS.format(line_no=line_no)} FROM lines")
    facts = con.execute(
        f"SELECT org, fiscal_year, {CHECKSUM_SQL}, count(*), list(DISTINCT period) FROM dataset_lines GROUP BY 1, 2 ORDER BY 1, 2"
    ).fetchall()
    quality: dict[tuple[str, int], dict[str, int]] = {}
    for org_code, year, issue, n in con.execute("SELECT org, fiscal_year, issue, count(*) FROM quality GROUP BY ALL").fetchall():
        quality.setdefault((org_code, year), {})[issue] = int(n)
    staged = []
    for org_code, year, checksum, rows, periods in facts:
        counts = quality.get((org_code, year), {})
        staged.append(Staged(org=org_codes[org_code], fiscal_year=int(year), folder=pack, rows=int(rows), checksum=str(checksum),
                             rejected=counts.get("rejected_row", 0), quality=counts, periods=frozenset(periods)))
    return staged


def _write_pack(con, pack: Path, staged: list[Staged], whole: bool) -> None:
    """Write the pack of the ``staged`` unit-years (store.py): each file once for all of them,
    sorted by year and unit so that reading one unit skips the row groups of the others.
    ``whole``: every unit-year of the file is staged (none unchanged), so no filter is needed;
    a file of one unit-year is written in file order, without a sort (a 1 M-line import spent
    0.7 s sorting what was already in order, docs/benchmarks.md)."""
    pack.mkdir()
    kept = ""
    if not whole:
        keys = [(s.org.code, s.fiscal_year) for s in staged]
        con.execute("CREATE OR REPLACE TEMP TABLE pack_keys (org VARCHAR, fiscal_year INTEGER)").fetchall()
        con.executemany("INSERT INTO pack_keys VALUES (?, ?)", keys)
        kept = "SEMI JOIN pack_keys k ON k.org = l.org AND k.fiscal_year = l.fiscal_year"
    order = "ORDER BY l.fiscal_year, l.org, l.source_row" if len(staged) > 1 else ""
    # LZ4: a screening run reads every dataset dozens of times, and LZ4 decodes faster than
    # zstd (the whole rule pack 12 % faster) for files about 1.6 times as large (docs/benchmarks.md)
    con.execute(f"COPY (SELECT l.* FROM dataset_lines l {kept} {order}) "
                f"TO '{pack / 'data.parquet'}' (FORMAT parquet, COMPRESSION lz4)").fetchall()
    for name in SCREENING_FILES:
        write_screening_file(con, name, pack / "data.parquet", pack / f"{name}.parquet")
    con.execute(f"COPY ({SUMMARY_SQL.format(lines=f'(SELECT l.* FROM dataset_lines l {kept})')}) "
                f"TO '{pack / 'summary.parquet'}' (FORMAT parquet)").fetchall()
    con.execute(
        f"COPY (SELECT l.org, l.fiscal_year, issue, period, voucher_type, voucher_no, source_row, message FROM quality l {kept} "
        f"ORDER BY l.fiscal_year, l.org, issue, period, voucher_type, voucher_no, source_row) TO '{pack / 'quality.parquet'}' (FORMAT parquet)"
    ).fetchall()
