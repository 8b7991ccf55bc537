"""Streaming a large CSV or an Excel sheet into Arrow batches of text columns named by field,
each row carrying ``_row``: its number as the user sees it in a spreadsheet. A DBF table is
read like a sheet (field names in row 1), a 用友 XML voucher file as the rows
``ufinterface.read_rows`` makes of it, numbered by the line of each entry.

CSV goes through Arrow's multi-threaded reader (GB18030 transcoded on the fly), in bounded
memory. Blank lines stay in the numbering (Arrow yields them as empty rows). Rows with the
wrong number of cells cannot be numbered by Arrow; when there are any, ``locate_invalid``
finds them with Python's csv module and the caller reads the file again with exact numbers.
"""

import csv
import io
from contextlib import contextmanager
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from jingshen.ledger.importers import ufinterface
from jingshen.tabular import (
    HEADER_SEARCH_ROWS,
    Field,
    Header,
    RowError,
    TableError,
    encoding_error_at,
    match_header,
    raw_rows,
    sniff_encoding,
    sniff_kind,
)

BLOCK_SIZE = 4 * 1024 * 1024  # smaller blocks keep Arrow's read-ahead (outside DuckDB's limit) small
GROUP_ROWS = 250_000  # rows validated per DuckDB statement (see in_groups): ~9 of Arrow's blocks
SAMPLE_BYTES = 256 * 1024


@dataclass
class Source:
    path: Path
    display: str
    kind: str  # csv | xlsx | xls | dbf | xml
    header: Header
    encoding: str = "utf-8"
    delimiter: str = ","
    ncols: int = 0
    bytes_per_row: float = 100.0
    rows_in_excel: list | None = None  # the data rows of a file read whole (Excel, DBF, XML)
    row_numbers: list[int] | None = None  # their numbers when not consecutive (XML: line of each entry)
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
            if self.row_numbers is not None:
                cols["_row"] = pa.array(np.array(self.row_numbers, dtype=np.int64))
            else:
                cols["_row"] = pa.array(np.arange(first_row, first_row + len(data), dtype=np.int64))
            yield pa.table(cols)
            return
        self.invalid = []
        names = [f"c{i}" for i in range(self.ncols)]
        wanted = {f"c{pos}": name for name, pos in self.header.positions.items()}

        def on_invalid(row):
            self.invalid.append(row.text)
            return "skip"

        with self._decoding():
            reader = self._open_csv(names, wanted, on_invalid)
        done = 0
        for batch in self._decoded(reader):
            n = batch.num_rows
            index = np.arange(done, done + n, dtype=np.int64)
            rows = index + first_row
            if self.invalid_rows is not None and len(self.invalid_rows):
                rows = _skip_over(rows, self.invalid_rows)
            done += n
            cols = {wanted[c]: batch.column(c) for c in batch.schema.names}
            cols["_row"] = pa.array(rows)
            yield pa.table({name: cols[name] for name in [*fields, "_row"]})

    def _open_csv(self, names, wanted, on_invalid):
        return pacsv.open_csv(
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

    @contextmanager
    def _decoding(self):
        """A byte the sniffed encoding cannot decode further into the file becomes an error
        naming its row and column (Arrow reports it when it reads the block)."""
        try:
            yield
        except (UnicodeDecodeError, pa.ArrowInvalid) as exc:
            text = str(exc).lower()
            if isinstance(exc, pa.ArrowInvalid) and "decode" not in text and "utf8" not in text:
                raise
            raise encoding_error_at(self.path, self.display, self.encoding) from None

    def _decoded(self, reader):
        while True:
            with self._decoding():
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    return
            yield batch

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


def in_groups(batches: Iterator[pa.Table], rows: int | None = None) -> Iterator[pa.Table]:
    """Join Arrow's small blocks into tables of at least ``rows`` (default GROUP_ROWS) rows,
    the last may be smaller, still chunked: DuckDB scans one chunk per thread, so a statement
    over a group uses every core, and there are fewer statements to plan."""
    rows = rows or GROUP_ROWS
    group, count = [], 0
    for batch in batches:
        group.append(batch)
        count += batch.num_rows
        if count >= rows:
            yield pa.concat_tables(group)
            group, count = [], 0
    if group:
        yield pa.concat_tables(group)


def prefetch(batches: Iterator[pa.Table], depth: int = 2) -> Iterator[pa.Table]:
    """Read the next batches in a background thread while the caller validates the current
    one: Arrow's parsing and DuckDB's validation both release the GIL, so they overlap. If the
    caller stops early (an error), the thread is told to stop and ends."""
    import queue
    import threading

    box: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work():
        try:
            for batch in batches:
                if not put(batch):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put(exc)
            return
        put(done)

    thread = threading.Thread(target=work, daemon=True, name="csv-prefetch")
    thread.start()
    try:
        while True:
            item = box.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


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
    if kind in ("xlsx", "xls", "dbf"):
        rows = raw_rows(path, display)
        header = _header_with_merge_hint(rows, fields, display)
        return Source(path, display, kind, header, rows_in_excel=rows[header.index + 1 :])
    if kind == "xml":
        names, rows, numbers = ufinterface.read_rows(path, display)
        header = match_header([names], fields, display)
        return Source(path, display, kind, header, rows_in_excel=rows, row_numbers=numbers)
    encoding = sniff_encoding(path, display)
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
    kind = sniff_kind(path, display)
    if kind in ("xlsx", "xls", "dbf"):
        return raw_rows(path, display)[:rows]
    if kind == "xml":
        names, data, _ = ufinterface.read_rows(path, display)
        return [names, *data[: rows - 1]]
    encoding = sniff_encoding(path, display)
    with path.open(encoding=encoding, newline="", errors="replace") as fh:
        text = fh.read(SAMPLE_BYTES)
    first = text.split("\n", 1)[0]
    delimiter = max(",\t;|", key=first.count) if first else ","
    return [r for _, r in zip(range(rows), csv.reader(io.StringIO(text), delimiter=delimiter))]
