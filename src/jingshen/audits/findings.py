"""疑点核实 and 审计发现: the project's flags, their verification keyed on what a flag is about
(so it survives a re-run), findings with the verifications and vouchers behind them, and the
figures other apps read (rule statistics for the rule catalogue, a unit's confirmed findings for
the risk ranking, the verifications of a flag for its page).

Writes follow the services conventions (services.py): who may is checked again here
(membership with the discipline acknowledged: ``services.may_act`` / ``access.may_work``),
one ``transaction.atomic()``, the activity record last, ``PermissionError`` / ``ValueError`` in
Chinese. An archived project refuses them all (models.ArchivedGuard).

Who does what: the project's 组长 or 主审 assign a flag to a member; the assignee, the 组长 or the
主审 verify it (属实 / 排除 with a reason / back to 待核实); any member who acknowledged the
discipline records findings and attaches 属实 verifications to them."""

import re
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import CharField, Count, Q, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from jingshen.activity.services import record
from jingshen.audits import access
from jingshen.audits.models import ArchivedError, AuditProject, Finding, FlagVerification, ProblemType, Stage, VerificationStatus
from jingshen.audits.services import AUDITORS, may_act
from jingshen.knowledge import citations as cited
from jingshen.orgs import scope
from jingshen.screening.models import Flag

MAX_TEXT = 5000
AMOUNT_LIMIT = Decimal("9999999999999999.99")  # DECIMAL(18,2)


# --- the key a verification is made on -----------------------------------------------------------


def flag_key(org_id, fiscal_year, period, voucher_type, voucher_no, line_no, rule) -> str:
    """What a flag is about, as one string: equal for the flags of two runs on the same line (or
    voucher, or unit) by the same rule. ``key_expression`` computes the same in SQL."""
    parts = (org_id, fiscal_year, period, voucher_type or "", voucher_no, line_no, rule)
    return "|".join("" if p is None else str(p) for p in parts)


def key_of(flag) -> str:
    return flag_key(flag.org_id, flag.fiscal_year, flag.period, flag.voucher_type, flag.voucher_no, flag.line_no, flag.rule)


def _text(field):
    return Coalesce(Cast(field, CharField()), Value(""))


def key_expression():
    """``flag_key`` of a Flag row, in SQL (to filter a flag list by the verifications of its keys)."""
    sep = Value("|")
    return Concat(_text("org_id"), sep, _text("fiscal_year"), sep, _text("period"), sep, _text("voucher_type"), sep,
                  _text("voucher_no"), sep, _text("line_no"), sep, _text("rule"), output_field=CharField())


# --- reading ------------------------------------------------------------------------------------


def project_flags(user, project: AuditProject):
    """The flags of the project's screening runs on its units and years that the user may see
    (none for the audited unit's contact, who never sees flags)."""
    if access.is_auditee(user, project):
        return Flag.objects.none()
    return Flag.objects.filter(
        run__in=project.screening_runs.values("pk"), org__in=project.units.values("org"), fiscal_year__in=project.fiscal_years,
    ).restrict(user, scope.VIEW_FLAGS)


def verifications_for(user, project: AuditProject):
    if access.is_auditee(user, project):
        return FlagVerification.objects.none()
    return project.verifications.restrict(user, scope.VIEW_FLAGS)


def findings_for(user, project: AuditProject):
    if access.is_auditee(user, project):
        return Finding.objects.none()
    return project.findings.restrict(user, scope.VIEW_FLAGS)


def by_key(project: AuditProject, flags) -> dict[str, FlagVerification]:
    """The project's verifications of these flags' keys."""
    keys = {key_of(f) for f in flags}
    return {v.key: v for v in project.verifications.filter(key__in=keys).select_related("assigned_to", "verified_by")}


def verifications_of_flag(user, flag) -> list[FlagVerification]:
    """The verifications of the flag's key in every project the user may see as an auditor (the
    screening flag page: 已在项目 X 中核实为属实)."""
    if not scope.is_audit_staff(user):
        return []
    projects = access.projects_for(user).values("pk")
    return list(FlagVerification.objects.filter(key=key_of(flag), project__in=projects)
                .restrict(user, scope.VIEW_FLAGS).select_related("project").order_by("project__code"))


