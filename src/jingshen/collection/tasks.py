"""Background tasks of 报送计划 (django-tasks); the worker's scheduler enqueues them."""

from django_tasks import task

from jingshen.activity.context import from_task
from jingshen.collection.services import run_due


@task()
@from_task
def run_due_task() -> str:
    return run_due().summary()
