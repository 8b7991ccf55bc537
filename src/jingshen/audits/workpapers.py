"""审计工作底稿: workpapers, their review notes (复核意见) and evidence files (取证材料) — who
sees them and every write to them.

**Who sees them.** The project's members who acknowledged the audit discipline, and the
经审负责人 of the auditing unit or of a unit above it (``scope.APPROVE`` on the owner unit or one
of its ancestors: they answer for the 经审会's work). Never the audited unit's contact, nor anyone
else who merely sees the project (a 领导查阅, other audit staff): for them the pages are 404.

**Who writes.** Members who may work (``access.may_work``) prepare and edit workpapers, submit
them for review, upload evidence and answer the notes on workpapers they prepared. Reviewers —
the project's 组长 or 主审 (``services.may_act(AUDITORS)``) or the auditing unit's 经审负责人
(``services.may_act(DIRECTOR)``) — raise notes, close their own, and sign workpapers off; nobody
signs off a workpaper they prepared, and a note not closed blocks the sign-off.

**Changes after sign-off.** Every edit keeps the values before it (``WorkpaperVersion``). An edit
of a signed-off workpaper (or new evidence on it) marks it 复核后修改 for good and sends it back to
待复核, its reviewer cleared (the version keeps who signed what), so the page shows exactly what
changed after the sign-off and the changed workpaper is reviewed again.

Each write re-checks who may (``PermissionError`` / ``ValueError`` in Chinese), runs in one
transaction and ends with one activity-log entry; an archived project refuses everything
(here, and in the models through ``ArchivedGuard``)."""

from __future__ import annotations

import datetime
import re
import unicodedata

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from jingshen.activity.services import record
from jingshen.audits import access, evidence, services
from jingshen.audits.models import (
    ArchivedError,
    AuditProject,
    Evidence,
    Finding,
    FlagVerification,
    NoteStatus,
    ReviewNote,
    Workpaper,
    WorkpaperStatus,
    WorkpaperVersion,
)
from jingshen.knowledge import citations as cited
from jingshen.orgs import scope

# 索引号: a letter and up to five letters or digits, then up to five numbered levels (A-1-3, B2-10)
INDEX_PATTERN = re.compile(r"[A-Z][A-Z0-9]{0,5}(?:-[0-9]{1,4}){0,5}")
TEXT_LIMIT = 5000
NOTE_LIMIT = 2000
# the fields an edit may change, with the names the page shows for them
FIELDS = {
    "org": "被审计单位", "index_no": "索引号", "matter": "审计事项", "period_text": "所属期间",
    "period_from": "所属期间起", "period_to": "所属期间止", "procedures": "审计程序",
    "conclusion": "审计结论", "basis": "依据", "prepared_on": "编制日期",
}
CHANGE_LABELS = FIELDS | {"evidence": "取证材料", "citations": "引用法规条款"}
NOT_FOUND = "工作底稿不存在或不在您的权限范围内。"


# --- access ------------------------------------------------------------------------------------


def may_view(user, project: AuditProject) -> bool:
    """Whether the user sees the project's workpapers and evidence (the module docstring)."""
    if not getattr(user, "is_authenticated", False):
        return False
    member = access.membership(user, project)
    if member is not None and member.acknowledged_at is not None:
        return True
    return scope.orgs_for(user, scope.APPROVE).filter(pk__in=project.owner_org.ancestor_ids()).exists()


def may_write(user, project: AuditProject) -> bool:
    """Whether the user writes to the workpapers at all (a member, or the auditing unit's
    经审负责人); each write still checks its own step."""
    return access.may_write(user, project)


def may_review(user, project: AuditProject) -> bool:
    return not project.archived and (services.may_act(user, project, services.AUDITORS)
                                     or services.may_act(user, project, services.DIRECTOR))


def check_view(user, project: AuditProject) -> None:
    if not may_view(user, project):
        raise Http404(NOT_FOUND)


def get_workpaper_for_user(user, project: AuditProject, workpaper_id: int) -> Workpaper:
    check_view(user, project)
    wp = project.workpapers.select_related("org", "prepared_by", "reviewed_by").filter(pk=workpaper_id).first()
    if wp is None:
        raise Http404(NOT_FOUND)
    return wp


def get_note_for_user(user, project: AuditProject, note_id: int) -> ReviewNote:
    check_view(user, project)
    note = ReviewNote.objects.select_related("workpaper__project", "author").filter(pk=note_id, workpaper__project=project).first()
    if note is None:
        raise Http404("复核意见不存在或不在您的权限范围内。")
    return note


