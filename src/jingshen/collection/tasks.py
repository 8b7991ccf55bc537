"""Background tasks of 联网采集 (django-tasks); the worker's scheduler enqueues them."""

from django_tasks import task

from jingshen.activity.context import from_task
from jingshen.collection.services import run_due, run_watch


@task()
@from_task
def run_due_task() -> str:
    return run_due().summary()


@task()
@from_task
def watch_task() -> str:
    return run_watch().summary()
