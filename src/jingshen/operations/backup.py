"""``jingshen backup``: the whole platform as one archive, consistent while users work.

1. **Database snapshot first.** SQLite: the online backup API copies the database in one step
   under a read transaction (WAL: writers go on meanwhile). PostgreSQL: a REPEATABLE READ
   transaction exports its snapshot, ``pg_dump --snapshot`` dumps exactly that snapshot, and
   the same transaction reads the rows below. Either way the rows read are the rows dumped.
2. **Then exactly the files the snapshot's rows name**: the dataset folders of its Dataset rows,
   the uploads of its ImportJob rows, the files of its Evidence and GeneratedDocument rows.
   A file written after the snapshot is not in the archive (its row is not either); a file a
   row names is always there, because every writer stores the file before committing the row
   and no file is ever changed or removed once written (ledger/store.py, audits/evidence.py).
   A named file that is missing is an error: the backup would not be whole.
3. The archive is written to ``FILE.part`` and renamed to FILE only when complete and synced;
   on any failure (a full disk, an interruption) the partial file is removed.

``--incremental EARLIER``: files already listed in EARLIER's manifest (same path and size; they
never change) are listed with the backup that holds them and not stored again.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from jingshen.operations.manifest import (
    DB_PREFIX,
    MANIFEST,
    SECRET,
    Archive,
    BackupError,
    Entry,
    Manifest,
    human_size,
    release,
)

Progress = Callable[[float, str], None]

# Called (with no argument) between the database snapshot and the file copy. Tests set it to
# write rows and files "while the backup runs"; nothing else uses it.
after_snapshot: Callable[[], None] | None = None


@dataclass
class Snapshot:
    engine: str
    db_file: Path
    db_member: str
    tables: dict[str, int]
    migrations: dict[str, list[str]]
    dataset_paths: list[str]  # relative to the dataset root
    media_names: list[str]  # relative to MEDIA_ROOT
    pg_dump_version: str = ""


@dataclass
class BackupResult:
    path: Path
    manifest: Manifest
    size: int
    stored_files: int
    stored_bytes: int
    seconds: float
    sha256: str

    def summary(self) -> str:
        m = self.manifest
        rows = sum(m.tables.values())
        skipped = len(m.files) - self.stored_files
        text = (f"备份完成：{self.path}（{human_size(self.size)}，用时 {self.seconds:.1f} 秒）。"
                f"数据库 {len(m.tables)} 张表、{rows:,} 行；文件 {len(m.files):,} 个（{human_size(sum(e.size for e in m.files))}）")
        if m.depends_on:
            text += (f"，其中 {skipped:,} 个已在之前的备份中，本次只写入 {self.stored_files:,} 个新文件"
                     f"（{human_size(self.stored_bytes)}）。这是增量备份，恢复时须同时提供它所依赖的备份："
                     + "、".join(f"「{d['file']}」" for d in m.depends_on))
        text += "；含密钥。" if m.secret_key else "；不含密钥（需要时加 --with-secret）。"
        return text


def _referencing_queries():
    """(table, column, kind) of every column that names a stored file: kind 'dataset' is a
    folder under the dataset store, 'media' a file under MEDIA_ROOT."""
    from jingshen.audits.models import Evidence, GeneratedDocument
    from jingshen.knowledge.models import GuideAttachment
    from jingshen.ledger.models import Dataset, ImportJob

    def col(model, name):
        return model._meta.db_table, model._meta.get_field(name).column

    return [
        (*col(Dataset, "path"), "dataset"),
        (*col(ImportJob, "file"), "media"),
        (*col(Evidence, "storage_name"), "media"),
        (*col(GeneratedDocument, "storage_name"), "media"),
        (*col(GuideAttachment, "storage_name"), "media"),
    ]


def _read_snapshot(execute, tables: list[str], quote) -> tuple[dict, dict, list, list]:
    """Counts, migrations and the file names, read through ``execute(sql) -> rows`` on the
    snapshot itself."""
    counts = {t: execute(f"SELECT COUNT(*) FROM {quote(t)}")[0][0] for t in sorted(tables)}
    migrations: dict[str, list[str]] = {}
    if "django_migrations" in tables:
        for app, name in execute("SELECT app, name FROM django_migrations ORDER BY app, name"):
            migrations.setdefault(app, []).append(name)
    datasets, media = set(), set()
    for table, column, kind in _referencing_queries():
        if table not in tables:
            continue
        for (value,) in execute(f"SELECT DISTINCT {quote(column)} FROM {quote(table)}"):
            if value:
                (datasets if kind == "dataset" else media).add(value)
    return counts, migrations, sorted(datasets), sorted(media)


def _sqlite_snapshot(workdir: Path) -> Snapshot:
    source = connection.settings_dict["NAME"]
    target = workdir / "jingshen.sqlite3"
    src = sqlite3.connect(source, timeout=60)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # all pages in one step: one consistent read of the database
    finally:
        src.close()
    try:
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file (the app turns WAL back on)
        quote = lambda name: '"' + name.replace('"', '""') + '"'  # noqa: E731
        execute = lambda sql: dst.execute(sql).fetchall()  # noqa: E731
        tables = [r[0] for r in execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        counts, migrations, datasets, media = _read_snapshot(execute, tables, quote)
    finally:
        dst.close()
    return Snapshot("sqlite", target, f"{DB_PREFIX}jingshen.sqlite3", counts, migrations, datasets, media)


def pg_env() -> dict[str, str]:
    """libpq environment for pg_dump/pg_restore: the password never on a command line."""
    params = connection.settings_dict
    env = dict(os.environ)
    for key, value in (("PGHOST", params.get("HOST")), ("PGPORT", params.get("PORT")), ("PGUSER", params.get("USER")),
                       ("PGPASSWORD", params.get("PASSWORD")), ("PGDATABASE", params.get("NAME"))):
        if value:
            env[key] = str(value)
    return env


def pg_tool_version(tool: str) -> tuple[str, int]:
    """The installed pg_dump/pg_restore: (version text, major), or a Chinese refusal."""
    path = shutil.which(tool)
    if not path:
        raise BackupError(f"找不到 PostgreSQL 工具 {tool}：请安装与数据库服务器同版本的 PostgreSQL 客户端"
                          f"（Debian/Ubuntu：apt-get install postgresql-client）。")
    out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
    match = re.search(r"(\d+)(?:\.(\d+))?", out)
    if not match:
        raise BackupError(f"无法识别 {tool} 的版本（{out.strip()}）。")
    return match.group(0), int(match.group(1))


def _pg_snapshot(workdir: Path) -> Snapshot:
    import psycopg
    from psycopg import sql as pgsql

    dump_version, dump_major = pg_tool_version("pg_dump")
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    target = workdir / "jingshen.pgdump"
    with psycopg.connect(**params, autocommit=True) as conn:
        server = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000
        if dump_major < server:
            raise BackupError(f"pg_dump 的版本（{dump_version}）低于数据库服务器（{server}），无法备份："
                              f"请安装 PostgreSQL {server} 或更高版本的客户端工具。")
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            # pg_dump reads the snapshot this transaction exported, while the transaction stays open
            result = subprocess.run(
                ["pg_dump", "--format=custom", f"--snapshot={snapshot}", "--no-owner", "--no-privileges",
                 f"--file={target}"], env=pg_env(), capture_output=True, text=True)
            if result.returncode != 0:
                if "No space left" in result.stderr:
                    raise OSError(errno.ENOSPC, result.stderr.strip())
                raise BackupError(f"pg_dump 失败：{result.stderr.strip()}")
            schema = conn.execute("SELECT current_schema()").fetchone()[0]
            tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema])]
            quote = lambda name: pgsql.Identifier(name).as_string(conn)  # noqa: E731
            execute = lambda text: conn.execute(text).fetchall()  # noqa: E731
            counts, migrations, datasets, media = _read_snapshot(execute, tables, quote)
    return Snapshot("postgresql", target, f"{DB_PREFIX}jingshen.pgdump", counts, migrations, datasets, media,
                    pg_dump_version=dump_version)


def take_snapshot(workdir: Path) -> Snapshot:
    vendor = connection.vendor
    if vendor == "sqlite":
        return _sqlite_snapshot(workdir)
    if vendor == "postgresql":
        return _pg_snapshot(workdir)
    raise BackupError(f"不支持备份这种数据库：{vendor}")


def _files_of(snap: Snapshot) -> list[tuple[str, Path]]:
    """(member name, source path) of every file the snapshot's rows name, or a refusal listing
    the missing ones."""
    from jingshen.ledger import store

    files, missing = [], []
    data_root = store.root()
    for rel in snap.dataset_paths:
        folder = data_root / rel
        if not folder.is_dir():
            missing.append(f"datasets/{rel}/")
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            files.append((f"datasets/{path.relative_to(data_root).as_posix()}", path))
    media_root = Path(settings.MEDIA_ROOT)
    for name in snap.media_names:
        path = media_root / name
        if not path.is_file():
            missing.append(f"files/{name}")
            continue
        files.append((f"files/{name}", path))
    if missing:
        shown = "、".join(missing[:10]) + (f" 等 {len(missing)} 个" if len(missing) > 10 else "")
        raise BackupError(f"数据库记录引用的文件缺失：{shown}。备份无法完整，未生成备份文件；"
                          f"请先检查数据目录（jingshen check --full）。")
    return files


class _HashingWriter:
    """The archive file, hashed as it is written (the activity log keeps the archive's hash)."""

    def __init__(self, fh):
        self.fh, self.digest = fh, hashlib.sha256()

    def write(self, data):
        self.digest.update(data)
        return self.fh.write(data)

    def tell(self):
        return self.fh.tell()


class _Hashing:
    """A file object that hashes what tarfile reads through it."""

    def __init__(self, fh, on_chunk):
        self.fh, self.digest, self.on_chunk, self.size = fh, hashlib.sha256(), on_chunk, 0

    def read(self, n=-1):
        data = self.fh.read(n)
        self.digest.update(data)
        self.size += len(data)
        self.on_chunk(len(data))
        return data


def create_backup(output, *, with_secret: bool = False, incremental=None,
                  progress: Progress = lambda fraction, stage: None) -> BackupResult:
    started = time.monotonic()
    output = Path(output).expanduser().absolute()
    if output.exists():
        raise BackupError(f"输出文件「{output}」已存在：请指定一个新文件名（备份不会覆盖已有文件）。")
    if not output.parent.is_dir():
        raise BackupError(f"输出目录「{output.parent}」不存在。")
    base: Manifest | None = None
    base_name = ""
    if incremental is not None:
        earlier = Archive(Path(incremental))
        base, base_name = earlier.manifest, earlier.path.name
        earlier.close()
        if base.engine != connection.vendor:
            raise BackupError(f"增量备份的基础备份「{base_name}」来自另一种数据库（{base.engine}），不能作为基础。")

    part = output.with_name(output.name + ".part")
    backup_id = uuid.uuid4().hex
    workdir = Path(tempfile.mkdtemp(prefix=".jingshen-backup-", dir=output.parent))
    try:
        progress(0.0, "数据库快照")
        snap = take_snapshot(workdir)
        if after_snapshot:
            after_snapshot()
        files = _files_of(snap)
        earlier = {e.path: e for e in base.files} if base else {}
        todo, kept = [], []
        for name, path in files:
            known = earlier.get(name)
            if known is not None and known.size == path.stat().st_size:
                kept.append(Entry(name, known.size, known.sha256, known.archive))
            else:
                todo.append((name, path))
        secret_file = None
        if with_secret:
            secret_file = workdir / SECRET
            secret_file.write_text(settings.SECRET_KEY, encoding="ascii")
        sources = [(snap.db_member, snap.db_file), *todo, *([(SECRET, secret_file)] if secret_file else [])]
        total = sum(p.stat().st_size for _, p in sources) or 1
        done = 0

        def advanced(n):
            nonlocal done
            done += n
            progress(min(done / total, 1.0), "写入备份")

        entries: dict[str, Entry] = {}
        with open(part, "xb") as raw, tarfile.open(fileobj=(out := _HashingWriter(raw)), mode="w",
                                                  format=tarfile.PAX_FORMAT) as tar:
            for name, path in sources:
                info = tar.gettarinfo(str(path), arcname=name)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mode = 0o600 if name == SECRET else 0o644
                with open(path, "rb") as fh:
                    reader = _Hashing(fh, advanced)
                    tar.addfile(info, reader)
                entries[name] = Entry(name, info.size, reader.digest.hexdigest(), backup_id)
            by_name = {e.path: e for e in kept} | {n: entries[n] for n, _ in todo}
            depends = {e.archive for e in by_name.values()} - {backup_id}
            depends_on = [d for d in (base.depends_on if base else []) if d["backup_id"] in depends]
            if base and base.backup_id in depends:
                depends_on.append({"backup_id": base.backup_id, "file": base_name, "created_at": base.created_at})
            manifest = Manifest(
                backup_id=backup_id,
                created_at=timezone.localtime().isoformat(timespec="seconds"),
                release=release(),
                engine=snap.engine,
                database=entries[snap.db_member],
                tables=snap.tables,
                migrations=snap.migrations,
                files=[by_name[n] for n, _ in files],
                secret_key=entries.get(SECRET),
                depends_on=depends_on,
                pg_dump_version=snap.pg_dump_version,
            )
            data = manifest.to_json()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(time.time()), 0o644
            tar.addfile(info, io.BytesIO(data))
            tar.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(part, output)
        _fsync_dir(output.parent)
    except BaseException as exc:
        part.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise BackupError(f"磁盘空间不足，备份失败：已删除不完整的备份文件「{part}」，没有生成「{output.name}」。"
                              f"请释放空间或换一个位置后重试。") from None
        if isinstance(exc, OSError):
            raise BackupError(f"写入备份失败（{exc.strerror or exc}）：已删除不完整的备份文件「{part}」。") from None
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    progress(1.0, "完成")
    result = BackupResult(output, manifest, output.stat().st_size, len(todo), sum(p.stat().st_size for _, p in todo),
                          time.monotonic() - started, out.digest.hexdigest())
    _log(result, base_name)
    return result


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _log(result: BackupResult, base_name: str) -> None:
    from jingshen.activity.services import record

    m = result.manifest
    kind = "增量备份" if m.depends_on else "完整备份"
    record("operations.backup", f"{kind}全部数据到「{result.path.name}」（{human_size(result.size)}）",
           file=str(result.path), size=result.size, archive_sha256=result.sha256, backup_id=m.backup_id,
           incremental_of=base_name or None, tables=len(m.tables), rows=sum(m.tables.values()), files=len(m.files),
           stored_files=result.stored_files, key_included=m.secret_key is not None, release=m.release)
