from django.urls import include, path

from jingshen.admin_center import views

app_name = "admin_center"
urlpatterns = [
    path("", views.index, name="index"),
    path("", include("jingshen.admin_center.urls_people")),  # 经审干部, 培训, 往期审计, 交叉互审
    path("", include("jingshen.admin_center.urls_plans")),  # 年度审计计划, 统计
]
