"""The project's documents (审计文书) and its archive package: generating a document from the
project (documents.py builds the .docx; here it is filled from the project and archived with its
hash), who may read each kind, and ``export_archive`` for ``jingshen audits export``."""

import hashlib
import json
import zipfile

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from jingshen.activity.services import record
from jingshen.audits import documents
from jingshen.audits.models import STAGE_ORDER, ArchivedError, AuditProject, GeneratedDocument, ProjectRole, Stage
from jingshen.audits.reports import project_summary
from jingshen.audits.services import DIRECTOR, LEADER, may_act

Kind = GeneratedDocument.Kind
# From which stage on the audited unit may read a document of each kind (what is meant for them).
SHOWN_TO_AUDITEE_FROM = {Kind.NOTICE: Stage.NOTICE, Kind.DRAFT_REPORT: Stage.CONSULTATION, Kind.REPORT: Stage.RECTIFICATION,
                         Kind.RECTIFICATION_NOTICE: Stage.RECTIFICATION}
# In which stages each document may be generated (again: each generation is a new archived version).
GENERATED_IN = {Kind.NOTICE: (Stage.PLAN, Stage.NOTICE), Kind.DRAFT_REPORT: (Stage.CONSULTATION,),
                Kind.REPORT: (Stage.REPORT,), Kind.RECTIFICATION_NOTICE: (Stage.RECTIFICATION,)}


def _name(user) -> str:
    return user.display_name or user.username


def notice_data(project: AuditProject) -> documents.AuditNoticeData:
    members = list(project.members.select_related("user").order_by("role", "id"))
    leader = next((m for m in members if m.role == ProjectRole.LEADER), None)
    units = [u.org.name for u in project.units.select_related("org").order_by("org__code")]
    return documents.AuditNoticeData(
        issuer=f"{project.owner_org.name}经费审查委员会",
        addressee="、".join(units),
        issue_date=timezone.localdate(),
        doc_number=project.code,
        matter=project.name,
        fiscal_years=tuple(project.fiscal_years),
        team_leader=_name(leader.user) if leader else "",
        team_members=tuple(_name(m.user) for m in members if m is not leader),
        start_date=project.planned_start,
        contact=documents.ContactData(name=_name(leader.user) if leader else project.owner_org.name),
    )


def generate_notice(user, project: AuditProject) -> GeneratedDocument:
    """The audit notice (审计通知书) as .docx, archived with its SHA-256 (组长 or 经审负责人,
    while the plan or the notice is the project's stage)."""
    project = _checked(user, project, Kind.NOTICE)
    content = documents.build_audit_notice(notice_data(project))
    return _archive(user, project, Kind.NOTICE, f"{project.code} 审计通知书", content)


def _checked(user, project: AuditProject, kind: str) -> AuditProject:
    project = AuditProject.objects.get(pk=project.pk)
    if project.archived:
        raise ArchivedError(project)
    if not (may_act(user, project, LEADER) or may_act(user, project, DIRECTOR)):
        raise PermissionError(f"{Kind(kind).label}由项目组长或经审负责人生成。")
    if project.stage not in GENERATED_IN[kind]:
        raise ValueError(f"{Kind(kind).label}在「{'」或「'.join(Stage(s).label for s in GENERATED_IN[kind])}」阶段生成。")
    return project


def _basis(f) -> tuple[documents.CitationData, ...]:
    """A finding's legal basis in a document: its citations, each with the text frozen when it
    was cited (a gist of ours is never quoted as the official text; a plain citation as written);
    a finding without citations gives the lines of its free-text 定性依据, as before citations."""
    from jingshen.knowledge import citations

    cited = list(citations.citations_of(f))
    if not cited:
        return tuple(documents.CitationData(regulation=line.strip()) for line in f.basis.splitlines() if line.strip())
    return tuple(
        documents.CitationData(regulation=c.regulation_name, version=c.doc_no or c.edition, article=c.article_label,
                               text="" if c.regulation_id and c.regulation.gist else c.quoted_text)
        for c in cited
    )


def _finding_data(f) -> documents.FindingData:
    return documents.FindingData(
        problem_type=f.problem_type.name, title=f.title, description=f.description, amount=f.amount or None,
        basis=_basis(f),
        recommendation=f.recommendation,
    )