def get_evidence_for_user(user, project: AuditProject, evidence_id: int) -> Evidence:
    check_view(user, project)
    item = project.evidence.select_related("workpaper", "verification", "finding").filter(pk=evidence_id).first()
    if item is None:
        raise Http404("取证材料不存在或不在您的权限范围内。")
    return item


def index_key(index_no: str) -> tuple:
    """Sort key: A-2 before A-10."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in index_no.split("-"))


def workpapers_of(project: AuditProject) -> list[Workpaper]:
    rows = project.workpapers.select_related("org", "prepared_by", "reviewed_by")
    return sorted(rows, key=lambda wp: index_key(wp.index_no))


# --- checks --------------------------------------------------------------------------------------


def _current(project: AuditProject) -> AuditProject:
    project = AuditProject.objects.select_related("owner_org").get(pk=project.pk)  # the stage as stored
    if project.archived:
        raise ArchivedError(project)
    return project


def _check_worker(user, project: AuditProject) -> None:
    if not access.may_work(user, project):
        raise PermissionError("只有确认了审计纪律的项目组成员可以编制工作底稿、上传取证材料。")


def _text(value, label: str, limit: int, required: bool = True, one_line: bool = False) -> str:
    text = str(value or "").replace("\r\n", "\n").strip()
    if one_line:
        text = " ".join(text.split())
    if "\x00" in text:
        raise ValueError(f"{label}含有无效字符。")
    if required and not text:
        raise ValueError(f"请填写{label}。")
    if len(text) > limit:
        raise ValueError(f"{label}不能超过 {limit:,} 个字。")
    return text


def clean_index_no(value) -> str:
    text = unicodedata.normalize("NFKC", str(value or "")).strip().upper().replace("—", "-").replace("－", "-")
    if not text:
        raise ValueError("请填写索引号。")
    if len(text) > 30 or not INDEX_PATTERN.fullmatch(text):
        raise ValueError(f"索引号「{text[:30]}」格式不对：应以字母开头，各级用“-”连接数字，例如 A-1-3。")
    return text


def _clean(project: AuditProject, fields: dict) -> dict:
    unit = fields.get("org")
    if unit is None or not project.units.filter(org=unit).exists():
        raise ValueError("请选择本项目的被审计单位。")
    start, end = fields.get("period_from"), fields.get("period_to")
    period_text = _text(fields.get("period_text"), "所属期间", 100, required=False, one_line=True)
    if start and end and end < start:
        raise ValueError("所属期间的结束日期不能早于开始日期。")
    if not (period_text or start or end):
        raise ValueError("请填写底稿的所属期间（文字或起止日期）。")
    prepared_on = fields.get("prepared_on") or timezone.localdate()
    if prepared_on > timezone.localdate():
        raise ValueError("编制日期不能晚于今天。")
    return {
        "org": unit,
        "index_no": clean_index_no(fields.get("index_no")),
        "matter": _text(fields.get("matter"), "审计事项", 200, one_line=True),
        "period_text": period_text, "period_from": start, "period_to": end,
        "procedures": _text(fields.get("procedures"), "审计程序", TEXT_LIMIT),
        "conclusion": _text(fields.get("conclusion"), "审计结论", TEXT_LIMIT),
        "basis": _text(fields.get("basis"), "依据", TEXT_LIMIT, required=False),
        "prepared_on": prepared_on,
    }


def _index_taken(project, index_no, exclude=None) -> bool:
    taken = project.workpapers.filter(index_no=index_no)
    return (taken.exclude(pk=exclude.pk) if exclude else taken).exists()


def _shown(value) -> str:
    """A field's value as the version history shows it."""
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if hasattr(value, "code") and hasattr(value, "name"):  # a unit
        return f"{value.name}（{value.code}）"
    return str(value)


def _citation_lines(wp: Workpaper) -> str:
    return "\n".join(cited.line_of(c) for c in cited.citations_of(wp)) if wp.pk else ""


def _snapshot(wp: Workpaper) -> dict:
    data = {name: _shown(getattr(wp, name)) for name in FIELDS} | {"citations": _citation_lines(wp)}
    data |= {"status": wp.status, "reviewed_by": wp.reviewed_by.username if wp.reviewed_by else "",
             "reviewed_at": wp.reviewed_at.isoformat() if wp.reviewed_at else ""}
    return data


# --- workpapers ------------------------------------------------------------------------------------


def _parsed_citations(fields: dict):
    """The ``citations`` field (lines, or None to leave them): parsed, Chinese errors."""
    lines = fields.pop("citations", None)
    if lines is None:
        return None
    return cited.parse_lines(lines if isinstance(lines, str) else "\n".join(lines))


