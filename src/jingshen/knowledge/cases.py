"""案例库: cases written by audit staff, often from one of their findings, anonymised against the
unit tree and the users, submitted, and published after approval by the 经审负责人 of a unit
strictly above the case's unit (knowledge/access.py decides who reads and who approves).

**Anonymisation.** ``known_names()`` collects what must not appear in a published case: every
unit's name, its short forms (the name without 工会委员会/联合工会委员会/总工会/工会 and the like)
and its code (codes of at least four characters, matched as whole tokens), and every user's
display name and username (usernames matched as whole ASCII words). ``case_from_finding`` adds
the names in the ledger behind the finding (往来单位, 制单人, 审核人 of its vouchers in the
project's pinned datasets). ``anonymise(text)`` replaces units with 某单位 and persons with 某人,
longest name first; ``find_names(text)`` reports what remains. Submission and approval are
refused while any text of the case still holds a known name, with a Chinese message naming it.

**Flow.** 草稿 → (submit) 待审核 → (approve) 已发布 / (return) 已退回 → edit → submit again;
the author or an approver withdraws a published case (已撤回), which its author may edit and
submit again. Every write checks again who may, runs in one transaction, logs
(``knowledge.case_*``) and, when a case is published or withdrawn from publication, sends
``signals.content_changed``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from jingshen.accounts.models import RoleCode, User
from jingshen.activity.services import record
from jingshen.audits.models import Finding, PinnedDataset, ProblemType
from jingshen.knowledge import access
from jingshen.knowledge import citations as cited
from jingshen.knowledge.models import Case, CaseStatus
from jingshen.knowledge.signals import content_changed
from jingshen.orgs import scope
from jingshen.orgs.models import Kind, Org

UNIT_PLACEHOLDER = "某单位"
PERSON_PLACEHOLDER = "某人"
MAX_TEXT = 10000
AMOUNT_LIMIT = Decimal("9999999999999999.99")  # DECIMAL(18,2)
TEXT_FIELDS = (("title", "标题"), ("facts", "基本事实"), ("handling", "处理情况"), ("lessons", "启示"))
EDITABLE = (CaseStatus.DRAFT, CaseStatus.RETURNED, CaseStatus.WITHDRAWN)

# Suffixes a unit's name is known without (longest first): 甲市一区电子公司工会委员会 → 甲市一区电子公司,
# 甲市总工会 → 甲市. A short form of one character is never used (it would match everywhere).
SUFFIXES = ("联合工会委员会", "工会联合会", "工会委员会", "工会工作委员会", "联合工会", "总工会", "工会")
MIN_CODE = 4  # shorter codes (33) are numbers in any text
MIN_NAME = 2
ASCII_WORD = re.compile(r"[A-Za-z0-9_.@-]")
# Display names that name a role, not a person (the demo's 系统管理员).
GENERIC_NAMES = {label for _, label in RoleCode.choices} | {"管理员", "用户"}


@dataclass
class Names:
    """The names a case must not hold: name → "unit" or "person"."""

    names: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, kind: str) -> None:
        name = (name or "").strip()
        if len(name) < MIN_NAME or name in GENERIC_NAMES:
            return
        if name.isascii() and kind == "unit" and len(name) < MIN_CODE:
            return
        self.names.setdefault(name, kind)

    @property
    def lengths(self) -> list[int]:
        return sorted({len(n) for n in self.names}, reverse=True)


def short_forms(name: str) -> list[str]:
    """A unit's name and the forms it is commonly written in (without the union suffix, or with
    the short 工会 in place of 工会委员会/总工会)."""
    forms = [name]
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= MIN_NAME:
            base = name[: -len(suffix)]
            forms += [base, base + "工会"]  # 甲市一区电子公司工会委员会 is also written 甲市一区电子公司工会
            break
    return list(dict.fromkeys(forms))


def known_names(extra_units=(), extra_people=()) -> Names:
    """Every unit's name, short forms and code, and every user's display name and username."""
    names = Names()
    for code, name in Org.objects.values_list("code", "name").iterator(chunk_size=2000):
        for form in short_forms(name):
            names.add(form, "unit")
        names.add(code, "unit")
    for username, display_name in User.objects.values_list("username", "display_name").iterator(chunk_size=2000):
        names.add(display_name, "person")
        names.add(username, "person")
    for n in extra_units:
        names.add(n, "unit")
    for n in extra_people:
        names.add(n, "person")
    return names


def _matches(text: str, names: Names):
    """(start, end, name, kind) of the known names in ``text``, longest first at each position,
    never overlapping. ASCII names (codes, usernames) only as whole tokens."""
    lengths = names.lengths
    i, n = 0, len(text)
    while i < n:
        for length in lengths:
            if i + length > n:
                continue
            piece = text[i:i + length]
            kind = names.names.get(piece)
            if kind is None:
                continue
            if piece.isascii() and ((i > 0 and ASCII_WORD.match(text[i - 1])) or (i + length < n and ASCII_WORD.match(text[i + length]))):
                continue
            yield i, i + length, piece, kind
            i += length
            break
        else:
            i += 1


def find_names(text: str, names: Names | None = None) -> list[tuple[str, str]]:
    """The known unit and person names still in ``text``: [(name, "unit"/"person")], each once,
    in order of appearance."""
    names = names or known_names()
    seen: dict[str, str] = {}
    for _, _, name, kind in _matches(text or "", names):
        seen.setdefault(name, kind)
    return list(seen.items())


def anonymise(text: str, names: Names | None = None) -> str:
    """``text`` with every known unit name replaced by 某单位 and every person by 某人."""
    names = names or known_names()
    text = text or ""
    out, last = [], 0
    for start, end, _, kind in _matches(text, names):
        out.append(text[last:start])
        out.append(UNIT_PLACEHOLDER if kind == "unit" else PERSON_PLACEHOLDER)
        last = end
    out.append(text[last:])
    return "".join(out)


def ledger_names(finding: Finding) -> tuple[set[str], set[str]]:
    """The counterparties (往来单位) and the preparers and reviewers of the finding's vouchers, read
    from the project's pinned voucher datasets: (units, people). Missing files give nothing."""
    from jingshen.ledger import books

    units, people = set(), set()
    pins = {p.dataset.fiscal_year: p.dataset for p in PinnedDataset.objects.filter(
        project=finding.project_id, dataset__org=finding.org_id, dataset__kind="vouchers").select_related("dataset")}
    for year, period, voucher_type, voucher_no in list(finding.vouchers)[:50]:
        dataset = pins.get(year)
        if dataset is None:
            continue
        try:
            v = books.voucher(dataset, period, voucher_type, voucher_no)
        except Exception:  # a dataset whose files are gone: the tree and users are still checked
            continue
        if v is None:
            continue
        units |= {line.counterparty for line in v.lines if line.counterparty}
        people |= set(v.preparers) | set(v.reviewers)
    return units, people


