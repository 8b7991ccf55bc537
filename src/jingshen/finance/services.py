"""Every write of 穿透式监督: budgets, fixed-asset registers, payroll totals and enterprise summaries imported as new versions;
key funds defined and vouchers tagged with them. Each function checks the action
again (PermissionError with a Chinese message), runs in a transaction and logs with
activity.record()."""

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from jingshen.activity.services import record, record_many
from jingshen.finance import enterprises
from jingshen.finance.assets import parse_register
from jingshen.finance.budgets import ParsedBudget, money, parse_budget
from jingshen.finance.budgets import parse_amount
from jingshen.finance.models import (AssetRegister, Budget, BudgetLine, EnterpriseSummary, FixedAsset, FundVoucher, KeyFund, LineKind,
                                     Payroll, ReconcileSetting)
from jingshen.orgs.models import Org
from jingshen.ledger import books
from jingshen.ledger.charts import effective_accounts
from jingshen.ledger.importers.common import file_sha256
from jingshen.ledger.roles import AccountRole
from jingshen.orgs import scope
from jingshen.tabular import Field, RowError, TableError, read_table

FIRST_YEAR = 1990


def check_year(year: int) -> None:
    last = timezone.localdate().year + 1  # a budget is made before its year begins
    if not FIRST_YEAR <= year <= last:
        raise ValueError(f"预算年度应在 {FIRST_YEAR} 年至 {last} 年之间。")


def latest_budget(org, year: int) -> Budget | None:
    return Budget.objects.filter(org=org, fiscal_year=year).order_by("-version").first()


def _continuity(parsed: ParsedBudget, org, year: int) -> None:
    """The carry-forward of this file against the stored budgets of the years before and after:
    the 上年决算数 of 上年结转 here is the carry into last year, which last year's budget stated
    as its 本年预算数 (and the same one year on)."""
    carry = parsed.special(LineKind.CARRY_FORWARD)
    if carry is None:
        return
    errors = []
    before = latest_budget(org, year - 1)
    before_carry = before.lines.filter(kind=LineKind.CARRY_FORWARD).first() if before else None
    if before_carry is not None and before_carry.amount is not None and carry.prior_actual is not None \
            and before_carry.amount != carry.prior_actual:
        errors.append(RowError(parsed.file, carry.row, "上年决算数", money(carry.prior_actual),
                               f"上年结转的上年决算数为 {money(carry.prior_actual)}，而已导入的 {year - 1} 年预算（第 {before.version} 版）"
                               f"上年结转的本年预算数为 {money(before_carry.amount)}，两者不符（相差 {money(carry.prior_actual - before_carry.amount)}）。"))
    after = latest_budget(org, year + 1)
    after_carry = after.lines.filter(kind=LineKind.CARRY_FORWARD).first() if after else None
    if after_carry is not None and after_carry.prior_actual is not None and carry.amount is not None \
            and after_carry.prior_actual != carry.amount:
        errors.append(RowError(parsed.file, carry.row, "本年预算数", money(carry.amount),
                               f"上年结转的本年预算数为 {money(carry.amount)}，而已导入的 {year + 1} 年预算（第 {after.version} 版）"
                               f"上年结转的上年决算数为 {money(after_carry.prior_actual)}，两者不符（相差 {money(carry.amount - after_carry.prior_actual)}）。"))
    if errors:
        raise TableError(errors)


def import_budget(path, *, org, year: int, actor=None, display: str | None = None) -> Budget:
    """Import a 工会经费收支预算表 of ``org`` for ``year`` as a new version (budgets.py says what is
    checked). All or nothing: a refused file writes nothing. ``actor`` (None from the command
    line without --by) must hold IMPORT on the unit."""
    path = Path(path)
    display = display or path.name
    if actor is not None and not scope.can(actor, scope.IMPORT, org):
        raise PermissionError(f"单位编码「{org.code}」不存在或不在您导入数据的范围内。")
    check_year(year)
    parsed = parse_budget(path, effective_accounts(org), display)
    source_hash = file_sha256(path)
    try:
        with transaction.atomic():
            _continuity(parsed, org, year)
            version = (Budget.objects.filter(org=org, fiscal_year=year).aggregate(v=Max("version"))["v"] or 0) + 1
            budget = Budget.objects.create(org=org, fiscal_year=year, version=version, source_name=display[:255],
                                           source_hash=source_hash, imported_by=actor if actor is not None else None)
            BudgetLine.objects.bulk_create([
                BudgetLine(budget=budget, row=line.row, kind=line.kind, code=line.code, name=line.name,
                           prior_actual=line.prior_actual, amount=line.amount, adjusted=line.adjusted, note=line.note)
                for line in parsed.lines
            ])
            income = parsed.special(LineKind.INCOME_TOTAL)
            record("finance.budget_import",
                   f"导入{org.name} {year} 年预算（第 {version} 版，{len(parsed.lines)} 行，来源「{display}」）",
                   actor=actor, org=org, obj=budget,
                   after={"年度": year, "版本": version, "行数": len(parsed.lines), "来源文件": display,
                          "本年收入合计": str(income.amount) if income and income.amount is not None else None},
                   source_hash=source_hash)
    except IntegrityError:
        raise ValueError(f"{org.name} {year} 年预算正由另一次导入写入，请稍后重试。") from None
    return budget


