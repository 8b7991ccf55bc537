"""The exchange files finance programs write, recognised without a mapping: 金蝶's voucher
exchange layout (凭证引入/引出) as DBF, XLS, XLSX and CSV, and 用友's XML voucher interchange
(ufinterface). The fixtures are built here from the layouts' field lists (docs/formats.md)."""

import datetime
import decimal
import struct
from pathlib import Path

import duckdb
import openpyxl
import pytest
import xlwt

from jingshen.cli import main
from jingshen.ledger import store
from jingshen.ledger.models import Dataset, ImportJob, JobStatus
from tests.ledger.test_collect import upload

# --- 金蝶 KIS/K3 凭证引入/引出 -------------------------------------------------------------------

# (field, DBF type) in the order the programs write them; FENTRYID counts from 0, FDC 0 = debit.
KINGDEE_FIELDS = [
    ("FDATE", "D"), ("FTRANSDATE", "D"), ("FPERIOD", "N(2,0)"), ("FGROUP", "C(4)"), ("FNUM", "N(6,0)"),
    ("FENTRYID", "N(4,0)"), ("FEXP", "C(60)"), ("FACCTID", "C(20)"),
    ("FCLSNAME1", "C(20)"), ("FOBJID1", "C(20)"), ("FOBJNAME1", "C(60)"),
    ("FCLSNAME2", "C(20)"), ("FOBJID2", "C(20)"), ("FOBJNAME2", "C(60)"),
    ("FCYID", "C(4)"), ("FEXCHRATE", "N(12,6)"), ("FDC", "N(1,0)"), ("FFCYAMT", "N(19,2)"), ("FDEBIT", "N(19,2)"),
    ("FCREDIT", "N(19,2)"), ("FSETTLCODE", "C(10)"), ("FSETTLENO", "C(20)"), ("FPREPARE", "C(20)"), ("FCASH", "C(20)"),
    ("FPOSTER", "C(20)"), ("FCHECKER", "C(20)"), ("FATTCHMENT", "N(4,0)"), ("FPOSTED", "L"), ("FDELETED", "L"),
]
KINGDEE_NAMES = [name for name, _ in KINGDEE_FIELDS]


def kd(date="2025-01-09", num=1, entry=0, exp="支付职工篮球赛场地费", acct="50102", dc=0, amount="1200.00",
       aux=(), group="记", deleted=False, settle="", settle_no="", attach=2):
    """One 金蝶 exchange record as {field: value}; ``aux``: up to two (class, id, name)."""
    day = datetime.date.fromisoformat(date)
    record = {
        "FDATE": day, "FTRANSDATE": day, "FPERIOD": day.month, "FGROUP": group, "FNUM": num, "FENTRYID": entry,
        "FEXP": exp, "FACCTID": acct, "FCYID": "RMB", "FEXCHRATE": "1", "FDC": dc, "FFCYAMT": amount,
        "FDEBIT": amount if dc == 0 else "0", "FCREDIT": amount if dc == 1 else "0", "FSETTLCODE": settle,
        "FSETTLENO": settle_no, "FPREPARE": "张伟", "FCASH": "", "FPOSTER": "王芳", "FCHECKER": "李娜",
        "FATTCHMENT": attach, "FPOSTED": True, "FDELETED": deleted,
    }
    for n in (1, 2):
        cls, oid, name = aux[n - 1] if len(aux) >= n else ("", "", "")
        record |= {f"FCLSNAME{n}": cls, f"FOBJID{n}": oid, f"FOBJNAME{n}": name}
    return record


def kingdee_books():
    """Three vouchers of A1X: 记-1 with a supplier item, 记-2 deleted in the program, 记-3 in
    February with a department and a customer item."""
    return [
        kd(num=1, entry=0, dc=0, aux=[("供应商", "S001", "杭州某体育馆")], settle="02", settle_no="ZP0001"),
        kd(num=1, entry=1, acct="102", dc=1),
        kd(num=2, entry=0, acct="50205", dc=0, amount="350.50", exp="送温暖慰问", deleted=True),
        kd(num=2, entry=1, acct="102", dc=1, amount="350.50", exp="送温暖慰问", deleted=True),
        kd(date="2025-02-05", num=3, entry=0, acct="50205", amount="800.00", exp="慰问困难职工",
           aux=[("部门", "01", "工会办公室"), ("客户", "C009", "某某商贸有限公司")]),
        kd(date="2025-02-05", num=3, entry=1, acct="102", dc=1, amount="800.00", exp="慰问困难职工"),
    ]


