"""Reading user-supplied tables (CSV or Excel) into rows keyed by field, with errors that
name the file, the row as the user sees it in a spreadsheet (header = row 1 when it is the
first line) and the column.

This is the shared front door of every importer: encoding detection (UTF-8 with or without
BOM, GB18030/GBK, UTF-16 with BOM), file-kind sniffing by content (never by extension),
refusal of XLSX files that would decompress beyond a limit, header aliases (numbered ones
too: FCLSNAME1, FCLSNAME2 …), title rows above the header, blank rows and a trailing totals
row (合计). DBF tables (as 金蝶 and other finance programs export them) read as a sheet whose
first row is the field names; XML is recognised here and read by the importer that knows its
layout (``ledger.importers.ufinterface``).
"""

import codecs
import contextlib
import csv
import datetime
import io
import os
import re
import struct
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

MAX_ERRORS_SHOWN = 200
HEADER_SEARCH_ROWS = 20
TOTAL_WORDS = {"合计", "总计", "本页合计", "累计", "本期合计", "总合计"}
# An XLSX is a zip; refuse one whose members would inflate beyond this before reading it.
MAX_XLSX_UNCOMPRESSED = int(os.environ.get("JINGSHEN_MAX_XLSX_MB", "1024")) * 1024 * 1024
MAX_XLSX_RATIO = 200  # real spreadsheets compress 5-20x; bombs compress 1000x+


@dataclass
class RowError:
    """One problem in one place of one file."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        where = f"文件「{self.file}」"
        if self.row is not None:
            where += f"第 {self.row} 行"
        if self.column:
            where += f"「{self.column}」列"
        if self.value not in (None, ""):
            where += f"（值“{self.value}”）"
        return f"{where}：{self.reason}"

    def as_dict(self) -> dict:
        return {"file": self.file, "row": self.row, "column": self.column, "value": self.value, "reason": self.reason}


class TableError(Exception):
    """The file is refused as a whole; ``errors`` lists the problems found (all of them, or
    the first ones when ``total`` says how many there are in all)."""

    def __init__(self, errors: list[RowError], total: int | None = None):
        self.errors = errors
        self.total = total if total is not None else len(errors)
        super().__init__(self.report())

    def report(self, limit: int = MAX_ERRORS_SHOWN) -> str:
        lines = [str(e) for e in self.errors[:limit]]
        if self.total > min(limit, len(self.errors)):
            lines.append(f"……共 {self.total:,} 处错误，仅显示前 {min(limit, len(self.errors))} 处。")
        elif self.total > 1:
            lines.append(f"共 {self.total} 处错误。")
        return "\n".join(lines)


@dataclass
class Field:
    """A column an importer understands: its canonical Chinese name and the aliases of it
    seen in real exports."""

    name: str
    required: bool = True
    aliases: tuple[str, ...] = ()
    # A numbered family of columns (金蝶's FCLSNAME1, FCLSNAME2 …): a header that is the name or
    # an alias followed by a number n maps to the field ``f"{name}{n}"``; without a number, to n = 1.
    numbered: bool = False


def with_mapping(fields: list[Field], mapping: dict[str, str] | None) -> list[Field]:
    """The fields with a saved column mapping (field name -> header text in the user's
    files, like AO's conversion templates) added as aliases."""
    if not mapping:
        return fields
    return [Field(f.name, f.required, (*f.aliases, mapping[f.name]) if mapping.get(f.name) else f.aliases, f.numbered)
            for f in fields]


@dataclass
class Table:
    file: str
    header_row: int
    columns: dict[str, str]  # canonical field name -> header text as written in the file
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (row number, values)


def normalize_header(text: str) -> str:
    """Header text compared loosely: NFKC (full-width → half-width), no spaces, no required
    markers (*), no unit suffix in brackets, lower case."""
    text = unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "")
    text = re.sub(r"\s+", "", text).strip("*")
    text = re.sub(r"\((元|人|个|%)\)$", "", text)
    return text.lower()


