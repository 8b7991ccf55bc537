from django.urls import path

from jingshen.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("portal/risk/", views.risk, name="risk"),
    path("portal/never-audited/", views.never_audited, name="never_audited"),
    path("portal/notices/", views.notices, name="notices"),
    path("portal/notices/new/", views.notice_new, name="notice_new"),
    path("portal/notices/<int:notice_id>/", views.notice, name="notice"),
    path("portal/notices/<int:notice_id>/withdraw/", views.notice_withdraw, name="notice_withdraw"),
]