def rule_statistics(user) -> dict[str, dict]:
    """Per rule, how often its flags were verified in the projects the user may see, and how
    often they were confirmed (属实) or dismissed (排除): {rule: {"verified", "confirmed", "dismissed"}}."""
    if not scope.may(user, scope.VIEW_FLAGS):
        return {}
    rows = (FlagVerification.objects.filter(project__in=access.projects_for(user).values("pk"))
            .restrict(user, scope.VIEW_FLAGS)
            .exclude(status=VerificationStatus.PENDING)
            .values("rule")
            .annotate(confirmed=Count("pk", filter=Q(status=VerificationStatus.CONFIRMED)),
                      dismissed=Count("pk", filter=Q(status=VerificationStatus.DISMISSED))))
    return {r["rule"]: {"verified": r["confirmed"] + r["dismissed"], "confirmed": r["confirmed"], "dismissed": r["dismissed"]}
            for r in rows}


# Confirmed findings raise a unit's risk in the rankings of later years: those of projects on
# the FINDING_YEARS fiscal years before the run's (docs/scoring.md, "Findings of earlier audits").
FINDING_YEARS = 3


def findings_by_unit(fiscal_year: int, org_ids) -> dict[int, int]:
    """For a run of ``fiscal_year``: each unit's findings in projects auditing any of the
    FINDING_YEARS years before it, by org id (scoring.Ranker reads it through scoring.prior_findings)."""
    years = set(range(fiscal_year - FINDING_YEARS, fiscal_year))
    counts: dict[int, int] = {}
    rows = Finding.objects.filter(org_id__in=list(org_ids)).values_list("org_id", "project__fiscal_years")
    for org_id, project_years in rows:
        if years & set(project_years or ()):
            counts[org_id] = counts.get(org_id, 0) + 1
    return counts


# --- verification writes -------------------------------------------------------------------------


def _check_open(project: AuditProject) -> AuditProject:
    project = AuditProject.objects.get(pk=project.pk)  # the stage as stored
    if project.stage == Stage.ARCHIVED:
        raise ArchivedError(project)
    return project


def _member(project: AuditProject, user):
    return project.members.filter(user=user).select_related("user").first()


def _check_flag(project: AuditProject, flag) -> None:
    if not (project.screening_runs.filter(pk=flag.run_id).exists() and project.units.filter(org_id=flag.org_id).exists()
            and flag.fiscal_year in project.fiscal_years):
        raise ValueError("该疑点不属于本项目的筛查、被审计单位或审计年度。")


def _verification(project: AuditProject, flag) -> FlagVerification:
    """The project's verification of the flag's key, made now (待核实) if there is none yet."""
    _check_flag(project, flag)
    found = project.verifications.select_for_update(of=("self",)).filter(key=key_of(flag)).first()
    if found is not None:
        return found
    return FlagVerification.objects.create(
        project=project, org_id=flag.org_id, fiscal_year=flag.fiscal_year, period=flag.period, voucher_type=flag.voucher_type,
        voucher_no=flag.voucher_no, line_no=flag.line_no, rule=flag.rule, key=key_of(flag), flag_id=flag.pk, run_id=flag.run_id,
        rule_name=flag.rule_name, message=flag.message, amount=flag.amount,
    )


def _label(v: FlagVerification) -> str:
    where = f"{v.fiscal_year} 年第 {v.period} 期 {v.voucher_type}-{v.voucher_no}" if v.voucher_no is not None else f"{v.fiscal_year} 年单位级"
    return f"{v.rule} {v.rule_name}（{where}{f' 第 {v.line_no} 行' if v.line_no else ''}）"


def _snapshot(v: FlagVerification) -> dict:
    return {"status": v.status, "assigned_to": v.assigned_to.username if v.assigned_to else None, "reason": v.reason, "note": v.note}


def assign(user, project: AuditProject, assignee, *, flag=None, verification: FlagVerification | None = None) -> FlagVerification:
    """The 组长 or 主审 assigns a flag (or its verification) to a member of the project team."""
    project = _check_open(project)
    if not may_act(user, project, AUDITORS):
        raise PermissionError("只有项目组长或主审可以分派疑点（项目组成员须先确认审计纪律）。")
    if assignee is None or _member(project, assignee) is None:
        raise ValueError("只能分派给本项目组的成员。")
    with transaction.atomic():
        v = _verification(project, flag) if verification is None else FlagVerification.objects.select_for_update(of=("self",)).get(pk=verification.pk, project=project)
        before = _snapshot(v)
        v.assigned_to = assignee
        v.save(update_fields=["assigned_to", "updated_at"])
        record("audits.assign_flag", f"审计项目「{project.code}」将疑点 {_label(v)} 分派给{assignee.display_name or assignee.username}",
               actor=user, org=project.owner_org, obj=v, before=before, after=_snapshot(v), project=project.pk)
    return v


