"""Who reads and writes 穿透式监督's data, on the actions of orgs/scope.py: a unit's budgets and
asset registers are imported by those who import its accounting data (``scope.IMPORT``) and read by those who see
its books (``scope.VIEW``)."""

from django.http import Http404

from jingshen.finance.models import AssetRegister, Budget, EnterpriseSummary, Payroll
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
