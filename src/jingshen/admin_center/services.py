"""Every write of 综合管理's people records — the 经审干部 roster, training records and 往期审计记录
(audits done before the platform) — and of the 年度审计计划 (plans and their items, approval, 立项
from an item). Each function checks the action again (PermissionError or
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
from jingshen.admin_center.models import (
    AnnualPlan,
    PlanItem,
    PlanReason,
    PriorAudit,
    StaffProfile,
    StaffType,
    TrainingKind,
    TrainingRecord,
)
from jingshen.audits import access as audits_access
from jingshen.audits import services as audits_services
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


# --- 年度审计计划 ------------------------------------------------------------------------------------
#
# A plan belongs to the 经审会 of one unit (``owner_org``) and is written by that unit's own
# 经审负责人 and 审计组长 (scope.PLAN on their own unit): the projects it creates are that unit's
# projects (audits.services.create_project makes the user's unit the auditing unit). It is
# approved and returned to draft by the unit's 经审负责人 (scope.APPROVE). Each item's unit is
# checked against the writer's PLAN scope here, whatever the page offered.

PLAN_YEARS_BACK, PLAN_YEARS_AHEAD = 1, 2  # a plan for last year (补录) up to two years ahead
NOTE_MAX = 5000


@dataclass
class ItemSpec:
    """One unit of a plan, as given by a page or a command (checked by ``_check_item``)."""

    org: Org
    audit_type: AuditType
    fiscal_years: list[int]
    planned_start: datetime.date
    planned_end: datetime.date
    reason: str = PlanReason.MANUAL
    reason_text: str = ""
    risk_score: float | None = None
    last_audited: int | None = None


def plan_years(today: datetime.date | None = None) -> range:
    this = (today or timezone.localdate()).year
    return range(this - PLAN_YEARS_BACK, this + PLAN_YEARS_AHEAD + 1)


def may_write_plans(actor) -> bool:
    """The 经审负责人 or 审计组长 of a unit writes its plan (PLAN on their own unit, by role)."""
    return getattr(actor, "org_id", None) is not None and scope.can(actor, scope.PLAN, actor.org)


def _require_writer(actor, plan) -> None:
    if plan.owner_org_id != getattr(actor, "org_id", None) or not may_write_plans(actor):
        raise PermissionError("只有本单位的经审负责人或审计组长可以编制和调整本单位的年度审计计划。")


def _require_draft(plan) -> None:
    if plan.status != plan.Status.DRAFT:
        raise ValueError("计划已批准，不能再调整；如需修改，请由经审负责人“退回修改”。")


def _check_plan_year(year: int) -> None:
    years = plan_years()
    if year not in years:
        raise ValueError(f"计划年度应在 {years.start} 年至 {years.stop - 1} 年之间。")


def _check_item(actor, year: int, spec: ItemSpec) -> None:
    org = spec.org
    if org is None or org.pk == actor.org_id or not scope.can(actor, scope.PLAN, org):
        name = org.name if org is not None else ""
        raise PermissionError(f"单位「{name}」不在您的审计范围内（下审一级，或有效的交叉互审授权），不能列入审计计划。")
    if spec.audit_type is None or not spec.audit_type.active:
        raise ValueError("请选择可用的审计类型。")
    if spec.reason not in PlanReason.values:
        raise ValueError("未知的列入理由。")
    years = sorted({int(y) for y in spec.fiscal_years})
    if not years:
        raise ValueError("请填写审计年度（被审计的会计年度）。")
    if years[0] < 2000 or years[-1] > year:
        raise ValueError(f"审计年度应在 2000 年至计划年度（{year} 年）之间。")
    if len(years) > 10:
        raise ValueError("一个计划事项最多审计 10 个会计年度。")
    spec.fiscal_years = years
    if spec.planned_start is None or spec.planned_end is None:
        raise ValueError("请填写计划开始和结束日期。")
    if spec.planned_start.year != year:
        raise ValueError(f"计划开始日期应在计划年度（{year} 年）内。")
    if spec.planned_end < spec.planned_start:
        raise ValueError("计划结束日期不能早于计划开始日期。")
    if spec.planned_end.year > year + 1:
        raise ValueError(f"计划结束日期不能晚于 {year + 1} 年底。")
    spec.reason_text = " ".join(str(spec.reason_text or "").split())
    if len(spec.reason_text) > 300:
        raise ValueError("理由说明不能超过 300 个字。")


def _check_duplicates(plan_items, spec: ItemSpec, exclude_pk=None) -> None:
    for org_id, type_id, pk in plan_items:
        if pk != exclude_pk and (org_id, type_id) == (spec.org.pk, spec.audit_type.pk):
            raise ValueError(f"「{spec.org.name}」的{spec.audit_type.name}已在计划中，同一单位同一审计类型只能列入一次。")


def _item_values(item) -> dict:
    return {"单位": item.org.code, "审计类型": item.audit_type.name, "审计年度": list(item.fiscal_years),
            "计划开始": item.planned_start, "计划结束": item.planned_end, "列入理由": item.get_reason_display(),
            "理由说明": item.reason_text}


def _new_item(plan, spec: ItemSpec):
    return PlanItem(plan=plan, org=spec.org, audit_type=spec.audit_type, reason=spec.reason, reason_text=spec.reason_text,
                    risk_score=spec.risk_score, last_audited=spec.last_audited, fiscal_years=spec.fiscal_years,
                    planned_start=spec.planned_start, planned_end=spec.planned_end)


def _clean_note(note: str) -> str:
    note = str(note or "").replace("\x00", "").strip()
    if len(note) > NOTE_MAX:
        raise ValueError(f"编制说明不能超过 {NOTE_MAX} 个字。")
    return note


def create_plan(actor, *, year: int, items: list[ItemSpec], note: str = ""):
    """A draft plan of the actor's unit for ``year`` with ``items`` (every one checked: a unit
    outside the actor's audit scope refuses the whole plan, nothing written)."""
    if not may_write_plans(actor):
        raise PermissionError("只有经审负责人或审计组长可以编制年度审计计划。")
    _check_plan_year(year)
    note = _clean_note(note)
    seen = []
    for spec in items:
        _check_item(actor, year, spec)
        _check_duplicates(seen, spec)
        seen.append((spec.org.pk, spec.audit_type.pk, 0))
    with transaction.atomic():
        if AnnualPlan.objects.filter(owner_org=actor.org, year=year).exists():
            raise ValueError(f"「{actor.org.name}」{year} 年度审计计划已存在，请在原计划上调整。")
        plan = AnnualPlan.objects.create(owner_org=actor.org, year=year, note=note, created_by=actor)
        made = PlanItem.objects.bulk_create([_new_item(plan, s) for s in items])
        record("admin_center.plan_create", f"编制 {year} 年度审计计划：{len(made)} 个被审计单位", actor=actor, org=actor.org,
               obj=plan, after={"年度": year, "编制说明": note, "计划事项": [_item_values(i) for i in made]})
    return plan


