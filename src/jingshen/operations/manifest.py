"""What a backup archive is, shared by ``backup.py`` and ``restore.py`` (docs/backup.md).

A backup is one uncompressed tar file (PAX format: Chinese names, files over 8 GiB):

    db/jingshen.sqlite3      the database (SQLite online-backup copy), or db/jingshen.pgdump
                             (``pg_dump --format=custom``); always in the archive, never in a base
    datasets/...             the dataset store (JINGSHEN_HOME/datasets), the folders Dataset rows name
    files/...                MEDIA_ROOT: uploads/ (ImportJob.file), evidence/ (Evidence.storage_name),
                             documents/ (GeneratedDocument.storage_name)
    secret_key               only with ``--with-secret``
    manifest.json            always the last member: an archive without it is incomplete

Uncompressed because the bulk (Parquet, .docx) is already compressed, and because an
uncompressed tar can be indexed by seeking from header to header: reading an earlier
backup's manifest (``--incremental``) or checking an archive's members costs no full read.

``manifest.json`` names every member with its size and SHA-256, and for an incremental backup
which archive (``backup_id``) holds each file: files that an earlier backup already holds are
listed but not stored again, and ``depends_on`` lists every earlier backup needed to restore.
"""

from __future__ import annotations

import hashlib
import json
import re
import tarfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath

FORMAT = "jingshen-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SECRET = "secret_key"
DB_PREFIX = "db/"
PREFIXES = ("datasets/", "files/")
CHUNK = 1024 * 1024


class BackupError(ValueError):
    """A backup or restore refused or failed; the message is Chinese and says what to do.
    (A ValueError, so JingshenCommand turns it into 错误：… and exit code 1.)"""


def release() -> str:
    """The installed package's version (pyproject.toml), e.g. 0.1.0."""
    try:
        return metadata.version("jingshen")
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        return "0"