def _screening_data(project: AuditProject) -> documents.ScreeningSummaryData | None:
    from jingshen.audits.models import FlagVerification, VerificationStatus

    runs = list(project.screening_runs.order_by("fiscal_year"))
    if not runs:
        return None
    verified = FlagVerification.objects.filter(project=project)
    return documents.ScreeningSummaryData(
        run_ref="、".join(f"第 {r.pk} 次筛查" for r in runs), run_date=runs[-1].started_at.date(),
        rule_count=max(len(r.rules) for r in runs), line_count=sum(r.lines_screened for r in runs),
        voucher_count=sum(int(f.get("vouchers", 0)) for r in runs for f in r.unit_facts.values()),
        flag_count=sum(r.flag_count for r in runs),
        confirmed_count=verified.filter(status=VerificationStatus.CONFIRMED).count(),
        dismissed_count=verified.filter(status=VerificationStatus.DISMISSED).count(),
    )


def report_data(project: AuditProject, *, draft: bool, deadline=None) -> documents.AuditReportData:
    units = [u.org.name for u in project.units.select_related("org").order_by("org__code")]
    return documents.AuditReportData(
        issuer=f"{project.owner_org.name}经费审查委员会", addressee="、".join(units), issue_date=timezone.localdate(),
        doc_number="" if draft else project.code, auditee="、".join(units), matter=project.name,
        fiscal_years=tuple(project.fiscal_years), fieldwork_start=project.notice_served_on or project.planned_start,
        fieldwork_end=timezone.localdate(), screening=_screening_data(project),
        findings=tuple(_finding_data(f) for f in project.findings.select_related("problem_type").order_by("id")),
        feedback_deadline=deadline,
    )


def generate_draft_report(user, project: AuditProject, deadline) -> GeneratedDocument:
    """征求意见: the draft report, archived, and sent to each audited unit as a request for its
    comments by ``deadline`` (answered on the platform like the survey's requests)."""
    from jingshen.audits.models import DataRequest

    project = _checked(user, project, Kind.DRAFT_REPORT)
    if deadline < timezone.localdate():
        raise ValueError("反馈期限不能早于今天。")
    content = documents.build_draft_report(report_data(project, draft=True, deadline=deadline))
    with transaction.atomic():
        doc = _archive(user, project, Kind.DRAFT_REPORT, f"{project.code} 审计报告（征求意见稿）", content)
        for unit in project.units.select_related("org"):
            DataRequest.objects.create(project=project, org=unit.org, title="审计报告（征求意见稿）征求意见",
                                       items=f"请审阅《{doc.title}》，在 {deadline:%Y-%m-%d} 前提出书面意见；逾期未提出的，视为无异议。",
                                       due_date=deadline, sent_by=user)
    return doc


def generate_report(user, project: AuditProject) -> GeneratedDocument:
    project = _checked(user, project, Kind.REPORT)
    if not project.findings.exists():
        raise ValueError("项目还没有审计发现，不能生成审计报告。")
    content = documents.build_audit_report(report_data(project, draft=False))
    return _archive(user, project, Kind.REPORT, f"{project.code} 审计报告", content)


def generate_rectification_notice(user, project: AuditProject) -> GeneratedDocument:
    from jingshen.audits.rectification import project_items

    project = _checked(user, project, Kind.RECTIFICATION_NOTICE)
    items = list(project_items(project))
    if not items:
        raise ValueError("没有整改事项，不能生成整改通知书。")
    report = project.documents.filter(kind=Kind.REPORT).order_by("-generated_at").first()
    data = documents.RectificationNoticeData(
        issuer=f"{project.owner_org.name}经费审查委员会", addressee="、".join(sorted({i.finding.org.name for i in items})),
        issue_date=timezone.localdate(), doc_number=project.code, report_title=f"关于{project.name}的审计报告",
        report_number=project.code, report_date=report.generated_at.date() if report else None,
        items=tuple(documents.RectificationItemData(finding=_finding_data(i.finding), deadline=i.deadline) for i in items),
        report_back_by=max(i.deadline for i in items),
    )
    content = documents.build_rectification_notice(data)
    return _archive(user, project, Kind.RECTIFICATION_NOTICE, f"{project.code} 整改通知书", content)


def _archive(user, project, kind: str, title: str, content: bytes) -> GeneratedDocument:
    sha = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        name = default_storage.save(f"documents/{project.pk}/{sha}.docx", ContentFile(content))
        doc = GeneratedDocument.objects.create(project=project, kind=kind, title=title, storage_name=name, sha256=sha,
                                               size=len(content), generated_by=user)
        record("audits.document", f"生成{Kind(kind).label}「{title}」", actor=user, org=project.owner_org, obj=project,
               document=doc.pk, sha256=sha)
    return doc