def case_text(case: Case) -> str:
    return "\n".join(str(getattr(case, f) or "") for f, _ in TEXT_FIELDS)


def remaining_names(case: Case, names: Names | None = None) -> list[tuple[str, str, str]]:
    """(field label, name, kind) of the known names still in the case's texts."""
    names = names or known_names()
    found = []
    for f, label in TEXT_FIELDS:
        for name, kind in find_names(getattr(case, f), names):
            found.append((label, name, kind))
    return found


def _refuse_names(case: Case) -> None:
    found = remaining_names(case)
    if found:
        shown = "、".join(f"{label}中的「{name}」（{'单位名称' if kind == 'unit' else '人名'}）" for label, name, kind in found[:5])
        more = f"等 {len(found)} 处" if len(found) > 5 else ""
        raise ValueError(f"案例仍含有可识别的名称：{shown}{more}，请改为“某单位”“某人”等后再提交。")


# --- checks ---------------------------------------------------------------------------------------


def may_write(user) -> bool:
    """Audit staff (经审负责人, 审计组长, 审计员) write cases at their own unit."""
    return bool(getattr(user, "is_authenticated", False) and user.org_id and scope.can(user, scope.AUDIT, user.org))


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


def _text(value, label: str, limit: int, required: bool = False) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValueError(f"请填写{label}。")
    if len(text) > limit:
        raise ValueError(f"{label}不能超过 {limit:,} 个字。")
    if "\x00" in text:
        raise ValueError(f"{label}含有无效字符。")
    return text


def _year(value) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise ValueError("请填写年度。") from None
    if not 1990 <= year <= 2100:
        raise ValueError("年度应在 1990 至 2100 之间。")
    return year


def _rules(codes) -> list[str]:
    from jingshen.knowledge.guides import check_rules

    return check_rules(codes)


def _snapshot(case: Case) -> dict:
    return {"title": case.title, "status": case.status, "unit_kind": case.unit_kind, "year": case.year,
            "problem_type": case.problem_type.name, "amount": case.amount, "rules": case.rules,
            "citations": [cited.line_of(c) for c in cited.citations_of(case)] if case.pk else []}


