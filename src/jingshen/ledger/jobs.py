"""The work of one import job (数据采集 upload), run by the background task
``ledger.tasks.run_import_job``: the importers, with the job's progress, result or every error
recorded on the job."""

import logging

from django.db import transaction
from django.utils import timezone

from jingshen.activity.services import record
from jingshen.ledger.charts import import_chart
from jingshen.ledger.importers.balances import import_balances
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.ledger.models import ImportJob, ImportKind, JobStatus
from jingshen.orgs import scope
from jingshen.tabular import MAX_ERRORS_SHOWN, TableError

log = logging.getLogger(__name__)
PROGRESS_STEP = 0.02  # write progress to the database every 2 %


def run_job(job: ImportJob) -> None:
    """Run one import job to completion, recording progress, result or every error. The
    uploader's import scope is checked again here: it may have changed since the upload."""
    job.status, job.progress, job.stage = JobStatus.RUNNING, 0.0, "读取文件"
    job.save(update_fields=["status", "progress", "stage"])
    last = [0.0]

    def progress(fraction: float, stage: str) -> None:
        if fraction - last[0] >= PROGRESS_STEP or stage != job.stage:
            last[0] = fraction
            ImportJob.objects.filter(pk=job.pk).update(progress=fraction, stage=stage)
            job.stage = stage

    user = job.created_by
    mapping = job.mapping.mapping if job.mapping else None
    allowed = set(scope.orgs_for(user, scope.IMPORT).values_list("code", flat=True))
    path = job.file.path
    try:
        if job.org is not None and job.org.code not in allowed:
            raise PermissionError(f"您没有为{job.org.name}采集数据的权限，文件未导入。")
        if job.kind == ImportKind.ACCOUNTS:
            result = import_chart(path, org=job.org, actor=user, display=job.original_name, mapping=mapping)
            job.summary, datasets = result.summary(), []
        else:
            importer = import_vouchers if job.kind == ImportKind.VOUCHERS else import_balances
            options = {"create_accounts": job.create_accounts, "merge": job.merge} if job.kind == ImportKind.VOUCHERS else {}
            report = importer(
                path,
                org=job.org,
                year=job.fiscal_year,
                skip_bad_rows=job.skip_bad_rows,
                allowed_orgs=allowed,
                mapping=mapping,
                actor=user,
                display=job.original_name,
                progress=progress,
                **options,
            )
            job.summary, datasets = report.summary(), [*report.created, *report.unchanged]
            job.errors = [e.as_dict() for e in report.rejected_errors]
            job.error_total = report.rejected
        job.status = JobStatus.DONE
    except TableError as exc:
        job.status = JobStatus.FAILED
        job.summary = "文件被拒绝，系统中的数据未做任何改动。"
        job.errors = [e.as_dict() for e in exc.errors[:MAX_ERRORS_SHOWN]]
        job.error_total = exc.total
        datasets = []
    except PermissionError as exc:
        job.status = JobStatus.FAILED
        job.summary = str(exc)
        datasets = []
    except Exception:
        log.exception("import job %s failed", job.pk)
        job.status = JobStatus.FAILED
        job.summary = "导入时发生系统错误，系统中的数据未做任何改动。请联系系统管理员（详见服务器日志）。"
        datasets = []
    job.progress = 1.0
    job.stage = job.get_status_display()
    job.finished_at = timezone.now()
    with transaction.atomic():
        job.save()
        job.datasets.set(datasets)
        outcome = "完成" if job.status == JobStatus.DONE else "失败"
        record(f"ledger.job_{job.status}", f"导入任务 #{job.pk}「{job.original_name}」{outcome}：{job.summary[:200]}",
               actor=user, org=job.org, obj=job, errors=job.error_total, datasets=[d.pk for d in datasets])
