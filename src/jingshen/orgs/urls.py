from django.urls import path

from jingshen.orgs import views, views_manage

app_name = "orgs"
urlpatterns = [
    path("", views_manage.org_list, name="list"),  # 单位管理 (综合管理)
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/children/", views.children, name="children"),
    path("<str:code>/edit/", views_manage.org_edit, name="edit"),
    path("<str:code>/new/", views_manage.org_new, name="new"),
    path("<str:code>/import/", views_manage.org_import, name="import"),
]