def create_workpaper(user, project: AuditProject, **fields) -> Workpaper:
    """A new workpaper (编制中) prepared by ``user`` on one of the project's units; ``citations``
    (lines) are the articles its 依据 cites, resolved and frozen (knowledge/citations.py)."""
    project = _current(project)
    _check_worker(user, project)
    parsed = _parsed_citations(fields)
    values = _clean(project, fields)
    with transaction.atomic():
        if _index_taken(project, values["index_no"]):
            raise ValueError(f"索引号「{values['index_no']}」在本项目中已被使用。")
        wp = Workpaper.objects.create(project=project, prepared_by=user, status=WorkpaperStatus.DRAFT, **values)
        if parsed:
            cited.replace(user, wp, parsed)
        record("audits.workpaper_create", f"编制工作底稿「{wp.index_no} {wp.matter}」：{project.code}", actor=user,
               org=project.owner_org, obj=wp, project=project.code, unit=wp.org.code)
    return wp


def update_workpaper(user, wp: Workpaper, **fields) -> Workpaper:
    """Edit a workpaper, keeping the values before the edit. A signed-off workpaper becomes
    复核后修改 and 待复核 again."""
    project = _current(wp.project)
    _check_worker(user, project)
    parsed = _parsed_citations(fields)
    values = _clean(project, fields)
    with transaction.atomic():
        wp = Workpaper.objects.select_for_update(of=("self",)).select_related("org", "reviewed_by").get(pk=wp.pk)
        if values["index_no"] != wp.index_no and _index_taken(project, values["index_no"], exclude=wp):
            raise ValueError(f"索引号「{values['index_no']}」在本项目中已被使用。")
        changes = {name: [_shown(getattr(wp, name)), _shown(value)] for name, value in values.items()
                   if _shown(getattr(wp, name)) != _shown(value)}
        before_citations = _citation_lines(wp)
        snapshot = _snapshot(wp)  # before the citations change
        if parsed is not None:
            cited.replace(user, wp, parsed)
            if _citation_lines(wp) != before_citations:
                changes["citations"] = [before_citations, _citation_lines(wp)]
        if not changes:
            return wp
        after_review = wp.status == WorkpaperStatus.REVIEWED
        _keep_version(wp, user, changes, after_review, snapshot)
        for name, value in values.items():
            setattr(wp, name, value)
        if after_review:
            _reopen(wp)
        wp.save()
        summary = f"修改工作底稿「{wp.index_no} {wp.matter}」" + ("（复核后修改，须重新复核）" if after_review else "")
        record("audits.workpaper_update", summary, actor=user, org=project.owner_org, obj=wp,
               before={k: v[0] for k, v in changes.items()}, after={k: v[1] for k, v in changes.items()},
               after_review=after_review)
    return wp