def verify(user, project: AuditProject, status: str, *, reason: str = "", note: str = "", flag=None,
           verification: FlagVerification | None = None) -> FlagVerification:
    """Record the verification of a flag: 属实, 排除 (a reason is required) or back to 待核实. By the
    member it is assigned to, or the 组长 or 主审."""
    project = _check_open(project)
    if status not in VerificationStatus.values:
        raise ValueError("未知的核实状态。")
    reason = str(reason or "").strip()
    note = str(note or "").strip()
    if status == VerificationStatus.DISMISSED and not reason:
        raise ValueError("排除疑点须写明理由。")
    if len(reason) > MAX_TEXT or len(note) > MAX_TEXT:
        raise ValueError(f"理由和说明不能超过 {MAX_TEXT:,} 个字。")
    with transaction.atomic():
        v = _verification(project, flag) if verification is None else FlagVerification.objects.select_for_update(of=("self",)).get(pk=verification.pk, project=project)
        lead = may_act(user, project, AUDITORS)
        assignee = v.assigned_to_id == user.pk and access.may_work(user, project)
        if not (lead or assignee):
            raise PermissionError("只有被分派的核实人、项目组长或主审可以核实该疑点（项目组成员须先确认审计纪律）。")
        if status != VerificationStatus.CONFIRMED and v.findings.exists():
            raise ValueError("该疑点已据以形成审计发现，须先从审计发现中移除，才能改为排除或待核实。")
        before = _snapshot(v)
        v.status, v.reason, v.note = status, reason if status == VerificationStatus.DISMISSED else "", note
        v.verified_by, v.verified_at = (None, None) if status == VerificationStatus.PENDING else (user, timezone.now())
        v.save(update_fields=["status", "reason", "note", "verified_by", "verified_at", "updated_at"])
        record("audits.verify_flag", f"审计项目「{project.code}」核实疑点 {_label(v)}：{VerificationStatus(status).label}",
               actor=user, org=project.owner_org, obj=v, before=before, after=_snapshot(v), project=project.pk)
    return v


# --- findings ------------------------------------------------------------------------------------

VOUCHER_LINE = re.compile(r"^\s*(\d{4})\s*-\s*(\d{1,2})\s*-\s*([^\s\-]{1,16})\s*-\s*(\d{1,9})\s*$")


def parse_vouchers(text: str) -> list[list]:
    """Voucher keys typed one a line as 年度-期间-凭证字-凭证号 (e.g. 2025-3-记-12)."""
    keys = []
    for line in str(text or "").replace("，", "\n").replace(",", "\n").splitlines():
        if not line.strip():
            continue
        m = VOUCHER_LINE.match(line)
        if m is None or not 1 <= int(m.group(2)) <= 12:
            raise ValueError(f"凭证「{line.strip()[:40]}」格式不对，应为 年度-期间-凭证字-凭证号，如 2025-3-记-12。")
        keys.append([int(m.group(1)), int(m.group(2)), m.group(3), int(m.group(4))])
    return keys


def vouchers_text(vouchers) -> str:
    return "\n".join(f"{y}-{p}-{t}-{n}" for y, p, t, n in vouchers)


def _amount(value) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else "0").replace(",", ""))
    except InvalidOperation:
        raise ValueError("涉及金额应为数字。") from None
    if not amount.is_finite():
        raise ValueError("涉及金额应为数字。")
    if amount < 0:
        raise ValueError("涉及金额不能为负数。")
    if amount > AMOUNT_LIMIT or amount != amount.quantize(Decimal("0.01")):
        raise ValueError("涉及金额最多两位小数，且不超过 9,999,999,999,999,999.99 元。")
    return amount.quantize(Decimal("0.01"))


def _required(value, label: str, limit: int) -> str:
    text = str(value or "").strip()
    if not text:
        raise ValueError(f"请填写{label}。")
    if len(text) > limit:
        raise ValueError(f"{label}不能超过 {limit:,} 个字。")
    return text


def _optional(value, label: str, limit: int = MAX_TEXT) -> str:
    text = str(value or "").strip()
    if len(text) > limit:
        raise ValueError(f"{label}不能超过 {limit:,} 个字。")
    return text


def _voucher_of(v: FlagVerification):
    return [v.fiscal_year, v.period, v.voucher_type, v.voucher_no] if v.voucher_no is not None else None


