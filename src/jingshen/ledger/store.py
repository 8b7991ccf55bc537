"""The dataset store: Parquet files under JINGSHEN_HOME/datasets.

Voucher datasets are packed: one import writes one folder (a pack) holding every unit-year it
created, and each of its Dataset rows names that folder as its ``path``:

    datasets/kind=vouchers/pack=20261202-0a1b2c3d4e5f/data.parquet      the lines, by fiscal_year, org, file row
                                                      vouchers.parquet  one row per voucher
                                                      texts.parquet     distinct 摘要 and payees per unit-year
                                                      summary.parquet   per unit-year, account and period
                                                      quality.parquet   data-quality issues per unit-year

Every file of a pack has the columns ``org`` and ``fiscal_year``; within a pack they identify a
dataset (an import makes at most one version of a unit-year), so a reader of one dataset filters
on them (``scan``), and the rows are sorted by them so that such a filter reads only the row
groups of that unit. A pack's files hold exactly the datasets whose rows name the pack: the
importer leaves out the unit-years equal to their latest version before writing, and Dataset
rows are never deleted. A re-import of one unit writes a pack of that unit alone; the older
version stays in its pack, untouched, and screening reads a pack unfiltered only when the run
uses every dataset it holds (screening/engine.py).

Why packs (docs/benchmarks.md, 2026-12-02): at a province's shape (thousands of grassroots units
of a few hundred to a few thousand lines) a folder of five files per unit-year made the import
write and sync 15,000 files for 3,000 units, and every screening rule open them all; a pack
costs the same per line whatever the number of units in the file.

Balance datasets (科目余额, one small file per unit-year, read by 查账 only) keep one folder
per dataset version:

    datasets/kind=balances/year=2025/org=330101001/version=1/data.parquet, quality.parquet

Readers must pass ``hive_partitioning = false`` to DuckDB's read_parquet: the folder names
would otherwise add (and override) columns such as ``org``, turning codes into numbers.

Every folder is built in a staging folder on the same file system and renamed into place;
the Dataset rows committed in the same database transaction are what make it visible. A crash
at any point leaves either the old state or the new one: a folder without its rows is a
leftover that is never read; a later import removes leftover packs (``remove_leftover_packs``)
and a dataset folder when it needs its name.
"""

import fcntl
import os
import shutil
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

CRASH_ENV = "JINGSHEN_CRASH_AT"


def root() -> Path:
    path = Path(settings.HOME) / "datasets"
    path.mkdir(parents=True, exist_ok=True)
    return path


def relative_path(kind: str, year: int, org_code: str, version: int) -> str:
    """The folder of one dataset version (balances)."""
    return f"kind={kind}/year={year}/org={org_code}/version={version}"


PACK = "pack="


def pack_path(kind: str) -> str:
    """A new pack's folder (vouchers): unique, so no two imports ever write the same one."""
    return f"kind={kind}/{PACK}{time.strftime('%Y%m%d')}-{uuid.uuid4().hex[:12]}"


def is_packed(dataset) -> bool:
    return f"/{PACK}" in f"/{dataset.path}"


def dataset_dir(dataset) -> Path:
    return root() / dataset.path


def parquet_path(dataset, name: str = "data") -> Path:
    """The file ``name`` of the dataset's folder: for a packed dataset, shared with the pack's
    other datasets (read it through ``scan``)."""
    return dataset_dir(dataset) / f"{name}.parquet"


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def scan(dataset, name: str = "data") -> str:
    """SQL (DuckDB) for the dataset's rows of its file ``name``: the file itself, or for a packed
    dataset the file filtered to its unit and year (row groups of other units are skipped)."""
    read = f"read_parquet({sql_literal(str(parquet_path(dataset, name)))}, hive_partitioning = false)"
    if not is_packed(dataset):
        return read
    return f"(SELECT * FROM {read} WHERE org = {sql_literal(dataset.org.code)} AND fiscal_year = {int(dataset.fiscal_year)})"


def scan_many(datasets, name: str = "data") -> str:
    """SQL (DuckDB) for the rows of file ``name`` of several datasets at once, each row with its
    dataset's id as ``ds``: one read per file, so the datasets of a pack are read together (a
    UNION of ``scan`` per dataset reads a pack once per dataset)."""
    by_file: dict[Path, list] = {}
    for dataset in datasets:
        by_file.setdefault(parquet_path(dataset, name), []).append(dataset)
    parts = []
    for path, members in by_file.items():
        read = f"read_parquet({sql_literal(str(path))}, hive_partitioning = false)"
        if not is_packed(members[0]):
            parts.append(f"SELECT {int(members[0].pk)} AS ds, * FROM {read}")
            continue
        keys = ", ".join(f"({sql_literal(d.org.code)}, {int(d.fiscal_year)}, {int(d.pk)})" for d in members)
        parts.append(f"SELECT m.ds, d.* FROM {read} d JOIN (VALUES {keys}) m(org_code, year, ds) "
                     "ON d.org = m.org_code AND d.fiscal_year = m.year")
    return "(" + " UNION ALL BY NAME ".join(parts) + ")" if parts else ""


