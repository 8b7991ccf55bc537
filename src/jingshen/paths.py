"""Where 经审 keeps its state: everything lives under JINGSHEN_HOME.

Later apps resolve their folders (datasets, uploads) through here, so that one
environment variable moves the whole platform.
"""

import os
import secrets
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def repo_root() -> Path:
    """The checkout the package is installed from (editable install: src/jingshen/..)."""
    return PACKAGE_DIR.parent.parent


def jingshen_home() -> Path:
    """JINGSHEN_HOME (default var/ in the repo root), created with its subfolders."""
    home = Path(os.environ.get("JINGSHEN_HOME") or repo_root() / "var").resolve()
    for sub in ("", "logs", "files", "static"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    return home


RESTORING = "RESTORING"  # marker of a restore under way (operations/restore.py)
RESTORE_ENV = "JINGSHEN_RESTORE_RUNNING"  # set by `jingshen restore` for itself only (cli.py)


class IncompleteRestore(RuntimeError):
    """JINGSHEN_HOME holds a restore that has not finished: the data is incomplete."""


def refuse_incomplete_restore(home: Path) -> None:
    """Refuse to run on a home whose restore has not finished (killed, failed, or still under
    way): ``jingshen restore`` writes the marker first and removes it last, so a home with the
    marker is never used as if it were whole. Only the restore itself runs with it."""
    if (home / RESTORING).exists() and os.environ.get(RESTORE_ENV) != "1":
        raise IncompleteRestore(
            f"数据目录「{home}」中有一次未完成的恢复（存在标记文件 {RESTORING}）：其中的数据不完整，经审拒绝使用。"
            f"如果恢复仍在进行，请等待它结束；如果恢复已中断，请清空该目录（使用 PostgreSQL 时并新建一个空数据库）"
            f"后重新执行 jingshen restore。"
        )


def secret_key(home: Path) -> str:
    """The installation's secret key, generated once and kept in JINGSHEN_HOME."""
    path = home / "secret_key"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_urlsafe(50), encoding="ascii")
        tmp.chmod(0o600)
        os.replace(tmp, path)
    return path.read_text(encoding="ascii").strip()