def import_assets(path, *, org, actor=None, display: str | None = None) -> AssetRegister:
    """Import a unit's fixed-asset register (assets.py says what is checked) as a new version.
    All or nothing; ``actor`` (None from the command line without --by) must hold IMPORT on the unit."""
    path = Path(path)
    display = display or path.name
    if actor is not None and not scope.can(actor, scope.IMPORT, org):
        raise PermissionError(f"单位编码「{org.code}」不存在或不在您导入数据的范围内。")
    parsed = parse_register(path, display)
    source_hash = file_sha256(path)
    try:
        with transaction.atomic():
            version = (AssetRegister.objects.filter(org=org).aggregate(v=Max("version"))["v"] or 0) + 1
            register = AssetRegister.objects.create(org=org, version=version, source_name=display[:255],
                                                    source_hash=source_hash, imported_by=actor)
            FixedAsset.objects.bulk_create([
                FixedAsset(register=register, row=a.row, asset_no=a.asset_no, name=a.name, category=a.category,
                           acquired_on=a.acquired_on, original_value=a.original_value, depreciation=a.depreciation,
                           department=a.department, location=a.location, status=a.status, disposed_on=a.disposed_on)
                for a in parsed
            ], batch_size=1000)
            total = sum((a.original_value for a in parsed), Decimal("0.00"))
            record("finance.assets_import",
                   f"导入{org.name}资产卡片（第 {version} 版，{len(parsed)} 张，原值合计 {money(total)} 元，来源「{display}」）",
                   actor=actor, org=org, obj=register,
                   after={"版本": version, "卡片数": len(parsed), "原值合计": str(total), "来源文件": display},
                   source_hash=source_hash)
    except IntegrityError:
        raise ValueError(f"{org.name}资产卡片正由另一次导入写入，请稍后重试。") from None
    return register


def _importable_units(actor, table) -> dict:
    """The units a multi-unit file names that ``actor`` may import for (every one for the
    command line's operator), by code."""
    units = Org.objects.filter(code__in={v["单位编码"].strip() for _, v in table.rows})
    if actor is not None:
        units = units.filter(pk__in=scope.orgs_for(actor, scope.IMPORT).values("pk"))
    return {o.code: o for o in units}


def _unit_year(display: str, row_no: int, v: dict, allowed: dict, errors: list) -> tuple:
    """A multi-unit file's row: its unit (None, with an error worded like an unknown code, outside
    the importer's scope) and its year (None, with an error, unless a year from 1990 to this year)."""
    code = v["单位编码"].strip()
    org = allowed.get(code)
    if org is None:
        errors.append(RowError(display, row_no, "单位编码", code, "单位编码不存在或不在您导入数据的范围内。"))
    text = v["会计年度"].strip().removesuffix("年度").removesuffix("年")
    year, last = (int(text) if text.isdigit() else None), timezone.localdate().year
    if year is None or not FIRST_YEAR <= year <= last:
        errors.append(RowError(display, row_no, "会计年度", v["会计年度"], f"会计年度应为 {FIRST_YEAR} 至 {last} 之间的年份。"))
        year = None
    return org, year


PAYROLL_FIELDS = [
    Field("单位编码", aliases=("单位代码", "编码")),
    Field("会计年度", aliases=("年度", "年份")),
    Field("工资总额", aliases=("工资总额（元）", "全年工资总额", "职工工资总额")),
    Field("职工人数", required=False, aliases=("人数", "在职职工人数", "职工数")),
]


