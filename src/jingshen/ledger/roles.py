"""Account roles: what an account *is*, so that rules refer to roles, never to codes.

The same rule then runs on the 2010 union chart, a later revision, or a unit's own chart
once its accounts are mapped. A detail account without a role of its own inherits the role
of the nearest ancestor that has one, unless its own name says what it is more precisely
than a group role does (``resolve_role``): 50302 会议费 under 503 业务支出 is a meeting account,
not a business-spending one. Precedence as a whole: docs/architecture.md, "Account roles".
"""

from django.db import models


class AccountRole(models.TextChoices):
    CASH = "cash", "库存现金"
    BANK = "bank", "银行存款"
    FISCAL_QUOTA = "fiscal-quota", "零余额账户用款额度/财政应返还额度"
    LOAN_OUT = "loan-out", "借出款"
    RECEIVABLE_UPPER = "receivable-upper", "应收上级经费"
    RECEIVABLE_LOWER = "receivable-lower", "应收下级经费"
    OTHER_RECEIVABLE = "other-receivable", "其他应收款"
    INVENTORY = "inventory", "库存物品"
    INVESTMENT = "investment", "投资"
    CONSTRUCTION = "construction", "在建工程"
    FIXED_ASSET = "fixed-asset", "固定资产"
    PAYABLE_PERSONAL = "payable-personal", "应付个人款项"
    BORROWING = "borrowing", "借入款"
    PAYABLE_UPPER = "payable-upper", "应付上级经费"
    PAYABLE_LOWER = "payable-lower", "应付下级经费"
    OTHER_PAYABLE = "other-payable", "其他应付款"
    CUSTODIAL = "custodial", "代管经费"
    FIXED_FUND = "fixed-fund", "固定基金"
    CONSTRUCTION_FUND = "construction-fund", "在建工程占用资金"
    INVESTMENT_FUND = "investment-fund", "投资基金"
    SPECIAL_FUND = "special-fund", "专用基金"
    RESERVE = "reserve", "后备金"
    SURPLUS = "surplus", "结余"
    INCOME_DUES = "income-dues", "会费收入"
    INCOME_REMITTANCE = "income-remittance", "拨缴经费收入"
    INCOME_UPPER_SUBSIDY = "income-upper-subsidy", "上级补助收入"
    INCOME_WARMTH_SUBSIDY = "income-warmth-subsidy", "送温暖补助收入"
    INCOME_GOVERNMENT = "income-government", "政府补助收入"
    INCOME_ADMIN_SUBSIDY = "income-admin-subsidy", "行政补助收入"
    INCOME_BUSINESS = "income-business", "事业收入"
    INCOME_INVESTMENT = "income-investment", "投资收益"
    INCOME_OTHER = "income-other", "其他收入"
    EXPENSE_STAFF_ACTIVITY = "expense-staff-activity", "职工活动支出"
    EXPENSE_EDUCATION = "expense-education", "职工教育费"
    EXPENSE_CULTURE_SPORTS = "expense-culture-sports", "文体活动费"
    EXPENSE_RIGHTS = "expense-rights", "维权支出"
    EXPENSE_LABOUR_PROTECTION = "expense-labour-protection", "劳动保护费"
    EXPENSE_HARDSHIP = "expense-hardship", "困难职工帮扶费"
    EXPENSE_WARMTH = "expense-warmth", "送温暖费"
    EXPENSE_BUSINESS = "expense-business", "业务支出"
    EXPENSE_TRAINING = "expense-training", "培训费"
    EXPENSE_MEETING = "expense-meeting", "会议费"
    EXPENSE_FOREIGN = "expense-foreign", "外事费"
    EXPENSE_ADMIN = "expense-admin", "行政支出"
    EXPENSE_STAFF_PAY = "expense-staff-pay", "工资福利支出"
    EXPENSE_CAPITAL = "expense-capital", "资本性支出"
    EXPENSE_SUBSIDY_TO_LOWER = "expense-subsidy-to-lower", "补助下级支出"
    EXPENSE_INSTITUTION = "expense-institution", "事业支出"
    EXPENSE_OTHER = "expense-other", "其他支出"


class Category(models.TextChoices):
    ASSET = "asset", "资产"
    LIABILITY = "liability", "负债"
    NET_ASSET = "net-asset", "净资产"
    INCOME = "income", "收入"
    EXPENSE = "expense", "支出"


CATEGORY_WORDS = {label: value for value, label in Category.choices} | {"资产类": Category.ASSET, "负债类": Category.LIABILITY,
    "净资产类": Category.NET_ASSET, "收入类": Category.INCOME, "支出类": Category.EXPENSE, "费用": Category.EXPENSE}

