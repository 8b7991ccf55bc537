"""An upgraded installation starts with the current risk of each unit its completed runs covered
(the latest run per unit), as runner.keep_current_risk would have kept it."""

from decimal import Decimal

from django.db import migrations


def backfill(apps, schema_editor):
    ScreeningRun = apps.get_model("screening", "ScreeningRun")
    CurrentRisk = apps.get_model("screening", "CurrentRisk")
    Through = ScreeningRun.datasets.through
    latest = {}  # org id -> run, the latest completed run covering the unit
    for run in ScreeningRun.objects.filter(status="done", finished_at__isnull=False).order_by("finished_at", "id"):
        for org_id in Through.objects.filter(screeningrun_id=run.pk).values_list("dataset__org_id", flat=True):
            latest[org_id] = run
    rows = []
    for org_id, run in latest.items():
        row = next((r for r in run.ranking if r.get("org_id") == org_id), {})
        rows.append(CurrentRisk(org_id=org_id, run=run, fiscal_year=run.fiscal_year, finished_at=run.finished_at,
                                score=row.get("score", 0), flags=row.get("flags", 0), high=row.get("high", 0),
                                vouchers=row.get("vouchers", 0), amount=Decimal(row.get("amount", "0"))))
    CurrentRisk.objects.bulk_create(rows, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("screening", "0010_currentrisk")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