def cell_text(value) -> str:
    """A cell as text: Excel numbers that are whole print without '.0', dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


# --- file kinds -------------------------------------------------------------------------

NOT_A_TABLE = "不是 CSV、Excel（XLSX/XLS）、DBF 或 XML 文件，无法读取。"


def sniff_kind(path: Path, display: str) -> str:
    """'xlsx', 'xls', 'dbf', 'xml' or 'csv', judged from the content; raise TableError otherwise."""
    size = path.stat().st_size
    if size == 0:
        raise TableError([RowError(display, None, None, None, "文件为空（0 字节），没有任何内容。")])
    with path.open("rb") as fh:
        head = fh.read(8192)
    if head.startswith(b"PK\x03\x04"):
        _check_xlsx(path, display)
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "csv"  # UTF-16 text, as Excel's "Unicode 文本" export writes it
    if _is_dbf(head, size):
        return "dbf"
    if head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith((b"<?xml", b"<ufinterface")):
        return "xml"
    if b"\x00" in head or head.startswith((b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"Rar!", b"\x1f\x8b")):
        raise TableError([RowError(display, None, None, None, NOT_A_TABLE)])
    return "csv"


# The version bytes of dBase III/IV/5, FoxPro and Visual FoxPro tables.
DBF_VERSIONS = {0x02, 0x03, 0x04, 0x05, 0x30, 0x31, 0x32, 0x43, 0x63, 0x7B, 0x83, 0x8B, 0x8E, 0xCB, 0xE5, 0xF5, 0xFB}


def _is_dbf(head: bytes, size: int) -> bool:
    """A DBF table: a known version byte, a plausible last-update date, and a header that is
    32 bytes plus 32 per field, closed by 0x0D, with records that fit the file's size."""
    if len(head) < 65 or head[0] not in DBF_VERSIONS or not (1 <= head[2] <= 12 and 1 <= head[3] <= 31):
        return False
    records = int.from_bytes(head[4:8], "little")
    header_len = int.from_bytes(head[8:10], "little")
    record_len = int.from_bytes(head[10:12], "little")
    if header_len < 65 or record_len < 2 or header_len + records * record_len > size:
        return False
    ends = [i for i in range(32, min(header_len, len(head)), 32) if head[i] == 0x0D]
    return bool(ends)


def _check_xlsx(path: Path, display: str) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
    except zipfile.BadZipFile:
        raise TableError([RowError(display, None, None, None, "压缩结构已损坏，不是有效的 XLSX 文件。")]) from None
    if "xl/workbook.xml" not in names:
        raise TableError([RowError(display, None, None, None, "是压缩包但不是 XLSX 工作簿，无法读取。")])
    total = sum(i.file_size for i in infos)
    compressed = max(1, sum(i.compress_size for i in infos))
    if total > MAX_XLSX_UNCOMPRESSED or total / compressed > MAX_XLSX_RATIO and total > 50 * 1024 * 1024:
        raise TableError(
            [
                RowError(
                    display,
                    None,
                    None,
                    None,
                    f"XLSX 解压后约 {total / 1024 / 1024:,.0f} MB，超过上限 "
                    f"{MAX_XLSX_UNCOMPRESSED / 1024 / 1024:,.0f} MB，已拒绝读取（请拆分文件或改用 CSV）。",
                )
            ]
        )


# --- text decoding ----------------------------------------------------------------------

CHUNK = 8 * 1024 * 1024


def detect_encoding(path: Path, display: str) -> str:
    """The Python codec of a text file: UTF-16 (BOM), UTF-8 (BOM optional) or GB18030 (a
    superset of GBK and GB2312). The whole file is checked in chunks, in bounded memory. If
    no encoding fits, the error names the row and column of the first bad byte."""
    with path.open("rb") as fh:
        head = fh.read(4)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    failures = []
    for codec in ("utf-8-sig", "gb18030"):
        failure = _decode_failure(path, codec)
        if failure is None:
            return codec
        failures.append(failure)
    raise encoding_error(display, failures)


