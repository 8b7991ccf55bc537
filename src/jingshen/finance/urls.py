from django.urls import path

from jingshen.finance import views

app_name = "finance"
urlpatterns = [
    path("budgets/", views.budgets, name="budgets"),
    path("budgets/import/", views.budget_import, name="budget_import"),
    path("budgets/<int:budget_id>/", views.budget, name="budget"),
]
