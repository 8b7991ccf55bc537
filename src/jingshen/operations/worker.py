"""The background worker (`jingshen worker`, started by `jingshen serve`): django_tasks_db's
database worker with a heartbeat, requeueing of interrupted tasks and a bounded stop.

django_tasks_db records no liveness: a task row is READY, RUNNING, SUCCESSFUL or FAILED, and a
worker killed in the middle of a task (kill -9, power loss, a service manager's SIGKILL after its
stop timeout) leaves it RUNNING forever. So:

- **Heartbeat.** Each worker writes ``JINGSHEN_HOME/run/workers/<worker id>.json`` (pid, host,
  time, the task in hand) every ``BEAT`` seconds from a thread, and removes it when it exits.
  A file rewrite, not a database write: no write lock taken on SQLite every few seconds. A worker
  is alive when its file is younger than ``STALE`` and, on this host, its pid exists.
- **Requeue at start.** A starting worker puts every RUNNING task whose worker is not alive back
  to READY (``requeue_orphans``), logged in the activity log.
- **Stop (SIGTERM, SIGINT).** The worker takes no new task and lets the one in hand finish
  within ``JINGSHEN_WORKER_GRACE`` seconds (default 60); past that, ``WorkerStopping`` is raised
  inside the task, whose transactions roll back, and the task is put back to READY to run again
  from the start at the next start. Our tasks are all-or-nothing (an import publishes in one
  transaction; a screening run saves its flags in one), so running one again is safe. A second
  signal stops at once, the same way.
- **Scheduler.** A thread enqueues the periodic jobs when they are due (`collection/scheduler.py`:
  the hourly check of the reporting schedules, 未按时报送), decided under a database row lock so
  that several workers never enqueue a job twice.
"""

import json
import logging
import os
import signal
import socket
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from jingshen.collection.scheduler import Scheduler

log = logging.getLogger(__name__)
BEAT = 5.0  # seconds between heartbeats
STALE = 30.0  # a heartbeat older than this: the worker is gone (or hung)
GRACE_ENV = "JINGSHEN_WORKER_GRACE"
DEFAULT_GRACE = 60.0
# A stop raised where Python ignores exceptions (a finaliser or a weakref callback: "Exception
# ignored in …") does not reach the task: it is raised again after this many seconds until the
# task has caught it.
RETRY = 1.0


class WorkerStopping(KeyboardInterrupt):
    """Raised inside a task when the worker must stop before the task has finished. A
    KeyboardInterrupt, so that the tasks' ``except Exception`` handlers let it through and their
    interrupted-work paths (screening: 被中断) run."""


def heartbeat_dir() -> Path:
    path = Path(settings.HOME) / "run" / "workers"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def live_workers(now: float | None = None) -> list[dict]:
    """The workers whose heartbeat is fresh (and, on this host, whose process exists)."""
    now = time.time() if now is None else now
    alive = []
    for path in heartbeat_dir().glob("*.json"):
        try:
            beat = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if now - beat.get("at", 0) > STALE:
            continue
        if beat.get("host") == socket.gethostname() and not _alive(int(beat.get("pid", 0))):
            continue
        alive.append(beat)
    return alive


def requeue_orphans(exclude: str | None = None) -> int:
    """Put the RUNNING tasks whose worker is not alive back to READY; how many."""
    from jingshen.activity.services import record

    alive = {w["worker_id"] for w in live_workers()} - ({exclude} if exclude else set())
    count = 0
    with transaction.atomic():
        for task in DBTaskResult.objects.running().select_for_update():
            if task.worker_ids and task.worker_ids[-1] in alive:
                continue
            _requeue(task)
            record("operations.requeue", f"后台任务 {task.task_path.rsplit('.', 1)[-1]} 的执行进程已中止，任务重新排队",
                   task=str(task.id), task_path=task.task_path, started_at=task.started_at, workers=task.worker_ids)
            count += 1
    return count


def _requeue(task: DBTaskResult) -> None:
    task.status = TaskResultStatus.READY
    task.started_at = None
    task.finished_at = None
    task.save(update_fields=["status", "started_at", "finished_at"])