@dataclass
class PayrollResult:
    created: list = field(default_factory=list)
    unchanged: int = 0

    def summary(self) -> str:
        text = f"新增或更新 {len(self.created)} 个单位年度的工资总额"
        return text + (f"，{self.unchanged} 行与已有数据相同，未重复导入。" if self.unchanged else "。")


def import_payroll(actor, path, *, display: str | None = None) -> PayrollResult:
    """Import payroll totals (单位编码, 会计年度, 工资总额, optional 职工人数) as ``actor`` (None: the
    command line's operator). All or nothing: a unit outside the actor's IMPORT scope is an error
    worded like an unknown code. A row equal to the latest version of its unit-year is skipped;
    a changed one makes a new version."""
    path = Path(path)
    display = display or path.name
    table = read_table(path, PAYROLL_FIELDS, display)
    errors: list[RowError] = []
    allowed = _importable_units(actor, table)
    parsed, seen = [], {}
    for row_no, v in table.rows:
        code = v["单位编码"].strip()
        org, year = _unit_year(display, row_no, v, allowed, errors)
        ok = org is not None and year is not None
        try:
            total = parse_amount(v["工资总额"])
            if total is None or total < 0:
                errors.append(RowError(display, row_no, "工资总额", v["工资总额"], "工资总额不能为空或负数。"))
                ok = False
        except ValueError as exc:
            errors.append(RowError(display, row_no, "工资总额", v["工资总额"], str(exc)))
            ok = False
        count_text = v.get("职工人数", "").strip().removesuffix("人")
        staff = None
        if count_text:
            staff = int(count_text) if count_text.isdigit() and int(count_text) < 10**7 else None
            if staff is None:
                errors.append(RowError(display, row_no, "职工人数", v["职工人数"], "职工人数应为不小于 0 的整数。"))
                ok = False
        if ok:
            if (code, year) in seen:
                errors.append(RowError(display, row_no, "单位编码", code, f"与第 {seen[(code, year)]} 行是同一单位同一年度。"))
                continue
            seen[(code, year)] = row_no
            parsed.append((org, year, total, staff))
    if errors:
        raise TableError(errors)
    result = PayrollResult()
    with transaction.atomic():
        entries = []
        for org, year, total, staff in parsed:
            latest = Payroll.objects.filter(org=org, fiscal_year=year).order_by("-version").first()
            if latest is not None and (latest.total, latest.staff_count) == (total, staff):
                result.unchanged += 1
                continue
            payroll = Payroll.objects.create(org=org, fiscal_year=year, version=(latest.version + 1) if latest else 1,
                                             total=total, staff_count=staff, source_name=display[:255], imported_by=actor)
            result.created.append(payroll)
            entries.append(dict(action="finance.payroll_import",
                                summary=f"导入{org.name} {year} 年工资总额 {money(total)} 元（第 {payroll.version} 版，来源「{display}」）",
                                actor=actor, org=org, obj=payroll,
                                before={"工资总额": str(latest.total), "职工人数": latest.staff_count} if latest else None,
                                after={"工资总额": str(total), "职工人数": staff}))
        record_many(entries)
    return result


@dataclass
class EnterpriseResult:
    created: list = field(default_factory=list)
    unchanged: int = 0

    def summary(self) -> str:
        text = f"新增或更新 {len(self.created)} 个企业年度的财务摘要"
        return text + (f"，{self.unchanged} 行与已有数据相同，未重复导入。" if self.unchanged else "。")


