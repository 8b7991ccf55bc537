"""`jingshen check` and /healthz?deep=1: each check fails on its own, with its message and exit
code, and the deep report is for the installation's administrators only."""

import datetime
import json
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jingshen.activity.models import ActivityLog
from jingshen.activity.services import record
from jingshen.ledger import store
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.ledger.models import Dataset
from jingshen.operations import check, worker
from tests.ledger.conftest import voucher, write


@pytest.fixture(autouse=True)
def _no_system_checks(monkeypatch, request):
    # Django's system checks (about 1 s: they import every view) run once, in their own test
    if request.node.name != "test_system_check_errors_fail_the_check":
        monkeypatch.setattr(check, "check_config", lambda: check.Result("config", "配置", check.OK, "（测试中略过）"))


@pytest.mark.django_db
def test_system_check_errors_fail_the_check():
    from django.core import checks

    assert check.check_config().status == "ok"

    def broken(**kwargs):
        return [checks.Error("测试用的配置错误", id="test.E001")]

    checks.register(broken)
    try:
        result = check.check_config()
    finally:
        checks.registry.registry.registered_checks.discard(broken)
    assert result.status == "fail" and "Django 系统检查发现 1 个错误" in result.message
    assert result.problems == ["test.E001：测试用的配置错误"]


@pytest.fixture
def installation(personas, tmp_path):
    """Two voucher datasets (two imports, so two packs), a few log entries, and a live worker's
    heartbeat, so that every check passes until a test breaks one thing."""
    import_vouchers(write(tmp_path / "a.csv", voucher(1, org="A1X") + voucher(2, org="A1X")))
    import_vouchers(write(tmp_path / "b.csv", voucher(1, org="B1X")))
    record("test.entry", "测试记录")
    beat = worker.Heartbeat("test-worker")
    beat.beat()
    yield {"datasets": list(Dataset.objects.order_by("pk"))}
    beat.stop()


def run_check(*args) -> tuple[int, str, dict]:
    """(exit code, Chinese report, JSON report) of `jingshen check ARGS`."""
    from io import StringIO

    out, code = StringIO(), 0
    try:
        call_command("check", *args, stdout=out)
    except CommandError as exc:
        code = exc.returncode
    text = out.getvalue()
    out = StringIO()
    try:
        call_command("check", *args, "--json", stdout=out)
    except CommandError:
        pass
    return code, text, json.loads(out.getvalue())


def statuses(report: dict) -> dict:
    return {c["key"]: c["status"] for c in report["checks"]}


@pytest.mark.django_db
def test_a_sound_installation_passes(installation):
    code, text, report = run_check("--full")
    assert code == 0, text
    assert report["ok"] is True
    assert set(statuses(report).values()) == {"ok"}
    assert "检查通过。" in text
    assert "2 个数据集的文件齐全；内容校验（全部）通过" in text
    by_key = {c["key"]: c for c in report["checks"]}
    assert by_key["worker"]["figures"]["workers"] == 1
    assert by_key["log"]["figures"]["entries"] >= 1
    assert by_key["disk"]["figures"]["free_bytes"] > 0


@pytest.mark.django_db
def test_a_missing_dataset_file(installation):
    d = installation["datasets"][0]
    (store.dataset_dir(d) / "vouchers.parquet").unlink()
    code, text, report = run_check()
    assert code == 1
    assert statuses(report) == {**statuses(report), "datasets": "fail"}
    assert [k for k, s in statuses(report).items() if s == "fail"] == ["datasets"]
    assert f"数据集 #{d.pk}" in text and "文件缺失（vouchers.parquet" in text
    assert "检查未通过：数据集。" in text


