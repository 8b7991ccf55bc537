from django.urls import path

from jingshen.finance import views, views_funds

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
    path("funds/", views_funds.funds, name="funds"),
    path("funds/new/", views_funds.fund_new, name="fund_new"),
    path("funds/<int:fund_id>/", views_funds.fund, name="fund"),
    path("funds/trace/", views_funds.fund_trace, name="fund_trace"),
    path("funds/tag/<int:dataset_id>/<int:period>/<path:voucher_type>/<int:voucher_no>/", views_funds.fund_tag, name="fund_tag"),
    path("funds/tags/<int:tag_id>/delete/", views_funds.fund_untag, name="fund_untag"),
]
