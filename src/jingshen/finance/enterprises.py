"""工会企业: the balance-sheet summary that union enterprises keep in enterprise books, and the
indicator read from it, 资产保值增值率 (the rate at which the enterprise preserved and increased
its owner's equity over the year).

The rate, as the state's rules for enterprise performance define 资本保值增值率 (国有资本保值增值
结果确认 and the 企业绩效评价 standard values):

    资产保值增值率 = 扣除客观因素影响后的年末所有者权益 ÷ 年初所有者权益 × 100 %
                   = (年末所有者权益 − 客观因素影响额) ÷ 年初所有者权益 × 100 %

客观因素影响额 is the net change of equity that the enterprise did not earn: capital put in by the
owner (the union) or others, assets transferred in free of charge, revaluation ordered by the
owner, less capital withdrawn or transferred out by the owner's decision. The file gives it as one
signed amount (increases positive); where it is left empty the rate is the plain ratio of closing to
opening equity. Below 100 % the enterprise lost equity in the year (a threshold the page lets the
user set). With nil or negative opening equity the ratio has no meaning (a division by nil, or a
negative base that turns a loss into a "rate" above 100 %), so such rows are refused.

A file holds several enterprises and years: 单位编码, 会计年度, 所有者权益年初数, 所有者权益年末数,
净利润, and optionally 客观因素影响额, 国有资本年初数/年末数, 工会资本年初数/年末数. It is refused
whole (TableError naming file, row and column) on a unit outside the importer's scope, a unit that
is not an enterprise (单位性质 企业), a bad year or amount, a nil or negative opening equity, or the
same unit-year twice (``services.import_enterprises``).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef

from jingshen.finance.budgets import parse_amount
from jingshen.finance.models import EnterpriseSummary
from jingshen.orgs.models import Kind
from jingshen.tabular import Field, RowError

DEFAULT_THRESHOLD = Decimal("100")

FIELDS = [
    Field("单位编码", aliases=("单位代码", "编码", "企业编码")),
    Field("会计年度", aliases=("年度", "年份")),
    Field("所有者权益年初数", aliases=("年初所有者权益", "所有者权益（年初）", "期初所有者权益", "所有者权益期初数")),
    Field("所有者权益年末数", aliases=("年末所有者权益", "所有者权益（年末）", "期末所有者权益", "所有者权益期末数")),
    Field("净利润", aliases=("本年净利润", "净利润（元）")),
    Field("客观因素影响额", required=False, aliases=("客观因素", "客观因素影响", "客观增减因素")),
    Field("国有资本年初数", required=False, aliases=("年初国有资本", "期初国有资本")),
    Field("国有资本年末数", required=False, aliases=("年末国有资本", "期末国有资本")),
    Field("工会资本年初数", required=False, aliases=("年初工会资本", "期初工会资本")),
    Field("工会资本年末数", required=False, aliases=("年末工会资本", "期末工会资本")),
]
# model field -> column, in file order
COLUMNS = {
    "equity_opening": "所有者权益年初数",
    "equity_closing": "所有者权益年末数",
    "net_profit": "净利润",
    "objective_factors": "客观因素影响额",
    "state_capital_opening": "国有资本年初数",
    "state_capital_closing": "国有资本年末数",
    "union_capital_opening": "工会资本年初数",
    "union_capital_closing": "工会资本年末数",
}
REQUIRED = ("equity_opening", "equity_closing", "net_profit")


@dataclass
class ParsedSummary:
    row: int
    org: object
    year: int
    figures: dict


def parse_figures(display: str, row_no: int, values: dict, errors: list[RowError]) -> dict | None:
    """The amounts of one row (None where any is wrong: the problems are added to ``errors``)."""
    figures, ok = {}, True
    for attr, column in COLUMNS.items():
        text = values.get(column, "")
        try:
            amount = parse_amount(text)
        except ValueError as exc:
            errors.append(RowError(display, row_no, column, text, str(exc)))
            ok = False
            continue
        if amount is None and attr in REQUIRED:
            errors.append(RowError(display, row_no, column, text, f"{column}不能为空。"))
            ok = False
        figures[attr] = amount
    if ok and figures["equity_opening"] <= 0:
        errors.append(RowError(display, row_no, "所有者权益年初数", values.get("所有者权益年初数", ""),
                               "年初所有者权益为零或负数（资不抵债）时，资产保值增值率（年末 ÷ 年初）没有意义："
                               "除数为零，或负的基数会把亏损算成高于 100% 的比率。请核对数据；确属资不抵债的企业不在此导入，"
                               "应直接作为审计关注事项。"))
        ok = False
    return figures if ok else None


def not_enterprise(org) -> str | None:
    if org.kind != Kind.ENTERPRISE:
        return f"「{org.name}」的单位性质为“{org.get_kind_display()}”，不是工会企业（单位性质“企业”），不能导入企业财务摘要。"
    return None


def latest(queryset):
    """The latest version of each unit-year of ``queryset``."""
    newer = EnterpriseSummary.objects.filter(org=OuterRef("org"), fiscal_year=OuterRef("fiscal_year"),
                                             version__gt=OuterRef("version"))
    return queryset.exclude(Exists(newer))


SORTS = [("rate", "保值增值率从低到高"), ("-rate", "保值增值率从高到低"), ("org_code", "单位编码"),
         ("-equity_closing", "年末所有者权益从大到小"), ("-net_profit", "净利润从大到小"), ("net_profit", "净利润从小到大")]


def sort_key(sort: str):
    name = sort.lstrip("-")
    if name == "org_code":
        return lambda s: s.org.code
    if name == "rate":
        return lambda s: (s.rate, s.org.code)
    return lambda s: (getattr(s, name), s.org.code)


def indicators(queryset, sort: str = "rate") -> list[EnterpriseSummary]:
    """The latest summary of each enterprise-year of ``queryset``, sorted (the rate is computed in
    Python from the stored figures: one row per enterprise and year)."""
    rows = list(latest(queryset).select_related("org", "imported_by"))
    return sorted(rows, key=sort_key(sort), reverse=sort.startswith("-"))


def rate_text(value: Decimal) -> str:
    return f"{value:,.2f}%"

