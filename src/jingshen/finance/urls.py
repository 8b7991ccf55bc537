from django.urls import path

from jingshen.finance import views

app_name = "finance"
urlpatterns = [
    path("budgets/", views.budgets, name="budgets"),
    path("budgets/import/", views.budget_import, name="budget_import"),
    path("budgets/<int:budget_id>/", views.budget, name="budget"),
    path("assets/", views.registers, name="registers"),
    path("assets/import/", views.register_import, name="register_import"),
    path("assets/<int:register_id>/", views.register, name="register"),
    path("assets/reconcile/", views.reconciliation, name="reconciliation"),
    path("assets/reconcile/fixed-fund/", views.fixed_fund_check, name="fixed_fund_check"),
    path("cross-level/", views.cross_level, name="cross_level"),
    path("payroll/", views.payrolls, name="payrolls"),
    path("payroll/import/", views.payroll_import, name="payroll_import"),
    path("enterprises/", views.enterprises, name="enterprises"),
    path("enterprises/import/", views.enterprise_import, name="enterprise_import"),
    path("institutions/", views.institutions, name="institutions"),
]