def sniff_encoding(path: Path, display: str, sample_bytes: int = 1024 * 1024) -> str:
    """The likely codec from the first megabyte only (for streaming readers, which decode the
    rest themselves and call ``encoding_error_at`` if a later byte does not fit)."""
    with path.open("rb") as fh:
        head = fh.read(sample_bytes)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if len(head) == sample_bytes:
        head = head[: head.rfind(b"\n") + 1] or head
    for codec in ("utf-8-sig", "gb18030"):
        try:
            head.decode(codec)
            return codec
        except UnicodeDecodeError:
            continue
    return detect_encoding(path, display)  # raises with the location of the bad byte


def encoding_error_at(path: Path, display: str, codec: str) -> TableError:
    """The error for a file that stopped decoding with ``codec`` part-way through."""
    failure = _decode_failure(path, codec)
    if failure is None:  # the reader failed for another reason; report it plainly
        return TableError([RowError(display, None, None, None, "文件编码不一致，无法读取。请另存为 UTF-8 或 XLSX 后重试。")])
    return encoding_error(display, [failure])


def encoding_error(display: str, failures) -> TableError:
    offset, row, column, bad = max(failures)  # the encoding that got furthest
    return TableError(
        [
            RowError(
                display,
                row,
                f"第 {column} 列",
                None,
                f"含有无法识别的字节（{bad}），文件既不是 UTF-8 也不是 GB18030/GBK 编码，"
                "请用 Excel 或 WPS 另存为 CSV（UTF-8）或 XLSX 后重试。",
            )
        ]
    )


def _decode_failure(path: Path, codec: str):
    """None if the file decodes; else (offset, row, column, bytes) of the first bad byte."""
    decoder = codecs.getincrementaldecoder(codec)()
    lines_before = 0
    position = 0
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(CHUNK)
            final = not chunk
            try:
                decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                # exc.start is relative to the decoder's buffered input, which begins at most
                # a few bytes before this chunk; clamp to the chunk.
                start = max(0, min(len(chunk), exc.start - (len(exc.object) - len(chunk))))
                line_start = chunk.rfind(b"\n", 0, start) + 1
                prefix = chunk[line_start:start]
                column = prefix.count(b",") + prefix.count(b"\t") + 1
                row = lines_before + chunk.count(b"\n", 0, start) + 1
                return position + start, row, column, chunk[start : start + 4].hex(" ").upper()
            if final:
                return None
            lines_before += chunk.count(b"\n")
            position += len(chunk)


def _csv_rows(path: Path, display: str) -> list[list[str]]:
    text = path.read_text(encoding=detect_encoding(path, display))
    first_line = text.split("\n", 1)[0]
    delimiter = max(",\t;|", key=first_line.count) if first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [[c.strip() for c in row] for row in reader]
    except csv.Error as exc:
        raise TableError([RowError(display, reader.line_num, None, None, f"CSV 格式错误：{exc}")]) from None


def _excel_rows(path: Path, display: str) -> list[list[str]]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        sheet = book.get_sheet_by_index(0)
        data = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise TableError([RowError(display, None, None, None, f"Excel 文件无法读取：{exc}")]) from None
    return [[cell_text(c) for c in row] for row in data]


def raw_rows(path: Path, display: str | None = None) -> list[list[str]]:
    """All rows of the first sheet (Excel), of the DBF table (field names first) or of the
    CSV, as text cells."""
    path = Path(path)
    display = display or path.name
    kind = sniff_kind(path, display)
    if kind in ("xlsx", "xls"):
        return _excel_rows(path, display)
    if kind == "dbf":
        return dbf_rows(path, display)
    if kind == "xml":
        raise TableError([RowError(display, None, None, None, "XML 文件只能作为凭证导入（用友凭证交换格式 ufinterface）。")])
    return _csv_rows(path, display)