def import_enterprises(actor, path, *, display: str | None = None) -> EnterpriseResult:
    """Import union enterprises' balance-sheet summaries (enterprises.py says the columns and the
    checks) as ``actor`` (None: the command line's operator). All or nothing: a unit outside the
    actor's IMPORT scope is an error worded like an unknown code; a unit that is not an enterprise,
    a nil or negative opening equity and a repeated unit-year refuse the file. A row equal to the
    latest version of its unit-year is skipped; a changed one makes a new version."""
    path = Path(path)
    display = display or path.name
    table = read_table(path, enterprises.FIELDS, display)
    errors: list[RowError] = []
    allowed = _importable_units(actor, table)
    parsed, seen = [], {}
    for row_no, v in table.rows:
        code = v["单位编码"].strip()
        org, year = _unit_year(display, row_no, v, allowed, errors)
        ok = org is not None and year is not None
        if org is not None and (reason := enterprises.not_enterprise(org)) is not None:
            errors.append(RowError(display, row_no, "单位编码", code, reason))
            ok = False
        figures = enterprises.parse_figures(display, row_no, v, errors)
        if ok and figures is not None:
            if (code, year) in seen:
                errors.append(RowError(display, row_no, "单位编码", code, f"与第 {seen[(code, year)]} 行是同一单位同一年度。"))
                continue
            seen[(code, year)] = row_no
            parsed.append((org, year, figures))
    if errors:
        raise TableError(errors)
    result = EnterpriseResult()
    with transaction.atomic():
        entries = []
        for org, year, figures in parsed:
            latest = EnterpriseSummary.objects.filter(org=org, fiscal_year=year).order_by("-version").first()
            if latest is not None and all(getattr(latest, f) == figures[f] for f in EnterpriseSummary.FIGURES):
                result.unchanged += 1
                continue
            summary = EnterpriseSummary.objects.create(org=org, fiscal_year=year, version=(latest.version + 1) if latest else 1,
                                                       source_name=display[:255], imported_by=actor, **figures)
            result.created.append(summary)
            labels = {f: EnterpriseSummary._meta.get_field(f).verbose_name for f in EnterpriseSummary.FIGURES}
            entries.append(dict(action="finance.enterprise_import",
                                summary=f"导入{org.name} {year} 年企业财务摘要（资产保值增值率 {summary.rate}%，第 {summary.version} 版，"
                                        f"来源「{display}」）",
                                actor=actor, org=org, obj=summary,
                                before={labels[f]: None if getattr(latest, f) is None else str(getattr(latest, f))
                                        for f in EnterpriseSummary.FIGURES} if latest else None,
                                after={labels[f]: None if figures[f] is None else str(figures[f]) for f in EnterpriseSummary.FIGURES}))
        record_many(entries)
    return result


# --- key funds (重点资金) ----------------------------------------------------------------------------

MAX_FUND_WORDS = 30
MAX_WORD = 20
ACCOUNT_PREFIX = re.compile(r"^[0-9][0-9.]{0,19}$")


def check_fund_rules(*, roles: list[str], accounts: list[str], keywords: list[str]) -> None:
    """What decides a key fund's lines, validated (ValueError with a Chinese message)."""
    known = set(AccountRole.values)
    unknown = [r for r in roles if r not in known]
    if unknown:
        raise ValueError(f"未知的科目角色：{'、'.join(unknown)}。")
    bad = [a for a in accounts if not ACCOUNT_PREFIX.match(a)]
    if bad:
        raise ValueError(f"科目编码只能由数字和点组成（每个不超过 20 个字符）：{'、'.join(bad)}。")
    long = [w for w in keywords if not 1 <= len(w) <= MAX_WORD]
    if long:
        raise ValueError(f"关键词每个 1 至 {MAX_WORD} 个字：{'、'.join(long)}。")
    for label, values in (("科目角色", roles), ("科目编码", accounts), ("关键词", keywords)):
        if len(values) > MAX_FUND_WORDS:
            raise ValueError(f"{label}最多 {MAX_FUND_WORDS} 个。")
    if not (roles or accounts or keywords):
        raise ValueError("请至少指定一个用途科目角色、科目编码或摘要关键词，否则没有凭证会归入该资金。")


def save_fund(actor, *, org, name: str, description: str = "", roles=(), accounts=(), keywords=(), active: bool = True,
              fund: KeyFund | None = None) -> KeyFund:
    """Create a key fund of ``org`` (for it and the units below), or change ``fund``. ``actor``
    (None: the system) must hold CONFIGURE on the unit; built-in funds are not edited."""
    if fund is not None:
        if fund.builtin:
            raise PermissionError("内置的重点资金不能修改；可以为本单位新建一个同类资金，使用更具体的科目或关键词。")
        org = fund.org
    if org is None or (actor is not None and not scope.can(actor, scope.CONFIGURE, org)):
        raise PermissionError("您没有为该单位设置重点资金的权限。")
    name = (name or "").strip()
    if not 1 <= len(name) <= 40:
        raise ValueError("资金名称应为 1 至 40 个字。")
    roles, accounts, keywords = (list(dict.fromkeys(v.strip() for v in values if v.strip())) for values in (roles, accounts, keywords))
    check_fund_rules(roles=roles, accounts=accounts, keywords=keywords)
    values = {"name": name, "description": (description or "").strip()[:500], "roles": roles, "accounts": accounts,
              "keywords": keywords, "active": active}
    if KeyFund.objects.filter(Q(org=org) | Q(org__isnull=True), name=name).exclude(pk=fund.pk if fund else None).exists():
        raise ValueError(f"已有名为「{name}」的重点资金，请换一个名称。")
    with transaction.atomic():
        if fund is None:
            fund = KeyFund.objects.create(org=org, created_by=actor, **values)
            record("finance.fund_create", f"设置重点资金「{name}」（{org.name}及下级单位）", actor=actor, org=org, obj=fund,
                   after=_fund_values(fund))
        else:
            before = _fund_values(fund)
            for key, value in values.items():
                setattr(fund, key, value)
            fund.save()
            record("finance.fund_update", f"修改重点资金「{name}」", actor=actor, org=org, obj=fund, before=before,
                   after=_fund_values(fund))
    return fund