class Heartbeat(threading.Thread):
    def __init__(self, worker_id: str):
        super().__init__(name="jingshen-heartbeat", daemon=True)
        self.worker_id, self.task = worker_id, None
        self.path = heartbeat_dir() / f"{worker_id}.json"
        self.done = threading.Event()

    def beat(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"worker_id": self.worker_id, "pid": os.getpid(), "host": socket.gethostname(),
                                   "at": time.time(), "task": self.task}), encoding="utf-8")
        os.replace(tmp, self.path)

    def run(self) -> None:
        while not self.done.wait(BEAT):
            try:
                self.beat()
            except OSError:
                log.exception("worker heartbeat not written")

    def stop(self) -> None:
        self.done.set()
        self.path.unlink(missing_ok=True)


class JingshenWorker(Worker):
    """db_worker's Worker with the heartbeat, the requeue at start and the bounded stop."""

    def __init__(self, *, grace: float, **kwargs):
        super().__init__(**kwargs)
        self.grace = grace
        self.heartbeat = Heartbeat(self.worker_id)
        self.scheduler = Scheduler()  # the periodic jobs (collection/scheduler.py)
        self.stop_delivered = False  # the task has caught WorkerStopping: no second one

    def shutdown(self, signum, frame) -> None:
        if self.running_task and not self.running:  # a second signal: stop the task now
            self._interrupt()
        log.warning("received %s: stopping", signal.strsignal(signum))
        self.running = False
        if not self.running_task:
            raise SystemExit(0)
        if self.grace <= 0:
            self._interrupt()
        signal.signal(signal.SIGALRM, lambda *_: self._interrupt())
        signal.setitimer(signal.ITIMER_REAL, self.grace)

    def _interrupt(self) -> None:
        if self.running_task and not self.stop_delivered:
            signal.signal(signal.SIGALRM, lambda *_: self._interrupt())
            signal.setitimer(signal.ITIMER_REAL, RETRY)
            raise WorkerStopping()

    def run(self) -> None:
        self.heartbeat.beat()
        self.heartbeat.start()
        self.scheduler.start()
        try:
            requeued = requeue_orphans(exclude=self.worker_id)
            if requeued:
                log.warning("requeued %d task(s) left running by a worker that is gone", requeued)
            super().run()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            self.scheduler.stop()
            self.heartbeat.stop()

    def run_task(self, db_task_result: DBTaskResult) -> None:
        self.heartbeat.task = str(db_task_result.id)
        try:
            self.heartbeat.beat()  # the task in hand is seen at once, not at the next beat
            self._run_task(db_task_result)
        finally:
            self.heartbeat.task = None
            signal.setitimer(signal.ITIMER_REAL, 0)

    def _run_task(self, db_task_result: DBTaskResult) -> None:
        """db_worker's run_task, except that a task stopped by ``WorkerStopping`` is requeued
        instead of marked failed."""
        from django_tasks_db.compat import TaskContext, task_finished, task_started

        try:
            self.running_task = True
            task = db_task_result.task
            task_result = db_task_result.task_result
            backend_type = task.get_backend()
            task_started.send(sender=backend_type, task_result=task_result)
            if task.takes_context:
                value = task.call(TaskContext(task_result=task_result), *task_result.args, **task_result.kwargs)
            else:
                value = task.call(*task_result.args, **task_result.kwargs)
            self.running_task = False  # the work is done: a stop signal now must not undo it
            db_task_result.set_successful(value)
            task_finished.send(sender=backend_type, task_result=db_task_result.task_result)
        except WorkerStopping:
            self.stop_delivered = True
            signal.setitimer(signal.ITIMER_REAL, 0)
            _requeue(db_task_result)
            log.warning("task %s interrupted by the worker's stop: requeued", db_task_result.id)
            self.running = False
        except BaseException as exc:  # noqa: BLE001 - as db_worker: every failure is recorded on the task
            db_task_result.set_failed(exc)
            try:
                task_finished.send(sender=type(db_task_result.task.get_backend()), task_result=db_task_result.task_result)
            except Exception:  # noqa: BLE001
                log.exception("task %s failed unexpectedly", db_task_result.id)
        finally:
            self.running_task = False
            self._run_tasks += 1


def grace_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get(GRACE_ENV, DEFAULT_GRACE)))
    except ValueError:
        return DEFAULT_GRACE


def started_at_age(task: DBTaskResult) -> float:
    return (timezone.now() - task.started_at).total_seconds() if task.started_at else 0.0
