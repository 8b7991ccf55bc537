"""工作底稿 pages: the workpaper list (and its XLSX index), a workpaper with its review notes,
evidence and version history, and their writes. Views check access (access.py, workpapers.py),
call the services in workpapers.py, render. The audited unit's contact never gets here (404)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from jingshen import querystring, xlsx_export
from jingshen.activity.services import record_download
from jingshen.audits import access, evidence, findings, workpapers
from jingshen.audits.forms_workpapers import EvidenceForm, NoteForm, RemoveEvidenceForm, ReplyForm, WorkpaperForm, WorkpaperListForm
from jingshen.audits.models import NoteStatus, ReviewNote, WorkpaperStatus
from jingshen.knowledge import citations as cited
from jingshen.xlsx_export import Column, Sheet


def _project(request, project_id):
    """The project, for a user who sees its workpapers; 404 for anyone else."""
    p = access.get_project_for_user(request.user, project_id)
    workpapers.check_view(request.user, p)
    return p


def _project_for_post(request, project_id):
    """The project, for a write by its team or the auditing unit's 经审负责人; 404 for anyone
    who may only see it (a leader above, a grantee, the audited unit)."""
    p = access.get_project_for_user(request.user, project_id)
    if not workpapers.may_write(request.user, p):
        raise Http404(workpapers.NOT_FOUND)
    return p


def _workpaper_in(p, wp_id):
    wp = p.workpapers.select_related("project", "org").filter(pk=wp_id).first()
    if wp is None:
        raise Http404(workpapers.NOT_FOUND)
    return wp


def _form_errors(request, form) -> None:
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else "提交的内容"
        messages.error(request, f"{label}：{''.join(errors)}")


def _fields(p, form) -> dict:
    data = dict(form.cleaned_data)
    if "citations" not in form.data:  # a form without the field leaves the citations as they are
        data.pop("citations")
    unit = p.units.select_related("org").filter(org__code=data.pop("org")).first()
    return data | {"org": unit.org if unit else None}


def _date(value):
    return timezone.localtime(value).date() if value else None


# --- the list and its XLSX index ------------------------------------------------------------------


@querystring.query(WorkpaperListForm)
def index(request, project_id):
    p = _project(request, project_id)
    rows = workpapers.workpapers_of(p)
    if request.query.wants_xlsx():
        return xlsx_export.response(request, index_sheet(p, rows), f"工作底稿索引-{p.code}.xlsx", f"workpapers-{p.pk}.xlsx",
                                    org=p.owner_org, obj=p)
    open_notes = {}
    for wp_id in p.workpapers.filter(notes__status__in=[NoteStatus.OPEN, NoteStatus.ANSWERED]).values_list("pk", flat=True):
        open_notes[wp_id] = open_notes.get(wp_id, 0) + 1
    context = {"project": p, "rows": [(wp, open_notes.get(wp.pk, 0)) for wp in rows],
               "may_work": access.may_work(request.user, p)}
    return render(request, "audits/workpapers.html", context)


def index_sheet(p, rows) -> Sheet:
    """工作底稿索引: one row per workpaper, in index order."""
    def person(user):
        return (user.display_name or user.username) if user else ""

    return Sheet(
        title="工作底稿索引",
        heading=["工作底稿索引", f"项目：{p.code} {p.name}", f"导出时间：{timezone.localtime():%Y-%m-%d %H:%M}"],
        columns=[Column("索引号", width=12), Column("审计事项", width=36), Column("被审计单位", width=28),
                 Column("所属期间", width=24), Column("编制人", width=12), Column("编制日期", "date", 12),
                 Column("复核人", width=12), Column("复核日期", "date", 12), Column("状态", width=10),
                 Column("复核后修改", width=10)],
        rows=((wp.index_no, wp.matter, wp.org.name, wp.period_display, person(wp.prepared_by), wp.prepared_on,
               person(wp.reviewed_by), _date(wp.reviewed_at), wp.get_status_display(), "是" if wp.modified_after_review else "")
              for wp in rows),
    )


# --- one workpaper ----------------------------------------------------------------------------------


def _values(wp) -> dict:
    return {"org": wp.org.code, "index_no": wp.index_no, "matter": wp.matter, "period_text": wp.period_text,
            "period_from": wp.period_from.isoformat() if wp.period_from else "",
            "period_to": wp.period_to.isoformat() if wp.period_to else "",
            "procedures": wp.procedures, "conclusion": wp.conclusion, "basis": wp.basis,
            "citations": "\n".join(cited.line_of(c) for c in cited.citations_of(wp)),
            "prepared_on": wp.prepared_on.isoformat()}


@querystring.posts(WorkpaperForm)
def new(request, project_id):
    user = request.user
    if request.method == "POST":
        p = _project_for_post(request, project_id)
        form = WorkpaperForm(request.POST)
        if form.is_valid():
            try:
                wp = workpapers.create_workpaper(user, p, **_fields(p, form))
            except (PermissionError, ValueError) as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, f"已创建工作底稿「{wp.index_no}」。")
                return redirect("audits:workpaper", project_id=p.pk, wp_id=wp.pk)
        else:
            _form_errors(request, form)
        values = form.data
    else:
        p = _project(request, project_id)
        values = {"prepared_on": timezone.localdate().isoformat()}
    context = {"project": p, "values": values, "units": p.units.select_related("org").order_by("org__code"),
               "may_work": access.may_work(user, p)}
    return render(request, "audits/workpaper_new.html", context)


@querystring.posts(WorkpaperForm)
def workpaper(request, project_id, wp_id):
    user = request.user
    values = None
    if request.method == "POST":
        p = _project_for_post(request, project_id)
        wp = _workpaper_in(p, wp_id)
        form = WorkpaperForm(request.POST)
        if form.is_valid():
            try:
                workpapers.update_workpaper(user, wp, **_fields(p, form))
            except (PermissionError, ValueError) as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, "底稿已保存。")
                return redirect("audits:workpaper", project_id=p.pk, wp_id=wp.pk)
        else:
            _form_errors(request, form)
        values = form.data
        if not workpapers.may_view(user, p):
            return redirect("audits:project", project_id=p.pk)
    else:
        p = _project(request, project_id)
    wp = workpapers.get_workpaper_for_user(user, p, wp_id)
    may_work = access.may_work(user, p)
    may_review = workpapers.may_review(user, p)
    versions = list(wp.versions.select_related("changed_by").order_by("-number"))
    labels = workpapers.CHANGE_LABELS
    context = {
        "project": p, "wp": wp, "values": values or _values(wp),
        "units": p.units.select_related("org").order_by("org__code"),
        "notes": wp.notes.select_related("author", "answered_by"),
        "citations": list(cited.citations_of(wp)),
        "versions": [(v, [(labels.get(k, k), before, after) for k, (before, after) in v.changes.items()]) for v in versions],
        "after_review": [v for v in versions if v.after_review],
        "may_work": may_work,
        "may_review": may_review,
        "may_submit": may_work and wp.status == WorkpaperStatus.DRAFT,
        "may_sign": may_review and wp.status == WorkpaperStatus.SUBMITTED and wp.prepared_by_id != user.pk,
        "may_note": may_review and wp.status != WorkpaperStatus.REVIEWED,
        "may_answer": may_work and wp.prepared_by_id == user.pk,
    } | evidence_context(user, p, wp, reverse("audits:evidence_upload", args=[p.pk, wp.pk]))
    return render(request, "audits/workpaper.html", context)


def _done(request, p, wp_id, write, *args, success: str = ""):
    try:
        write(request.user, *args)
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        if success:
            messages.success(request, success)
    return redirect("audits:workpaper", project_id=p.pk, wp_id=wp_id)


@require_POST
def submit(request, project_id, wp_id):
    p = _project_for_post(request, project_id)
    return _done(request, p, wp_id, workpapers.submit_workpaper, _workpaper_in(p, wp_id), success="已提交复核。")


@require_POST
def sign_off(request, project_id, wp_id):
    p = _project_for_post(request, project_id)
    return _done(request, p, wp_id, workpapers.sign_off, _workpaper_in(p, wp_id), success="已复核签字。")


@require_POST
@querystring.posts(NoteForm)
def note_add(request, project_id, wp_id):
    p = _project_for_post(request, project_id)
    wp = _workpaper_in(p, wp_id)
    form = NoteForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("audits:workpaper", project_id=p.pk, wp_id=wp.pk)
    return _done(request, p, wp.pk, workpapers.add_note, wp, form.cleaned_data["text"], success="已提出复核意见。")


def _note_in(p, note_id):
    note = ReviewNote.objects.select_related("workpaper__project").filter(pk=note_id, workpaper__project=p).first()
    if note is None:
        raise Http404("复核意见不存在或不在您的权限范围内。")
    return note


@require_POST
@querystring.posts(ReplyForm)
def note_answer(request, project_id, note_id):
    p = _project_for_post(request, project_id)
    note = _note_in(p, note_id)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("audits:workpaper", project_id=p.pk, wp_id=note.workpaper_id)
    return _done(request, p, note.workpaper_id, workpapers.answer_note, note, form.cleaned_data["reply"], success="已答复复核意见。")


@require_POST
def note_close(request, project_id, note_id):
    p = _project_for_post(request, project_id)
    note = _note_in(p, note_id)
    return _done(request, p, note.workpaper_id, workpapers.close_note, note, success="已关闭复核意见。")


# --- evidence -----------------------------------------------------------------------------------------


def evidence_context(user, p, target, upload_url: str) -> dict:
    """What the evidence section of a workpaper, verification or finding page shows
    (templates/audits/_evidence.html): the files with whether the user may remove each, and the
    upload form for those who may work."""
    may_view = workpapers.may_view(user, p)
    rows = target.evidence.select_related("uploaded_by") if may_view and target is not None else []
    return {
        "evidence_rows": [(e, workpapers.may_remove(user, e)) for e in rows],
        "evidence_shown": may_view and target is not None,
        "evidence_upload_url": upload_url if target is not None and access.may_work(user, p) else "",
        "max_mb": evidence.max_bytes() / (1024 * 1024),
        "allowed": evidence.ALLOWED_LABELS,
    }


def _upload(request, p, target, back):
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        _form_errors(request, form)
        return back
    try:
        item = workpapers.add_evidence(request.user, target, form.cleaned_data["file"], form.cleaned_data["description"])
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已上传取证材料「{item.original_name}」（{item.kind}）。")
    return back


@require_POST
@querystring.posts(EvidenceForm)
def evidence_upload(request, project_id, wp_id):
    p = _project_for_post(request, project_id)
    wp = _workpaper_in(p, wp_id)
    return _upload(request, p, wp, redirect("audits:workpaper", project_id=p.pk, wp_id=wp.pk))


@require_POST
@querystring.posts(EvidenceForm)
def verification_evidence_upload(request, project_id, verification_id):
    p = _project_for_post(request, project_id)
    v = findings.verifications_for(request.user, p).filter(pk=verification_id).first()
    if v is None:
        raise Http404("疑点核实不存在或不在您的权限范围内。")
    return _upload(request, p, v, redirect("audits:verification", project_id=p.pk, verification_id=v.pk))


@require_POST
@querystring.posts(EvidenceForm)
def finding_evidence_upload(request, project_id, finding_id):
    p = _project_for_post(request, project_id)
    f = findings.findings_for(request.user, p).filter(pk=finding_id).first()
    if f is None:
        raise Http404("审计发现不存在或不在您的权限范围内。")
    return _upload(request, p, f, redirect("audits:finding", project_id=p.pk, finding_id=f.pk))


def _page_of(item):
    if item.workpaper_id:
        return redirect("audits:workpaper", project_id=item.project_id, wp_id=item.workpaper_id)
    if item.verification_id:
        return redirect("audits:verification", project_id=item.project_id, verification_id=item.verification_id)
    return redirect("audits:finding", project_id=item.project_id, finding_id=item.finding_id)


@require_POST
@querystring.posts(RemoveEvidenceForm)
def evidence_remove(request, project_id, evidence_id):
    p = _project_for_post(request, project_id)
    item = workpapers.get_evidence_for_user(request.user, p, evidence_id)
    back = _page_of(item)
    form = RemoveEvidenceForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return back
    try:
        workpapers.remove_evidence(request.user, item, form.cleaned_data["reason"])
    except (PermissionError, ValueError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已删除取证材料「{item.original_name}」。")
    return back


def evidence_download(request, project_id, evidence_id):
    """The stored file as an attachment, with the type judged at upload and nosniff; logged."""
    p = _project(request, project_id)
    item = workpapers.get_evidence_for_user(request.user, p, evidence_id)
    try:
        response = evidence.file_response(item.storage_name, item.content_type, item.original_name, f"evidence-{item.pk}")
    except (OSError, evidence.EvidenceError):
        raise Http404("证据文件不存在。") from None
    record_download("取证材料", item.original_name, actor=request.user, org=p.owner_org, obj=item, project=p.code,
                    sha256=item.sha256, size=item.size)
    return response
