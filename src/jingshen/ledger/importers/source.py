"""Streaming a large CSV or an Excel sheet into Arrow batches of text columns named by field,
each row carrying ``_row``: its number as the user sees it in a spreadsheet.

CSV goes through Arrow's multi-threaded reader (GB18030 transcoded on the fly), in bounded
memory. Blank lines stay in the numbering (Arrow yields them as empty rows). Rows with the
wrong number of cells cannot be numbered by Arrow; when there are any, ``locate_invalid``
finds them with Python's csv module and the caller reads the file again with exact numbers.
"""

import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from jingshen.tabular import (
    HEADER_SEARCH_ROWS,
    Field,
    Header,
    RowError,
    TableError,
    detect_encoding,
    match_header,
    raw_rows,
    sniff_kind,
)

BLOCK_SIZE = 16 * 1024 * 1024
SAMPLE_BYTES = 256 * 1024


@dataclass
class Source:
    path: Path
    display: str
    kind: str  # csv | xlsx | xls
    header: Header
    encoding: str = "utf-8"
    delimiter: str = ","
    ncols: int = 0
    bytes_per_row: float = 100.0
    rows_in_excel: list | None = None
    invalid: list[str] = field(default_factory=list)  # texts of rows with a wrong cell count
    invalid_rows: np.ndarray | None = None  # their spreadsheet row numbers, once located

    @property
    def estimated_rows(self) -> int:
        if self.rows_in_excel is not None:
            return len(self.rows_in_excel)
        return max(1, int(self.path.stat().st_size / self.bytes_per_row))

    def batches(self) -> Iterator[pa.Table]:
        fields = list(self.header.positions)
        first_row = self.header.row + 1
        if self.rows_in_excel is not None:
            data = self.rows_in_excel
            cols = {
                name: pa.array([r[pos] if pos < len(r) else "" for r in data], pa.string())
                for name, pos in self.header.positions.items()
            }
            cols["_row"] = pa.array(np.arange(first_row, first_row + len(data), dtype=np.int64))
            yield pa.table(cols)
            return
        self.invalid = []
        names = [f"c{i}" for i in range(self.ncols)]
        wanted = {f"c{pos}": name for name, pos in self.header.positions.items()}

        def on_invalid(row):
            self.invalid.append(row.text)
            return "skip"

        reader = pacsv.open_csv(
            self.path,
            read_options=pacsv.ReadOptions(
                encoding="utf8" if self.encoding == "utf-8-sig" else self.encoding,
                skip_rows=self.header.index + 1,
                column_names=names,
                block_size=BLOCK_SIZE,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=self.delimiter,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                include_columns=list(wanted),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        done = 0
        for batch in reader:
            n = batch.num_rows
            index = np.arange(done, done + n, dtype=np.int64)
            rows = index + first_row
            if self.invalid_rows is not None and len(self.invalid_rows):
                rows = _skip_over(rows, self.invalid_rows)
            done += n
            cols = {wanted[c]: batch.column(c) for c in batch.schema.names}
            cols["_row"] = pa.array(rows)
            yield pa.table({name: cols[name] for name in [*fields, "_row"]})

    def locate_invalid(self) -> None:
        """Find the spreadsheet rows whose cell count differs from the header's (slow path,
        only for files that have such rows) and raise nothing; the caller re-reads."""
        bad = []
        with self.path.open(encoding=self.encoding, newline="") as fh:
            for number, row in enumerate(csv.reader(fh, delimiter=self.delimiter), start=1):
                if number > self.header.row and row and len(row) != self.ncols:
                    bad.append(number)
        self.invalid_rows = np.array(bad, dtype=np.int64)

    def invalid_errors(self) -> list[RowError]:
        return [
            RowError(self.display, int(r), None, None, f"该行有多余或缺少的列（应为 {self.ncols} 列），可能是未加引号的逗号。")
            for r in (self.invalid_rows if self.invalid_rows is not None else [])
        ]


def _skip_over(rows: np.ndarray, skipped: np.ndarray) -> np.ndarray:
    """Shift record numbers past rows the reader dropped: the k-th kept record sits at the
    k-th row number that is not in ``skipped``."""
    out = rows.copy()
    while True:
        shift = np.searchsorted(skipped, out, side="right")
        moved = rows + shift
        if np.array_equal(moved, out):
            return out
        out = moved


def open_source(path, fields: list[Field], display: str | None = None) -> Source:
    path = Path(path)
    display = display or path.name
    kind = sniff_kind(path, display)
    if kind in ("xlsx", "xls"):
        rows = raw_rows(path, display)
        header = _header_with_merge_hint(rows, fields, display)
        return Source(path, display, kind, header, rows_in_excel=rows[header.index + 1 :])
    encoding = detect_encoding(path, display)
    with path.open("rb") as fh:
        sample_bytes = fh.read(SAMPLE_BYTES)
    sample = sample_bytes.decode(encoding, errors="ignore")
    lines = sample.splitlines()
    if len(sample_bytes) == SAMPLE_BYTES and lines:
        lines = lines[:-1]  # the last line may be cut
    first = lines[0] if lines else ""
    delimiter = max(",\t;|", key=first.count) if first else ","
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    header = match_header(rows[: HEADER_SEARCH_ROWS + 1], fields, display)
    data = [r for r in rows[header.index + 1 :] if r]
    if not data:
        raise TableError([RowError(display, header.row, None, None, "只有表头，没有数据行。")])
    # The usual cell count of data rows (exports sometimes end every row with a delimiter).
    ncols = Counter(len(r) for r in data[:200]).most_common(1)[0][0]
    return Source(
        path,
        display,
        kind,
        header,
        encoding=encoding,
        delimiter=delimiter,
        ncols=ncols,
        bytes_per_row=max(20.0, len(sample_bytes) / max(1, len(lines))),
    )


def _header_with_merge_hint(rows, fields, display) -> Header:
    try:
        return match_header(rows, fields, display)
    except TableError as exc:
        for err in exc.errors:
            if err.reason.startswith("缺少必需列"):
                err.reason += "如果表头有合并单元格，请取消合并，使每一列只有一个列名。"
        raise


def preview(path, display: str | None = None, rows: int = 8) -> list[list[str]]:
    """The first rows of a file as text cells, for mapping its columns on the page."""
    path = Path(path)
    display = display or path.name
    if sniff_kind(path, display) in ("xlsx", "xls"):
        return raw_rows(path, display)[:rows]
    encoding = detect_encoding(path, display)
    with path.open(encoding=encoding, newline="", errors="replace") as fh:
        text = fh.read(SAMPLE_BYTES)
    first = text.split("\n", 1)[0]
    delimiter = max(",\t;|", key=first.count) if first else ","
    return [r for _, r in zip(range(rows), csv.reader(io.StringIO(text), delimiter=delimiter))]
