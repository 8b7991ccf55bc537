"""Every write of 综合管理's people records: the 经审干部 roster, training records and 往期审计记录
(audits done before the platform). Each function checks the action again (PermissionError or
ValueError with a Chinese message), runs in a transaction and logs with activity.record().
Cross-audit grants are written by orgs.services.create_grant / revoke_grant, which check
scope.may_grant themselves."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from jingshen.activity.services import record
from jingshen.admin_center.models import PriorAudit, StaffProfile, StaffType, TrainingKind, TrainingRecord
from jingshen.audits import access as audits_access
from jingshen.audits.models import AuditType
from jingshen.orgs import scope
from jingshen.orgs.models import Org
from jingshen.tabular import Field, RowError, TableError, read_table

MAX_HOURS = Decimal("9999.9")  # DECIMAL(6,1)
FIRST_YEAR = 1990
# the kinds of training that take place inside an audit project (以审代训, 交叉互审)
PROJECT_KINDS = (TrainingKind.LEARNING_BY_AUDITING, TrainingKind.CROSS_AUDIT)


def _require(actor, action: str, org: Org, message: str) -> None:
    if not scope.can(actor, action, org):
        raise PermissionError(message)


# --- 经审干部 roster ---------------------------------------------------------------------------------

STAFF_FIELDS = ("org", "name", "staff_type", "position", "qualifications", "phone", "user", "note")


def _staff_values(staff: StaffProfile) -> dict:
    return {"单位": staff.org.code, "姓名": staff.name, "类别": staff.get_staff_type_display(), "职务": staff.position,
            "资格与职称": staff.qualifications, "联系电话": staff.phone,
            "登录账号": staff.user.username if staff.user_id else "", "备注": staff.note,
            "在岗": "是" if staff.active else "否"}


def _check_staff(actor, *, org: Org, name: str, staff_type: str, user, profile: StaffProfile | None) -> None:
    _require(actor, scope.ROSTER, org, "该单位不在您管理经审干部的范围内。")
    if not name.strip():
        raise ValueError("请填写姓名。")
    if staff_type not in StaffType.values:
        raise ValueError("类别应为经审委员、专职或兼职。")
    if user is not None:
        if user.org_id != org.pk:
            raise ValueError(f"登录账号「{user.username}」不属于「{org.name}」，只能关联本单位的账号。")
        linked = StaffProfile.objects.filter(user=user).exclude(pk=getattr(profile, "pk", None)).first()
        if linked is not None:
            raise ValueError(f"登录账号「{user.username}」已关联经审干部「{linked.name}」。")


def create_staff(actor, *, org: Org, name: str, staff_type: str, position: str = "", qualifications: str = "",
                 phone: str = "", user=None, note: str = "") -> StaffProfile:
    _check_staff(actor, org=org, name=name, staff_type=staff_type, user=user, profile=None)
    with transaction.atomic():
        staff = StaffProfile.objects.create(org=org, name=name.strip(), staff_type=staff_type, position=position.strip(),
                                            qualifications=qualifications.strip(), phone=phone.strip(), user=user,
                                            note=note.strip())
        record("admin_center.staff_create", f"新增经审干部「{staff.name}」（{org.name}，{staff.get_staff_type_display()}）",
               actor=actor, org=org, obj=staff, after=_staff_values(staff))
    return staff


def update_staff(actor, staff: StaffProfile, *, org: Org, name: str, staff_type: str, position: str = "",
                 qualifications: str = "", phone: str = "", user=None, note: str = "") -> StaffProfile:
    _require(actor, scope.ROSTER, staff.org, "该经审干部不在您的管理范围内。")
    _check_staff(actor, org=org, name=name, staff_type=staff_type, user=user, profile=staff)
    with transaction.atomic():
        staff = StaffProfile.objects.select_for_update(of=("self",)).select_related("org", "user").get(pk=staff.pk)
        before = _staff_values(staff)
        staff.org, staff.name, staff.staff_type = org, name.strip(), staff_type
        staff.position, staff.qualifications, staff.phone = position.strip(), qualifications.strip(), phone.strip()
        staff.user, staff.note = user, note.strip()
        after = _staff_values(staff)
        if after == before:
            return staff
        staff.save()
        changed = {k: v for k, v in after.items() if before[k] != v}
        record("admin_center.staff_update", f"修改经审干部「{staff.name}」：{'、'.join(changed)}", actor=actor, org=org,
               obj=staff, before={k: before[k] for k in changed}, after=changed)
    return staff


def set_staff_active(actor, staff: StaffProfile, active: bool, note: str = "") -> bool:
    """Mark a person 在岗 or 不在岗 (the record and its training stay). False when unchanged."""
    _require(actor, scope.ROSTER, staff.org, "该经审干部不在您的管理范围内。")
    with transaction.atomic():
        staff = StaffProfile.objects.select_for_update(of=("self",)).select_related("org").get(pk=staff.pk)
        if staff.active == active:
            return False
        staff.active = active
        staff.save(update_fields=["active", "updated_at"])
        state = "在岗" if active else "不在岗"
        record("admin_center.staff_active", f"经审干部「{staff.name}」标记为{state}" + (f"：{note.strip()}" if note.strip() else ""),
               actor=actor, org=staff.org, obj=staff, before={"在岗": not active}, after={"在岗": active})
    return True


# --- training records --------------------------------------------------------------------------------


def _training_values(t: TrainingRecord) -> dict:
    return {"经审干部": t.staff.name, "单位": t.staff.org.code, "形式": t.get_kind_display(), "名称": t.title,
            "组织单位": t.organiser, "开始日期": t.start_date, "结束日期": t.end_date, "学时": t.hours,
            "审计项目": t.project.code if t.project_id else ""}


def add_training(actor, *, staff: StaffProfile, kind: str, title: str, start_date: datetime.date,
                 end_date: datetime.date, hours, organiser: str = "", project=None) -> TrainingRecord:
    _require(actor, scope.ROSTER, staff.org, "该经审干部不在您的管理范围内。")
    if kind not in TrainingKind.values:
        raise ValueError("培训形式应为集中培训、以审代训、轮岗交流或交叉互审。")
    if not title.strip():
        raise ValueError("请填写培训名称。")
    try:
        hours = Decimal(str(hours))
    except InvalidOperation:
        raise ValueError("学时应为数字。") from None
    if not hours.is_finite():
        raise ValueError("学时应为数字。")
    if hours < 0:
        raise ValueError("学时不能为负数。")
    if hours > MAX_HOURS or hours != hours.quantize(Decimal("0.1")):
        raise ValueError(f"学时应不超过 {MAX_HOURS}，最多一位小数。")
    if end_date < start_date:
        raise ValueError("结束日期不能早于开始日期。")
    if project is not None:
        if kind not in PROJECT_KINDS:
            raise ValueError("只有以审代训和交叉互审可以关联审计项目。")
        if not audits_access.projects_for(actor).filter(pk=project.pk).exists():
            raise ValueError("审计项目不存在或不在您的权限范围内。")
    with transaction.atomic():
        t = TrainingRecord.objects.create(staff=staff, kind=kind, title=title.strip(), organiser=organiser.strip(),
                                          start_date=start_date, end_date=end_date, hours=hours, project=project,
                                          created_by=actor)
        record("admin_center.training_add", f"登记培训记录：{staff.name}「{t.title}」（{t.get_kind_display()}，{hours} 学时）",
               actor=actor, org=staff.org, obj=t, after=_training_values(t))
    return t


def delete_training(actor, training: TrainingRecord) -> None:
    _require(actor, scope.ROSTER, training.staff.org, "该培训记录不在您的管理范围内。")
    with transaction.atomic():
        before = _training_values(training)
        org, pk = training.staff.org, training.pk
        summary = f"删除培训记录：{training.staff.name}「{training.title}」（{training.hours} 学时）"
        training.delete()
        record("admin_center.training_delete", summary, actor=actor, org=org, before=before, object_id=pk)


# --- 往期审计记录 --------------------------------------------------------------------------------------


def _prior_values(p: PriorAudit) -> dict:
    return {"单位编码": p.org.code, "审计年度": p.year, "审计类型": p.audit_type.name, "报告文号": p.report_no,
            "审计单位编码": p.auditor_org.code if p.auditor_org_id else "", "来源": p.get_source_display()}


def auditor_refusal(actor, org: Org, auditor_org: Org | None) -> str | None:
    """The auditing unit of a prior audit is the audited unit itself or one above it, or a unit
    the user may see (a cross-audit by a sibling county); anything else is refused as unknown."""
    if auditor_org is None or auditor_org.pk in org.ancestor_ids():
        return None
    if scope.visible_orgs(actor).filter(pk=auditor_org.pk).exists():
        return None
    return "审计单位不存在或不在您的查看范围内。"


def _check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= timezone.localdate().year:
        raise ValueError(f"审计年度应在 {FIRST_YEAR} 年至今年之间。")


def add_prior_audit(actor, *, org: Org, year: int, audit_type: AuditType, report_no: str = "",
                    auditor_org: Org | None = None) -> PriorAudit:
    _require(actor, scope.PRIOR_AUDIT, org, "该单位不在您录入往期审计记录的范围内。")
    _check_year(year)
    report_no = report_no.strip()
    if len(report_no) > 100:
        raise ValueError("报告文号不能超过 100 个字符。")
    refusal = auditor_refusal(actor, org, auditor_org)
    if refusal:
        raise ValueError(refusal)
    with transaction.atomic():
        if PriorAudit.objects.filter(org=org, year=year, audit_type=audit_type, report_no=report_no).exists():
            raise ValueError(f"「{org.name}」{year} 年度{audit_type.name}（文号“{report_no or '无'}”）已有记录。")
        p = PriorAudit.objects.create(org=org, year=year, audit_type=audit_type, report_no=report_no,
                                      auditor_org=auditor_org, source=PriorAudit.Source.ENTERED, created_by=actor)
        record("admin_center.prior_add", f"录入往期审计记录：{org.name} {year} 年度{audit_type.name}", actor=actor, org=org,
               obj=p, after=_prior_values(p))
    return p


def delete_prior_audit(actor, prior: PriorAudit) -> None:
    _require(actor, scope.PRIOR_AUDIT, prior.org, "该往期审计记录不在您的管理范围内。")
    with transaction.atomic():
        before = _prior_values(prior)
        org, pk = prior.org, prior.pk
        summary = f"删除往期审计记录：{org.name} {prior.year} 年度{prior.audit_type.name}"
        prior.delete()
        record("admin_center.prior_delete", summary, actor=actor, org=org, before=before, object_id=pk)


PRIOR_FIELDS = [
    Field("单位编码", aliases=("被审计单位编码", "单位代码", "被审计单位代码")),
    Field("审计年度", aliases=("年度", "报告年度")),
    Field("审计类型", aliases=("类型",)),
    Field("报告文号", required=False, aliases=("审计报告文号", "文号")),
    Field("审计单位编码", required=False, aliases=("审计单位代码", "实施单位编码")),
]


@dataclass
class PriorImportResult:
    created: int = 0
    skipped: list[int] = field(default_factory=list)  # rows already in the system or earlier in the file

    def summary(self) -> str:
        text = f"新增往期审计记录 {self.created} 条"
        if self.skipped:
            text += f"，跳过与已有记录或前面行重复的 {len(self.skipped)} 行"
        return text + "。"


def import_prior_audits(actor, path, *, display: str | None = None) -> PriorImportResult:
    """Import 往期审计记录 (单位编码, 审计年度, 审计类型, 报告文号, 审计单位编码) as ``actor``.

    All-or-nothing: every row is checked (a unit outside the actor's PRIOR_AUDIT scope is an
    error, worded like an unknown code) and one TableError lists every problem before anything is
    written. A row equal to a record already in the system, or to an earlier row of the file, is
    skipped and counted, so importing the same file twice adds nothing the second time."""
    path = Path(path)
    display = display or path.name
    table = read_table(path, PRIOR_FIELDS, display)
    errors: list[RowError] = []

    def err(row, column, value, reason):
        errors.append(RowError(display, row, column, value, reason))

    in_scope = scope.orgs_for(actor, scope.PRIOR_AUDIT)
    codes = {v["单位编码"].strip() for _, v in table.rows} | {v.get("审计单位编码", "").strip() for _, v in table.rows}
    codes.discard("")
    allowed = {o.code: o for o in in_scope.filter(code__in=codes)}
    known = {o.code: o for o in Org.objects.filter(code__in=codes)}
    visible = set(scope.visible_orgs(actor).filter(code__in=codes).values_list("code", flat=True))
    types = {t.name: t for t in AuditType.objects.filter(active=True)}
    this_year = timezone.localdate().year
    parsed: list[tuple[int, Org, int, AuditType, str, Org | None]] = []
    for row_no, v in table.rows:
        ok = True
        code = v["单位编码"].strip()
        org = allowed.get(code)
        if not code:
            err(row_no, "单位编码", "", "单位编码不能为空。")
            ok = False
        elif org is None:
            err(row_no, "单位编码", code, "单位编码不存在或不在您录入往期审计记录的范围内。")
            ok = False
        year_text = v["审计年度"].strip().removesuffix("年度").removesuffix("年")
        year = None
        try:
            year = int(float(year_text)) if year_text and float(year_text).is_integer() else None
        except (ValueError, OverflowError):
            year = None
        if year is None or not FIRST_YEAR <= year <= this_year:
            err(row_no, "审计年度", v["审计年度"], f"审计年度应为 {FIRST_YEAR} 至 {this_year} 之间的年份。")
            ok = False
        type_name = v["审计类型"].strip()
        audit_type = types.get(type_name)
        if audit_type is None:
            err(row_no, "审计类型", type_name, f"未知的审计类型，应为：{'、'.join(types)}。")
            ok = False
        report_no = v.get("报告文号", "").strip()
        if len(report_no) > 100:
            err(row_no, "报告文号", report_no[:40] + "…", "报告文号不能超过 100 个字符。")
            ok = False
        auditor_code = v.get("审计单位编码", "").strip()
        auditor = None
        if auditor_code:
            auditor = known.get(auditor_code)
            above = auditor is not None and org is not None and auditor.pk in org.ancestor_ids()
            if auditor is None or not (above or auditor_code in visible):
                err(row_no, "审计单位编码", auditor_code, "审计单位不存在或不在您的查看范围内。")
                ok = False
        if ok:
            parsed.append((row_no, org, year, audit_type, report_no, auditor))
    if errors:
        raise TableError(errors)

    result = PriorImportResult()
    with transaction.atomic():
        existing = set(PriorAudit.objects.filter(org__in=[p[1] for p in parsed])
                       .values_list("org_id", "year", "audit_type_id", "report_no"))
        new = []
        for row_no, org, year, audit_type, report_no, auditor in parsed:
            key = (org.pk, year, audit_type.pk, report_no)
            if key in existing:
                result.skipped.append(row_no)
                continue
            existing.add(key)
            new.append(PriorAudit(org=org, year=year, audit_type=audit_type, report_no=report_no, auditor_org=auditor,
                                  source=PriorAudit.Source.IMPORTED, created_by=actor))
        PriorAudit.objects.bulk_create(new, batch_size=1000)
        result.created = len(new)
        if new:
            record("admin_center.prior_import", f"导入往期审计记录文件「{display}」：{result.summary()}", actor=actor,
                   org=actor.org, file=display, created=result.created, skipped=result.skipped)
    return result
