"""jingshen backup: one archive with a manifest, consistent while users work, logged; a full disk
leaves no partial archive. Restores run as a user runs them: `jingshen restore` in a separate
process on a fresh JINGSHEN_HOME (and, on PostgreSQL, a fresh empty database)."""

import errno
import importlib
import io
import json
import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

import jingshen
from jingshen.activity.models import ActivityLog, Source
from jingshen.audits import workpapers
from jingshen.audits.models import Evidence, GeneratedDocument, Workpaper
from jingshen.ledger.models import Dataset, ImportJob
from jingshen.ledger.services import submit_import
from jingshen.operations import backup
from jingshen.operations.manifest import Archive, sha256_file
from jingshen.screening.models import Flag, ScreeningRun
from jingshen.screening.services import run_screening
from tests.ledger.conftest import voucher, write
from tests.test_access import audit_document, audit_project, workpaper_objects

SRC = str(Path(jingshen.__file__).resolve().parent.parent)


# --- the platform in use: an upload, a dataset, a screening run, evidence and a document -------------


def vouchers_upload(tmp_path: Path, name: str, org="A1X", months=(1, 2, 3)) -> SimpleUploadedFile:
    rows = []
    for m in months:
        rows += voucher(1, org=org, date=f"2025-{m:02d}-05", amount="1200.00")
        rows += voucher(2, org=org, date=f"2025-{m:02d}-20", amount="3000.00", debit_code="50205", summary="送温暖慰问")
    path = write(tmp_path / name, rows)
    return SimpleUploadedFile(name, path.read_bytes())


def seed_catalogues():
    """The rows data migrations seed (a transactional test's flush removed them)."""
    from django.apps import apps

    for module, func in (("jingshen.audits.migrations.0002_builtin_audit_types", "add_types"),
                         ("jingshen.audits.migrations.0003_verification_findings", "add_problem_types")):
        from jingshen.audits.models import AuditType, ProblemType

        if (AuditType if func == "add_types" else ProblemType).objects.exists():
            continue
        getattr(importlib.import_module(module), func)(apps, None)


@pytest.fixture
def platform(transactional_db, tree, personas, tmp_path):
    """Data of every kind a backup holds, committed (the backup reads the database from outside
    the test's connection)."""
    seed_catalogues()
    user = personas["a1_auditor"]
    job = submit_import(user, vouchers_upload(tmp_path, "凭证A1X.csv"), kind="vouchers")
    job.refresh_from_db()
    assert job.status == "done", job.summary
    run_screening(year=2025, rule_codes=["JS-CASH-001", "JS-ROUND-001"])
    project = audit_project(tree["A1X"])
    audit_document(project)
    workpaper_objects(project)
    return {"user": user, "project": project}


def live_counts() -> dict[str, int]:
    with connection.cursor() as cur:
        out = {}
        for table in connection.introspection.table_names():
            cur.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            out[table] = cur.fetchone()[0]
        return out


# --- restoring in a separate process ------------------------------------------------------------------


def pg_admin_connect(dbname=None):
    import psycopg

    params = dict(connection.get_connection_params())
    params.pop("cursor_factory", None)
    params.pop("context", None)
    if dbname:
        params["dbname"] = dbname
    return psycopg.connect(**params, autocommit=True)


