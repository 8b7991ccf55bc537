"""数据采集 as a service: uploads become ImportJobs run in the background, with progress the
page polls. The CLI calls the importers directly; both share the same importers and errors."""

import hashlib
import logging

from django.core.files.base import File
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from jingshen.activity.services import record
from jingshen.ledger.charts import import_chart
from jingshen.ledger.importers.balances import import_balances
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.ledger.models import Dataset, ImportJob, ImportKind, JobStatus
from jingshen.orgs import scope
from jingshen.tabular import MAX_ERRORS_SHOWN, TableError

log = logging.getLogger(__name__)
PROGRESS_STEP = 0.02  # write progress to the database every 2 %


def submit_import(user, upload, *, kind: str, org=None, fiscal_year=None, skip_bad_rows=False, create_accounts=False) -> ImportJob:
    """Keep the uploaded file, create the job and queue it. ``org`` (optional for vouchers and
    balances, required for a chart) must be in the user's import scope."""
    importable = scope.orgs_for(user, scope.IMPORT)
    if not importable.exists():
        raise PermissionError("您的角色没有数据采集权限。")
    if org is not None and not importable.filter(pk=org.pk).exists():
        raise Http404("单位不存在或不在您的权限范围内。")
    if kind == ImportKind.ACCOUNTS and org is None:
        raise ValueError("导入科目表时请选择单位（默认科目表由系统管理员在命令行导入）。")
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    with transaction.atomic():
        job = ImportJob(
            kind=kind,
            original_name=upload.name,
            sha256=digest.hexdigest(),
            org=org,
            fiscal_year=fiscal_year,
            skip_bad_rows=skip_bad_rows,
            create_accounts=create_accounts,
            created_by=user,
            owner_org=user.org,
        )
        job.file.save(upload.name, File(upload), save=False)
        job.save()
        record("ledger.upload", f"上传{job.get_kind_display()}文件「{upload.name}」", actor=user, org=org, obj=job)
    from jingshen.ledger.tasks import run_import_job  # the task module imports this one

    run_import_job.enqueue(job.pk)  # after the commit: the worker must find the job
    return job


def run_job(job: ImportJob) -> None:
    """Run one import job to completion, recording progress, result or every error."""
    job.status, job.progress, job.stage = JobStatus.RUNNING, 0.0, "读取文件"
    job.save(update_fields=["status", "progress", "stage"])
    last = [0.0]

    def progress(fraction: float, stage: str) -> None:
        if fraction - last[0] >= PROGRESS_STEP or stage != job.stage:
            last[0] = fraction
            ImportJob.objects.filter(pk=job.pk).update(progress=fraction, stage=stage)
            job.stage = stage

    user = job.created_by
    allowed = set(scope.orgs_for(user, scope.IMPORT).values_list("code", flat=True))
    path = job.file.path
    try:
        if job.kind == ImportKind.ACCOUNTS:
            result = import_chart(path, org=job.org, actor=user, display=job.original_name)
            job.summary, datasets = result.summary(), []
        else:
            importer = import_vouchers if job.kind == ImportKind.VOUCHERS else import_balances
            options = {"create_accounts": job.create_accounts} if job.kind == ImportKind.VOUCHERS else {}
            report = importer(
                path,
                org=job.org,
                year=job.fiscal_year,
                skip_bad_rows=job.skip_bad_rows,
                allowed_orgs=allowed,
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
    except Exception:
        log.exception("import job %s failed", job.pk)
        job.status = JobStatus.FAILED
        job.summary = "导入时发生系统错误，系统中的数据未做任何改动。请联系系统管理员（详见服务器日志）。"
        datasets = []
    job.progress = 1.0
    job.stage = job.get_status_display()
    job.finished_at = timezone.now()
    job.save()
    job.datasets.set(datasets)


def jobs_for(user):
    """Import jobs uploaded by users of units the user may see."""
    return scope.restrict(ImportJob.objects.all(), user, field="owner_org")


def get_job_for_user(user, job_id: int) -> ImportJob:
    job = jobs_for(user).select_related("created_by", "org").filter(pk=job_id).first()
    if job is None:
        raise Http404("导入任务不存在或不在您的权限范围内。")
    return job


def datasets_for(user):
    return scope.restrict(Dataset.objects.all(), user).select_related("org")


def get_dataset_for_user(user, dataset_id: int) -> Dataset:
    dataset = datasets_for(user).filter(pk=dataset_id).first()
    if dataset is None:
        raise Http404("数据集不存在或不在您的权限范围内。")
    return dataset
