"""数据采集 as a service: uploads become ImportJobs run in the background, with progress the
page polls. The CLI calls the importers directly; both share the same importers and errors."""

import hashlib
import logging

from django.core.files.base import File
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from jingshen.activity.services import record
from jingshen.ledger.charts import import_chart
from jingshen.ledger.importers.balances import import_balances
from jingshen.ledger.importers.vouchers import import_vouchers
from jingshen.ledger.charts import ACCOUNT_FIELDS
from jingshen.ledger.importers.balances import BALANCE_FIELDS
from jingshen.ledger.importers.vouchers import VOUCHER_FIELDS
from jingshen.ledger.models import ColumnMapping, Dataset, ImportJob, ImportKind, JobStatus
from jingshen.orgs import scope
from jingshen.tabular import MAX_ERRORS_SHOWN, TableError

log = logging.getLogger(__name__)
PROGRESS_STEP = 0.02  # write progress to the database every 2 %
IMPORT_FIELDS = {ImportKind.VOUCHERS: VOUCHER_FIELDS, ImportKind.BALANCES: BALANCE_FIELDS, ImportKind.ACCOUNTS: ACCOUNT_FIELDS}


def submit_import(user, upload, *, kind: str, org=None, fiscal_year=None, skip_bad_rows=False, create_accounts=False,
                  mapping=None) -> ImportJob:
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
            mapping=mapping,
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
    mapping = job.mapping.mapping if job.mapping else None
    allowed = set(scope.orgs_for(user, scope.IMPORT).values_list("code", flat=True))
    path = job.file.path
    try:
        if job.kind == ImportKind.ACCOUNTS:
            result = import_chart(path, org=job.org, actor=user, display=job.original_name, mapping=mapping)
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


def retry_with_mapping(user, job: ImportJob, mapping) -> ImportJob:
    """Run a refused upload again with a column mapping: a new job on the same stored file."""
    new = ImportJob.objects.create(
        kind=job.kind, file=job.file.name, original_name=job.original_name, sha256=job.sha256, org=job.org,
        fiscal_year=job.fiscal_year, skip_bad_rows=job.skip_bad_rows, create_accounts=job.create_accounts,
        mapping=mapping, created_by=user, owner_org=user.org,
    )
    record("ledger.upload", f"按转换模板「{mapping.name}」重新导入「{job.original_name}」", actor=user, org=job.org, obj=new)
    from jingshen.ledger.tasks import run_import_job

    run_import_job.enqueue(new.pk)
    return new


def mappings_for(user, kind: str | None = None):
    """Conversion templates a user may use: those of units they see, and of units above them
    (a province's templates serve its cities and counties)."""
    if user.org is None:
        return ColumnMapping.objects.none()
    ancestors = [int(pk) for pk in user.org.path.strip("/").split("/") if pk]
    qs = ColumnMapping.objects.filter(
        Q(owner_org__in=scope.visible_orgs(user).values("pk")) | Q(owner_org_id__in=ancestors)
    )
    return qs.filter(kind=kind) if kind else qs


def save_mapping(user, *, name: str, kind: str, mapping: dict[str, str]) -> ColumnMapping:
    """Save a conversion template of the user's unit; every required field must be mapped."""
    fields = IMPORT_FIELDS[kind]
    known = {f.name for f in fields}
    mapping = {k: v for k, v in mapping.items() if k in known and v}
    missing = [f.name for f in fields if f.required and f.name not in mapping]
    if kind == ImportKind.VOUCHERS and not ({"借方金额", "贷方金额"} <= set(mapping) or {"金额", "借贷方向"} <= set(mapping)):
        missing.append("借方金额和贷方金额（或金额和借贷方向）")
    if missing:
        raise ValueError("以下必需的列还没有对应：" + "、".join(missing) + "。")
    name = name.strip()
    if not name:
        raise ValueError("请给转换模板起一个名称，例如“某某财务软件凭证导出”。")
    if ColumnMapping.objects.filter(owner_org=user.org, kind=kind, name=name).exists():
        raise ValueError(f"本单位已有名为「{name}」的转换模板，请换一个名称。")
    saved = ColumnMapping.objects.create(name=name, kind=kind, mapping=mapping, owner_org=user.org, created_by=user)
    record("ledger.save_mapping", f"保存转换模板「{name}」", actor=user, org=user.org, obj=saved)
    return saved


def mapping_by_name(name: str, kind: str) -> dict[str, str]:
    """A saved conversion template's column mapping, for the command line."""
    found = list(ColumnMapping.objects.filter(name=name, kind=kind).select_related("owner_org"))
    if not found:
        raise ValueError(f"没有名为「{name}」的{ImportKind(kind).label}转换模板。")
    if len(found) > 1:
        owners = "、".join(m.owner_org.name for m in found)
        raise ValueError(f"有多个名为「{name}」的转换模板（{owners}），请在页面上改名后再用。")
    return found[0].mapping


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


def get_dataset_for_user(user, dataset_id: int, kind: str | None = None) -> Dataset:
    """The dataset if its unit is in the user's view scope (and it is of ``kind``), else 404:
    a foreign dataset answers exactly like one that does not exist."""
    datasets = datasets_for(user) if kind is None else datasets_for(user).filter(kind=kind)
    dataset = datasets.filter(pk=dataset_id).first()
    if dataset is None:
        raise Http404("数据集不存在或不在您的权限范围内。")
    return dataset
