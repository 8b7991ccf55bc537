"""Fixed assets: the register (资产卡片) against the ledger for one unit-year.

- The year-end balance of the fixed-asset accounts (role ``fixed-asset``; 查账's 科目余额表, so
  the year opening comes from a 科目余额 dataset where one was imported) against the register's
  value at year end (cards acquired by 31 December and not disposed of by then, at 原值).
- The year's capital spending (role ``expense-capital``, without the year-end closing) and the
  year's debits to the fixed-asset accounts against the cards acquired in the year.
- The fixed-asset and the fixed-fund (固定基金, role ``fixed-fund``) balances against each other:
  under the 2010 union system each purchase is booked twice, so they move together [unverified:
  domain README §1]. A unit whose chart does not work this way has the check switched off
  (``ReconcileSetting.fixed_fund_check``, set by services.set_fixed_fund_check): the line is
  left out and the page says who switched it off and when.
- Item by item, matched by amount: debits to the fixed-asset accounts with no new card of that
  原值 (bought, not registered), new cards with no such debit (registered, not paid — or paid
  through another account), credits to the fixed-asset accounts with no card disposed of in the
  year at that 原值 (disposed of without a record), and cards disposed of in the year with no
  such credit.
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from jingshen.finance.execution import chart_ancestors, voucher_dataset
from jingshen.finance.models import AssetRegister, AssetStatus, FixedAsset, ReconcileSetting
from jingshen.ledger import books
from jingshen.ledger.charts import effective_accounts
from jingshen.ledger.models import Dataset
from jingshen.ledger.roles import AccountRole

ZERO = Decimal("0.00")


@dataclass
class Comparison:
    left_label: str
    left: Decimal
    right_label: str
    right: Decimal
    note: str = ""

    @property
    def difference(self) -> Decimal:
        return self.left - self.right

    @property
    def matches(self) -> bool:
        return self.left == self.right


@dataclass
class AssetReconciliation:
    org: object
    year: int
    register: AssetRegister | None
    dataset: Dataset | None
    has_opening: bool = False
    comparisons: list[Comparison] = field(default_factory=list)
    unregistered: list[books.JournalLine] = field(default_factory=list)  # bought, no card
    unpaid: list[FixedAsset] = field(default_factory=list)  # new card, no debit
    unrecorded_disposals: list[books.JournalLine] = field(default_factory=list)  # credit, no disposed card
    disposals_not_booked: list[FixedAsset] = field(default_factory=list)  # disposed card, no credit
    undated_disposals: list[FixedAsset] = field(default_factory=list)
    setting: ReconcileSetting | None = None  # the unit's switches; None: all checks on

    @property
    def fixed_fund_check(self) -> bool:
        return self.setting is None or self.setting.fixed_fund_check


def latest_register(org) -> AssetRegister | None:
    return AssetRegister.objects.filter(org=org).order_by("-version").first()


def fixed_fund_setting(org) -> ReconcileSetting | None:
    return ReconcileSetting.objects.filter(org=org).select_related("set_by").first()


def _codes(accounts: dict[str, dict], role: str) -> list[str]:
    """First-level accounts of a role (their children roll up into them)."""
    coded = {c for c, a in accounts.items() if a.get("role") == role}
    return sorted(c for c in coded if (accounts[c].get("parent_code") or "") not in coded)


def _unmatched(amounts: list, key, others: Counter) -> list:
    """The items whose amount finds no partner left in ``others`` (a multiset, consumed)."""
    out = []
    for item in amounts:
        value = key(item)
        if others[value] > 0:
            others[value] -= 1
        else:
            out.append(item)
    return out


def reconcile_assets(org, year: int) -> AssetReconciliation:
    register = latest_register(org)
    dataset = voucher_dataset(org, year)
    result = AssetReconciliation(org, year, register, dataset, setting=fixed_fund_setting(org))
    if register is None or dataset is None:
        return result
    end = datetime.date(year, 12, 31)
    start = datetime.date(year, 1, 1)
    cards = list(register.assets.all())
    result.undated_disposals = [a for a in cards if a.status == AssetStatus.DISPOSED and a.disposed_on is None]
    held = [a for a in cards if a.acquired_on <= end and not (a.status == AssetStatus.DISPOSED and (a.disposed_on is None
                                                                                                   or a.disposed_on <= end))]
    new = [a for a in cards if start <= a.acquired_on <= end]
    disposed = [a for a in cards if a.disposed_on is not None and start <= a.disposed_on <= end]

    accounts = effective_accounts(org)
    asset_codes = _codes(accounts, AccountRole.FIXED_ASSET)
    fund_codes = _codes(accounts, AccountRole.FIXED_FUND)
    capital_codes = _codes(accounts, AccountRole.EXPENSE_CAPITAL)
    sheet = books.balances(dataset)
    result.has_opening = sheet.opening_source is not None
    closing = {row.code: row.closing for row in sheet.rows}
    asset_balance = sum((closing.get(c, ZERO) for c in asset_codes), ZERO)
    fund_balance = sum((closing.get(c, ZERO) for c in fund_codes), ZERO)
    surplus = [c for c, a in accounts.items() if a.get("role") == AccountRole.SURPLUS]
    movements, _ = books.movements_outside(dataset, surplus)
    capital = ZERO
    for code, (debit, credit) in movements.items():
        if set(chart_ancestors(code, accounts)) & set(capital_codes):
            capital += debit - credit
    lines = []
    for code in asset_codes:
        _, rows = books.journal_export_rows(dataset, books.JournalFilter(account=code))
        lines.extend(rows)
    debits = [line for line in lines if line.debit > 0]
    credits = [line for line in lines if line.credit > 0]

    opening_note = "" if result.has_opening else "未导入本年科目余额（年初数），账面余额只含本年发生额"
    new_value = sum((a.original_value for a in new), ZERO)
    result.comparisons = [
        Comparison("固定资产科目年末余额", asset_balance, "卡片年末原值合计", sum((a.original_value for a in held), ZERO),
                   opening_note),
        Comparison("本年资本性支出", capital, "本年新增卡片原值", new_value),
        Comparison("本年固定资产科目借方发生额", sum((line.debit for line in debits), ZERO), "本年新增卡片原值", new_value),
    ]
    if result.fixed_fund_check:
        result.comparisons.append(
            Comparison("固定资产科目年末余额", asset_balance, "固定基金科目年末余额", fund_balance,
                       "购置固定资产时同时记固定基金，两者应相等" if fund_codes else "科目表中没有固定基金科目"))
    result.unregistered = _unmatched(debits, lambda line: line.debit, Counter(a.original_value for a in new))
    result.unpaid = _unmatched(new, lambda a: a.original_value, Counter(line.debit for line in debits))
    result.unrecorded_disposals = _unmatched(credits, lambda line: line.credit, Counter(a.original_value for a in disposed))
    result.disposals_not_booked = _unmatched(disposed, lambda a: a.original_value, Counter(line.credit for line in credits))
    return result