def version_key(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", text)[:4]) or (0,)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{n} B"


def safe_member(name: str) -> bool:
    """A member name restore may write: relative, no ``..``, under a known folder."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name or not name or "\x00" in name:
        return False
    return name in (MANIFEST, SECRET) or name.startswith(DB_PREFIX) or name.startswith(PREFIXES)


@dataclass
class Entry:
    """One file of the backup: where it goes (``path``, the archive member name), its size and
    hash, and the backup that holds its bytes."""

    path: str
    size: int
    sha256: str
    archive: str  # backup_id of the archive holding the bytes

    def as_dict(self) -> dict:
        return {"path": self.path, "size": self.size, "sha256": self.sha256, "archive": self.archive}


@dataclass
class Manifest:
    backup_id: str
    created_at: str
    release: str
    engine: str  # sqlite | postgresql
    database: Entry
    tables: dict[str, int]
    migrations: dict[str, list[str]]
    files: list[Entry]
    secret_key: Entry | None = None
    depends_on: list[dict] = field(default_factory=list)  # [{backup_id, file, created_at}]
    pg_dump_version: str = ""
    raw_sha256: str = ""  # hash of manifest.json as read (not stored in it)

    def entries(self) -> list[Entry]:
        """Every member a restore writes: database, files, secret."""
        return [self.database, *self.files, *([self.secret_key] if self.secret_key else [])]

    def to_json(self) -> bytes:
        stored = [e for e in self.entries() if e.archive == self.backup_id]
        body = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "backup_id": self.backup_id,
            "created_at": self.created_at,
            "release": self.release,
            "incremental": bool(self.depends_on),
            "depends_on": self.depends_on,
            "database": {"engine": self.engine, "pg_dump_version": self.pg_dump_version, **self.database.as_dict()},
            "tables": self.tables,
            "migrations": self.migrations,
            "secret_key": self.secret_key.as_dict() if self.secret_key else None,
            "totals": {
                "files": len(self.files),
                "bytes": sum(e.size for e in self.files),
                "members_in_this_archive": len(stored),
                "bytes_in_this_archive": sum(e.size for e in stored),
            },
            "files": [e.as_dict() for e in self.files],
        }
        return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes, shown: str) -> Manifest:
        bad = f"备份文件「{shown}」的清单 manifest.json 无法读取"
        try:
            body = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BackupError(f"{bad}（{exc}），备份已损坏。") from None
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            raise BackupError(f"文件「{shown}」不是经审的备份文件（清单格式不对）。")
        if body.get("format_version", 0) > FORMAT_VERSION:
            raise BackupError(f"备份文件「{shown}」的格式版本（{body.get('format_version')}）比本程序新，"
                              f"请先升级经审再恢复。")
        try:
            def entry(d: dict) -> Entry:
                e = Entry(str(d["path"]), int(d["size"]), str(d["sha256"]), str(d["archive"]))
                if not safe_member(e.path) or e.path == MANIFEST or e.size < 0 or not re.fullmatch(r"[0-9a-f]{64}", e.sha256):
                    raise ValueError(f"不允许的条目 {e.path!r}")
                return e

            db = body["database"]
            manifest = cls(
                backup_id=str(body["backup_id"]),
                created_at=str(body["created_at"]),
                release=str(body["release"]),
                engine=str(db["engine"]),
                database=entry(db),
                pg_dump_version=str(db.get("pg_dump_version") or ""),
                tables={str(k): int(v) for k, v in body["tables"].items()},
                migrations={str(k): [str(n) for n in v] for k, v in body["migrations"].items()},
                files=[entry(d) for d in body["files"]],
                secret_key=entry(body["secret_key"]) if body.get("secret_key") else None,
                depends_on=[{"backup_id": str(d["backup_id"]), "file": str(d.get("file", "")),
                             "created_at": str(d.get("created_at", ""))} for d in body.get("depends_on") or []],
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BackupError(f"{bad}（内容不完整：{exc}），备份已损坏。") from None
        manifest.raw_sha256 = hashlib.sha256(data).hexdigest()
        return manifest


class Archive:
    """An existing backup file opened for reading: its member index and its manifest."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.shown = self.path.name
        if not self.path.is_file():
            raise BackupError(f"备份文件「{self.path}」不存在。")
        try:
            self.tar = tarfile.open(self.path, "r:")
            self.members = {}
            for m in self.tar:  # walks the headers, seeking over the data
                self.members[m.name] = m
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise BackupError(f"备份文件「{self.shown}」已损坏或不完整（{exc}），无法使用。") from None
        info = self.members.get(MANIFEST)
        if info is None:
            raise BackupError(f"备份文件「{self.shown}」不完整：没有清单 manifest.json（文件可能被截断，"
                              f"或备份没有完成）。")
        self.manifest = Manifest.from_json(self.read(info), self.shown)

    def read(self, info: tarfile.TarInfo) -> bytes:
        try:
            fh = self.tar.extractfile(info)
            data = fh.read() if fh else b""
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise BackupError(f"备份文件「{self.shown}」已损坏：读取「{info.name}」失败（{exc}）。") from None
        if len(data) != info.size:
            raise BackupError(f"备份文件「{self.shown}」不完整：「{info.name}」被截断。")
        return data

    def stream(self, entry: Entry, sink=None) -> None:
        """Read ``entry``'s member, checking size and SHA-256 against the manifest, and pass the
        chunks to ``sink`` (None: only check). Raises BackupError naming the file."""
        info = self.members.get(entry.path)
        if info is None or not info.isfile():
            raise BackupError(f"备份文件「{self.shown}」缺少清单中列出的文件「{entry.path}」（备份不完整或已损坏）。")
        if info.size != entry.size:
            raise BackupError(f"备份文件「{self.shown}」中的文件「{entry.path}」大小不符：清单记录 {entry.size:,} 字节，"
                              f"实际 {info.size:,} 字节（备份已损坏）。")
        digest, seen = hashlib.sha256(), 0
        try:
            fh = self.tar.extractfile(info)
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
                seen += len(chunk)
                if sink:
                    sink(chunk)
        except (tarfile.TarError, EOFError, OSError) as exc:
            if isinstance(exc, OSError) and exc.errno is not None:
                raise  # a write error of the sink (disk full), not a damaged archive
            raise BackupError(f"备份文件「{self.shown}」已损坏或不完整：读取「{entry.path}」失败（{exc}）。") from None
        if seen != entry.size:
            raise BackupError(f"备份文件「{self.shown}」不完整：文件「{entry.path}」被截断。")
        if digest.hexdigest() != entry.sha256:
            raise BackupError(f"备份文件「{self.shown}」中的文件「{entry.path}」已损坏：SHA-256 与清单不符"
                              f"（清单 {entry.sha256[:16]}…，实际 {digest.hexdigest()[:16]}…）。")

    def close(self) -> None:
        self.tar.close()