# --- DBF tables ---------------------------------------------------------------------------

# The code page byte (header offset 29) of the tables these programs write is 0x7A or 0x4D
# (GBK, Windows 936), often 0 or a Western code page by mistake: every table is read as GBK
# (as GB18030, its superset) unless its byte says Big5.
DBF_BIG5 = {0x4F, 0x78}


def dbf_rows(path: Path, display: str) -> list[list[str]]:
    """The rows of a DBF table: its field names, then one row per record, as text cells, so
    that record n is row n + 1 (as WPS or Excel show the table). Numbers stay the text the
    file holds (exact decimals, never floats). Records the table itself marks deleted (the
    '*' flag) become blank rows: skipped, but counted in the numbering. Text that is not GBK,
    or a damaged date, is an error naming its row and field."""
    import mmap

    import numpy as np
    from dbfread import DBF, FieldParser

    with path.open("rb") as fh:
        code_page = fh.read(32)[29]
    codec = "cp950" if code_page in DBF_BIG5 else "gb18030"
    problems: list[tuple[str, str]] = []

    class TextParser(FieldParser):
        def parseC(self, field, data):
            data = data.rstrip(b"\0 ")
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                bad = data[exc.start : exc.start + 4].hex(" ").upper()
                problems.append((field.name, f"含有无法识别的字节（{bad}），不是 GBK 编码的文字；请在财务软件中重新导出，或另存为 XLSX 后重试。"))
                return ""

        def parseN(self, field, data):
            return data.replace(b"\0", b"").strip().decode("ascii", "replace")

        parseF = parseN

        def parseD(self, field, data):
            try:
                return super().parseD(field, data)
            except ValueError:
                return data.decode("ascii", "replace").strip()  # the importer names it as a bad date

        def parseL(self, field, data):
            try:
                return super().parseL(field, data)
            except ValueError:
                return data.decode("ascii", "replace")

    try:
        table = DBF(str(path), encoding=codec, parserclass=TextParser, ignore_missing_memofile=True, recfactory=None)
        header_len, record_len = table.header.headerlen, table.header.recordlen
        names = list(table.field_names)
        with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            count = min(table.header.numrecords, max(0, (len(mm) - header_len) // record_len))
            flags = np.frombuffer(mm[header_len : header_len + count * record_len : record_len], dtype=np.uint8)
        live = np.flatnonzero(flags == 0x20)
        rows = [[str(n) for n in names]] + [[""] * len(names) for _ in range(count)]
        errors = []
        for position, items in zip(live, table):
            number = int(position) + 2
            rows[number - 1] = [cell_text(value) for _, value in items]
            if problems:
                errors += [RowError(display, number, name, None, reason) for name, reason in problems]
                problems.clear()
                if len(errors) >= MAX_ERRORS_SHOWN:
                    break
    except (ValueError, OSError, struct.error) as exc:  # a damaged header or field list
        raise TableError([RowError(display, None, None, None, f"DBF 文件已损坏，无法读取（{exc}）。")]) from None
    if errors:
        raise TableError(errors)
    return rows


# --- header mapping ---------------------------------------------------------------------

@dataclass
class Header:
    """Where the header is (0-based index in the file's rows) and which column holds which field."""

    index: int
    positions: dict[str, int]  # canonical field name -> 0-based column
    columns: dict[str, str]  # canonical field name -> header text as written in the file

    @property
    def row(self) -> int:
        return self.index + 1


def header_lookup(fields: list[Field]):
    """The function from a header cell to the field it names (None if none): names and
    aliases compared loosely (normalize_header), numbered fields with their number."""
    plain: dict[str, str] = {}
    numbered: dict[str, str] = {}
    for f in fields:
        for alias in (f.name, *f.aliases):
            (numbered if f.numbered else plain)[normalize_header(alias)] = f.name

    def lookup(text) -> str | None:
        key = normalize_header(text)
        if key in plain:
            return plain[key]
        if key in numbered:
            return f"{numbered[key]}1"
        found = re.fullmatch(r"(.+?)0*([1-9][0-9]?)", key)
        if found and found.group(1) in numbered:
            return f"{numbered[found.group(1)]}{found.group(2)}"
        return None

    return lookup


def match_header(rows: list[list[str]], fields: list[Field], display: str) -> Header:
    """Find the header among the first rows (exports often put a title above it) and map its
    cells to fields through their aliases. TableError names a missing or duplicated column."""
    lookup = header_lookup(fields)
    best_index, best_hits = None, 0
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        hits = len({name for name in map(lookup, row) if name})
        if hits > best_hits:
            best_index, best_hits = index, hits
    if not any(any(c for c in row) for row in rows):
        raise TableError([RowError(display, None, None, None, "文件中没有任何数据（空表）。")])
    if best_index is None:
        expected = "、".join(f.name for f in fields if f.required)
        raise TableError(
            [RowError(display, 1, None, None, f"找不到表头行：前 {HEADER_SEARCH_ROWS} 行中没有可识别的列名，应包含：{expected}。")]
        )
    header = rows[best_index]
    positions: dict[str, int] = {}
    columns: dict[str, str] = {}
    errors: list[RowError] = []
    for pos, text in enumerate(header):
        name = lookup(text)
        if name is None:
            continue
        if name in positions:
            errors.append(RowError(display, best_index + 1, text, None, f"与第 {positions[name] + 1} 列重复，都表示「{name}」。"))
            continue
        positions[name] = pos
        columns[name] = text
    for f in fields:
        if f.required and f.name not in positions:
            near = _closest(f, [h for h in header if lookup(h) is None])
            hint = f"（表头中的「{near}」是否拼写有误？）" if near else ""
            errors.append(RowError(display, best_index + 1, f.name, None, f"缺少必需列「{f.name}」{hint}。"))
    if errors:
        raise TableError(errors)
    return Header(best_index, positions, columns)


def is_total_row(cells) -> bool:
    """A 合计/总计 row as exports append at the end."""
    first = next((c for c in cells if c), "")
    return normalize_header(first) in TOTAL_WORDS


@contextlib.contextmanager
def uploaded(upload, default_name: str = "上传文件"):
    """A file uploaded on a page as (path, display name) for ``read_table`` and the importers
    that take a path: written to a temporary folder, removed when the block ends. The display
    name is the upload's base name (never a path the browser sent)."""
    display = Path(upload.name or "").name[:200] or default_name
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload"
        with path.open("wb") as fh:
            for chunk in upload.chunks():
                fh.write(chunk)
        yield path, display


def read_table(path, fields: list[Field], display: str | None = None) -> Table:
    """Read a small file (units, charts) into a Table of canonical fields. Raises TableError
    for a missing column, an empty file, a file that is not a table, or undecodable text."""
    path = Path(path)
    display = display or path.name
    rows = raw_rows(path, display)
    header = match_header(rows, fields, display)
    table = Table(file=display, header_row=header.row, columns=header.columns)
    for index in range(header.index + 1, len(rows)):
        row = rows[index]
        if not any(row) or is_total_row(row):
            continue
        values = {name: (row[pos] if pos < len(row) else "") for name, pos in header.positions.items()}
        table.rows.append((index + 1, values))
    if not table.rows:
        raise TableError([RowError(display, header.row, None, None, "只有表头，没有数据行。")])
    return table


def _closest(f: Field, header: list[str]) -> str | None:
    """A header cell that shares most characters with the missing field name (a typo)."""
    import difflib

    candidates = [h for h in header if h]
    names = [f.name, *f.aliases]
    best = None
    for h in candidates:
        score = max(difflib.SequenceMatcher(None, normalize_header(h), normalize_header(n)).ratio() for n in names)
        if score >= 0.5 and (best is None or score > best[0]):
            best = (score, h)
    return best[1] if best else None
