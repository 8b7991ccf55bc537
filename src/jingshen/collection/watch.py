"""The file-system side of 监控文件夹 (watched folders): checking a folder path an administrator
types, finding the exports that are completely written, reading one safely, and putting it
aside afterwards with its error report. What is imported and recorded is decided in
``services.run_watch``.

A folder path is hostile input: it must be absolute, name an existing folder the platform may
read and write, pass through no symbolic link (the stored path is the real one, and it is
checked again at each pass), lie outside JINGSHEN_HOME (database, datasets, uploads, backups)
and not contain it, lie inside one of ``settings.WATCH_ROOTS`` when those are set, and neither
be, contain nor lie inside another unit's watched folder (a folder inside another's would import
its 已导入 files a second time). Files are read through ``O_NOFOLLOW`` into a private copy, so a
symbolic link or a FIFO dropped into the folder is never followed, and the file imported is
exactly the one hashed."""

from __future__ import annotations

import datetime
import errno
import hashlib
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from jingshen.ledger.forms import MAX_UPLOAD_MB

EXTENSIONS = (".csv", ".xlsx", ".xls", ".dbf", ".xml")
IMPORTED_DIR = "已导入"
REFUSED_DIR = "被拒绝"
REPORT_SUFFIX = ".错误报告.txt"
MAX_PATH = 500


def _inside(path: str, folder: str) -> bool:
    """Whether ``path`` is ``folder`` or lies below it (both real, absolute paths)."""
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def usable_problem(path: str) -> str | None:
    """Why the platform cannot work in folder ``path`` now (a Chinese sentence), or None. The
    path must be the folder's real path: a folder replaced by a symbolic link is refused."""
    try:
        real = os.path.realpath(path)
        st = os.stat(real)
    except (OSError, ValueError):
        return f"文件夹「{path}」不存在或无法访问。"
    if real != path:
        return f"路径「{path}」经过符号链接（实际位置「{real}」），请填写实际路径。"
    if not stat.S_ISDIR(st.st_mode):
        return f"「{path}」不是文件夹。"
    if not os.access(real, os.R_OK | os.W_OK | os.X_OK):
        return (f"平台无法读写文件夹「{path}」：请让运行平台的系统账号对它有读、写权限"
                f"（导入后的文件要移入其中的“{IMPORTED_DIR}”“{REFUSED_DIR}”子文件夹）。")
    return None


def check_folder_path(raw: str, *, others: list[str]) -> str:
    """The real path of the folder ``raw`` names, or ValueError with a Chinese message.
    ``others``: the paths of the other units' watched folders."""
    text = (raw or "").strip()
    if not text:
        raise ValueError("请填写文件夹路径。")
    if len(text) > MAX_PATH:
        raise ValueError(f"文件夹路径过长（最多 {MAX_PATH} 个字符）。")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise ValueError("文件夹路径含有控制字符。")
    try:
        text.encode(sys.getfilesystemencoding())
    except UnicodeEncodeError:
        raise ValueError("文件夹路径含有无法识别的字符。") from None
    if not os.path.isabs(text):
        raise ValueError(f"文件夹路径「{text}」须为服务器上的绝对路径，如 /srv/凭证导出/甲市一区。")
    if any(part in (".", "..") for part in text.split("/")):
        raise ValueError("文件夹路径中不能含有“.”或“..”，请填写完整的实际路径。")
    path = os.path.normpath(text)
    if path.startswith("//"):  # POSIX keeps a leading double slash
        path = "/" + path.lstrip("/")
    problem = usable_problem(path)
    if problem:
        raise ValueError(problem)
    home = os.path.realpath(settings.HOME)
    if _inside(path, home) or _inside(home, path):
        raise ValueError("不能监控平台的数据目录（JINGSHEN_HOME）或包含它的文件夹：其中保存数据库、数据集和备份。")
    roots = [os.path.realpath(r) for r in settings.WATCH_ROOTS]
    if roots and not any(_inside(path, r) for r in roots):
        raise ValueError(f"监控文件夹须位于系统允许的位置之内：{'、'.join(roots)}（由 JINGSHEN_WATCH_ROOTS 设置）。")
    for other in others:
        if other and (_inside(path, other) or _inside(other, path)):
            # which unit is not said: it may be outside the administrator's scope
            raise ValueError("该文件夹已是另一个单位的监控文件夹，或与之相互包含；每个单位须使用各自独立的文件夹。")
    return path


@dataclass(frozen=True)
class Found:
    """A file of a watched folder, as listed: ``ready`` once nobody has written to it for
    WATCH_SETTLE_SECONDS (by its change time, which copying tools cannot set back)."""

    path: Path
    size: int
    ready: bool


