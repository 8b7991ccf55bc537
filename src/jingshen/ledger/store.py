"""The dataset store: Parquet folders under JINGSHEN_HOME/datasets, one per
(kind, fiscal year, unit, version), in a hive-style layout Spark reads as is:

    datasets/kind=vouchers/year=2025/org=330101001/version=1/data.parquet
                                                            vouchers.parquet  one row per voucher (vouchers only)
                                                            texts.parquet     distinct 摘要 and payees (vouchers only)
                                                            summary.parquet   per account and period
                                                            quality.parquet   data-quality issues

Readers must pass ``hive_partitioning = false`` to DuckDB's read_parquet: the folder names
would otherwise add (and override) columns such as ``org``, turning codes into numbers.

Every dataset is built in a staging folder on the same file system and renamed into place;
the Dataset row committed in the same database transaction is what makes it visible. A crash
at any point leaves either the old state or the new one: a folder without its row is a
leftover that is never read and is removed by the next import that needs its name.
"""

import fcntl
import os
import shutil
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
    return f"kind={kind}/year={year}/org={org_code}/version={version}"


def dataset_dir(dataset) -> Path:
    return root() / dataset.path


def parquet_path(dataset, name: str = "data") -> Path:
    return dataset_dir(dataset) / f"{name}.parquet"


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


def publish(staged: Path, rel: str, *, registered: bool) -> None:
    """Move a staged dataset folder to its place. ``registered`` says whether a Dataset row
    already claims ``rel``: then the target must not exist; otherwise a folder there is a
    leftover of an interrupted import and is replaced."""
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