def add_plan_item(actor, plan, spec: ItemSpec):
    _require_writer(actor, plan)
    _require_draft(plan)
    _check_item(actor, plan.year, spec)
    with transaction.atomic():
        _check_duplicates(plan.items.values_list("org_id", "audit_type_id", "pk"), spec)
        item = _new_item(plan, spec)
        item.save()
        record("admin_center.plan_item_add", f"{plan.year} 年度审计计划增列：{spec.org.name}（{spec.audit_type.name}）",
               actor=actor, org=plan.owner_org, obj=item, after=_item_values(item))
    return item


def _require_no_project(item, doing: str) -> None:
    if item.project_id is not None:
        raise ValueError(f"「{item.org.name}」已据此立项（{item.project.code}），不能{doing}；请在审计项目中调整。")


def update_plan_item(actor, item, *, audit_type: AuditType, fiscal_years, planned_start, planned_end, reason_text: str = ""):
    plan = item.plan
    _require_writer(actor, plan)
    _require_draft(plan)
    _require_no_project(item, "修改")
    spec = ItemSpec(org=item.org, audit_type=audit_type, fiscal_years=list(fiscal_years), planned_start=planned_start,
                    planned_end=planned_end, reason=item.reason, reason_text=reason_text)
    _check_item(actor, plan.year, spec)
    with transaction.atomic():
        _check_duplicates(plan.items.values_list("org_id", "audit_type_id", "pk"), spec, exclude_pk=item.pk)
        before = _item_values(item)
        item.audit_type, item.fiscal_years = spec.audit_type, spec.fiscal_years
        item.planned_start, item.planned_end, item.reason_text = spec.planned_start, spec.planned_end, spec.reason_text
        after = _item_values(item)
        if after == before:
            return item
        item.save(update_fields=["audit_type", "fiscal_years", "planned_start", "planned_end", "reason_text"])
        changed = [k for k in after if after[k] != before[k]]
        record("admin_center.plan_item_update", f"{plan.year} 年度审计计划调整：{item.org.name}（{'、'.join(changed)}）",
               actor=actor, org=plan.owner_org, obj=item, before={k: before[k] for k in changed},
               after={k: after[k] for k in changed})
    return item


