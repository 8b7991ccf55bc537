"""The production service stops cleanly (issue 20 item 5): on SIGTERM `jingshen serve` stops
accepting connections, lets the requests in flight finish and exits; the worker finishes its task
or puts it back in the queue, and a task left running by a killed worker is run again.

Everything runs in subprocesses on a home of its own (and a database of its own on PostgreSQL),
as a service manager would run it. The slow request is a real one: the 序时账 export of a
dataset of 24,000 lines (openpyxl writes about 10,000 rows a second)."""

import http.client
import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.operations.conftest import REPO, fresh_database, run_python


SETUP = r"""
import sys
from pathlib import Path
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.auth import SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY
from jingshen.accounts.models import RoleCode
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.ledger.models import Dataset
from jingshen.orgs.services import import_orgs
from tests.conftest import TREE, make_user, write_csv
from tests.ledger.conftest import voucher, write

work = Path(sys.argv[1])
import_orgs(write_csv(work / "tree.csv", TREE))
rows = [line for no in range(1, int(sys.argv[2]) + 1) for line in voucher(no, date=f"2025-{no % 12 + 1:02d}-09")]
path = write(work / "vouchers.csv", rows)
if sys.argv[3] == "dataset":
    import_vouchers(path)
user = make_user("P", "ops_admin", RoleCode.ADMIN)
session = SessionStore()
session[SESSION_KEY], session[BACKEND_SESSION_KEY] = str(user.pk), "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
dataset = Dataset.objects.filter(kind="vouchers").first()
print(session.session_key, dataset.pk if dataset else 0)
"""

ENQUEUE = r"""
from django.core.files.uploadedfile import SimpleUploadedFile
from jingshen.accounts.models import User
from jingshen.ledger import services
import sys
user = User.objects.get(username="ops_admin")
data = open(sys.argv[1], "rb").read()
job = services.submit_import(user, SimpleUploadedFile("凭证.csv", data), kind="vouchers")
print(job.pk)
"""

STATE = r"""
import json
from django_tasks_db.models import DBTaskResult
from jingshen.ledger.models import Dataset, ImportJob
# the import's task (the worker's scheduler enqueues its periodic jobs too: collection/scheduler.py)
tasks = [{"status": t.status, "workers": len(t.worker_ids)}
         for t in DBTaskResult.objects.exclude(task_path__startswith="jingshen.collection.")]
print(json.dumps({"tasks": tasks, "jobs": list(ImportJob.objects.values_list("status", flat=True)),
                  "datasets": Dataset.objects.count()}))
"""


@pytest.fixture
def service(tmp_path):
    """make(vouchers, mode): a migrated home and database with the tree, an administrator and
    their session, and a voucher file of ``vouchers`` vouchers, imported when ``mode`` is
    "dataset"; returns the env, the session and the dataset's id."""
    home = tmp_path / "home"
    with fresh_database("shutdown") as database_url:
        env = {**os.environ, "JINGSHEN_HOME": str(home), "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{REPO}",
               "JINGSHEN_DRAIN_SECONDS": "120"}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        if database_url:
            env["DATABASE_URL"] = database_url

        def make(vouchers: int, mode: str) -> dict:
            run_python(["-m", "jingshen.cli", "migrate", "-v", "0"], env)
            session, dataset = run_python(["-c", _django(SETUP), str(tmp_path), str(vouchers), mode], env).split()
            return {"env": env, "home": home, "session": session, "dataset": int(dataset), "file": tmp_path / "vouchers.csv"}

        yield make


