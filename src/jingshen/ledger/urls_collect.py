from django.urls import path

from jingshen.ledger import views_collect as views

app_name = "collect"
urlpatterns = [
    path("", views.index, name="index"),
    path("jobs/<int:job_id>/", views.job, name="job"),
    path("jobs/<int:job_id>/mapping/", views.job_mapping, name="job_mapping"),
    path("templates/<slug:kind>/", views.template, name="template"),
    path("datasets/<int:dataset_id>/", views.dataset, name="dataset"),
    path("charts/<str:code>/", views.chart, name="chart"),
    path("charts/<str:code>/confirm/", views.chart_confirm, name="chart_confirm"),
]