@pytest.mark.django_db
def test_an_altered_dataset_file_is_found_by_its_checksum(installation):
    import duckdb

    d = installation["datasets"][0]
    data = store.parquet_path(d)
    con = duckdb.connect()
    altered = data.with_name("altered.parquet")
    # the same file with one amount changed: every file is there, only the content differs
    con.execute(f"COPY (SELECT * REPLACE (CASE WHEN debit > 0 THEN debit + 1 ELSE debit END AS debit) "
                f"FROM read_parquet('{data}', hive_partitioning = false)) TO '{altered}' (FORMAT parquet)")
    con.close()
    altered.replace(data)
    code, text, report = run_check("--full")
    assert code == 1
    assert [k for k, s in statuses(report).items() if s == "fail"] == ["datasets"]
    assert f"数据集 #{d.pk}" in text and "内容与登记的校验值不符" in text
    # the other dataset, in its own pack, is not named
    other = installation["datasets"][1]
    assert f"数据集 #{other.pk}" not in text


@pytest.mark.django_db
def test_the_default_check_samples_content_but_sees_every_missing_file(installation, monkeypatch):
    monkeypatch.setattr(check, "SAMPLE", 1)
    result = check.check_datasets(full=False, sample=0, rng=__import__("random").Random(1))
    assert result.status == "ok" and result.figures["content_checked"] == 0
    store.parquet_path(installation["datasets"][1]).unlink()
    result = check.check_datasets(full=False, sample=0, rng=__import__("random").Random(1))
    assert result.status == "fail" and "data.parquet" in result.problems[0]


@pytest.mark.django_db
def test_a_broken_log_chain(installation):
    entry = ActivityLog.objects.order_by("seq").first()
    ActivityLog.objects.filter(pk=entry.pk).update(summary="被改过的摘要")
    code, text, report = run_check()
    assert code == 1
    assert [k for k, s in statuses(report).items() if s == "fail"] == ["log"]
    assert f"哈希链不完整：第 {entry.seq} 条" in text and "被篡改" in text


@pytest.mark.django_db
def test_an_unapplied_migration(installation):
    last = MigrationRecorder.Migration.objects.filter(app="ledger").order_by("-name").first()
    last.delete()
    code, text, report = run_check()
    assert code == 1
    assert [k for k, s in statuses(report).items() if s == "fail"] == ["database"]
    assert "有 1 个数据库迁移尚未执行（请执行 jingshen migrate）" in text
    assert f"ledger.{last.name}" in text


@pytest.mark.django_db
def test_a_migration_the_code_does_not_know(installation):
    MigrationRecorder.Migration.objects.create(app="ledger", name="9999_from_the_future")
    code, text, _ = run_check()
    assert code == 1
    assert "数据库来自更新的版本" in text and "ledger.9999_from_the_future" in text


def enqueue(minutes_ago: float) -> DBTaskResult:
    at = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    task = DBTaskResult.objects.create(args_kwargs={"args": [0], "kwargs": {}}, task_path="jingshen.ledger.tasks.run_import_job",
                                       backend_name="default", run_after=datetime.datetime(9999, 1, 1, tzinfo=datetime.UTC))
    DBTaskResult.objects.filter(pk=task.pk).update(enqueued_at=at)
    return task


@pytest.mark.django_db
def test_a_stale_queue(installation):
    enqueue(minutes_ago=1)
    code, _, report = run_check()
    assert code == 0 and statuses(report)["worker"] == "ok"
    enqueue(minutes_ago=40)
    code, text, report = run_check()
    assert code == 1
    assert [k for k, s in statuses(report).items() if s == "fail"] == ["worker"]
    assert "任务排队过久：排队 2 个，最早的已等待 40 分钟（超过 15 分钟）" in text
    worker_result = next(c for c in report["checks"] if c["key"] == "worker")
    assert worker_result["figures"]["ready"] == 2 and worker_result["figures"]["oldest_ready_seconds"] >= 40 * 60


@pytest.mark.django_db
def test_no_worker_alive(installation, settings):
    for path in worker.heartbeat_dir().glob("*.json"):
        path.unlink()
    code, text, _ = run_check()
    assert code == 1 and "后台任务进程未运行" in text
    # before the first start (an upgrade, a restore) that is expected
    code, text, _ = run_check("--offline")
    assert code == 0, text
    assert "服务未启动（离线检查）" in text