# Words in an account name that suggest its role, most specific first. Used to suggest a
# role on import; the auditor confirms it on the page.
NAME_HINTS: list[tuple[str, AccountRole]] = [
    ("现金", AccountRole.CASH),
    ("银行存款", AccountRole.BANK),
    ("零余额", AccountRole.FISCAL_QUOTA),
    ("财政应返还", AccountRole.FISCAL_QUOTA),
    ("其他应收", AccountRole.OTHER_RECEIVABLE),
    ("应收上级", AccountRole.RECEIVABLE_UPPER),
    ("应收下级", AccountRole.RECEIVABLE_LOWER),
    ("借出", AccountRole.LOAN_OUT),
    ("库存物品", AccountRole.INVENTORY),
    ("在建工程占用", AccountRole.CONSTRUCTION_FUND),
    ("在建工程", AccountRole.CONSTRUCTION),
    ("投资基金", AccountRole.INVESTMENT_FUND),
    ("投资收益", AccountRole.INCOME_INVESTMENT),
    ("投资", AccountRole.INVESTMENT),
    ("固定基金", AccountRole.FIXED_FUND),
    ("固定资产", AccountRole.FIXED_ASSET),
    ("其他应付", AccountRole.OTHER_PAYABLE),
    ("应付上级", AccountRole.PAYABLE_UPPER),
    ("应付下级", AccountRole.PAYABLE_LOWER),
    ("应付工资", AccountRole.PAYABLE_PERSONAL),
    ("应付", AccountRole.PAYABLE_PERSONAL),
    ("借入", AccountRole.BORROWING),
    ("代管", AccountRole.CUSTODIAL),
    ("专用基金", AccountRole.SPECIAL_FUND),
    ("后备金", AccountRole.RESERVE),
    ("结余", AccountRole.SURPLUS),
    ("会费", AccountRole.INCOME_DUES),
    ("拨缴", AccountRole.INCOME_REMITTANCE),
    ("送温暖补助", AccountRole.INCOME_WARMTH_SUBSIDY),
    ("上级补助", AccountRole.INCOME_UPPER_SUBSIDY),
    ("政府补助", AccountRole.INCOME_GOVERNMENT),
    ("行政补助", AccountRole.INCOME_ADMIN_SUBSIDY),
    ("事业收入", AccountRole.INCOME_BUSINESS),
    ("其他收入", AccountRole.INCOME_OTHER),
    ("职工教育", AccountRole.EXPENSE_EDUCATION),
    ("文体", AccountRole.EXPENSE_CULTURE_SPORTS),
    ("职工活动", AccountRole.EXPENSE_STAFF_ACTIVITY),
    ("劳动保护", AccountRole.EXPENSE_LABOUR_PROTECTION),
    ("帮扶", AccountRole.EXPENSE_HARDSHIP),
    ("送温暖", AccountRole.EXPENSE_WARMTH),
    ("维权", AccountRole.EXPENSE_RIGHTS),
    ("培训", AccountRole.EXPENSE_TRAINING),
    ("会议", AccountRole.EXPENSE_MEETING),
    ("会务", AccountRole.EXPENSE_MEETING),
    ("外事", AccountRole.EXPENSE_FOREIGN),
    ("业务支出", AccountRole.EXPENSE_BUSINESS),
    ("工资福利", AccountRole.EXPENSE_STAFF_PAY),
    ("行政支出", AccountRole.EXPENSE_ADMIN),
    ("资本性", AccountRole.EXPENSE_CAPITAL),
    ("补助下级", AccountRole.EXPENSE_SUBSIDY_TO_LOWER),
    ("事业支出", AccountRole.EXPENSE_INSTITUTION),
    ("其他支出", AccountRole.EXPENSE_OTHER),
]


# Roles that group other roles in the chart (业务支出 holds 培训费, 会议费 and 外事费; 职工活动支出
# holds 职工教育费 and 文体活动费 …). A detail account under one of them inherits it only when its
# own name suggests nothing more specific: no rule tests these roles, they only say "an expense
# of this group", so a specific role read from the leaf's name is the better guess.
GENERIC_ROLES = frozenset({
    AccountRole.EXPENSE_STAFF_ACTIVITY, AccountRole.EXPENSE_RIGHTS, AccountRole.EXPENSE_BUSINESS,
    AccountRole.EXPENSE_ADMIN, AccountRole.EXPENSE_CAPITAL, AccountRole.EXPENSE_INSTITUTION,
    AccountRole.EXPENSE_OTHER, AccountRole.INCOME_UPPER_SUBSIDY, AccountRole.INCOME_OTHER,
})


def resolve_role(name: str, category: str | None, inherited: str) -> tuple[str, str]:
    """The role of an account that has none of its own (none given in the file, none confirmed),
    with how it was found: ("role", "named") when its name suggests a role and the parent's is
    absent or generic while the suggestion is specific; ("role", "inherited") for the parent's
    role otherwise; ("", "") for none. A specific parent role (50302 会议费 → 5030201 会务费
    and 住宿) is inherited whatever the child's name says."""
    named = suggest_role(name, category)
    if named and (not inherited or (inherited in GENERIC_ROLES and named not in GENERIC_ROLES)):
        return named, "named"
    if inherited:
        return inherited, "inherited"
    return "", ""


def suggest_role(name: str, category: str | None) -> str:
    """A role suggested from the account name (and category), or '' when nothing fits."""
    for word, role in NAME_HINTS:
        if word in name:
            if category and _category_of(role) not in (None, category):
                continue
            return role
    return ""


def _category_of(role: str) -> str | None:
    if role.startswith("income-"):
        return Category.INCOME
    if role.startswith("expense-"):
        return Category.EXPENSE
    return None
