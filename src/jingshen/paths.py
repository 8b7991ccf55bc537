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


def secret_key(home: Path) -> str:
    """The installation's secret key, generated once and kept in JINGSHEN_HOME."""
    path = home / "secret_key"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_urlsafe(50), encoding="ascii")
        tmp.chmod(0o600)
        os.replace(tmp, path)
    return path.read_text(encoding="ascii").strip()
