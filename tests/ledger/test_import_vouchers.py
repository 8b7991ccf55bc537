"""jingshen import vouchers: real export layouts, strict refusal naming file/row/column,
--skip-bad-rows, data-quality findings kept apart from format errors, versioned datasets."""

import json

import duckdb
import openpyxl
import pytest

from jingshen.cli import main
from jingshen.ledger import store
from jingshen.ledger.models import Account, Dataset, DatasetStatus
from tests.ledger.conftest import HEADER, line, voucher, write


def run(capsys, *args):
    code = main(["import", "vouchers", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


def lines_of(dataset):
    return duckdb.sql(f"SELECT * FROM {store.scan(dataset)} ORDER BY source_row").fetchall()


def data(dataset, sql_select="*"):
    return duckdb.sql(f"SELECT {sql_select} FROM {store.scan(dataset)} ORDER BY source_row").fetchall()


def test_standard_template_imports_into_a_dataset(books, capsys):
    code, out, err = run(capsys, books)
    assert code == 0, err
    assert "共 12 行凭证分录" in out and "新建数据集 A1X 2025 年第 1 版" in out
    ds = Dataset.objects.get()
    assert (ds.org.code, ds.fiscal_year, ds.kind, ds.version, ds.rows, ds.status) == ("A1X", 2025, "vouchers", 1, 12, "ready")
    assert ds.quality_issues == 0 and ds.source_name == "凭证.csv" and len(ds.source_hash) == 64
    rows = data(ds, "period, date::VARCHAR, voucher_type, voucher_no, line_no, account_code, debit::VARCHAR, credit::VARCHAR, source_row")
    assert rows[0] == (1, "2025-01-05", "记", 1, 1, "50102", "1200.00", "0.00", 2)
    assert rows[3] == (1, "2025-01-20", "记", 2, 2, "102", "0.00", "350.50", 5)
    summary = duckdb.sql(f"SELECT account_code, period, debit::VARCHAR FROM read_parquet('{store.parquet_path(ds, 'summary')}') WHERE account_code='50205' ORDER BY period").fetchall()
    assert summary == [("50205", 1, "350.50"), ("50205", 2, "350.50"), ("50205", 3, "350.50")]



def test_reimport_identical_is_noop_and_change_makes_new_version(books, tmp_path, capsys):
    assert run(capsys, books)[0] == 0
    code, out, _ = run(capsys, books)
    assert code == 0 and "与已有版本相同，未重复导入" in out
    assert Dataset.objects.count() == 1
    v1 = Dataset.objects.get()
    changed = write(tmp_path / "改.csv", voucher(1, date="2025-01-05", amount="999.00"))
    assert run(capsys, changed)[0] == 0
    v2 = Dataset.objects.get(version=2)
    assert v2.rows == 2
    assert len(lines_of(v1)) == 12  # the earlier version stays readable, unchanged


def test_yonyou_export_gbk_with_aliases_separators_and_totals(tree, tmp_path, capsys):
    header = ["制单日期", "凭证类别字", "凭证号", "附单据数", "摘要", "科目编码", "借方金额", "贷方金额", "制单人", "审核人"]
    rows = [
        ["2025/3/9", "记", "0007", "3", "购买办公用品", "50402", "1,234.50", "", "王芳", "赵强"],
        ["2025/3/9", "记", "0007", "3", "购买办公用品", "102", "", "1,234.50", "王芳", "赵强"],
        ["20250310", "付", "1", "0", "红字冲销多记培训费", "50301", "-200.00", "", "王芳", "赵强"],
        ["2025年3月10日", "付", "1", "0", "红字冲销多记培训费", "102", "", "-200.00", "王芳", "赵强"],
        ["合计", "", "", "", "", "", "1,034.50", "1,034.50", "", ""],
    ]
    path = write(tmp_path / "用友凭证.csv", [["2025年3月凭证列表"], *[[]], *[]] and rows, header=None, encoding="gbk")
    path.write_bytes(("用友凭证导出\n" + ",".join(header) + "\n").encode("gbk") + path.read_bytes())
    code, out, err = run(capsys, path, "--org", "A1X")
    assert code == 0, err
    ds = Dataset.objects.get()
    rows = data(ds, "period, date::VARCHAR, voucher_type, voucher_no, line_no, debit::VARCHAR, credit::VARCHAR, attachments, source_row")
    assert rows == [
        (3, "2025-03-09", "记", 7, 1, "1234.50", "0.00", 3, 3),
        (3, "2025-03-09", "记", 7, 2, "0.00", "1234.50", 3, 4),
        (3, "2025-03-10", "付", 1, 1, "-200.00", "0.00", 0, 5),
        (3, "2025-03-10", "付", 1, 2, "0.00", "-200.00", 0, 6),
    ]
    assert ds.quality_issues == 0


def test_kingdee_layout_single_amount_with_direction_and_excel_dates(tree, tmp_path, capsys):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["日期", "凭证字", "凭证号", "附件数", "摘要", "科目代码", "科目名称", "金额", "方向", "制单人", "审核人"])
    sheet.append([45667, "记", 3, 1, "送温暖慰问困难职工", "50205", "送温暖费", 800, "借", "陈静", "刘洋"])
    sheet.append([45667, "记", 3, 1, "送温暖慰问困难职工", "102", "银行存款", 800, "贷", "陈静", "刘洋"])
    path = tmp_path / "金蝶.xlsx"
    book.save(path)
    code, _, err = run(capsys, path, "--org", "A1X", "--year", "2025")
    assert code == 0, err
    rows = data(Dataset.objects.get(), "date::VARCHAR, period, debit::VARCHAR, credit::VARCHAR, account_name, source_row")
    assert rows == [("2025-01-10", 1, "800.00", "0.00", "送温暖费", 2), ("2025-01-10", 1, "0.00", "800.00", "银行存款", 3)]


def test_one_file_many_units_makes_one_dataset_each(tree, tmp_path, capsys):
    rows = voucher(1, org="A1X") + voucher(1, org="B1X") + voucher(2, org="B1X")
    code, out, err = run(capsys, write(tmp_path / "多单位.csv", rows))
    assert code == 0, err
    assert sorted((d.org.code, d.rows) for d in Dataset.objects.all()) == [("A1X", 2), ("B1X", 4)]


def test_books_problems_are_imported_and_reported(tree, tmp_path, capsys):
    rows = voucher(1) + voucher(4)  # numbers 2 and 3 are missing
    rows[1][10:12] = ["", "1000.00"]  # voucher 1 no longer balances
    rows += [line(no="5", line_no="1", code="501", debit="50.00", date="2025-02-03", period="1"),
             line(no="5", line_no="2", code="102", credit="50.00", date="2025-02-03", period="1")]
    code, out, err = run(capsys, write(tmp_path / "有问题的账.csv", rows))
    assert code == 0, err
    ds = Dataset.objects.get()
    assert ds.rows == 6 and ds.status == DatasetStatus.READY
    assert ds.quality == {"unbalanced_voucher": 1, "voucher_gap": 1, "date_outside_period": 1, "non_leaf_account": 1}
    messages = [m for (m,) in duckdb.sql(f"SELECT message FROM read_parquet('{store.parquet_path(ds, 'quality')}')").fetchall()]
    assert "凭证 记-1（第 1 期）借方合计 1200.00 元，贷方合计 1000.00 元，相差 200.00 元。" in messages
    assert "第 1 期「记」字凭证缺号：2～3。" in messages
    assert "记账到非末级科目 501 职工活动支出。" in messages
    assert "发现 4 个数据质量问题" in out


FORMAT_ERRORS = {
    # case: (rows, extra args, expected fragments)
    "bad_amount": ([line(debit="12元3"), line(no="1", line_no="2", code="102", credit="12.30")], [],
                   ["第 2 行「借方金额」列（值“12元3”）：金额无法识别。"]),
    "three_decimals": ([line(debit="12.305"), line(line_no="2", code="102", credit="12.305")], [],
                       ["第 2 行「借方金额」列（值“12.305”）：金额最多保留两位小数。", "第 3 行「贷方金额」列"]),
    "impossible_date": ([line(date="2026-02-30", year="2026", period="2", debit="5.00"), line(line_no="2", code="102", credit="5.00")], [],
                        ["第 2 行「凭证日期」列（值“2026-02-30”）：无法识别的日期"]),
    "both_sides": ([line(debit="5.00", credit="5.00")], [], ["第 2 行「借方金额」列（值“5.00 / 5.00”）：同一分录的借方和贷方不能同时有金额。"]),
    "neither_side": ([line(debit="0", credit="")], [], ["第 2 行「借方金额」列（值“0 / ”）：借方和贷方都没有金额（空白或 0 视为没有金额）。"]),
    "unknown_unit": ([line(org="ZZ9", debit="5.00")], [], ["第 2 行「单位编码」列（值“ZZ9”）：单位编码在系统中不存在，请先导入单位。"]),
    "unknown_account": ([line(code="5019901", debit="5.00")], [], ["第 2 行「科目编码」列（值“5019901”）：科目编码不在单位 A1X 的科目表中"]),
    "period_13": ([line(period="13", debit="5.00")], [], ["第 2 行「会计期间」列（值“13”）：会计期间应为 1～12 的整数。"]),
    "date_outside_year": ([line(date="2024-12-31", debit="5.00")], [], ["第 2 行「凭证日期」列（值“2024-12-31”）：凭证日期不在会计年度 2025 年内。"]),
    "voucher_no_text": ([line(no="第一号", debit="5.00")], [], ["第 2 行「凭证号」列（值“第一号”）：凭证号应为数字"]),
    "org_mismatch": ([line(org="B1X", debit="5.00")], ["--org", "A1X"], ["第 2 行「单位编码」列（值“B1X”）：与指定的单位 A1X 不一致。"]),
}


@pytest.mark.parametrize("case", sorted(FORMAT_ERRORS))
def test_format_errors_refuse_the_file(tree, tmp_path, capsys, case):
    rows, args, fragments = FORMAT_ERRORS[case]
    path = write(tmp_path / f"错误-{case}.csv", [*voucher(8), *rows])  # a good voucher first: rows 2-3
    fragments = [f.replace("第 2 行", "第 4 行").replace("第 3 行", "第 5 行") for f in fragments]
    code, out, err = run(capsys, path, *args)
    assert code == 1
    assert "文件被拒绝，系统中的数据未做任何改动。" in err
    for fragment in fragments:
        assert f"文件「{path.name}」{fragment}" in err, err
    assert not Dataset.objects.exists()
    assert not any(p.name.startswith("kind=") for p in store.root().iterdir())


def test_negative_amounts_are_red_ink_not_errors(tree, tmp_path, capsys):
    rows = [line(debit="-88.00"), line(line_no="2", code="102", credit="-88.00")]
    assert run(capsys, write(tmp_path / "红字.csv", rows))[0] == 0


def test_missing_columns_and_misspelled_gbk_header(tree, tmp_path, capsys):
    header = [h if h != "凭证号" else "凭正号" for h in HEADER]
    path = write(tmp_path / "错列名.csv", voucher(1), header=header, encoding="gbk")
    code, _, err = run(capsys, path)
    assert code == 1
    assert "文件「错列名.csv」第 1 行「凭证号」列：缺少必需列「凭证号」（表头中的「凭正号」是否拼写有误？）。" in err
    header = [h for h in HEADER if h not in ("借方金额", "贷方金额")]
    rows = [r[:10] + r[12:] for r in voucher(1)]
    code, _, err = run(capsys, write(tmp_path / "无金额.csv", rows, header=header))
    assert code == 1 and "缺少金额列" in err


def test_xlsx_with_merged_header_cells(tree, tmp_path, capsys):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["凭证日期", "凭证号", "摘要", "科目", None, "金额", None])
    sheet.append(["", "", "", "科目编码", "科目名称", "借方", "贷方"])
    sheet.merge_cells("D1:E1")
    sheet.merge_cells("F1:G1")
    sheet.append(["2025-01-05", 1, "x", "50102", "文体活动费", 10, None])
    path = tmp_path / "合并表头.xlsx"
    book.save(path)
    code, _, err = run(capsys, path, "--org", "A1X")
    assert code == 1
    assert "文件「合并表头.xlsx」第 1 行「科目编码」列：缺少必需列「科目编码」" in err
    assert "如果表头有合并单元格，请取消合并" in err


