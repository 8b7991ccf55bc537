"""Background tasks (django-tasks: immediate in tests, database queue + worker in production).
Services enqueue them after their transaction commits; a task only runs the work."""

from django_tasks import task

from jingshen.activity.context import from_task
from jingshen.ledger.jobs import run_job
from jingshen.ledger.models import ImportJob


@task()
@from_task
def run_import_job(job_id: int) -> None:
    run_job(ImportJob.objects.select_related("created_by", "org").get(pk=job_id))
