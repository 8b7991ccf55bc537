"""数据采集 pages: upload, background import with progress, error reports, datasets and their
quality reports, standard templates, account-role confirmation."""

from urllib.parse import quote

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from jingshen.activity.services import record_download
from jingshen.ledger import access, books, services
from jingshen.ledger.charts import account_roles_for, effective_accounts
from jingshen.ledger.forms import AccountRolesForm, MappingForm, UploadForm
from jingshen.ledger.importers.vouchers import QUALITY_LABELS
from jingshen.ledger.models import DatasetKind, JobStatus
from jingshen.ledger.roles import AccountRole
from jingshen.ledger.templates_xlsx import TEMPLATES, template_workbook
from jingshen import querystring
from jingshen.orgs import scope
from jingshen.screening import applicability

QUALITY_LABELS_ALL = QUALITY_LABELS | {"roll_forward": "期初+发生额≠期末", "voucher_mismatch": "余额表与凭证不一致"}


@querystring.posts(UploadForm)
def index(request):
    user = request.user
    importable = scope.orgs_for(user, scope.IMPORT).order_by("code")
    mappings = access.mappings_for(user)
    form = UploadForm(orgs=importable, mappings=mappings)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, orgs=importable, mappings=mappings)
        if not importable.exists() or form.has_error("org", "invalid_choice"):
            raise Http404("单位不存在或不在您的权限范围内。")  # a unit the user may not import for, like no unit
        if form.is_valid():
            d = form.cleaned_data
            try:
                job = services.submit_import(
                    user, d["file"], kind=d["kind"], org=d["org"], fiscal_year=d["fiscal_year"],
                    skip_bad_rows=d["skip_bad_rows"], create_accounts=d["create_accounts"], mapping=d["mapping"],
                    merge=d["merge"],
                )
            except (PermissionError, ValueError) as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("collect:job", job_id=job.pk)
    datasets = access.datasets_for(user).order_by("org__code", "-fiscal_year", "kind", "-version")
    context = {
        "form": form,
        "can_import": importable.exists(),
        "jobs": access.jobs_for(user).select_related("created_by")[:20],
        "datasets": datasets[:200],
        "dataset_count": datasets.count(),
        "templates": [(kind, spec[0]) for kind, spec in TEMPLATES.items()],
    }
    return render(request, "ledger/collect/index.html", context)


def job(request, job_id):
    job = access.get_job_for_user(request.user, job_id)
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
    record_download("标准模板", name, actor=request.user)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


class DatasetQuery(querystring.QueryForm):
    issue = querystring.choice("问题类型", QUALITY_LABELS_ALL.items())
    page = querystring.page()


@querystring.query(DatasetQuery)
def dataset(request, dataset_id):
    ds = access.get_dataset_for_user(request.user, dataset_id)
    issue = request.query.value("issue")
    total = books.quality_count(ds, issue)
    page = Paginator(range(total), books.PAGE_SIZE).get_page(request.query.value("page"))
    rows = books.quality_rows(ds, issue, (page.number - 1) * books.PAGE_SIZE) if total else []
    versions = access.datasets_for(request.user).filter(org=ds.org, fiscal_year=ds.fiscal_year, kind=ds.kind)
    screened, not_applicable = applicability.for_dataset(ds) if ds.kind == DatasetKind.VOUCHERS else (None, [])
    context = {
        "screened": screened,
        # the run is linked only for those who may see the unit's runs (not the audited unit's contact)
        "run_visible": screened is not None and scope.can(request.user, scope.VIEW_FLAGS, ds.org),
        "not_applicable": not_applicable,
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
        changed = services.confirm_roles(request.user, org, form.choices())
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已确认 {changed} 个科目的角色。")
    return redirect("collect:chart", code=org.code)


@querystring.posts(MappingForm)
def job_mapping(request, job_id):
    """Map the columns of a refused file to fields once, save them as a conversion template,
    and import the file again with it."""
    user = request.user
    job = access.get_job_for_user(user, job_id, scope.IMPORT)  # re-importing is importing: for its unit
    guess = services.guess_mapping(job)
    fields = services.IMPORT_FIELDS[job.kind]
    auto = guess["auto"]
    form = MappingForm(request.POST, import_fields=fields)
    if request.method == "POST":
        valid = form.is_valid()
        choices = form.choices()
        try:
            if not valid:
                raise ValueError(form.problems())
            new = services.map_and_retry(user, job, name=form.cleaned_data["name"], mapping=choices)
        except (PermissionError, ValueError) as exc:
            messages.error(request, str(exc))
            auto = choices
        else:
            return redirect("collect:job", job_id=new.pk)
    context = {
        "job": job,
        "rows": guess["rows"],
        "header_row": guess["header_row"],
        "header": guess["header"],
        "fields": [(f, auto.get(f.name, "")) for f in fields],
        "name": form.cleaned_data.get("name", "") if request.method == "POST" else "",
    }
    return render(request, "ledger/collect/mapping.html", context)