@pytest.mark.parametrize(
    "content,fragment",
    [(b"", "文件为空（0 字节）"), (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "不是 CSV、Excel（XLSX/XLS）、DBF 或 XML 文件")],
)
def test_empty_and_non_table_files(tree, tmp_path, capsys, content, fragment):
    path = tmp_path / "坏.csv"
    path.write_bytes(content)
    code, _, err = run(capsys, path)
    assert code == 1 and fragment in err


def test_xlsx_bomb_is_refused_before_reading(tree, tmp_path, capsys):
    from tests.orgs.test_import import _xlsx_bomb

    path = _xlsx_bomb(tmp_path / "炸弹.xlsx")
    code, _, err = run(capsys, path)
    assert code == 1 and "已拒绝读取" in err


def test_every_error_is_counted_and_first_200_shown(tree, tmp_path, capsys):
    rows = [line(no=str(i), debit="abc") for i in range(1, 302)]
    code, _, err = run(capsys, write(tmp_path / "很多错误.csv", rows))
    assert code == 1
    assert err.count("金额无法识别") == 200
    assert "……共 301 处错误，仅显示前 200 处。" in err


def test_skip_bad_rows_imports_the_rest_and_keeps_the_rejects(tree, tmp_path, capsys):
    rows = voucher(1) + [line(no="2", debit="abc")] + voucher(3)
    code, out, err = run(capsys, write(tmp_path / "部分.csv", rows), "--skip-bad-rows")
    assert code == 0, err
    ds = Dataset.objects.get()
    assert ds.status == DatasetStatus.PARTIAL and ds.rows == 4 and ds.rejected_rows == 1
    assert "1 行被拒绝" in out and "被拒绝：文件「部分.csv」第 4 行「借方金额」列（值“abc”）：金额无法识别。" in out
    quality = duckdb.sql(f"SELECT issue, source_row, message FROM read_parquet('{store.parquet_path(ds, 'quality')}') WHERE issue='rejected_row'").fetchall()
    assert quality == [("rejected_row", 4, "被拒绝的行（借方金额）：金额无法识别。（值“abc”）")]


