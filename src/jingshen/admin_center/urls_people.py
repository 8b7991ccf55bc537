"""综合管理 › 经审干部与培训, 往期审计记录, 交叉互审授权 (views_people.py), under /manage/."""

from django.urls import path

from jingshen.admin_center import views_people as v

urlpatterns = [
    path("staff/", v.staff_list, name="staff"),
    path("staff/new/", v.staff_new, name="staff_new"),
    path("staff/<int:staff_id>/", v.staff_edit, name="staff_edit"),
    path("staff/<int:staff_id>/active/", v.staff_active, name="staff_active"),
    path("training/", v.trainings, name="trainings"),
    path("training/new/", v.training_new, name="training_new"),
    path("training/<int:training_id>/delete/", v.training_delete, name="training_delete"),
    path("training/hours/", v.hours, name="hours"),
    path("prior-audits/", v.priors, name="priors"),
    path("prior-audits/new/", v.prior_new, name="prior_new"),
    path("prior-audits/import/", v.prior_import, name="prior_import"),
    path("prior-audits/<int:prior_id>/delete/", v.prior_delete, name="prior_delete"),
    path("grants/", v.grants, name="grants"),
    path("grants/new/", v.grant_new, name="grant_new"),
    path("grants/<int:grant_id>/revoke/", v.grant_revoke, name="grant_revoke"),
]