def save_finding(user, project: AuditProject, finding: Finding | None = None, *, problem_type: ProblemType, org, title: str,
                 amount, description: str, basis: str = "", recommendation: str = "", vouchers=(),
                 verifications=(), citations=None) -> Finding:
    """Record a finding (or change one): a member who acknowledged the discipline. ``verifications``
    (属实 verifications of the project on the same unit) are attached; their vouchers join the
    finding's. The amount involved is never negative. ``basis`` is the auditor's own wording of
    the 定性依据; ``citations`` (lines, one citation each; None leaves them as they are) are the
    articles cited, resolved in the library the user reads and frozen (knowledge/citations.py)."""
    project = _check_open(project)
    if not access.may_work(user, project):
        raise PermissionError("只有确认了审计纪律的项目组成员可以填写审计发现。")
    if finding is not None and finding.project_id != project.pk:
        raise ValueError("该审计发现不属于本项目。")
    if problem_type is None or not problem_type.active:
        raise ValueError("请选择问题类型。")
    if org is None or not project.units.filter(org=org).exists():
        raise ValueError("请选择本项目的被审计单位。")
    title = _required(title, "问题标题", 200)
    description = _required(description, "问题描述", MAX_TEXT)
    basis, recommendation = _optional(basis, "定性依据"), _optional(recommendation, "审计建议")
    amount = _amount(amount)
    parsed = None if citations is None else cited.parse_lines("\n".join(citations) if not isinstance(citations, str) else citations)
    keys = [list(k) for k in vouchers]
    for year, *_ in keys:
        if year not in project.fiscal_years:
            raise ValueError(f"凭证年度 {year} 不在本项目的审计年度（{project.years_text}）内。")
    chosen = list(verifications)
    for v in chosen:
        _check_attachable(project, v, org)
    with transaction.atomic():
        before = None if finding is None else _finding_snapshot(finding)
        if finding is None:
            finding = Finding(project=project, created_by=user)
        finding.org, finding.problem_type, finding.title, finding.amount = org, problem_type, title, amount
        finding.description, finding.basis, finding.recommendation = description, basis, recommendation
        finding.vouchers = _merged(keys, chosen)
        finding.save()
        if chosen:
            finding.verifications.add(*chosen)
        if parsed is not None:
            cited.replace(user, finding, parsed)
        verb = "填写" if before is None else "修改"
        record(f"audits.{'create' if before is None else 'update'}_finding",
               f"审计项目「{project.code}」{verb}审计发现「{title}」（{problem_type.name}，涉及金额 {amount:,.2f} 元）",
               actor=user, org=project.owner_org, obj=finding, before=before, after=_finding_snapshot(finding), project=project.pk)
    return finding


def _merged(keys: list[list], verifications) -> list[list]:
    out = []
    for key in keys + [k for k in (_voucher_of(v) for v in verifications) if k]:
        if key not in out:
            out.append(key)
    return sorted(out, key=lambda k: (k[0], k[1] or 0, k[2], k[3]))


def _check_attachable(project, v: FlagVerification, org) -> None:
    if v.project_id != project.pk:
        raise ValueError("该疑点核实不属于本项目。")
    if v.status != VerificationStatus.CONFIRMED:
        raise ValueError("只有核实为属实的疑点才能形成审计发现。")
    if v.org_id != org.pk:
        raise ValueError("疑点与审计发现应属同一被审计单位。")


def _finding_snapshot(f: Finding) -> dict:
    return {"problem_type": f.problem_type.name, "title": f.title, "amount": f.amount, "org": f.org.code,
            "description": f.description, "basis": f.basis, "recommendation": f.recommendation, "vouchers": f.vouchers,
            "citations": [cited.line_of(c) for c in f.citations.order_by("position", "id")] if f.pk else []}


def attach(user, project: AuditProject, finding: Finding, verification: FlagVerification) -> Finding:
    """Attach a 属实 verification to an existing finding; its voucher joins the finding's."""
    project = _check_open(project)
    if not access.may_work(user, project):
        raise PermissionError("只有确认了审计纪律的项目组成员可以修改审计发现。")
    if finding.project_id != project.pk:
        raise ValueError("该审计发现不属于本项目。")
    _check_attachable(project, verification, finding.org)
    with transaction.atomic():
        before = _finding_snapshot(finding)
        finding.vouchers = _merged([list(k) for k in finding.vouchers], [verification])
        finding.save(update_fields=["vouchers", "updated_at"])
        finding.verifications.add(verification)
        record("audits.attach_finding", f"审计项目「{project.code}」将疑点 {_label(verification)} 归入审计发现「{finding.title}」",
               actor=user, org=project.owner_org, obj=finding, before=before, after=_finding_snapshot(finding),
               project=project.pk, verification=verification.pk)
    return finding