def _keep_version(wp: Workpaper, user, changes: dict, after_review: bool, snapshot: dict | None = None) -> WorkpaperVersion:
    number = (wp.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    return WorkpaperVersion.objects.create(workpaper=wp, number=number, data=snapshot or _snapshot(wp), changes=changes,
                                           after_review=after_review, changed_by=user)


def _reopen(wp: Workpaper) -> None:
    wp.status = WorkpaperStatus.SUBMITTED
    wp.modified_after_review = True
    wp.reviewed_by, wp.reviewed_at = None, None


def submit_workpaper(user, wp: Workpaper) -> Workpaper:
    """编制中 → 待复核."""
    project = _current(wp.project)
    _check_worker(user, project)
    with transaction.atomic():
        wp = Workpaper.objects.select_for_update(of=("self",)).get(pk=wp.pk)
        if wp.status != WorkpaperStatus.DRAFT:
            raise ValueError(f"底稿「{wp.index_no}」处于「{wp.get_status_display()}」状态，不能再提交复核。")
        wp.status = WorkpaperStatus.SUBMITTED
        wp.save(update_fields=["status", "updated_at"])
        record("audits.workpaper_submit", f"工作底稿「{wp.index_no} {wp.matter}」提交复核", actor=user, org=project.owner_org,
               obj=wp, before={"status": WorkpaperStatus.DRAFT}, after={"status": wp.status})
    return wp


def sign_off(user, wp: Workpaper) -> Workpaper:
    """The reviewer's sign-off (复核): 待复核 → 已复核, once every review note is closed."""
    project = _current(wp.project)
    if not may_review(user, project):
        raise PermissionError("复核底稿须由项目组长、主审或审计单位的经审负责人操作（项目组成员须先确认审计纪律）。")
    with transaction.atomic():
        wp = Workpaper.objects.select_for_update(of=("self",)).get(pk=wp.pk)
        if wp.status != WorkpaperStatus.SUBMITTED:
            raise ValueError(f"底稿「{wp.index_no}」处于「{wp.get_status_display()}」状态：只有待复核的底稿才能复核签字。")
        if wp.prepared_by_id == user.pk:
            raise PermissionError("编制人不能复核自己编制的底稿。")
        pending = wp.notes.exclude(status=NoteStatus.CLOSED).count()
        if pending:
            raise ValueError(f"底稿「{wp.index_no}」还有 {pending} 条复核意见未关闭，不能复核签字。")
        wp.status = WorkpaperStatus.REVIEWED
        wp.reviewed_by, wp.reviewed_at = user, timezone.now()
        wp.save(update_fields=["status", "reviewed_by", "reviewed_at", "updated_at"])
        record("audits.workpaper_sign_off", f"复核签字：工作底稿「{wp.index_no} {wp.matter}」", actor=user,
               org=project.owner_org, obj=wp, before={"status": WorkpaperStatus.SUBMITTED}, after={"status": wp.status})
    return wp


# --- review notes ------------------------------------------------------------------------------------


def add_note(user, wp: Workpaper, text: str) -> ReviewNote:
    project = _current(wp.project)
    if not may_review(user, project):
        raise PermissionError("复核意见须由项目组长、主审或审计单位的经审负责人提出。")
    text = _text(text, "复核意见", NOTE_LIMIT)
    with transaction.atomic():
        wp = Workpaper.objects.select_for_update(of=("self",)).get(pk=wp.pk)
        if wp.status == WorkpaperStatus.REVIEWED:
            raise ValueError(f"底稿「{wp.index_no}」已复核签字，不能再提复核意见。")
        note = ReviewNote.objects.create(workpaper=wp, text=text, author=user)
        record("audits.note_add", f"对工作底稿「{wp.index_no}」提出复核意见", actor=user, org=project.owner_org, obj=note,
               workpaper=wp.pk, text=text)
    return note


def answer_note(user, note: ReviewNote, reply: str) -> ReviewNote:
    """The preparer answers an open note."""
    project = _current(note.workpaper.project)
    _check_worker(user, project)
    reply = _text(reply, "答复", NOTE_LIMIT)
    with transaction.atomic():
        note = ReviewNote.objects.select_for_update(of=("self",)).select_related("workpaper").get(pk=note.pk)
        if note.workpaper.prepared_by_id != user.pk:
            raise PermissionError("复核意见由底稿的编制人答复。")
        if note.status != NoteStatus.OPEN:
            raise ValueError(f"这条复核意见{note.get_status_display()}，不能再答复。")
        note.status, note.reply, note.answered_by, note.answered_at = NoteStatus.ANSWERED, reply, user, timezone.now()
        note.save(update_fields=["status", "reply", "answered_by", "answered_at"])
        record("audits.note_answer", f"答复工作底稿「{note.workpaper.index_no}」的复核意见", actor=user, org=project.owner_org,
               obj=note, before={"status": NoteStatus.OPEN}, after={"status": note.status}, reply=reply)
    return note


def close_note(user, note: ReviewNote) -> ReviewNote:
    """The note's author closes it once it is answered."""
    project = _current(note.workpaper.project)
    with transaction.atomic():
        note = ReviewNote.objects.select_for_update(of=("self",)).select_related("workpaper").get(pk=note.pk)
        if note.author_id != user.pk or not may_review(user, project):
            raise PermissionError("复核意见只能由提出它的复核人关闭。")
        if note.status != NoteStatus.ANSWERED:
            raise ValueError("复核意见须经编制人答复后才能关闭。" if note.status == NoteStatus.OPEN else "这条复核意见已关闭。")
        note.status, note.closed_at = NoteStatus.CLOSED, timezone.now()
        note.save(update_fields=["status", "closed_at"])
        record("audits.note_close", f"关闭工作底稿「{note.workpaper.index_no}」的复核意见", actor=user, org=project.owner_org,
               obj=note, before={"status": NoteStatus.ANSWERED}, after={"status": note.status})
    return note


# --- evidence ----------------------------------------------------------------------------------------


def _attached_to(target) -> tuple[str, str, dict]:
    """(field on Evidence, how the log names the object, the object's lookup) of an evidence
    target: a workpaper, a flag verification or a finding of the project."""
    if isinstance(target, Workpaper):
        return "workpaper", f"工作底稿「{target.index_no}」", {"workpaper": target.pk}
    if isinstance(target, FlagVerification):
        return "verification", f"疑点核实「{target}」", {"verification": target.pk}
    if isinstance(target, Finding):
        return "finding", f"审计发现「{target.title}」", {"finding": target.pk}
    raise TypeError(f"evidence cannot be attached to {type(target).__name__}")


def target_of(item: Evidence):
    return item.workpaper or item.verification or item.finding


def add_evidence(user, target, upload, description: str = "") -> Evidence:
    """Check and store a file (audits/evidence.py: type by content, size limit, stored by its
    SHA-256) and attach it to a workpaper, a flag verification or a finding of the project. A
    file refused raises EvidenceError (a ValueError, Chinese) before anything is stored or
    written. New evidence on a signed-off workpaper is a change after review."""
    project = _current(target.project)
    _check_worker(user, project)
    field, named, lookup = _attached_to(target)
    description = _text(description, "说明", 500, required=False, one_line=True)
    if upload is None:
        raise ValueError("请选择要上传的文件。")
    stored = evidence.check_and_store(upload)
    with transaction.atomic():
        target = type(target).objects.select_for_update(of=("self",)).get(pk=target.pk)
        if Evidence.objects.filter(sha256=stored.sha256, **lookup).exists():
            raise ValueError(f"文件「{stored.original_name}」已上传到{named}。")
        item = Evidence.objects.create(
            project=project, **{field: target}, sha256=stored.sha256, size=stored.size, content_type=stored.content_type,
            kind=stored.kind, original_name=stored.original_name, storage_name=stored.storage_name,
            description=description, uploaded_by=user,
        )
        after_review = _changed_after_review(target, user, {"evidence": ["", f"新增取证材料「{item.original_name}」"]})
        record("audits.evidence_add", f"上传取证材料「{item.original_name}」到{named}"
               + ("（复核后修改，须重新复核）" if after_review else ""), actor=user, org=project.owner_org, obj=item,
               **{field: target.pk}, sha256=item.sha256, size=item.size, kind=item.kind, after_review=after_review)
    return item


def may_remove(user, item: Evidence) -> bool:
    """Whoever uploaded a file removes it, and so do the project's reviewers (组长, 主审, 经审负责人)."""
    project = item.project
    if project.archived or not access.may_work(user, project) and not may_review(user, project):
        return False
    return item.uploaded_by_id == user.pk or may_review(user, project)


def remove_evidence(user, item: Evidence, reason: str) -> None:
    """Take a file off its workpaper, verification or finding (an upload made in error, or to be
    replaced by a better copy), with a reason. The row goes; the stored file stays (other rows
    may hold the same content, and the activity log names its SHA-256). Removing evidence from
    a signed-off workpaper is a change after review."""
    project = _current(item.project)
    if not may_remove(user, item):
        raise PermissionError("取证材料只能由上传人或项目的复核人（组长、主审、经审负责人）删除。")
    reason = _text(reason, "删除原因", 500, one_line=True)
    with transaction.atomic():
        item = Evidence.objects.select_for_update(of=("self",)).select_related("workpaper", "verification", "finding").get(pk=item.pk)
        target = target_of(item)
        field, named, _ = _attached_to(target)
        if field == "workpaper":
            target = Workpaper.objects.select_for_update(of=("self",)).get(pk=target.pk)
        after_review = _changed_after_review(target, user, {"evidence": [f"取证材料「{item.original_name}」", f"已删除（{reason}）"]})
        snapshot = {"file": item.original_name, "sha256": item.sha256, "size": item.size, "kind": item.kind,
                    "uploaded_by": item.uploaded_by.username, "uploaded_at": item.uploaded_at.isoformat(timespec="seconds")}
        record("audits.evidence_remove", f"删除{named}的取证材料「{snapshot['file']}」：{reason}"
               + ("（复核后修改，须重新复核）" if after_review else ""), actor=user, org=project.owner_org, obj=item,
               before=snapshot, reason=reason, **{field: target.pk}, after_review=after_review)
        item.delete()


def _changed_after_review(target, user, changes: dict) -> bool:
    """A change of evidence on a signed-off workpaper keeps a version and sends it back to 待复核."""
    if not isinstance(target, Workpaper) or target.status != WorkpaperStatus.REVIEWED:
        return False
    _keep_version(target, user, changes, True)
    _reopen(target)
    target.save()
    return True


# --- summaries ---------------------------------------------------------------------------------------


def summary(project: AuditProject) -> list[dict]:
    """The workpapers as reports.project_summary lists them."""
    return [{"index_no": wp.index_no, "matter": wp.matter, "unit": wp.org.code,
             "status": {"code": wp.status, "name": wp.get_status_display()},
             "modified_after_review": wp.modified_after_review}
            for wp in workpapers_of(project)]