@contextmanager
def fresh_target(tmp_path: Path):
    """(home, env) for a separate process: a new JINGSHEN_HOME and, on PostgreSQL, a new empty
    database (named jingshen4… , dropped afterwards)."""
    home = tmp_path / f"restored-{uuid.uuid4().hex[:6]}"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JINGSHEN_CRASH_AT")}
    env["JINGSHEN_HOME"] = str(home)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    dbname = None
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        dbname = f"jingshen4_r{uuid.uuid4().hex[:10]}"
        with pg_admin_connect("postgres") as c:
            c.execute(f'CREATE DATABASE "{dbname}"')
        env["DATABASE_URL"] = f"postgresql://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{dbname}"
    try:
        yield home, env
    finally:
        if dbname:
            with pg_admin_connect("postgres") as c:
                c.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def project_version() -> str:
    """The release being built: pyproject.toml's version (the installed package's after set-up)."""
    import tomllib

    return tomllib.loads((Path(SRC).parent / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def restored_page(env: dict, username: str, url: str) -> str:
    """A page of the restored home as ``username`` sees it, rendered by a separate process."""
    code = ("import sys, django; django.setup(); from django.conf import settings; "
            "from django.test.utils import setup_test_environment; setup_test_environment(); "
            "settings.STORAGES = {**settings.STORAGES, 'staticfiles': "
            "{'BACKEND': 'django.contrib.staticfiles.storage.StaticFilesStorage'}}; "  # as tests/conftest.py: no collectstatic
            "from django.test import Client; from jingshen.accounts.models import User; "
            "c = Client(); c.force_login(User.objects.get(username=sys.argv[1])); r = c.get(sys.argv[2]); "
            "assert r.status_code == 200, r.status_code; sys.stdout.write(r.content.decode())")
    result = subprocess.run([sys.executable, "-c", code, username, url], env=env | {"DJANGO_SETTINGS_MODULE": "jingshen.settings"},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def jingshen_cli(env: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jingshen.cli", *args], env=env, capture_output=True, text=True,
                          timeout=300, **kwargs)


def restored_counts(home: Path, env: dict) -> dict[str, int]:
    """Row counts per table of the restored database, read by a separate process."""
    code = ("import django, json; django.setup(); from django.db import connection as c; cur = c.cursor(); "
            "print(json.dumps({t: cur.execute(f'SELECT COUNT(*) FROM {c.ops.quote_name(t)}').fetchone()[0] "
            "for t in c.introspection.table_names()}))")
    result = subprocess.run([sys.executable, "-c", code], env=env | {"DJANGO_SETTINGS_MODULE": "jingshen.settings"},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def assert_restored_as_manifest(home: Path, env: dict, manifest, result=None) -> None:
    """Every row and file of the manifest is in the restored home, byte for byte."""
    counts = restored_counts(home, env)
    for table, n in manifest.tables.items():
        expected = n + (1 if table == "activity_activitylog" else 0)  # + the restore's own entry
        assert counts.get(table) == expected, (table, counts.get(table), expected)
    for e in manifest.files:
        top, rel = e.path.split("/", 1)
        path = home / top / rel
        assert path.is_file(), e.path
        assert path.stat().st_size == e.size and sha256_file(path) == e.sha256, e.path
    assert not (home / "RESTORING").exists() and not (home / ".restoring").exists()
    verify = jingshen_cli(env, "log", "verify")
    assert verify.returncode == 0 and "日志完整" in verify.stdout, verify.stdout + verify.stderr


# --- tests --------------------------------------------------------------------------------------------


def test_backup_holds_database_files_and_a_manifest_and_is_logged(platform, tmp_path):
    out = tmp_path / "备份.tar"
    counts = live_counts()
    call_command("backup", output=str(out))
    assert out.is_file() and not Path(f"{out}.part").exists()
    archive = Archive(out)
    m = archive.manifest
    assert list(archive.members)[-1] == "manifest.json"  # written last: a cut archive has none
    assert m.tables == counts  # the backup's own log entry is written after it, not in it
    assert set(m.tables) == set(connection.introspection.table_names())
    applied = {}
    for app, name in MigrationRecorder.Migration.objects.values_list("app", "name").order_by("app", "name"):
        applied.setdefault(app, []).append(name)
    assert m.migrations == applied and m.release == project_version() and m.engine == connection.vendor
    paths = {e.path for e in m.files}
    for ds in Dataset.objects.all():
        assert any(p.startswith(f"datasets/{ds.path}/") for p in paths)
    wanted = {f"files/{j.file.name}" for j in ImportJob.objects.all()}
    wanted |= {f"files/{e.storage_name}" for e in Evidence.objects.all()}
    wanted |= {f"files/{d.storage_name}" for d in GeneratedDocument.objects.all()}
    assert len(wanted) == 3 and wanted <= paths
    for e in m.entries():
        archive.stream(e)  # size and hash as the manifest says
    assert m.secret_key is None and "secret_key" not in archive.members
    entry = ActivityLog.objects.get(action="operations.backup")
    assert entry.source == Source.CLI and entry.details["backup_id"] == m.backup_id
    assert entry.details["archive_sha256"] == sha256_file(out) and "备份.tar" in entry.summary
    assert ActivityLog.objects.filter(action="operations.backup").count() == 1


def test_secret_key_only_when_asked(platform, tmp_path, settings):
    out = tmp_path / "with-key.tar"
    call_command("backup", output=str(out), with_secret=True)
    archive = Archive(out)
    key = archive.manifest.secret_key
    chunks = []
    archive.stream(key, chunks.append)
    assert b"".join(chunks).decode() == settings.SECRET_KEY
    assert archive.members["secret_key"].mode == 0o600


def test_an_existing_output_is_never_overwritten(platform, tmp_path):
    out = tmp_path / "exists.tar"
    out.write_bytes(b"keep me")
    with pytest.raises(CommandError, match="已存在"):
        call_command("backup", output=str(out))
    assert out.read_bytes() == b"keep me"


def test_a_row_whose_file_is_missing_makes_no_backup(platform, tmp_path, settings):
    doc = GeneratedDocument.objects.get()
    (Path(settings.MEDIA_ROOT) / doc.storage_name).unlink()
    out = tmp_path / "b.tar"
    with pytest.raises(CommandError, match=f"数据库记录引用的文件缺失：files/{doc.storage_name}"):
        call_command("backup", output=str(out))
    assert not out.exists() and not Path(f"{out}.part").exists()
    assert not list(tmp_path.glob(".jingshen-backup-*"))


def test_disk_full_during_backup_removes_the_partial_archive(platform, tmp_path, monkeypatch):
    written = {"n": 0}
    real = backup._HashingWriter.write

    def write(self, data):
        written["n"] += len(data)
        if written["n"] > 200_000:  # the disk fills up part-way through
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(backup._HashingWriter, "write", write)
    out = tmp_path / "full-disk.tar"
    with pytest.raises(CommandError) as exc:
        call_command("backup", output=str(out))
    message = str(exc.value)
    assert "磁盘空间不足" in message and "已删除不完整的备份文件" in message and "full-disk.tar.part" in message
    assert written["n"] > 200_000
    assert not out.exists() and not Path(f"{out}.part").exists()
    assert not list(tmp_path.glob(".jingshen-backup-*"))  # nor the database snapshot
    assert not ActivityLog.objects.filter(action="operations.backup").exists()


def test_backup_while_an_import_and_a_screening_run_are_in_progress_restores_whole(platform, tmp_path, monkeypatch):
    """Rows and files written between the database snapshot and the file copy — a new import
    (its upload, its pack), a screening run, a new evidence file — are not in the archive, and
    everything the snapshot holds is; the archive restores into a fresh home with every row and
    file of the manifest, the log chain intact and the same data on the pages."""
    before = io.StringIO()
    call_command("datasets_list", json=True, stdout=before)
    user = platform["user"]

    def users_at_work():
        job = submit_import(user, vouchers_upload(tmp_path, "凭证A2.csv", org="A1X", months=(4, 5)), kind="vouchers")
        job.refresh_from_db()
        assert job.status == "done"
        run_screening(year=2025, rule_codes=["JS-CASH-001"])
        wp = Workpaper.objects.get()
        workpapers.add_evidence(wp.prepared_by, wp, SimpleUploadedFile("后来的取证单.txt", "补充说明".encode()))

    monkeypatch.setattr(backup, "after_snapshot", users_at_work)
    out = tmp_path / "busy.tar"
    call_command("backup", output=str(out))
    m = Archive(out).manifest
    assert Dataset.objects.count() == m.tables["ledger_dataset"] + 1  # the new version came after the snapshot
    assert ImportJob.objects.count() == m.tables["ledger_importjob"] + 1
    assert ScreeningRun.objects.count() == m.tables["screening_screeningrun"] + 1
    assert Flag.objects.count() >= m.tables["screening_flag"]
    assert Evidence.objects.count() == m.tables["audits_evidence"] + 1
    late = Dataset.objects.order_by("-pk").first()
    late_job = ImportJob.objects.order_by("-pk").first()
    late_ev = Evidence.objects.order_by("-pk").first()
    paths = {e.path for e in m.files}
    assert not any(p.startswith(f"datasets/{late.path}/") for p in paths)
    assert f"files/{late_job.file.name}" not in paths and f"files/{late_ev.storage_name}" not in paths

    with fresh_target(tmp_path) as (home, env):
        result = jingshen_cli(env, "restore", str(out))
        assert result.returncode == 0, result.stdout + result.stderr
        assert "全部一致" in result.stdout and "日志完整" in result.stdout and "Traceback" not in result.stderr
        assert_restored_as_manifest(home, env, m)
        after = jingshen_cli(env, "datasets", "list", "--json")
        assert after.returncode == 0 and json.loads(after.stdout) == json.loads(before.getvalue())
        # the pages: the restored workpaper shows the evidence of the snapshot and not the later one
        wp = Workpaper.objects.get()
        page = restored_page(env, wp.prepared_by.username, f"/audits/{wp.project_id}/workpapers/{wp.pk}/")
        first = Evidence.objects.order_by("pk").first()
        assert wp.index_no in page and first.original_name in page and "后来的取证单.txt" not in page
        books = restored_page(env, user.username, "/books/")
        assert all(d["org"] in books for d in json.loads(before.getvalue()))


def test_incremental_backup_stores_only_new_files_and_restores_with_its_base(platform, tmp_path):
    full = tmp_path / "full.tar"
    call_command("backup", output=str(full))
    base = Archive(full).manifest
    wp = Workpaper.objects.get()
    workpapers.add_evidence(wp.prepared_by, wp, SimpleUploadedFile("新取证单.txt", "新增的说明".encode()))
    incr = tmp_path / "incr.tar"
    out = io.StringIO()
    call_command("backup", output=str(incr), incremental=str(full), stdout=out)
    assert "增量备份" in out.getvalue() and "full.tar" in out.getvalue()
    archive = Archive(incr)
    m = archive.manifest
    assert m.depends_on == [{"backup_id": base.backup_id, "file": "full.tar", "created_at": base.created_at}]
    stored = {n for n in archive.members if n.startswith(("datasets/", "files/"))}
    new = Evidence.objects.order_by("-pk").first()
    assert stored == {f"files/{new.storage_name}"}  # the one new file; the database is always whole
    assert len(m.files) == len(base.files) + 1
    assert {e.archive for e in m.files} == {base.backup_id, m.backup_id}

    with fresh_target(tmp_path) as (home, env):
        refused = jingshen_cli(env, "restore", str(incr))
        assert refused.returncode == 1 and "是增量备份" in refused.stderr and "--base" in refused.stderr
        assert "full.tar" in refused.stderr
        wrong = jingshen_cli(env, "restore", str(incr), "--base", str(incr))
        assert wrong.returncode == 1 and "不是「incr.tar」所依赖的备份" in wrong.stderr
        assert not (home / "RESTORING").exists()
        result = jingshen_cli(env, "restore", str(incr), "--base", str(full))
        assert result.returncode == 0, result.stdout + result.stderr
        assert_restored_as_manifest(home, env, m)
