"""``jingshen restore``: a backup into an empty JINGSHEN_HOME (and an empty database).

Nothing is written until everything is checked:

1. every archive opens and has its manifest (a truncated archive has none: it is written last);
   an incremental backup's bases (``--base``) are the backups its manifest depends on;
2. the backup is not from a newer release (a migration the code does not know, or a newer
   version number), and from the same kind of database;
3. the home and the database are empty;
4. every member the manifest lists is read and its size and SHA-256 checked, in every archive
   needed; a member the manifest does not list is refused.

Then the restore writes the marker ``JINGSHEN_HOME/RESTORING`` first (settings.py refuses to
start on a home that has it: paths.refuse_incomplete_restore), extracts the files into
``JINGSHEN_HOME/.restoring/`` (hashing them again), puts the database in place (SQLite: the file;
PostgreSQL: ``pg_restore --single-transaction``), counts the rows against the manifest, runs the
migrations when the backup is from an older release, moves the folders into place, runs
``log verify`` and removes the marker last. A restore killed at any point leaves the marker:
the home is refused until it is emptied and the restore run again.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.utils import timezone

from jingshen.ledger.store import checkpoint
from jingshen.operations.manifest import SECRET, Archive, BackupError, Entry, human_size, release, version_key
from jingshen.paths import RESTORING

Progress = Callable[[float, str], None]
STAGING = ".restoring"
# what a home that was never used holds: created by settings (paths.jingshen_home, the logging
# handler, the generated secret key), or by the dataset store when first asked for its root
HARMLESS = {"logs", "static", "secret_key", "secret_key.tmp"}
# models whose rows mean a database is in use (a database only migrated holds none of them)
USE_TABLES = ("orgs_org", "accounts_user", "activity_activitylog", "ledger_dataset")


@dataclass
class RestoreReport:
    archive: Path
    tables: list[tuple[str, int, int | None]] = field(default_factory=list)  # table, manifest, restored
    files: int = 0
    bytes: int = 0
    manifest_files: int = 0
    manifest_bytes: int = 0
    migrated: list[str] = field(default_factory=list)
    log: str = ""
    log_intact: bool = False
    secret_restored: bool = False
    seconds: float = 0.0

    @property
    def mismatched(self) -> list[tuple[str, int, int | None]]:
        return [t for t in self.tables if t[1] != t[2]]

    def text(self) -> str:
        lines = [f"恢复完成：{self.archive.name}（用时 {self.seconds:.1f} 秒）", "", "数据库（每张表的记录数：清单 / 恢复后）："]
        width = max((len(t[0]) for t in self.tables), default=10)
        for table, expected, got in self.tables:
            mark = "一致" if expected == got else "不一致"
            lines.append(f"  {table.ljust(width)}  {expected:>10,} / {('缺少该表' if got is None else f'{got:,}'):>10}  {mark}")
        total_m = sum(t[1] for t in self.tables)
        total_r = sum(t[2] or 0 for t in self.tables)
        lines.append(f"  共 {len(self.tables)} 张表，{total_m:,} / {total_r:,} 行；"
                     + ("全部一致。" if not self.mismatched else f"{len(self.mismatched)} 张表不一致！"))
        lines.append("")
        lines.append(f"文件：清单 {self.manifest_files:,} 个（{human_size(self.manifest_bytes)}），"
                     f"已恢复并校验 SHA-256 {self.files:,} 个（{human_size(self.bytes)}）"
                     + ("，全部一致。" if (self.files, self.bytes) == (self.manifest_files, self.manifest_bytes) else "，不一致！"))
        lines.append("数据库迁移：" + (f"备份来自较早的版本，已执行 {len(self.migrated)} 个迁移（{'、'.join(self.migrated[:8])}"
                                  f"{' 等' if len(self.migrated) > 8 else ''}）。" if self.migrated else "无需迁移。"))
        lines.append("密钥：" + ("已从备份恢复。" if self.secret_restored else "备份中没有密钥，使用本目录新生成的密钥"
                                                                   "（已登录的会话需要重新登录）。"))
        lines.append(f"操作日志：{self.log}")
        return "\n".join(lines)


# --- checks before writing ----------------------------------------------------------------------------


def _open_all(path: Path, bases: list[Path]) -> tuple[Archive, dict[str, Archive]]:
    main = Archive(path)
    by_id = {main.manifest.backup_id: main}
    for base in bases:
        a = Archive(base)
        wanted = {d["backup_id"] for d in main.manifest.depends_on}
        if a.manifest.backup_id not in wanted:
            raise BackupError(f"--base 指定的「{a.shown}」不是「{main.shown}」所依赖的备份"
                              f"（它的编号是 {a.manifest.backup_id[:12]}…）。")
        by_id[a.manifest.backup_id] = a
    missing = [d for d in main.manifest.depends_on if d["backup_id"] not in by_id]
    if missing:
        names = "、".join(f"「{d['file']}」（{d['created_at']}）" for d in missing)
        raise BackupError(f"「{main.shown}」是增量备份，恢复时还需要它所依赖的备份 {names}：请用 --base 指定"
                          f"（例如 jingshen restore {main.shown} --base {missing[0]['file']}）。")
    return main, by_id


def _check_release(archive: Archive) -> None:
    from django.db.migrations.loader import MigrationLoader

    m = archive.manifest
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = [f"{app}.{name}" for app, names in m.migrations.items() for name in names if (app, name) not in known]
    code = release()
    if unknown or version_key(m.release) > version_key(code):
        detail = f"，其中有本程序不认识的数据库迁移：{'、'.join(unknown[:5])}{' 等' if len(unknown) > 5 else ''}" if unknown else ""
        raise BackupError(f"备份「{archive.shown}」来自较新的经审版本（{m.release}），本程序是 {code}{detail}。"
                          f"请先把经审升级到 {m.release} 或更高版本，再恢复这个备份。没有写入任何数据。")
    if m.engine != connection.vendor:
        names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
        raise BackupError(f"备份「{archive.shown}」的数据库是 {names.get(m.engine, m.engine)}，当前配置的是"
                          f"{names.get(connection.vendor, connection.vendor)}：请按备份的数据库类型设置 DATABASE_URL。")


def _files_in(folder: Path, ignore=()) -> list[Path]:
    if not folder.exists():
        return []
    return [p for p in folder.rglob("*") if (p.is_file() or p.is_symlink()) and p.name not in ignore]


def _sqlite_path() -> Path:
    return Path(connection.settings_dict["NAME"])


def _database_in_use() -> str:
    """'' when the database holds no data, else what it holds (for the refusal)."""
    if connection.vendor == "sqlite":
        path = _sqlite_path()
        if not path.exists() or path.stat().st_size == 0:
            return ""
    tables = set(connection.introspection.table_names())
    if connection.vendor == "postgresql":
        return f"已有 {len(tables)} 张表" if tables else ""
    with connection.cursor() as cur:
        for table in USE_TABLES:
            if table in tables:
                cur.execute(f'SELECT COUNT(*) FROM "{table}"')
                if cur.fetchone()[0]:
                    return f"表 {table} 中已有数据"
    return ""


def _check_empty() -> None:
    home = Path(settings.HOME)
    if (home / RESTORING).exists() or (home / STAGING).exists():
        raise BackupError(f"数据目录「{home}」中有一次未完成的恢复留下的内容（{RESTORING}）：请清空该目录"
                          f"（使用 PostgreSQL 时并新建一个空数据库）后重新恢复。")
    media = Path(settings.MEDIA_ROOT)
    db = _sqlite_path() if connection.vendor == "sqlite" else None
    db_names = {db.name, f"{db.name}-wal", f"{db.name}-shm", f"{db.name}-journal"} if db else set()
    found = []
    for entry in sorted(home.iterdir()):
        if entry.name in HARMLESS or entry.name in db_names:
            continue
        if entry == media or entry.name == "datasets":
            stray = _files_in(entry, ignore={".lock"})
            if stray:
                found.append(f"{entry.name}/（{len(stray)} 个文件）")
            continue
        found.append(entry.name + ("/" if entry.is_dir() else ""))
    if found:
        raise BackupError(f"数据目录「{home}」不是空的（{'、'.join(found[:5])}），拒绝恢复，以免覆盖现有数据："
                          f"请把 JINGSHEN_HOME 指向一个新的空目录后重试。")
    in_use = _database_in_use()
    if in_use:
        name = connection.settings_dict["NAME"]
        if connection.vendor == "postgresql":
            raise BackupError(f"数据库「{name}」不是空的（{in_use}），拒绝恢复：请新建一个空数据库"
                              f"（CREATE DATABASE … OWNER …），把 DATABASE_URL 指向它后重试。")
        raise BackupError(f"数据库「{name}」中已有数据（{in_use}），拒绝恢复：请把 JINGSHEN_HOME 指向一个新的空目录后重试。")


def _check_tools(archive: Archive) -> None:
    if archive.manifest.engine != "postgresql":
        return
    from jingshen.operations.backup import pg_tool_version

    text, major = pg_tool_version("pg_restore")
    made_by = version_key(archive.manifest.pg_dump_version or "0")[0]
    if major < made_by:
        raise BackupError(f"pg_restore 的版本（{text}）低于生成备份的 pg_dump（{archive.manifest.pg_dump_version}）："
                          f"请安装 PostgreSQL {made_by} 或更高版本的客户端工具。")


def _where(entry: Entry, archives: dict[str, Archive]) -> Archive:
    return archives[entry.archive]


def verify(main: Archive, archives: dict[str, Archive], progress: Progress = lambda f, s: None) -> None:
    """Check the backup and its bases completely against the manifest; write nothing."""
    m = main.manifest
    entries = m.entries()
    unknown_ids = {e.archive for e in entries} - set(archives)
    if unknown_ids:
        raise BackupError(f"备份「{main.shown}」的清单引用了未知的备份编号（{'、'.join(sorted(unknown_ids))[:40]}），备份已损坏。")
    # a member the manifest does not list has no business in the home
    listed = {e.path for e in entries if e.archive == m.backup_id} | {"manifest.json"}
    extra = [n for n in main.members if n not in listed and not main.members[n].isdir()]
    if extra:
        raise BackupError(f"备份「{main.shown}」中有清单未列出的文件「{extra[0]}」{'等' if len(extra) > 1 else ''}，"
                          f"拒绝恢复（备份被改动过）。")
    total = sum(e.size for e in entries) or 1
    done = 0
    for e in entries:
        _where(e, archives).stream(e)
        done += e.size
        progress(done / total * 0.5, "校验备份")


# --- writing -------------------------------------------------------------------------------------------


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _extract(entry: Entry, archive: Archive, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "xb") as fh:
        archive.stream(entry, fh.write)  # checked again while written: the file could change between reads
        fh.flush()
        os.fsync(fh.fileno())


def _restore_database(db_file: Path, engine: str) -> None:
    connections.close_all()
    if engine == "sqlite":
        target = _sqlite_path()
        for suffix in ("-wal", "-shm", "-journal", ""):  # the empty database, if any, and its journals
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(db_file, target)
        _fsync(target.parent)
        return
    from jingshen.operations.backup import pg_env

    result = subprocess.run(["pg_restore", "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges",
                             f"--dbname={connection.settings_dict['NAME']}", str(db_file)],
                            env=pg_env(), capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"pg_restore 失败，数据库未恢复（数据目录保留 {RESTORING} 标记）：{result.stderr.strip()[:2000]}")


def _count_tables(expected: dict[str, int]) -> list[tuple[str, int, int | None]]:
    tables = set(connection.introspection.table_names())
    out = []
    with connection.cursor() as cur:
        for table, n in sorted(expected.items()):
            if table not in tables:
                out.append((table, n, None))
                continue
            cur.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            out.append((table, n, cur.fetchone()[0]))
    return out


def _migrate() -> list[str]:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        call_command("migrate", verbosity=0, interactive=False)
    return [f"{m.app_label}.{m.name}" for m, _ in plan]


def _move_into_place(staged: Path, target: Path) -> None:
    """``staged`` (a folder in the staging area) becomes ``target``, which was checked to hold no
    files (empty folders, the store's lock)."""
    if not staged.exists():
        return
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(staged), str(target))  # a rename on the same file system
    _fsync(target.parent)