def list_files(folder: str, now: float) -> list[Found]:
    """The exports directly in ``folder`` (not its subfolders, not hidden or Office lock files,
    never a symbolic link), oldest first: a January export is imported before February's."""
    found = []
    with os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name
            if name.startswith((".", "~$")) or not name.lower().endswith(EXTENSIONS):
                continue
            if not entry.is_file(follow_symlinks=False):
                continue
            st = entry.stat(follow_symlinks=False)
            touched = max(st.st_mtime, st.st_ctime)
            found.append((st.st_mtime, name, Found(Path(entry.path), st.st_size, now - touched >= settings.WATCH_SETTLE_SECONDS)))
    return [f for _, _, f in sorted(found)]


class NotAFile(Exception):
    """The name no longer is a regular file (replaced by a link, a FIFO, a folder, or gone)."""


@dataclass(frozen=True)
class Copied:
    sha256: str
    size: int
    identity: tuple  # (device, inode, size, mtime) of the original when it was read
    too_large: bool


def copy_in(source: Path, target: Path) -> Copied:
    """Read ``source`` (never through a symbolic link) into ``target``, hashing it; a file over
    MAX_UPLOAD_MB (as an upload on 数据采集) is hashed, not copied."""
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOENT, errno.ENXIO, errno.EISDIR):  # a link now, or gone
            raise NotAFile(str(exc)) from None
        raise
    with os.fdopen(fd, "rb") as src:
        st = os.fstat(src.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise NotAFile(str(source))
        too_large = st.st_size > MAX_UPLOAD_MB * 1024 * 1024
        digest = hashlib.sha256()
        size = 0
        dst = None if too_large else target.open("wb")
        try:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                digest.update(chunk)
                size += len(chunk)
                if dst is not None:
                    dst.write(chunk)
        finally:
            if dst is not None:
                dst.close()
    return Copied(digest.hexdigest(), size, (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns), too_large)


def unchanged(source: Path, copied: Copied) -> bool:
    """Whether ``source`` is still the file that was read (not rewritten or replaced since)."""
    try:
        st = os.lstat(source)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) == copied.identity


def _free(folder: Path, name: str) -> Path:
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    candidate, n = folder / name, 1
    while candidate.exists() or (folder / (candidate.name + REPORT_SUFFIX)).exists():
        n += 1
        candidate = folder / (f"{stem} ({n}).{ext}" if dot else f"{name} ({n})")
    return candidate


def move_aside(folder: str, source: Path, under: str, day: datetime.date) -> str:
    """Move ``source`` into ``<folder>/<under>/<day>/`` (a free name there); the path it was moved
    to, relative to ``folder``. OSError if the target folder is not where it should be (a
    symbolic link planted under the watched folder)."""
    target_dir = Path(folder) / under / day.isoformat()
    target_dir.mkdir(parents=True, exist_ok=True)
    if os.path.realpath(target_dir) != str(target_dir):
        raise OSError(f"「{target_dir}」经过符号链接，文件未移动。")
    target = _free(target_dir, source.name)
    os.rename(source, target)
    return str(target.relative_to(folder))


def write_report(folder: str, moved_to: str, *, org, summary: str, errors: list[dict], total: int,
                 when: datetime.datetime) -> str:
    """The error report beside a refused file (``<name>.错误报告.txt``, UTF-8 with BOM and CRLF,
    for Windows Notepad and Excel): the file, the unit, the result and the errors (文件、行、列、值、原因,
    tab-separated). Its path relative to ``folder``."""
    name = Path(moved_to).name
    lines = ["经审平台 · 监控文件夹导入错误报告", f"文件：{name}", f"单位：{org.name}（{org.code}）",
             f"处理时间：{when:%Y-%m-%d %H:%M}", f"结果：{summary}", ""]
    if errors:
        shown = f"，以下列出前 {len(errors)} 处" if total > len(errors) else ""
        lines += [f"共 {total} 处错误{shown}：", "", "\t".join(["文件", "行", "列", "值", "原因"])]
        for e in errors:
            cells = [e.get("file"), e.get("row"), e.get("column"), e.get("value"), e.get("reason")]
            lines.append("\t".join("" if c is None else str(c).replace("\t", " ").replace("\r", " ").replace("\n", " ")
                                   for c in cells))
        lines.append("")
    lines.append("请按以上原因修改后重新导出，放入监控文件夹即可再次导入。")
    report = Path(folder) / (moved_to + REPORT_SUFFIX)
    with report.open("w", encoding="utf-8-sig", newline="\r\n") as fh:
        fh.write("\n".join(lines) + "\n")
    return str(report.relative_to(folder))