def _cell(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _dbf_field(kind: str) -> tuple[str, int, int]:
    """'N(19,2)' -> ('N', 19, 2); 'C(20)' -> ('C', 20, 0); 'D' and 'L' have fixed lengths."""
    if "(" not in kind:
        return kind, {"D": 8, "L": 1}[kind], 0
    letter, size = kind[0], kind[2:-1].split(",")
    return letter, int(size[0]), int(size[1]) if len(size) > 1 else 0


def _dbf_value(kind, length, decimals, value) -> bytes:
    if kind == "C":
        return str(value).encode("gbk").ljust(length, b" ")[:length]
    if kind == "D":
        return value.strftime("%Y%m%d").encode() if value else b" " * 8
    if kind == "L":
        return b"T" if value is True else b"F" if value is False else str(value).encode()[:1] or b"?"
    text = f"{decimal.Decimal(str(value)):.{decimals}f}" if value != "" else ""
    return text.encode().rjust(length, b" ")


def write_dbf(path: Path, records, code_page: int = 0x7A, deleted_in_table: set[int] = frozenset()) -> Path:
    """A dBase III table as 金蝶 writes it, byte by byte: GBK text, numbers as right-aligned text
    with fixed decimals, dates as YYYYMMDD, logicals as T/F; ``code_page`` the byte at offset 29
    (0x7A as these programs write it, or a wrong or missing one); the records whose index is in
    ``deleted_in_table`` carry the table's own deletion flag ('*')."""
    fields = [(name, *_dbf_field(kind)) for name, kind in KINGDEE_FIELDS]
    header_len = 32 + 32 * len(fields) + 1
    record_len = 1 + sum(length for _, _, length, _ in fields)
    header = struct.pack("<B3BIHH", 0x03, 125, 1, 15, len(records), header_len, record_len) + bytes(17) + bytes([code_page]) + bytes(2)
    descriptors = b"".join(
        name.encode().ljust(11, b"\0") + kind.encode() + bytes(4) + bytes([length, decimals]) + bytes(14)
        for name, kind, length, decimals in fields
    )
    body = b"".join(
        (b"*" if i in deleted_in_table else b" ") + b"".join(_dbf_value(kind, length, decimals, r[name])
                                                           for name, kind, length, decimals in fields)
        for i, r in enumerate(records)
    )
    path.write_bytes(header + descriptors + b"\r" + body + b"\x1a")
    return path


AMOUNTS = {"FDEBIT", "FCREDIT", "FFCYAMT", "FEXCHRATE"}


def _sheet_value(name, value):
    """A cell as these programs write it into a sheet: amounts as numbers, flags as 0/1."""
    if isinstance(value, bool):
        return int(value)
    if name in AMOUNTS:
        return float(value)
    return value


def write_xls(path: Path, records) -> Path:
    """Legacy Excel (BIFF8), what KIS/K3 still write; dates as date cells."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("凭证")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for col, name in enumerate(KINGDEE_NAMES):
        sheet.write(0, col, name)
    for row, r in enumerate(records, start=1):
        for col, name in enumerate(KINGDEE_NAMES):
            value = _sheet_value(name, r[name])
            if isinstance(value, datetime.date):
                sheet.write(row, col, value, date_style)
            else:
                sheet.write(row, col, value)
    book.save(str(path))
    return path


def write_xlsx(path: Path, records) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(KINGDEE_NAMES)
    for r in records:
        sheet.append([_sheet_value(n, r[n]) for n in KINGDEE_NAMES])
    book.save(path)
    return path


def write_kd_csv(path: Path, records, encoding="gbk") -> Path:
    lines = [",".join(KINGDEE_NAMES)] + [",".join(_cell(r[n]) for n in KINGDEE_NAMES) for r in records]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


WRITERS = {"dbf": write_dbf, "xls": write_xls, "xlsx": write_xlsx, "csv": write_kd_csv}

# --- 用友 T3/U8 XML (ufinterface) ---------------------------------------------------------------

HEAD_FIELDS = ["company", "voucher_type", "fiscal_year", "accounting_period", "voucher_id", "attachment_number", "date",
               "enter", "cashier", "signature", "checker", "posting_date", "posting_person", "voucher_making_system",
               "memo1", "memo2", "reserve1", "reserve2", "revokeflag"]
ENTRY_FIELDS = ["entry_id", "account_code", "abstract", "settlement", "document_id", "document_date", "currency",
                "unit_price", "exchange_rate1", "exchange_rate2", "debit_quantity", "primary_debit_amount",
                "secondary_debit_amount", "natural_debit_currency", "credit_quantity", "primary_credit_amount",
                "secondary_credit_amount", "natural_credit_currency", "bill_type", "bill_id", "bill_date"]


def uf_head(voucher_id, date="2025-01-09", year="2025", period=None, revoked="0", vtype="记"):
    values = dict.fromkeys(HEAD_FIELDS, "")
    values |= {"company": "001", "voucher_type": vtype, "fiscal_year": year, "accounting_period": period or str(int(date[5:7])),
               "voucher_id": str(voucher_id), "attachment_number": "1", "date": date, "enter": "王芳", "checker": "赵强",
               "voucher_making_system": "GL", "revokeflag": revoked}
    return values


def uf_entry(entry_id, account, debit="", credit="", abstract="购买慰问品", aux=()):
    values = dict.fromkeys(ENTRY_FIELDS, "")
    values |= {"entry_id": str(entry_id), "account_code": account, "abstract": abstract, "currency": "人民币",
               "exchange_rate1": "1", "primary_debit_amount": debit or "0", "natural_debit_currency": debit or "0",
               "primary_credit_amount": credit or "0", "natural_credit_currency": credit or "0"}
    return values, aux


def ufinterface(vouchers, encoding="UTF-8", prolog="") -> bytes:
    """A ufinterface document: ``vouchers`` are (head, [entries]); an entry is (fields, aux items)."""
    out = [f'<?xml version="1.0" encoding="{encoding}"?>', prolog,
           '<ufinterface roottag="voucher" billtype="gl" replace="Y" receiver="u8" sender="001">']
    for n, (head, entries) in enumerate(vouchers, start=1):
        out.append(f'  <voucher id="{n}">')
        out.append("    <voucher_head>")
        out += [f"      <{k}>{v}</{k}>" for k, v in head.items()]
        out.append("    </voucher_head>")
        out.append("    <voucher_body>")
        for fields, aux in entries:
            out.append("      <entry>")
            out += [f"        <{k}>{v}</{k}>" for k, v in fields.items()]
            out.append("        <auxiliary_accounting>")
            out += [f'          <item name="{name}">{code}</item>' for name, code in aux]
            out.append("        </auxiliary_accounting>")
            out.append("        <detail_info/>")
            out.append("      </entry>")
        out.append("    </voucher_body>")
        out.append("  </voucher>")
    out.append("</ufinterface>")
    return "\n".join(out).encode("gb18030" if encoding.lower() in ("gb2312", "gbk") else encoding)


def yonyou_books():
    return [
        (uf_head(1), [uf_entry(1, "50205", debit="1,500.00", aux=[("dept", "01"), ("supplier", "某某超市")]),
                      uf_entry(2, "102", credit="1500.00")]),
        (uf_head(2, revoked="1"), [uf_entry(1, "50102", debit="99.00"), uf_entry(2, "102", credit="99.00")]),
        (uf_head(3, date="2025-03-12"), [uf_entry(1, "50102", debit="420.00", abstract="篮球赛场地费", aux=[("cust", "C01")]),
                                         uf_entry(2, "102", credit="420.00", abstract="篮球赛场地费")]),
    ]


def write_xml(path: Path, vouchers=None, **kwargs) -> Path:
    path.write_bytes(ufinterface(vouchers if vouchers is not None else yonyou_books(), **kwargs))
    return path


# --- helpers ---------------------------------------------------------------------------------------


def run(capsys, *args):
    code = main(["import", "vouchers", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


def lines(dataset, cols="period, date::VARCHAR, voucher_type, voucher_no, line_no, account_code, debit::VARCHAR, "
                        "credit::VARCHAR, counterparty, source_row"):
    return duckdb.sql(f"SELECT {cols} FROM {store.scan(dataset)} ORDER BY source_row").fetchall()


def quality(dataset):
    return duckdb.sql(f"SELECT issue, message FROM read_parquet('{store.parquet_path(dataset, 'quality')}') ORDER BY issue").fetchall()


KINGDEE_LINES = [
    (1, "2025-01-09", "记", 1, 1, "50102", "1200.00", "0.00", "杭州某体育馆", 2),
    (1, "2025-01-09", "记", 1, 2, "102", "0.00", "1200.00", "", 3),
    (2, "2025-02-05", "记", 3, 1, "50205", "800.00", "0.00", "某某商贸有限公司", 6),
    (2, "2025-02-05", "记", 3, 2, "102", "0.00", "800.00", "", 7),
]


# --- 金蝶 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_kingdee_exchange_file_imports_in_every_format(tree, tmp_path, capsys, kind):
    path = WRITERS[kind](tmp_path / f"凭证引出.{kind}", kingdee_books())
    code, out, err = run(capsys, path, "--org", "A1X", "--year", "2025")
    assert code == 0, err
    assert "共 4 行凭证分录" in out and "已删除（作废）的凭证 1 张（2 行）未导入" in out
    ds = Dataset.objects.get()
    assert (ds.org.code, ds.fiscal_year, ds.rows) == ("A1X", 2025, 4)
    assert lines(ds) == KINGDEE_LINES
    extra = lines(ds, "summary, settlement, invoice_no, preparer, reviewer, attachments")
    assert extra[0] == ("支付职工篮球赛场地费", "02", "ZP0001", "张伟", "李娜", 2)
    # the deleted voucher is reported, and its number is no gap
    assert ds.quality == {"deleted_voucher": 1}
    assert quality(ds) == [("deleted_voucher", "凭证 记-2（第 1 期）在财务软件中已删除（作废），其 2 条分录未导入。")]


@pytest.mark.parametrize("code_page", [0x7A, 0x4D, 0x00, 0x03, 0x57])
def test_dbf_is_read_as_gbk_whatever_its_code_page_byte_says(tree, tmp_path, capsys, code_page):
    path = write_dbf(tmp_path / "PZ.DBF", kingdee_books(), code_page=code_page)
    code, _, err = run(capsys, path, "--org", "A1X", "--year", "2025")
    assert code == 0, err
    assert lines(Dataset.objects.get(), "summary")[0] == ("支付职工篮球赛场地费",)


def test_dbf_upload_through_the_collect_page(client_for, tmp_path):
    path = write_dbf(tmp_path / "PZ.DBF", kingdee_books())
    response = upload(client_for("a_auditor"), path, org="A1X", fiscal_year="2025")
    job = ImportJob.objects.get()
    assert job.status == JobStatus.DONE, job.errors
    assert response["Location"] == f"/collect/jobs/{job.pk}/"
    ds = job.datasets.get()
    assert ds.rows == 4 and ds.quality == {"deleted_voucher": 1} and ds.source_name == "PZ.DBF"
    html = client_for("a_auditor").get(f"/collect/datasets/{ds.pk}/").content.decode()
    assert "已删除（作废）的凭证 1" in html and "凭证 记-2（第 1 期）在财务软件中已删除（作废）" in html


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_every_format_uploads_through_the_collect_page(client_for, tmp_path, kind):
    path = WRITERS[kind](tmp_path / f"凭证.{kind}", kingdee_books())
    upload(client_for("a_auditor"), path, org="A1X", fiscal_year="2025")
    job = ImportJob.objects.get()
    assert job.status == JobStatus.DONE, job.errors
    assert lines(job.datasets.get()) == KINGDEE_LINES


def test_the_folder_names_the_unit_when_the_command_does_not(tree, tmp_path, capsys):
    folder = tmp_path / "A1X"
    folder.mkdir()
    code, out, err = run(capsys, write_dbf(folder / "PZ.DBF", kingdee_books()), "--year", "2025")
    assert code == 0, err
    assert "按所在文件夹「A1X」导入" in out
    assert Dataset.objects.get().org.code == "A1X"


KINGDEE_ERRORS = {
    # case: (change to the first record, --year, expected fragment)
    "wrong_year": ({}, "2024", "第 2 行「凭证日期（FDATE）」列（值“2025-01-09”）：凭证日期不在会计年度 2024 年内。"),
    "bad_fdc": ({"FDC": 2}, "2025", "第 2 行「借贷方向（FDC）」列（值“2”）：借贷方向应为 0（借）或 1（贷）。"),
    "fdc_against_amount": ({"FDC": 1}, "2025", "第 2 行「借贷方向（FDC）」列（值“1 / 1200.00”）：借贷方向为贷，金额却在借方。"),
    "both_sides": ({"FCREDIT": "5.00"}, "2025",
                   "第 2 行「借方金额（FDEBIT）」列（值“1200.00 / 5.00”）：同一分录的借方和贷方不能同时有金额。"),
    "bad_deleted_flag": ({"FDELETED": "X"}, "2025", "第 2 行「删除标记（FDELETED）」列（值“X”）：删除标记应为 0 或 1"),
}


@pytest.mark.parametrize("case", sorted(KINGDEE_ERRORS))
def test_kingdee_format_errors_refuse_the_file(tree, tmp_path, capsys, case):
    change, year, fragment = KINGDEE_ERRORS[case]
    records = kingdee_books()
    records[0] |= change
    path = write_kd_csv(tmp_path / "坏.csv", records)
    code, _, err = run(capsys, path, "--org", "A1X", "--year", year)
    assert code == 1 and "文件被拒绝" in err and fragment in err, err
    assert not Dataset.objects.exists()


def test_dbf_text_that_is_not_gbk_is_refused_by_row_and_field(tree, tmp_path, capsys):
    path = write_dbf(tmp_path / "PZ.DBF", kingdee_books())
    data = bytearray(path.read_bytes())
    at = data.index("杭州某体育馆".encode("gbk"))
    data[at : at + 2] = b"\xff\xff"  # not a GBK character
    path.write_bytes(bytes(data))
    code, _, err = run(capsys, path, "--org", "A1X", "--year", "2025")
    assert code == 1 and "文件「PZ.DBF」第 2 行「FOBJNAME1」列：含有无法识别的字节（FF FF" in err and "不是 GBK 编码" in err
    assert not Dataset.objects.exists()


def test_a_damaged_dbf_is_refused_plainly(tree, tmp_path, capsys):
    path = write_dbf(tmp_path / "PZ.DBF", kingdee_books())
    path.write_bytes(path.read_bytes()[:40])  # the header cut short: not a table
    code, _, err = run(capsys, path, "--org", "A1X")
    assert code == 1 and "文件被拒绝" in err and "Traceback" not in err
    assert not Dataset.objects.exists()


# --- 用友 XML --------------------------------------------------------------------------------------


YONYOU_LINES = [
    (1, "2025-01-09", "记", 1, 1, "50205", "1500.00", "0.00", "某某超市"),
    (1, "2025-01-09", "记", 1, 2, "102", "0.00", "1500.00", ""),
    (3, "2025-03-12", "记", 3, 1, "50102", "420.00", "0.00", "C01"),
    (3, "2025-03-12", "记", 3, 2, "102", "0.00", "420.00", ""),
]


@pytest.mark.parametrize("encoding", ["UTF-8", "GB2312"])
def test_yonyou_xml_imports_with_revoked_vouchers_reported(tree, tmp_path, capsys, encoding):
    path = write_xml(tmp_path / "凭证.xml", encoding=encoding)
    code, out, err = run(capsys, path, "--org", "A1X", "--year", "2025")
    assert code == 0, err
    assert "共 4 行凭证分录" in out and "已删除（作废）的凭证 1 张（2 行）未导入" in out
    ds = Dataset.objects.get()
    assert [r[:9] for r in lines(ds)] == YONYOU_LINES
    assert lines(ds, "summary, preparer, reviewer, attachments")[0] == ("购买慰问品", "王芳", "赵强", 1)
    # each line is numbered by the line of its <entry> in the file
    text = path.read_bytes().decode("gb18030" if encoding == "GB2312" else "utf-8").splitlines()
    entry_lines = [i for i, t in enumerate(text, start=1) if t.strip() == "<entry>"]
    assert [r[-1] for r in lines(ds)] == [entry_lines[i] for i in (0, 1, 4, 5)]
    assert ds.quality == {"deleted_voucher": 1}


def test_yonyou_xml_upload_through_the_collect_page(client_for, tmp_path):
    path = write_xml(tmp_path / "u8.xml")
    upload(client_for("a_auditor"), path, org="A1X", fiscal_year="2025")
    job = ImportJob.objects.get()
    assert job.status == JobStatus.DONE, job.errors
    assert job.datasets.get().rows == 4 and "已删除（作废）的凭证 1 张" in job.summary


def _bad_entry_line(path):
    return [i for i, t in enumerate(path.read_text().splitlines(), start=1) if t.strip() == "<entry>"][0]


def test_yonyou_xml_of_another_year_is_refused_by_entry_and_element(tree, tmp_path, capsys):
    path = write_xml(tmp_path / "凭证.xml")
    code, _, err = run(capsys, path, "--org", "A1X", "--year", "2024")
    row = _bad_entry_line(path)
    assert code == 1 and f"文件「凭证.xml」第 {row} 行「会计年度（fiscal_year）」列（值“2025”）：与指定的会计年度 2024 不一致。" in err, err
    assert not Dataset.objects.exists()


def test_yonyou_xml_both_sides_refused(tree, tmp_path, capsys):
    books = [(uf_head(1), [uf_entry(1, "50205", debit="10.00", credit="10.00"), uf_entry(2, "102", credit="10.00")])]
    path = write_xml(tmp_path / "凭证.xml", books)
    code, _, err = run(capsys, path, "--org", "A1X", "--year", "2025")
    assert code == 1 and "「借方金额（natural_debit_currency）」列（值“10.00 / 10.00”）：同一分录的借方和贷方不能同时有金额。" in err, err
    assert not Dataset.objects.exists()


BAD_XML = {
    "malformed": (b'<?xml version="1.0"?>\n<ufinterface>\n<voucher>\n</ufinterface>\n', "第 4 行：XML 格式错误"),
    "xxe": (b'<?xml version="1.0"?>\n<!DOCTYPE ufinterface [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
            b"<ufinterface><voucher><voucher_head><voucher_id>&x;</voucher_id></voucher_head></voucher></ufinterface>",
            "含有文档类型定义或实体（DOCTYPE/ENTITY），出于安全考虑不予读取"),
    "billion_laughs": (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
                       + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10 if i > 1 else b"&lol;" * 10) for i in range(1, 10))
                       + b"]>\n<ufinterface><voucher>&lol9;</voucher></ufinterface>", "出于安全考虑不予读取"),
    "not_ufinterface": (b'<?xml version="1.0"?>\n<html><body/></html>', "不是用友凭证交换文件：根元素应为 ufinterface，实为「html」。"),
    "no_vouchers": (b'<?xml version="1.0"?>\n<ufinterface roottag="voucher"></ufinterface>', "文件中没有凭证"),
    "no_head": (b'<?xml version="1.0"?>\n<ufinterface>\n<voucher><voucher_body/></voucher></ufinterface>',
                "第 3 行「voucher_head」列：凭证缺少凭证头（voucher_head）。"),
    "undeclared_gbk": ('<?xml version="1.0"?>\n<ufinterface><voucher><voucher_head><enter>王芳</enter>'
                       "</voucher_head></voucher></ufinterface>".encode("gbk"), "XML 文件的文字编码无法识别"),
}


@pytest.mark.parametrize("case", sorted(BAD_XML))
def test_hostile_or_broken_xml_is_refused(tree, tmp_path, capsys, case):
    content, fragment = BAD_XML[case]
    path = tmp_path / "坏.xml"
    path.write_bytes(content)
    code, _, err = run(capsys, path, "--org", "A1X", "--year", "2025")
    assert code == 1 and "文件被拒绝" in err and f"文件「坏.xml」" in err and fragment in err, err
    assert "root:" not in err  # /etc/passwd was not read
    assert not Dataset.objects.exists()


def test_hostile_xml_upload_fails_the_job_cleanly(client_for, tmp_path):
    path = tmp_path / "坏.xml"
    path.write_bytes(BAD_XML["xxe"][0])
    upload(client_for("a_auditor"), path, org="A1X", fiscal_year="2025")
    job = ImportJob.objects.get()
    assert job.status == JobStatus.FAILED and "出于安全考虑不予读取" in job.errors[0]["reason"]
    assert not Dataset.objects.exists()
    # the column-mapping page has nothing to offer for it, and says so without failing
    assert client_for("a_auditor").get(f"/collect/jobs/{job.pk}/mapping/").status_code == 200


def test_the_mapping_page_previews_a_dbf_and_an_xml(client_for, tmp_path):
    for path in (write_dbf(tmp_path / "PZ.DBF", kingdee_books()), write_xml(tmp_path / "u8.xml")):
        upload(client_for("a_auditor"), path, org="A1X", fiscal_year="2024")  # refused: another year
        job = ImportJob.objects.latest("pk")
        assert job.status == JobStatus.FAILED
        html = client_for("a_auditor").get(f"/collect/jobs/{job.pk}/mapping/").content.decode()
        assert ("FACCTID" if path.suffix == ".DBF" else "account_code") in html and "50102" in html


def test_records_the_dbf_itself_marks_deleted_are_skipped_but_keep_their_row(tree, tmp_path, capsys):
    records = kingdee_books()
    records.insert(4, kd(num=9, acct="99999", exp="作废的记录"))  # '*' in the table: no voucher at all
    path = write_dbf(tmp_path / "PZ.DBF", records, deleted_in_table={4})
    code, _, err = run(capsys, path, "--org", "A1X", "--year", "2025")
    assert code == 0, err
    assert [r[-1] for r in lines(Dataset.objects.get())] == [2, 3, 7, 8]


def test_entities_in_a_document_of_another_root_are_refused_too(tree, tmp_path, capsys):
    path = tmp_path / "坏.xml"
    path.write_bytes(BAD_XML["billion_laughs"][0].replace(b"<ufinterface><voucher>&lol9;</voucher></ufinterface>",
                                                          b"<lolz>&lol9;</lolz>"))
    code, _, err = run(capsys, path, "--org", "A1X")
    assert code == 1 and "出于安全考虑不予读取" in err


def test_a_mapped_header_with_a_quote_is_named_safely(personas, tmp_path, capsys):
    from jingshen.ledger.services import save_mapping

    save_mapping(personas["prov_admin"], name="带引号", kind="vouchers", mapping={
        "凭证日期": "FDATE", "凭证号": "FNUM", "科目编码": "ACCT'NO", "借方金额": "FDEBIT", "贷方金额": "FCREDIT"})
    records = kingdee_books()
    records[0]["FACCTID"] = "99999"
    path = write_kd_csv(tmp_path / "q.csv", records)
    path.write_bytes(path.read_bytes().replace(b"FACCTID", b"ACCT'NO"))
    code, _, err = run(capsys, path, "--org", "A1X", "--year", "2025", "--mapping", "带引号")
    assert code == 1 and "「科目编码（ACCT'NO）」列（值“99999”）：科目编码不在单位 A1X 的科目表中" in err, err