# The files every dataset folder holds (a pack's are shared by its datasets).
FILES = {
    "vouchers": ("data", "vouchers", "texts", "summary", "quality"),
    "balances": ("data", "quality"),
}

# A dataset's content checksum (Dataset.checksum): the row count and the sum of the hashes of its
# values, over its lines (``data``.parquet, or the importer's table before it is written). It is
# computed from the values, not the file's bytes, so that an identical re-import is recognised
# whatever the layout, and so that `jingshen check` can recompute it from the stored file.
CHECKSUM_SQL = {
    "vouchers": (
        "count(*) || '-' || sum(hash(period, date, voucher_type, voucher_no, line_no, summary, account_code, account_name, "
        "debit, credit, counterparty, settlement, preparer, reviewer, attachments, invoice_no))::HUGEINT"
    ),
    "balances": "count(*) || '-' || sum(hash(account_code, account_name, opening, period_debit, period_credit, closing))::HUGEINT",
}


def missing_files(dataset) -> list[str]:
    """The names of the dataset's files that are not in its folder (empty when complete)."""
    folder = dataset_dir(dataset)
    return [f"{name}.parquet" for name in FILES[dataset.kind] if not (folder / f"{name}.parquet").is_file()]


def stored_checksum(con, dataset) -> str:
    """The content checksum of the dataset as its stored lines give it now: equal to
    ``dataset.checksum`` unless a file was altered (DuckDB connection ``con``)."""
    return str(con.execute(f"SELECT {CHECKSUM_SQL[dataset.kind]} FROM {scan(dataset)}").fetchall()[0][0])


def stored_pack_checksums(con, rel: str, kind: str) -> dict[tuple[str, int], str]:
    """The content checksum of every unit-year in the pack ``rel`` (one pass over its lines
    instead of one filtered read per dataset), keyed by (unit code, fiscal year)."""
    read = f"read_parquet({sql_literal(str(root() / rel / 'data.parquet'))}, hive_partitioning = false)"
    rows = con.execute(f"SELECT org, fiscal_year, {CHECKSUM_SQL[kind]} FROM {read} GROUP BY 1, 2").fetchall()
    return {(org, int(year)): str(checksum) for org, year, checksum in rows}


def checkpoint(name: str) -> None:
    """Crash-safety tests set JINGSHEN_CRASH_AT to a checkpoint name: the process then dies
    there as abruptly as a kill -9 (no cleanup, no exception handlers)."""
    if os.environ.get(CRASH_ENV) == name:
        os._exit(137)


@contextmanager
def staging():
    """A fresh staging folder on the store's file system, removed afterwards."""
    base = root() / ".staging"
    base.mkdir(exist_ok=True)
    _remove_dead_staging(base)
    path = base / f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
    path.mkdir()
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _remove_dead_staging(base: Path) -> None:
    for entry in base.iterdir():
        pid = entry.name.split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def publish_lock():
    """Serialises publishing, so two imports never pick the same version folder."""
    with (root() / ".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def remove_leftover_packs(kind: str, referenced: set[str]) -> None:
    """Remove the packs of ``kind`` that no Dataset row names (``referenced``: the paths that
    rows name): leftovers of imports that crashed after renaming their pack into place. Call it
    holding ``publish_lock`` inside the transaction that publishes, so no import is between its
    rename and its commit."""
    folder = root() / f"kind={kind}"
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        if entry.name.startswith(PACK) and f"kind={kind}/{entry.name}" not in referenced:
            shutil.rmtree(entry, ignore_errors=True)


def publish(staged: Path, rel: str, *, registered: bool) -> None:
    """Move a staged folder (a dataset's or a pack) to its place. ``registered`` says whether a
    Dataset row already claims ``rel``: then the target must not exist; otherwise a folder there
    is a leftover of an interrupted import and is replaced."""
    target = root() / rel
    if target.exists():
        if registered:
            raise RuntimeError(f"dataset folder {rel} already belongs to a dataset")
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    for f in staged.iterdir():
        _fsync(f)
    os.rename(staged, target)
    _fsync(target.parent)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