def auditee_may_read(project: AuditProject, doc: GeneratedDocument) -> bool:
    return STAGE_ORDER.index(project.stage) >= STAGE_ORDER.index(SHOWN_TO_AUDITEE_FROM[doc.kind])


def read(doc: GeneratedDocument) -> bytes:
    with default_storage.open(doc.storage_name, "rb") as fh:
        return fh.read()


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str).encode()


def workpapers_record(project: AuditProject) -> list[dict]:
    """Every workpaper with its versions and review notes, as the archive keeps them."""
    def who(user):
        return (user.display_name or user.username) if user else None

    rows = []
    for wp in project.workpapers.select_related("org", "prepared_by", "reviewed_by").order_by("index_no", "id"):
        rows.append({
            "index_no": wp.index_no, "unit": wp.org.code, "matter": wp.matter, "period": wp.period_text,
            "period_from": wp.period_from, "period_to": wp.period_to, "procedures": wp.procedures,
            "conclusion": wp.conclusion, "basis": wp.basis, "status": wp.get_status_display(),
            "prepared_by": who(wp.prepared_by), "prepared_on": wp.prepared_on, "reviewed_by": who(wp.reviewed_by),
            "reviewed_at": wp.reviewed_at, "modified_after_review": wp.modified_after_review,
            "versions": [{"number": v.number, "changes": v.changes, "after_review": v.after_review,
                          "changed_by": who(v.changed_by), "changed_at": v.changed_at} for v in wp.versions.order_by("number")],
            "review_notes": [{"text": n.text, "status": n.get_status_display(), "author": who(n.author), "reply": n.reply,
                              "answered_by": who(n.answered_by), "closed_at": n.closed_at} for n in wp.notes.order_by("id")],
        })
    return rows


def _evidence_folder(item) -> str:
    """Where an evidence file sits in the archive package: under the object it is attached to."""
    if item.workpaper_id:
        return f"工作底稿/{item.workpaper.index_no}"
    if item.verification_id:
        v = item.verification
        voucher = f"{v.voucher_type}-{v.voucher_no}" if v.voucher_no is not None else "单位级"
        return f"疑点核实/{v.pk}-{v.rule}-{v.fiscal_year}-{voucher}"
    return f"审计发现/{item.finding_id}"


def export_archive(project: AuditProject, output) -> dict:
    """The archive package (归档) written to the binary file ``output``: the project, its
    workpapers (with versions and review notes) as JSON, every generated document and every
    evidence file (filed under its workpaper, verification or finding), with ``manifest.json``
    listing each file's path, size and SHA-256. Files are streamed one at a time. A stored file
    whose content no longer matches its recorded SHA-256 stops the export with ValueError (the
    caller discards the partial output). Returns the manifest."""
    from jingshen.audits import evidence as evidence_files

    listed = []
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        def add_bytes(path: str, data: bytes) -> None:
            archive.writestr(path, data)
            listed.append({"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})

        add_bytes("project.json", _json(project_summary(project)))
        add_bytes("workpapers.json", _json(workpapers_record(project)))
        for doc in project.documents.order_by("generated_at", "id"):
            content = read(doc)
            if hashlib.sha256(content).hexdigest() != doc.sha256:
                raise ValueError(f"文书「{doc.title}」的存储文件与生成时的 SHA-256 不一致，可能已被改动，不能归档导出。")
            add_bytes(f"documents/{doc.generated_at:%Y%m%d-%H%M%S}-{doc.get_kind_display()}-{doc.sha256[:8]}.docx", content)
        for item in project.evidence.select_related("workpaper", "verification").order_by("id"):
            path = f"evidence/{_evidence_folder(item)}/{item.pk}-{item.original_name}"
            digest, size = hashlib.sha256(), 0
            with evidence_files.open_evidence(item.storage_name) as fh, archive.open(path, "w", force_zip64=True) as out:
                for chunk in fh.chunks(evidence_files.CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            if digest.hexdigest() != item.sha256:
                raise ValueError(f"取证材料「{item.original_name}」的存储文件与上传时的 SHA-256 不一致，可能已被改动，不能归档导出。")
            listed.append({"path": path, "size": size, "sha256": item.sha256})
        manifest = {"project": project.code, "exported_at": timezone.now().isoformat(timespec="seconds"), "files": listed}
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return manifest