def test_create_accounts_adds_detail_accounts_under_their_parent(tree, tmp_path, capsys):
    rows = [line(code="5010201", name="篮球赛", debit="80.00"), line(line_no="2", code="102", credit="80.00")]
    code, _, err = run(capsys, write(tmp_path / "新科目.csv", rows), "--create-accounts")
    assert code == 0, err
    account = Account.objects.get(code="5010201")
    assert account.chart.org.code == "A1X" and account.parent_code == "50102"
    assert account.role == "expense-culture-sports" and account.category == "expense"


@pytest.mark.parametrize("group_rows", [1, 60])  # each block alone; several blocks per statement
def test_blank_lines_and_ragged_rows_keep_spreadsheet_row_numbers(tree, tmp_path, capsys, monkeypatch, group_rows):
    from jingshen.ledger.importers import source

    monkeypatch.setattr(source, "BLOCK_SIZE", 2048)  # many small batches: numbering must carry across them
    monkeypatch.setattr(source, "GROUP_ROWS", group_rows)
    rows = []
    for n in range(1, 41):
        rows += voucher(n)
    path = write(tmp_path / "空行.csv", rows)
    text = path.read_text(encoding="utf-8-sig").splitlines()
    text.insert(5, "")  # a blank line: row 6 in a spreadsheet
    text.insert(30, "A1X,2025,1,2025-01-09,记,99,1,多一列,50102,,1,,,,,,,,,EXTRA")  # row 31 has a cell too many
    text[70] = text[70].replace(",1200.00,", ",12x,")  # row 71
    path.write_text("\n".join(text) + "\n", encoding="utf-8-sig")
    code, _, err = run(capsys, path)
    assert code == 1
    assert "第 31 行：该行有多余或缺少的列（应为 18 列）" in err
    assert "第 71 行「借方金额」列（值“12x”）：金额无法识别。" in err or "第 71 行「贷方金额」列（值“12x”）" in err


