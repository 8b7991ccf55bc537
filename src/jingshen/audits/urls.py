from django.urls import path

from jingshen.audits import views, views_findings
from jingshen.audits import views_workpapers as wp

app_name = "audits"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("<int:project_id>/", views.project, name="project"),
    path("<int:project_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<int:project_id>/advance/", views.advance, name="advance"),
    path("<int:project_id>/sign-review/", views.sign_review, name="sign_review"),
    path("<int:project_id>/adopt/", views.adopt, name="adopt"),
    path("<int:project_id>/adopt-budget/", views.adopt_budget, name="adopt_budget"),
    path("<int:project_id>/run/", views.start_run, name="start_run"),
    path("<int:project_id>/documents/notice/", views.generate_notice, name="generate_notice"),
    path("<int:project_id>/documents/draft/", views.generate_draft, name="generate_draft"),
    path("<int:project_id>/documents/report/", views.generate_report, name="generate_report"),
    path("<int:project_id>/documents/rectification/", views.generate_rectification_notice, name="generate_rectification_notice"),
    path("<int:project_id>/documents/<int:document_id>/", views.document, name="document"),
    path("<int:project_id>/plan/", views.plan, name="plan"),
    path("<int:project_id>/requests/", views.send_request, name="send_request"),
    path("<int:project_id>/requests/<int:request_id>/answer/", views.answer, name="answer"),
    path("<int:project_id>/rectifications/<int:item_id>/", views.rectify, name="rectify"),
    path("<int:project_id>/hours/", views.hours, name="hours"),
    path("<int:project_id>/hours/<int:time_entry_id>/delete/", views.hours_delete, name="hours_delete"),
    # 工作底稿 (views_workpapers.py)
    path("<int:project_id>/workpapers/", wp.index, name="workpapers"),
    path("<int:project_id>/workpapers/new/", wp.new, name="workpaper_new"),
    path("<int:project_id>/workpapers/<int:wp_id>/", wp.workpaper, name="workpaper"),
    path("<int:project_id>/workpapers/<int:wp_id>/submit/", wp.submit, name="workpaper_submit"),
    path("<int:project_id>/workpapers/<int:wp_id>/sign-off/", wp.sign_off, name="workpaper_sign_off"),
    path("<int:project_id>/workpapers/<int:wp_id>/notes/", wp.note_add, name="note_add"),
    path("<int:project_id>/workpapers/<int:wp_id>/evidence/", wp.evidence_upload, name="evidence_upload"),
    path("<int:project_id>/notes/<int:note_id>/answer/", wp.note_answer, name="note_answer"),
    path("<int:project_id>/notes/<int:note_id>/close/", wp.note_close, name="note_close"),
    path("<int:project_id>/evidence/<int:evidence_id>/", wp.evidence_download, name="evidence_download"),
    path("<int:project_id>/evidence/<int:evidence_id>/remove/", wp.evidence_remove, name="evidence_remove"),
    path("<int:project_id>/verifications/<int:verification_id>/evidence/", wp.verification_evidence_upload,
         name="verification_evidence_upload"),
    path("<int:project_id>/findings/<int:finding_id>/evidence/", wp.finding_evidence_upload, name="finding_evidence_upload"),
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
