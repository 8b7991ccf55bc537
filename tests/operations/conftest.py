"""Shared by the operations tests that run the platform in subprocesses: the repository, the
previous release, a fresh database per test on PostgreSQL, and a checked subprocess run."""

import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[2]

# The release the upgrade test starts from (tests/operations/test_upgrade.py): the commit of the
# last release listed in CHANGELOG.md. At each release, once its commit is on main, set this to
# that commit and move the release's entry in CHANGELOG.md from "in progress" to released; the
# upgrade test then proves the next release upgrades an installation of this one.
PREVIOUS_RELEASE = "a865962"  # 0.1.0


def run_python(args: list[str], env: dict, cwd: Path | None = None, timeout: float = 600) -> str:
    """Run ``python ARGS`` and return its stdout; fail the test with its output if it fails."""
    proc = subprocess.run([sys.executable, *args], env=env, cwd=cwd or REPO, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"python {' '.join(map(str, args))[:200]} exited {proc.returncode}\n"
                             f"--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}")
    return proc.stdout


@contextmanager
def fresh_database(label: str):
    """None on SQLite (the database lives in the test's JINGSHEN_HOME); on PostgreSQL (DATABASE_URL
    set) the URL of a new, empty database beside the configured one, dropped afterwards."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        yield None
        return
    import psycopg

    parts = urlsplit(url)
    base = parts.path.lstrip("/") or "jingshen"
    name = f"{base}_{label}_{uuid.uuid4().hex[:8]}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