def _fund_values(fund: KeyFund) -> dict:
    return {"名称": fund.name, "说明": fund.description, "科目角色": fund.roles, "科目编码": fund.accounts,
            "关键词": fund.keywords, "启用": fund.active}


def tag_voucher(actor, *, fund: KeyFund, dataset, period: int, voucher_type: str, voucher_no: int, note: str = "") -> FundVoucher:
    """Tag a voucher of a unit-year with a key fund (all its income and expense lines belong to the
    fund from then on). ``actor`` (None: the system) must hold AUDIT on the unit; the fund must be
    in force for it and the voucher must exist in the dataset."""
    org = dataset.org
    if actor is not None and not scope.can(actor, scope.AUDIT, org):
        raise PermissionError("您没有为该单位标记重点资金凭证的权限。")
    if not fund.active or not KeyFund.objects.filter(pk=fund.pk).filter(
            Q(org__isnull=True) | Q(org_id__in=org.ancestor_ids())).exists():
        raise ValueError(f"重点资金「{fund.name}」不适用于{org.name}。")
    if books.voucher(dataset, period, voucher_type, voucher_no) is None:
        raise ValueError(f"{org.name} {dataset.fiscal_year} 年没有凭证 {period} 期 {voucher_type}-{voucher_no}。")
    key = {"fund": fund, "org": org, "fiscal_year": dataset.fiscal_year, "period": period, "voucher_type": voucher_type,
           "voucher_no": voucher_no}
    with transaction.atomic():
        if FundVoucher.objects.filter(**key).exists():
            raise ValueError(f"该凭证已标记为重点资金「{fund.name}」。")
        tag = FundVoucher.objects.create(**key, note=(note or "").strip()[:200], tagged_by=actor)
        record("finance.fund_tag", f"将{org.name} {dataset.fiscal_year} 年凭证 {period} 期 {voucher_type}-{voucher_no} 标记为重点资金「{fund.name}」",
               actor=actor, org=org, obj=tag, after={"资金": fund.name, "说明": tag.note})
    return tag


def untag_voucher(actor, tag: FundVoucher) -> None:
    if actor is not None and not scope.can(actor, scope.AUDIT, tag.org):
        raise PermissionError("您没有为该单位标记重点资金凭证的权限。")
    with transaction.atomic():
        record("finance.fund_untag", f"取消{tag.org.name}凭证 {tag.period} 期 {tag.voucher_type}-{tag.voucher_no} 的重点资金「{tag.fund.name}」标记",
               actor=actor, org=tag.org, obj=tag, before={"资金": tag.fund.name, "说明": tag.note})
        tag.delete()


def set_fixed_fund_check(actor, org: Org, enabled: bool) -> ReconcileSetting:
    """Switch 资产对账's fixed-asset against fixed-fund check on or off for ``org`` (reconcile.py);
    ``actor`` must hold CONFIGURE on the unit. Logged when it changes."""
    if not scope.can(actor, scope.CONFIGURE, org):
        raise PermissionError("只有本单位的系统管理员或经审负责人可以设置该单位的资产对账。")
    with transaction.atomic():
        setting = ReconcileSetting.objects.select_for_update().filter(org=org).first()
        before = setting.fixed_fund_check if setting else True
        if setting is not None and before == enabled:
            return setting
        setting = setting or ReconcileSetting(org=org)
        setting.fixed_fund_check, setting.set_by = enabled, actor
        setting.save()
        record("finance.fixed_fund_check",
               f"{'开启' if enabled else '关闭'}{org.name}资产对账的“固定资产与固定基金”核对",
               actor=actor, org=org, obj=setting, before={"fixed_fund_check": before}, after={"fixed_fund_check": enabled})
    return setting
