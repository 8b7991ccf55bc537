"""The periodic jobs (django-tasks has no scheduler of its own): a thread started with the worker
(`jingshen worker`, and so `jingshen serve`) that every minute asks whether a job is due and, if
so, enqueues its task for the worker to run. Whether a job is due is decided in the database
(``SchedulerRun``, under a row lock), so several workers, restarts and `jingshen collect run-due`
from cron never run a job twice in one interval, and a job missed while no worker ran is run at
the next start."""

from __future__ import annotations

import datetime
import logging
import threading

from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from jingshen.collection.models import SchedulerRun

log = logging.getLogger(__name__)
TICK = 60  # seconds between two looks


def jobs() -> dict[str, tuple[datetime.timedelta, object]]:
    """name → (interval, the task to enqueue)."""
    from jingshen.collection.tasks import run_due_task, watch_task

    return {"collect.run_due": (datetime.timedelta(hours=1), run_due_task),
            "collect.watch": (datetime.timedelta(minutes=1), watch_task)}


def claim(name: str, every: datetime.timedelta, now: datetime.datetime | None = None) -> bool:
    """Whether job ``name`` is due (never run, or last started ``every`` ago); if so, mark it
    started now. Atomic: of two callers at the same moment, one gets True."""
    now = now or timezone.now()
    with transaction.atomic():
        SchedulerRun.objects.get_or_create(name=name)
        run = SchedulerRun.objects.select_for_update().get(name=name)
        if run.last_started_at is not None and now - run.last_started_at < every:
            return False
        run.last_started_at = now
        run.save(update_fields=["last_started_at"])
    return True


def tick(now: datetime.datetime | None = None) -> list[str]:
    """Enqueue every job that is due; the names enqueued."""
    started = []
    for name, (every, task) in jobs().items():
        if claim(name, every, now):
            task.enqueue()
            started.append(name)
    return started


class Scheduler(threading.Thread):
    def __init__(self):
        super().__init__(name="jingshen-scheduler", daemon=True)
        self.done = threading.Event()

    def run(self) -> None:
        while True:
            try:
                close_old_connections()
                for name in tick():
                    log.info("scheduled job %s enqueued", name)
            except Exception:  # noqa: BLE001 - a failed look is logged and retried at the next tick
                log.exception("scheduler tick failed")
            finally:
                connection.close()
            if self.done.wait(TICK):
                return

    def stop(self) -> None:
        self.done.set()
