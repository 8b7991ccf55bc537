"""Background task: a screening run started from the page (services.start_in_background)."""

from django_tasks import task

from jingshen.activity.context import from_task
from jingshen.screening.models import ScreeningRun
from jingshen.screening.runner import execute_run


@task()
@from_task
def run_screening_task(run_id: int) -> None:
    run = ScreeningRun.objects.get(pk=run_id)
    try:
        execute_run(run)
    except Exception:  # recorded on the run and in the activity log by execute_run; the page shows it
        return