@pytest.mark.django_db
def test_a_stale_heartbeat_or_a_dead_pid_is_no_worker(installation):
    path = next(worker.heartbeat_dir().glob("*.json"))
    beat = json.loads(path.read_text())
    assert worker.live_workers()
    assert not worker.live_workers(now=time.time() + worker.STALE + 1)
    path.write_text(json.dumps({**beat, "pid": 2**22 + 12345}))  # above pid_max's default: no such process
    assert not worker.live_workers()


@pytest.mark.django_db
def test_a_task_left_running_by_a_dead_worker_is_named_and_requeued(installation):
    task = enqueue(minutes_ago=5)
    DBTaskResult.objects.filter(pk=task.pk).update(status="RUNNING", started_at=timezone.now(), worker_ids=["gone"])
    code, text, report = run_check()
    assert code == 0 and statuses(report)["worker"] == "warn"
    assert "执行它的进程已不在" in text
    assert worker.requeue_orphans() == 1
    assert DBTaskResult.objects.get(pk=task.pk).status == "READY"
    assert ActivityLog.objects.filter(action="operations.requeue").count() == 1


@pytest.mark.django_db
def test_low_disk(installation, monkeypatch):
    import shutil

    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(100 * 1024**3, 99 * 1024**3, 1024**3))
    code, text, report = run_check()
    assert code == 1
    assert [k for k, s in statuses(report).items() if s == "fail"] == ["disk"]
    assert "剩余 1.0 GB" in text and "不足 2.0 GB" in text


@pytest.mark.django_db
def test_a_missing_or_altered_evidence_file(personas, tmp_path):
    from django.core.files.storage import default_storage

    from tests.test_access import audit_project, workpaper_objects

    from jingshen.accounts.models import RoleCode
    from jingshen.audits.models import Evidence
    from jingshen.orgs.models import Org
    from tests.conftest import make_user

    make_user("A", "a_director_e", RoleCode.DIRECTOR)
    workpaper_objects(audit_project(Org.objects.get(code="A1X")))
    evidence = Evidence.objects.get()
    assert check.check_files(True, 20, __import__("random").Random()).status == "ok"
    with default_storage.open(evidence.storage_name, "wb") as fh:
        fh.write(b"not the evidence")
    result = check.check_files(True, 20, __import__("random").Random())
    assert result.status == "fail" and "内容与登记的 SHA-256 不符" in result.problems[0]
    default_storage.delete(evidence.storage_name)
    result = check.check_files(False, 20, __import__("random").Random())
    assert result.status == "fail" and f"证据文件 #{evidence.pk}" in result.problems[0] and "文件缺失" in result.problems[0]


# --- /healthz --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_plain_healthz_is_unchanged(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok\n"
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.django_db
def test_deep_healthz_only_for_the_installations_administrators(installation, client, client_for, personas):
    assert client.get("/healthz?deep=1").status_code == 404  # anonymous: as if there were nothing
    for name in personas:
        if name != "prov_admin":
            response = client_for(name).get("/healthz?deep=1")
            assert response.status_code == 404, name
            assert b"datasets" not in response.content
    response = client_for("prov_admin").get("/healthz?deep=1")
    assert response.status_code == 200
    report = response.json()
    assert report["ok"] is True and {c["key"] for c in report["checks"]} >= {"database", "worker", "disk", "datasets", "log"}


@pytest.mark.django_db
def test_an_administrator_of_a_branch_does_not_see_the_deep_report(installation, client):
    from jingshen.accounts.models import RoleCode
    from tests.conftest import make_user

    client.force_login(make_user("A", "a_admin_deep", RoleCode.ADMIN))
    assert client.get("/healthz?deep=1").status_code == 404


@pytest.mark.django_db
def test_deep_healthz_answers_503_when_a_check_fails(installation, client_for):
    ActivityLog.objects.filter(pk=ActivityLog.objects.order_by("seq").first().pk).update(summary="x")
    response = client_for("prov_admin").get("/healthz?deep=1")
    assert response.status_code == 503
    assert response.json()["ok"] is False
