from django.urls import path

from jingshen.audits import views
from jingshen.audits import views_findings

app_name = "audits"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("<int:project_id>/", views.project, name="project"),
    path("<int:project_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<int:project_id>/advance/", views.advance, name="advance"),
    path("<int:project_id>/sign-review/", views.sign_review, name="sign_review"),
    path("<int:project_id>/adopt/", views.adopt, name="adopt"),
    path("<int:project_id>/run/", views.start_run, name="start_run"),
]

# 疑点核实 and 审计发现 (views_findings.py)
urlpatterns += [
    path("<int:project_id>/flags/", views_findings.flags, name="flags"),
    path("<int:project_id>/flags/<int:flag_id>/", views_findings.flag, name="flag"),
    path("<int:project_id>/verifications/<int:verification_id>/", views_findings.verification, name="verification"),
    path("<int:project_id>/findings/", views_findings.findings_list, name="findings"),
    path("<int:project_id>/findings/new/", views_findings.finding_new, name="finding_new"),
    path("<int:project_id>/findings/<int:finding_id>/", views_findings.finding, name="finding"),
]