def restore_backup(path, *, bases=(), progress: Progress = lambda f, s: None) -> RestoreReport:
    started = time.monotonic()
    path = Path(path).expanduser().absolute()
    main, archives = _open_all(path, [Path(b) for b in bases])
    archives[main.manifest.backup_id] = main
    try:
        _check_release(main)
        _check_empty()
        _check_tools(main)
        verify(main, archives, progress)
        m = main.manifest
        home = Path(settings.HOME)
        marker = home / RESTORING
        with open(marker, "x", encoding="utf-8") as fh:
            json.dump({"archive": str(path), "backup_id": m.backup_id, "pid": os.getpid(),
                       "started_at": timezone.localtime().isoformat(timespec="seconds")}, fh, ensure_ascii=False)
            fh.flush()
            os.fsync(fh.fileno())
        _fsync(home)
        checkpoint("restore-marked")
        staging = home / STAGING
        staging.mkdir()
        report = RestoreReport(path, manifest_files=len(m.files), manifest_bytes=sum(e.size for e in m.files))
        total, done = sum(e.size for e in m.entries()) or 1, 0
        for e in m.entries():
            _extract(e, _where(e, archives), staging / e.path)
            if e is not m.database and e is not m.secret_key:
                report.files += 1
                report.bytes += e.size
            done += e.size
            progress(0.5 + done / total * 0.4, "恢复文件")
        checkpoint("restore-files")
        progress(0.9, "恢复数据库")
        _restore_database(staging / m.database.path, m.engine)
        checkpoint("restore-database")
        report.tables = _count_tables(m.tables)
        report.migrated = _migrate()
        _move_into_place(staging / "datasets", home / "datasets")
        _move_into_place(staging / "files", Path(settings.MEDIA_ROOT))
        if m.secret_key:
            os.chmod(staging / SECRET, 0o600)
            os.replace(staging / SECRET, home / SECRET)
            report.secret_restored = True
        checkpoint("restore-placed")
        out = StringIO()
        try:
            call_command("log_verify", stdout=out)
            report.log_intact = True
            report.log = out.getvalue().strip()
        except CommandError as exc:
            report.log = str(exc)
        shutil.rmtree(staging, ignore_errors=True)
        _fsync(home)
        marker.unlink()  # last: from here on the home is whole and may be used
        _fsync(home)
        progress(1.0, "完成")
        report.seconds = time.monotonic() - started
        _log(report, m)
        return report
    finally:
        for a in archives.values():
            a.close()


def _log(report: RestoreReport, m) -> None:
    from jingshen.activity.services import record

    record("operations.restore", f"从备份「{report.archive.name}」恢复全部数据（备份时间 {m.created_at}，版本 {m.release}）",
           file=str(report.archive), backup_id=m.backup_id, backup_release=m.release, files=report.files,
           rows=sum(t[2] or 0 for t in report.tables), migrated=report.migrated, log_intact=report.log_intact,
           based_on=[d["file"] for d in m.depends_on])
