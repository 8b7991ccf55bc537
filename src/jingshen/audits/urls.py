from django.urls import path

from jingshen.audits import views

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
    path("<int:project_id>/documents/notice/", views.generate_notice, name="generate_notice"),
    path("<int:project_id>/documents/<int:document_id>/", views.document, name="document"),
    path("<int:project_id>/plan/", views.plan, name="plan"),
    path("<int:project_id>/requests/", views.send_request, name="send_request"),
    path("<int:project_id>/requests/<int:request_id>/answer/", views.answer, name="answer"),
]
