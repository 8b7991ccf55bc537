"""数据采集 pages: upload, background import with progress, error reports, datasets and their
quality reports, standard templates, account-role confirmation."""

from urllib.parse import quote

import duckdb
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from jingshen.ledger import collect, store
from jingshen.ledger.charts import account_roles_for, confirm_roles, effective_accounts
from jingshen.ledger.forms import AccountRolesForm, MappingForm, UploadForm
from jingshen.ledger.importers.source import preview
from jingshen.ledger.importers.vouchers import QUALITY_LABELS
from jingshen.ledger.models import JobStatus
from jingshen.ledger.roles import AccountRole
from jingshen.ledger.templates_xlsx import TEMPLATES, template_workbook
from jingshen import querystring
from jingshen.orgs import scope
from jingshen.tabular import normalize_header

QUALITY_LABELS_ALL = QUALITY_LABELS | {"roll_forward": "期初+发生额≠期末", "voucher_mismatch": "余额表与凭证不一致"}


@querystring.posts(UploadForm)
def index(request):
    user = request.user
    importable = scope.orgs_for(user, scope.IMPORT).order_by("code")
    mappings = collect.mappings_for(user)
    form = UploadForm(orgs=importable, mappings=mappings)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, orgs=importable, mappings=mappings)
        if form.is_valid():
            d = form.cleaned_data
            try:
                job = collect.submit_import(
                    user, d["file"], kind=d["kind"], org=d["org"], fiscal_year=d["fiscal_year"],
                    skip_bad_rows=d["skip_bad_rows"], create_accounts=d["create_accounts"], mapping=d["mapping"],
                )
            except (PermissionError, ValueError) as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("collect:job", job_id=job.pk)
    datasets = collect.datasets_for(user).order_by("org__code", "-fiscal_year", "kind", "-version")
    context = {
        "form": form,
        "can_import": importable.exists(),
        "jobs": collect.jobs_for(user).select_related("created_by")[:20],
        "datasets": datasets[:200],
        "dataset_count": datasets.count(),
        "templates": [(kind, spec[0]) for kind, spec in TEMPLATES.items()],
    }
    return render(request, "ledger/collect/index.html", context)


def job(request, job_id):
    job = collect.get_job_for_user(request.user, job_id)
    template = "ledger/collect/_job.html" if request.headers.get("HX-Request") else "ledger/collect/job.html"
    needs_mapping = job.status == JobStatus.FAILED and any(
        e["reason"].startswith(("缺少", "找不到表头")) and e.get("column") not in ("单位编码", "会计年度")
        for e in job.errors
    )
    context = {"job": job, "running": job.status in (JobStatus.QUEUED, JobStatus.RUNNING), "needs_mapping": needs_mapping}
    return render(request, template, context)


def template(request, kind):
    if kind not in TEMPLATES:
        raise Http404("没有这种模板。")
    name, content = template_workbook(kind)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


class DatasetQuery(querystring.QueryForm):
    issue = querystring.choice("问题类型", QUALITY_LABELS_ALL.items())
    page = querystring.page()


@querystring.query(DatasetQuery)
def dataset(request, dataset_id):
    ds = collect.get_dataset_for_user(request.user, dataset_id)
    issue = request.query.value("issue")
    path = store.parquet_path(ds, "quality")
    where = "WHERE issue = ?" if issue else ""
    params = [issue] if issue else []
    source = f"read_parquet('{path}', hive_partitioning = false) {where}"
    # A connection of its own: DuckDB's module-level default connection is shared by every
    # server thread and answers "connection is busy" to the second one.
    with duckdb.connect() as con:
        total = con.execute(f"SELECT count(*) FROM {source}", params).fetchall()[0][0] if path.exists() else 0
        page = Paginator(range(total), 100).get_page(request.query.value("page"))
        rows = con.execute(  # one page of the report, paged in DuckDB (it may hold many rejected rows)
            f"SELECT issue, period, voucher_type, voucher_no, source_row, message FROM {source} "
            f"ORDER BY issue, period NULLS LAST, voucher_type, voucher_no, source_row LIMIT 100 OFFSET ?",
            [*params, (page.number - 1) * 100],
        ).fetchall() if total else []
    versions = collect.datasets_for(request.user).filter(org=ds.org, fiscal_year=ds.fiscal_year, kind=ds.kind)
    context = {
        "ds": ds,
        "page": page,
        "rows": rows,
        "issue": issue,
        "counts": [(k, QUALITY_LABELS_ALL.get(k, k), v) for k, v in sorted(ds.quality.items())],
        "versions": versions.order_by("-version"),
    }
    return render(request, "ledger/collect/dataset.html", context)


def chart(request, code):
    org = scope.get_org_for_user(request.user, code, scope.IMPORT)
    context = {"org": org, "accounts": account_roles_for(org), "roles": AccountRole.choices}
    return render(request, "ledger/collect/chart.html", context)


@require_POST
@querystring.posts(AccountRolesForm)
def chart_confirm(request, code):
    org = scope.get_org_for_user(request.user, code, scope.IMPORT)
    form = AccountRolesForm(request.POST, codes=effective_accounts(org), roles=AccountRole.choices)
    try:
        if not form.is_valid():
            raise ValueError("提交的科目或角色无效，请刷新页面后重试。")
        changed = confirm_roles(org, form.choices(), actor=request.user)
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已确认 {changed} 个科目的角色。")
    return redirect("collect:chart", code=org.code)


@querystring.posts(MappingForm)
def job_mapping(request, job_id):
    """Map the columns of a refused file to fields once, save them as a conversion template,
    and import the file again with it."""
    user = request.user
    job = collect.get_job_for_user(request.user, job_id)
    if not scope.orgs_for(user, scope.IMPORT).exists():
        raise Http404("您的角色没有数据采集权限。")
    rows = preview(job.file.path, job.original_name)
    header_index = max(range(len(rows)), key=lambda i: sum(1 for c in rows[i] if c.strip())) if rows else 0
    header = [c.strip() for c in rows[header_index]] if rows else []
    fields = collect.IMPORT_FIELDS[job.kind]
    auto = {}
    form = MappingForm(request.POST, import_fields=fields)
    if request.method == "POST":
        valid = form.is_valid()
        choices = form.choices()
        try:
            if not valid:
                raise ValueError(form.problems())
            mapping = collect.save_mapping(user, name=form.cleaned_data["name"], kind=job.kind, mapping=choices)
        except ValueError as exc:
            messages.error(request, str(exc))
            auto = choices
        else:
            new = collect.retry_with_mapping(user, job, mapping)
            return redirect("collect:job", job_id=new.pk)
    else:
        lookup = {normalize_header(a): f.name for f in fields for a in (f.name, *f.aliases)}
        auto = {lookup[normalize_header(h)]: h for h in header if normalize_header(h) in lookup}
    context = {
        "job": job,
        "rows": rows,
        "header_row": header_index + 1,
        "header": [h for h in header if h],
        "fields": [(f, auto.get(f.name, "")) for f in fields],
        "name": form.cleaned_data.get("name", "") if request.method == "POST" else "",
    }
    return render(request, "ledger/collect/mapping.html", context)