def _fields(title, unit_kind, year, problem_type, amount, facts, handling, lessons, rules) -> dict:
    if problem_type is None or not isinstance(problem_type, ProblemType):
        raise ValueError("请选择问题类型。")
    if unit_kind and unit_kind not in Kind.values:
        raise ValueError("请选择单位性质。")
    return {
        "title": _text(title, "标题", 200, required=True), "unit_kind": unit_kind or "", "year": _year(year),
        "problem_type": problem_type, "amount": _amount(amount), "facts": _text(facts, "基本事实", MAX_TEXT, required=True),
        "handling": _text(handling, "处理情况", MAX_TEXT), "lessons": _text(lessons, "启示", MAX_TEXT), "rules": _rules(rules),
    }


# --- writes ---------------------------------------------------------------------------------------


def _cited(citations):
    """The posted citation lines parsed (None: leave the case's citations as they are)."""
    if citations is None:
        return None
    return cited.parse_lines(citations if isinstance(citations, str) else "\n".join(citations))


def create_case(user, *, title, unit_kind="", year, problem_type, amount=0, facts, handling="", lessons="", rules=(),
                citations=None, source_finding: Finding | None = None) -> Case:
    """A draft case by ``user`` at their unit (audit staff only). ``citations``: its basis, one
    citation a line, resolved in the library the author reads and frozen (knowledge/citations.py)."""
    if not may_write(user):
        raise PermissionError("只有审计人员（经审负责人、审计组长、审计员）可以编写案例。")
    values = _fields(title, unit_kind, year, problem_type, amount, facts, handling, lessons, rules)
    parsed = _cited(citations)
    with transaction.atomic():
        case = Case.objects.create(owner_org=user.org, author=user, source_finding=source_finding, **values)
        if parsed is not None:
            cited.replace(user, case, parsed)
        if source_finding is not None:  # the finding's citations as they were frozen, not re-resolved
            for c in cited.citations_of(source_finding):
                c.pk, c.finding, c.case, c.created_by = None, None, case, user
                c.save()
        record("knowledge.case_create", f"编写案例「{case.title}」" + ("（由审计发现转入）" if source_finding else ""),
               actor=user, org=user.org, obj=case, after=_snapshot(case),
               finding=source_finding.pk if source_finding else None)
    return case


def update_case(user, case: Case, *, title, unit_kind="", year, problem_type, amount=0, facts, handling="", lessons="",
                rules=(), citations=None) -> Case:
    """Change a draft, returned or withdrawn case: its author only."""
    if case.author_id != user.pk:
        raise PermissionError("只有案例的编写人可以修改案例。")
    values = _fields(title, unit_kind, year, problem_type, amount, facts, handling, lessons, rules)
    parsed = _cited(citations)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.status not in EDITABLE:
            raise ValueError(f"案例{case.get_status_display()}，不能修改（已发布的案例须先撤回）。")
        before = _snapshot(case)
        for name, value in values.items():
            setattr(case, name, value)
        case.save()
        if parsed is not None:
            cited.replace(user, case, parsed)
        record("knowledge.case_update", f"修改案例「{case.title}」", actor=user, org=case.owner_org, obj=case,
               before=before, after=_snapshot(case))
    return case


def case_from_finding(user, finding: Finding) -> Case:
    """A draft case from a finding, by the finding's author: its title, problem type, amount,
    description (基本事实) and recommendation (处理情况), anonymised against the unit tree, the
    users and the ledger names behind the finding; the rules of its verifications."""
    if finding.created_by_id != user.pk:
        raise PermissionError("只有审计发现的填写人可以将其转为案例。")
    units, people = ledger_names(finding)
    names = known_names(units, people)
    rules = []
    from jingshen.knowledge.guides import rule_catalogue

    catalogue = rule_catalogue()
    for code in finding.verifications.values_list("rule", flat=True).order_by("rule").distinct():
        if code in catalogue and code not in rules:
            rules.append(code)
    handling = finding.recommendation and f"审计建议：{finding.recommendation}"
    facts = finding.description
    if finding.basis:
        facts = f"{facts}\n\n定性依据：{finding.basis}"
    return create_case(
        user, title=anonymise(finding.title, names)[:200], unit_kind=finding.org.kind,
        year=max(finding.project.fiscal_years or [timezone.localdate().year]), problem_type=finding.problem_type,
        amount=finding.amount, facts=anonymise(facts, names)[:MAX_TEXT], handling=anonymise(handling, names)[:MAX_TEXT],
        lessons="", rules=rules, source_finding=finding,
    )


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update().select_related("owner_org", "problem_type").get(pk=case.pk)