def test_datasets_list_json(books, capsys):
    run(capsys, books)
    assert main(["datasets", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["org"] == "A1X" and listed[0]["fiscal_year"] == 2025 and listed[0]["kind"] == "vouchers"
    assert {"org", "fiscal_year", "kind", "version", "rows", "status", "quality_issues"} <= set(listed[0])


def test_a_version_with_fewer_periods_warns(books, tmp_path, capsys):
    assert run(capsys, books)[0] == 0
    code, out, _ = run(capsys, write(tmp_path / "一月.csv", voucher(1, date="2025-01-05")))
    assert code == 0
    assert "注意：A1X 2025 年的新版本缺少第 2、3 期；每个版本代表全年数据" in out


def test_a_bad_byte_after_the_first_megabyte_is_located(tree, tmp_path, capsys):
    """Encoding is sniffed from the start of the file; a bad byte further in is still found
    and named by row and column."""
    rows = []
    for n in range(1, 6001):
        rows += voucher(n % 900 + 1, date=f"2025-{n % 12 + 1:02d}-03")
    path = write(tmp_path / "后面有坏字节.csv", rows, encoding="utf-8")
    data = path.read_bytes()
    assert len(data) > 1024 * 1024
    lines = data.split(b"\n")
    lines[11000] = lines[11000].replace("职工".encode(), b"\xff\xfe", 1)
    path.write_bytes(b"\n".join(lines))
    code, _, err = run(capsys, path)
    assert code == 1
    assert "第 11001 行「第 8 列」" in err and "无法识别的字节（FF FE" in err
    assert not Dataset.objects.exists()


def test_a_file_larger_than_the_importers_memory_is_streamed(tree, tmp_path, capsys, monkeypatch):
    """The importer reads the file in groups of rows and lets DuckDB spill the validated rows to
    the staging folder: with its memory cut far below what the file takes, the same file
    imports to the same dataset (a file larger than the machine's memory goes the same way)."""
    from jingshen.ledger.importers import common, source

    rows = []
    for month in range(1, 13):
        for n in range(1, 6251):  # 150,000 lines, about 20 MB of CSV
            rows += voucher(n, date=f"2025-{month:02d}-{n % 28 + 1:02d}", amount=f"{n % 5000 + 1}.{n % 100:02d}",
                            summary=f"第{n}次职工活动场地费")
    path = write(tmp_path / "大文件.csv", rows, encoding="utf-8")
    assert run(capsys, path)[0] == 0
    reference = Dataset.objects.get()
    expected = lines_of(reference)
    Dataset.objects.all().delete()

    monkeypatch.setattr(common, "MEMORY_LIMIT", "48MB")  # the validated lines alone take several times this
    monkeypatch.setattr(source, "BLOCK_SIZE", 256 * 1024)
    monkeypatch.setattr(source, "GROUP_ROWS", 10_000)
    code, out, err = run(capsys, path)
    assert code == 0, err
    streamed = Dataset.objects.get()
    assert streamed.rows == 150_000 and streamed.checksum == reference.checksum
    assert lines_of(streamed) == expected
