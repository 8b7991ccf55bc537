"""上下级对账: what an upper unit booked as given to each unit below it, against what that unit
booked as received from above, for one year.

Two pairs of account roles are compared:

- subsidies: the upper unit's ``expense-subsidy-to-lower`` debits (补助下级支出) against the lower
  unit's ``income-upper-subsidy`` and ``income-warmth-subsidy`` credits (上级补助收入);
- dues between levels: the upper unit's ``payable-lower`` credits (应付下级经费: owed to the unit)
  against the lower unit's ``receivable-upper`` debits (应收上级经费: to be received from above).

Sides are read on their own side only (debits of an expense, credits of an income …), so the
year-end closing, which posts the other side, does not cancel the year. Amounts come from the
per-account totals the store keeps (``summary``) for the receiving side; the giving side needs each
line's 往来单位 to know the counterpart, read from its lines.

The counterpart on the giving side: the 往来单位 text matched to the units below the upper unit —
equal (after normalising full-width characters and spaces) to a unit's code, name or one of its
aliases (别名, kept per unit in ``orgs.OrgAlias``), or the one unit whose name ends with it (at
least 4 characters: "西湖区总工会" finds "杭州市西湖区总工会"). A text that matches no unit is listed with its amount; one that matches several is listed as
ambiguous, never guessed. Lines with no 往来单位 are listed too. The units directly below are
compared in full; a unit further down only where the upper unit's lines name it (its subsidy
income otherwise comes from its own parent, and so does most of it even then: its received side is
all of its upper-subsidy income).

The kind (专项, 送温暖, 帮扶, 救灾 …): on the receiving side the name of the detail account
(上级补助收入 / 专项补助); on the giving side the detail account's name where the chart has one
below 补助下级支出, else the first kind word of the 摘要.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from jingshen.ledger import books
from jingshen.ledger.charts import effective_accounts, effective_charts
from jingshen.ledger.models import Dataset
from jingshen.ledger.roles import AccountRole
from jingshen.orgs import scope
from jingshen.orgs.models import Org, OrgAlias, name_key
from jingshen.screening.services import latest_voucher_datasets

ZERO = Decimal("0.00")
KIND_WORDS = ("专项", "送温暖", "帮扶", "救灾", "回拨", "超收", "困难职工", "慰问")
MIN_SUFFIX = 4
GIVE_SUBSIDY = (AccountRole.EXPENSE_SUBSIDY_TO_LOWER,)
GET_SUBSIDY = (AccountRole.INCOME_UPPER_SUBSIDY, AccountRole.INCOME_WARMTH_SUBSIDY)
GIVE_DUES = (AccountRole.PAYABLE_LOWER,)
GET_DUES = (AccountRole.RECEIVABLE_UPPER,)


def normalise(text: str) -> str:
    return name_key(text)


@dataclass
class Pair:
    """One lower unit: given (by the upper unit) against received (in its own books)."""

    org: Org
    given: Decimal = ZERO
    received: Decimal | None = None  # None: no voucher data of the lower unit for the year
    given_by_kind: dict[str, Decimal] = field(default_factory=dict)
    received_by_kind: dict[str, Decimal] = field(default_factory=dict)
    dues_given: Decimal = ZERO
    dues_received: Decimal | None = None
    dataset: Dataset | None = None
    texts: set[str] = field(default_factory=set)  # the 往来单位 texts of the upper unit's lines that named it
    get_code: str = ""  # the lower unit's (first) subsidy income account, for the link to its lines
    upper_known: bool = True  # False: the upper unit has no voucher data for the year, nothing to compare

    @property
    def counterparty(self) -> str:
        return min(self.texts, key=len) if self.texts else self.org.name

    @property
    def difference(self) -> Decimal | None:
        return None if self.received is None or not self.upper_known else self.given - self.received

    @property
    def dues_difference(self) -> Decimal | None:
        return None if self.dues_received is None or not self.upper_known else self.dues_given - self.dues_received

    @property
    def matches(self) -> bool:
        return self.difference == 0 and self.dues_difference in (0, None)

    def kinds(self) -> list[tuple[str, Decimal | None, Decimal]]:
        """(kind, given, received) per kind; given is None when the upper unit has no voucher data
        for the year (unknown, not zero)."""
        names = sorted(set(self.given_by_kind) | set(self.received_by_kind))
        return [(k, self.given_by_kind.get(k, ZERO) if self.upper_known else None, self.received_by_kind.get(k, ZERO))
                for k in names]


@dataclass
class Unmatched:
    text: str
    amount: Decimal
    lines: int
    candidates: list[Org] = field(default_factory=list)  # two or more: ambiguous


@dataclass
class CrossLevel:
    upper: Org
    year: int
    dataset: Dataset | None
    pairs: list[Pair] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)  # 往来单位 naming no unit below
    ambiguous: list[Unmatched] = field(default_factory=list)
    blank: Unmatched | None = None  # lines with no 往来单位
    give_code: str = ""  # the upper unit's (first) subsidy-to-lower account, for links to its lines

    @property
    def differing(self) -> list[Pair]:
        return [p for p in self.pairs if p.upper_known and p.received is not None and not p.matches]


class Matcher:
    """往来单位 text → the unit(s) below the upper unit it names (module docstring): exactly a
    unit's code, name or one of its aliases (``OrgAlias``, read in one query), else the units whose
    name ends with it. An alias two units share finds both: ambiguous."""

    def __init__(self, units: list[Org]):
        keys: dict[int, set[str]] = {o.pk: {normalise(o.code), normalise(o.name)} for o in units}
        for org_id, alias in OrgAlias.objects.filter(org__in=[o.pk for o in units]).values_list("org_id", "name"):
            keys[org_id].add(normalise(alias))
        self.exact: dict[str, list[Org]] = defaultdict(list)
        for org in units:
            for key in keys[org.pk]:
                self.exact[key].append(org)
        self.names = [(normalise(o.name), o) for o in units]

    def find(self, text: str) -> list[Org]:
        key = normalise(text)
        if not key:
            return []
        if key in self.exact:
            return self.exact[key]
        if len(key) < MIN_SUFFIX:
            return []
        return [o for name, o in self.names if name.endswith(key)]


def _role_codes(accounts: dict[str, dict], roles) -> list[str]:
    return sorted(c for c, a in accounts.items() if a.get("role") in roles)


def _kind_word(text: str) -> str | None:
    return next((w for w in KIND_WORDS if w in (text or "")), None)


def _detail_kind(code: str, accounts: dict[str, dict], tops: set[str]) -> str | None:
    """The kind a detail account below a top account of the role stands for (its kind word, else its
    name); None on the top account itself."""
    if code in tops or code not in accounts:
        return None
    name = accounts[code]["name"]
    return _kind_word(name) or name


def cross_level(user, upper: Org, year: int) -> CrossLevel:
    """The reconciliation of ``upper`` with the units below it that ``user`` may see."""
    visible = scope.orgs_for(user, scope.VIEW)
    datasets = {d.org_id: d for d in latest_voucher_datasets(year, org=upper)}
    result = CrossLevel(upper, year, datasets.get(upper.pk))
    below = list(visible.filter(path__startswith=upper.path).exclude(pk=upper.pk).order_by("path"))
    pairs = {o.pk: Pair(o, dataset=datasets.get(o.pk), upper_known=result.dataset is not None) for o in below}
    matcher = Matcher(below)

    if result.dataset is not None:
        accounts = effective_accounts(upper)
        give = _role_codes(accounts, GIVE_SUBSIDY)
        dues = _role_codes(accounts, GIVE_DUES)
        tops = {c for c in give if (accounts[c].get("parent_code") or "") not in give}
        result.give_code = min(tops) if tops else ""
        codes = give + dues
        if codes:
            rows = books.counterparty_totals(result.dataset, codes)
            unmatched: dict[str, Unmatched] = {}
            for counterparty, code, summary, debit, credit, n in rows:
                is_dues = code in dues
                amount = (credit - debit) if is_dues else (debit if debit > 0 else ZERO)
                if not amount:
                    continue
                found = matcher.find(counterparty)
                if len(found) == 1 and found[0].pk in pairs:
                    pair = pairs[found[0].pk]
                    pair.texts.add(counterparty)
                    if is_dues:
                        pair.dues_given += amount
                    else:
                        pair.given += amount
                        kind = _detail_kind(code, accounts, tops) or _kind_word(summary) or "未注明"
                        pair.given_by_kind[kind] = pair.given_by_kind.get(kind, ZERO) + amount
                    continue
                key = normalise(counterparty)
                entry = unmatched.setdefault(key, Unmatched(counterparty or "", ZERO, 0, found))
                entry.amount += amount
                entry.lines += n
            for key, entry in sorted(unmatched.items()):
                if not key:
                    result.blank = entry
                elif len(entry.candidates) > 1:
                    result.ambiguous.append(entry)
                else:
                    result.unmatched.append(entry)

    # a unit's subsidy income comes from its own parent: the units directly below are compared in
    # full, a unit further down only where the upper unit's lines name it
    pairs = {pk: p for pk, p in pairs.items() if p.org.parent_id == upper.pk or p.given or p.dues_given}
    _received(pairs)
    result.pairs = [p for p in pairs.values() if p.given or p.dues_given or p.received or p.dues_received]
    return result


def _received(pairs: dict[int, Pair]) -> None:
    """Each lower unit's subsidy income (credits) and dues receivable from above (debits − credits),
    from the per-account totals of its dataset."""
    with_data = [p for p in pairs.values() if p.dataset is not None]
    charts = effective_charts([p.org for p in with_data])  # three queries for all of them
    for pair in with_data:
        accounts = charts[pair.org.code]
        get = _role_codes(accounts, GET_SUBSIDY)
        dues = _role_codes(accounts, GET_DUES)
        tops = {c for c in get if (accounts[c].get("parent_code") or "") not in get}
        pair.get_code = min(tops) if tops else ""
        pair.received, pair.dues_received = ZERO, ZERO
        if not get and not dues:
            continue
        totals = books.account_totals(pair.dataset, get + dues)
        for code, (debit, credit) in totals.items():
            if code in dues:
                pair.dues_received += debit - credit
            elif credit:
                pair.received += credit
                kind = _detail_kind(code, accounts, tops) or "未注明"
                pair.received_by_kind[kind] = pair.received_by_kind.get(kind, ZERO) + credit
