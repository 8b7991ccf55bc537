from django.urls import path

from jingshen.screening import views

app_name = "screening"
urlpatterns = [
    path("", views.index, name="index"),
    path("runs/<int:run_id>/", views.run, name="run"),
    path("flags/<int:flag_id>/", views.flag, name="flag"),
    path("rules/", views.rules, name="rules"),
    path("rules/params/", views.rule_params, name="rule_params"),
    path("custom/", views.custom_rules, name="custom_rules"),
    path("custom/new/", views.custom_rule, name="custom_new"),
    path("custom/<int:rule_id>/", views.custom_rule, name="custom_rule"),
]
