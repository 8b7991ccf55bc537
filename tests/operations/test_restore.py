"""jingshen restore: everything checked before anything is written; refused in Chinese for a
truncated or damaged archive, a non-empty home, a newer release; a restore killed at any
point leaves a home that every command refuses; an older backup is migrated."""

import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from jingshen.operations.manifest import Archive
from tests.operations.test_backup import (  # noqa: F401 (fixtures)
    SRC,
    assert_restored_as_manifest,
    fresh_target,
    jingshen_cli,
    platform,
)


@pytest.fixture
def archive(platform, tmp_path) -> Path:
    out = tmp_path / "good.tar"
    call_command("backup", output=str(out), with_secret=True)
    return out


def nothing_written(home: Path, env: dict) -> None:
    """The refused restore left the target as it was: no marker, no database, no files."""
    assert not (home / "RESTORING").exists() and not (home / ".restoring").exists()
    if home.exists():
        assert not (home / "jingshen.sqlite3").exists() or (home / "jingshen.sqlite3").stat().st_size == 0
        assert not [p for p in (home / "files").rglob("*") if p.is_file()] if (home / "files").exists() else True
        assert not (home / "datasets").exists() or not [p for p in (home / "datasets").rglob("*") if p.is_file()]
    if connection.vendor == "postgresql":
        code = "import django; django.setup(); from django.db import connection as c; print(len(c.introspection.table_names()))"
        out = subprocess.run([sys.executable, "-c", code], env=env | {"DJANGO_SETTINGS_MODULE": "jingshen.settings"},
                             capture_output=True, text=True, timeout=120)
        assert out.stdout.strip() == "0", out.stdout + out.stderr


def rewrite(src: Path, dst: Path, change) -> None:
    """A copy of the archive whose members pass through change(name, bytes) -> bytes."""
    with tarfile.open(src) as tin, tarfile.open(dst, "w", format=tarfile.PAX_FORMAT) as tout:
        for m in tin:
            data = change(m.name, tin.extractfile(m).read())
            info = tarfile.TarInfo(m.name)
            info.size, info.mode, info.mtime = len(data), m.mode, m.mtime
            tout.addfile(info, io.BytesIO(data))


def test_a_truncated_backup_is_refused_before_anything_is_written(archive, tmp_path):
    cut = tmp_path / "cut.tar"
    data = archive.read_bytes()
    with tarfile.open(archive) as t:
        members = {m.name: m for m in t}
    parquet = next(m for n, m in members.items() if n.endswith("data.parquet"))
    # inside the manifest, inside a dataset file, just after the database, a few headers only
    sizes = (members["manifest.json"].offset_data + 100, parquet.offset_data + parquet.size // 2,
             members["db/jingshen.sqlite3" if connection.vendor == "sqlite" else "db/jingshen.pgdump"].offset_data + 10, 1000)
    for size in sizes:
        cut.write_bytes(data[:size])
        with fresh_target(tmp_path) as (home, env):
            result = jingshen_cli(env, "restore", str(cut))
            assert result.returncode == 1, result.stdout + result.stderr
            assert "cut.tar" in result.stderr and ("不完整" in result.stderr or "已损坏" in result.stderr), result.stderr
            assert "Traceback" not in result.stderr
            nothing_written(home, env)


def test_a_file_whose_hash_does_not_match_the_manifest_is_named(archive, tmp_path):
    m = Archive(archive).manifest
    victim = next(e.path for e in m.files if e.path.startswith("datasets/") and e.path.endswith("data.parquet"))
    bad = tmp_path / "bad.tar"
    # same size, one byte changed: only the hash can tell
    rewrite(archive, bad, lambda name, data: data[:100] + bytes([data[100] ^ 0xFF]) + data[101:] if name == victim else data)
    with fresh_target(tmp_path) as (home, env):
        result = jingshen_cli(env, "restore", str(bad))
        assert result.returncode == 1
        assert f"中的文件「{victim}」已损坏：SHA-256 与清单不符" in result.stderr, result.stderr
        nothing_written(home, env)
    # a member the manifest does not list is refused as well
    extra = tmp_path / "extra.tar"
    rewrite(archive, extra, lambda name, data: data)
    with tarfile.open(extra, "a") as t:
        info = tarfile.TarInfo("files/evidence/ab/injected")
        info.size = 3
        t.addfile(info, io.BytesIO(b"bad"))
    with fresh_target(tmp_path) as (home, env):
        result = jingshen_cli(env, "restore", str(extra))
        assert result.returncode == 1 and "清单未列出的文件「files/evidence/ab/injected」" in result.stderr, result.stderr
        nothing_written(home, env)


