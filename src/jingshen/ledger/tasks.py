"""Background tasks (django-tasks: immediate in tests, database queue + worker in production)."""

from django_tasks import task

from jingshen.activity.context import from_task
from jingshen.ledger.collect import run_job
from jingshen.ledger.models import ImportJob


@task()
@from_task
def run_import_job(job_id: int) -> None:
    run_job(ImportJob.objects.select_related("created_by", "org").get(pk=job_id))