def remove_plan_item(actor, item) -> None:
    plan = item.plan
    _require_writer(actor, plan)
    _require_draft(plan)
    _require_no_project(item, "移出计划")
    with transaction.atomic():
        before, pk = _item_values(item), item.pk
        item.delete()
        record("admin_center.plan_item_remove", f"{plan.year} 年度审计计划移出：{item.org.name}（{item.audit_type.name}）",
               actor=actor, org=plan.owner_org, obj=plan, before=before, item=pk)


def update_plan_note(actor, plan, note: str):
    _require_writer(actor, plan)
    _require_draft(plan)
    note = _clean_note(note)
    if note == plan.note:
        return plan
    with transaction.atomic():
        before = plan.note
        plan.note = note
        plan.save(update_fields=["note"])
        record("admin_center.plan_note", f"修改 {plan.year} 年度审计计划编制说明", actor=actor, org=plan.owner_org, obj=plan,
               before={"编制说明": before}, after={"编制说明": note})
    return plan


def delete_plan(actor, plan) -> None:
    """A draft from which no project was started may be discarded."""
    _require_writer(actor, plan)
    _require_draft(plan)
    if plan.items.filter(project__isnull=False).exists():
        raise ValueError("计划中已有事项据此立项，不能删除计划。")
    with transaction.atomic():
        before = {"年度": plan.year, "编制说明": plan.note,
                  "计划事项": [_item_values(i) for i in plan.items.select_related("org", "audit_type")]}
        owner, pk, year = plan.owner_org, plan.pk, plan.year
        plan.delete()
        record("admin_center.plan_delete", f"删除 {year} 年度审计计划（草拟中）", actor=actor, org=owner, before=before,
               object_id=pk)


def _require_approver(actor, plan) -> None:
    if not scope.can(actor, scope.APPROVE, plan.owner_org):
        raise PermissionError("只有本单位的经审负责人可以批准或退回年度审计计划。")


def approve_plan(actor, plan):
    _require_approver(actor, plan)
    with transaction.atomic():
        plan = AnnualPlan.objects.select_for_update().get(pk=plan.pk)
        if plan.status != plan.Status.DRAFT:
            raise ValueError("计划已批准。")
        n = plan.items.count()
        if not n:
            raise ValueError("计划中没有被审计单位，不能批准。")
        plan.status, plan.approved_by, plan.approved_at = plan.Status.APPROVED, actor, timezone.now()
        plan.save(update_fields=["status", "approved_by", "approved_at"])
        record("admin_center.plan_approve", f"批准 {plan.year} 年度审计计划：{n} 个计划事项", actor=actor, org=plan.owner_org,
               obj=plan, before={"状态": "草拟中"}, after={"状态": "已批准"})
    return plan


def return_plan(actor, plan, reason: str):
    """退回修改: the approved plan is a draft again. Items already started as projects keep their
    project; they cannot be changed or removed (the project is changed in 作业管理)."""
    _require_approver(actor, plan)
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise ValueError("请写明退回修改的理由。")
    if len(reason) > 500:
        raise ValueError("退回理由不能超过 500 个字。")
    with transaction.atomic():
        plan = AnnualPlan.objects.select_for_update().get(pk=plan.pk)
        if plan.status != plan.Status.APPROVED:
            raise ValueError("计划尚未批准，无需退回。")
        plan.status, plan.approved_by, plan.approved_at = plan.Status.DRAFT, None, None
        plan.save(update_fields=["status", "approved_by", "approved_at"])
        record("admin_center.plan_return", f"退回修改 {plan.year} 年度审计计划：{reason}", actor=actor, org=plan.owner_org,
               obj=plan, before={"状态": "已批准"}, after={"状态": "草拟中"}, reason=reason)
    return plan


def start_plan_item(actor, item, *, code: str, name: str, team, notice_days: int = 3):
    """立项 from an item of an approved plan, through audits.services.create_project (which checks
    the unit, years, dates and team again): the plan's unit audits the item's unit; the item is
    linked to the project."""
    plan = item.plan
    _require_writer(actor, plan)
    if plan.status != plan.Status.APPROVED:
        raise ValueError("计划批准后才能据此立项。")
    with transaction.atomic():
        item = PlanItem.objects.select_for_update().select_related("plan", "org", "audit_type").get(pk=item.pk)
        if item.project_id is not None:
            raise ValueError(f"「{item.org.name}」已据此立项（{item.project.code}）。")
        project = audits_services.create_project(
            actor, code=code, name=name, audit_type=item.audit_type, units=[item.org], fiscal_years=item.fiscal_years,
            planned_start=item.planned_start, planned_end=item.planned_end, team=team, notice_days=notice_days)
        item.project = project
        item.save(update_fields=["project"])
        record("admin_center.plan_item_project", f"按 {plan.year} 年度审计计划立项：{item.org.name}（{project.code}）",
               actor=actor, org=plan.owner_org, obj=item, project=project.pk)
    return project