def _django(code: str) -> str:
    return ("import django, os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'jingshen.settings')\ndjango.setup()\n"
            + code)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_serve(env, port, processes: int = 1) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "jingshen.cli", "serve", "--port", str(port), "--processes", str(processes)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # ready when a web process answers: with --processes the supervisor's socket accepts connections
    # (into its backlog) before any process serves them, and a connection still waiting there when
    # the processes are stopped is reset
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited early: {proc.communicate()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
            if conn.getresponse().status == 200:
                conn.close()
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("serve did not start listening within 60 s")


def web_processes(supervisor: int) -> list[int]:
    """The processes of ``serve --processes`` (children of the supervisor given --listen-fd)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == supervisor and b"--listen-fd" in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except (OSError, ValueError, IndexError):
            pass
    return found


@pytest.mark.parametrize("processes", [1, 2])
def test_sigterm_lets_a_slow_export_finish_then_exits(service, processes):
    from openpyxl import load_workbook

    service = service(12_000, "dataset")
    port = free_port()
    proc = start_serve(service["env"], port, processes)
    deadline = time.monotonic() + 30
    while len(children := web_processes(proc.pid)) < processes and processes > 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(children) == (processes if processes > 1 else 0)
    try:
        got = {}

        def download():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            conn.request("GET", f"/books/{service['dataset']}/journal/?format=xlsx",
                         headers={"Cookie": f"sessionid={service['session']}", "Host": "127.0.0.1"})
            got["sent"] = time.monotonic()
            response = conn.getresponse()
            got["status"], got["body"], got["done"] = response.status, response.read(), time.monotonic()
            got["type"] = response.getheader("Content-Type")

        client = threading.Thread(target=download)
        client.start()
        time.sleep(0.5)  # the export is being written (it takes a few seconds)
        assert client.is_alive(), f"the export finished before SIGTERM: {got.get('status')}"
        proc.send_signal(signal.SIGTERM)
        stopped = time.monotonic()
        time.sleep(0.3 if processes == 1 else 0.8)  # each process of several notices within 0.5 s
        with pytest.raises(OSError):  # no new connection once stopping
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        client.join(120)
        out, err = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert got.get("status") == 200, (got.get("status"), out, err)
    assert got["done"] > stopped  # the request was in flight when the signal came
    assert "spreadsheetml" in got["type"]
    sheet = load_workbook(io.BytesIO(got["body"]), read_only=True).active
    rows = sum(1 for _ in sheet.iter_rows(values_only=True))
    assert rows >= 24_000  # every line of the dataset, plus the heading rows
    assert proc.returncode == 0, err
    assert "正在停止" in out and "经审已停止。" in out
    assert not list((service["home"] / "run" / "workers").glob("*.json"))  # the worker is gone too
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists()]  # and every web process


def state(env) -> dict:
    import json

    return json.loads(run_python(["-c", _django(STATE)], env))


def start_worker(env, grace: float, **extra) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "jingshen.cli", "worker", "--interval", "0.1", "--grace", str(grace)],
                            env={**env, **extra}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def task_in_hand(home: Path) -> str | None:
    """The task a worker's heartbeat names (operations/worker.py writes it as a task starts)."""
    import json

    for path in (home / "run" / "workers").glob("*.json"):
        try:
            task = json.loads(path.read_text())["task"]
        except (OSError, ValueError, KeyError):
            continue
        if task:
            return task
    return None


def test_sigterm_requeues_the_task_in_hand_and_the_next_worker_runs_it(service):
    service = service(30_000, "file")
    env = service["env"]
    run_python(["-c", _django(ENQUEUE), str(service["file"])], env)
    worker = start_worker(env, grace=0)
    try:
        wait_for(lambda: task_in_hand(service["home"]), 60, "the import to start")
        worker.send_signal(signal.SIGTERM)
        out, _ = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, out
    after = state(env)
    assert after["tasks"] == [{"status": "READY", "workers": 1}], out  # back in the queue, not RUNNING forever
    assert after["datasets"] == 0  # the interrupted import published nothing
    worker = start_worker(env, grace=60)
    try:
        wait_for(lambda: state(env)["tasks"][0]["status"] == "SUCCESSFUL", 120, "the requeued import to finish")
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=60)
    final = state(env)
    assert final["tasks"] == [{"status": "SUCCESSFUL", "workers": 2}]
    assert final["jobs"] == ["done"] and final["datasets"] == 1


def test_a_task_left_running_by_a_killed_worker_is_requeued_at_the_next_start(service):
    service = service(1_000, "file")
    env = service["env"]
    run_python(["-c", _django(ENQUEUE), str(service["file"])], env)
    # the first worker dies as abruptly as kill -9 at the pack's publication (ledger/store.py)
    worker = start_worker(env, grace=60, JINGSHEN_CRASH_AT="after-rename")
    worker.communicate(timeout=120)
    assert worker.returncode == 137
    assert state(env)["tasks"] == [{"status": "RUNNING", "workers": 1}]
    worker = start_worker(env, grace=60)
    try:
        wait_for(lambda: state(env)["tasks"][0]["status"] == "SUCCESSFUL", 120, "the requeued import to finish")
    finally:
        worker.send_signal(signal.SIGTERM)
        out, _ = worker.communicate(timeout=60)
    final = state(env)
    assert final["tasks"] == [{"status": "SUCCESSFUL", "workers": 2}], out
    assert final["jobs"] == ["done"] and final["datasets"] == 1


def test_the_deployment_files_match_the_platform():
    """deploy/: nginx lets the largest upload through, and systemd waits longer than the drain
    and the worker's grace before it kills (docs/operations.md)."""
    import re

    from jingshen.ledger.forms import MAX_UPLOAD_MB
    from jingshen.operations.worker import DEFAULT_GRACE
    from jingshen.portal.management.commands.serve import DEFAULT_DRAIN

    nginx = (REPO / "deploy" / "nginx" / "jingshen.conf").read_text()
    body = int(re.search(r"client_max_body_size (\d+)m;", nginx).group(1))
    assert body > MAX_UPLOAD_MB
    unit = (REPO / "deploy" / "systemd" / "jingshen.service").read_text()
    assert int(re.search(r"TimeoutStopSec=(\d+)", unit).group(1)) > DEFAULT_DRAIN + DEFAULT_GRACE + 15
    assert "KillMode=mixed" in unit
    worker_unit = (REPO / "deploy" / "systemd" / "jingshen-worker.service").read_text()
    assert int(re.search(r"TimeoutStopSec=(\d+)", worker_unit).group(1)) > DEFAULT_GRACE


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the ignored stop is the point
def test_a_stop_that_python_ignores_is_raised_again_until_the_task_catches_it():
    """A SIGTERM can land while Python runs a finaliser or a weakref callback, where an exception
    is printed ("Exception ignored in …") and dropped: the task would then run to its end. The
    stop is raised again a moment later (RETRY)."""
    from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME

    from jingshen.operations.worker import RETRY, JingshenWorker, WorkerStopping

    worker = JingshenWorker(grace=0, queue_names=[DEFAULT_TASK_QUEUE_NAME], interval=0, batch=False,
                            backend_name=DEFAULT_TASK_BACKEND_ALIAS, startup_delay=False, max_tasks=None,
                            worker_id="test-retry", excluded_queue_names=[])
    worker.running_task = True

    class Finalised:
        def __del__(self):
            worker._interrupt()

    previous = signal.getsignal(signal.SIGALRM)
    start = time.monotonic()
    try:
        with pytest.raises(WorkerStopping):
            Finalised()  # dropped at once: the stop raised in __del__ is ignored
            while time.monotonic() - start < 10 * RETRY:
                time.sleep(0.01)
        assert time.monotonic() - start >= RETRY * 0.9  # it came from the retry, not the first raise
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
