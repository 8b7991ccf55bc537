"""Who reads and writes 穿透式监督's data, on the actions of orgs/scope.py: a unit's budgets and
asset registers are imported by those who import its accounting data (``scope.IMPORT``) and read by those who see
its books (``scope.VIEW``). Key funds (重点资金) are defined by those who configure a unit
(``scope.CONFIGURE``) for it and the units below; vouchers are tagged with a fund by those who
audit the unit (``scope.AUDIT``)."""

from django.db.models import Q, QuerySet
from django.http import Http404

from jingshen.finance.models import AssetRegister, Budget, EnterpriseSummary, FundVoucher, KeyFund, Payroll
from jingshen.orgs import scope


def budgets_for(user, action: str = scope.VIEW):
    return Budget.objects.restrict(user, action)


def get_budget_for_user(user, budget_id: int, action: str = scope.VIEW) -> Budget:
    budget = budgets_for(user, action).select_related("org").filter(pk=budget_id).first()
    if budget is None:
        raise Http404("预算不存在或不在您的权限范围内。")
    return budget


def registers_for(user, action: str = scope.VIEW):
    return AssetRegister.objects.restrict(user, action)


def get_register_for_user(user, register_id: int, action: str = scope.VIEW) -> AssetRegister:
    register = registers_for(user, action).select_related("org").filter(pk=register_id).first()
    if register is None:
        raise Http404("资产卡片不存在或不在您的权限范围内。")
    return register


def payrolls_for(user, action: str = scope.VIEW):
    return Payroll.objects.restrict(user, action)


def enterprise_summaries_for(user, action: str = scope.VIEW):
    return EnterpriseSummary.objects.restrict(user, action)


def funds_applying_to(org) -> QuerySet[KeyFund]:
    """The key funds in force for a unit: the built-in ones and those defined by it or a unit above."""
    return KeyFund.objects.filter(Q(org__isnull=True) | Q(org_id__in=org.ancestor_ids()))


def funds_for(user, action: str = scope.VIEW):
    """Key funds a user reads (VIEW: built-in, those of the units above their own and of the units
    they see) or edits (CONFIGURE: those of the units they configure; built-in funds never)."""
    if action == scope.VIEW:
        mine = Q(org_id__in=user.org.ancestor_ids()) if getattr(user, "org_id", None) else Q(pk__in=[])
        return KeyFund.objects.filter(Q(org__isnull=True) | mine | Q(org__in=scope.orgs_for(user, scope.VIEW)))
    return KeyFund.objects.filter(org__in=scope.orgs_for(user, action))


def get_fund_for_user(user, fund_id: int, action: str = scope.VIEW) -> KeyFund:
    fund = funds_for(user, action).select_related("org").filter(pk=fund_id).first()
    if fund is None:
        raise Http404("重点资金不存在或不在您的权限范围内。")
    return fund


def fund_vouchers_for(user, action: str = scope.VIEW):
    return FundVoucher.objects.restrict(user, action)


def get_fund_voucher_for_user(user, tag_id: int, action: str = scope.AUDIT) -> FundVoucher:
    tag = fund_vouchers_for(user, action).select_related("fund", "org").filter(pk=tag_id).first()
    if tag is None:
        raise Http404("重点资金标记不存在或不在您的权限范围内。")
    return tag
