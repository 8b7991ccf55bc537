"""数据采集 writes: uploads become import jobs queued for the background worker
(``tasks.run_import_job`` runs ``jobs.run_job``), conversion templates, account roles. Each
function checks the user's scope for its action again (callers pass objects they fetched
through ``ledger/access.py``), runs in a transaction and records the activity. The CLI calls
the importers directly; both share the same importers and errors."""

import hashlib

from django.core.files.base import File
from django.db import transaction

from jingshen.activity.services import record
from jingshen.ledger import charts, tasks
from jingshen.ledger.charts import ACCOUNT_FIELDS
from jingshen.ledger.importers.balances import BALANCE_FIELDS
from jingshen.ledger.importers.source import preview
from jingshen.ledger.importers.vouchers import VOUCHER_FIELDS
from jingshen.ledger.models import ColumnMapping, ImportJob, ImportKind
from jingshen.orgs import scope
from jingshen.tabular import TableError, header_lookup

IMPORT_FIELDS = {ImportKind.VOUCHERS: VOUCHER_FIELDS, ImportKind.BALANCES: BALANCE_FIELDS, ImportKind.ACCOUNTS: ACCOUNT_FIELDS}
NOT_ALLOWED = "您没有为该单位采集数据的权限。"


def _check_import(user, org) -> None:
    """PermissionError unless the user may import data for ``org`` (or, with no unit chosen, for
    any unit: the importer then checks each unit of the file)."""
    importable = scope.orgs_for(user, scope.IMPORT)
    if not importable.exists():
        raise PermissionError("您的角色没有数据采集权限。")
    if org is not None and not importable.filter(pk=org.pk).exists():
        raise PermissionError(NOT_ALLOWED)


def submit_import(user, upload, *, kind: str, org=None, fiscal_year=None, skip_bad_rows=False, create_accounts=False,
                  mapping=None, merge=False) -> ImportJob:
    """Keep the uploaded file, create the job and queue it. ``org`` (optional for vouchers and
    balances, required for a chart) must be in the user's import scope. ``merge`` (vouchers): the
    file adds to the latest versions instead of replacing them (``import_vouchers``)."""
    _check_import(user, org)
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
            merge=merge and kind == ImportKind.VOUCHERS,
            mapping=mapping,
            created_by=user,
            owner_org=user.org,
        )
        job.file.save(upload.name, File(upload), save=False)
        job.save()
        record("ledger.upload", f"上传{job.get_kind_display()}文件「{upload.name}」", actor=user, org=org, obj=job)
    tasks.run_import_job.enqueue(job.pk)  # after the commit: the worker must find the job
    return job


def retry_with_mapping(user, job: ImportJob, mapping: ColumnMapping) -> ImportJob:
    """Run a refused upload again with a column mapping: a new job on the same stored file, for
    a user who may import data for the job's unit."""
    _check_import(user, job.org)
    with transaction.atomic():
        new = ImportJob.objects.create(
            kind=job.kind, file=job.file.name, original_name=job.original_name, sha256=job.sha256, org=job.org,
            fiscal_year=job.fiscal_year, skip_bad_rows=job.skip_bad_rows, create_accounts=job.create_accounts,
            merge=job.merge, mapping=mapping, created_by=user, owner_org=user.org,
        )
        record("ledger.upload", f"按转换模板「{mapping.name}」重新导入「{job.original_name}」", actor=user, org=job.org,
               obj=new, retry_of=job.pk)
    tasks.run_import_job.enqueue(new.pk)
    return new


def map_and_retry(user, job: ImportJob, *, name: str, mapping: dict[str, str]) -> ImportJob:
    """Save the columns the user mapped as a conversion template and import the refused file
    again with it: both or neither."""
    with transaction.atomic():
        saved = save_mapping(user, name=name, kind=job.kind, mapping=mapping)
        return retry_with_mapping(user, job, saved)


def guess_mapping(job: ImportJob) -> dict:
    """The first rows of a refused file, the row that looks like its header (the fullest of
    them), and the fields whose names or aliases match a header cell: what the mapping page
    starts from."""
    try:
        rows = preview(job.file.path, job.original_name)
    except TableError:  # a file that cannot be read at all (malformed XML, no table): nothing to map
        rows = []
    header_index = max(range(len(rows)), key=lambda i: sum(1 for c in rows[i] if c.strip())) if rows else 0
    header = [c.strip() for c in rows[header_index]] if rows else []
    fields = IMPORT_FIELDS[job.kind]
    lookup = header_lookup(fields)
    auto = {lookup(h): h for h in header if lookup(h)}
    return {"rows": rows, "header_row": header_index + 1, "header": [h for h in header if h], "auto": auto}


def save_mapping(user, *, name: str, kind: str, mapping: dict[str, str]) -> ColumnMapping:
    """Save a conversion template of the user's unit; every required field must be mapped."""
    _check_import(user, None)
    fields = IMPORT_FIELDS[kind]
    known = {f.name for f in fields}
    mapping = {k: v for k, v in mapping.items() if k in known and v}
    missing = [f.name for f in fields if f.required and f.name not in mapping]
    if kind == ImportKind.VOUCHERS and not ({"借方金额", "贷方金额"} <= set(mapping) or {"金额", "借贷方向"} <= set(mapping)):
        missing.append("借方金额和贷方金额（或金额和借贷方向）")
    if missing:
        raise ValueError("以下必需的列还没有对应：" + "、".join(missing) + "。")
    name = name.strip()[:100]
    if not name:
        raise ValueError("请给转换模板起一个名称，例如“某某财务软件凭证导出”。")
    with transaction.atomic():
        if ColumnMapping.objects.filter(owner_org=user.org, kind=kind, name=name).exists():
            raise ValueError(f"本单位已有名为「{name}」的转换模板，请换一个名称。")
        saved = ColumnMapping.objects.create(name=name, kind=kind, mapping=mapping, owner_org=user.org, created_by=user)
        record("ledger.save_mapping", f"保存转换模板「{name}」", actor=user, org=user.org, obj=saved, after=mapping)
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


def confirm_roles(user, org, choices: dict[str, str]) -> int:
    """Set and confirm the roles of a unit's accounts (a user who may import data for it)."""
    _check_import(user, org)
    return charts.confirm_roles(org, choices, actor=user)
