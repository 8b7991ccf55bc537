"""综合管理 › 年度审计计划 and 年度统计报表 (views_plans.py), under /manage/."""

from django.urls import path

from jingshen.admin_center import views_plans as v

urlpatterns = [
    path("plans/", v.plan_list, name="plans"),
    path("plans/propose/", v.plan_propose, name="plan_propose"),
    path("plans/<int:plan_id>/", v.plan_detail, name="plan"),
    path("plans/<int:plan_id>/note/", v.plan_note, name="plan_note"),
    path("plans/<int:plan_id>/items/add/", v.plan_item_add, name="plan_item_add"),
    path("plans/<int:plan_id>/approve/", v.plan_approve, name="plan_approve"),
    path("plans/<int:plan_id>/return/", v.plan_return, name="plan_return"),
    path("plans/<int:plan_id>/delete/", v.plan_delete, name="plan_delete"),
    path("plans/items/<int:plan_item_id>/", v.plan_item_edit, name="plan_item_edit"),
    path("plans/items/<int:plan_item_id>/remove/", v.plan_item_remove, name="plan_item_remove"),
    path("plans/items/<int:plan_item_id>/project/", v.plan_item_project, name="plan_item_project"),
    path("statistics/", v.statistics, name="statistics"),
]