def test_restore_into_a_home_that_is_not_empty_is_refused(archive, tmp_path):
    with fresh_target(tmp_path) as (home, env):
        first = jingshen_cli(env, "restore", str(archive))
        assert first.returncode == 0, first.stdout + first.stderr
        before = sorted(str(p) for p in home.rglob("*"))
        again = jingshen_cli(env, "restore", str(archive))
        assert again.returncode == 1 and "不是空的" in again.stderr and "拒绝恢复" in again.stderr, again.stderr
        assert sorted(str(p) for p in home.rglob("*")) == before
    with fresh_target(tmp_path) as (home, env):
        home.mkdir()
        (home / "笔记.txt").write_text("管理员留下的文件")
        refused = jingshen_cli(env, "restore", str(archive))
        assert refused.returncode == 1 and "不是空的（笔记.txt）" in refused.stderr, refused.stderr
        nothing_written(home, env)


def test_a_backup_from_a_newer_release_is_refused(archive, tmp_path):
    def newer(name, data):
        if name != "manifest.json":
            return data
        body = json.loads(data)
        body["release"] = "9.0.0"
        body["migrations"]["ledger"].append("0099_from_the_future")
        return json.dumps(body, ensure_ascii=False).encode()

    future = tmp_path / "future.tar"
    rewrite(archive, future, newer)
    with fresh_target(tmp_path) as (home, env):
        result = jingshen_cli(env, "restore", str(future))
        assert result.returncode == 1
        assert "来自较新的经审版本（9.0.0）" in result.stderr and "ledger.0099_from_the_future" in result.stderr, result.stderr
        assert "请先把经审升级到 9.0.0" in result.stderr
        nothing_written(home, env)


@pytest.mark.parametrize("point", ["restore-marked", "restore-files", "restore-database", "restore-placed"])
def test_a_restore_killed_part_way_leaves_a_home_that_is_refused(archive, tmp_path, point):
    """JINGSHEN_CRASH_AT makes the process die there as a kill -9 would (os._exit: no cleanup)."""
    with fresh_target(tmp_path) as (home, env):
        killed = jingshen_cli(env | {"JINGSHEN_CRASH_AT": point}, "restore", str(archive))
        assert killed.returncode == 137, killed.stdout + killed.stderr
        assert (home / "RESTORING").exists()
        commands = (("datasets", "list"), ("log", "verify"), ("serve", "--help"))
        for args in commands if point == "restore-files" else commands[:1]:
            used = jingshen_cli(env, *args)
            assert used.returncode == 1 and "未完成的恢复" in used.stderr and "RESTORING" in used.stderr, used.stderr
            assert "Traceback" not in used.stderr
        again = jingshen_cli(env, "restore", str(archive))
        assert again.returncode == 1 and "未完成的恢复" in again.stderr and "清空该目录" in again.stderr


def test_kill_9_at_any_moment_leaves_the_home_refused_or_whole(archive, tmp_path):
    """A real SIGKILL as soon as the restore starts writing: the home is either marked (and
    refused) or, if the restore won the race, whole."""
    m = Archive(archive).manifest
    with fresh_target(tmp_path) as (home, env):
        proc = subprocess.Popen([sys.executable, "-m", "jingshen.cli", "restore", str(archive)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None and not (home / "RESTORING").exists():
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        if (home / "RESTORING").exists():
            used = jingshen_cli(env, "datasets", "list")
            assert used.returncode == 1 and "未完成的恢复" in used.stderr
        else:
            assert proc.returncode == 0
            assert_restored_as_manifest(home, env, m)


def test_the_secret_key_is_restored_when_the_backup_has_it(archive, tmp_path, settings):
    with fresh_target(tmp_path) as (home, env):
        result = jingshen_cli(env, "restore", str(archive))
        assert result.returncode == 0 and "密钥：已从备份恢复" in result.stdout
        assert (home / "secret_key").read_text().strip() == settings.SECRET_KEY
        assert (home / "secret_key").stat().st_mode & 0o077 == 0


def test_a_backup_from_an_older_release_is_migrated(tmp_path):
    """A home one migration behind (as the previous release left it), on the database the tests
    run on, is backed up and restored: the restore applies the missing migration and the counts
    still match."""
    old = tmp_path / "old.tar"
    code = ("import django; django.setup(); from django.core.management import call_command as c; "
            "c('migrate', verbosity=0); c('migrate', 'accounts', '0003', verbosity=0); "
            f"c('backup', output={str(old)!r})")
    with fresh_target(tmp_path) as (_, env):
        made = subprocess.run([sys.executable, "-c", code], env=env | {"DJANGO_SETTINGS_MODULE": "jingshen.settings"},
                              capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    m = Archive(old).manifest
    assert "0004_user_must_change_password" not in m.migrations["accounts"]
    with fresh_target(tmp_path) as (home, env2):
        result = jingshen_cli(env2, "restore", str(old))
        assert result.returncode == 0, result.stdout + result.stderr
        assert "已执行 1 个迁移（accounts.0004_user_must_change_password）" in result.stdout
        assert "全部一致" in result.stdout