def submit(user, case: Case) -> Case:
    """The author submits a draft, returned or withdrawn case for approval; refused while a known
    unit or person name remains."""
    if case.author_id != user.pk:
        raise PermissionError("只有案例的编写人可以提交案例。")
    with transaction.atomic():
        case = _locked(case)
        if case.status not in EDITABLE:
            raise ValueError(f"案例{case.get_status_display()}，不能再次提交。")
        if not case.owner_org.parent_id:
            raise ValueError("本单位没有上级单位，案例无人审核。")
        _refuse_names(case)
        before = case.status
        case.status, case.submitted_at, case.review_note = CaseStatus.SUBMITTED, timezone.now(), ""
        case.save()
        record("knowledge.case_submit", f"提交案例「{case.title}」待上级审核", actor=user, org=case.owner_org, obj=case,
               before={"status": before}, after={"status": case.status})
    return case


def _approver(user, case: Case) -> None:
    if case.author_id == user.pk:
        raise PermissionError("编写人不能审核自己的案例。")
    if not access.may_approve(user, case):
        raise PermissionError("只有上级单位的经审负责人可以审核案例。")


def approve(user, case: Case, note: str = "") -> Case:
    """Publish a submitted case for the approver's unit and its subtree."""
    note = _text(note, "审核意见", 2000)
    with transaction.atomic():
        case = _locked(case)
        _approver(user, case)
        if case.status != CaseStatus.SUBMITTED:
            raise ValueError(f"案例{case.get_status_display()}，不能审核。")
        _refuse_names(case)
        case.status, case.approved_by, case.approved_org = CaseStatus.PUBLISHED, user, user.org
        case.approved_at, case.review_note = timezone.now(), note
        case.save()
        content_changed.send(sender=Case, instance=case, deleted=False)
        record("knowledge.case_approve", f"审核发布案例「{case.title}」，发布范围：{user.org.name}及下级单位",
               actor=user, org=user.org, obj=case, before={"status": CaseStatus.SUBMITTED},
               after={"status": case.status, "approved_org": user.org.code}, note=note)
    return case


def return_case(user, case: Case, note: str) -> Case:
    """Send a submitted case back to its author with the reason."""
    note = _text(note, "退回理由", 2000, required=True)
    with transaction.atomic():
        case = _locked(case)
        _approver(user, case)
        if case.status != CaseStatus.SUBMITTED:
            raise ValueError(f"案例{case.get_status_display()}，不能退回。")
        case.status, case.review_note = CaseStatus.RETURNED, note
        case.save()
        record("knowledge.case_return", f"退回案例「{case.title}」：{note[:100]}", actor=user, org=user.org, obj=case,
               before={"status": CaseStatus.SUBMITTED}, after={"status": case.status}, note=note)
    return case


def may_withdraw(user, case: Case) -> bool:
    if case.status == CaseStatus.SUBMITTED:
        return case.author_id == user.pk
    if case.status == CaseStatus.PUBLISHED:
        return case.author_id == user.pk or access.may_approve(user, case)
    return False


def withdraw(user, case: Case, note: str = "") -> Case:
    """The author takes back a submitted or published case; an approver of the case's unit may
    withdraw a published one too. A withdrawn case is read by its author only until published again."""
    note = _text(note, "撤回原因", 2000)
    with transaction.atomic():
        case = _locked(case)
        if not may_withdraw(user, case):
            if case.status not in (CaseStatus.SUBMITTED, CaseStatus.PUBLISHED):
                raise ValueError(f"案例{case.get_status_display()}，不能撤回。")
            raise PermissionError("只有编写人或上级单位的经审负责人可以撤回案例。")
        before = case.status
        case.status = CaseStatus.WITHDRAWN
        case.approved_by = case.approved_org = case.approved_at = None
        case.save()
        if before == CaseStatus.PUBLISHED:
            content_changed.send(sender=Case, instance=case, deleted=False)
        record("knowledge.case_withdraw", f"撤回案例「{case.title}」" + (f"：{note[:100]}" if note else ""), actor=user,
               org=case.owner_org, obj=case, before={"status": before}, after={"status": case.status}, note=note)
    return case
